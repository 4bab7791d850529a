/* ser_check: the serializer's value checks: problems and the member path
 * they are reported at, scalars against their shapes, and the tables that
 * hold lists, maps and structures. */
#include "ser_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "json.h"
#include "ts.h"

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
    if (c->root)
        buf_adds(b, c->root);
    for (int i = 0; i < c->depth; i++) {
        const ser_step *st = &c->path[i];
        if (!st->name) {
            buf_addf(b, "[%zu]", st->index);
            continue;
        }
        if (i || c->root)
            buf_addc(b, '.');
        buf_add_key(b, st->name, st->len);
    }
    if (!c->depth && !c->root)
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

void ser_problem(ser_ctx *c, const char *fmt, ...)
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

int ser_push(ser_ctx *c, const char *name, size_t len, size_t index)
{
    if (c->depth >= SER_MAX_DEPTH) {
        ser_problem(c, "nested deeper than %d levels (is the table cyclic?)", SER_MAX_DEPTH);
        return -1;
    }
    c->path[c->depth].name = name;
    c->path[c->depth].len = len;
    c->path[c->depth].index = index;
    c->depth++;
    return 0;
}

void ser_pop(ser_ctx *c)
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

void ser_check_length(ser_ctx *c, const model_shape *sh, size_t len, const char *unit)
{
    if (sh->has_min && (double)len < sh->min)
        ser_problem(c, "length %zu %s is below the minimum of %.0f", len, unit, sh->min);
    if (sh->has_max && (double)len > sh->max)
        ser_problem(c, "length %zu %s is above the maximum of %.0f", len, unit, sh->max);
}

int ser_check_string(ser_ctx *c, const model_shape *sh, const omics_value *v)
{
    if (v->type != OMICS_V_STR) {
        ser_problem(c, "expected a string, got %s", vtype_name(v));
        return -1;
    }
    if (!json_utf8_valid(v->u.s.p, v->u.s.len)) {
        ser_problem(c, "not valid UTF-8");
        return -1;
    }
    ser_check_length(c, sh, utf8_length(v->u.s.p, v->u.s.len), "characters");
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

int ser_get_integer(ser_ctx *c, const model_shape *sh, const omics_value *v, int64_t *out)
{
    int64_t i;
    if (v->type == OMICS_V_INT) {
        i = v->u.i;
    } else if (v->type == OMICS_V_NUM) {
        double d = v->u.n;
        if (!isfinite(d) || d != floor(d)) {
            char t[32];
            ser_problem(c, "expected an integer, got %s", number_text(d, t));
            return -1;
        }
        if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) {
            ser_problem(c, "%.0f is out of range for a 64-bit integer", d);
            return -1;
        }
        i = (int64_t)d;
    } else {
        ser_problem(c, "expected an integer, got %s", vtype_name(v));
        return -1;
    }
    int bits = integer_bits(sh->type);
    if (bits < 64) {
        int64_t lim = (int64_t)1 << (bits - 1);
        if (i < -lim || i >= lim) {
            ser_problem(c, "%lld is out of range for a %d-bit integer", (long long)i, bits);
            return -1;
        }
    }
    if (sh->has_min && (double)i < sh->min)
        ser_problem(c, "value %lld is below the minimum of %.0f", (long long)i, sh->min);
    if (sh->has_max && (double)i > sh->max)
        ser_problem(c, "value %lld is above the maximum of %.0f", (long long)i, sh->max);
    *out = i;
    return 0;
}

int ser_get_double(ser_ctx *c, const model_shape *sh, const omics_value *v, double *out)
{
    double d;
    if (v->type == OMICS_V_INT)
        d = (double)v->u.i;
    else if (v->type == OMICS_V_NUM)
        d = v->u.n;
    else {
        ser_problem(c, "expected a number, got %s", vtype_name(v));
        return -1;
    }
    if (sh->has_min && d < sh->min)
        ser_problem(c, "value %g is below the minimum of %g", d, sh->min);
    if (sh->has_max && d > sh->max)
        ser_problem(c, "value %g is above the maximum of %g", d, sh->max);
    *out = d;
    return 0;
}

int ser_get_bool(ser_ctx *c, const omics_value *v, int *out)
{
    if (v->type != OMICS_V_BOOL) {
        ser_problem(c, "expected a boolean, got %s", vtype_name(v));
        return -1;
    }
    *out = v->u.b;
    return 0;
}

int ser_get_timestamp(ser_ctx *c, const omics_value *v, double *out)
{
    if (v->type == OMICS_V_INT) {
        *out = (double)v->u.i;
        return 0;
    }
    if (v->type == OMICS_V_NUM && isfinite(v->u.n)) {
        *out = v->u.n;
        return 0;
    }
    if (v->type == OMICS_V_STR && c->output) {
        ser_problem(c, "expected a timestamp as epoch seconds (a number), got a string");
        return -1;
    }
    if (v->type == OMICS_V_STR && ts_parse_any(v->u.s.p, v->u.s.len, out) == 0)
        return 0;
    if (v->type == OMICS_V_STR)
        ser_problem(c, "expected a timestamp (epoch seconds or ISO 8601), got \"%.*s\"",
                    (int)(v->u.s.len > 40 ? 40 : v->u.s.len), v->u.s.p);
    else
        ser_problem(c, "expected a timestamp (epoch seconds or an ISO 8601 string), got %s",
                    vtype_name(v));
    return -1;
}

