/* creds: the provider object, its cache and refresh windows, and the chain
 * of sources (see creds.h for the order). */
#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "options.h"

#define CREDS_ADVISORY 900.0  /* refresh when 15 minutes remain; keep old ones on failure */
#define CREDS_MANDATORY 600.0 /* must refresh when 10 minutes remain */
#define CREDS_MAX_CHAIN 16    /* profiles in one role chain */

typedef enum creds_source {
    SRC_NONE,
    SRC_EXPLICIT,
    SRC_FUNCTION,
    SRC_ENVIRONMENT,
    SRC_PROFILE, /* anything the profile says: roles, web identity, SSO, keys, process */
    SRC_CONTAINER,
    SRC_EC2
} creds_source;

struct omics_provider {
    int refs;
    config_profile prof;
    char *region;
    omics_credentials explicit_creds;
    int has_explicit;
    omics_credentials_fn fn;
    void *fn_ud;
    omics_clock_fn clock;
    void *clock_ud;
    double process_timeout;
    creds_source source; /* the one that applied, reused to refresh */
    omics_credentials cached;
    int have;
    int fetching; /* a fetch is running: a callback of it must not start another */
    int stepping; /* a refresh is under way (omics_provider_next) */
    creds_replay replay;
    char key[300]; /* omics_provider_key's */
};

/* ------------------------------------------------------ static sources */

/* A source answers 1 (credentials), 0 (does not apply) or -1 (an error). */
static int from_pair(const char *akid, const char *secret, const char *token,
                     const char *provider, const char *where, omics_credentials *out,
                     omics_error *err)
{
    if (!akid && !secret)
        return 0;
    if (!akid || !secret) {
        omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                        "%s has %s but not %s", where,
                        akid ? "an access key id" : "a secret access key",
                        akid ? "a secret access key" : "an access key id");
        return -1;
    }
    return omics_credentials_set(out, akid, secret, token, provider, err) ? -1 : 1;
}

static int from_environment(omics_credentials *out, omics_error *err)
{
    const char *token = config_env("AWS_SESSION_TOKEN");
    if (!token)
        token = config_env("AWS_SECURITY_TOKEN");
    return from_pair(config_env("AWS_ACCESS_KEY_ID"), config_env("AWS_SECRET_ACCESS_KEY"), token,
                     "environment", "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
                     out, err);
}

static int from_file_keys(const config_profile *prof, const char *name, int credentials_file,
                          omics_credentials *out, omics_error *err)
{
    const char *(*get)(const config_profile *, const char *, const char *) =
        credentials_file ? config_named_cred : config_named_get;
    char where[600];
    snprintf(where, sizeof where, "profile %s in %s", name,
             credentials_file ? prof->credentials_path : prof->config_path);
    const char *token = get(prof, name, "aws_session_token");
    if (!token)
        token = get(prof, name, "aws_security_token");
    return from_pair(get(prof, name, "aws_access_key_id"),
                     get(prof, name, "aws_secret_access_key"), token,
                     credentials_file ? "shared-credentials-file" : "config-file", where, out,
                     err);
}

/* ------------------------------------------------------------- profiles */

typedef struct creds_walk {
    omics_provider *p;
    const char *visited[CREDS_MAX_CHAIN];
    int depth;
} creds_walk;

static int profile_creds(creds_walk *w, const char *name, int top, omics_credentials *out,
                         omics_error *err);

static void session_name(char *out, size_t n, const char *configured)
{
    if (configured && *configured)
        snprintf(out, n, "%s", configured);
    else
        snprintf(out, n, "lua-omics-%.0f", omics_now() * 1000.0);
}

static int web_identity(omics_provider *p, const char *token_file, const char *role,
                        const char *session, omics_credentials *out, omics_error *err)
{
    char *token = creds_read_file(token_file, "WebIdentityTokenError", err);
    if (!token)
        return -1;
    char name[128];
    session_name(name, sizeof name, session);
    int rc = creds_sts_web_identity(p->region, role, name, token, 0, out, err);
    creds_wipe_free(token);
    if (rc)
        return -1;
    snprintf(out->provider, sizeof out->provider, "assume-role-with-web-identity");
    return 1;
}

/* AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME) */
static int env_web_identity(omics_provider *p, omics_credentials *out, omics_error *err)
{
    const char *file = config_env("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *role = config_env("AWS_ROLE_ARN");
    if (!file && !role)
        return 0;
    if (!file || !role)
        return omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                               "web identity needs both AWS_WEB_IDENTITY_TOKEN_FILE and "
                               "AWS_ROLE_ARN (only %s is set)",
                               file ? "AWS_WEB_IDENTITY_TOKEN_FILE" : "AWS_ROLE_ARN");
    return web_identity(p, file, role, config_env("AWS_ROLE_SESSION_NAME"), out, err);
}

/* Credentials from credential_source, for a role's AssumeRole. */
static int credential_source(omics_provider *p, const char *name, const char *source,
                             omics_credentials *out, omics_error *err)
{
    (void)p;
    int rc;
    if (strcmp(source, "Environment") == 0) {
        rc = from_environment(out, err);
    } else if (strcmp(source, "Ec2InstanceMetadata") == 0) {
        buf why;
        buf_init(&why);
        rc = creds_ec2(out, &why, err);
        if (rc == 0)
            omics_error_set(err, OMICS_ECREDENTIALS, "CredentialSourceError",
                            "profile %s: credential_source Ec2InstanceMetadata: %s", name,
                            buf_str(&why) ? buf_str(&why) : "no instance metadata");
        buf_free(&why);
    } else if (strcmp(source, "EcsContainer") == 0) {
        rc = creds_container(out, err);
    } else {
        omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                        "profile %s: credential_source must be Environment, "
                        "Ec2InstanceMetadata or EcsContainer, not %s",
                        name, source);
        return -1;
    }
    if (rc == 0) {
        if (!err->code[0])
            omics_error_set(err, OMICS_ECREDENTIALS, "CredentialSourceError",
                            "profile %s: credential_source %s has no credentials", name,
                            source);
        return -1;
    }
    return rc < 0 ? -1 : 1;
}

/* role_arn with source_profile or credential_source: AssumeRole. */
static int assume_role(creds_walk *w, const char *name, const char *role,
                       omics_credentials *out, omics_error *err)
{
    const config_profile *prof = &w->p->prof;
    const char *source_profile = config_named_get(prof, name, "source_profile");
    const char *source = config_named_get(prof, name, "credential_source");
    if (config_named_get(prof, name, "mfa_serial"))
        return omics_error_set(err, OMICS_ECREDENTIALS, "UnsupportedCredentialsError",
                               "profile %s has mfa_serial: MFA codes cannot be asked for here; "
                               "use a profile whose source has an MFA session already",
                               name),
               -1;
    if (source_profile && source)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                               "profile %s has both source_profile and credential_source", name),
               -1;
    omics_credentials src;
    memset(&src, 0, sizeof src);
    int rc;
    if (source) {
        rc = credential_source(w->p, name, source, &src, err);
    } else if (strcmp(source_profile, name) == 0) {
        /* a profile may use its own keys as the source of its role */
        rc = from_file_keys(prof, name, 1, &src, err);
        if (rc == 0)
            rc = from_file_keys(prof, name, 0, &src, err);
        if (rc == 0)
            rc = omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                                 "profile %s is its own source_profile but has no keys", name);
    } else {
        rc = profile_creds(w, source_profile, 0, &src, err);
        if (rc == 0)
            rc = omics_error_set(err, OMICS_ECREDENTIALS, "NoCredentialsError",
                                 "source_profile %s (of profile %s) has no credentials",
                                 source_profile, name);
    }
    if (rc < 0) {
        omics_credentials_clear(&src);
        return -1;
    }
    char session[128];
    session_name(session, sizeof session, config_named_get(prof, name, "role_session_name"));
    const char *duration = config_named_get(prof, name, "duration_seconds");
    int seconds = duration ? atoi(duration) : 0;
    if (duration && (seconds < 900 || seconds > 43200)) {
        omics_credentials_clear(&src);
        return omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                               "profile %s: duration_seconds must be from 900 to 43200", name),
               -1;
    }
    rc = creds_sts_assume_role(w->p->region, &src, role, session,
                               config_named_get(prof, name, "external_id"), seconds, out, err);
    omics_credentials_clear(&src);
    if (rc)
        return -1;
    snprintf(out->provider, sizeof out->provider, "assume-role");
    return 1;
}

/* Everything a named profile can say, in botocore's order.  top: the
 * client's own profile, where the environment's web identity comes between
 * a role and the rest. */
