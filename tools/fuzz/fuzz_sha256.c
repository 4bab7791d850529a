/* libFuzzer entry point for src/sha256x.c (SHA-256 on the CPU's SHA
 * extensions) and hash.c's HMAC, against mbedTLS.
 *
 * Input: byte 0 and byte 1 pick two cut points and a key length; the rest
 * is the message.  Checked, when the CPU has the extensions: sha256x fed in
 * three pieces gives mbedTLS's digest of the whole; hash_hmac_run with a
 * key of the message's first bytes gives mbedTLS's HMAC.  Without them
 * (sha256x_available() 0) only the HMAC through mbedTLS runs. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "hash.h"
#include "sha256x.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sha256: property violated: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const uint8_t *m = data + 2;
    size_t n = size - 2;
    size_t cut1 = n ? data[0] * 257u % (n + 1) : 0;
    size_t cut2 = cut1 + (n - cut1 ? data[1] * 131u % (n - cut1 + 1) : 0);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
    unsigned char want[32], got[32];
    if (sha256x_available()) {
        mbedtls_md(info, m, n, want);
        sha256x c;
        sha256x_init(&c);
        sha256x_update(&c, m, cut1);
        sha256x_update(&c, m + cut1, cut2 - cut1);
        sha256x_update(&c, m + cut2, n - cut2);
        sha256x_final(&c, got);
        check(memcmp(want, got, 32) == 0, "sha256x differs from mbedTLS");
    }
    size_t klen = data[1] % 100 < n ? data[1] % 100 : n;
    hash_hmac *h = hash_hmac_new(m, klen);
    check(h != NULL, "no HMAC key");
    check(hash_hmac_run(h, m + klen, n - klen, got) == 0, "HMAC failed");
    mbedtls_md_hmac(info, m, klen, m + klen, n - klen, want);
    check(memcmp(want, got, 32) == 0, "HMAC differs from mbedTLS");
    hash_hmac_free(h);
    return 0;
}
