/* uri: percent-encoding as AWS signs it (RFC 3986 unreserved characters kept,
 * every other byte as %XX with upper-case hex). */
#ifndef OMICS_URI_H
#define OMICS_URI_H

#include <stddef.h>

#include "buf.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Append s[0..n) encoded; '/' is kept when keep_slash is set. */
void uri_encode(buf *b, const char *s, size_t n, int keep_slash);
/* Append s[0..n) with %XX sequences decoded; a '%' that does not start a valid
 * sequence is kept as it is. */
void uri_decode(buf *b, const char *s, size_t n);
int uri_is_unreserved(unsigned char c);

#pragma GCC visibility pop

#endif