static int profile_creds(creds_walk *w, const char *name, int top, omics_credentials *out,
                         omics_error *err)
{
    const config_profile *prof = &w->p->prof;
    for (int i = 0; i < w->depth; i++)
        if (strcmp(w->visited[i], name) == 0)
            return omics_error_set(err, OMICS_ECONFIG, "InfiniteLoopConfigError",
                                   "profile %s is part of a loop of source_profile settings",
                                   name),
                   -1;
    if (w->depth == CREDS_MAX_CHAIN)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                               "role chain longer than %d profiles", CREDS_MAX_CHAIN),
               -1;
    if (!top && !config_named_exists(prof, name))
        return omics_error_set(err, OMICS_ECONFIG, "ProfileNotFound",
                               "the source profile (%s) could not be found", name),
               -1;
    w->visited[w->depth++] = name;
    int rc = 0;
    const char *role = config_named_get(prof, name, "role_arn");
    const char *token_file = config_named_get(prof, name, "web_identity_token_file");
    if (role && (config_named_get(prof, name, "source_profile") ||
                 config_named_get(prof, name, "credential_source")))
        rc = assume_role(w, name, role, out, err);
    if (rc == 0 && top)
        rc = env_web_identity(w->p, out, err);
    if (rc == 0 && role && token_file)
        rc = web_identity(w->p, token_file, role, config_named_get(prof, name, "role_session_name"),
                          out, err);
    if (rc == 0 && role && !token_file && !config_named_get(prof, name, "source_profile") &&
        !config_named_get(prof, name, "credential_source"))
        rc = omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                             "profile %s has role_arn but no source_profile, credential_source "
                             "or web_identity_token_file",
                             name);
    if (rc == 0 && (config_named_get(prof, name, "sso_session") ||
                    config_named_get(prof, name, "sso_start_url") ||
                    config_named_get(prof, name, "sso_account_id"))) {
        rc = creds_sso(prof, name, out, err) ? -1 : 1;
    }
    if (rc == 0)
        rc = from_file_keys(prof, name, 1, out, err);
    if (rc == 0) {
        const char *command = config_named_get(prof, name, "credential_process");
        if (command) {
            rc = creds_process(command, w->p->process_timeout, out, err) ? -1 : 1;
            if (rc > 0)
                snprintf(out->provider, sizeof out->provider, "credential-process");
        }
    }
    if (rc == 0)
        rc = from_file_keys(prof, name, 0, out, err);
    w->depth--;
    return rc;
}

/* ---------------------------------------------------------------- chain */

static int run_source(omics_provider *p, creds_source s, omics_credentials *out, buf *why,
                      omics_error *err)
{
    switch (s) {
    case SRC_EXPLICIT:
        if (!p->has_explicit)
            return 0;
        if (creds_copy(out, &p->explicit_creds, err))
            return -1;
        snprintf(out->provider, sizeof out->provider, "option");
        return 1;
    case SRC_FUNCTION:
        if (!p->fn)
            return 0;
        if (p->fn(p->fn_ud, out, err))
            return -1;
        if (!out->access_key_id || !out->secret_access_key)
            return omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                                   "the credentials function gave no access_key_id or "
                                   "secret_access_key"),
                   -1;
        snprintf(out->provider, sizeof out->provider, "function");
        /* (a C function may have filled out without omics_credentials_set) */
        if (creds_check(out->access_key_id, out->secret_access_key, out->session_token,
                        "the credentials function", err))
            return -1;
        return 1;
    case SRC_ENVIRONMENT:
        if (p->prof.explicit_option)
            return 0; /* a profile given as an option wins over the environment */
        return from_environment(out, err);
    case SRC_PROFILE: {
        creds_walk w;
        memset(&w, 0, sizeof w);
        w.p = p;
        return profile_creds(&w, p->prof.name, 1, out, err);
    }
    case SRC_CONTAINER:
        return creds_container(out, err);
    case SRC_EC2:
        if (config_env("AWS_EC2_METADATA_DISABLED") &&
            strcasecmp(config_env("AWS_EC2_METADATA_DISABLED"), "true") == 0) {
            buf_adds(why, "disabled by AWS_EC2_METADATA_DISABLED");
            return 0;
        }
        return creds_ec2(out, why, err);
    case SRC_NONE:
        break;
    }
    return 0;
}

static const struct {
    creds_source source;
    const char *what;
} creds_chain[] = {
    {SRC_EXPLICIT, "the credentials option"},
    {SRC_FUNCTION, "the credentials function"},
    {SRC_ENVIRONMENT, "environment variables"},
    {SRC_PROFILE, "the profile (role_arn, web identity, SSO, shared credentials file, "
                  "credential_process, shared config file)"},
    {SRC_CONTAINER, "container credentials (AWS_CONTAINER_CREDENTIALS_*)"},
    {SRC_EC2, "EC2 instance metadata"},
};

