/* b64: RFC 4648 base64, strict decoding. */
#include <string.h>

#include "b64.h"
#include "ctest.h"

static const char *enc(const char *s, size_t n)
{
    static char out[256];
    buf b;
    buf_init(&b);
    b64_encode(&b, s, n);
    snprintf(out, sizeof out, "%s", buf_str(&b) ? buf_str(&b) : "(oom)");
    buf_free(&b);
    return out;
}

/* The decoded text, or "(rejected)". */
static const char *dec(const char *s)
{
    static char out[256];
    buf b;
    buf_init(&b);
    if (b64_decode(&b, s, strlen(s)) != 0)
        snprintf(out, sizeof out, "(rejected)");
    else
        snprintf(out, sizeof out, "%s", buf_str(&b) ? buf_str(&b) : "(oom)");
    buf_free(&b);
    return out;
}

static void test_rfc4648_vectors(void)
{
    static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const coded[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                        "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        CHECK_STR(enc(plain[i], strlen(plain[i])), coded[i]);
        CHECK_STR(dec(coded[i]), plain[i]);
    }
}

static void test_binary(void)
{
    /* every byte value, and the two characters beyond the alphanumerics */
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    buf e, d;
    buf_init(&e);
    buf_init(&d);
    b64_encode(&e, all, sizeof all);
    CHECK(e.len == 344);
    CHECK(b64_decode(&d, e.p, e.len) == 0);
    CHECK(d.len == 256 && memcmp(d.p, all, 256) == 0);
    buf_free(&e);
    buf_free(&d);

    CHECK_STR(enc("\xfb\xff\xbf", 3), "+/+/");
    CHECK_STR(dec("+/+/"), "\xfb\xff\xbf");
    CHECK_STR(enc("\0\0\0", 3), "AAAA");
}

static void test_appends(void)
{
    /* encode and decode add to what the buffer holds */
    buf b;
    buf_init(&b);
    buf_adds(&b, "x=");
    b64_encode(&b, "foo", 3);
    CHECK_STR(buf_str(&b), "x=Zm9v");
    buf_reset(&b);
    buf_adds(&b, ">");
    CHECK(b64_decode(&b, "Zm9v", 4) == 0);
    CHECK_STR(buf_str(&b), ">foo");
    /* a failed decode leaves the buffer as it was */
    CHECK(b64_decode(&b, "Zm9v!", 5) != 0);
    CHECK_STR(buf_str(&b), ">foo");
    CHECK(b.len == 4);
    buf_free(&b);
}

static void test_no_padding(void)
{
    CHECK_STR(dec("Zg"), "f");
    CHECK_STR(dec("Zm8"), "fo");
    CHECK_STR(dec("Zm9vYg"), "foob");
    CHECK_STR(dec("Zm9vYmE"), "fooba");
}

static void test_rejects(void)
{
    /* characters outside the standard alphabet */
    CHECK_STR(dec("Zm9v YmFy"), "(rejected)");
    CHECK_STR(dec("Zm9v\nYmFy"), "(rejected)");
    CHECK_STR(dec("Zm9v-_Fy"), "(rejected)"); /* the URL-safe alphabet */
    CHECK_STR(dec("Zm9v*mFy"), "(rejected)");
    CHECK_STR(dec("Zm9v\x80mFy"), "(rejected)");
    /* padding in the middle, or where there is nothing to pad */
    CHECK_STR(dec("Zg==Zg=="), "(rejected)");
    CHECK_STR(dec("Z=g="), "(rejected)");
    CHECK_STR(dec("Zm9v="), "(rejected)");
    CHECK_STR(dec("Zm9v===="), "(rejected)");
    CHECK_STR(dec("Zg==="), "(rejected)");
    CHECK_STR(dec("Zm8=="), "(rejected)");
    CHECK_STR(dec("="), "(rejected)");
    CHECK_STR(dec("===="), "(rejected)");
    /* a length that cannot be base64 */
    CHECK_STR(dec("Z"), "(rejected)");
    CHECK_STR(dec("Zm9vY"), "(rejected)");
    CHECK_STR(dec("Z==="), "(rejected)");
}

int main(void)
{
    RUN(test_rfc4648_vectors);
    RUN(test_binary);
    RUN(test_appends);
    RUN(test_no_padding);
    RUN(test_rejects);
    CTEST_DONE();
}
