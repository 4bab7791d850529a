/* describe: the core's own records told through a builder (omics.h), so
 * that a binding makes its tables of them with the one builder it has, and
 * what each table holds is said here once. */
#include <string.h>

#include "client.h"
#include "model.h"
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

/* ---------------------------------------------------------- the model */

/* A member: name, shape (its name), where it goes, its wire name when it
 * differs, and its flags. */
static int describe_member(const model_member *mm, const omics_builder *b, omics_arena *a)
{
    const char *snake = model_snake_case(a, mm->name);
    return b->table(b->ud, 0, 8) || str(b, "name", mm->name) || str(b, "shape", mm->shape->name) ||
           str(b, "location", model_location_name(mm->location)) ||
           (strcmp(mm->wire, mm->name) && str(b, "wire", mm->wire)) ||
           str(b, "snake", snake ? snake : mm->name) ||
           (mm->required && flag(b, "required", 1)) ||
           (mm->idempotency_token && flag(b, "idempotency_token", 1)) ||
           (mm->host_label && flag(b, "host_label", 1)) ||
           (mm->jsonvalue && flag(b, "jsonvalue", 1));
}

static int describe_shape(const model_shape *sh, const omics_builder *b, omics_arena *a)
{
    if (b->table(b->ud, 0, 12) || str(b, "type", model_type_name(sh->type)) ||
        (sh->has_min && num(b, "min", sh->min)) || (sh->has_max && num(b, "max", sh->max)) ||
        str(b, "pattern", sh->pattern) || ((sh->flags & MF_UNION) && flag(b, "union", 1)) ||
        ((sh->flags & MF_STREAMING) && flag(b, "streaming", 1)) ||
        ((sh->flags & MF_SENSITIVE) && flag(b, "sensitive", 1)) ||
        ((sh->flags & MF_SPARSE) && flag(b, "sparse", 1)) ||
        ((sh->flags & MF_REQUIRES_LENGTH) && flag(b, "requires_length", 1)))
        return -1;
    if (sh->nenums) {
        if (b->table(b->ud, sh->nenums, 0))
            return -1;
        for (size_t i = 0; i < sh->nenums; i++)
            if (b->string(b->ud, sh->enums[i], strlen(sh->enums[i])) || b->set_index(b->ud, i + 1))
                return -1;
        if (set(b, "enum"))
            return -1;
    }
    if (sh->type == MT_STRUCTURE) {
        if (b->table(b->ud, sh->nmembers, 0))
            return -1;
        for (size_t i = 0; i < sh->nmembers; i++)
            if (describe_member(&sh->members[i], b, a) || b->set_index(b->ud, i + 1))
                return -1;
        if (set(b, "members") ||
            (sh->payload >= 0 && str(b, "payload", sh->members[sh->payload].name)))
            return -1;
    } else if (sh->type == MT_LIST) {
        if (str(b, "member", sh->member.shape->name))
            return -1;
    } else if (sh->type == MT_MAP) {
        if (str(b, "key", sh->key.shape->name) || str(b, "value", sh->value.shape->name))
            return -1;
    }
    if (sh->error_code && (str(b, "error_code", sh->error_code) ||
                           (sh->error_status && integer(b, "error_status", sh->error_status)) ||
                           (sh->retryable && flag(b, "retryable", 1)) ||
                           (sh->throttling && flag(b, "throttling", 1))))
        return -1;
    return 0;
}

static int describe_op(const omics_op *op, const omics_builder *b)
{
    if (b->table(b->ud, 0, 12) || str(b, "name", op->name) || str(b, "method", op->snake) ||
        str(b, "http_method", op->method) || str(b, "uri", op->uri) ||
        integer(b, "response_code", op->response_code) || str(b, "host_prefix", op->host_prefix) ||
        (op->input && str(b, "input", op->input->name)) ||
        (op->output && str(b, "output", op->output->name)) ||
        (op->deprecated && flag(b, "deprecated", 1)) ||
        (op->unsigned_payload && flag(b, "unsigned_payload", 1)) ||
        b->table(b->ud, op->nerrors, 0))
        return -1;
    for (size_t i = 0; i < op->nerrors; i++)
        if (b->string(b->ud, op->errors[i]->name, strlen(op->errors[i]->name)) ||
            b->set_index(b->ud, i + 1))
            return -1;
    return set(b, "errors");
}

int omics_model_describe(const omics_model *m, const omics_builder *b)
{
    omics_arena *a = omics_arena_new(4096);
    if (!a)
        return -1;
    int rc = b->table(b->ud, 0, 4) || b->table(b->ud, 0, 6) ||
             str(b, "service_id", m->service_id) || str(b, "api_version", m->api_version) ||
             str(b, "endpoint_prefix", m->endpoint_prefix) ||
             str(b, "signing_name", m->signing_name) || str(b, "protocol", m->protocol) ||
             set(b, "service") || b->table(b->ud, m->nops, 0);
    for (size_t i = 0; !rc && i < m->nops; i++)
        rc = describe_op(&m->ops[i], b) || b->set_index(b->ud, i + 1);
    rc = rc || set(b, "operations") || b->table(b->ud, 0, m->nshapes);
    for (size_t i = 0; !rc && i < m->nshapes; i++) {
        omics_arena_reset(a);
        rc = describe_shape(&m->shapes[i], b, a) || set(b, m->shapes[i].name);
    }
    rc = rc || set(b, "shapes");
    omics_arena_free(a);
    return rc ? -1 : 0;
}
