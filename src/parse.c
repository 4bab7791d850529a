/* parse: rest-json responses into results, driven by the model.
 *
 * The body is read by jread (one pass, no allocation per value), then walked
 * together with the output shape;
 * every value is handed to the caller's builder already converted
 * (timestamps to epoch seconds, blobs decoded, integers as integers). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "buf.h"
#include "errclass.h"
#include "jread.h"
#include "json.h"
#include "model.h"
#include "omics.h"
#include "ts.h"

struct omics_parser {
    jread doc; /* the last JSON text read */
    buf tmp;
    buf path; /* where a value went wrong, for messages */
    buf key;  /* a long name from the text, NUL-terminated for set_field */
};

typedef struct parse_ctx {
    omics_parser *p;
    const omics_builder *b;
    omics_error *err;
    struct {
        const char *s;
        size_t n;
    } where[128]; /* member names on the way down, for messages */
    int depth;
    int failed;
} parse_ctx;

omics_parser *omics_parser_new(void)
{
    omics_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    buf_init(&p->tmp);
    buf_init(&p->path);
    buf_init(&p->key);
    jread_init(&p->doc);
    return p;
}

void omics_parser_free(omics_parser *p)
{
    if (!p)
        return;
    jread_free(&p->doc);
    buf_free(&p->tmp);
    buf_free(&p->path);
    buf_free(&p->key);
    free(p);
}

/* ------------------------------------------------------------ helpers */


/* A list: through the builder's list callback when it has one. */
static int begin_list(const omics_builder *b, size_t n)
{
    return b->list ? b->list(b->ud, n) : b->table(b->ud, n, 0);
}

static int builder_failed(parse_ctx *c)
{
    if (!c->failed)
        omics_error_set(c->err, OMICS_EMEMORY, "MemoryError",
                        "out of memory while building the result");
    c->failed = 1;
    return -1;
}

static int bad_value(parse_ctx *c, const char *what)
{
    if (c->failed)
        return -1;
    buf *b = &c->p->path;
    buf_reset(b);
    for (int i = 0; i < c->depth && i < 128; i++) {
        if (i)
            buf_addc(b, '.');
        buf_add(b, c->where[i].s, c->where[i].n);
    }
    omics_error_set(c->err, OMICS_EPARSE, "ResponseParseError",
                    "the response is not what the model describes: %s at %s", what,
                    b->len ? buf_str(b) : "(top level)");
    c->failed = 1;
    return -1;
}

#define B(call)                                                                                \
    do {                                                                                       \
        if ((call) != 0)                                                                       \
            return builder_failed(c);                                                          \
    } while (0)

