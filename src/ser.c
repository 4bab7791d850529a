/* ser: rest-json request serialization, driven by the model.
 *
 * One walk over the parameters both validates and writes: every problem is
 * recorded with the member path where it was found, and when there is any the
 * request is abandoned with a ParamValidationError listing them. */
#include "ser.h"

#include <cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "checksum.h"
#include "gzip.h"
#include "json.h"
#include "rnd.h"
#include "ts.h"
#include "uri.h"

#define SER_MAX_DEPTH 100
#define SER_MAX_REPORTED 8
#define SER_KEEP_BYTES (1024 * 1024)

typedef struct ser_step {
    const char *name; /* member or map key; NULL for a list index */
    size_t len;
    size_t index;
} ser_step;

typedef struct ser_ctx {
    omics_arena *a;
    ser_scratch *s;
    ser_step path[SER_MAX_DEPTH + 1];
    int depth;
    int nerr;
    int oom;
    omics_header *headers;
    size_t nheaders, cap;
} ser_ctx;

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

/* ------------------------------------------------------------- errors */

static const char *vtype_name(const omics_value *v)
{
    switch (v->type) {
    case OMICS_V_NIL: return "nil";
    case OMICS_V_NULL: return "null";
    case OMICS_V_BOOL: return "boolean";
    case OMICS_V_INT: return "integer";
    case OMICS_V_NUM: return "number";
    case OMICS_V_STR: return "string";
    case OMICS_V_TABLE: return "table";
    case OMICS_V_READER:
    case OMICS_V_FILE: return "file";
    case OMICS_V_FUNCTION: return "function";
    case OMICS_V_PROVIDER: return "provider";
    }
    return "value";
}

static void write_path(buf *b, const ser_ctx *c)
{
    for (int i = 0; i < c->depth; i++) {
        const ser_step *st = &c->path[i];
        if (!st->name) {
            buf_addf(b, "[%zu]", st->index);
            continue;
        }
        if (i)
            buf_addc(b, '.');
        buf_add_key(b, st->name, st->len);
    }
    if (!c->depth)
        buf_adds(b, "params");
}

/* A number as it goes into a message ("NaN", not "-nan"). */
static const char *number_text(double d, char out[32])
{
    if (isnan(d))
        return "NaN";
    if (isinf(d))
        return d > 0 ? "infinity" : "-infinity";
    snprintf(out, 32, "%g", d);
    return out;
}

static void problem(ser_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void problem(ser_ctx *c, const char *fmt, ...)
{
    c->nerr++;
    if (c->nerr > SER_MAX_REPORTED)
        return;
    buf *b = &c->s->errors;
    if (b->len)
        buf_adds(b, "; ");
    write_path(b, c);
    buf_adds(b, ": ");
    va_list ap;
    va_start(ap, fmt);
    char tmp[512];
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_adds(b, tmp);
}

static int push(ser_ctx *c, const char *name, size_t len, size_t index)
{
    if (c->depth >= SER_MAX_DEPTH) {
        problem(c, "nested deeper than %d levels (is the table cyclic?)", SER_MAX_DEPTH);
        return -1;
    }
    c->path[c->depth].name = name;
    c->path[c->depth].len = len;
    c->path[c->depth].index = index;
    c->depth++;
    return 0;
}

static void pop(ser_ctx *c)
{
    c->depth--;
}

/* ------------------------------------------------------------- scalars */

static size_t utf8_length(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            count++;
    return count;
}

static void check_length(ser_ctx *c, const model_shape *sh, size_t len, const char *unit)
{
    if (sh->has_min && (double)len < sh->min)
        problem(c, "length %zu %s is below the minimum of %.0f", len, unit, sh->min);
    if (sh->has_max && (double)len > sh->max)
        problem(c, "length %zu %s is above the maximum of %.0f", len, unit, sh->max);
}

static int check_string(ser_ctx *c, const model_shape *sh, const omics_value *v)
{
    if (v->type != OMICS_V_STR) {
        problem(c, "expected a string, got %s", vtype_name(v));
        return -1;
    }
    if (!json_utf8_valid(v->u.s.p, v->u.s.len)) {
        problem(c, "not valid UTF-8");
        return -1;
    }
    check_length(c, sh, utf8_length(v->u.s.p, v->u.s.len), "characters");
    return 0;
}

static int integer_bits(int type)
{
    switch (type) {
    case MT_BYTE: return 8;
    case MT_SHORT: return 16;
    case MT_INTEGER: return 32;
    default: return 64;
    }
}

static int get_integer(ser_ctx *c, const model_shape *sh, const omics_value *v, int64_t *out)
{
    int64_t i;
    if (v->type == OMICS_V_INT) {
        i = v->u.i;
    } else if (v->type == OMICS_V_NUM) {
        double d = v->u.n;
        if (!isfinite(d) || d != floor(d)) {
            char t[32];
            problem(c, "expected an integer, got %s", number_text(d, t));
            return -1;
        }
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
            problem(c, "%.0f is out of range for a 64-bit integer", d);
            return -1;
        }
        i = (int64_t)d;
    } else {
        problem(c, "expected an integer, got %s", vtype_name(v));
        return -1;
    }
    int bits = integer_bits(sh->type);
    if (bits < 64) {
        int64_t lim = (int64_t)1 << (bits - 1);
        if (i < -lim || i >= lim) {
            problem(c, "%lld is out of range for a %d-bit integer", (long long)i, bits);
            return -1;
        }
    }
    if (sh->has_min && (double)i < sh->min)
        problem(c, "value %lld is below the minimum of %.0f", (long long)i, sh->min);
    if (sh->has_max && (double)i > sh->max)
        problem(c, "value %lld is above the maximum of %.0f", (long long)i, sh->max);
    *out = i;
    return 0;
}

