/* describe: the core's own records told through a builder (omics.h), so
 * that a binding makes its tables of them with the one builder it has, and
 * what each table holds is said here once. */
#include <string.h>

#include "client.h"
#include "describe.h"
#include "omics.h"

int describe_set(const omics_builder *b, const char *k)
{
    return b->set_field(b->ud, k, strlen(k));
}

int describe_str(const omics_builder *b, const char *k, const char *v)
{
    return v ? b->string(b->ud, v, strlen(v)) || describe_set(b, k) : 0;
}

int describe_num(const omics_builder *b, const char *k, double v)
{
    return b->number(b->ud, v) || describe_set(b, k);
}

int describe_int(const omics_builder *b, const char *k, int64_t v)
{
    return b->integer(b->ud, v) || describe_set(b, k);
}

int describe_flag(const omics_builder *b, const char *k, int v)
{
    return b->boolean(b->ud, v) || describe_set(b, k);
}

int omics_error_describe(const omics_error *e, const omics_builder *b)
{
    return b->table(b->ud, 0, 8) || describe_str(b, "code", e->code[0] ? e->code : "Error") ||
           describe_str(b, "message", e->message ? e->message : "") ||
           describe_str(b, "kind", omics_error_kind_name(e->kind)) ||
           (e->status && describe_int(b, "status", e->status)) ||
           (e->request_id[0] && describe_str(b, "request_id", e->request_id)) ||
           describe_flag(b, "retryable", e->retryable) || (e->attempts && describe_int(b, "attempts", e->attempts));
}

/* names -> values, one field each */
static int header_map(const omics_builder *b, const omics_header *h, size_t n)
{
    if (b->table(b->ud, 0, n))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (describe_str(b, h[i].name, h[i].value))
            return -1;
    return 0;
}

int omics_request_describe(const omics_request *r, const omics_builder *b)
{
    return b->table(b->ud, 0, 8) || describe_str(b, "method", r->method) || describe_str(b, "path", r->path) ||
           describe_str(b, "query", r->query) || describe_str(b, "host", r->host) || describe_str(b, "url", r->url) ||
           header_map(b, r->headers, r->nheaders) || describe_set(b, "headers") ||
           (r->body && (b->string(b->ud, r->body, r->body_len) || describe_set(b, "body"))) ||
           (r->unsigned_payload && describe_flag(b, "unsigned_payload", 1)) ||
           /* a file payload: its length from where it stands */
           (r->body_reader && describe_num(b, "body_length", (double)r->body_reader->length)) ||
           (r->streaming_output && describe_flag(b, "streaming_output", 1));
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
    return describe_set(b, "headers") || describe_str(b, "canonical_request", s->canonical_request) ||
           describe_str(b, "string_to_sign", s->string_to_sign) || describe_str(b, "signature", s->signature) ||
           describe_str(b, "authorization", s->authorization);
}

int omics_identity_describe(const char *akid, const char *provider, double expiration,
                            const omics_builder *b)
{
    return b->table(b->ud, 0, 3) || describe_str(b, "access_key_id", akid) ||
           describe_str(b, "provider", provider) || (expiration > 0 && describe_num(b, "expiration", expiration));
}

int omics_limits_describe(const omics_limits *l, const omics_builder *b)
{
    return b->table(b->ud, 0, 8) || describe_num(b, "timeout", l->timeout) ||
           describe_num(b, "connect_timeout", l->connect_timeout) ||
           describe_num(b, "stall_timeout", l->stall_timeout) ||
           describe_num(b, "max_response_bytes", (double)l->max_response_bytes) ||
           describe_num(b, "max_header_bytes", (double)l->max_header_bytes);
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
    if (b->table(b->ud, 0, 8) || describe_str(b, "method", r->method) || describe_str(b, "url", r->url) ||
        describe_str(b, "host", r->host) || describe_str(b, "path", r->path) || describe_str(b, "query", r->query) ||
        b->table(b->ud, 0, r->nheaders))
        return -1;
    for (size_t i = 0; i < r->nheaders; i++)
        if (describe_str(b, r->headers[i].name,
                client_secret_header(r->headers[i].name) ? "[REDACTED]" : r->headers[i].value))
            return -1;
    long long len = r->body_reader ? r->body_reader->length : (long long)r->body_len;
    return describe_set(b, "headers") || describe_int(b, "body_length", len) || describe_set(b, "request");
}

int omics_event_describe(const omics_event *ev, const omics_builder *b)
{
    const char *name = omics_event_name(ev->type);
    if (!name || b->table(b->ud, 0, 8) || describe_str(b, "event", name) || describe_str(b, "op", ev->op) ||
        describe_int(b, ev->type == OMICS_EVENT_AFTER_CALL ? "attempts" : "attempt", ev->attempt) ||
        (ev->status && describe_int(b, "status", ev->status)) || describe_str(b, "code", ev->code))
        return -1;
    if (ev->type == OMICS_EVENT_BEFORE_SEND)
        return ev->request ? event_request(ev->request, b) : 0;
    return describe_num(b, "seconds", ev->seconds) ||
           (ev->type == OMICS_EVENT_AFTER_ATTEMPT && describe_int(b, "bytes", ev->bytes));
}
