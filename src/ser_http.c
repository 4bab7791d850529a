/* ser_http: the parts of a request outside its body: headers, the query
 * string, the URI's labels and the host. */
#include "ser_int.h"

#include <cJSON.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "ts.h"
#include "uri.h"

/* ------------------------------------------------------------ headers */

void ser_add_header(ser_ctx *c, const char *name, const char *value)
{
    if (!name || !value) {
        c->oom = 1;
        return;
    }
    if (c->nheaders == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        omics_header *h = omics_arena_alloc(c->a, cap * sizeof *h);
        if (!h) {
            c->oom = 1;
            return;
        }
        if (c->nheaders)
            memcpy(h, c->headers, c->nheaders * sizeof *h);
        c->headers = h;
        c->cap = cap;
    }
    c->headers[c->nheaders].name = name;
    c->headers[c->nheaders].value = value;
    c->nheaders++;
}

omics_header *ser_find_header(const ser_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nheaders; i++)
        if (strcasecmp(c->headers[i].name, name) == 0)
            return &c->headers[i];
    return NULL;
}

int ser_has_header(const ser_ctx *c, const char *name)
{
    return ser_find_header(c, name) != NULL;
}

static int safe_header_value(ser_ctx *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0') {
            ser_problem(c, "a header value cannot contain CR, LF or NUL");
            return 0;
        }
    return 1;
}

/* Items of a header list are joined with ", "; one holding ',' or '"' is
 * quoted, with '"' and '\' escaped. */
static void header_list_item(buf *b, const char *p, size_t n)
{
    if (!memchr(p, ',', n) && !memchr(p, '"', n)) {
        buf_add(b, p, n);
        return;
    }
    buf_addc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\')
            buf_addc(b, '\\');
        buf_addc(b, p[i]);
    }
    buf_addc(b, '"');
}

/* Whether s[0..n) is one JSON value, with nothing but whitespace after it. */
static int json_text_valid(const char *s, size_t n)
{
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (!doc)
        return 0;
    cJSON_Delete(doc);
    for (const char *p = end; p < s + n; p++)
        if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            return 0;
    return 1;
}

/* A jsonvalue header carries JSON text in base64.  A string is that text
 * already (the shape is a string whose media type is JSON), so it must be
 * JSON; any other value is written as JSON first. */
static void header_jsonvalue(ser_ctx *c, const model_member *mm, const omics_value *v, buf *t)
{
    if (v->type == OMICS_V_STR) {
        if (ser_check_string(c, mm->shape, v))
            return;
        if (!json_text_valid(v->u.s.p, v->u.s.len)) {
            ser_problem(c, "not JSON text (a JSON header takes JSON text or a table)");
            return;
        }
        b64_encode(t, v->u.s.p, v->u.s.len);
        return;
    }
    buf js;
    buf_init(&js);
    if (ser_document(&js, v, c->depth) == 0)
        b64_encode(t, js.p, js.len);
    else
        ser_problem(c, "not a JSON document");
    if (js.oom)
        c->oom = 1;
    buf_free(&js);
}

void ser_header_member(ser_ctx *c, const model_member *mm, const omics_value *v)
{
    buf *t = &c->s->tmp;
    buf_reset(t);
    const model_shape *sh = mm->shape;
    if (mm->jsonvalue) {
        header_jsonvalue(c, mm, v, t);
    } else if (sh->type == MT_LIST) {
        const omics_value **items;
        size_t n;
        if (ser_list_items(c, v, &items, &n))
            return;
        ser_check_length(c, sh, n, "items");
        buf item;
        buf_init(&item);
        for (size_t i = 0; i < n; i++) {
            if (ser_push(c, NULL, 0, i + 1))
                break;
            buf_reset(&item);
            if (ser_scalar_text(c, &sh->member, sh->member.shape, items[i], TS_HTTP_DATE, &item) ==
                0) {
                if (i)
                    buf_adds(t, ", ");
                if (sh->member.shape->type == MT_STRING)
                    header_list_item(t, item.p ? item.p : "", item.len);
                else
                    buf_add(t, item.p, item.len);
            }
            ser_pop(c);
        }
        buf_free(&item);
    } else if (ser_scalar_text(c, mm, sh, v, TS_HTTP_DATE, t)) {
        return;
    }
    if (t->oom) {
        c->oom = 1;
        return;
    }
    if (!safe_header_value(c, t->p ? t->p : "", t->len))
        return;
    ser_add_header(c, mm->wire, omics_arena_strndup(c->a, t->p ? t->p : "", t->len));
}

