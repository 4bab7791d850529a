/* hash: SHA-256 and HMAC-SHA-256 through mbedTLS's generic md API (the same
 * on mbedTLS 2.x and 3.x), or through the CPU's SHA extensions where it has
 * them (sha256x.c; OMICS_NO_SHA_NI=1 keeps to mbedTLS). */
#ifndef OMICS_HASH_H
#define OMICS_HASH_H

#include <stddef.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

#define HASH_LEN 32

int hash_sha256(const void *p, size_t n, unsigned char out[HASH_LEN]);
int hash_hmac_sha256(const void *key, size_t klen, const void *p, size_t n,
                     unsigned char out[HASH_LEN]);
/* A key made ready for many HMAC-SHA-256s: the SHA-256 states after its inner
 * and outer pads are kept, so each HMAC hashes only the message and the inner
 * digest (two blocks fewer than hash_hmac_sha256, and no allocation).  Freed
 * (and wiped) by hash_hmac_free. */
typedef struct hash_hmac hash_hmac;
hash_hmac *hash_hmac_new(const void *key, size_t klen);
int hash_hmac_run(hash_hmac *h, const void *p, size_t n, unsigned char out[HASH_LEN]);
void hash_hmac_free(hash_hmac *h);
/* SHA-1, for the names of the SSO token cache's files (not for security). */
int hash_sha1_hex(const void *p, size_t n, char out[41]);
/* 64 lower-case hex digits and a NUL. */
void hash_hex(const unsigned char in[HASH_LEN], char out[2 * HASH_LEN + 1]);

#pragma GCC visibility pop

#endif