static const char *header_get(const omics_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

static int parse_int64(const char *s, size_t n, int64_t *out)
{
    if (!n || n > 20)
        return -1;
    char tmp[24];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(tmp, &end, 10);
    if (*end || errno)
        return -1;
    *out = v;
    return 0;
}

static int parse_special_double(const char *s, size_t n, double *out)
{
    if (n == 3 && memcmp(s, "NaN", 3) == 0)
        *out = NAN;
    else if (n == 8 && memcmp(s, "Infinity", 8) == 0)
        *out = INFINITY;
    else if (n == 9 && memcmp(s, "-Infinity", 9) == 0)
        *out = -INFINITY;
    else
        return -1;
    return 0;
}

static int parse_double_text(const char *s, size_t n, double *out)
{
    if (parse_special_double(s, n, out) == 0)
        return 0;
    if (!n || n > 63)
        return -1;
    char tmp[64];
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    double v = strtod(tmp, &end);
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static int ts_format_of(const model_member *mm, int location_default)
{
    if (mm && mm->ts_format != MODEL_TS_DEFAULT)
        return mm->ts_format;
    if (mm && mm->shape->ts_format != MODEL_TS_DEFAULT)
        return mm->shape->ts_format;
    return location_default;
}

static int is_integer_type(int t)
{
    return t == MT_BYTE || t == MT_SHORT || t == MT_INTEGER || t == MT_LONG || t == MT_BIGINT;
}

static int is_float_type(int t)
{
    return t == MT_FLOAT || t == MT_DOUBLE || t == MT_BIGDEC;
}

/* -------------------------------------------------------------- JSON */

static int set_text_key(parse_ctx *c, const char *k, size_t n);

static int json_doc(parse_ctx *c, const jr_node *j)
{
    const omics_builder *b = c->b;
    switch (j->type) {
    case JR_NULL:
        B(b->null(b->ud));
        break;
    case JR_TRUE:
    case JR_FALSE:
        B(b->boolean(b->ud, j->type == JR_TRUE));
        break;
    case JR_NUMBER: {
        double d = jread_number(j);
        int64_t exact;
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            B(b->integer(b->ud, (int64_t)d));
        else if (jread_int64(j, &exact) == 0)
            B(b->integer(b->ud, exact)); /* beyond 2^53: the digits sent */
        else
            B(b->number(b->ud, d));
        break;
    }
    case JR_STRING:
        B(b->string(b->ud, j->s, j->len));
        break;
    case JR_ARRAY: {
        B(begin_list(b, j->count));
        size_t i = 0;
        JR_EACH(e, j)
        {
            if (json_doc(c, e))
                return -1;
            B(b->set_index(b->ud, ++i));
        }
        break;
    }
    case JR_OBJECT:
        B(b->table(b->ud, 0, j->count));
        JR_EACH(e, j)
        {
            if (json_doc(c, e) || set_text_key(c, e->key, e->key_len))
                return -1;
        }
        break;
    default:
        return bad_value(c, "an unreadable JSON value");
    }
    return 0;
}

static int json_value(parse_ctx *c, const model_member *mm, const model_shape *sh,
                      const jr_node *j);

/* Store the top value under a name read from the text, where it does not
 * end in a NUL as set_field needs: copied (a read with a U+0000 in it is
 * refused before any walk, so the name holds none). */
static int set_text_key(parse_ctx *c, const char *k, size_t n)
{
    buf *t = &c->p->key;
    buf_reset(t);
    buf_add(t, k, n);
    if (t->oom)
        return builder_failed(c);
    B(c->b->set_field(c->b->ud, buf_str(t), n));
    return 0;
}

static int push_where(parse_ctx *c, const char *name, size_t len)
{
    if (c->depth >= 128)
        return bad_value(c, "nesting too deep");
    c->where[c->depth].s = name;
    c->where[c->depth++].n = len;
    return 0;
}

/* A union member newer than the model, as botocore shows it:
 * SDK_UNKNOWN_MEMBER = { name = "theMember" }. */
static int unknown_union_member(parse_ctx *c, const char *name, size_t len)
{
    const omics_builder *b = c->b;
    B(b->table(b->ud, 0, 1));
    B(b->string(b->ud, name, len));
    B(b->set_field(b->ud, "name", 4));
    B(b->set_field(b->ud, "SDK_UNKNOWN_MEMBER", 18));
    return 0;
}

/* The members of shape sh found in JSON object j, stored into the table on
 * top of the builder's stack.  body_only skips members bound elsewhere
 * (headers, status) as a top-level output shape needs. */
static int json_members(parse_ctx *c, const model_shape *sh, const jr_node *j, int body_only)
{
    const omics_builder *b = c->b;
    JR_EACH(e, j)
    {
        if (e->type == JR_NULL)
            continue;
        const model_member *mm = model_find_wire(sh, e->key, e->key_len);
        if (!mm && (sh->flags & MF_UNION) &&
            !(e->key_len == 6 && memcmp(e->key, "__type", 6) == 0)) {
            if (unknown_union_member(c, e->key, e->key_len))
                return -1;
            continue;
        }
        if (!mm || (body_only && mm->location != ML_BODY))
            continue; /* members this model does not know are ignored */
        if (push_where(c, mm->name, mm->name_len))
            return -1;
        if (json_value(c, mm, mm->shape, e))
            return -1;
        c->depth--;
        B(b->set_field(b->ud, mm->name, mm->name_len));
    }
    return 0;
}

static int json_structure(parse_ctx *c, const model_shape *sh, const jr_node *j)
{
    const omics_builder *b = c->b;
    if (j->type != JR_OBJECT)
        return bad_value(c, "expected a JSON object");
    B(b->table(b->ud, 0, sh->nmembers));
    return json_members(c, sh, j, 0);
}

static int json_list(parse_ctx *c, const model_shape *sh, const jr_node *j)
{
    const omics_builder *b = c->b;
    if (j->type != JR_ARRAY)
        return bad_value(c, "expected a JSON array");
    B(begin_list(b, j->count));
    size_t i = 0;
    JR_EACH(e, j)
    {
        if (e->type == JR_NULL) {
            if (!(sh->flags & MF_SPARSE))
                continue;
            B(b->null(b->ud));
        } else if (json_value(c, &sh->member, sh->member.shape, e)) {
            return -1;
        }
        B(b->set_index(b->ud, ++i));
    }
    return 0;
}

static int json_map(parse_ctx *c, const model_shape *sh, const jr_node *j)
{
    const omics_builder *b = c->b;
    if (j->type != JR_OBJECT)
        return bad_value(c, "expected a JSON object (map)");
    B(b->table(b->ud, 0, j->count));
    JR_EACH(e, j)
    {
        if (e->type == JR_NULL) {
            if (!(sh->flags & MF_SPARSE))
                continue;
            B(b->null(b->ud));
        } else {
            if (push_where(c, e->key, e->key_len))
                return -1;
            if (json_value(c, &sh->value, sh->value.shape, e))
                return -1;
            c->depth--;
        }
        if (set_text_key(c, e->key, e->key_len))
            return -1;
    }
    return 0;
}

static int json_value(parse_ctx *c, const model_member *mm, const model_shape *sh,
                      const jr_node *j)
{
    const omics_builder *b = c->b;
    switch (sh->type) {
    case MT_STRUCTURE:
        return json_structure(c, sh, j);
    case MT_LIST:
        return json_list(c, sh, j);
    case MT_MAP:
        return json_map(c, sh, j);
    case MT_DOCUMENT:
        return json_doc(c, j);
    case MT_STRING:
        if (j->type != JR_STRING)
            return bad_value(c, "expected a string");
        if (!json_utf8_valid(j->s, j->len))
            return bad_value(c, "a string that is not valid UTF-8");
        B(b->string(b->ud, j->s, j->len));
        return 0;
    case MT_BOOLEAN:
        if (j->type != JR_TRUE && j->type != JR_FALSE)
            return bad_value(c, "expected true or false");
        B(b->boolean(b->ud, j->type == JR_TRUE));
        return 0;
    case MT_BLOB: {
        if (j->type != JR_STRING)
            return bad_value(c, "expected a base64 string");
        buf *t = &c->p->tmp;
        buf_reset(t);
        if (b64_decode(t, j->s, j->len))
            return bad_value(c, "invalid base64");
        B(b->string(b->ud, t->p ? t->p : "", t->len));
        return 0;
    }
    case MT_TIMESTAMP: {
        double t;
        if (j->type == JR_NUMBER)
            t = jread_number(j);
        else if (j->type != JR_STRING || ts_parse_any(j->s, j->len, &t) != 0)
            return bad_value(c, "expected a timestamp");
        (void)mm;
        B(b->number(b->ud, t));
        return 0;
    }
    default:
        break;
    }
    if (is_float_type(sh->type)) {
        double d;
        if (j->type == JR_NUMBER)
            d = jread_number(j);
        else if (j->type != JR_STRING || parse_special_double(j->s, j->len, &d) != 0)
            return bad_value(c, "expected a number");
        B(b->number(b->ud, d));
        return 0;
    }
    /* integers */
    if (j->type != JR_NUMBER)
        return bad_value(c, "expected an integer");
    double d = jread_number(j);
    int64_t exact;
    if (fabs(d) >= 9007199254740992.0 && jread_int64(j, &exact) == 0) {
        B(b->integer(b->ud, exact)); /* a double would round it: the digits sent */
        return 0;
    }
    if (d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
        return bad_value(c, "expected an integer");
    B(b->integer(b->ud, (int64_t)d));
    return 0;
}

/* ----------------------------------------------------------- headers */

/* One scalar from header text. */
static int header_scalar(parse_ctx *c, const model_member *mm, const model_shape *sh,
                         const char *s, size_t n)
{
    const omics_builder *b = c->b;
    if (sh->type == MT_STRING) {
        B(b->string(b->ud, s, n));
        return 0;
    }
    if (sh->type == MT_BOOLEAN) {
        if (n == 4 && memcmp(s, "true", 4) == 0)
            B(b->boolean(b->ud, 1));
        else if (n == 5 && memcmp(s, "false", 5) == 0)
            B(b->boolean(b->ud, 0));
        else
            return bad_value(c, "expected true or false in a header");
        return 0;
    }
    if (sh->type == MT_TIMESTAMP) {
        double t;
        int fmt = ts_format_of(mm, TS_HTTP_DATE);
        int rc = fmt == TS_EPOCH     ? ts_parse_epoch(s, n, &t)
                 : fmt == TS_ISO8601 ? ts_parse_iso8601(s, n, &t)
                                     : ts_parse_http_date(s, n, &t);
        if (rc && ts_parse_any(s, n, &t))
            return bad_value(c, "expected a timestamp in a header");
        B(b->number(b->ud, t));
        return 0;
    }
    if (sh->type == MT_BLOB) {
        buf *t = &c->p->tmp;
        buf_reset(t);
        if (b64_decode(t, s, n))
            return bad_value(c, "invalid base64 in a header");
        B(b->string(b->ud, t->p ? t->p : "", t->len));
        return 0;
    }
    if (is_float_type(sh->type)) {
        double d;
        if (parse_double_text(s, n, &d))
            return bad_value(c, "expected a number in a header");
        B(b->number(b->ud, d));
        return 0;
    }
    if (is_integer_type(sh->type)) {
        int64_t i;
        if (parse_int64(s, n, &i))
            return bad_value(c, "expected an integer in a header");
        B(b->integer(b->ud, i));
        return 0;
    }
    return bad_value(c, "a header for a shape that cannot be in one");
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* A comma-separated header list; quoted items may hold commas and escaped
 * quotes.  HTTP dates hold a comma themselves, so they are split after GMT. */
static int header_list(parse_ctx *c, const model_member *mm, const char *v)
{
    const omics_builder *b = c->b;
    const model_member *item = &mm->shape->member;
    const char *end = v + strlen(v);
    int dates = item->shape->type == MT_TIMESTAMP &&
                ts_format_of(item, TS_HTTP_DATE) == TS_HTTP_DATE;
    B(begin_list(b, 4));
    size_t index = 0;
    const char *p = skip_ws(v, end);
    buf *t = &c->p->tmp;
    while (p < end) {
        buf_reset(t);
        if (*p == '"') {
            p++;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end)
                    p++;
                buf_addc(t, *p++);
            }
            if (p < end)
                p++;
            p = skip_ws(p, end);
            if (p < end && *p == ',')
                p++;
        } else {
            const char *stop;
            if (dates) {
                const char *gmt = strstr(p, "GMT");
                stop = gmt ? gmt + 3 : end;
            } else {
                stop = memchr(p, ',', (size_t)(end - p));
                if (!stop)
                    stop = end;
            }
            const char *q = stop;
            while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
                q--;
            buf_add(t, p, (size_t)(q - p));
            p = stop;
            p = skip_ws(p, end);
            if (p < end && *p == ',')
                p++;
        }
        p = skip_ws(p, end);
        /* the scalar parser may reuse tmp: copy the item out first */
        size_t n = t->len;
        char small[256];
        char *copy = n < sizeof small ? small : malloc(n + 1);
        if (!copy)
            return builder_failed(c);
        if (n)
            memcpy(copy, t->p, n);
        copy[n] = '\0';
        int rc = header_scalar(c, item, item->shape, copy, n);
        if (copy != small)
            free(copy);
        if (rc)
            return -1;
        B(b->set_index(b->ud, ++index));
    }
    return 0;
}

/* A jsonvalue header: base64 of JSON text.  On a string shape (the shape
 * botocore models use) the result is that text, as it was sent; on any other
 * shape, the decoded value. */
static int header_jsonvalue(parse_ctx *c, const model_member *mm, const char *v)
{
    const omics_builder *b = c->b;
    buf *t = &c->p->tmp;
    buf_reset(t);
    if (b64_decode(t, v, strlen(v)))
        return bad_value(c, "invalid base64 in a JSON header");
    if (mm->shape->type == MT_STRING) {
        if (!json_utf8_valid(t->p ? t->p : "", t->len))
            return bad_value(c, "a JSON header that is not valid UTF-8");
        B(b->string(b->ud, t->p ? t->p : "", t->len));
        return 0;
    }
    jread doc; /* (its own: the body's document may be in use) */
    jread_init(&doc);
    int rc;
    if (jread_parse(&doc, t->p ? t->p : "", t->len) != 0)
        rc = doc.oom ? builder_failed(c) : bad_value(c, "invalid JSON in a JSON header");
    else if (doc.has_nul)
        rc = bad_value(c, "U+0000 in a JSON header");
    else
        rc = json_doc(c, &doc.nodes[0]);
    jread_free(&doc);
    return rc;
}

static int prefix_headers(parse_ctx *c, const model_member *mm, const omics_response *r)
{
    const omics_builder *b = c->b;
    B(b->table(b->ud, 0, 4));
    size_t plen = mm->wire_len;
    for (size_t i = 0; i < r->nheaders; i++) {
        const char *name = r->headers[i].name;
        if (strncasecmp(name, mm->wire, plen) != 0)
            continue;
        const char *v = r->headers[i].value;
        if (header_scalar(c, &mm->shape->value, mm->shape->value.shape, v, strlen(v)))
            return -1;
        B(b->set_field(b->ud, name + plen, strlen(name + plen)));
    }
    return 0;
}

/* ------------------------------------------------------------ results */

/* The body read as JSON into the parser's document: 0 with *out its root
 * (NULL for a body of nothing but whitespace), or -1 with the error set. */
static int parse_body_json(parse_ctx *c, const omics_response *r, const jr_node **out)
{
    *out = NULL;
    size_t n = r->body_len;
    const char *s = r->body;
    while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
        s++;
        n--;
    }
    if (!n)
        return 0;
    jread *doc = &c->p->doc;
    if (jread_parse(doc, r->body, r->body_len) != 0) {
        if (doc->oom)
            return builder_failed(c);
        omics_error_set(c->err, OMICS_EPARSE, "ResponseParseError",
                        "the response body is not valid JSON (%zu bytes): %s at byte %zu",
                        r->body_len, doc->error, doc->error_at);
        c->failed = 1;
        return -1;
    }
    if (doc->has_nul) {
        /* (a C string would end at it: refused rather than cut short
         * wherever the result goes as C strings) */
        omics_error_set(c->err, OMICS_EPARSE, "ResponseParseError",
                        "a string in the response body holds U+0000 (\\u0000), which this "
                        "client cannot pass on without cutting the string short");
        c->failed = 1;
        return -1;
    }
    *out = &doc->nodes[0];
    return 0;
}

/* Fill the members of shape sh (a structure) from headers, status and body,
 * into the table on top of the builder's stack. */
static int shape_members(parse_ctx *c, const model_shape *sh, const omics_response *r)
{
    const omics_builder *b = c->b;
    int has_body = 0;
    for (size_t k = 0; k < sh->nmembers; k++) {
        const model_member *mm = &sh->members[k];
        if (push_where(c, mm->name, mm->name_len))
            return -1;
        switch (mm->location) {
        case ML_HEADER: {
            const char *v = header_get(r, mm->wire);
            if (!v)
                break;
            int rc = mm->jsonvalue                ? header_jsonvalue(c, mm, v)
                     : mm->shape->type == MT_LIST ? header_list(c, mm, v)
                                                  : header_scalar(c, mm, mm->shape, v, strlen(v));
            if (rc)
                return -1;
            B(b->set_field(b->ud, mm->name, mm->name_len));
            break;
        }
        case ML_HEADERS:
            if (prefix_headers(c, mm, r))
                return -1;
            B(b->set_field(b->ud, mm->name, mm->name_len));
            break;
        case ML_STATUS:
            B(b->integer(b->ud, r->status));
            B(b->set_field(b->ud, mm->name, mm->name_len));
            break;
        case ML_BODY:
            has_body = 1;
            break;
        default:
            break;
        }
        c->depth--;
    }
    if (sh->payload >= 0) {
        const model_member *pm = &sh->members[sh->payload];
        int t = pm->shape->type;
        if (push_where(c, pm->name, pm->name_len))
            return -1;
        if (t == MT_BLOB || t == MT_STRING) {
            /* (a payload that went to a sink is not in the result) */
            if (!r->body_streamed && (r->body_len || (pm->shape->flags & MF_STREAMING))) {
                B(b->string(b->ud, r->body ? r->body : "", r->body_len));
                B(b->set_field(b->ud, pm->name, pm->name_len));
            }
        } else {
            const jr_node *root;
            if (parse_body_json(c, r, &root))
                return -1;
            if (root) {
                if (json_value(c, pm, pm->shape, root))
                    return -1;
                B(b->set_field(b->ud, pm->name, pm->name_len));
            }
        }
        c->depth--;
        return 0;
    }
    if (!has_body)
        return 0;
    const jr_node *root;
    if (parse_body_json(c, r, &root))
        return -1;
    if (!root)
        return 0;
    if (root->type != JR_OBJECT)
        return bad_value(c, "expected a JSON object as the body");
    return json_members(c, sh, root, 1);
}

static const char *request_id(const omics_response *r)
{
    const char *id = header_get(r, "x-amzn-requestid");
    if (!id)
        id = header_get(r, "x-amz-request-id");
    return id;
}

static int response_metadata(parse_ctx *c, const omics_response *r)
{
    const omics_builder *b = c->b;
    B(b->table(b->ud, 0, 4));
    const char *id = request_id(r);
    if (id) {
        B(b->string(b->ud, id, strlen(id)));
        B(b->set_field(b->ud, "RequestId", 9));
    }
    B(b->integer(b->ud, r->status));
    B(b->set_field(b->ud, "HTTPStatusCode", 14));
    B(b->table(b->ud, 0, r->nheaders));
    /* each name once (a repeated header's values joined): with no name
     * repeated, as nearly always, the values go as they are */
    int repeated = 0;
    for (size_t i = 0; i < r->nheaders && !repeated; i++)
        for (size_t j = i + 1; j < r->nheaders && !repeated; j++) {
            const char *a = r->headers[i].name, *o = r->headers[j].name;
            /* (names whose first bytes differ other than in case differ) */
            repeated = ((a[0] ^ o[0]) & ~0x20) == 0 && strcasecmp(a, o) == 0;
        }
    for (size_t i = 0; !repeated && i < r->nheaders; i++) {
        const char *name = r->headers[i].name, *value = r->headers[i].value;
        B(b->string(b->ud, value, strlen(value)));
        B(b->set_field(b->ud, name, strlen(name)));
    }
    buf *t = &c->p->tmp;
    for (size_t i = 0; repeated && i < r->nheaders; i++) {
        const char *name = r->headers[i].name;
        size_t j;
        for (j = 0; j < i; j++)
            if (strcasecmp(r->headers[j].name, name) == 0)
                break;
        if (j < i)
            continue; /* joined with the first occurrence */
        buf_reset(t);
        buf_adds(t, r->headers[i].value);
        for (j = i + 1; j < r->nheaders; j++)
            if (strcasecmp(r->headers[j].name, name) == 0) {
                buf_adds(t, ", ");
                buf_adds(t, r->headers[j].value);
            }
        if (t->oom)
            return builder_failed(c);
        B(b->string(b->ud, t->p ? t->p : "", t->len));
        B(b->set_field(b->ud, name, strlen(name)));
    }
    B(b->set_field(b->ud, "HTTPHeaders", 11));
    B(b->integer(b->ud, r->retry_attempts));
    B(b->set_field(b->ud, "RetryAttempts", 13));
    return 0;
}

/* -------------------------------------------------------------- errors */

/* "aws.protocoltests#FooError:http://internal.amazon.com/..." -> "FooError" */
static void sanitize_code(char *dst, size_t cap, const char *src)
{
    const char *colon = strchr(src, ':');
    size_t n = colon ? (size_t)(colon - src) : strlen(src);
    const char *hash = memchr(src, '#', n);
    if (hash) {
        n -= (size_t)(hash + 1 - src);
        src = hash + 1;
    }
    while (n && (src[n - 1] == ' ' || src[n - 1] == '\t'))
        n--;
    while (n && (*src == ' ' || *src == '\t')) {
        src++;
        n--;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static const char *status_code_name(long status)
{
    switch (status) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 408: return "RequestTimeout";
    case 409: return "Conflict";
    case 413: return "PayloadTooLarge";
    case 429: return "TooManyRequests";
    case 500: return "InternalServerError";
    case 501: return "NotImplemented";
    case 502: return "BadGateway";
    case 503: return "ServiceUnavailable";
    case 504: return "GatewayTimeout";
    default: return NULL;
    }
}

/* A short, printable excerpt of a body that is not JSON. */
static void body_excerpt(buf *t, const char *body, size_t n)
{
    size_t shown = 0;
    int space = 0, in_tag = 0;
    for (size_t i = 0; i < n && shown < 160; i++) {
        unsigned char ch = (unsigned char)body[i];
        if (ch == '<')
            in_tag = 1;
        if (in_tag) {
            if (ch == '>')
                in_tag = 0;
            space = 1;
            continue;
        }
        if (ch < 32 || ch > 126) {
            space = 1;
            continue;
        }
        if (ch == ' ') {
            space = 1;
            continue;
        }
        if (space && shown) {
            buf_addc(t, ' ');
            shown++;
        }
        space = 0;
        buf_addc(t, (char)ch);
        shown++;
    }
}

/* An object's string member, as a C string (NULL when absent, not a string,
 * or holding U+0000); copied into buf t. */
static const char *json_str(const jr_node *obj, const char *key, buf *t)
{
    const jr_node *v = jread_get(obj, key);
    if (!v || v->type != JR_STRING || memchr(v->s, '\0', v->len))
        return NULL;
    buf_reset(t);
    buf_add(t, v->s, v->len);
    return t->oom ? NULL : buf_str(t);
}

/* The members of a modeled error: headers, and the body when it is an object. */
static int error_data(parse_ctx *c, const model_shape *es, const omics_response *r,
                      const jr_node *root)
{
    const omics_builder *b = c->b;
    B(b->table(b->ud, 0, es->nmembers));
    for (size_t k = 0; k < es->nmembers; k++) {
        const model_member *mm = &es->members[k];
        if (mm->location != ML_HEADER)
            continue;
        const char *v = header_get(r, mm->wire);
        if (!v)
            continue;
        if (header_scalar(c, mm, mm->shape, v, strlen(v)))
            return -1;
        B(b->set_field(b->ud, mm->name, mm->name_len));
    }
    return root ? json_members(c, es, root, 1) : 0;
}

static int service_error(parse_ctx *c, const omics_model *m, const omics_op *op,
                         const omics_response *r, int *has_data)
{
    omics_error *err = c->err;
    char code[96] = "";
    const char *hdr = header_get(r, "x-amzn-errortype");
    const jr_node *root = NULL;
    buf *t = &c->p->tmp;
    if (r->body_len && jread_parse(&c->p->doc, r->body, r->body_len) == 0 &&
        c->p->doc.nodes[0].type == JR_OBJECT)
        root = &c->p->doc.nodes[0];
    if (hdr && *hdr)
        sanitize_code(code, sizeof code, hdr);
    if (!*code && root) {
        const char *bc = json_str(root, "code", t);
        if (!bc)
            bc = json_str(root, "__type", t);
        if (!bc)
            bc = json_str(root, "Code", t);
        if (bc)
            sanitize_code(code, sizeof code, bc);
    }
    const model_shape *es = *code ? model_find_error(m, op, code) : NULL;
    if (!*code) {
        const char *name = status_code_name(r->status);
        if (name)
            snprintf(code, sizeof code, "%s", name);
        else
            snprintf(code, sizeof code, "HTTP%ld", r->status);
    }

    const char *msg = NULL;
    if (root) {
        msg = json_str(root, "message", t);
        if (!msg)
            msg = json_str(root, "Message", t);
        if (!msg)
            msg = json_str(root, "errorMessage", t);
    }
    if (!msg)
        buf_reset(t);
    if (!msg && !root && r->body_len) {
        buf_addf(t, "HTTP %ld with a body that is not JSON: ", r->status);
        body_excerpt(t, r->body, r->body_len);
        msg = buf_str(t);
    }
    if (!msg) {
        buf_addf(t, "HTTP %ld", r->status);
        msg = buf_str(t);
    }
    omics_error_set(err, OMICS_ESERVICE, code, "%s", msg ? msg : "");
    err->status = (int)r->status;
    const char *id = request_id(r);
    snprintf(err->request_id, sizeof err->request_id, "%s", id ? id : "");
    err->retryable = r->status >= 500 || errclass_is_throttle(code, r->status) ||
                     errclass_is_transient(code) || (es && es->retryable);

    if (es) {
        /* a problem reading the modeled members must not hide the error */
        omics_error derr;
        omics_error_init(&derr);
        c->err = &derr;
        *has_data = error_data(c, es, r, root) == 0;
        c->err = err;
        c->failed = 0;
        omics_error_clear(&derr);
    }
    return -1;
}

/* --------------------------------------------------------------- parse */

/* ---------------------------------------------------- a counted builder
 * The parser hands values through this proxy, which counts what is on the
 * caller's stack, so that a parse that fails half way can take back what it
 * pushed: on failure the stack is as before, but for the one table of a
 * modeled error's members. */

typedef struct counted {
    const omics_builder *real;
    long depth;
} counted;

#define REAL(ud) (((counted *)(ud))->real)

static int cb_push(void *ud, int rc)
{
    if (rc == 0)
        ((counted *)ud)->depth++;
    return rc;
}

static int cb_store(void *ud, int rc)
{
    if (rc == 0)
        ((counted *)ud)->depth--;
    return rc;
}

static int c_null(void *ud) { return cb_push(ud, REAL(ud)->null(REAL(ud)->ud)); }
static int c_boolean(void *ud, int v) { return cb_push(ud, REAL(ud)->boolean(REAL(ud)->ud, v)); }
static int c_integer(void *ud, int64_t v) { return cb_push(ud, REAL(ud)->integer(REAL(ud)->ud, v)); }
static int c_number(void *ud, double v) { return cb_push(ud, REAL(ud)->number(REAL(ud)->ud, v)); }
static int c_string(void *ud, const char *s, size_t n)
{
    return cb_push(ud, REAL(ud)->string(REAL(ud)->ud, s, n));
}
static int c_table(void *ud, size_t a, size_t r)
{
    return cb_push(ud, REAL(ud)->table(REAL(ud)->ud, a, r));
}
static int c_list(void *ud, size_t n)
{
    return cb_push(ud, begin_list(REAL(ud), n));
}
static int c_set_field(void *ud, const char *k, size_t n)
{
    return cb_store(ud, REAL(ud)->set_field(REAL(ud)->ud, k, n));
}
static int c_set_index(void *ud, size_t i) { return cb_store(ud, REAL(ud)->set_index(REAL(ud)->ud, i)); }
static int c_pop(void *ud) { return cb_store(ud, REAL(ud)->pop(REAL(ud)->ud)); }

/* Take back all but `keep` of the values pushed. */
static void unwind(counted *cn, long keep)
{
    while (cn->depth > keep && c_pop(cn) == 0)
        ;
}

int omics_parse(omics_parser *p, const omics_model *m, const omics_op *op,
                const omics_response *resp, const omics_builder *b, int *has_data,
                omics_error *err)
{
    counted cn = {b, 0};
    const omics_builder proxy = {&cn,      c_null,      c_boolean,   c_integer, c_number, c_string,
                                 c_table,  c_set_field, c_set_index, c_pop,     c_list};
    parse_ctx c;
    memset(&c, 0, sizeof c);
    c.p = p;
    c.b = &proxy;
    c.err = err;
    *has_data = 0;
    int rc;
    if (resp->status < 200 || resp->status >= 300) {
        rc = service_error(&c, m, op, resp, has_data);
    } else if (proxy.table(proxy.ud, 0, 8)) {
        rc = builder_failed(&c);
    } else {
        rc = (op->output && shape_members(&c, op->output, resp)) || response_metadata(&c, resp) ||
                     proxy.set_field(proxy.ud, "ResponseMetadata", 16)
                 ? -1
                 : 0;
        if (rc && !c.failed)
            builder_failed(&c);
    }
    if (rc)
        unwind(&cn, *has_data ? 1 : 0);
    jread_trim(&p->doc); /* (nothing of it is needed past here) */
    return rc;
}
