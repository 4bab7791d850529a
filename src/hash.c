#include "hash.h"

#include <mbedtls/md.h>

static const mbedtls_md_info_t *sha256_info(void)
{
    return mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
}

int hash_sha256(const void *p, size_t n, unsigned char out[HASH_LEN])
{
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
