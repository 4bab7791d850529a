/* credentials: the credentials value itself, below every provider: set,
 * copy, wipe and check it; read it from JSON, a file, a date.  The chain
 * (creds.c) and the providers (creds_*.c) both use these; none of them is
 * used here, so the providers no longer import the chain. */
#include "credentials.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

void creds_wipe_free(char *s)
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
    creds_wipe_free(c->access_key_id);
    creds_wipe_free(c->secret_access_key);
    creds_wipe_free(c->session_token);
    memset(c, 0, sizeof *c);
}

/* Credentials go into HTTP header lines: a control character in any of
 * them would split a header or end the request early (request smuggling).
 * The error names the field and the source, never the value. */
static int check_field(const char *value, const char *field, const char *provider,
                       omics_error *err)
{
    const char *bad = text_find_ctl(value, 0);
    if (bad)
        return omics_error_set(err, OMICS_ECREDENTIALS, "InvalidCredentials",
                               "the %s (from %s) holds a control character (0x%02x): "
                               "refused, as it would reach an HTTP header",
                               field, provider && *provider ? provider : "the caller",
                               (unsigned char)*bad);
    return 0;
}

int creds_check(const char *akid, const char *secret, const char *token, const char *provider,
                omics_error *err)
{
    return check_field(akid, "access key id", provider, err) ||
                   check_field(secret, "secret access key", provider, err) ||
                   check_field(token, "session token", provider, err)
               ? -1
               : 0;
}

int omics_credentials_set(omics_credentials *c, const char *akid, const char *secret,
                          const char *token, const char *provider, omics_error *err)
{
    omics_credentials_clear(c);
    if (creds_check(akid, secret, token, provider, err))
        return -1;
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

int creds_expiration(const char *text, double *out)
{
    *out = 0;
    if (!text || !*text)
        return 0;
    return ts_parse_any(text, strlen(text), out);
}

char *creds_read_file(const char *path, const char *code, omics_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        omics_error_set(err, OMICS_ECREDENTIALS, code, "cannot read %s", path);
        return NULL;
    }
    buf b;
    buf_init(&b);
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < 65536)
        buf_add(&b, chunk, got);
    fclose(f);
    while (b.len && (b.p[b.len - 1] == '\n' || b.p[b.len - 1] == '\r' || b.p[b.len - 1] == ' '))
        b.p[--b.len] = '\0';
    if (b.oom || !b.len) {
        buf_free(&b);
        omics_error_set(err, OMICS_ECREDENTIALS, code, "%s is empty", path);
        return NULL;
    }
    return buf_steal(&b, NULL);
}

int creds_from_json(const char *text, size_t len, const char *akid_key, const char *secret_key,
                    const char *token_key, const char *exp_key, int exp_ms, const char *provider,
                    omics_credentials *out, omics_error *err)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *akid = cJSON_GetObjectItemCaseSensitive(root, akid_key);
    const cJSON *secret = cJSON_GetObjectItemCaseSensitive(root, secret_key);
    const cJSON *token = token_key ? cJSON_GetObjectItemCaseSensitive(root, token_key) : NULL;
    const cJSON *exp = exp_key ? cJSON_GetObjectItemCaseSensitive(root, exp_key) : NULL;
    double expiration = 0;
    int rc = -1;
    if (!cJSON_IsObject(root))
        omics_error_set(err, OMICS_EPARSE, "CredentialsParseError",
                        "%s answered something that is not a JSON object", provider);
    else if (!cJSON_IsString(akid) || !cJSON_IsString(secret) ||
             (token && !cJSON_IsNull(token) && !cJSON_IsString(token)))
        omics_error_set(err, OMICS_EPARSE, "CredentialsParseError",
                        "%s answered without %s and %s", provider, akid_key, secret_key);
    else if (exp && cJSON_IsNumber(exp))
        expiration = exp_ms ? exp->valuedouble / 1000.0 : exp->valuedouble, rc = 0;
    else if (exp && cJSON_IsString(exp) && creds_expiration(exp->valuestring, &expiration))
        omics_error_set(err, OMICS_EPARSE, "CredentialsParseError",
                        "%s answered an expiration that is not a date: %.40s", provider,
                        exp->valuestring);
    else
        rc = 0;
    if (rc == 0) {
        rc = omics_credentials_set(out, akid->valuestring, secret->valuestring,
                                   cJSON_IsString(token) ? token->valuestring : NULL, provider,
                                   err);
        if (rc == 0)
            out->expiration = isfinite(expiration) ? expiration : 0;
    }
    cJSON_Delete(root);
    return rc;
}


static const char *const members[] = {"access_key_id", "secret_access_key", "session_token",
                                      "expiration", NULL};

const char *const *omics_credentials_members(void)
{
    return members;
}

int omics_credentials_from_value(omics_credentials *c, const omics_value *v, const char *what,
                                 const char *provider, omics_error *err)
{
    if (v->type != OMICS_V_TABLE)
        return omics_error_set(err, OMICS_ECREDENTIALS, "CredentialsError",
                               "%s: expected a table of credentials", what);
    const char *text[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        const omics_value *m = omics_value_get(v, members[i]);
        if (!m)
            continue;
        if (m->type != OMICS_V_STR || strlen(m->u.s.p) != m->u.s.len)
            return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                                   "%s: %s: expected a string without NUL bytes", what,
                                   members[i]);
        text[i] = m->u.s.p;
    }
    if (!text[0] || !*text[0] || !text[1] || !*text[1])
        return omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                               "%s needs access_key_id and secret_access_key", what);
    if (omics_credentials_set(c, text[0], text[1], text[2], provider, err))
        return -1;
    const omics_value *exp = omics_value_get(v, members[3]);
    if (exp && exp->type == OMICS_V_INT)
        c->expiration = (double)exp->u.i;
    else if (exp && exp->type == OMICS_V_NUM && isfinite(exp->u.n))
        c->expiration = exp->u.n;
    return 0;
}
