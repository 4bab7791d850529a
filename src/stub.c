/* stub: what a test double answers instead of the service (omics.h,
 * "stubs").  A result is checked against the operation's output shape by
 * the serializer's own checks (ser_check.c, in its output mode) and written
 * as the service writes its answers: status, headers, a JSON body or a
 * payload; an error as the service writes one (x-amzn-ErrorType, a JSON
 * body with its modeled members).  The engine then parses the answer as a
 * real one: results, errors, retries and events are the real ones. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "model.h"
#include "ser_int.h"

#define STUB_REQUEST_ID "stub-request"

/* ------------------------------------------------------------ helpers */

/* "ResponseMetadata", which every result carries, is the module's and not
 * the service's: a stub may hold it (a result copied from a real call). */
static int response_metadata(const omics_entry *e)
{
    return e->key.type == OMICS_V_STR && e->key.u.s.len == 16 &&
           memcmp(e->key.u.s.p, "ResponseMetadata", 16) == 0;
}

/* v without its ResponseMetadata (a view in a; v itself when it has none). */
static const omics_value *without_metadata(const omics_value *v, omics_arena *a)
{
    if (v->type != OMICS_V_TABLE)
        return v;
    size_t n = 0;
    for (size_t i = 0; i < v->u.t.n; i++)
        n += !response_metadata(&v->u.t.items[i]);
    if (n == v->u.t.n)
        return v;
    omics_value *out = omics_arena_alloc(a, sizeof *out);
    omics_entry *items = omics_arena_alloc(a, (n ? n : 1) * sizeof *items);
    if (!out || !items)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < v->u.t.n; i++)
        if (!response_metadata(&v->u.t.items[i]))
            items[k++] = v->u.t.items[i];
    out->type = OMICS_V_TABLE;
    out->u.t.items = items;
    out->u.t.n = k;
    return out;
}

/* The problems the checks recorded, as a StubError; always -1. */
static int problems(ser_ctx *c, const omics_op *op, const char *what, omics_error *err)
{
    if (c->nerr > SER_MAX_REPORTED)
        buf_addf(&c->s->errors, "; and %d more", c->nerr - SER_MAX_REPORTED);
    return omics_error_set(err, OMICS_EUSAGE, "StubError", "a stubbed %s for %s that the service "
                           "could never send: %s", what, op->name,
                           buf_str(&c->s->errors) ? buf_str(&c->s->errors) : "(out of memory)");
}

static int out_of_memory(omics_error *err)
{
    return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
}

/* The answer's headers: the ones the checks made (names in lower case), a
 * Content-Type and a request id; all in a. */
static int finish_headers(ser_ctx *c, const char *ctype, const char *error_type,
                          omics_response *out)
{
    size_t n = c->nheaders + 3;
    omics_header *h = omics_arena_alloc(c->a, n * sizeof *h);
    if (!h)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < c->nheaders; i++) {
        char *name = omics_arena_strdup(c->a, c->headers[i].name);
        if (!name)
            return -1;
        for (char *p = name; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        h[k].name = name;
        h[k++].value = c->headers[i].value;
    }
    if (ctype) {
        h[k].name = "content-type";
        h[k++].value = ctype;
    }
    if (error_type) {
        h[k].name = "x-amzn-errortype";
        h[k++].value = error_type;
    }
    h[k].name = "x-amzn-requestid";
    h[k++].value = STUB_REQUEST_ID;
    out->headers = h;
    out->nheaders = k;
    return 0;
}

static void ctx_init(ser_ctx *c, ser_scratch *s, omics_arena *a, const char *root)
{
    memset(c, 0, sizeof *c);
    ser_scratch_init(s);
    c->a = a;
    c->s = s;
    c->root = root;
    c->output = 1;
}

/* The body (JSON, or the payload's bytes) copied into a. */
static int keep_body(omics_arena *a, const char *p, size_t n, omics_response *out)
{
    char *body = omics_arena_alloc(a, n + 1);
    if (!body)
        return -1;
    if (n)
        memcpy(body, p, n);
    body[n] = '\0';
    out->body = body;
    out->body_len = n;
    return 0;
}

/* ------------------------------------------------------------- results */

