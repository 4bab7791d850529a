/* checksum: the body checksums a request may carry (Content-MD5 for the
 * model's httpChecksumRequired). */
#ifndef OMICS_CHECKSUM_H
#define OMICS_CHECKSUM_H

#include <stddef.h>

#include "buf.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Append the base64 MD5 of p[0..n) (a Content-MD5 value) to out; -1 when MD5
 * is not available or memory ran out. */
int checksum_md5_base64(buf *out, const void *p, size_t n);

#pragma GCC visibility pop

#endif