static int get_double(ser_ctx *c, const model_shape *sh, const omics_value *v, double *out)
{
    double d;
    if (v->type == OMICS_V_INT)
        d = (double)v->u.i;
    else if (v->type == OMICS_V_NUM)
        d = v->u.n;
    else {
        problem(c, "expected a number, got %s", vtype_name(v));
        return -1;
    }
    if (sh->has_min && d < sh->min)
        problem(c, "value %g is below the minimum of %g", d, sh->min);
    if (sh->has_max && d > sh->max)
        problem(c, "value %g is above the maximum of %g", d, sh->max);
    *out = d;
    return 0;
}

static int get_bool(ser_ctx *c, const omics_value *v, int *out)
{
    if (v->type != OMICS_V_BOOL) {
        problem(c, "expected a boolean, got %s", vtype_name(v));
        return -1;
    }
    *out = v->u.b;
    return 0;
}

static int get_timestamp(ser_ctx *c, const omics_value *v, double *out)
{
    if (v->type == OMICS_V_INT) {
        *out = (double)v->u.i;
        return 0;
    }
    if (v->type == OMICS_V_NUM && isfinite(v->u.n)) {
        *out = v->u.n;
        return 0;
    }
    if (v->type == OMICS_V_STR && ts_parse_any(v->u.s.p, v->u.s.len, out) == 0)
        return 0;
    if (v->type == OMICS_V_STR)
        problem(c, "expected a timestamp (epoch seconds or ISO 8601), got \"%.*s\"",
                (int)(v->u.s.len > 40 ? 40 : v->u.s.len), v->u.s.p);
    else
        problem(c, "expected a timestamp (epoch seconds or an ISO 8601 string), got %s",
                vtype_name(v));
    return -1;
}

static int ts_format_for(const model_member *mm, int location_default)
{
    if (mm && mm->ts_format != MODEL_TS_DEFAULT)
        return mm->ts_format;
    if (mm && mm->shape->ts_format != MODEL_TS_DEFAULT)
        return mm->shape->ts_format;
    return location_default;
}

static int check_blob(ser_ctx *c, const model_shape *sh, const omics_value *v)
{
    if (v->type != OMICS_V_STR) {
        problem(c, "expected a string of bytes, got %s", vtype_name(v));
        return -1;
    }
    check_length(c, sh, v->u.s.len, "bytes");
    return 0;
}

/* The text of a scalar as it goes into a URI label, a query value or a
 * header.  Appends to b; -1 when the value does not fit the shape. */