/* Fetch fresh credentials: from the source that applied before, or the
 * first of the chain that applies. */
static int fetch(omics_provider *p, omics_credentials *out, omics_error *err)
{
    buf why;
    buf_init(&why);
    if (p->source != SRC_NONE) {
        int rc = run_source(p, p->source, out, &why, err);
        if (rc == 0)
            omics_error_set(err, OMICS_ECREDENTIALS, "NoCredentialsError",
                            "the credentials from %s are gone (%s)", out->provider,
                            buf_str(&why) ? buf_str(&why) : "");
        buf_free(&why);
        return rc > 0 ? 0 : -1;
    }
    buf tried;
    buf_init(&tried);
    for (size_t i = 0; i < sizeof creds_chain / sizeof *creds_chain; i++) {
        buf_reset(&why);
        int rc = run_source(p, creds_chain[i].source, out, &why, err);
        if (rc < 0 || creds_fetch_pending()) {
            buf_free(&why);
            buf_free(&tried);
            return -1;
        }
        if (rc > 0) {
            p->source = creds_chain[i].source;
            buf_free(&why);
            buf_free(&tried);
            return 0;
        }
        if (creds_chain[i].source == SRC_EXPLICIT || creds_chain[i].source == SRC_FUNCTION)
            continue;
        if (creds_chain[i].source == SRC_ENVIRONMENT && p->prof.explicit_option)
            continue;
        if (tried.len)
            buf_adds(&tried, ", ");
        buf_adds(&tried, creds_chain[i].what);
        if (why.len)
            buf_addf(&tried, " (%s)", why.p);
    }
    omics_error_set(err, OMICS_ECREDENTIALS, "NoCredentialsError",
                    "unable to locate credentials for profile %s; tried %s", p->prof.name,
                    buf_str(&tried) ? buf_str(&tried) : "every source");
    buf_free(&why);
    buf_free(&tried);
    return -1;
}

/* ------------------------------------------------------------ provider */

omics_provider *omics_provider_new(const omics_provider_opts *o, omics_error *err)
{
    omics_provider *p = calloc(1, sizeof *p);
    if (!p)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), NULL;
    p->refs = 1;
    if (config_profile_open(&p->prof, o->profile, err)) {
        free(p);
        return NULL;
    }
    const char *region = o->region;
    if (!region)
        region = config_env("AWS_REGION");
    if (!region)
        region = config_env("AWS_DEFAULT_REGION");
    if (!region)
        region = config_profile_get(&p->prof, "region");
    p->region = region ? strdup(region) : NULL;
    p->fn = o->fn;
    p->fn_ud = o->fn_ud;
    p->clock = o->clock;
    p->clock_ud = o->clock_ud;
    p->process_timeout =
        o->process_timeout > 0 ? o->process_timeout : options_default("process_timeout");
    if (o->credentials) {
        const omics_credentials *c = o->credentials;
        if (!c->access_key_id || !*c->access_key_id || !c->secret_access_key ||
            !*c->secret_access_key) {
            omics_provider_release(p);
            return omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                                   "the credentials option needs access_key_id and "
                                   "secret_access_key"),
                   NULL;
        }
        if (creds_copy(&p->explicit_creds, c, err)) {
            omics_provider_release(p);
            return NULL;
        }
        p->has_explicit = 1;
    }
    if (region && !p->region) {
        omics_provider_release(p);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), NULL;
    }
    return p;
}

omics_provider *omics_provider_retain(omics_provider *p)
{
    if (p)
        p->refs++;
    return p;
}

void omics_provider_release(omics_provider *p)
{
    if (!p || --p->refs > 0)
        return;
    config_profile_close(&p->prof);
    omics_credentials_clear(&p->explicit_creds);
    omics_credentials_clear(&p->cached);
    creds_replay_reset(&p->replay);
    free(p->region);
    free(p);
}

static double provider_now(const omics_provider *p)
{
    return p->clock ? p->clock(p->clock_ud) : omics_now();
}

/* fetch, refusing a second one started from inside the first (a credentials
 * function that asks the provider for credentials) */
