/* sha256x: SHA-256 on the CPU's SHA extensions (x86-64 SHA-NI), which hash
 * a block about ten times faster than mbedTLS's portable code.  hash.c uses
 * it when sha256x_available() says the CPU has them and mbedTLS otherwise;
 * tools/fuzz/fuzz_sha256.c checks the two agree. */
#ifndef OMICS_SHA256X_H
#define OMICS_SHA256X_H

#include <stddef.h>
#include <stdint.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct sha256x {
    uint32_t h[8];
    unsigned char buf[64];
    size_t n;        /* bytes in buf */
    uint64_t total;  /* bytes hashed in all */
} sha256x;

/* 1 when this CPU (and this build) can run the functions below; the
 * environment variable OMICS_NO_SHA_NI=1 says no (for tests and checks). */
int sha256x_available(void);
void sha256x_init(sha256x *c);
void sha256x_update(sha256x *c, const void *p, size_t n);
void sha256x_final(sha256x *c, unsigned char out[32]);

#pragma GCC visibility pop

#endif