static int scalar_text(ser_ctx *c, const model_member *mm, const model_shape *sh,
                       const omics_value *v, int ts_default, buf *b)
{
    switch (sh->type) {
    case MT_STRING:
        if (check_string(c, sh, v))
            return -1;
        buf_add(b, v->u.s.p, v->u.s.len);
        return 0;
    case MT_BYTE:
    case MT_SHORT:
    case MT_INTEGER:
    case MT_LONG:
    case MT_BIGINT: {
        int64_t i;
        if (get_integer(c, sh, v, &i))
            return -1;
        json_int(b, i);
        return 0;
    }
    case MT_FLOAT:
    case MT_DOUBLE:
    case MT_BIGDEC: {
        double d;
        if (get_double(c, sh, v, &d))
            return -1;
        if (isnan(d))
            buf_adds(b, "NaN");
        else if (isinf(d))
            buf_adds(b, d > 0 ? "Infinity" : "-Infinity");
        else
            json_double_text(b, d);
        return 0;
    }
    case MT_BOOLEAN: {
        int x;
        if (get_bool(c, v, &x))
            return -1;
        buf_adds(b, x ? "true" : "false");
        return 0;
    }
    case MT_TIMESTAMP: {
        double t;
        if (get_timestamp(c, v, &t))
            return -1;
        if (ts_format(b, t, ts_format_for(mm, ts_default))) {
            problem(c, "timestamp %g is outside the years 1 to 9999", t);
            return -1;
        }
        return 0;
    }
    case MT_BLOB:
        if (check_blob(c, sh, v))
            return -1;
        b64_encode(b, v->u.s.p, v->u.s.len);
        return 0;
    default:
        problem(c, "a %s cannot be sent in this location", model_type_name(sh->type));
        return -1;
    }
}

/* ------------------------------------------------------- table access */

/* Map the entries of a list table to items[0..n): keys must be 1..n. */
static int list_items(ser_ctx *c, const omics_value *v, const omics_value ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v->type != OMICS_V_TABLE) {
        problem(c, "expected a list (a table with keys 1..n), got %s", vtype_name(v));
        return -1;
    }
    size_t count = v->u.t.n;
    if (!count)
        return 0;
    const omics_value **items = omics_arena_alloc(c->a, count * sizeof *items);
    if (!items) {
        c->oom = 1;
        return -1;
    }
    memset(items, 0, count * sizeof *items);
    for (size_t i = 0; i < count; i++) {
        const omics_entry *e = &v->u.t.items[i];
        if (e->key.type == OMICS_V_STR) {
            problem(c, "expected a list (a table with keys 1..n), found the key \"%.*s\"",
                    (int)(e->key.u.s.len > 40 ? 40 : e->key.u.s.len), e->key.u.s.p);
            return -1;
        }
        if (e->key.u.i < 1 || (uint64_t)e->key.u.i > count) {
            problem(c, "expected a list (a table with keys 1..n), found the key %lld",
                    (long long)e->key.u.i);
            return -1;
        }
        items[e->key.u.i - 1] = &e->val;
    }
    *out = items;
    *n = count;
    return 0;
}

static int cmp_entry_key(const void *a, const void *b)
{
    const omics_entry *x = *(const omics_entry *const *)a, *y = *(const omics_entry *const *)b;
    size_t n = x->key.u.s.len < y->key.u.s.len ? x->key.u.s.len : y->key.u.s.len;
    int r = memcmp(x->key.u.s.p, y->key.u.s.p, n);
    if (r)
        return r;
    return x->key.u.s.len < y->key.u.s.len ? -1 : x->key.u.s.len > y->key.u.s.len;
}

/* The entries of a map table, sorted by key so that requests are stable. */
static int map_entries(ser_ctx *c, const model_shape *sh, const omics_value *v,
                       const omics_entry ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v->type != OMICS_V_TABLE) {
        problem(c, "expected a map (a table with string keys), got %s", vtype_name(v));
        return -1;
    }
    size_t count = v->u.t.n;
    if (!count)
        return 0;
    const omics_entry **es = omics_arena_alloc(c->a, count * sizeof *es);
    if (!es) {
        c->oom = 1;
        return -1;
    }
    int bad = 0;
    for (size_t i = 0; i < count; i++) {
        const omics_entry *e = &v->u.t.items[i];
        if (e->key.type != OMICS_V_STR) {
            problem(c, "expected a map with string keys, found a key of type %s",
                    vtype_name(&e->key));
            return -1;
        }
        if (push(c, e->key.u.s.p, e->key.u.s.len, 0))
            return -1;
        if (sh->key.shape->type == MT_STRING && check_string(c, sh->key.shape, &e->key))
            bad = 1;
        pop(c);
        es[i] = e;
    }
    qsort(es, count, sizeof *es, cmp_entry_key);
    *out = es;
    *n = count;
    return bad ? -1 : 0;
}

/* ---------------------------------------------------------- documents */

static int doc_is_array(const omics_value *v)
{
    size_t n = v->u.t.n;
    if (!n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        const omics_value *k = &v->u.t.items[i].key;
        if (k->type != OMICS_V_INT || k->u.i < 1 || (uint64_t)k->u.i > n)
            return 0;
    }
    return 1;
}

