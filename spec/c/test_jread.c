/* jread: the strict JSON reader of answers (src/jread.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "jread.h"

/* Read s (whole, NULs included when n is given); 0 when it read. */
static int read_text(jread *r, const char *s, size_t n)
{
    return jread_parse(r, s, n ? n : strlen(s));
}

/* 1 when s is refused with a reason that holds `why` at byte `at`. */
static int refuses(const char *s, const char *why, size_t at)
{
    jread r;
    jread_init(&r);
    int rc = read_text(&r, s, 0);
    int ok = rc != 0 && r.error && strstr(r.error, why) && r.error_at == at && !r.oom;
    if (!ok)
        fprintf(stderr, "  '%s': rc %d, error \"%s\" at %zu (want \"%s\" at %zu)\n", s, rc,
                r.error ? r.error : "(none)", r.error_at, why, at);
    jread_free(&r);
    return ok;
}

static void test_values(void)
{
    jread r;
    jread_init(&r);
    const char *text = " {\"name\":\"GRCh38\",\"n\":[1,-2.5,true,false,null],\"o\":{}} \n";
    CHECK(read_text(&r, text, 0) == 0);
    const jr_node *root = &r.nodes[0];
    CHECK(root->type == JR_OBJECT && root->count == 3);
    const jr_node *name = jread_get(root, "name");
    CHECK(name && name->type == JR_STRING && name->len == 6 && memcmp(name->s, "GRCh38", 6) == 0);
    CHECK(name && name->s > text && name->s < text + strlen(text)); /* in place: no copy */
    const jr_node *n = jread_get(root, "n");
    CHECK(n && n->type == JR_ARRAY && n->count == 5);
    int types[] = {JR_NUMBER, JR_NUMBER, JR_TRUE, JR_FALSE, JR_NULL}, k = 0, same = 1;
    JR_EACH(e, n)
    same &= k < 5 && e->type == types[k++] && e->key == NULL;
    CHECK(same && k == 5);
    CHECK(jread_number(jr_first(n)) == 1.0);
    CHECK(jread_number(jr_next(jr_first(n))) == -2.5);
    const jr_node *o = jread_get(root, "o");
    CHECK(o && o->type == JR_OBJECT && o->count == 0 && jr_first(o) == NULL && jr_next(o) == NULL);
    CHECK(jread_get(root, "missing") == NULL && jread_get(n, "name") == NULL);
    /* duplicate names: both kept, in order; jread_get finds the first */
    CHECK(read_text(&r, "{\"a\":1,\"a\":2}", 0) == 0 && r.nodes[0].count == 2);
    CHECK(jread_number(jread_get(&r.nodes[0], "a")) == 1.0);
    jread_free(&r);
}

static void test_strings(void)
{
    jread r;
    jread_init(&r);
    CHECK(read_text(&r, "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"\\u00e9\\u20ac\\ud83d\\ude00\",\"plain\"]", 0) == 0);
    const jr_node *a = jr_first(&r.nodes[0]), *b = jr_next(a), *c = jr_next(b);
    CHECK(a->len == 8 && memcmp(a->s, "\"\\/\b\f\n\r\t", 8) == 0);
    CHECK(b->len == 9 && memcmp(b->s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9) == 0);
    CHECK(c->len == 5 && memcmp(c->s, "plain", 5) == 0);
    CHECK(!r.has_nul);
    /* U+0000 is decoded and reported: the parser refuses such answers */
    CHECK(read_text(&r, "{\"k\":\"a\\u0000b\"}", 0) == 0 && r.has_nul);
    CHECK(r.nodes[1].len == 3 && memcmp(r.nodes[1].s, "a\0b", 3) == 0);
    /* a long run of plain bytes (the sixteen-at-a-time path) then a quote */
    char longs[100];
    memset(longs, 'x', sizeof longs);
    longs[0] = '"';
    longs[98] = '"';
    longs[99] = '\0';
    CHECK(read_text(&r, longs, 0) == 0 && r.nodes[0].len == 97 && !r.has_nul);
    longs[50] = '\n'; /* a raw control character deep in it */
    CHECK(refuses(longs, "control character", 50));
    jread_free(&r);
}

