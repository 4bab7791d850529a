/* uri: percent-encoding as SigV4 and the rest-json URIs need it. */
#include <string.h>

#include "ctest.h"
#include "uri.h"

static const char *enc(const char *s, size_t n, int keep_slash)
{
    static char out[512];
    buf b;
    buf_init(&b);
    uri_encode(&b, s, n, keep_slash);
    snprintf(out, sizeof out, "%s", buf_str(&b) ? buf_str(&b) : "(oom)");
    buf_free(&b);
    return out;
}

static const char *encs(const char *s, int keep_slash)
{
    return enc(s, strlen(s), keep_slash);
}

/* The decoded bytes, with their length checked. */
static const char *dec(const char *s, size_t want_len)
{
    static char out[512];
    buf b;
    buf_init(&b);
    uri_decode(&b, s, strlen(s));
    if (b.len != want_len)
        fprintf(stderr, "  \"%s\" decoded to %zu bytes, want %zu\n", s, b.len, want_len);
    memcpy(out, buf_str(&b), b.len + 1);
    buf_free(&b);
    return out;
}

static void test_unreserved(void)
{
    const char *u = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
    CHECK_STR(encs(u, 0), u);
    CHECK_STR(encs(u, 1), u);
    int count = 0;
    for (int c = 0; c < 256; c++)
        count += uri_is_unreserved((unsigned char)c) ? 1 : 0;
    CHECK(count == 66);
    CHECK(!uri_is_unreserved('/'));
    CHECK(!uri_is_unreserved('%'));
    CHECK(!uri_is_unreserved(' '));
    CHECK(!uri_is_unreserved(0x80));
}

static void test_encode(void)
{
    CHECK_STR(encs("", 0), "");
    CHECK_STR(encs("a b", 0), "a%20b");
    CHECK_STR(encs("a+b=c&d", 0), "a%2Bb%3Dc%26d");
    CHECK_STR(encs("100%", 0), "100%25");
    CHECK_STR(encs("!*'();:@$,?#[]", 0), "%21%2A%27%28%29%3B%3A%40%24%2C%3F%23%5B%5D");
    /* '/' only when asked to keep it */
    CHECK_STR(encs("/a/b c/", 0), "%2Fa%2Fb%20c%2F");
    CHECK_STR(encs("/a/b c/", 1), "/a/b%20c/");
    CHECK_STR(encs("arn:aws:omics:us-east-1:123456789012:referenceStore/1234", 0),
              "arn%3Aaws%3Aomics%3Aus-east-1%3A123456789012%3AreferenceStore%2F1234");
    /* upper-case hex, every byte of a UTF-8 sequence */
    CHECK_STR(encs("\xe1\x88\xb4", 0), "%E1%88%B4");
    CHECK_STR(encs("caf\xc3\xa9", 1), "caf%C3%A9");
    CHECK_STR(encs("\xf0\x9f\x98\x80", 0), "%F0%9F%98%80");
    CHECK_STR(encs("\x7f\xff", 0), "%7F%FF");
    /* a NUL byte is data like any other */
    CHECK_STR(enc("a\0b", 3, 0), "a%00b");
}

static void test_appends(void)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, "/p/");
    uri_encode(&b, "x y", 3, 0);
    buf_addc(&b, '?');
    uri_decode(&b, "%41", 3);
    CHECK_STR(buf_str(&b), "/p/x%20y?A");
    buf_free(&b);
}

static void test_decode(void)
{
    CHECK_STR(dec("", 0), "");
    CHECK_STR(dec("a%20b", 3), "a b");
    CHECK_STR(dec("%2Fa%2fb", 4), "/a/b");
    CHECK_STR(dec("%E1%88%B4", 3), "\xe1\x88\xb4");
    CHECK_STR(dec("%e1%88%b4", 3), "\xe1\x88\xb4");
    CHECK_STR(dec("a+b", 3), "a+b"); /* '+' is not a space here */
    CHECK_STR(dec("%25", 1), "%");
    CHECK_STR(dec("%2525", 3), "%25"); /* decoded once only */
    /* a '%' that does not start a valid sequence stays as it is */
    CHECK_STR(dec("100%", 4), "100%");
    CHECK_STR(dec("%4", 2), "%4");
    CHECK_STR(dec("%G1", 3), "%G1");
    CHECK_STR(dec("%1G", 3), "%1G");
    CHECK_STR(dec("%%41", 2), "%A");
    CHECK_STR(dec("a%", 2), "a%");
    CHECK_STR(dec("%-1", 3), "%-1");
    /* %00 gives a real NUL byte */
    buf b;
    buf_init(&b);
    uri_decode(&b, "a%00b", 5);
    CHECK(b.len == 3 && memcmp(b.p, "a\0b", 3) == 0);
    buf_free(&b);
}

static void test_round_trip(void)
{
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    buf e, d;
    buf_init(&e);
    buf_init(&d);
    uri_encode(&e, all, sizeof all, 0);
    uri_decode(&d, e.p, e.len);
    CHECK(d.len == 256 && memcmp(d.p, all, 256) == 0);
    CHECK(e.len == 66 + 190 * 3);
    buf_free(&e);
    buf_free(&d);
}

int main(void)
{
    RUN(test_unreserved);
    RUN(test_encode);
    RUN(test_appends);
    RUN(test_decode);
    RUN(test_round_trip);
    CTEST_DONE();
}
