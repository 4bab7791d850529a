/* ts: parsing and formatting the three AWS timestamp formats. */
#include <math.h>
#include <string.h>

#include "ctest.h"
#include "ts.h"

typedef int (*parse_fn)(const char *, size_t, double *);

/* 1 when s parses to exactly want. */
static int parses(parse_fn f, const char *s, double want)
{
    double got = -12345;
    if (f(s, strlen(s), &got) != 0) {
        fprintf(stderr, "  \"%s\" was rejected\n", s);
        return 0;
    }
    if (got != want)
        fprintf(stderr, "  \"%s\" -> %.6f, want %.6f\n", s, got, want);
    return got == want;
}

/* 1 when s is rejected (and *out untouched). */
static int rejects(parse_fn f, const char *s)
{
    double got = -12345;
    int rc = f(s, strlen(s), &got);
    if (rc == 0)
        fprintf(stderr, "  \"%s\" was accepted as %.6f\n", s, got);
    return rc != 0 && got == -12345;
}

/* ts_format into a static buffer; "(error)" when it fails. */
static const char *fmt(double t, int format)
{
    static char out[64];
    buf b;
    buf_init(&b);
    int rc = ts_format(&b, t, format);
    snprintf(out, sizeof out, "%s", rc == 0 && buf_str(&b) ? buf_str(&b) : "(error)");
    buf_free(&b);
    return out;
}

/* format, parse back, compare */
static int round_trips(double t, int format)
{
    static const parse_fn parsers[] = {ts_parse_iso8601, ts_parse_http_date, ts_parse_epoch};
    const char *s = fmt(t, format);
    double back;
    if (parsers[format](s, strlen(s), &back) != 0) {
        fprintf(stderr, "  %.3f formatted as \"%s\" does not parse\n", t, s);
        return 0;
    }
    if (fabs(back - t) > 1e-6) {
        fprintf(stderr, "  %.3f -> \"%s\" -> %.6f\n", t, s, back);
        return 0;
    }
    return 1;
}

static void test_iso8601(void)
{
    parse_fn p = ts_parse_iso8601;
    CHECK(parses(p, "2019-12-16T23:48:18Z", 1576540098));
    CHECK(parses(p, "1970-01-01T00:00:00Z", 0));
    CHECK(parses(p, "1970-01-01T00:00:00.3Z", 0.3));
    CHECK(parses(p, "1969-12-31T23:59:59.7Z", -0.3));
    CHECK(parses(p, "1970-01-01T00:00:00,25Z", 0.25));
    CHECK(parses(p, "2019-12-16T23:48:18.5Z", 1576540098.5));
    CHECK(parses(p, "2019-12-16T23:48:18.250Z", 1576540098.25));
    CHECK(parses(p, "2019-12-16T23:48:18.52Z", 1576540098.52));
    CHECK(parses(p, "2019-12-16T23:48:18.123Z", 1576540098.123));
    CHECK(parses(p, "2019-12-16T23:48:18.123456789Z", 1576540098.123456789));
    CHECK(parses(p, "2024-03-01T01:00:00.5+01:00", 1709251200.5));
    CHECK(parses(p, "2024-03-01T01:00:00+01:00", 1709251200));
    CHECK(parses(p, "2024-02-29T23:00:00-0100", 1709251200));
    CHECK(parses(p, "2024-02-29T23:00:00-01:00", 1709251200));
    CHECK(parses(p, "2024-03-01T05:30:00+05:30", 1709251200));
    CHECK(parses(p, "2024-03-01T00:00:00+00:00", 1709251200));
    CHECK(parses(p, "2024-03-01t00:00:00z", 1709251200));
    /* no zone: UTC */
    CHECK(parses(p, "2024-03-01T00:00:00", 1709251200));
    /* leap days */
    CHECK(parses(p, "2000-02-29T00:00:00Z", 951782400));
    CHECK(parses(p, "2024-02-29T00:00:00Z", 1709164800));

    CHECK(rejects(p, ""));
    CHECK(rejects(p, "2019-12-16"));
    CHECK(rejects(p, "2019-12-16T23:48Z"));
    CHECK(rejects(p, "2019-12-16X23:48:18Z"));
    CHECK(rejects(p, "2019-12-16T23:48:18Zjunk"));
    CHECK(rejects(p, "2019-12-16T23:48:18.Z"));
    CHECK(rejects(p, "2019-12-16T23:48:18+1:00"));
    CHECK(rejects(p, "2019-12-16T23:48:18+01:60"));
    CHECK(rejects(p, "2019-12-16T23:48:18+24:00"));
    CHECK(rejects(p, "19-12-16T23:48:18Z"));
    CHECK(rejects(p, "2019-1-16T23:48:18Z"));
    /* impossible dates and times */
    CHECK(rejects(p, "2024-02-30T00:00:00Z"));
    CHECK(rejects(p, "2023-02-29T00:00:00Z"));
    CHECK(rejects(p, "1900-02-29T00:00:00Z"));
    CHECK(rejects(p, "2024-04-31T00:00:00Z"));
    CHECK(rejects(p, "2024-13-01T00:00:00Z"));
    CHECK(rejects(p, "2024-00-01T00:00:00Z"));
    CHECK(rejects(p, "2024-01-00T00:00:00Z"));
    CHECK(rejects(p, "2024-01-01T24:00:00Z"));
    CHECK(rejects(p, "2024-01-01T23:60:00Z"));
    CHECK(rejects(p, "2024-01-01T23:59:61Z"));
    CHECK(rejects(p, "0000-01-01T00:00:00Z"));
}

