/* b64: standard base64 (RFC 4648, with padding). */
#ifndef OMICS_B64_H
#define OMICS_B64_H

#include <stddef.h>

#include "buf.h"

void b64_encode(buf *b, const void *p, size_t n);
/* Strict: only the standard alphabet, padding optional, no whitespace.
 * Returns -1 on anything else. */
int b64_decode(buf *b, const char *s, size_t n);

#endif
