/* creds_sso: IAM Identity Center (SSO).  The access token `aws sso login`
 * cached in ~/.aws/sso/cache/<sha1 of the session name or start URL>.json,
 * then GetRoleCredentials from the SSO portal. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "hash.h"
#include "http.h"
#include "uri.h"

#define SSO_TIMEOUT 10.0

typedef struct sso_settings {
    const char *start_url;
    const char *region;
    const char *account;
    const char *role;
    const char *cache_key;
} sso_settings;

static int sso_read_settings(const config_profile *prof, const char *profile, sso_settings *s,
                             omics_error *err)
{
    const char *session = config_named_get(prof, profile, "sso_session");
    if (session) {
        s->start_url = config_sso_session_get(prof, session, "sso_start_url");
        s->region = config_sso_session_get(prof, session, "sso_region");
        s->cache_key = session;
        if (!s->start_url || !s->region)
            return omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                                   "[sso-session %s] needs sso_start_url and sso_region", session);
    } else {
        s->start_url = config_named_get(prof, profile, "sso_start_url");
        s->region = config_named_get(prof, profile, "sso_region");
        s->cache_key = s->start_url;
    }
    s->account = config_named_get(prof, profile, "sso_account_id");
    s->role = config_named_get(prof, profile, "sso_role_name");
    if (!s->start_url || !s->region || !s->account || !s->role)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidConfigError",
                               "profile %s: SSO needs sso_account_id, sso_role_name and either "
                               "sso_session or sso_start_url with sso_region",
                               profile);
    return 0;
}

/* The cached access token, when it is there and has not expired. */
static char *sso_token(const sso_settings *s, const char *profile, omics_error *err)
{
    char sha[41], path[1024];
    const char *home = config_env("HOME");
    if (hash_sha1_hex(s->cache_key, strlen(s->cache_key), sha))
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "SHA-1 failed"), NULL;
    snprintf(path, sizeof path, "%s/.aws/sso/cache/%s.json", home ? home : "", sha);
    omics_error e;
    omics_error_init(&e);
    char *text = creds_read_file(path, "SSOTokenError", &e);
    omics_error_clear(&e);
    if (!text) {
        omics_error_set(err, OMICS_ECREDENTIALS, "SSOTokenLoadError",
                        "no SSO token for profile %s (%s): run aws sso login --profile %s",
                        profile, path, profile);
        return NULL;
    }
    cJSON *root = cJSON_Parse(text);
    memset(text, 0, strlen(text));
    free(text);
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(root, "accessToken");
    const cJSON *expires = cJSON_GetObjectItemCaseSensitive(root, "expiresAt");
    double at = 0;
    char *out = NULL;
    if (!cJSON_IsString(token) || !cJSON_IsString(expires) ||
        creds_expiration(expires->valuestring, &at))
        omics_error_set(err, OMICS_ECREDENTIALS, "SSOTokenLoadError",
                        "the SSO token cache %s has no accessToken and expiresAt: run aws sso "
                        "login --profile %s",
                        path, profile);
    else if (at <= omics_now())
        omics_error_set(err, OMICS_ECREDENTIALS, "SSOTokenExpired",
                        "the SSO session for profile %s expired: run aws sso login --profile %s",
                        profile, profile);
    else if (!(out = strdup(token->valuestring)))
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    if (cJSON_IsString(token))
        memset(token->valuestring, 0, strlen(token->valuestring));
    cJSON_Delete(root);
    return out;
}

int creds_sso(const config_profile *prof, const char *profile, omics_credentials *out,
              omics_error *err)
{
    sso_settings s = {0};
    if (sso_read_settings(prof, profile, &s, err))
        return -1;
    char *token = sso_token(&s, profile, err);
    if (!token)
        return -1;
    buf url, header, body;
    buf_init(&url);
    buf_init(&header);
    buf_init(&body);
    const char *portal = config_env("AWS_ENDPOINT_URL_SSO");
    if (portal)
        buf_adds(&url, portal);
    else
        buf_addf(&url, "https://portal.sso.%s.amazonaws.com", s.region);
    while (url.len && url.p[url.len - 1] == '/')
        url.p[--url.len] = '\0';
    buf_adds(&url, "/federation/credentials?role_name=");
    uri_encode(&url, s.role, strlen(s.role), 0);
    buf_adds(&url, "&account_id=");
    uri_encode(&url, s.account, strlen(s.account), 0);
    buf_addf(&header, "x-amz-sso_bearer_token: %s", token);
    memset(token, 0, strlen(token));
    free(token);
    const char *lines[1] = {header.p};
    http_fetch_req req = {"GET", url.p, lines, 1, NULL, 0, SSO_TIMEOUT, 5.0, NULL};
    long status = 0;
    int rc = -1;
    if (url.oom || header.oom) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    } else if (creds_fetch_http(&req, &status, &body, err) == 0) {
        if (status == 401 || status == 403) {
            omics_error_set(err, OMICS_ECREDENTIALS, "UnauthorizedSSOTokenError",
                            "the SSO portal refused the session of profile %s (HTTP %ld): run "
                            "aws sso login --profile %s",
                            profile, status, profile);
        } else if (status != 200) {
            omics_error_set(err, OMICS_ECREDENTIALS, "SSOError",
                            "the SSO portal answered HTTP %ld for profile %s", status, profile);
            err->retryable = status >= 500;
        } else {
            cJSON *root = cJSON_ParseWithLength(body.p ? body.p : "", body.len);
            const cJSON *rcj = cJSON_GetObjectItemCaseSensitive(root, "roleCredentials");
            char *inner = rcj ? cJSON_PrintUnformatted(rcj) : NULL;
            if (!inner)
                omics_error_set(err, OMICS_EPARSE, "CredentialsParseError",
                                "the SSO portal answered without roleCredentials");
            else if (creds_from_json(inner, strlen(inner), "accessKeyId", "secretAccessKey",
                                     "sessionToken", "expiration", 1, "sso", out, err) == 0)
                rc = 0;
            if (inner) {
                memset(inner, 0, strlen(inner));
                free(inner);
            }
            cJSON_Delete(root);
        }
    }
    if (header.p)
        memset(header.p, 0, header.len);
    if (body.p)
        memset(body.p, 0, body.len);
    buf_free(&url);
    buf_free(&header);
    buf_free(&body);
    return rc;
}
