/* creds: where credentials come from.  The chain is tried in the AWS SDKs'
 * order; a provider that does not apply is skipped, and when none applies the
 * error lists what was tried.  (Providers that fetch temporary credentials
 * plug in here and set an expiration; the client refreshes before it.) */
#ifndef OMICS_CREDS_H
#define OMICS_CREDS_H

#include "config.h"
#include "omics.h"

/* Resolve into out (which the caller clears).  explicit_creds, when not NULL,
 * is the credentials option and wins over everything. */
int creds_resolve(const config_profile *profile, const omics_credentials *explicit_creds,
                  omics_credentials *out, omics_error *err);

int creds_copy(omics_credentials *dst, const omics_credentials *src, omics_error *err);

#endif