int ser_document(buf *b, const omics_value *v, int depth)
{
    if (depth > SER_MAX_DEPTH)
        return -1;
    switch (v->type) {
    case OMICS_V_NIL:
    case OMICS_V_NULL:
        buf_adds(b, "null");
        return 0;
    case OMICS_V_BOOL:
        buf_adds(b, v->u.b ? "true" : "false");
        return 0;
    case OMICS_V_INT:
        json_int(b, v->u.i);
        return 0;
    case OMICS_V_NUM:
        if (!isfinite(v->u.n))
            return -1;
        json_double_text(b, v->u.n);
        return 0;
    case OMICS_V_STR:
        if (!json_utf8_valid(v->u.s.p, v->u.s.len))
            return -1;
        json_string(b, v->u.s.p, v->u.s.len);
        return 0;
    case OMICS_V_TABLE:
        break;
    case OMICS_V_READER:
    case OMICS_V_FUNCTION:
    case OMICS_V_FILE:
    case OMICS_V_PROVIDER:
        return -1;
    }
    size_t n = v->u.t.n;
    if (doc_is_array(v)) {
        buf_addc(b, '[');
        for (size_t want = 1; want <= n; want++) {
            for (size_t i = 0; i < n; i++) {
                if ((uint64_t)v->u.t.items[i].key.u.i != want)
                    continue;
                if (want > 1)
                    buf_addc(b, ',');
                if (ser_document(b, &v->u.t.items[i].val, depth + 1))
                    return -1;
                break;
            }
        }
        buf_addc(b, ']');
        return 0;
    }
    buf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        const omics_entry *e = &v->u.t.items[i];
        if (e->key.type != OMICS_V_STR || !json_utf8_valid(e->key.u.s.p, e->key.u.s.len))
            return -1;
        if (i)
            buf_addc(b, ',');
        json_string(b, e->key.u.s.p, e->key.u.s.len);
        buf_addc(b, ':');
        if (ser_document(b, &e->val, depth + 1))
            return -1;
    }
    buf_addc(b, '}');
    return 0;
}

int omics_value_to_json(const omics_value *v, char **out, size_t *len, omics_error *err)
{
    buf b;
    buf_init(&b);
    if (ser_document(&b, v, 0)) {
        buf_free(&b);
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "the value cannot be written as JSON (NaN, infinity, invalid "
                               "UTF-8, mixed keys or nesting deeper than %d)",
                               SER_MAX_DEPTH);
    }
    *out = buf_steal(&b, len);
    if (!*out)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    return 0;
}

/* --------------------------------------------------------------- JSON */

static void json_value(ser_ctx *c, const model_member *mm, const model_shape *sh,
                       const omics_value *v, buf *b);

/* The members of a structure value, indexed like sh->members.  Unknown keys
 * and missing required members are recorded. */
static const omics_value **struct_slots(ser_ctx *c, const model_shape *sh, const omics_value *v)
{
    if (v->type != OMICS_V_TABLE) {
        problem(c, "expected a table (structure %s), got %s", sh->name, vtype_name(v));
        return NULL;
    }
    const omics_value **slots = NULL;
    if (sh->nmembers) {
        slots = omics_arena_alloc(c->a, sh->nmembers * sizeof *slots);
        if (!slots) {
            c->oom = 1;
            return NULL;
        }
        memset(slots, 0, sh->nmembers * sizeof *slots);
    }
    for (size_t i = 0; i < v->u.t.n; i++) {
        const omics_entry *e = &v->u.t.items[i];
        if (e->key.type != OMICS_V_STR) {
            problem(c, "structure %s has string keys only, found a key of type %s", sh->name,
                    vtype_name(&e->key));
            continue;
        }
        const model_member *mm = model_find_member(sh, e->key.u.s.p, e->key.u.s.len);
        if (!mm) {
            buf *t = &c->s->tmp;
            buf_reset(t);
            for (size_t k = 0; k < sh->nmembers; k++) {
                if (k)
                    buf_adds(t, ", ");
                buf_adds(t, sh->members[k].name);
            }
            if (push(c, e->key.u.s.p, e->key.u.s.len, 0) == 0) {
                problem(c, "unknown parameter (%s %s)", sh->nmembers ? "valid:" : "",
                        sh->nmembers ? buf_str(t) : "this takes no parameters");
                pop(c);
            }
            continue;
        }
        if (e->val.type != OMICS_V_NIL && e->val.type != OMICS_V_NULL)
            slots[mm - sh->members] = &e->val;
    }
    size_t set = 0;
    for (size_t k = 0; k < sh->nmembers; k++) {
        const model_member *mm = &sh->members[k];
        if (slots[k])
            set++;
        else if (mm->required && !mm->idempotency_token && mm->location != ML_STATUS) {
            push(c, mm->name, mm->name_len, 0);
            problem(c, "required parameter is missing");
            pop(c);
        }
    }
    if ((sh->flags & MF_UNION) && set != 1) {
        problem(c, "a union (%s) takes exactly one member, %zu %s set", sh->name, set,
                set == 1 ? "is" : "are");
    }
    return slots;
}

