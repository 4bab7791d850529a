/* libFuzzer entry point for src/ts.c (the timestamp formats of the AWS
 * protocols).
 *
 * The whole input is a candidate timestamp for ts_parse_iso8601,
 * ts_parse_http_date, ts_parse_epoch and ts_parse_any.  Checked:
 *   - each returns 0 or -1; a success gives a finite value, within the years
 *     the format can spell (epoch: at most 16 integer digits);
 *   - ts_parse_any succeeds exactly when one of the three does, with the value
 *     of the first that does (ISO 8601, then HTTP date, then epoch);
 *   - a round trip: for a value within years 1..9999, ts_format in each format
 *     succeeds, its text parses back with the matching parser (and with
 *     ts_parse_any), to the same value to the millisecond (to the second for
 *     an HTTP date, which has no fraction), and formatting that value again
 *     gives the same text;
 *   - ts_civil_from_days and ts_days_from_civil are inverses, for a day count
 *     taken from the input's first bytes. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: what ts_format writes. */
#define YEAR1 (-62135596800.0)
#define YEAR9999_END 253402300799.999
#define DAY 86400.0

static void check(int ok, const char *what, const char *text)
{
    if (!ok) {
        fprintf(stderr, "fuzz_ts: property violated: %s (%s)\n", what, text ? text : "");
        abort();
    }
}

/* The value ts_format writes for t, in milliseconds (it rounds to the
 * nearest millisecond, as llround does). */
static int64_t to_ms(double t)
{
    double fl = floor(t);
    return (int64_t)fl * 1000 + llround((t - fl) * 1000.0);
}

static int parse_with(int format, const char *s, size_t n, double *out)
{
    return format == TS_ISO8601     ? ts_parse_iso8601(s, n, out)
           : format == TS_HTTP_DATE ? ts_parse_http_date(s, n, out)
                                    : ts_parse_epoch(s, n, out);
}

static void round_trip(double t)
{
    static const int formats[] = {TS_ISO8601, TS_HTTP_DATE, TS_EPOCH};
    int in_range = t >= YEAR1 && t <= YEAR9999_END;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        int f = formats[i];
        buf a, b;
        buf_init(&a);
        buf_init(&b);
        int rc = ts_format(&a, t, f);
        check(rc == 0 || rc == -1, "ts_format returns 0 or -1", NULL);
        check(rc == 0 || !in_range, "a value within years 1..9999 can be formatted", NULL);
        if (rc == 0) {
            const char *text = buf_str(&a);
            check(text && strlen(text) == a.len, "ts_format writes a C string", text);
            double back, any;
            check(parse_with(f, text, a.len, &back) == 0, "the formatted text parses back",
                  text);
            check(ts_parse_any(text, a.len, &any) == 0 && any == back,
                  "ts_parse_any reads what ts_format writes", text);
            int64_t want = to_ms(t), got = to_ms(back);
            if (f == TS_HTTP_DATE) /* whole seconds: the fraction is dropped */
                check(back == floor(back) && got == want - (want % 1000 + 1000) % 1000,
                      "an HTTP date keeps the second", text);
            else
                check(got == want && fabs(back - t) <= 0.0005 + fabs(t) * 1e-15,
                      "the value comes back to the millisecond", text);
            check(ts_format(&b, back, f) == 0 && strcmp(buf_str(&b), text) == 0,
                  "formatting the value read back gives the same text", text);
        }
        buf_free(&a);
        buf_free(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char shown[80];
    snprintf(shown, sizeof shown, "%.*s", (int)(size < 60 ? size : 60), s);

    double iso = 0, http = 0, epoch = 0, any = 0;
    int ri = ts_parse_iso8601(s, size, &iso);
    int rh = ts_parse_http_date(s, size, &http);
    int re = ts_parse_epoch(s, size, &epoch);
    int ra = ts_parse_any(s, size, &any);
    check((ri == 0 || ri == -1) && (rh == 0 || rh == -1) && (re == 0 || re == -1) &&
              (ra == 0 || ra == -1),
          "parsers return 0 or -1", shown);

    if (ri == 0)
        check(isfinite(iso) && iso >= YEAR1 - DAY && iso < YEAR9999_END + 2 * DAY,
              "an ISO 8601 time is finite and within its years", shown);
    if (rh == 0)
        check(isfinite(http) && http >= YEAR1 && http < YEAR9999_END + 2,
              "an HTTP date is finite and within its years", shown);
    if (re == 0)
        check(isfinite(epoch) && fabs(epoch) <= 1e16, "an epoch time is finite and bounded",
              shown);
    check((ra == 0) == (ri == 0 || rh == 0 || re == 0),
          "ts_parse_any succeeds when one format does", shown);
    if (ra == 0) {
        double first = ri == 0 ? iso : rh == 0 ? http : epoch;
        check(any == first || (isnan(any) && isnan(first)),
              "ts_parse_any gives the first format's value", shown);
        round_trip(any);
    }
    if (rh == 0 && ri == 0)
        check(0, "no text is both ISO 8601 and an HTTP date", shown);

    /* civil dates and day counts, for a count taken from the input */
    if (size >= 8) {
        int64_t z;
        memcpy(&z, data, sizeof z);
        z %= 3652425LL * 100; /* ten million years either way */
        int64_t y;
        unsigned m, d;
        ts_civil_from_days(z, &y, &m, &d);
        check(m >= 1 && m <= 12 && d >= 1 && d <= 31, "a civil date has a month and a day",
              NULL);
        check(ts_days_from_civil(y, m, d) == z, "days -> civil -> days is the identity", NULL);
    }
    return 0;
}
