/* creds: where credentials come from, in the AWS SDKs' (botocore's) order:
 *
 *   1. the credentials option, or a function of the caller's
 *   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (skipped when the profile
 *      was given as an option)
 *   3. the profile's role_arn with source_profile or credential_source
 *      (STS AssumeRole; chains of profiles, with loop detection)
 *   4. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the
 *      profile's web_identity_token_file + role_arn (STS
 *      AssumeRoleWithWebIdentity)
 *   5. the profile's SSO settings (sso_session or the legacy sso_* keys)
 *   6. the profile's keys in the shared credentials file
 *   7. the profile's credential_process
 *   8. the profile's keys in the shared config file
 *   9. ECS/EKS container credentials (AWS_CONTAINER_CREDENTIALS_*)
 *  10. EC2 instance metadata (IMDSv2), unless AWS_EC2_METADATA_DISABLED
 *
 * A source that does not apply is skipped; when none applies the error lists
 * what was tried.  The sources that fetch over the network live in their own
 * files (creds_sts.c, creds_sso.c, creds_ec2.c, creds_container.c,
 * creds_process.c). */
#ifndef OMICS_CREDS_H
#define OMICS_CREDS_H

#include "buf.h"
#include "config.h"
#include "credentials.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)


/* STS: AssumeRole signed with src; AssumeRoleWithWebIdentity unsigned.
 * duration 0: STS's default.  Regional endpoint sts.<region>.amazonaws.com,
 * or AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL. */
int creds_sts_assume_role(const char *region, const omics_credentials *src, const char *role_arn,
                          const char *session, const char *external_id, int duration,
                          omics_credentials *out, omics_error *err);
int creds_sts_web_identity(const char *region, const char *role_arn, const char *session,
                           const char *token, int duration, omics_credentials *out,
                           omics_error *err);

/* SSO: the token cached by `aws sso login`, then GetRoleCredentials. */
int creds_sso(const config_profile *prof, const char *profile, omics_credentials *out,
              omics_error *err);

/* EC2 instance metadata (IMDSv2, v1 only when allowed), within a one-second
 * budget.  creds_ec2 returns 1 with credentials, 0 when there is no instance
 * metadata to be had (with the reason in why), -1 on an error. */
int creds_ec2(omics_credentials *out, buf *why, omics_error *err);
/* The instance's region into out, 0; -1 when there is none within budget. */
int creds_ec2_region(char *out, size_t n);

/* ECS/EKS container credentials: 1, 0 when not configured, -1 on an error. */
int creds_container(omics_credentials *out, omics_error *err);

/* credential_process: run the command, read its JSON. */
int creds_process(const char *command, double timeout, omics_credentials *out,
                  omics_error *err);


#pragma GCC visibility pop

#endif
