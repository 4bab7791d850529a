/* credentials: the credentials value, below the chain and every provider
 * (see credentials.c). */
#ifndef OMICS_CREDENTIALS_H
#define OMICS_CREDENTIALS_H

#include <stddef.h>

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Zero a secret string, then free it (NULL is fine). */
void creds_wipe_free(char *s);

/* -1 (InvalidCredentials, naming the field and the provider but never the
 * value) when a field holds a control character; any field may be NULL. */
int creds_check(const char *akid, const char *secret, const char *token, const char *provider,
                omics_error *err);

int creds_copy(omics_credentials *dst, const omics_credentials *src, omics_error *err);

/* "2026-11-29T12:00:00Z" (or epoch seconds) as epoch seconds; 0 when absent. */
int creds_expiration(const char *text, double *out);

/* Credentials from a JSON object with the given member names (token_key and
 * exp_key may be NULL; exp_ms: the expiration is epoch milliseconds). */
int creds_from_json(const char *text, size_t len, const char *akid_key, const char *secret_key,
                    const char *token_key, const char *exp_key, int exp_ms, const char *provider,
                    omics_credentials *out, omics_error *err);

/* A file's contents (at most 64 kB), without trailing white space; NULL with
 * err (code) when it cannot be read or is empty. */
char *creds_read_file(const char *path, const char *code, omics_error *err);

#pragma GCC visibility pop

#endif
