/* ts: the timestamp formats of the AWS protocols, as epoch seconds (double,
 * keeping fractional seconds).  Conversions are done by arithmetic on the
 * proleptic Gregorian calendar, independent of the process's time zone. */
#ifndef OMICS_TS_H
#define OMICS_TS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

enum { TS_ISO8601, TS_HTTP_DATE, TS_EPOCH };

/* 2019-12-16T23:48:18Z, with optional fraction and offset (Z, +01:00, -0100). */
int ts_parse_iso8601(const char *s, size_t n, double *out);
/* IMF-fixdate: Mon, 16 Dec 2019 23:48:18 GMT (a fraction of seconds is accepted). */
int ts_parse_http_date(const char *s, size_t n, double *out);
/* 1576540098 or 1576540098.52 */
int ts_parse_epoch(const char *s, size_t n, double *out);
/* Any of the three. */
int ts_parse_any(const char *s, size_t n, double *out);

/* Fractional seconds are written with millisecond precision when present. */
int ts_format(buf *b, double t, int format);

/* Days since 1970-01-01 of a civil date, and back. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);
void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#pragma GCC visibility pop

#endif
