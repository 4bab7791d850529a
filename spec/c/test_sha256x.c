/* sha256x: SHA-256 on the CPU's SHA extensions agrees with the published
 * test vectors and with mbedTLS for every length and every way of cutting
 * the input; hash.c's SHA-256 and HMAC give the same answers whichever is
 * used.  (On a CPU without the extensions, or under valgrind, the cases
 * check the mbedTLS path hash.c falls back to.) */
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "ctest.h"
#include "hash.h"
#include "sha256x.h"

static void hex_of(const unsigned char d[32], char out[65])
{
    hash_hex(d, out);
}

static void mbed(const void *p, size_t n, unsigned char out[32])
{
    mbedtls_md(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), p, n, out);
}

/* FIPS 180-2's examples, through hash_sha256 (whichever code it runs). */
static void test_vectors(void)
{
    static const struct {
        const char *in;
        const char *want;
    } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    unsigned char d[32];
    char hx[65];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        CHECK(hash_sha256(v[i].in, strlen(v[i].in), d) == 0);
        hex_of(d, hx);
        CHECK_STR(hx, v[i].want);
    }
    char *million = malloc(1000000);
    memset(million, 'a', 1000000);
    CHECK(hash_sha256(million, 1000000, d) == 0);
    hex_of(d, hx);
    CHECK_STR(hx, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

/* Every length to 300 bytes, each cut in three pieces at many places. */
static void test_agrees_with_mbedtls(void)
{
    if (!sha256x_available()) {
        /* nothing of sha256x's can run here: hash.c is mbedTLS alone */
        unsigned char a[32], b[32];
        CHECK(hash_sha256("x", 1, a) == 0);
        mbed("x", 1, b);
        CHECK(memcmp(a, b, 32) == 0);
        return;
    }
    unsigned char data[300], a[32], b[32];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    int bad = 0;
    for (size_t n = 0; n <= sizeof data; n++) {
        mbed(data, n, b);
        for (size_t cut = 0; cut <= n; cut += 1 + n / 7) {
            size_t cut2 = cut + (n - cut) / 2;
            sha256x c;
            sha256x_init(&c);
            sha256x_update(&c, data, cut);
            sha256x_update(&c, data + cut, cut2 - cut);
            sha256x_update(&c, data + cut2, n - cut2);
            sha256x_final(&c, a);
            bad += memcmp(a, b, 32) != 0;
        }
    }
    CHECK(bad == 0);
}

/* HMAC with a prepared key (the signer's) against mbedTLS's HMAC. */
static void test_hmac(void)
{
    unsigned char key[100], msg[200], a[32], b[32];
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (unsigned char)(i * 3);
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (unsigned char)(i * 5 + 1);
    int bad = 0;
    for (size_t klen = 0; klen <= sizeof key; klen += 20) {
        hash_hmac *h = hash_hmac_new(key, klen);
        CHECK(h != NULL);
        for (size_t n = 0; h && n <= sizeof msg; n += 13) {
            CHECK(hash_hmac_run(h, msg, n, a) == 0);
            mbedtls_md_hmac(mbedtls_md_info_from_type(MBEDTLS_MD_SHA256), key, klen, msg, n, b);
            bad += memcmp(a, b, 32) != 0;
        }
        hash_hmac_free(h);
    }
    CHECK(bad == 0);
}

int main(void)
{
    RUN(test_vectors);
    RUN(test_agrees_with_mbedtls);
    RUN(test_hmac);
    CTEST_DONE();
}
