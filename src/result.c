/* result: omics_call_json, a call whose parameters and result are JSON text,
 * for C programs that do not want to write a builder of their own.
 *
 * The parameters become an omics_value tree (in an arena); the result is
 * built as a cJSON tree whose leaves are raw JSON text written here, so that
 * integers stay exact (cJSON keeps doubles) and bytes that are not UTF-8
 * become base64. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "buf.h"
#include "json.h"
#include "omics.h"

#define RESULT_MAX_DEPTH 128

/* ------------------------------------------------------- parameters */

static int result_value(const cJSON *j, omics_arena *a, omics_value *out, int depth,
                        omics_error *err)
{
    memset(out, 0, sizeof *out);
    if (depth > RESULT_MAX_DEPTH)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "params: nested deeper than %d", RESULT_MAX_DEPTH);
    if (cJSON_IsNull(j)) {
        out->type = OMICS_V_NULL;
    } else if (cJSON_IsBool(j)) {
        out->type = OMICS_V_BOOL;
        out->u.b = cJSON_IsTrue(j);
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) <= 9007199254740992.0) {
            out->type = OMICS_V_INT;
            out->u.i = (int64_t)d;
        } else {
            out->type = OMICS_V_NUM;
            out->u.n = d;
        }
    } else if (cJSON_IsString(j)) {
        out->type = OMICS_V_STR;
        out->u.s.p = j->valuestring; /* lives as long as the cJSON tree */
        out->u.s.len = strlen(j->valuestring);
    } else {
        size_t n = (size_t)cJSON_GetArraySize(j);
        out->type = OMICS_V_TABLE;
        out->u.t.n = n;
        out->u.t.items = n ? omics_arena_alloc(a, n * sizeof *out->u.t.items) : NULL;
        if (n && !out->u.t.items)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, j)
        {
            omics_entry *en = &out->u.t.items[i++];
            memset(&en->key, 0, sizeof en->key);
            if (cJSON_IsArray(j)) {
                en->key.type = OMICS_V_INT;
                en->key.u.i = (int64_t)i;
            } else {
                en->key.type = OMICS_V_STR;
                en->key.u.s.p = e->string;
                en->key.u.s.len = strlen(e->string);
            }
            if (result_value(e, a, &en->val, depth + 1, err))
                return -1;
        }
    }
    return 0;
}

/* ----------------------------------------------------------- result */

typedef struct result_builder {
    cJSON **stack;
    size_t n, cap;
    buf text; /* scratch for a leaf's JSON text */
} result_builder;

static int result_push(result_builder *r, cJSON *item)
{
    if (!item)
        return -1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        cJSON **s = realloc(r->stack, cap * sizeof *s);
        if (!s) {
            cJSON_Delete(item);
            return -1;
        }
        r->stack = s;
        r->cap = cap;
    }
    r->stack[r->n++] = item;
    return 0;
}

/* A leaf from the JSON text in r->text. */
static int result_raw(result_builder *r)
{
    const char *t = buf_str(&r->text);
    return t ? result_push(r, cJSON_CreateRaw(t)) : -1;
}

static int rb_null(void *ud)
{
    return result_push(ud, cJSON_CreateNull());
}

static int rb_boolean(void *ud, int b)
{
    return result_push(ud, cJSON_CreateBool(b));
}

static int rb_integer(void *ud, int64_t i)
{
    result_builder *r = ud;
    buf_reset(&r->text);
    json_int(&r->text, i);
    return result_raw(r);
}

static int rb_number(void *ud, double d)
{
    result_builder *r = ud;
    buf_reset(&r->text);
    json_number(&r->text, d);
    return result_raw(r);
}

static int rb_string(void *ud, const char *s, size_t n)
{
    result_builder *r = ud;
    buf_reset(&r->text);
    if (json_utf8_valid(s, n)) {
        json_string(&r->text, s, n);
    } else { /* a blob's bytes */
        buf b;
        buf_init(&b);
        b64_encode(&b, s, n);
        json_string(&r->text, b.p ? b.p : "", b.len);
        if (b.oom)
            r->text.oom = 1;
        buf_free(&b);
    }
    return result_raw(r);
}