static void test_numbers(void)
{
    jread r;
    jread_init(&r);
    CHECK(read_text(&r, "[9223372036854775807,9223372036854775808,-9223372036854775809,-12]", 0) == 0);
    const jr_node *m = jr_first(&r.nodes[0]);
    int64_t w = 0;
    CHECK(jread_int64(m, &w) == 0 && w == INT64_MAX);
    CHECK(jread_int64(jr_next(m), &w) != 0 && jread_int64(jr_next(jr_next(m)), &w) != 0);
    CHECK(jread_int64(jr_next(jr_next(jr_next(m))), &w) == 0 && w == -12);
    CHECK(read_text(&r, "[9007199254740993,-9223372036854775808,18446744073709551616,1e400,-0,"
                        "123456789012345,0.1,1E+2]",
                    0) == 0);
    const jr_node *e = jr_first(&r.nodes[0]);
    int64_t v;
    CHECK(jread_int64(e, &v) == 0 && v == 9007199254740993LL); /* not 2^53 rounded */
    e = jr_next(e);
    CHECK(jread_int64(e, &v) == 0 && v == INT64_MIN);
    e = jr_next(e);
    CHECK(jread_int64(e, &v) != 0 && jread_number(e) == 18446744073709551616.0); /* too big */
    e = jr_next(e);
    CHECK(isinf(jread_number(e)) && jread_int64(e, &v) != 0);
    e = jr_next(e);
    CHECK(jread_number(e) == 0 && signbit(jread_number(e)));
    e = jr_next(e);
    CHECK(jread_number(e) == 123456789012345.0);
    e = jr_next(e);
    CHECK(jread_number(e) == 0.1 && jread_int64(e, &v) != 0);
    e = jr_next(e);
    CHECK(jread_number(e) == 100.0 && jread_int64(e, &v) != 0);
    jread_free(&r);
}

/* What JSON does not allow (and cJSON let through) is refused, saying what
 * and where. */
static void test_refusals(void)
{
    CHECK(refuses("", "ends where a value should be", 0));
    CHECK(refuses("  ", "ends where a value should be", 2));
    CHECK(refuses("{\"a\":1} x", "text after the JSON value", 8));
    CHECK(refuses("[01]", "element not followed by a comma", 2));
    CHECK(refuses("[1.]", "digits after its decimal point", 3));
    CHECK(refuses("-.5", "number without digits", 1));
    CHECK(refuses("1e", "digits in its exponent", 2));
    CHECK(refuses("[1,]", "not a JSON value", 3));
    CHECK(refuses("{\"a\" 1}", "without a colon", 5));
    CHECK(refuses("{a:1}", "without a name in quotes", 1));
    CHECK(refuses("\"tab\there\"", "control character", 4));
    CHECK(refuses("\"\\x\"", "unknown escape", 1));
    CHECK(refuses("\"\\u12\"", "four hex digits", 1));
    CHECK(refuses("\"\\udc00\"", "low half", 7));
    CHECK(refuses("\"\\ud800x\"", "high half", 7));
    CHECK(refuses("\"open", "without its closing quote", 5));
    CHECK(refuses("tru", "not a JSON value", 0));
    CHECK(refuses("[true false]", "not followed by a comma", 6));
}

static void test_depth(void)
{
    jread r;
    jread_init(&r);
    char *deep = malloc(2 * JREAD_MAX_DEPTH + 3);
    CHECK(deep != NULL);
    if (!deep)
        return;
    memset(deep, '[', JREAD_MAX_DEPTH);
    memset(deep + JREAD_MAX_DEPTH, ']', JREAD_MAX_DEPTH);
    deep[2 * JREAD_MAX_DEPTH] = '\0';
    CHECK(read_text(&r, deep, 0) == 0 && r.n == JREAD_MAX_DEPTH);
    memset(deep, '[', JREAD_MAX_DEPTH + 1);
    memset(deep + JREAD_MAX_DEPTH + 1, ']', JREAD_MAX_DEPTH + 1);
    deep[2 * JREAD_MAX_DEPTH + 2] = '\0';
    CHECK(read_text(&r, deep, 0) != 0 && strstr(r.error, "deeper than 1000") &&
          r.error_at == JREAD_MAX_DEPTH);
    free(deep);
    jread_free(&r);
}

/* The arrays are kept for the next read, but not when they grew big. */
static void test_reuse_and_trim(void)
{
    jread r;
    jread_init(&r);
    CHECK(read_text(&r, "[1,2,3]", 0) == 0 && r.n == 4);
    jr_node *kept = r.nodes;
    jread_trim(&r);
    CHECK(r.nodes == kept && read_text(&r, "{\"x\":\"\\n\"}", 0) == 0 && r.n == 2);
    CHECK(r.nodes[1].len == 1 && r.nodes[1].s[0] == '\n');
    size_t n = 10000;
    char *big = malloc(2 * n + 2);
    CHECK(big != NULL);
    if (!big)
        return;
    big[0] = '[';
    for (size_t i = 0; i < n; i++) {
        big[1 + 2 * i] = '0';
        big[2 + 2 * i] = i + 1 < n ? ',' : ']';
    }
    big[2 * n + 1] = '\0';
    CHECK(read_text(&r, big, 0) == 0 && r.n == n + 1 && r.nodes[0].count == n);
    jread_trim(&r);
    CHECK(r.nodes == NULL && r.cap == 0);
    CHECK(read_text(&r, "true", 0) == 0 && r.nodes[0].type == JR_TRUE);
    free(big);
    jread_free(&r);
}

int main(void)
{
    RUN(test_values);
    RUN(test_strings);
    RUN(test_numbers);
    RUN(test_refusals);
    RUN(test_depth);
    RUN(test_reuse_and_trim);
    CTEST_DONE();
}
