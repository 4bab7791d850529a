/* ser_doc: document values (any JSON) written as JSON text. */
#include "ser.h"

#include <math.h>

#include "json.h"
#include "ser_int.h"

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