static void json_structure(ser_ctx *c, const model_shape *sh, const omics_value *v, buf *b)
{
    const omics_value **slots = struct_slots(c, sh, v);
    if (!slots && sh->nmembers)
        return;
    buf_addc(b, '{');
    int first = 1;
    for (size_t k = 0; k < sh->nmembers; k++) {
        const model_member *mm = &sh->members[k];
        if (!slots[k])
            continue;
        if (!first)
            buf_addc(b, ',');
        first = 0;
        json_string(b, mm->wire, mm->wire_len);
        buf_addc(b, ':');
        if (push(c, mm->name, mm->name_len, 0))
            return;
        json_value(c, mm, mm->shape, slots[k], b);
        pop(c);
    }
    buf_addc(b, '}');
}

static void json_list(ser_ctx *c, const model_shape *sh, const omics_value *v, buf *b)
{
    const omics_value **items;
    size_t n;
    if (list_items(c, v, &items, &n))
        return;
    check_length(c, sh, n, "items");
    buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        if (push(c, NULL, 0, i + 1))
            return;
        if (items[i]->type == OMICS_V_NULL) {
            if (sh->flags & MF_SPARSE)
                buf_adds(b, "null");
            else
                problem(c, "null is not allowed in this list");
        } else {
            json_value(c, &sh->member, sh->member.shape, items[i], b);
        }
        pop(c);
    }
    buf_addc(b, ']');
}

static void json_map(ser_ctx *c, const model_shape *sh, const omics_value *v, buf *b)
{
    const omics_entry **es;
    size_t n;
    if (map_entries(c, sh, v, &es, &n))
        return;
    check_length(c, sh, n, "entries");
    buf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        json_string(b, es[i]->key.u.s.p, es[i]->key.u.s.len);
        buf_addc(b, ':');
        if (push(c, es[i]->key.u.s.p, es[i]->key.u.s.len, 0))
            return;
        if (es[i]->val.type == OMICS_V_NULL) {
            if (sh->flags & MF_SPARSE)
                buf_adds(b, "null");
            else
                problem(c, "null is not allowed as a value in this map");
        } else {
            json_value(c, &sh->value, sh->value.shape, &es[i]->val, b);
        }
        pop(c);
    }
    buf_addc(b, '}');
}

static void json_value(ser_ctx *c, const model_member *mm, const model_shape *sh,
                       const omics_value *v, buf *b)
{
    switch (sh->type) {
    case MT_STRUCTURE:
        json_structure(c, sh, v, b);
        return;
    case MT_LIST:
        json_list(c, sh, v, b);
        return;
    case MT_MAP:
        json_map(c, sh, v, b);
        return;
    case MT_DOCUMENT:
        if (ser_document(b, v, c->depth))
            problem(c, "not a JSON document (NaN, infinity, invalid UTF-8, a table mixing "
                       "list and string keys, or nesting too deep)");
        return;
    case MT_STRING:
        if (check_string(c, sh, v) == 0)
            json_string(b, v->u.s.p, v->u.s.len);
        return;
    case MT_BLOB:
        if (check_blob(c, sh, v) == 0) {
            buf_addc(b, '"');
            b64_encode(b, v->u.s.p, v->u.s.len);
            buf_addc(b, '"');
        }
        return;
    case MT_BOOLEAN: {
        int x;
        if (get_bool(c, v, &x) == 0)
            buf_adds(b, x ? "true" : "false");
        return;
    }
    case MT_FLOAT:
    case MT_DOUBLE:
    case MT_BIGDEC: {
        double d;
        if (get_double(c, sh, v, &d) == 0)
            json_number(b, d);
        return;
    }
    case MT_TIMESTAMP: {
        double t;
        if (get_timestamp(c, v, &t))
            return;
        int fmt = ts_format_for(mm, TS_EPOCH);
        if (fmt != TS_EPOCH)
            buf_addc(b, '"');
        if (ts_format(b, t, fmt))
            problem(c, "timestamp %g is outside the years 1 to 9999", t);
        if (fmt != TS_EPOCH)
            buf_addc(b, '"');
        return;
    }
    default: {
        int64_t i;
        if (get_integer(c, sh, v, &i) == 0)
            json_int(b, i);
        return;
    }
    }
}