static int fetch_once(omics_provider *p, omics_credentials *out, omics_error *err)
{
    if (p->fetching)
        return omics_error_set(err, OMICS_EUSAGE, "CredentialsBusy",
                               "credentials were asked for while they were being fetched "
                               "(from inside a credentials function)");
    p->fetching = 1;
    int rc = fetch(p, out, err);
    p->fetching = 0;
    return rc;
}

/* How current the cached credentials are. */
enum { STATE_FRESH, STATE_ADVISORY, STATE_MANDATORY, STATE_NONE };
static int freshness(const omics_provider *p)
{
    if (!p->have)
        return STATE_NONE;
    double exp = p->cached.expiration;
    double now = provider_now(p);
    if (exp <= 0 || now < exp - CREDS_ADVISORY)
        return STATE_FRESH;
    return now >= exp - CREDS_MANDATORY ? STATE_MANDATORY : STATE_ADVISORY;
}

/* The end of a fetch (rc, fresh, e): the cache as the refresh windows say. */
static int settle(omics_provider *p, int rc, omics_credentials *fresh, omics_error *e,
                  omics_error *err)
{
    if (p->have) {
        double exp = p->cached.expiration;
        double now = provider_now(p);
        if (rc == 0) {
            omics_credentials_clear(&p->cached);
            p->cached = *fresh;
            omics_error_clear(e);
            return OMICS_CREDS_READY;
        }
        omics_credentials_clear(fresh);
        if (now < exp - CREDS_MANDATORY) { /* an advisory refresh failed: the old ones still do */
            omics_error_clear(e);
            return OMICS_CREDS_READY;
        }
        omics_error_set(err, e->kind ? e->kind : OMICS_ECREDENTIALS,
                        e->code[0] ? e->code : "CredentialsExpired",
                        "the credentials from %s expire %s and could not be refreshed: %s",
                        p->cached.provider, now >= exp ? "now" : "within 10 minutes",
                        e->message ? e->message : "");
        err->retryable = e->retryable;
        omics_error_clear(e);
        return -1;
    }
    if (rc) {
        omics_credentials_clear(fresh);
        omics_error_copy(err, e);
        omics_error_clear(e);
        return -1;
    }
    omics_credentials_clear(&p->cached);
    p->cached = *fresh;
    if (p->cached.expiration > 0 && provider_now(p) >= p->cached.expiration) {
        omics_error_set(err, OMICS_ECREDENTIALS, "CredentialsExpired",
                        "the credentials from %s have already expired", p->cached.provider);
        omics_credentials_clear(&p->cached);
        return -1;
    }
    p->have = 1;
    return OMICS_CREDS_READY;
}

creds_replay *creds_provider_replay(omics_provider *p)
{
    return &p->replay;
}

static int pending_step(const omics_provider *p, const omics_fetch **f)
{
    *f = &p->replay.req;
    return p->replay.req.command ? OMICS_CREDS_RUN : OMICS_CREDS_FETCH;
}

int omics_provider_next(omics_provider *p, omics_creds_mode mode, const omics_fetch **f,
                        omics_error *err)
{
    *f = NULL;
    if (mode == OMICS_CREDS_BUSY) { /* (a refresh under way, here or elsewhere, is left alone) */
        int st = freshness(p);
        return st == STATE_FRESH || st == STATE_ADVISORY ? OMICS_CREDS_READY : OMICS_CREDS_WAIT;
    }
    if (!p->stepping) {
        int st = freshness(p);
        if (st == STATE_FRESH)
            return OMICS_CREDS_READY;
        if (mode == OMICS_CREDS_SHARED)
            return OMICS_CREDS_REFRESH;
        creds_replay_reset(&p->replay);
        p->replay.started = omics_now();
        p->stepping = 1;
    } else if (p->replay.pending) {
        return pending_step(p, f);
    }
    omics_credentials fresh;
    memset(&fresh, 0, sizeof fresh);
    omics_error e;
    omics_error_init(&e);
    p->replay.next = 0; /* the sources run from the start */
    creds_replay *was = creds_replay_use(&p->replay);
    int rc = fetch_once(p, &fresh, &e);
    creds_replay_use(was);
    int changed = p->replay.changed;
    if (p->replay.pending && !changed) {
        omics_credentials_clear(&fresh);
        omics_error_clear(&e);
        return pending_step(p, f);
    }
    p->stepping = 0;
    creds_replay_reset(&p->replay);
    if (changed) { /* (whatever a source made of it) */
        omics_credentials_clear(&fresh);
        omics_error_clear(&e);
        return omics_error_set(err, OMICS_ECREDENTIALS, "CredentialsReplayError",
                               "the credential sources asked for another fetch than before "
                               "(did the environment or the files change?)");
    }
    return settle(p, rc, &fresh, &e, err);
}

