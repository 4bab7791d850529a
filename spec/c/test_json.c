/* json: string escaping, numbers and UTF-8 validation. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "json.h"

static const char *str(const char *s, size_t n)
{
    static char out[512];
    buf b;
    buf_init(&b);
    json_string(&b, s, n);
    snprintf(out, sizeof out, "%s", buf_str(&b) ? buf_str(&b) : "(oom)");
    buf_free(&b);
    return out;
}

static const char *strs(const char *s)
{
    return str(s, strlen(s));
}

static const char *num(double v)
{
    static char out[64];
    buf b;
    buf_init(&b);
    json_number(&b, v);
    snprintf(out, sizeof out, "%s", buf_str(&b) ? buf_str(&b) : "(oom)");
    buf_free(&b);
    return out;
}

static const char *integer(int64_t v)
{
    static char out[64];
    buf b;
    buf_init(&b);
    json_int(&b, v);
    snprintf(out, sizeof out, "%s", buf_str(&b) ? buf_str(&b) : "(oom)");
    buf_free(&b);
    return out;
}

/* The text of v reads back as v (sign of zero included) and no shorter
 * %.Ng text does.  (-0.0 is written "-0.0" on purpose: "-0" would read back
 * as the integer 0 in Lua.) */
static int shortest_round_trip(double v)
{
    const char *s = num(v);
    double back = strtod(s, NULL);
    if (back != v || signbit(back) != signbit(v)) {
        fprintf(stderr, "  %.17g written as \"%s\" reads back as %.17g\n", v, s, back);
        return 0;
    }
    for (int prec = 1; prec <= 17 && v != 0; prec++) {
        char t[40];
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) {
            if (strlen(t) < strlen(s)) {
                fprintf(stderr, "  %.17g written as \"%s\", \"%s\" is shorter\n", v, s, t);
                return 0;
            }
            break;
        }
    }
    return 1;
}

static int valid(const char *s)
{
    return json_utf8_valid(s, strlen(s));
}