static int token_char(unsigned char ch)
{
    return ch > 32 && ch < 127 && !strchr("()<>@,;:\\\"/[]?={}", ch);
}

void ser_prefix_headers(ser_ctx *c, const model_member *mm, const omics_value *v)
{
    const omics_entry **es;
    size_t n;
    if (ser_map_entries(c, mm->shape, v, &es, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        const omics_entry *e = es[i];
        if (ser_push(c, e->key.u.s.p, e->key.u.s.len, 0))
            return;
        int ok = 1;
        for (size_t k = 0; k < e->key.u.s.len; k++)
            if (!token_char((unsigned char)e->key.u.s.p[k]))
                ok = 0;
        if (!ok) {
            ser_problem(c, "not a valid header name");
        } else if (e->val.type != OMICS_V_NULL) {
            buf *t = &c->s->tmp;
            buf_reset(t);
            if (ser_scalar_text(c, &mm->shape->value, mm->shape->value.shape, &e->val, TS_HTTP_DATE,
                                t) == 0 &&
                safe_header_value(c, t->p ? t->p : "", t->len)) {
                size_t plen = mm->wire_len, klen = e->key.u.s.len;
                char *name = omics_arena_alloc(c->a, plen + klen + 1);
                if (name) {
                    memcpy(name, mm->wire, plen);
                    memcpy(name + plen, e->key.u.s.p, klen);
                    name[plen + klen] = '\0';
                }
                ser_add_header(c, name, omics_arena_strndup(c->a, t->p ? t->p : "", t->len));
            }
        }
        ser_pop(c);
    }
}

/* -------------------------------------------------------------- query */

static void query_pair(buf *q, const char *k, size_t klen, const char *v, size_t vlen)
{
    if (q->len)
        buf_addc(q, '&');
    uri_encode(q, k, klen, 0);
    buf_addc(q, '=');
    uri_encode(q, v, vlen, 0);
}

static void query_scalar(ser_ctx *c, const model_member *mm, const model_shape *sh,
                         const omics_value *v, const char *k, size_t klen)
{
    buf *t = &c->s->tmp;
    buf_reset(t);
    if (ser_scalar_text(c, mm, sh, v, TS_ISO8601, t) == 0)
        query_pair(&c->s->query, k, klen, t->p ? t->p : "", t->len);
}

void ser_query_values(ser_ctx *c, const model_member *mm, const model_shape *sh,
                      const omics_value *v, const char *k, size_t klen)
{
    if (sh->type != MT_LIST) {
        query_scalar(c, mm, sh, v, k, klen);
        return;
    }
    const omics_value **items;
    size_t n;
    if (ser_list_items(c, v, &items, &n))
        return;
    ser_check_length(c, sh, n, "items");
    for (size_t i = 0; i < n && c->nerr <= SER_MAX_REPORTED; i++) {
        if (ser_push(c, NULL, 0, i + 1))
            return;
        query_scalar(c, &sh->member, sh->member.shape, items[i], k, klen);
        ser_pop(c);
    }
}

/* A map in the query: each key becomes a parameter, unless a named query
 * member already uses that name (named members take precedence). */
void ser_query_map(ser_ctx *c, const model_shape *input, const omics_value **slots,
                   const model_member *mm, const omics_value *v)
{
    const omics_entry **es;
    size_t n;
    if (ser_map_entries(c, mm->shape, v, &es, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        const omics_entry *e = es[i];
        int taken = 0;
        for (size_t k = 0; k < input->nmembers; k++) {
            const model_member *o = &input->members[k];
            if (slots[k] && o->location == ML_QUERY && o->shape->type != MT_MAP &&
                o->wire_len == e->key.u.s.len && memcmp(o->wire, e->key.u.s.p, o->wire_len) == 0)
                taken = 1;
        }
        if (taken || e->val.type == OMICS_V_NULL)
            continue;
        if (ser_push(c, e->key.u.s.p, e->key.u.s.len, 0))
            return;
        ser_query_values(c, &mm->shape->value, mm->shape->value.shape, &e->val, e->key.u.s.p,
                         e->key.u.s.len);
        ser_pop(c);
    }
}

/* -------------------------------------------------------------- labels */

static const model_member *label_member(const model_shape *in, const char *name, size_t n)
{
    if (!in)
        return NULL;
    for (size_t k = 0; k < in->nmembers; k++) {
        const model_member *mm = &in->members[k];
        if (mm->location == ML_URI && mm->wire_len == n && memcmp(mm->wire, name, n) == 0)
            return mm;
    }
    return NULL;
}

int ser_expand_path(ser_ctx *c, const omics_op *op, const omics_value **slots,
                    const char *tmpl, size_t tlen, buf *path)
{
    const model_shape *in = op->input;
    size_t i = 0;
    while (i < tlen) {
        if (tmpl[i] != '{') {
            /* the literal text up to the next label, at once */
            const char *open = memchr(tmpl + i, '{', tlen - i);
            size_t lit = open ? (size_t)(open - (tmpl + i)) : tlen - i;
            buf_add(path, tmpl + i, lit);
            i += lit;
            continue;
        }
        const char *end = memchr(tmpl + i, '}', tlen - i);
        if (!end) {
            ser_problem(c, "the model's URI template %s is malformed", op->uri);
            return -1;
        }
        const char *name = tmpl + i + 1;
        size_t n = (size_t)(end - name);
        int greedy = n && name[n - 1] == '+';
        if (greedy)
            n--;
        i = (size_t)(end - tmpl) + 1;
        const model_member *mm = label_member(in, name, n);
        if (!mm) {
            ser_problem(c, "the model's URI has a label {%.*s} that no member fills", (int)n, name);
            continue;
        }
        const omics_value *v = slots[mm - in->members];
        ser_push(c, mm->name, mm->name_len, 0);
        if (!v) {
            if (!mm->required) /* reported already when required */
                ser_problem(c, "required parameter is missing (it is part of the URL path)");
        } else {
            buf *t = &c->s->tmp;
            buf_reset(t);
            if (ser_scalar_text(c, mm, mm->shape, v, TS_ISO8601, t) == 0) {
                if (!t->len)
                    ser_problem(c, "must not be empty (it is part of the URL path)");
                else
                    uri_encode(path, t->p, t->len, greedy);
            }
        }
        ser_pop(c);
    }
    return 0;
}

/* ---------------------------------------------------------------- host */

static int host_label_ok(const char *p, size_t n)
{
    if (!n || n > 63)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '.'))
            return 0;
    }
    return p[0] != '-' && p[0] != '.';
}

