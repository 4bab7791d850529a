/* creds_sts: AWS STS (query protocol, XML answers) for AssumeRole and
 * AssumeRoleWithWebIdentity.  Regional endpoints by default. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "endpoint.h"
#include "http.h"
#include "uri.h"
#include "xml.h"

#define STS_TIMEOUT 10.0

static int sts_endpoint(const char *region, endpoint *ep, omics_error *err)
{
    const char *ignore = config_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *url = NULL;
    if (!ignore || strcasecmp(ignore, "true") != 0) {
        url = config_env("AWS_ENDPOINT_URL_STS");
        if (!url)
            url = config_env("AWS_ENDPOINT_URL");
    }
    if (url)
        return endpoint_parse(url, ep, err);
    const char *mode = config_env("AWS_STS_REGIONAL_ENDPOINTS");
    if (mode && strcasecmp(mode, "legacy") == 0 && (!region || strcmp(region, "us-east-1") == 0))
        return endpoint_parse("https://sts.amazonaws.com", ep, err);
    return endpoint_for_region("sts", region ? region : "us-east-1", ep, err);
}

static void form_add(buf *b, const char *key, const char *value)
{
    if (b->len)
        buf_addc(b, '&');
    buf_adds(b, key);
    buf_addc(b, '=');
    uri_encode(b, value, strlen(value), 0);
}

/* The form's start, common to both actions; DurationSeconds only when set. */
static void form_start(buf *b, const char *action, const char *role_arn, const char *session,
                       int duration)
{
    form_add(b, "Action", action);
    form_add(b, "Version", "2011-06-15");
    form_add(b, "RoleArn", role_arn);
    form_add(b, "RoleSessionName", session);
    if (duration > 0) {
        char d[16];
        snprintf(d, sizeof d, "%d", duration);
        form_add(b, "DurationSeconds", d);
    }
}

/* The text at path, copied into out (NULL when absent). */
static char *xml_copy(const buf *doc, const char *path, omics_error *err, int *bad)
{
    buf t;
    buf_init(&t);
    int rc = xml_text(doc->p ? doc->p : "", doc->len, path, &t, err);
    if (rc < 0)
        *bad = 1;
    char *s = rc > 0 ? buf_steal(&t, NULL) : NULL;
    buf_free(&t);
    return s;
}

static int sts_error(const char *action, const char *role, long status, const buf *doc,
                     omics_error *err)
{
    omics_error e;
    omics_error_init(&e);
    int bad = 0;
    char *code = xml_copy(doc, "ErrorResponse/Error/Code", &e, &bad);
    char *message = xml_copy(doc, "ErrorResponse/Error/Message", &e, &bad);
    omics_error_clear(&e);
    omics_error_set(err, OMICS_ECREDENTIALS, code ? code : "STSError", "STS %s for %s: %s",
                    action, role, message ? message : "an answer that is not an STS error");
    err->status = (int)status;
    err->retryable = status >= 500 || (code && (strcmp(code, "Throttling") == 0 ||
                                                strcmp(code, "IDPCommunicationError") == 0));
    free(code);
    free(message);
    return -1;
}

