#include "ts.h"

#include <math.h>
#include <string.h>

static const char *const ts_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const ts_wdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};

/* Howard Hinnant's algorithms, valid for every year representable here. */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Read exactly `count` digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int count, int *out)
{
    int v = 0;
    for (int k = 0; k < count; k++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9')
            return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i >= n || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

/* Optional ".ddd..." fraction. */
static double fraction(const char *s, size_t n, size_t *i, int *bad)
{
    double f = 0, scale = 0.1;
    *bad = 0;
    if (*i < n && (s[*i] == '.' || s[*i] == ',')) {
        (*i)++;
        size_t start = *i;
        while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
            f += (s[*i] - '0') * scale;
            scale /= 10;
            (*i)++;
        }
        if (*i == start)
            *bad = 1;
    }
    return f;
}

static int check_fields(int y, int mo, int d, int h, int mi, int sec)
{
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo) || h > 23 ||
        mi > 59 || sec > 60)
        return -1;
    return 0;
}

static double to_epoch(int y, int mo, int d, int h, int mi, int sec)
{
    int64_t days = ts_days_from_civil(y, (unsigned)mo, (unsigned)d);
    return (double)(days * 86400 + h * 3600 + mi * 60 + sec);
}

int ts_parse_iso8601(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int y, mo, d, h, mi, sec, bad;
    if (digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
        expect(s, n, &i, '-') || digits(s, n, &i, 2, &d))
        return -1;
    if (i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return -1;
    i++;
    if (digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
        expect(s, n, &i, ':') || digits(s, n, &i, 2, &sec))
        return -1;
    double frac = fraction(s, n, &i, &bad);
    if (bad || check_fields(y, mo, d, h, mi, sec))
        return -1;
    int offset = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, oh, om;
        i++;
        if (digits(s, n, &i, 2, &oh))
            return -1;
        if (i < n && s[i] == ':')
            i++;
        if (digits(s, n, &i, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = sign * (oh * 3600 + om * 60);
    }
    if (i != n)
        return -1;
    *out = to_epoch(y, mo, d, h, mi, sec) - offset + frac;
    return 0;
}

static int month_index(const char *s, size_t n, size_t *i)
{
    if (*i + 3 > n)
        return -1;
    for (int m = 0; m < 12; m++)
        if (memcmp(s + *i, ts_months[m], 3) == 0) {
            *i += 3;
            return m + 1;
        }
    return -1;
}

int ts_parse_http_date(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int d, y, h, mi, sec, bad, wday = -1;
    if (n < 4)
        return -1;
    for (int k = 0; k < 7; k++)
        if (memcmp(s, ts_wdays[k], 3) == 0)
            wday = k;
    if (wday < 0)
        return -1;
    i = 3;
    if (expect(s, n, &i, ',') || expect(s, n, &i, ' ') || digits(s, n, &i, 2, &d) ||
        expect(s, n, &i, ' '))
        return -1;
    int mo = month_index(s, n, &i);
    if (mo < 0 || expect(s, n, &i, ' ') || digits(s, n, &i, 4, &y) || expect(s, n, &i, ' ') ||
        digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
        expect(s, n, &i, ':') || digits(s, n, &i, 2, &sec))
        return -1;
    double frac = fraction(s, n, &i, &bad);
    if (bad || check_fields(y, mo, d, h, mi, sec))
        return -1;
    if (i + 4 != n || memcmp(s + i, " GMT", 4) != 0)
        return -1;
    int64_t days = ts_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t wd = days % 7;
    if (wd < 0)
        wd += 7;
    if (wd != wday)
        return -1;
    *out = to_epoch(y, mo, d, h, mi, sec) + frac;
    return 0;
}

int ts_parse_epoch(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t start = i;
    double v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 16)
        v = v * 10 + (s[i++] - '0');
    if (i == start)
        return -1;
    int bad;
    double frac = fraction(s, n, &i, &bad);
    if (bad || i != n)
        return -1;
    v += frac;
    *out = neg ? -v : v;
    return 0;
}

int ts_parse_any(const char *s, size_t n, double *out)
{
    if (ts_parse_iso8601(s, n, out) == 0 || ts_parse_http_date(s, n, out) == 0 ||
        ts_parse_epoch(s, n, out) == 0)
        return 0;
    return -1;
}

/* Split t into whole seconds and milliseconds, rounding to the nearest ms. */
static int split(double t, int64_t *secs, int *ms)
{
    if (!isfinite(t) || t < -62135596800.0 || t > 253402300799.999)
        return -1; /* years 1 to 9999 */
    double fl = floor(t);
    int64_t s = (int64_t)fl;
    int m = (int)llround((t - fl) * 1000.0);
    if (m >= 1000) {
        s++;
        m -= 1000;
    }
    *secs = s;
    *ms = m;
    return 0;
}

int ts_format(buf *b, double t, int format)
{
    int64_t secs;
    int ms;
    if (split(t, &secs, &ms))
        return -1;
    if (format == TS_EPOCH) {
        if (ms)
            buf_addf(b, "%lld.%03d", (long long)secs, ms);
        else
            buf_addf(b, "%lld", (long long)secs);
        if (ms) { /* trim trailing zeros of the fraction */
            while (b->len && b->p[b->len - 1] == '0')
                b->len--;
            b->p[b->len] = '\0';
        }
        return b->oom ? -1 : 0;
    }
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    int64_t y;
    unsigned mo, d;
    ts_civil_from_days(days, &y, &mo, &d);
    int h = (int)(rem / 3600), mi = (int)(rem / 60 % 60), sec = (int)(rem % 60);
    if (format == TS_HTTP_DATE) {
        int64_t wd = days % 7;
        if (wd < 0)
            wd += 7;
        buf_addf(b, "%s, %02u %s %04lld %02d:%02d:%02d GMT", ts_wdays[wd], d,
                 ts_months[mo - 1], (long long)y, h, mi, sec);
    } else {
        buf_addf(b, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, mo, d, h, mi, sec);
        if (ms)
            buf_addf(b, ".%03d", ms);
        buf_addc(b, 'Z');
    }
    return b->oom ? -1 : 0;
}
