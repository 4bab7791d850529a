/* b64: standard base64 (RFC 4648, with padding). */
#ifndef OMICS_B64_H
#define OMICS_B64_H

#include <stddef.h>

#include "buf.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

void b64_encode(buf *b, const void *p, size_t n);
/* Strict: only the standard alphabet, padding optional, no whitespace.
 * Returns -1 on anything else. */
int b64_decode(buf *b, const char *s, size_t n);

#pragma GCC visibility pop

#endif
