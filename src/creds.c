#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static void wipe_free(char *s)
{
    if (!s)
        return;
    volatile char *v = s;
    while (*v)
        *v++ = 0;
    free(s);
}

void omics_credentials_clear(omics_credentials *c)
{
    wipe_free(c->access_key_id);
    wipe_free(c->secret_access_key);
    wipe_free(c->session_token);
    memset(c, 0, sizeof *c);
}

int omics_credentials_set(omics_credentials *c, const char *akid, const char *secret,
                          const char *token, const char *provider, omics_error *err)
{
    omics_credentials_clear(c);
    c->access_key_id = strdup(akid);
    c->secret_access_key = strdup(secret);
    c->session_token = token && *token ? strdup(token) : NULL;
    snprintf(c->provider, sizeof c->provider, "%s", provider ? provider : "");
    if (!c->access_key_id || !c->secret_access_key || (token && *token && !c->session_token)) {
        omics_credentials_clear(c);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    return 0;
}

int creds_copy(omics_credentials *dst, const omics_credentials *src, omics_error *err)
{
    if (omics_credentials_set(dst, src->access_key_id, src->secret_access_key,
                              src->session_token, src->provider, err))
        return -1;
    dst->expiration = src->expiration;
    return 0;
}

/* A provider answers 1 (found), 0 (does not apply) or -1 (applies but fails). */
typedef int (*creds_fn)(const config_profile *p, omics_credentials *out, omics_error *err);

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

static int from_environment(const config_profile *p, omics_credentials *out, omics_error *err)
{
    if (p->explicit_option)
        return 0; /* an explicit profile wins over the environment */
    const char *token = config_env("AWS_SESSION_TOKEN");
    if (!token)
        token = config_env("AWS_SECURITY_TOKEN");
    return from_pair(config_env("AWS_ACCESS_KEY_ID"), config_env("AWS_SECRET_ACCESS_KEY"),
                     token, "environment",
                     "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)", out, err);
}

static int from_credentials_file(const config_profile *p, omics_credentials *out,
                                 omics_error *err)
{
    char where[600];
    snprintf(where, sizeof where, "profile %s in %s", p->name, p->credentials_path);
    const char *token = config_profile_cred(p, "aws_session_token");
    if (!token)
        token = config_profile_cred(p, "aws_security_token");
    return from_pair(config_profile_cred(p, "aws_access_key_id"),
                     config_profile_cred(p, "aws_secret_access_key"), token,
                     "shared-credentials-file", where, out, err);
}

static int from_config_file(const config_profile *p, omics_credentials *out, omics_error *err)
{
    char where[600];
    snprintf(where, sizeof where, "profile %s in %s", p->name, p->config_path);
    const char *token = config_profile_get(p, "aws_session_token");
    if (!token)
        token = config_profile_get(p, "aws_security_token");
    return from_pair(config_profile_get(p, "aws_access_key_id"),
                     config_profile_get(p, "aws_secret_access_key"), token, "config-file",
                     where, out, err);
}

static const struct {
    const char *what;
    creds_fn fn;
} creds_chain[] = {
    {"environment variables", from_environment},
    {"shared credentials file", from_credentials_file},
    {"shared config file", from_config_file},
};

int creds_resolve(const config_profile *profile, const omics_credentials *explicit_creds,
                  omics_credentials *out, omics_error *err)
{
    if (explicit_creds) {
        if (!explicit_creds->access_key_id || !*explicit_creds->access_key_id ||
            !explicit_creds->secret_access_key || !*explicit_creds->secret_access_key)
            return omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                                   "the credentials option needs access_key_id and "
                                   "secret_access_key");
        if (creds_copy(out, explicit_creds, err))
            return -1;
        snprintf(out->provider, sizeof out->provider, "option");
        return 0;
    }
    for (size_t i = 0; i < sizeof creds_chain / sizeof *creds_chain; i++) {
        int rc = creds_chain[i].fn(profile, out, err);
        if (rc < 0)
            return -1;
        if (rc > 0)
            return 0;
    }
    buf tried;
    buf_init(&tried);
    buf_adds(&tried, "the credentials option");
    for (size_t i = 0; i < sizeof creds_chain / sizeof *creds_chain; i++) {
        if (creds_chain[i].fn == from_environment && profile->explicit_option)
            continue;
        buf_adds(&tried, ", ");
        buf_adds(&tried, creds_chain[i].what);
    }
    omics_error_set(err, OMICS_ECREDENTIALS, "NoCredentialsError",
                    "unable to locate credentials for profile %s; tried %s", profile->name,
                    buf_str(&tried) ? buf_str(&tried) : "every provider");
    buf_free(&tried);
    return -1;
}