int ser_ts_format_for(const model_member *mm, int location_default)
{
    if (mm && mm->ts_format != MODEL_TS_DEFAULT)
        return mm->ts_format;
    if (mm && mm->shape->ts_format != MODEL_TS_DEFAULT)
        return mm->shape->ts_format;
    return location_default;
}

int ser_check_blob(ser_ctx *c, const model_shape *sh, const omics_value *v)
{
    if (v->type != OMICS_V_STR) {
        ser_problem(c, "expected a string of bytes, got %s", vtype_name(v));
        return -1;
    }
    ser_check_length(c, sh, v->u.s.len, "bytes");
    return 0;
}

/* The text of a scalar as it goes into a URI label, a query value or a
 * header.  Appends to b; -1 when the value does not fit the shape. */
int ser_scalar_text(ser_ctx *c, const model_member *mm, const model_shape *sh,
                    const omics_value *v, int ts_default, buf *b)
{
    switch (sh->type) {
    case MT_STRING:
        if (ser_check_string(c, sh, v))
            return -1;
        buf_add(b, v->u.s.p, v->u.s.len);
        return 0;
    case MT_BYTE:
    case MT_SHORT:
    case MT_INTEGER:
    case MT_LONG:
    case MT_BIGINT: {
        int64_t i;
        if (ser_get_integer(c, sh, v, &i))
            return -1;
        json_int(b, i);
        return 0;
    }
    case MT_FLOAT:
    case MT_DOUBLE:
    case MT_BIGDEC: {
        double d;
        if (ser_get_double(c, sh, v, &d))
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
        if (ser_get_bool(c, v, &x))
            return -1;
        buf_adds(b, x ? "true" : "false");
        return 0;
    }
    case MT_TIMESTAMP: {
        double t;
        if (ser_get_timestamp(c, v, &t))
            return -1;
        if (ts_format(b, t, ser_ts_format_for(mm, ts_default))) {
            ser_problem(c, "timestamp %g is outside the years 1 to 9999", t);
            return -1;
        }
        return 0;
    }
    case MT_BLOB:
        if (ser_check_blob(c, sh, v))
            return -1;
        b64_encode(b, v->u.s.p, v->u.s.len);
        return 0;
    default:
        ser_problem(c, "a %s cannot be sent in this location", model_type_name(sh->type));
        return -1;
    }
}

/* ------------------------------------------------------- table access */

/* Map the entries of a list table to items[0..n): keys must be 1..n. */
int ser_list_items(ser_ctx *c, const omics_value *v, const omics_value ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v->type != OMICS_V_TABLE) {
        ser_problem(c, "expected a list (a table with keys 1..n), got %s", vtype_name(v));
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
            ser_problem(c, "expected a list (a table with keys 1..n), found the key \"%.*s\"",
                        (int)(e->key.u.s.len > 40 ? 40 : e->key.u.s.len), e->key.u.s.p);
            return -1;
        }
        if (e->key.u.i < 1 || (uint64_t)e->key.u.i > count) {
            ser_problem(c, "expected a list (a table with keys 1..n), found the key %lld",
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
int ser_map_entries(ser_ctx *c, const model_shape *sh, const omics_value *v,
                    const omics_entry ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (v->type != OMICS_V_TABLE) {
        ser_problem(c, "expected a map (a table with string keys), got %s", vtype_name(v));
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
            ser_problem(c, "expected a map with string keys, found a key of type %s",
                        vtype_name(&e->key));
            return -1;
        }
        if (ser_push(c, e->key.u.s.p, e->key.u.s.len, 0))
            return -1;
        if (sh->key.shape->type == MT_STRING && ser_check_string(c, sh->key.shape, &e->key))
            bad = 1;
        ser_pop(c);
        es[i] = e;
    }
    qsort(es, count, sizeof *es, cmp_entry_key);
    *out = es;
    *n = count;
    return bad ? -1 : 0;
}

/* The members of a structure value, indexed like sh->members.  Unknown keys
 * and missing required members are recorded. */
const omics_value **ser_struct_slots(ser_ctx *c, const model_shape *sh, const omics_value *v)
{
    if (v->type != OMICS_V_TABLE) {
        ser_problem(c, "expected a table (structure %s), got %s", sh->name, vtype_name(v));
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
            ser_problem(c, "structure %s has string keys only, found a key of type %s", sh->name,
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
            if (ser_push(c, e->key.u.s.p, e->key.u.s.len, 0) == 0) {
                ser_problem(c, "unknown %s (%s%s)", c->output ? "member" : "parameter",
                            sh->nmembers ? "valid: " : "",
                            sh->nmembers ? buf_str(t)
                                         : c->output ? "this has no members"
                                                     : "this takes no parameters");
                ser_pop(c);
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
            ser_push(c, mm->name, mm->name_len, 0);
            ser_problem(c, "required %s is missing", c->output ? "member" : "parameter");
            ser_pop(c);
        }
    }
    if ((sh->flags & MF_UNION) && set != 1) {
        ser_problem(c, "a union (%s) takes exactly one member, %zu %s set", sh->name, set,
                    set == 1 ? "is" : "are");
    }
    return slots;
}