/* A result of shape sh into out: headers, status, body. */
static const char *render_result(ser_ctx *c, const omics_op *op, const model_shape *sh,
                                 const omics_value **slots, omics_response *out)
{
    buf *b = &c->s->body;
    const char *ctype = "application/json";
    out->status = op->response_code ? op->response_code : 200;
    for (size_t k = 0; k < sh->nmembers; k++) {
        const model_member *mm = &sh->members[k];
        if (!slots[k] || mm->location == ML_BODY || (int)k == sh->payload)
            continue;
        ser_push(c, mm->name, mm->name_len, 0);
        if (mm->location == ML_HEADER) {
            ser_header_member(c, mm, slots[k]);
        } else if (mm->location == ML_HEADERS) {
            ser_prefix_headers(c, mm, slots[k]);
        } else if (mm->location == ML_STATUS) {
            int64_t st;
            if (ser_get_integer(c, mm->shape, slots[k], &st) == 0) {
                if (st < 200 || st > 299)
                    ser_problem(c, "a result's status is from 200 to 299, got %lld",
                                (long long)st);
                else
                    out->status = (long)st;
            }
        } else {
            ser_problem(c, "a member the service does not send in an answer");
        }
        ser_pop(c);
    }
    if (sh->payload < 0) {
        ser_json_members(c, sh, slots, 1, b);
        return ctype;
    }
    const model_member *pm = &sh->members[sh->payload];
    const omics_value *v = slots[sh->payload];
    ser_push(c, pm->name, pm->name_len, 0);
    if (pm->shape->type == MT_BLOB) {
        if (v && ser_check_blob(c, pm->shape, v) == 0)
            buf_add(b, v->u.s.p, v->u.s.len);
        ctype = "application/octet-stream";
    } else if (pm->shape->type == MT_STRING) {
        if (v && ser_check_string(c, pm->shape, v) == 0)
            buf_add(b, v->u.s.p, v->u.s.len);
        ctype = "text/plain";
    } else if (v) {
        ser_json_value(c, pm, pm->shape, v, b);
    }
    ser_pop(c);
    return ctype;
}

int omics_stub_result(const omics_op *op, const omics_value *result, omics_arena *a,
                      omics_response *out, omics_error *err)
{
    memset(out, 0, sizeof *out);
    static const omics_value empty = {OMICS_V_TABLE, {.t = {NULL, 0}}};
    static const model_shape no_output = {.name = "(no output)", .type = MT_STRUCTURE,
                                          .payload = -1};
    if (!result || result->type == OMICS_V_NIL)
        result = &empty;
    if (!(result = without_metadata(result, a)))
        return out_of_memory(err);
    const model_shape *sh = op->output ? op->output : &no_output;
    ser_scratch s;
    ser_ctx c;
    ctx_init(&c, &s, a, "result");
    const omics_value **slots = ser_struct_slots(&c, sh, result);
    const char *ctype = NULL;
    if (slots || !sh->nmembers) {
        static const omics_value *none[1];
        ctype = render_result(&c, op, sh, slots ? slots : none, out);
    }
    int rc = 0;
    if (c.nerr)
        rc = problems(&c, op, "result", err);
    else if (c.oom || s.body.oom || s.tmp.oom || finish_headers(&c, ctype, NULL, out) ||
             keep_body(a, s.body.p ? s.body.p : "", s.body.len, out))
        rc = out_of_memory(err);
    ser_scratch_free(&s);
    return rc;
}

/* -------------------------------------------------------------- errors */

/* An error code as it may go into a header: letters, digits and . _ : # -. */
static int code_ok(const char *code)
{
    size_t n = code ? strlen(code) : 0;
    if (n == 0 || n >= sizeof ((omics_error *)0)->code)
        return 0;
    for (const char *p = code; *p; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == ':' || ch == '#' || ch == '-'))
            return 0;
    }
    return 1;
}

/* data with "message" = message added when data has no such member (a
 * view in a); NULL when out of memory. */
static const omics_value *with_message(const omics_value *data, const char *message,
                                       omics_arena *a)
{
    static const omics_value empty = {OMICS_V_TABLE, {.t = {NULL, 0}}};
    if (!data || data->type == OMICS_V_NIL)
        data = &empty;
    if (!message || data->type != OMICS_V_TABLE || omics_value_get(data, "message"))
        return data;
    omics_value *out = omics_arena_alloc(a, sizeof *out);
    omics_entry *items = omics_arena_alloc(a, (data->u.t.n + 1) * sizeof *items);
    if (!out || !items)
        return NULL;
    if (data->u.t.n)
        memcpy(items, data->u.t.items, data->u.t.n * sizeof *items);
    omics_entry *m = &items[data->u.t.n];
    m->key.type = OMICS_V_STR;
    m->key.u.s.p = "message";
    m->key.u.s.len = 7;
    m->val.type = OMICS_V_STR;
    m->val.u.s.p = message;
    m->val.u.s.len = strlen(message);
    out->type = OMICS_V_TABLE;
    out->u.t.items = items;
    out->u.t.n = data->u.t.n + 1;
    return out;
}