/* ------------------------------------------------------------ headers */

static void add_header(ser_ctx *c, const char *name, const char *value)
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

static omics_header *find_header(const ser_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nheaders; i++)
        if (strcasecmp(c->headers[i].name, name) == 0)
            return &c->headers[i];
    return NULL;
}

static int has_header(const ser_ctx *c, const char *name)
{
    return find_header(c, name) != NULL;
}

static int safe_header_value(ser_ctx *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\r' || p[i] == '\n' || p[i] == '\0') {
            problem(c, "a header value cannot contain CR, LF or NUL");
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
        if (check_string(c, mm->shape, v))
            return;
        if (!json_text_valid(v->u.s.p, v->u.s.len)) {
            problem(c, "not JSON text (a JSON header takes JSON text or a table)");
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
        problem(c, "not a JSON document");
    if (js.oom)
        c->oom = 1;
    buf_free(&js);
}

static void header_member(ser_ctx *c, const model_member *mm, const omics_value *v)
{
    buf *t = &c->s->tmp;
    buf_reset(t);
    const model_shape *sh = mm->shape;
    if (mm->jsonvalue) {
        header_jsonvalue(c, mm, v, t);
    } else if (sh->type == MT_LIST) {
        const omics_value **items;
        size_t n;
        if (list_items(c, v, &items, &n))
            return;
        check_length(c, sh, n, "items");
        buf item;
        buf_init(&item);
        for (size_t i = 0; i < n; i++) {
            if (push(c, NULL, 0, i + 1))
                break;
            buf_reset(&item);
            if (scalar_text(c, &sh->member, sh->member.shape, items[i], TS_HTTP_DATE, &item) ==
                0) {
                if (i)
                    buf_adds(t, ", ");
                if (sh->member.shape->type == MT_STRING)
                    header_list_item(t, item.p ? item.p : "", item.len);
                else
                    buf_add(t, item.p, item.len);
            }
            pop(c);
        }
        buf_free(&item);
    } else if (scalar_text(c, mm, sh, v, TS_HTTP_DATE, t)) {
        return;
    }
    if (t->oom) {
        c->oom = 1;
        return;
    }
    if (!safe_header_value(c, t->p ? t->p : "", t->len))
        return;
    add_header(c, mm->wire, omics_arena_strndup(c->a, t->p ? t->p : "", t->len));
}

static int token_char(unsigned char ch)
{
    return ch > 32 && ch < 127 && !strchr("()<>@,;:\\\"/[]?={}", ch);
}

static void prefix_headers(ser_ctx *c, const model_member *mm, const omics_value *v)
{
    const omics_entry **es;
    size_t n;
    if (map_entries(c, mm->shape, v, &es, &n))
        return;
    for (size_t i = 0; i < n; i++) {
        const omics_entry *e = es[i];
        if (push(c, e->key.u.s.p, e->key.u.s.len, 0))
            return;
        int ok = 1;
        for (size_t k = 0; k < e->key.u.s.len; k++)
            if (!token_char((unsigned char)e->key.u.s.p[k]))
                ok = 0;
        if (!ok) {
            problem(c, "not a valid header name");
        } else if (e->val.type != OMICS_V_NULL) {
            buf *t = &c->s->tmp;
            buf_reset(t);
            if (scalar_text(c, &mm->shape->value, mm->shape->value.shape, &e->val, TS_HTTP_DATE,
                            t) == 0 &&
                safe_header_value(c, t->p ? t->p : "", t->len)) {
                size_t plen = mm->wire_len, klen = e->key.u.s.len;
                char *name = omics_arena_alloc(c->a, plen + klen + 1);
                if (name) {
                    memcpy(name, mm->wire, plen);
                    memcpy(name + plen, e->key.u.s.p, klen);
                    name[plen + klen] = '\0';
                }
                add_header(c, name, omics_arena_strndup(c->a, t->p ? t->p : "", t->len));
            }
        }
        pop(c);
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
    if (scalar_text(c, mm, sh, v, TS_ISO8601, t) == 0)
        query_pair(&c->s->query, k, klen, t->p ? t->p : "", t->len);
}

static void query_values(ser_ctx *c, const model_member *mm, const model_shape *sh,
                         const omics_value *v, const char *k, size_t klen)
{
    if (sh->type != MT_LIST) {
        query_scalar(c, mm, sh, v, k, klen);
        return;
    }
    const omics_value **items;
    size_t n;
    if (list_items(c, v, &items, &n))
        return;
    check_length(c, sh, n, "items");
    for (size_t i = 0; i < n && c->nerr <= SER_MAX_REPORTED; i++) {
        if (push(c, NULL, 0, i + 1))
            return;
        query_scalar(c, &sh->member, sh->member.shape, items[i], k, klen);
        pop(c);
    }
}

/* A map in the query: each key becomes a parameter, unless a named query
 * member already uses that name (named members take precedence). */
static void query_map(ser_ctx *c, const model_shape *input, const omics_value **slots,
                      const model_member *mm, const omics_value *v)
{
    const omics_entry **es;
    size_t n;
    if (map_entries(c, mm->shape, v, &es, &n))
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
        if (push(c, e->key.u.s.p, e->key.u.s.len, 0))
            return;
        query_values(c, &mm->shape->value, mm->shape->value.shape, &e->val, e->key.u.s.p,
                     e->key.u.s.len);
        pop(c);
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

static int expand_path(ser_ctx *c, const omics_op *op, const omics_value **slots,
                       const char *tmpl, size_t tlen, buf *path)
{
    const model_shape *in = op->input;
    size_t i = 0;
    while (i < tlen) {
        if (tmpl[i] != '{') {
            buf_addc(path, tmpl[i++]);
            continue;
        }
        const char *end = memchr(tmpl + i, '}', tlen - i);
        if (!end) {
            problem(c, "the model's URI template %s is malformed", op->uri);
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
            problem(c, "the model's URI has a label {%.*s} that no member fills", (int)n, name);
            continue;
        }
        const omics_value *v = slots[mm - in->members];
        push(c, mm->name, mm->name_len, 0);
        if (!v) {
            if (!mm->required) /* reported already when required */
                problem(c, "required parameter is missing (it is part of the URL path)");
        } else {
            buf *t = &c->s->tmp;
            buf_reset(t);
            if (scalar_text(c, mm, mm->shape, v, TS_ISO8601, t) == 0) {
                if (!t->len)
                    problem(c, "must not be empty (it is part of the URL path)");
                else
                    uri_encode(path, t->p, t->len, greedy);
            }
        }
        pop(c);
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

static char *build_host(ser_ctx *c, const omics_op *op, const omics_value **slots,
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
                push(c, mm->name, mm->name_len, 0);
            if (!v || v->type != OMICS_V_STR)
                problem(c, "a host label needs a string value");
            else if (!host_label_ok(v->u.s.p, v->u.s.len))
                problem(c, "\"%.*s\" cannot be part of a host name (letters, digits, '-')",
                        (int)(v->u.s.len > 40 ? 40 : v->u.s.len), v->u.s.p);
            else
                buf_add(t, v->u.s.p, v->u.s.len);
            if (mm)
                pop(c);
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

/* ---------------------------------------------------------------- body */

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
    omics_header *h = find_header(c, "Content-Encoding");
    if (!h) {
        add_header(c, "Content-Encoding", "gzip");
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
static void content_md5(ser_ctx *c, const omics_op *op, omics_request *out)
{
    if (!op->checksum_required || find_header(c, "Content-MD5"))
        return;
    buf *t = &c->s->tmp;
    buf_reset(t);
    if (checksum_md5_base64(t, out->body ? out->body : "", out->body_len)) {
        problem(c, "cannot compute the Content-MD5 this operation requires");
        return;
    }
    add_header(c, "Content-MD5", omics_arena_strndup(c->a, t->p, t->len));
}

static void build_body(ser_ctx *c, const omics_op *op, const omics_value **slots,
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
        push(c, pm->name, pm->name_len, 0);
        switch (pm->shape->type) {
        case MT_BLOB:
            if (v && v->type == OMICS_V_READER) {
                /* a streamed payload: sent as it is read, never held whole */
                if (!(pm->shape->flags & MF_STREAMING))
                    problem(c, "only a streaming payload can come from a file");
                else if (v->u.r->length < 0)
                    problem(c, "a file of unknown length cannot be sent (the service needs "
                               "the length first)");
                else {
                    out->body_reader = v->u.r;
                    out->body_len = (size_t)v->u.r->length;
                    ctype = "application/octet-stream";
                }
            } else if (v && check_blob(c, pm->shape, v) == 0) {
                out->body = v->u.s.p; /* no copy: the caller's bytes */
                out->body_len = v->u.s.len;
                ctype = "application/octet-stream";
            }
            break;
        case MT_STRING:
            if (v && check_string(c, pm->shape, v) == 0) {
                out->body = v->u.s.p;
                out->body_len = v->u.s.len;
                ctype = "text/plain";
            }
            break;
        default:
            if (v) {
                json_value(c, pm, pm->shape, v, b);
            } else if (pm->shape->type == MT_STRUCTURE && !(pm->shape->flags & MF_UNION)) {
                buf_adds(b, "{}");
            }
            if (b->len) {
                out->body = b->p;
                out->body_len = b->len;
                ctype = "application/json";
            }
        }
        pop(c);
    } else if (has_body_members(in)) {
        buf_addc(b, '{');
        int first = 1;
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (mm->location != ML_BODY || !slots[k])
                continue;
            if (!first)
                buf_addc(b, ',');
            first = 0;
            json_string(b, mm->wire, mm->wire_len);
            buf_addc(b, ':');
            push(c, mm->name, mm->name_len, 0);
            json_value(c, mm, mm->shape, slots[k], b);
            pop(c);
        }
        buf_addc(b, '}');
        int bodyless = strcmp(op->method, "GET") == 0 || strcmp(op->method, "HEAD") == 0;
        if (!first || !bodyless) {
            out->body = b->p;
            out->body_len = b->len;
            ctype = "application/json";
        }
    }
    if (b->oom)
        c->oom = 1;
    if (ctype && !has_header(c, "Content-Type"))
        add_header(c, "Content-Type", ctype);
    compress_body(c, op, out);
    if (out->body_len || out->body_reader || (out->body && strcmp(op->method, "GET") != 0)) {
        char len[24];
        snprintf(len, sizeof len, "%zu", out->body_len);
        add_header(c, "Content-Length", omics_arena_strdup(c->a, len));
    }
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
    const omics_value **slots = struct_slots(&c, in, params);
    if (slots)
        fill_tokens(&c, in, slots);

    /* path and the model's literal query */
    const char *uri = op->uri;
    const char *qmark = strchr(uri, '?');
    size_t plen = qmark ? (size_t)(qmark - uri) : strlen(uri);
    buf_adds(&s->path, ep->base_path);
    if (slots || !in->nmembers)
        expand_path(&c, op, slots, uri, plen, &s->path);
    if (qmark && qmark[1])
        buf_adds(&s->query, qmark + 1);

    if (slots) {
        /* named query members first, then query maps (which they override) */
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (!slots[k] || mm->location != ML_QUERY || mm->shape->type == MT_MAP)
                continue;
            push(&c, mm->name, mm->name_len, 0);
            query_values(&c, mm, mm->shape, slots[k], mm->wire, mm->wire_len);
            pop(&c);
        }
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (!slots[k] || mm->location != ML_QUERY || mm->shape->type != MT_MAP)
                continue;
            push(&c, mm->name, mm->name_len, 0);
            query_map(&c, in, slots, mm, slots[k]);
            pop(&c);
        }
    }

    out->host = build_host(&c, op, slots, ep);
    add_header(&c, "Host", out->host);
    if (slots) {
        for (size_t k = 0; k < in->nmembers; k++) {
            const model_member *mm = &in->members[k];
            if (!slots[k] || (mm->location != ML_HEADER && mm->location != ML_HEADERS))
                continue;
            push(&c, mm->name, mm->name_len, 0);
            if (mm->location == ML_HEADER)
                header_member(&c, mm, slots[k]);
            else
                prefix_headers(&c, mm, slots[k]);
            pop(&c);
        }
        build_body(&c, op, slots, out);
    }
    content_md5(&c, op, out);
    if (user_agent)
        add_header(&c, "User-Agent", user_agent);

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
    buf_addf(t, "%s://%s%s%s%s", ep->scheme, out->host, out->path, s->query.len ? "?" : "",
             out->query ? out->query : "");
    out->url = t->oom ? NULL : omics_arena_strndup(a, t->p, t->len);
    if (!out->path || !out->query || !out->url)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    out->headers = c.headers;
    out->nheaders = c.nheaders;
    return 0;
}