char *ser_build_host(ser_ctx *c, const omics_op *op, const omics_value **slots,
                     const ser_endpoint *ep)
{
    buf *t = &c->s->tmp;
    buf_reset(t);
    if (ep->host_prefix && op->host_prefix) {
        const char *p = op->host_prefix;
        while (*p) {
            if (*p != '{') {
                buf_addc(t, *p++);
                continue;
            }
            const char *end = strchr(p, '}');
            if (!end)
                break;
            const model_member *mm = NULL;
            for (size_t k = 0; op->input && k < op->input->nmembers; k++) {
                const model_member *x = &op->input->members[k];
                if (x->host_label && x->name_len == (size_t)(end - p - 1) &&
                    memcmp(x->name, p + 1, x->name_len) == 0)
                    mm = x;
            }
            const omics_value *v = mm ? slots[mm - op->input->members] : NULL;
            if (mm)
                ser_push(c, mm->name, mm->name_len, 0);
            if (!v || v->type != OMICS_V_STR)
                ser_problem(c, "a host label needs a string value");
            else if (!host_label_ok(v->u.s.p, v->u.s.len))
                ser_problem(c, "\"%.*s\" cannot be part of a host name (letters, digits, '-')",
                            (int)(v->u.s.len > 40 ? 40 : v->u.s.len), v->u.s.p);
            else
                buf_add(t, v->u.s.p, v->u.s.len);
            if (mm)
                ser_pop(c);
            p = end + 1;
        }
    }
    buf_adds(t, ep->host);
    if (ep->port) {
        buf_addc(t, ':');
        buf_adds(t, ep->port);
    }
    if (t->oom)
        return NULL;
    return omics_arena_strndup(c->a, t->p, t->len);
}