/* POST the form to STS (signed when src is given) and read the credentials. */
static int sts_call(const char *region, const omics_credentials *src, const char *action,
                    const char *role, buf *form, omics_credentials *out, omics_error *err)
{
    endpoint ep;
    if (sts_endpoint(region, &ep, err))
        return -1;
    buf host, path, doc;
    buf_init(&host);
    buf_init(&path);
    buf_init(&doc);
    buf_adds(&host, ep.host);
    if (ep.port)
        buf_addf(&host, ":%s", ep.port);
    buf_adds(&path, ep.base_path);
    buf_addc(&path, '/');
    const char *lines[8];
    size_t nlines = 0;
    buf hl;
    buf_init(&hl); /* "Name: value\0" lines */
    int rc = -1;
    omics_signer *signer = NULL;
    if (host.oom || path.oom || form->oom) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        goto done;
    }
    omics_header hs[2] = {{"Host", host.p},
                          {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    size_t offs[8];
    if (src) {
        signer = omics_signer_new();
        omics_sign_params sp;
        memset(&sp, 0, sizeof sp);
        sp.method = "POST";
        sp.path = path.p;
        sp.query = "";
        sp.headers = hs;
        sp.nheaders = 2;
        sp.body = form->p;
        sp.body_len = form->len;
        sp.region = region ? region : "us-east-1";
        sp.service = "sts";
        sp.credentials = src;
        sp.time = (int64_t)omics_now();
        sp.normalize_path = 1;
        omics_signature sig;
        if (!signer || omics_sign(signer, &sp, &sig, err))
            goto done;
        for (size_t i = 0; i < sig.nheaders && nlines < 8; i++) {
            offs[nlines++] = hl.len;
            buf_addf(&hl, "%s: %s", sig.headers[i].name, sig.headers[i].value);
            buf_addc(&hl, '\0');
        }
    } else {
        for (size_t i = 0; i < 2; i++) {
            offs[nlines++] = hl.len;
            buf_addf(&hl, "%s: %s", hs[i].name, hs[i].value);
            buf_addc(&hl, '\0');
        }
    }
    if (hl.oom) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < nlines; i++)
        lines[i] = hl.p + offs[i];
    char url[1024];
    snprintf(url, sizeof url, "%s://%s%s", ep.scheme, host.p, path.p);
    http_fetch_req req = {"POST", url, lines, nlines, form->p, form->len, STS_TIMEOUT, 5.0, NULL};
    long status = 0;
    if (creds_fetch_http(&req, &status, &doc, err))
        goto done;
    if (status != 200) {
        sts_error(action, role, status, &doc, err);
        goto done;
    }
    char p_akid[160], p_secret[160], p_token[160], p_exp[160];
    snprintf(p_akid, sizeof p_akid, "%sResponse/%sResult/Credentials/AccessKeyId", action, action);
    snprintf(p_secret, sizeof p_secret, "%sResponse/%sResult/Credentials/SecretAccessKey", action,
             action);
    snprintf(p_token, sizeof p_token, "%sResponse/%sResult/Credentials/SessionToken", action,
             action);
    snprintf(p_exp, sizeof p_exp, "%sResponse/%sResult/Credentials/Expiration", action, action);
    int bad = 0;
    char *akid = xml_copy(&doc, p_akid, err, &bad);
    char *secret = bad ? NULL : xml_copy(&doc, p_secret, err, &bad);
    char *token = bad ? NULL : xml_copy(&doc, p_token, err, &bad);
    char *exp = bad ? NULL : xml_copy(&doc, p_exp, err, &bad);
    double expiration = 0;
    if (!bad && (!akid || !secret || !token || creds_expiration(exp, &expiration)))
        omics_error_set(err, OMICS_EPARSE, "STSResponseError",
                        "STS %s answered without complete credentials", action);
    else if (!bad && omics_credentials_set(out, akid, secret, token, "sts", err) == 0) {
        out->expiration = expiration;
        rc = 0;
    }
    if (secret) /* wipe before freeing */
        memset(secret, 0, strlen(secret));
    free(akid);
    free(secret);
    free(token);
    free(exp);
done:
    omics_signer_free(signer);
    endpoint_clear(&ep);
    buf_free(&host);
    buf_free(&path);
    buf_free(&doc);
    buf_free(&hl);
    return rc;
}

int creds_sts_assume_role(const char *region, const omics_credentials *src, const char *role_arn,
                          const char *session, const char *external_id, int duration,
                          omics_credentials *out, omics_error *err)
{
    buf form;
    buf_init(&form);
    form_start(&form, "AssumeRole", role_arn, session, duration);
    if (external_id)
        form_add(&form, "ExternalId", external_id);
    int rc = sts_call(region, src, "AssumeRole", role_arn, &form, out, err);
    buf_free(&form);
    return rc;
}

int creds_sts_web_identity(const char *region, const char *role_arn, const char *session,
                           const char *token, int duration, omics_credentials *out,
                           omics_error *err)
{
    buf form;
    buf_init(&form);
    form_start(&form, "AssumeRoleWithWebIdentity", role_arn, session, duration);
    form_add(&form, "WebIdentityToken", token);
    int rc = sts_call(region, NULL, "AssumeRoleWithWebIdentity", role_arn, &form, out, err);
    if (form.p)
        memset(form.p, 0, form.len); /* it held the token */
    buf_free(&form);
    return rc;
}
