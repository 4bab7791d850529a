/* rnd: random bytes for request ids, idempotency tokens and retry jitter.
 *
 * Bytes come from getrandom(2), fetched a pool at a time so that a call does
 * not cost a system call.  The pool is per thread and is dropped in a child
 * process, however it was made, so parent and child never hand out the same
 * bytes (two processes must not send the same idempotency token). */
#ifndef OMICS_RND_H
#define OMICS_RND_H

#include <stddef.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Fill out with n random bytes.  Returns 0, or -1 when the kernel has no
 * entropy to give (out is then untouched). */
int rnd_bytes(void *out, size_t n);

#pragma GCC visibility pop

#endif
