/* settings: a client's region, endpoint and retry settings, resolved from
 * its options, the environment and the shared config profile. */
#ifndef OMICS_SETTINGS_H
#define OMICS_SETTINGS_H

#include "config.h"
#include "endpoint.h"
#include "omics.h"
#include "retry.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* The region (malloc'd): option, AWS_REGION, AWS_DEFAULT_REGION, the
 * profile, then the instance's own (EC2); NULL with NoRegionError. */
char *settings_region(const omics_client_opts *o, const config_profile *p, omics_error *err);
/* The endpoint: option, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the
 * profile's endpoint_url, else the model's rules for region. */
int settings_endpoint(const omics_model *m, const char *region, const omics_client_opts *o,
                      const config_profile *p, endpoint *ep, omics_error *err);
/* retry_mode and max_attempts: option, environment, profile; r initialised. */
int settings_retry(const omics_client_opts *o, const config_profile *p, retry_state *r,
                   omics_error *err);
/* The application's id for the User-Agent: the app_id option,
 * AWS_SDK_UA_APP_ID, the profile's sdk_ua_app_id; "" when none.  At most
 * 50 characters of a header token; -1 with err naming where it came from. */
int settings_app_id(const omics_client_opts *o, const config_profile *p, char *out, size_t n,
                    omics_error *err);
/* An environment variable set to "true" (any case). */
int settings_env_true(const char *name);

#pragma GCC visibility pop

#endif