static void test_http_date(void)
{
    parse_fn p = ts_parse_http_date;
    CHECK(parses(p, "Mon, 16 Dec 2019 23:48:18 GMT", 1576540098));
    CHECK(parses(p, "Sun, 06 Nov 1994 08:49:37 GMT", 784111777));
    CHECK(parses(p, "Thu, 01 Jan 1970 00:00:00 GMT", 0));
    CHECK(parses(p, "Mon, 16 Dec 2019 23:48:18.5 GMT", 1576540098.5));
    CHECK(parses(p, "Thu, 29 Feb 2024 12:00:00 GMT", 1709208000));

    /* the weekday must be the right one */
    CHECK(rejects(p, "Tue, 16 Dec 2019 23:48:18 GMT"));
    CHECK(rejects(p, "Sun, 16 Dec 2019 23:48:18 GMT"));
    CHECK(rejects(p, "Xyz, 16 Dec 2019 23:48:18 GMT"));
    CHECK(rejects(p, "Mon, 16 Dcm 2019 23:48:18 GMT"));
    CHECK(rejects(p, "Mon, 16 Dec 2019 23:48:18 UTC"));
    CHECK(rejects(p, "Mon, 16 Dec 2019 23:48:18"));
    CHECK(rejects(p, "Mon, 16 Dec 2019 23:48:18 GMT "));
    CHECK(rejects(p, "Mon 16 Dec 2019 23:48:18 GMT"));
    CHECK(rejects(p, "Mon, 6 Dec 2019 23:48:18 GMT"));
    CHECK(rejects(p, "Fri, 30 Feb 2024 00:00:00 GMT"));
    CHECK(rejects(p, "Mon, 16 Dec 2019 24:00:00 GMT"));
    CHECK(rejects(p, "Mon"));
    CHECK(rejects(p, ""));
}

static void test_epoch(void)
{
    parse_fn p = ts_parse_epoch;
    CHECK(parses(p, "1576540098", 1576540098));
    CHECK(parses(p, "1576540098.52", 1576540098.52));
    CHECK(parses(p, "1576540098.5", 1576540098.5));
    CHECK(parses(p, "0", 0));
    CHECK(parses(p, "-1.5", -1.5));
    CHECK(parses(p, "+7", 7));
    CHECK(parses(p, "253402300799", 253402300799.0));
    /* fractions read as strtod reads them, not digit by digit */
    CHECK(parses(p, "0.3", 0.3));
    CHECK(parses(p, "0.7", 0.7));
    CHECK(parses(p, "0.123", 0.123));
    CHECK(parses(p, "0.000001", 0.000001));
    CHECK(parses(p, "-0.3", -0.3));
    CHECK(parses(p, "1.0000000000000000000001", 1.0));

    CHECK(rejects(p, ""));
    CHECK(rejects(p, "-"));
    CHECK(rejects(p, "abc"));
    CHECK(rejects(p, "1."));
    CHECK(rejects(p, ".5"));
    CHECK(rejects(p, "1e3"));
    CHECK(rejects(p, "12 "));
    CHECK(rejects(p, "0x10"));
}

static void test_parse_any(void)
{
    parse_fn p = ts_parse_any;
    CHECK(parses(p, "2019-12-16T23:48:18Z", 1576540098));
    CHECK(parses(p, "Mon, 16 Dec 2019 23:48:18 GMT", 1576540098));
    CHECK(parses(p, "1576540098", 1576540098));
    CHECK(parses(p, "1576540098.25", 1576540098.25));
    CHECK(rejects(p, "yesterday"));
    CHECK(rejects(p, "2024-02-30T00:00:00Z"));
}

