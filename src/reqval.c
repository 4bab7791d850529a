/* reqval: a request, a response and the parameters of a signature read
 * from a value tree (a binding's table), with the checks a table from
 * outside needs: types, NUL bytes, a real HTTP status. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "omics.h"

/* The string member key of t, or NULL (then *len is 0). */
static const char *text(const omics_value *t, const char *key, size_t *len)
{
    const omics_value *v = omics_value_get(t, key);
    int ok = v && v->type == OMICS_V_STR;
    if (len)
        *len = ok ? v->u.s.len : 0;
    return ok ? v->u.s.p : NULL;
}

static int truthy(const omics_value *t, const char *key, int dflt)
{
    const omics_value *v = omics_value_get(t, key);
    if (!v)
        return dflt;
    return v->type != OMICS_V_BOOL || v->u.b;
}

static int has_nul(const omics_value *v)
{
    return v->type == OMICS_V_STR && strlen(v->u.s.p) != v->u.s.len;
}

/* Item i (1-based) of the list t, or NULL. */
static const omics_value *item(const omics_value *t, int64_t i)
{
    for (size_t k = 0; k < t->u.t.n; k++)
        if (t->u.t.items[k].key.type == OMICS_V_INT && t->u.t.items[k].key.u.i == i)
            return &t->u.t.items[k].val;
    return NULL;
}

/* The headers member of t: a map name -> value or a list of { name, value },
 * in an array allocated in a (names in lower case when lower). */
static int headers(const omics_value *t, omics_arena *a, int lower, omics_header **out, size_t *n,
                   omics_error *err)
{
    *out = NULL;
    *n = 0;
    const omics_value *h = omics_value_get(t, "headers");
    if (!h)
        return 0;
    if (h->type != OMICS_V_TABLE)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "headers: expected a table");
    omics_header *hs = h->u.t.n ? omics_arena_alloc(a, h->u.t.n * sizeof *hs) : NULL;
    if (h->u.t.n && !hs)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    for (size_t i = 0; i < h->u.t.n; i++) {
        const omics_entry *e = &h->u.t.items[i];
        const omics_value *name = &e->key, *value = &e->val;
        if (e->val.type == OMICS_V_TABLE) { /* { name, value } */
            name = item(&e->val, 1);
            value = item(&e->val, 2);
        }
        if (!name || !value || name->type != OMICS_V_STR || value->type != OMICS_V_STR)
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "headers: each header is name = value (strings) or "
                                   "{ name, value }");
        if (has_nul(name) || has_nul(value))
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "header %zu: its name or value holds a control character "
                                   "(a NUL byte)",
                                   i + 1);
        char *ln = lower ? omics_arena_strdup(a, name->u.s.p) : NULL;
        if (lower && !ln)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        for (char *p = ln; p && *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + 32);
        hs[i].name = lower ? ln : name->u.s.p;
        hs[i].value = value->u.s.p;
    }
    *out = hs;
    *n = h->u.t.n;
    return 0;
}

int omics_request_from_value(omics_request *out, const omics_value *v, omics_arena *a,
                             omics_error *err)
{
    memset(out, 0, sizeof *out);
    out->method = text(v, "method", NULL);
    out->path = text(v, "path", NULL);
    out->query = text(v, "query", NULL);
    out->body = text(v, "body", &out->body_len);
    out->unsigned_payload = truthy(v, "unsigned_payload", 0);
    if (!out->method || !out->path)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "req: method and path are required (a table from client:prepare)");
    return headers(v, a, 0, &out->headers, &out->nheaders, err);
}

int omics_response_from_value(omics_response *out, const omics_value *v, omics_arena *a,
                              omics_error *err)
{
    memset(out, 0, sizeof *out);
    const omics_value *s = omics_value_get(v, "status");
    double status = !s ? 0 : s->type == OMICS_V_INT ? (double)s->u.i : s->type == OMICS_V_NUM ? s->u.n : 0;
    if (status != floor(status) || status < 100 || status > 999)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "response: status must be an HTTP status code");
    out->status = (long)status;
    out->body = text(v, "body", &out->body_len);
    if (!out->body)
        out->body = "";
    out->body_streamed = truthy(v, "body_streamed", 0);
    omics_header *hs;
    if (headers(v, a, 1, &hs, &out->nheaders, err))
        return -1;
    out->headers = hs;
    return 0;
}

int omics_sign_params_from_value(omics_sign_params *p, omics_credentials *creds,
                                 const omics_value *v, omics_arena *a, omics_error *err)
{
    static const char *const texts[] = {"method", "path", "query", "region", "service",
                                        "payload_hash", NULL};
    memset(p, 0, sizeof *p);
    for (const char *const *k = texts; *k; k++) {
        const omics_value *t = omics_value_get(v, *k);
        if (t && has_nul(t))
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "req.%s holds a control character (a NUL byte)", *k);
    }
    p->method = text(v, "method", NULL);
    p->path = text(v, "path", NULL);
    p->query = text(v, "query", NULL);
    p->body = text(v, "body", &p->body_len);
    p->payload_hash = text(v, "payload_hash", NULL);
    p->region = text(v, "region", NULL);
    p->service = text(v, "service", NULL);
    p->normalize_path = truthy(v, "normalize_path", 1);
    p->no_path_encoding = !truthy(v, "encode_path", 1);
    p->content_sha256_header = truthy(v, "content_sha256_header", 0);
    p->omit_session_token = truthy(v, "omit_session_token", 0);
    const omics_value *t = omics_value_get(v, "time");
    if (t && t->type == OMICS_V_INT)
        p->time = t->u.i;
    else if (t && t->type == OMICS_V_NUM && isfinite(t->u.n) && fabs(t->u.n) < 9.2e18)
        p->time = (int64_t)floor(t->u.n);
    else
        p->time = (int64_t)time(NULL);
    omics_header *hs;
    if (headers(v, a, 0, &hs, &p->nheaders, err))
        return -1;
    p->headers = hs;
    const omics_value *c = omics_value_get(v, "credentials");
    if (!c || c->type != OMICS_V_TABLE)
        return omics_error_set(err, OMICS_ECREDENTIALS, "NoCredentialsError",
                               "req.credentials is required");
    if (omics_credentials_from_value(creds, c, "req.credentials", "option", err))
        return -1;
    p->credentials = creds;
    return 0;
}
