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

/* An optional ".ddd..." fraction, kept as the integer of its first 18
 * digits (*num) and their count (*k); later digits are read and dropped. */
typedef struct ts_frac {
    uint64_t num;
    int k;
} ts_frac;

static int fraction(const char *s, size_t n, size_t *i, ts_frac *f)
{
    f->num = 0;
    f->k = 0;
    if (*i >= n || (s[*i] != '.' && s[*i] != ','))
        return 0;
    (*i)++;
    size_t start = *i;
    for (; *i < n && s[*i] >= '0' && s[*i] <= '9'; (*i)++) {
        if (f->k < 18) {
            f->num = f->num * 10 + (uint64_t)(s[*i] - '0');
            f->k++;
        }
    }
    return *i == start ? -1 : 0;
}

/* whole + f as the double nearest to the decimal value (as strtod would give
 * it): one division of two exact numbers when whole.fraction has at most
 * 15-16 significant digits, which covers milliseconds to year 9999. */
static double with_fraction(int64_t whole, const ts_frac *f)
{
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
    const int64_t exact = (int64_t)1 << 53;
    if (f->k == 0)
        return (double)whole;
    int64_t scale = 1;
    for (int k = 0; k < f->k; k++)
        scale *= 10;
    int64_t mag = whole < 0 ? -whole : whole;
    if (f->num < (uint64_t)exact && mag <= (exact - (int64_t)f->num) / scale)
        return (double)(whole * scale + (int64_t)f->num) / p10[f->k];
    return (double)whole + (double)f->num / p10[f->k];
}

static int check_fields(int y, int mo, int d, int h, int mi, int sec)
{
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, (unsigned)mo) || h > 23 ||
        mi > 59 || sec > 60)
        return -1;
    return 0;
}

static int64_t to_epoch(int y, int mo, int d, int h, int mi, int sec)
{
    int64_t days = ts_days_from_civil(y, (unsigned)mo, (unsigned)d);
    return days * 86400 + h * 3600 + mi * 60 + sec;
}

int ts_parse_iso8601(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int y, mo, d, h, mi, sec;
    ts_frac frac;
    if (digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
        expect(s, n, &i, '-') || digits(s, n, &i, 2, &d))
        return -1;
    if (i >= n || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return -1;
    i++;
    if (digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
        expect(s, n, &i, ':') || digits(s, n, &i, 2, &sec))
        return -1;
    if (fraction(s, n, &i, &frac) || check_fields(y, mo, d, h, mi, sec))
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
    *out = with_fraction(to_epoch(y, mo, d, h, mi, sec) - offset, &frac);
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
    int d, y, h, mi, sec, wday = -1;
    ts_frac frac;
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
    if (fraction(s, n, &i, &frac) || check_fields(y, mo, d, h, mi, sec))
        return -1;
    if (i + 4 != n || memcmp(s + i, " GMT", 4) != 0)
        return -1;
    int64_t days = ts_days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t wd = days % 7;
    if (wd < 0)
        wd += 7;
    if (wd != wday)
        return -1;
    *out = with_fraction(to_epoch(y, mo, d, h, mi, sec), &frac);
    return 0;
}

int ts_parse_epoch(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        neg = s[i++] == '-';
    size_t start = i;
    int64_t whole = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 16)
        whole = whole * 10 + (s[i++] - '0');
    if (i == start)
        return -1;
    ts_frac frac;
    if (fraction(s, n, &i, &frac) || i != n)
        return -1;
    double v = with_fraction(whole, &frac);
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

/* secs + ms/1000 as a decimal number.  split() floors, so a negative time
 * with a fraction is written from its magnitude: -1 s + 500 ms is "-0.5". */
static int format_epoch(buf *b, int64_t secs, int ms)
{
    if (!ms) {
        buf_addf(b, "%lld", (long long)secs);
        return b->oom ? -1 : 0;
    }
    if (secs < 0)
        buf_addf(b, "-%lld.%03d", -(long long)(secs + 1), 1000 - ms);
    else
        buf_addf(b, "%lld.%03d", (long long)secs, ms);
    if (b->oom)
        return -1;
    while (b->p[b->len - 1] == '0') /* trim trailing zeros of the fraction */
        b->len--;
    b->p[b->len] = '\0';
    return 0;
}

int ts_format(buf *b, double t, int format)
{
    int64_t secs;
    int ms;
    if (split(t, &secs, &ms))
        return -1;
    if (format == TS_EPOCH)
        return format_epoch(b, secs, ms);
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
