/* settings: where a client's region, endpoint and retry settings come from
 * (the option, then the environment, then the profile, as the AWS SDKs
 * read them), with errors that say which source was wrong. */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds.h"
#include "model.h"
#include "options.h"
#include "rules.h"

char *settings_region(const omics_client_opts *o, const config_profile *p, omics_error *err)
{
    const char *r = o->region;
    if (!r)
        r = config_env("AWS_REGION");
    if (!r)
        r = config_env("AWS_DEFAULT_REGION");
    if (!r)
        r = config_profile_get(p, "region");
    char imds[64];
    if (!r && creds_ec2_region(imds, sizeof imds) == 0)
        r = imds; /* on EC2, the instance's own region */
    if (!r) {
        omics_error_set(err, OMICS_ECONFIG, "NoRegionError",
                        "no region: pass region = \"us-east-1\" (say) to omics.new, set "
                        "AWS_REGION, or add region = ... to profile %s in %s",
                        p->name, p->config_path);
        return NULL;
    }
    if (!endpoint_region_valid(r)) {
        omics_error_set(err, OMICS_ECONFIG, "InvalidRegion",
                        "region \"%s\" is not valid (letters, digits and '-' only)", r);
        return NULL;
    }
    char *s = strdup(r);
    if (!s)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    return s;
}

int settings_env_true(const char *name)
{
    const char *v = config_env(name);
    return v && strcasecmp(v, "true") == 0;
}

/* A true/false setting: the option (1 on, -1 off), then the environment,
 * then the profile, else off; a value that is neither is an error naming
 * where it came from. */
static int settings_flag(int option, const char *env, const config_profile *p, const char *key,
                         int *out, omics_error *err)
{
    *out = option > 0;
    if (option)
        return 0;
    const char *v = config_env(env), *from = env;
    if (!v) {
        v = config_profile_get(p, key);
        from = key;
    }
    if (!v)
        return 0;
    if (strcasecmp(v, "true") == 0 || strcasecmp(v, "false") == 0) {
        *out = strcasecmp(v, "true") == 0;
        return 0;
    }
    return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                           "%s must be true or false, not %.40s", from, v);
}

int settings_endpoint(const omics_model *m, const char *region, const omics_client_opts *o,
                      const config_profile *p, endpoint *ep, omics_error *err)
{
    const char *url = o->endpoint;
    if (!url && !settings_env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        /* AWS_ENDPOINT_URL_<SERVICE ID>, upper case, spaces as '_' */
        char name[128] = "AWS_ENDPOINT_URL_";
        const char *id = m->service_id ? m->service_id : "";
        size_t k = strlen(name);
        for (; *id && k + 1 < sizeof name; id++)
            name[k++] = (char)(*id == ' ' ? '_' : (*id >= 'a' && *id <= 'z') ? *id - 32 : *id);
        name[k] = '\0';
        if (*m->service_id)
            url = config_env(name);
        if (!url)
            url = config_env("AWS_ENDPOINT_URL");
        if (!url)
            url = config_profile_get(p, "endpoint_url");
    }
    if (!m->endpoint_rules) { /* a model of the caller's without rules */
        if (url)
            return endpoint_parse(url, ep, err);
        return endpoint_for_region(m->endpoint_prefix, region, ep, err);
    }
    rules_params rp = {region, 0, 0, url};
    if (settings_flag(o->use_fips_endpoint, "AWS_USE_FIPS_ENDPOINT", p, "use_fips_endpoint",
                      &rp.use_fips, err) ||
        settings_flag(o->use_dualstack_endpoint, "AWS_USE_DUALSTACK_ENDPOINT", p,
                      "use_dualstack_endpoint", &rp.use_dual_stack, err))
        return -1;
    char *resolved;
    if (rules_resolve(m->endpoint_rules, m->endpoint_rules_len, &rp, &resolved, err))
        return -1;
    int rc = endpoint_parse(resolved, ep, err);
    free(resolved);
    return rc;
}

/* Where a retry setting came from, for its error message. */
static void setting_source(char *out, size_t n, const char *env, const config_profile *p)
{
    if (env)
        snprintf(out, n, "%s", env);
    else
        snprintf(out, n, "profile %s in %s", p->name ? p->name : "default",
                 p->config_path ? p->config_path : "the config file");
}

int settings_retry(const omics_client_opts *o, const config_profile *p, retry_state *r,
                   omics_error *err)
{
    char from[512];
    const char *mode = o->retry_mode, *mode_env = NULL;
    if (!mode && (mode = config_env("AWS_RETRY_MODE")) != NULL)
        mode_env = "AWS_RETRY_MODE";
    if (!mode)
        mode = config_profile_get(p, "retry_mode");
    if (!mode)
        mode = options_default_text("retry_mode");
    int m = RETRY_STANDARD;
    /* "legacy" is botocore's older mode; it is served as standard here */
    if (mode && strcmp(mode, "adaptive") == 0)
        m = RETRY_ADAPTIVE;
    else if (mode && strcmp(mode, "standard") != 0 && strcmp(mode, "legacy") != 0) {
        if (o->retry_mode)
            snprintf(from, sizeof from, "the retry_mode option");
        else
            setting_source(from, sizeof from, mode_env, p);
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "retry_mode must be standard or adaptive, not %.40s (from %s)",
                               mode, from);
    }
    int attempts = o->max_attempts;
    const char *text = NULL, *attempts_env = NULL;
    if (!attempts && (text = config_env("AWS_MAX_ATTEMPTS")) != NULL)
        attempts_env = "AWS_MAX_ATTEMPTS";
    if (!attempts && !text)
        text = config_profile_get(p, "max_attempts");
    if (!attempts && text) {
        char *end;
        long v = strtol(text, &end, 10);
        if (end == text || *end || v < 1 || v > 100) {
            setting_source(from, sizeof from, attempts_env, p);
            return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                                   "max_attempts must be a number from 1 to 100, not %.40s (from %s)",
                                   text, from);
        }
        attempts = (int)v;
    }
    if (attempts < 0 || attempts > 100)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "max_attempts must be from 1 to 100");
    retry_init(r, m, attempts ? attempts : (int)options_default("max_attempts"),
               o->max_backoff > 0 ? o->max_backoff : options_default("max_backoff"));
    return 0;
}


int settings_app_id(const omics_client_opts *o, const config_profile *p, char *out, size_t n,
                    omics_error *err)
{
    const char *v = o->app_id, *from = "the app_id option";
    if (!v) {
        v = config_env("AWS_SDK_UA_APP_ID");
        from = "AWS_SDK_UA_APP_ID";
    }
    if (!v) {
        v = config_profile_get(p, "sdk_ua_app_id");
        from = "the profile's sdk_ua_app_id";
    }
    out[0] = '\0';
    if (!v || !*v)
        return 0;
    size_t len = strlen(v);
    /* a token of the User-Agent header (RFC 9110), as the SDKs send it */
    size_t ok = strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                          "!#$%&'*+-.^_`|~");
    if (len > 50 || ok != len || len >= n)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "%s: expected at most 50 letters, digits and !#$%%&'*+-.^_`|~ "
                               "(it goes into the User-Agent as app/<id>)",
                               from);
    memcpy(out, v, len + 1);
    return 0;
}
