/* gzip: request compression (the model's requestcompression trait) into the
 * gzip format (RFC 1952) with DEFLATE (RFC 1951), without a library. */
#ifndef OMICS_GZIP_H
#define OMICS_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Append the gzip form of p[0..n) to out; -1 when out of memory. */
int gzip_compress(buf *out, const void *p, size_t n);
/* The CRC-32 of gzip and zlib (polynomial 0xEDB88320). */
uint32_t gzip_crc32(const void *p, size_t n);

#pragma GCC visibility pop

#endif
