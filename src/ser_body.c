/* ser_body: the request's body (a payload member or the body members as
 * JSON), its compression and the Content-MD5 an operation may require. */
#include "ser_int.h"

#include <stdio.h>
#include <string.h>

#include "checksum.h"
#include "gzip.h"
#include "json.h"

static int has_body_members(const model_shape *in)
{
    for (size_t k = 0; k < in->nmembers; k++)
        if (in->members[k].location == ML_BODY)
            return 1;
    return 0;
}

/* The model's requestcompression: a body of at least this many bytes is
 * sent gzipped (botocore's default request_min_compression_size_bytes). */
#define SER_MIN_COMPRESS 10240

/* Gzip the body when the operation asks for it, and say so after any
 * Content-Encoding a member set ("custom, gzip"). */
static void compress_body(ser_ctx *c, const omics_op *op, omics_request *out)
{
    const model_shape *in = op->input;
    if (!op->compress_gzip || !in || out->body_len < SER_MIN_COMPRESS)
        return;
    if (in->payload >= 0 && (in->members[in->payload].shape->flags & MF_REQUIRES_LENGTH))
        return; /* a length the service checks is the length of the bytes as given */
    buf *z = &c->s->zbody;
    buf_reset(z);
    if (gzip_compress(z, out->body, out->body_len)) {
        c->oom = 1;
        return;
    }
    out->body = z->p;
    out->body_len = z->len;
    omics_header *h = ser_find_header(c, "Content-Encoding");
    if (!h) {
        ser_add_header(c, "Content-Encoding", "gzip");
        return;
    }
    buf *t = &c->s->tmp;
    buf_reset(t);
    buf_adds(t, h->value);
    buf_adds(t, *h->value ? ", gzip" : "gzip");
    const char *v = t->oom ? NULL : omics_arena_strndup(c->a, t->p, t->len);
    if (!v)
        c->oom = 1;
    else
        h->value = v;
}

/* httpChecksumRequired: the MD5 of the body as sent (empty when none),
 * unless a member set Content-MD5 already. */
void ser_content_md5(ser_ctx *c, const omics_op *op, omics_request *out)
{
    if (!op->checksum_required || ser_find_header(c, "Content-MD5"))
        return;
    buf *t = &c->s->tmp;
    buf_reset(t);
    if (checksum_md5_base64(t, out->body ? out->body : "", out->body_len)) {
        ser_problem(c, "cannot compute the Content-MD5 this operation requires");
        return;
    }
    ser_add_header(c, "Content-MD5", omics_arena_strndup(c->a, t->p, t->len));
}

void ser_build_body(ser_ctx *c, const omics_op *op, const omics_value **slots,
                    omics_request *out)
{
    const model_shape *in = op->input;
    buf *b = &c->s->body;
    buf_reset(b);
    out->body = NULL;
    out->body_len = 0;
    const char *ctype = NULL;
    if (in->payload >= 0) {
        const model_member *pm = &in->members[in->payload];
        const omics_value *v = slots[in->payload];
        ser_push(c, pm->name, pm->name_len, 0);
        switch (pm->shape->type) {
        case MT_BLOB:
            if (v && v->type == OMICS_V_READER) {
                /* a streamed payload: sent as it is read, never held whole */
                if (!(pm->shape->flags & MF_STREAMING))
                    ser_problem(c, "only a streaming payload can come from a file");
                else if (v->u.r->length < 0)
                    ser_problem(c, "a file of unknown length cannot be sent (the service needs "
                               "the length first)");
                else {
                    out->body_reader = v->u.r;
                    out->body_len = (size_t)v->u.r->length;
                    ctype = "application/octet-stream";
                }
            } else if (v && ser_check_blob(c, pm->shape, v) == 0) {
                out->body = v->u.s.p; /* no copy: the caller's bytes */
                out->body_len = v->u.s.len;
                ctype = "application/octet-stream";
            }
            break;
        case MT_STRING:
            if (v && ser_check_string(c, pm->shape, v) == 0) {
                out->body = v->u.s.p;
                out->body_len = v->u.s.len;
                ctype = "text/plain";
            }
            break;
        default:
            if (v) {
                ser_json_value(c, pm, pm->shape, v, b);
            } else if (pm->shape->type == MT_STRUCTURE && !(pm->shape->flags & MF_UNION)) {
                buf_adds(b, "{}");
            }
            if (b->len) {
                out->body = b->p;
                out->body_len = b->len;
                ctype = "application/json";
            }
        }
        ser_pop(c);
    } else if (has_body_members(in)) {
        size_t n = ser_json_members(c, in, slots, 1, b);
        int bodyless = strcmp(op->method, "GET") == 0 || strcmp(op->method, "HEAD") == 0;
        if (n || !bodyless) {
            out->body = b->p;
            out->body_len = b->len;
            ctype = "application/json";
        }
    }
    if (b->oom)
        c->oom = 1;
    if (ctype && !ser_has_header(c, "Content-Type"))
        ser_add_header(c, "Content-Type", ctype);
    compress_body(c, op, out);
    if (out->body_len || out->body_reader || (out->body && strcmp(op->method, "GET") != 0)) {
        char len[24];
        snprintf(len, sizeof len, "%zu", out->body_len);
        ser_add_header(c, "Content-Length", omics_arena_strdup(c->a, len));
    }
}