static int rb_table(void *ud, size_t narr, size_t nrec)
{
    return result_push(ud, narr && !nrec ? cJSON_CreateArray() : cJSON_CreateObject());
}

static int rb_list(void *ud, size_t n)
{
    (void)n;
    return result_push(ud, cJSON_CreateArray());
}

static int rb_set_field(void *ud, const char *key, size_t klen)
{
    (void)klen;
    result_builder *r = ud;
    if (r->n < 2)
        return -1;
    cJSON *v = r->stack[--r->n];
    if (!cJSON_AddItemToObject(r->stack[r->n - 1], key, v)) {
        cJSON_Delete(v);
        return -1;
    }
    return 0;
}

static int rb_set_index(void *ud, size_t index)
{
    (void)index; /* (the parser sets 1, 2, 3, ... in order) */
    result_builder *r = ud;
    if (r->n < 2)
        return -1;
    cJSON *v = r->stack[--r->n];
    if (!cJSON_AddItemToArray(r->stack[r->n - 1], v)) {
        cJSON_Delete(v);
        return -1;
    }
    return 0;
}

static int rb_pop(void *ud)
{
    result_builder *r = ud;
    if (!r->n)
        return -1;
    cJSON_Delete(r->stack[--r->n]);
    return 0;
}

/* The result on the builder's stack as JSON text in *out; frees what the
 * builder holds either way. */
static int result_finish(result_builder *r, int rc, char **out, size_t *out_len, omics_error *err)
{
    if (rc == 0) {
        char *text = r->n == 1 ? cJSON_PrintUnformatted(r->stack[0]) : NULL;
        if (!text) {
            rc = omics_error_set(err, OMICS_EMEMORY, "MemoryError",
                                 "out of memory writing the result");
        } else {
            *out = text;
            if (out_len)
                *out_len = strlen(text);
        }
    }
    while (r->n) /* (a modeled error's members, or what a failure left) */
        cJSON_Delete(r->stack[--r->n]);
    free(r->stack);
    buf_free(&r->text);
    return rc;
}

#define RESULT_BUILDER(r)                                                                       \
    {&(r),     rb_null,      rb_boolean,   rb_integer, rb_number, rb_string,                     \
     rb_table, rb_set_field, rb_set_index, rb_pop,     rb_list}

int omics_parse_json(omics_parser *p, const omics_model *m, const omics_op *op,
                     const omics_response *resp, char **out, size_t *out_len, omics_error *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    result_builder r;
    memset(&r, 0, sizeof r);
    buf_init(&r.text);
    const omics_builder b = RESULT_BUILDER(r);
    int has_data = 0;
    int rc = omics_parse(p, m, op, resp, &b, &has_data, err);
    return result_finish(&r, rc, out, out_len, err);
}

int omics_call_json(omics_client *c, const char *op_name, const char *params, size_t params_len,
                    const omics_sink *sink, char **out, size_t *out_len, omics_error *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    const omics_model *m = omics_client_model(c);
    const omics_op *op = op_name ? omics_model_op(m, op_name) : NULL;
    if (!op && op_name)
        op = omics_model_op_snake(m, op_name);
    if (!op)
        return omics_error_set(err, OMICS_EUSAGE, "UnknownOperationError",
                               "the service has no operation %s", op_name ? op_name : "(NULL)");
    cJSON *pj = NULL;
    if (params && params_len) {
        pj = cJSON_ParseWithLength(params, params_len);
        if (!cJSON_IsObject(pj)) {
            cJSON_Delete(pj);
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "params: expected a JSON object");
        }
    }
    omics_arena *a = omics_arena_new(4096);
    omics_value pv;
    memset(&pv, 0, sizeof pv);
    int rc = a ? 0 : omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    if (rc == 0 && pj)
        rc = result_value(pj, a, &pv, 0, err);
    result_builder r;
    memset(&r, 0, sizeof r);
    buf_init(&r.text);
    const omics_builder b = RESULT_BUILDER(r);
    int has_data = 0;
    if (rc == 0)
        rc = omics_call(c, op, pj ? &pv : NULL, sink, &b, &has_data, err);
    rc = result_finish(&r, rc, out, out_len, err);
    omics_arena_free(a);
    cJSON_Delete(pj);
    return rc;
}
