/* errclass: what an error code means for a retry, in one place (the
 * parser marks answers retryable with it, the retry policy counts
 * throttles and spots a skewed clock with it). */
#ifndef OMICS_ERRCLASS_H
#define OMICS_ERRCLASS_H

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* A throttling answer: HTTP 429 or one of the SDKs' throttling codes. */
int errclass_is_throttle(const char *code, long status);
/* A code the SDKs retry as transient (a timeout, a busy service). */
int errclass_is_transient(const char *code);
/* An answer that says the request's time is too far from the service's. */
int errclass_is_clock_skew(const omics_error *err);

#pragma GCC visibility pop

#endif