int omics_stub_error(const omics_model *m, const omics_op *op, const char *code,
                     const char *message, int status, const omics_value *data, omics_arena *a,
                     omics_response *out, omics_error *err)
{
    memset(out, 0, sizeof *out);
    if (!code_ok(code))
        return omics_error_set(err, OMICS_EUSAGE, "StubError",
                               "a stubbed error for %s: code is 1 to 95 letters, digits or . _ "
                               ": # - (as in ThrottlingException)",
                               op->name);
    if (status && (status < 400 || status > 599))
        return omics_error_set(err, OMICS_EUSAGE, "StubError",
                               "a stubbed error for %s: status is from 400 to 599, got %d",
                               op->name, status);
    const model_shape *sh = model_find_error(m, op, code);
    int has_data = data && data->type != OMICS_V_NIL &&
                   !(data->type == OMICS_V_TABLE && data->u.t.n == 0);
    if (!sh && has_data)
        return omics_error_set(err, OMICS_EUSAGE, "StubError",
                               "a stubbed error for %s: data: %s is not an error of the model, it "
                               "has no members",
                               op->name, code);
    ser_scratch s;
    ser_ctx c;
    ctx_init(&c, &s, a, "data");
    buf *b = &s.body;
    if (!message)
        message = ""; /* (the service always says something; a modeled error requires it) */
    const omics_value *v = with_message(data, message, a);
    int rc = 0;
    if (!v) {
        rc = out_of_memory(err);
    } else if (sh) {
        const omics_value **slots = ser_struct_slots(&c, sh, v);
        if (slots)
            ser_json_members(&c, sh, slots, 1, b);
    } else {
        buf_adds(b, "{\"message\":");
        json_string(b, message, strlen(message));
        buf_addc(b, '}');
    }
    out->status = status ? status : sh && sh->error_status ? sh->error_status : 400;
    if (rc == 0 && c.nerr)
        rc = problems(&c, op, "error", err);
    else if (rc == 0 && (c.oom || b->oom ||
                         finish_headers(&c, "application/json", omics_arena_strdup(a, code), out) ||
                         keep_body(a, b->p ? b->p : "", b->len, out)))
        rc = out_of_memory(err);
    ser_scratch_free(&s);
    return rc;
}

/* ------------------------------------------------------ expected params */

typedef struct expect_ctx {
    buf path;
    const char *problem;
} expect_ctx;

static const char *kind_of(const omics_value *v)
{
    switch (v->type) {
    case OMICS_V_NIL: return "nothing";
    case OMICS_V_NULL: return "null";
    case OMICS_V_BOOL: return "a boolean";
    case OMICS_V_INT:
    case OMICS_V_NUM: return "a number";
    case OMICS_V_STR: return "a string";
    case OMICS_V_TABLE: return "a table";
    default: return "a value of the binding's";
    }
}

/* A scalar as a message shows it: strings quoted and cut, numbers as %.17g. */
static void show(buf *b, const omics_value *v)
{
    char tmp[40];
    switch (v->type) {
    case OMICS_V_STR: {
        size_t n = v->u.s.len > 60 ? 60 : v->u.s.len;
        json_string(b, v->u.s.p, n);
        if (n < v->u.s.len)
            buf_adds(b, "...");
        return;
    }
    case OMICS_V_INT:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i);
        buf_adds(b, tmp);
        return;
    case OMICS_V_NUM:
        snprintf(tmp, sizeof tmp, "%.17g", v->u.n);
        buf_adds(b, tmp);
        return;
    case OMICS_V_BOOL:
        buf_adds(b, v->u.b ? "true" : "false");
        return;
    default:
        buf_adds(b, kind_of(v));
    }
}

static int numeric(const omics_value *v, double *d)
{
    if (v->type == OMICS_V_INT)
        *d = (double)v->u.i;
    else if (v->type == OMICS_V_NUM)
        *d = v->u.n;
    else
        return 0;
    return 1;
}

