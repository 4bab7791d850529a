#include "hash.h"

#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "sha256x.h"

static const mbedtls_md_info_t *sha256_info(void)
{
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}

int hash_sha256(const void *p, size_t n, unsigned char out[HASH_LEN])
{
    if (sha256x_available()) {
        sha256x c;
        sha256x_init(&c);
        sha256x_update(&c, p, n);
        sha256x_final(&c, out);
        return 0;
    }
    const mbedtls_md_info_t *info = sha256_info();
    if (!info || mbedtls_md(info, p, n, out) != 0)
        return -1;
    return 0;
}

int hash_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
                     unsigned char out[HASH_LEN])
{
    const mbedtls_md_info_t *info = sha256_info();
    if (!info || mbedtls_md_hmac(info, key, klen, p, n, out) != 0)
        return -1;
    return 0;
}

#define HASH_BLOCK 64

struct hash_hmac {
    mbedtls_md_context_t inner; /* SHA-256 after key ^ ipad */
    mbedtls_md_context_t outer; /* SHA-256 after key ^ opad */
    mbedtls_md_context_t work;
    int x;                      /* the CPU's SHA extensions instead: */
    sha256x xinner, xouter;
};

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

hash_hmac *hash_hmac_new(const void *key, size_t klen)
{
    const mbedtls_md_info_t *info = sha256_info();
    hash_hmac *h = calloc(1, sizeof *h);
    if (!info || !h) {
        free(h);
        return NULL;
    }
    mbedtls_md_init(&h->inner);
    mbedtls_md_init(&h->outer);
    mbedtls_md_init(&h->work);
    unsigned char k[HASH_BLOCK], ipad[HASH_BLOCK], opad[HASH_BLOCK];
    memset(k, 0, sizeof k);
    int rc = 0;
    if (klen > HASH_BLOCK)
        rc = mbedtls_md(info, key, klen, k); /* a long key is its digest */
    else if (klen)
        memcpy(k, key, klen);
    for (int i = 0; i < HASH_BLOCK; i++) {
        ipad[i] = (unsigned char)(k[i] ^ 0x36);
        opad[i] = (unsigned char)(k[i] ^ 0x5c);
    }
    if ((h->x = sha256x_available())) {
        sha256x_init(&h->xinner);
        sha256x_update(&h->xinner, ipad, HASH_BLOCK);
        sha256x_init(&h->xouter);
        sha256x_update(&h->xouter, opad, HASH_BLOCK);
    }
    rc = rc || mbedtls_md_setup(&h->inner, info, 0) || mbedtls_md_setup(&h->outer, info, 0) ||
         mbedtls_md_setup(&h->work, info, 0) || mbedtls_md_starts(&h->inner) ||
         mbedtls_md_update(&h->inner, ipad, HASH_BLOCK) || mbedtls_md_starts(&h->outer) ||
         mbedtls_md_update(&h->outer, opad, HASH_BLOCK);
    wipe(k, sizeof k);
    wipe(ipad, sizeof ipad);
    wipe(opad, sizeof opad);
    if (rc) {
        hash_hmac_free(h);
        return NULL;
    }
    return h;
}

int hash_hmac_run(hash_hmac *h, const void *p, size_t n, unsigned char out[HASH_LEN])
{
    unsigned char inner[HASH_LEN];
    if (h->x) {
        sha256x w = h->xinner;
        sha256x_update(&w, p, n);
        sha256x_final(&w, inner);
        w = h->xouter;
        sha256x_update(&w, inner, HASH_LEN);
        sha256x_final(&w, out);
        wipe(&w, sizeof w);
        wipe(inner, sizeof inner);
        return 0;
    }
    int rc = mbedtls_md_clone(&h->work, &h->inner) || mbedtls_md_update(&h->work, p, n) ||
             mbedtls_md_finish(&h->work, inner) || mbedtls_md_clone(&h->work, &h->outer) ||
             mbedtls_md_update(&h->work, inner, HASH_LEN) || mbedtls_md_finish(&h->work, out);
    wipe(inner, sizeof inner);
    return rc ? -1 : 0;
}

void hash_hmac_free(hash_hmac *h)
{
    if (!h)
        return;
    /* mbedtls_md_free wipes each state before freeing it */
    mbedtls_md_free(&h->inner);
    mbedtls_md_free(&h->outer);
    mbedtls_md_free(&h->work);
    wipe(h, sizeof *h);
    free(h);
}

void hash_hex(const unsigned char in[HASH_LEN], char out[2 * HASH_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < HASH_LEN; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * HASH_LEN] = '\0';
}

int hash_sha1_hex(const void *p, size_t n, char out[41])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char h[20];
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA1);
    if (!info || mbedtls_md(info, p, n, h) != 0)
        return -1;
    for (int i = 0; i < 20; i++) {
        out[2 * i] = digits[h[i] >> 4];
        out[2 * i + 1] = digits[h[i] & 15];
    }
    out[40] = '\0';
    return 0;
}