int omics_provider_answered(omics_provider *p, long status, const char *body, size_t len,
                            omics_error *err)
{
    return creds_replay_record(&p->replay, status, body, len, NULL, 0, NULL, err);
}

int omics_provider_failed(omics_provider *p, const omics_error *why, omics_error *err)
{
    omics_error w;
    omics_error_init(&w);
    if (omics_error_copy(&w, why))
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    if (!w.code[0])
        snprintf(w.code, sizeof w.code, "ConnectionError");
    int rc = creds_replay_record(&p->replay, 0, NULL, 0, NULL, 0, &w, err);
    omics_error_clear(&w);
    return rc;
}

int omics_provider_ran(omics_provider *p, int status, const char *out, size_t out_len,
                       const char *errout, size_t errout_len, omics_error *err)
{
    if (p->replay.pending && !p->replay.req.command)
        return omics_error_set(err, OMICS_EUSAGE, "NothingPending",
                               "the pending credentials fetch is an HTTP request, not a command");
    return creds_replay_record(&p->replay, status, out, out_len, errout, errout_len, NULL, err);
}

const omics_credentials *omics_provider_credentials(omics_provider *p, omics_error *err)
{
    for (;;) {
        const omics_fetch *f;
        int st = omics_provider_next(p, OMICS_CREDS_ALONE, &f, err);
        if (st == OMICS_CREDS_READY)
            return &p->cached;
        if (st < 0)
            return NULL;
        if (creds_fetch_blocking(&p->replay, err)) {
            p->stepping = 0;
            creds_replay_reset(&p->replay);
            return NULL;
        }
    }
}

/* ------------------------------------------------------- shared caches
 * The text: "omics-creds-1", then access key id, secret, session token
 * ("" for none), expiration (%.3f) and provider, one per line. */
#define SHARED_MAGIC "omics-creds-1"

char *omics_provider_export(omics_provider *p, double *expires)
{
    if (!p->have)
        return NULL;
    const omics_credentials *c = &p->cached;
    buf t;
    buf_init(&t);
    buf_addf(&t, SHARED_MAGIC "\n%s\n%s\n%s\n%.3f\n%s", c->access_key_id, c->secret_access_key,
             c->session_token ? c->session_token : "", c->expiration, c->provider);
    if (t.oom) {
        if (t.p)
            memset(t.p, 0, t.len);
        buf_free(&t);
        return NULL;
    }
    *expires = c->expiration;
    return t.p;
}

int omics_provider_offer(omics_provider *p, const char *text, size_t len, omics_error *err)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    char *field[6];
    int n = 0;
    for (char *s = copy; n < 6; n++) {
        field[n] = s;
        char *nl = strchr(s, '\n');
        if (!nl) {
            n++;
            break;
        }
        *nl = '\0';
        s = nl + 1;
    }
    int rc = -1;
    char *end = NULL;
    double exp = n == 6 ? strtod(field[4], &end) : 0;
    if (n != 6 || strcmp(field[0], SHARED_MAGIC) != 0 || !end || *end) {
        omics_error_set(err, OMICS_ECREDENTIALS, "SharedCredentialsError",
                        "the shared cache holds something that is not credentials");
    } else if (p->have && (p->cached.expiration <= 0 || p->cached.expiration >= exp)) {
        rc = 0; /* ours are as new */
    } else {
        omics_credentials c;
        memset(&c, 0, sizeof c);
        if (omics_credentials_set(&c, field[1], field[2], *field[3] ? field[3] : NULL, field[5],
                                  err) == 0) {
            c.expiration = exp;
            omics_credentials_clear(&p->cached);
            p->cached = c;
            p->have = 1;
            rc = 1;
        } else {
            omics_credentials_clear(&c);
        }
    }
    memset(copy, 0, len);
    free(copy);
    return rc;
}

const char *omics_provider_key(const omics_provider *p)
{
    omics_provider *q = (omics_provider *)p; /* (the key is made once) */
    if (!q->key[0])
        snprintf(q->key, sizeof q->key, "omics:%s:%s:%s", p->has_explicit ? "option" : "chain",
                 p->fn ? "fn" : "-", p->prof.name ? p->prof.name : "default");
    return q->key;
}
