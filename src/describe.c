/* describe: the core's own records told through a builder (omics.h), so
 * that a binding makes its tables of them with the one builder it has, and
 * what each table holds is said here once. */
#include <string.h>

#include "client.h"
#include "omics.h"

static int set(const omics_builder *b, const char *k)
{
    return b->set_field(b->ud, k, strlen(k));
}

static int str(const omics_builder *b, const char *k, const char *v)
{
    return v ? b->string(b->ud, v, strlen(v)) || set(b, k) : 0;
}

static int num(const omics_builder *b, const char *k, double v)
{
    return b->number(b->ud, v) || set(b, k);
}

static int integer(const omics_builder *b, const char *k, int64_t v)
{
    return b->integer(b->ud, v) || set(b, k);
}

static int flag(const omics_builder *b, const char *k, int v)
{
    return b->boolean(b->ud, v) || set(b, k);
}

int omics_error_describe(const omics_error *e, const omics_builder *b)
{
    return b->table(b->ud, 0, 8) || str(b, "code", e->code[0] ? e->code : "Error") ||
           str(b, "message", e->message ? e->message : "") ||
           str(b, "kind", omics_error_kind_name(e->kind)) ||
           (e->status && integer(b, "status", e->status)) ||
           (e->request_id[0] && str(b, "request_id", e->request_id)) ||
           flag(b, "retryable", e->retryable) || (e->attempts && integer(b, "attempts", e->attempts));
}

/* names -> values, one field each */
static int header_map(const omics_builder *b, const omics_header *h, size_t n)
{
    if (b->table(b->ud, 0, n))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (str(b, h[i].name, h[i].value))
            return -1;
    return 0;
}

int omics_request_describe(const omics_request *r, const omics_builder *b)
{
    return b->table(b->ud, 0, 8) || str(b, "method", r->method) || str(b, "path", r->path) ||
           str(b, "query", r->query) || str(b, "host", r->host) || str(b, "url", r->url) ||
           header_map(b, r->headers, r->nheaders) || set(b, "headers") ||
           (r->body && (b->string(b->ud, r->body, r->body_len) || set(b, "body"))) ||
           (r->unsigned_payload && flag(b, "unsigned_payload", 1)) ||
           /* a file payload: its length from where it stands */
           (r->body_reader && num(b, "body_length", (double)r->body_reader->length)) ||
           (r->streaming_output && flag(b, "streaming_output", 1));
}

int omics_signature_describe(const omics_signature *s, const omics_builder *b)
{
    if (b->table(b->ud, 0, 5) || b->table(b->ud, s->nheaders, 0))
        return -1;
    for (size_t i = 0; i < s->nheaders; i++) {
        const omics_header *h = &s->headers[i];
        if (b->table(b->ud, 2, 0) || b->string(b->ud, h->name, strlen(h->name)) ||
            b->set_index(b->ud, 1) || b->string(b->ud, h->value, strlen(h->value)) ||
            b->set_index(b->ud, 2) || b->set_index(b->ud, i + 1))
            return -1;
    }
    return set(b, "headers") || str(b, "canonical_request", s->canonical_request) ||
           str(b, "string_to_sign", s->string_to_sign) || str(b, "signature", s->signature) ||
           str(b, "authorization", s->authorization);
}

int omics_identity_describe(const char *akid, const char *provider, double expiration,
                            const omics_builder *b)
{
    return b->table(b->ud, 0, 3) || str(b, "access_key_id", akid) ||
           str(b, "provider", provider) || (expiration > 0 && num(b, "expiration", expiration));
}

int omics_limits_describe(const omics_limits *l, const omics_builder *b)
{
    return b->table(b->ud, 0, 8) || num(b, "timeout", l->timeout) ||
           num(b, "connect_timeout", l->connect_timeout) ||
           num(b, "stall_timeout", l->stall_timeout) ||
           num(b, "max_response_bytes", (double)l->max_response_bytes) ||
           num(b, "max_header_bytes", (double)l->max_header_bytes);
}

int omics_model_describe_ops(const omics_model *m, const omics_builder *b)
{
    size_t n = omics_model_op_count(m);
    if (b->table(b->ud, n, 0))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const omics_op *op = omics_model_op_at(m, i);
        if (b->table(b->ud, 0, 2) || str(b, "name", omics_op_name(op)) ||
            str(b, "method", omics_op_snake(op)) || b->set_index(b->ud, i + 1))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------- events */

const char *omics_event_name(omics_event_type type)
{
    switch (type) {
    case OMICS_EVENT_BEFORE_SEND: return "before_send";
    case OMICS_EVENT_AFTER_ATTEMPT: return "after_attempt";
    case OMICS_EVENT_AFTER_CALL: return "after_call";
    }
    return NULL;
}

/* The request of before_send: where it goes and its headers, the secret
 * ones redacted; the body's length, never the body. */
static int event_request(const omics_request *r, const omics_builder *b)
{
    if (b->table(b->ud, 0, 8) || str(b, "method", r->method) || str(b, "url", r->url) ||
        str(b, "host", r->host) || str(b, "path", r->path) || str(b, "query", r->query) ||
        b->table(b->ud, 0, r->nheaders))
        return -1;
    for (size_t i = 0; i < r->nheaders; i++)
        if (str(b, r->headers[i].name,
                client_secret_header(r->headers[i].name) ? "[REDACTED]" : r->headers[i].value))
            return -1;
    long long len = r->body_reader ? r->body_reader->length : (long long)r->body_len;
    return set(b, "headers") || integer(b, "body_length", len) || set(b, "request");
}

int omics_event_describe(const omics_event *ev, const omics_builder *b)
{
    const char *name = omics_event_name(ev->type);
    if (!name || b->table(b->ud, 0, 8) || str(b, "event", name) || str(b, "op", ev->op) ||
        integer(b, ev->type == OMICS_EVENT_AFTER_CALL ? "attempts" : "attempt", ev->attempt) ||
        (ev->status && integer(b, "status", ev->status)) || str(b, "code", ev->code))
        return -1;
    if (ev->type == OMICS_EVENT_BEFORE_SEND)
        return ev->request ? event_request(ev->request, b) : 0;
    return num(b, "seconds", ev->seconds) ||
           (ev->type == OMICS_EVENT_AFTER_ATTEMPT && integer(b, "bytes", ev->bytes));
}
