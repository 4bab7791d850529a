/* ser_json: the JSON body writer, checking each value against its shape. */
#include "ser_int.h"

#include "b64.h"
#include "json.h"
#include "ts.h"

size_t ser_json_members(ser_ctx *c, const model_shape *sh, const omics_value **slots,
                        int body_only, buf *b)
{
    size_t n = 0;
    buf_addc(b, '{');
    for (size_t k = 0; k < sh->nmembers; k++) {
        const model_member *mm = &sh->members[k];
        if (!slots[k] || (body_only && mm->location != ML_BODY))
            continue;
        if (n++)
            buf_addc(b, ',');
        json_string(b, mm->wire, mm->wire_len);
        buf_addc(b, ':');
        if (ser_push(c, mm->name, mm->name_len, 0))
            return n;
        ser_json_value(c, mm, mm->shape, slots[k], b);
        ser_pop(c);
    }
    buf_addc(b, '}');
    return n;
}

static void json_structure(ser_ctx *c, const model_shape *sh, const omics_value *v, buf *b)
{
    const omics_value **slots = ser_struct_slots(c, sh, v);
    if (slots || !sh->nmembers)
        ser_json_members(c, sh, slots, 0, b);
}

static void json_list(ser_ctx *c, const model_shape *sh, const omics_value *v, buf *b)
{
    const omics_value **items;
    size_t n;
    if (ser_list_items(c, v, &items, &n))
        return;
    ser_check_length(c, sh, n, "items");
    buf_addc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        if (ser_push(c, NULL, 0, i + 1))
            return;
        if (items[i]->type == OMICS_V_NULL) {
            if (sh->flags & MF_SPARSE)
                buf_adds(b, "null");
            else
                ser_problem(c, "null is not allowed in this list");
        } else {
            ser_json_value(c, &sh->member, sh->member.shape, items[i], b);
        }
        ser_pop(c);
    }
    buf_addc(b, ']');
}

static void json_map(ser_ctx *c, const model_shape *sh, const omics_value *v, buf *b)
{
    const omics_entry **es;
    size_t n;
    if (ser_map_entries(c, sh, v, &es, &n))
        return;
    ser_check_length(c, sh, n, "entries");
    buf_addc(b, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addc(b, ',');
        json_string(b, es[i]->key.u.s.p, es[i]->key.u.s.len);
        buf_addc(b, ':');
        if (ser_push(c, es[i]->key.u.s.p, es[i]->key.u.s.len, 0))
            return;
        if (es[i]->val.type == OMICS_V_NULL) {
            if (sh->flags & MF_SPARSE)
                buf_adds(b, "null");
            else
                ser_problem(c, "null is not allowed as a value in this map");
        } else {
            ser_json_value(c, &sh->value, sh->value.shape, &es[i]->val, b);
        }
        ser_pop(c);
    }
    buf_addc(b, '}');
}

void ser_json_value(ser_ctx *c, const model_member *mm, const model_shape *sh,
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
            ser_problem(c, "not a JSON document (NaN, infinity, invalid UTF-8, a table mixing "
                       "list and string keys, or nesting too deep)");
        return;
    case MT_STRING:
        if (ser_check_string(c, sh, v) == 0)
            json_string(b, v->u.s.p, v->u.s.len);
        return;
    case MT_BLOB:
        if (ser_check_blob(c, sh, v) == 0) {
            buf_addc(b, '"');
            b64_encode(b, v->u.s.p, v->u.s.len);
            buf_addc(b, '"');
        }
        return;
    case MT_BOOLEAN: {
        int x;
        if (ser_get_bool(c, v, &x) == 0)
            buf_adds(b, x ? "true" : "false");
        return;
    }
    case MT_FLOAT:
    case MT_DOUBLE:
    case MT_BIGDEC: {
        double d;
        if (ser_get_double(c, sh, v, &d) == 0)
            json_number(b, d);
        return;
    }
    case MT_TIMESTAMP: {
        double t;
        if (ser_get_timestamp(c, v, &t))
            return;
        int fmt = ser_ts_format_for(mm, TS_EPOCH);
        if (fmt != TS_EPOCH)
            buf_addc(b, '"');
        if (ts_format(b, t, fmt))
            ser_problem(c, "timestamp %g is outside the years 1 to 9999", t);
        if (fmt != TS_EPOCH)
            buf_addc(b, '"');
        return;
    }
    default: {
        int64_t i;
        if (ser_get_integer(c, sh, v, &i) == 0)
            json_int(b, i);
        return;
    }
    }
}