static void test_strings(void)
{
    CHECK_STR(strs(""), "\"\"");
    CHECK_STR(strs("plain"), "\"plain\"");
    CHECK_STR(strs("say \"hi\""), "\"say \\\"hi\\\"\"");
    CHECK_STR(strs("back\\slash"), "\"back\\\\slash\"");
    CHECK_STR(strs("a/b"), "\"a/b\"");
    CHECK_STR(strs("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    /* other control characters as \u00XX, lower-case hex */
    CHECK_STR(strs("\x01\x1f"), "\"\\u0001\\u001f\"");
    CHECK_STR(strs("x\x1b[0m"), "\"x\\u001b[0m\"");
    CHECK_STR(str("a\0b", 3), "\"a\\u0000b\"");
    /* DEL and UTF-8 pass through */
    CHECK_STR(strs("\x7f"), "\"\x7f\"");
    CHECK_STR(strs("caf\xc3\xa9 \xe1\x88\xb4 \xf0\x9f\x98\x80"),
              "\"caf\xc3\xa9 \xe1\x88\xb4 \xf0\x9f\x98\x80\"");
    /* escapes at both ends and in a row */
    CHECK_STR(strs("\"\"\n"), "\"\\\"\\\"\\n\"");
}

static void test_integers(void)
{
    CHECK_STR(integer(0), "0");
    CHECK_STR(integer(-42), "-42");
    CHECK_STR(integer(INT64_MAX), "9223372036854775807");
    CHECK_STR(integer(INT64_MIN), "-9223372036854775808");
}

static void test_numbers(void)
{
    CHECK_STR(num(0.1), "0.1");
    CHECK_STR(num(0.3), "0.3");
    CHECK_STR(num(0.1 + 0.2), "0.30000000000000004");
    CHECK_STR(num(1.5), "1.5");
    CHECK_STR(num(-2.25), "-2.25");
    CHECK_STR(num(0), "0");
    CHECK_STR(num(42), "42");
    CHECK_STR(num(1e14), "100000000000000");
    CHECK_STR(num(1e300), "1e+300");
    CHECK_STR(num(-1e-300), "-1e-300");
    CHECK_STR(num(5e-324), "5e-324");
    CHECK_STR(num(1.7976931348623157e308), "1.7976931348623157e+308");
    CHECK_STR(num(1576540098.52), "1576540098.52");
    /* -0.0 keeps its sign, and stays a float */
    CHECK_STR(num(-0.0), "-0.0");
    /* NaN and the infinities are strings */
    CHECK_STR(num(NAN), "\"NaN\"");
    CHECK_STR(num(INFINITY), "\"Infinity\"");
    CHECK_STR(num(-INFINITY), "\"-Infinity\"");

    static const double vs[] = {0.1,     0.2,          0.3,      1.0 / 3,     2.0 / 3,
                                1e300,   1e-300,       -0.0,     123456.789,  1e15,
                                1e16,    1e21,         1e22,     9007199254740993.0,
                                5e-324,  2.2250738585072014e-308, 4.35,  0.000001,
                                1e-7,    123456789012345680.0,    3.141592653589793};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) {
        CHECK(shortest_round_trip(vs[i]));
        CHECK(shortest_round_trip(-vs[i]));
    }
    /* json_double_text writes the same for finite values */
    buf b;
    buf_init(&b);
    json_double_text(&b, 0.1);
    CHECK_STR(buf_str(&b), "0.1");
    buf_free(&b);
}

static void test_utf8(void)
{
    CHECK(valid(""));
    CHECK(valid("ascii only"));
    CHECK(json_utf8_valid("a\0b", 3));
    CHECK(valid("\xc2\x80"));             /* U+0080 */
    CHECK(valid("\xdf\xbf"));             /* U+07FF */
    CHECK(valid("\xe0\xa0\x80"));         /* U+0800 */
    CHECK(valid("\xe1\x88\xb4"));         /* U+1234 */
    CHECK(valid("\xed\x9f\xbf"));         /* U+D7FF */
    CHECK(valid("\xee\x80\x80"));         /* U+E000 */
    CHECK(valid("\xef\xbf\xbf"));         /* U+FFFF */
    CHECK(valid("\xf0\x90\x80\x80"));     /* U+10000 */
    CHECK(valid("\xf0\x9f\x98\x80"));     /* U+1F600 */
    CHECK(valid("\xf4\x8f\xbf\xbf"));     /* U+10FFFF */

    /* overlong forms */
    CHECK(!valid("\xc0\x80"));
    CHECK(!valid("\xc1\xbf"));
    CHECK(!valid("\xe0\x80\x80"));
    CHECK(!valid("\xe0\x9f\xbf"));
    CHECK(!valid("\xf0\x80\x80\x80"));
    CHECK(!valid("\xf0\x8f\xbf\xbf"));
    /* surrogates */
    CHECK(!valid("\xed\xa0\x80"));
    CHECK(!valid("\xed\xbf\xbf"));
    CHECK(!valid("\xed\xa0\xbd\xed\xb8\x80")); /* a CESU-8 pair */
    /* beyond U+10FFFF */
    CHECK(!valid("\xf4\x90\x80\x80"));
    CHECK(!valid("\xf5\x80\x80\x80"));
    CHECK(!valid("\xf7\xbf\xbf\xbf"));
    CHECK(!valid("\xf8\x88\x80\x80\x80"));
    CHECK(!valid("\xff"));
    CHECK(!valid("\xfe"));
    /* truncated sequences and stray continuation bytes */
    CHECK(!valid("\xc3"));
    CHECK(!valid("\xe1\x88"));
    CHECK(!valid("\xf0\x9f\x98"));
    CHECK(!valid("abc\xf0\x9f"));
    CHECK(!valid("\xc3" "A"));
    CHECK(!valid("\xe1\x88" "A"));
    CHECK(!valid("\x80"));
    CHECK(!valid("a\xbf" "b"));
    CHECK(!valid("\xc3\xa9\xa9"));
    /* the length given is the one checked */
    CHECK(!json_utf8_valid("\xe1\x88\xb4", 2));
    CHECK(json_utf8_valid("ab\xe1\x88\xb4", 2));
}

int main(void)
{
    RUN(test_strings);
    RUN(test_integers);
    RUN(test_numbers);
    RUN(test_utf8);
    CTEST_DONE();
}