static int same_key(const omics_value *a, const omics_value *b)
{
    if (a->type != b->type)
        return 0;
    if (a->type == OMICS_V_STR)
        return a->u.s.len == b->u.s.len && memcmp(a->u.s.p, b->u.s.p, a->u.s.len) == 0;
    return a->type == OMICS_V_INT && a->u.i == b->u.i;
}

static const omics_value *find_key(const omics_value *t, const omics_value *key)
{
    for (size_t i = 0; i < t->u.t.n; i++)
        if (same_key(&t->u.t.items[i].key, key) && t->u.t.items[i].val.type != OMICS_V_NIL)
            return &t->u.t.items[i].val;
    return NULL;
}

static void path_key(buf *path, const omics_value *key)
{
    if (key->type == OMICS_V_INT) {
        buf_addf(path, "[%lld]", (long long)key->u.i);
    } else {
        buf_addc(path, '.');
        buf_add_key(path, key->u.s.p, key->u.s.len);
    }
}

static int differs(buf *msg, buf *path, const omics_value *want, const omics_value *got, int depth);

/* Every member of one table found in the other with the same value. */
static int tables_differ(buf *msg, buf *path, const omics_value *want, const omics_value *got,
                         int depth)
{
    for (int pass = 0; pass < 2; pass++) {
        const omics_value *from = pass ? got : want, *other = pass ? want : got;
        for (size_t i = 0; i < from->u.t.n; i++) {
            const omics_entry *e = &from->u.t.items[i];
            if (e->val.type == OMICS_V_NIL)
                continue;
            const omics_value *o = find_key(other, &e->key);
            size_t mark = path->len;
            path_key(path, &e->key);
            if (!o) {
                buf_addf(msg, "%s: %s", buf_str(path) ? buf_str(path) : "params",
                         pass ? "not expected, got " : "expected ");
                show(msg, &e->val);
                buf_adds(msg, pass ? "" : ", got nothing");
                return 1;
            }
            if (pass == 0 && differs(msg, path, &e->val, o, depth + 1))
                return 1;
            path->len = mark;
            if (path->p)
                path->p[mark] = '\0';
        }
    }
    return 0;
}

static int differs(buf *msg, buf *path, const omics_value *want, const omics_value *got, int depth)
{
    double x, y;
    if (depth > SER_MAX_DEPTH) {
        buf_addf(msg, "%s: nested too deep to compare", buf_str(path));
        return 1;
    }
    if (numeric(want, &x) && numeric(got, &y)) {
        if (x == y || (isnan(x) && isnan(y)))
            return 0;
    } else if (want->type == got->type) {
        switch (want->type) {
        case OMICS_V_NIL:
        case OMICS_V_NULL:
            return 0;
        case OMICS_V_BOOL:
            if (!want->u.b == !got->u.b)
                return 0;
            break;
        case OMICS_V_STR:
            if (want->u.s.len == got->u.s.len &&
                memcmp(want->u.s.p, got->u.s.p, want->u.s.len) == 0)
                return 0;
            break;
        case OMICS_V_TABLE:
            return tables_differ(msg, path, want, got, depth);
        default:
            if (memcmp(&want->u, &got->u, sizeof want->u) == 0)
                return 0;
        }
    }
    buf_addf(msg, "%s: expected ", buf_str(path) ? buf_str(path) : "params");
    show(msg, want);
    buf_adds(msg, ", got ");
    show(msg, got);
    return 1;
}

int omics_stub_expect(const omics_op *op, const omics_value *expected, const omics_value *params,
                      omics_error *err)
{
    static const omics_value empty = {OMICS_V_TABLE, {.t = {NULL, 0}}};
    if (!expected || expected->type == OMICS_V_NIL)
        return 0;
    if (!params || params->type == OMICS_V_NIL)
        params = &empty;
    buf path, msg;
    buf_init(&path);
    buf_init(&msg);
    buf_adds(&path, "params");
    int rc = 0;
    if (differs(&msg, &path, expected, params, 0)) {
        if (msg.oom)
            rc = out_of_memory(err);
        else
            rc = omics_error_set(err, OMICS_EUSAGE, "StubError",
                                 "%s was called with parameters other than the stub expected: %s",
                                 op->name, buf_str(&msg));
    }
    buf_free(&path);
    buf_free(&msg);
    return rc;
}