static void test_format(void)
{
    CHECK_STR(fmt(1576540098, TS_ISO8601), "2019-12-16T23:48:18Z");
    CHECK_STR(fmt(1576540098.52, TS_ISO8601), "2019-12-16T23:48:18.520Z");
    CHECK_STR(fmt(1576540098.001, TS_ISO8601), "2019-12-16T23:48:18.001Z");
    CHECK_STR(fmt(1576540098.9996, TS_ISO8601), "2019-12-16T23:48:19Z");
    CHECK_STR(fmt(1576540098, TS_HTTP_DATE), "Mon, 16 Dec 2019 23:48:18 GMT");
    CHECK_STR(fmt(1576540098, TS_EPOCH), "1576540098");
    CHECK_STR(fmt(1576540098.52, TS_EPOCH), "1576540098.52");
    CHECK_STR(fmt(1576540098.5, TS_EPOCH), "1576540098.5");
    CHECK_STR(fmt(1576540098.123, TS_EPOCH), "1576540098.123");
    CHECK_STR(fmt(0, TS_ISO8601), "1970-01-01T00:00:00Z");
    CHECK_STR(fmt(0, TS_HTTP_DATE), "Thu, 01 Jan 1970 00:00:00 GMT");
    CHECK_STR(fmt(0, TS_EPOCH), "0");

    /* before 1970 */
    CHECK_STR(fmt(-1, TS_ISO8601), "1969-12-31T23:59:59Z");
    CHECK_STR(fmt(-1, TS_HTTP_DATE), "Wed, 31 Dec 1969 23:59:59 GMT");
    CHECK_STR(fmt(-1, TS_EPOCH), "-1");
    CHECK_STR(fmt(-0.5, TS_ISO8601), "1969-12-31T23:59:59.500Z");
    CHECK_STR(fmt(-0.5, TS_EPOCH), "-0.5");
    CHECK_STR(fmt(-1.25, TS_EPOCH), "-1.25");
    CHECK_STR(fmt(-86400, TS_ISO8601), "1969-12-31T00:00:00Z");
    CHECK_STR(fmt(-2208988800.0, TS_ISO8601), "1900-01-01T00:00:00Z");
    CHECK_STR(fmt(-2208988800.0, TS_HTTP_DATE), "Mon, 01 Jan 1900 00:00:00 GMT");
    CHECK_STR(fmt(-62135596800.0, TS_ISO8601), "0001-01-01T00:00:00Z");
    CHECK_STR(fmt(-62135596800.0, TS_HTTP_DATE), "Mon, 01 Jan 0001 00:00:00 GMT");

    /* the last second of year 9999, and past it */
    CHECK_STR(fmt(253402300799.0, TS_ISO8601), "9999-12-31T23:59:59Z");
    CHECK_STR(fmt(253402300799.0, TS_HTTP_DATE), "Fri, 31 Dec 9999 23:59:59 GMT");
    CHECK_STR(fmt(253402300800.0, TS_ISO8601), "(error)");
    CHECK_STR(fmt(-62135596801.0, TS_ISO8601), "(error)");
    CHECK_STR(fmt(NAN, TS_EPOCH), "(error)");
    CHECK_STR(fmt(INFINITY, TS_ISO8601), "(error)");
}

static void test_round_trips(void)
{
    static const double times[] = {0,
                                   1,
                                   1576540098,
                                   1576540098.5,
                                   1576540098.123,
                                   1709251200.999,
                                   951782400.25,
                                   -1,
                                   -0.5,
                                   -1.25,
                                   -2208988800.0,
                                   -2208988799.75,
                                   -62135596800.0,
                                   253402300799.0,
                                   253402300799.5};
    for (size_t i = 0; i < sizeof times / sizeof *times; i++) {
        CHECK(round_trips(times[i], TS_ISO8601));
        CHECK(round_trips(times[i], TS_EPOCH));
        CHECK(round_trips(floor(times[i]), TS_HTTP_DATE));
    }
}

static void test_civil(void)
{
    CHECK(ts_days_from_civil(1970, 1, 1) == 0);
    CHECK(ts_days_from_civil(2000, 3, 1) == 11017);
    CHECK(ts_days_from_civil(1969, 12, 31) == -1);
    CHECK(ts_days_from_civil(1, 1, 1) == -719162);
    CHECK(ts_days_from_civil(9999, 12, 31) == 2932896);
    int ok = 1;
    for (int64_t z = -719162; z <= 2932896; z += 37) {
        int64_t y;
        unsigned m, d;
        ts_civil_from_days(z, &y, &m, &d);
        if (ts_days_from_civil(y, m, d) != z || m < 1 || m > 12 || d < 1 || d > 31)
            ok = 0;
    }
    CHECK(ok);
}

int main(void)
{
    RUN(test_iso8601);
    RUN(test_http_date);
    RUN(test_epoch);
    RUN(test_parse_any);
    RUN(test_format);
    RUN(test_round_trips);
    RUN(test_civil);
    CTEST_DONE();
}
