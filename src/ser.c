/* ser: rest-json request serialization, driven by the model.
 *
 * One walk over the parameters both validates and writes: every problem is
 * recorded with the member path where it was found, and when there is any the
 * request is abandoned with a ParamValidationError listing them.
 *
 * This file holds the scratch memory and ser_prepare, which runs the walk:
 * value checks are in ser_check.c, documents in ser_doc.c, the JSON body
 * writer in ser_json.c, headers, query, labels and host in ser_http.c, and
 * the body in ser_body.c. */
#include "ser.h"

#include <string.h>

#include "rnd.h"
#include "ser_int.h"

#define SER_KEEP_BYTES (1024 * 1024)

void ser_scratch_init(ser_scratch *s)
{
    buf_init(&s->body);
    buf_init(&s->path);
    buf_init(&s->query);
    buf_init(&s->tmp);
    buf_init(&s->errors);
    buf_init(&s->zbody);
}

/* Let go of buffers a large request made large, so that one huge value (or
 * a refused one) does not stay in memory for the life of the client. */
static void scratch_trim(ser_scratch *s)
{
    buf *all[] = {&s->body, &s->path, &s->query, &s->tmp, &s->errors};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i]->cap > SER_KEEP_BYTES)
            buf_free(all[i]);
}

void ser_scratch_free(ser_scratch *s)
{
    buf_free(&s->body);
    buf_free(&s->path);
    buf_free(&s->query);
    buf_free(&s->tmp);
    buf_free(&s->errors);
    buf_free(&s->zbody);
}

/* ---------------------------------------------------------- uuid token */

void omics_uuid4(char out[37])
{
    unsigned char r[16];
    if (rnd_bytes(r, sizeof r) != 0) {
        /* no entropy source: still unique enough per process for a token */
        static unsigned long counter;
        unsigned long x = (unsigned long)&r ^ ++counter;
        for (int i = 0; i < 16; i++)
            r[i] = (unsigned char)(x >> (i % 8 * 8)) ^ (unsigned char)(i * 37);
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
    static const char hex[] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

/* Fill absent idempotency tokens with fresh UUIDs (a copy of the slots). */
static const omics_value **fill_tokens(ser_ctx *c, const model_shape *in,
                                       const omics_value **slots)
{
    for (size_t k = 0; k < in->nmembers; k++) {
        if (slots[k] || !in->members[k].idempotency_token)
            continue;
        omics_value *v = omics_arena_alloc(c->a, sizeof *v);
        char *s = omics_arena_alloc(c->a, 37);
        if (!v || !s) {
            c->oom = 1;
            return slots;
        }
        omics_uuid4(s);
        v->type = OMICS_V_STR;
        v->u.s.p = s;
        v->u.s.len = 36;
        slots[k] = v;
    }
    return slots;
}

/* ------------------------------------------------------------- prepare */

static const omics_value *empty_params(void)
{
    static const omics_value empty = {OMICS_V_TABLE, {.t = {NULL, 0}}};
    return &empty;
}

int ser_prepare(const omics_op *op, const omics_value *params, const ser_endpoint *ep,
                const char *user_agent, omics_arena *a, ser_scratch *s, omics_request *out,
                omics_error *err)
{
    ser_ctx c;
    memset(&c, 0, sizeof c);
    c.a = a;
    c.s = s;
    scratch_trim(s);
    buf_reset(&s->errors);
    buf_reset(&s->path);
    buf_reset(&s->query);
    memset(out, 0, sizeof *out);
    out->method = op->method;
    out->unsigned_payload = op->unsigned_payload;

    if (!params || params->type == OMICS_V_NIL)
        params = empty_params();
    const model_shape *in = op->input;
    static const model_shape no_input = {.name = "(no input)", .type = MT_STRUCTURE,
                                         .payload = -1};
    if (!in)
        in = &no_input;
    const omics_value **slots = ser_struct_slots(&c, in, params);
    if (slots)
        fill_tokens(&c, in, slots);

    /* path and the model's literal query */
    const char *uri = op->uri;
    const char *qmark = strchr(uri, '?');
    size_t plen = qmark ? (size_t)(qmark - uri) : strlen(uri);
    buf_adds(&s->path, ep->base_path);
    if (slots || !in->nmembers)
        ser_expand_path(&c, op, slots, uri, plen, &s->path);
    if (qmark && qmark[1])
        buf_adds(&s->query, qmark + 1);

    if (slots) {
        /* named query members first, then query maps (which they override) */
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (!slots[k] || mm->location != ML_QUERY || mm->shape->type == MT_MAP)
                continue;
            ser_push(&c, mm->name, mm->name_len, 0);
            ser_query_values(&c, mm, mm->shape, slots[k], mm->wire, mm->wire_len);
            ser_pop(&c);
        }
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (!slots[k] || mm->location != ML_QUERY || mm->shape->type != MT_MAP)
                continue;
            ser_push(&c, mm->name, mm->name_len, 0);
            ser_query_map(&c, in, slots, mm, slots[k]);
            ser_pop(&c);
        }
    }

    out->host = ser_build_host(&c, op, slots, ep);
    ser_add_header(&c, "Host", out->host);
    if (slots) {
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (!slots[k] || (mm->location != ML_HEADER && mm->location != ML_HEADERS))
                continue;
            ser_push(&c, mm->name, mm->name_len, 0);
            if (mm->location == ML_HEADER)
                ser_header_member(&c, mm, slots[k]);
            else
                ser_prefix_headers(&c, mm, slots[k]);
            ser_pop(&c);
        }
        ser_build_body(&c, op, slots, out);
    }
    ser_content_md5(&c, op, out);
    if (user_agent)
        ser_add_header(&c, "User-Agent", user_agent);

    if (c.nerr) {
        if (c.nerr > SER_MAX_REPORTED)
            buf_addf(&s->errors, "; and %d more", c.nerr - SER_MAX_REPORTED);
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "invalid parameters for %s: %s", op->name,
                        buf_str(&s->errors) ? buf_str(&s->errors) : "(out of memory)");
        scratch_trim(s); /* nothing refers to a refused request's bytes */
        return -1;
    }
    if (c.oom || s->path.oom || s->query.oom || s->tmp.oom || !out->host)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError",
                               "out of memory while preparing %s", op->name);
    out->path = omics_arena_strndup(a, s->path.p ? s->path.p : "/", s->path.len ? s->path.len : 1);
    out->query = omics_arena_strndup(a, s->query.p ? s->query.p : "", s->query.len);
    buf *t = &s->tmp;
    buf_reset(t);
    /* (no printf: this runs on every call) */
    buf_adds(t, ep->scheme);
    buf_add(t, "://", 3);
    buf_adds(t, out->host);
    buf_add(t, s->path.len ? s->path.p : "/", s->path.len ? s->path.len : 1);
    if (s->query.len) {
        buf_addc(t, '?');
        buf_add(t, s->query.p, s->query.len);
    }
    out->url = t->oom ? NULL : omics_arena_strndup(a, t->p, t->len);
    if (!out->path || !out->query || !out->url)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    out->headers = c.headers;
    out->nheaders = c.nheaders;
    return 0;
}
