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
#include "http.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)


/* ------------------------------------------------- fetches (creds_fetch.c)
 * Every fetch of a source goes through creds_fetch_http or creds_fetch_run.
 * With no replay set for the thread they are made at once (libcurl, a child
 * process).  Under a replay (a provider being stepped), a fetch is answered
 * from the replay's record; the first without an answer becomes the pending
 * fetch, and it and every fetch after it fail with CredentialsPending: the
 * sources give up, the driver makes the fetch, and they run again. */
typedef struct creds_answer {
    char *what;      /* "GET url", "RUN command": the same fetch asked again? */
    long status;     /* HTTP status, or the command's exit status */
    buf out;         /* the body, or the command's stdout */
    buf errout;      /* the command's stderr */
    omics_error err; /* the fetch failed: err.code set */
} creds_answer;

typedef struct creds_wire creds_wire; /* creds_wire.c: the pending fetch as bytes */

typedef struct creds_replay {
    double started;          /* when the first run began (budgets count from it) */
    creds_answer *answers;
    size_t n, cap;
    size_t next;             /* the fetch of the run in progress */
    int pending;             /* req waits for its answer */
    int changed;             /* a run asked for another fetch than the record's */
    omics_fetch req;         /* its parts in store */
    char *what;
    buf store;
    const char *lines[8];
    creds_wire *wire;
} creds_replay;

void creds_replay_reset(creds_replay *r);
/* The answer of the pending fetch: kept, and pending cleared; -1 with err
 * when nothing was pending. */
int creds_replay_record(creds_replay *r, long status, const char *out, size_t out_len,
                        const char *errout, size_t errout_len, const omics_error *failed,
                        omics_error *err);
/* Set r as the thread's replay (NULL: none); the one before is returned. */
creds_replay *creds_replay_use(creds_replay *r);
int creds_fetch_pending(void);
/* When the fetches of this run began (the replay's start): budgets count from it. */
double creds_fetch_started(void);
int creds_fetch_http(const http_fetch_req *r, long *status, buf *body, omics_error *err);
int creds_fetch_run(const char *command, double timeout, size_t max_output, buf *out,
                    buf *errout, int *status, omics_error *err);
/* Make r's pending fetch at once, blocking the thread (libcurl, a child),
 * and record its answer; -1 with err when it cannot be recorded. */
int creds_fetch_blocking(creds_replay *r, omics_error *err);
/* (creds_wire.c) */
void creds_wire_free(creds_wire *w);
/* (creds.c) the provider's replay, for creds_wire.c */
creds_replay *creds_provider_replay(omics_provider *p);

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
