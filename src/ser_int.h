/* ser_int: what the serializer's files (ser*.c) share: the walk's context,
 * with the member path where problems are found, and the functions that
 * one file of the serializer calls in another. */
#ifndef OMICS_SER_INT_H
#define OMICS_SER_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "model.h"
#include "omics.h"
#include "ser.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

#define SER_MAX_DEPTH 100
#define SER_MAX_REPORTED 8

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
    /* checking a result (a stub's) instead of parameters: paths start at
     * root ("result"), members are "members", timestamps epoch seconds only */
    const char *root;
    int output;
} ser_ctx;

/* ser_check.c: problems, recorded with the member path where they are */
void ser_problem(ser_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Enter a member, map key (name, len) or list index (name NULL); -1 (and a
 * problem) when nested too deep.  ser_pop leaves it. */
int ser_push(ser_ctx *c, const char *name, size_t len, size_t index);
void ser_pop(ser_ctx *c);

/* ser_check.c: scalars; each returns -1 (after a problem) when v does not
 * fit the shape */
void ser_check_length(ser_ctx *c, const model_shape *sh, size_t len, const char *unit);
int ser_check_string(ser_ctx *c, const model_shape *sh, const omics_value *v);
int ser_check_blob(ser_ctx *c, const model_shape *sh, const omics_value *v);
int ser_get_integer(ser_ctx *c, const model_shape *sh, const omics_value *v, int64_t *out);
int ser_get_double(ser_ctx *c, const model_shape *sh, const omics_value *v, double *out);
int ser_get_bool(ser_ctx *c, const omics_value *v, int *out);
int ser_get_timestamp(ser_ctx *c, const omics_value *v, double *out);
/* The timestamp format of a member (TS_*), or location_default. */
int ser_ts_format_for(const model_member *mm, int location_default);
/* The text of a scalar as it goes into a URI label, a query value or a
 * header.  Appends to b; -1 when the value does not fit the shape. */
int ser_scalar_text(ser_ctx *c, const model_member *mm, const model_shape *sh,
                    const omics_value *v, int ts_default, buf *b);

/* ser_check.c: tables (lists, maps, structures), in c's arena */
int ser_list_items(ser_ctx *c, const omics_value *v, const omics_value ***out, size_t *n);
int ser_map_entries(ser_ctx *c, const model_shape *sh, const omics_value *v,
                    const omics_entry ***out, size_t *n);
const omics_value **ser_struct_slots(ser_ctx *c, const model_shape *sh, const omics_value *v);

/* ser_json.c: a value of shape sh as JSON, appended to b */
void ser_json_value(ser_ctx *c, const model_member *mm, const model_shape *sh,
                    const omics_value *v, buf *b);
/* the members of structure sh that slots fill (body_only: those of the
 * body) as one JSON object, appended to b; how many it wrote */
size_t ser_json_members(ser_ctx *c, const model_shape *sh, const omics_value **slots,
                        int body_only, buf *b);

/* ser_http.c: headers (name and value live as long as the request) */
void ser_add_header(ser_ctx *c, const char *name, const char *value);
omics_header *ser_find_header(const ser_ctx *c, const char *name);
int ser_has_header(const ser_ctx *c, const char *name);
void ser_header_member(ser_ctx *c, const model_member *mm, const omics_value *v);
void ser_prefix_headers(ser_ctx *c, const model_member *mm, const omics_value *v);

/* ser_http.c: the query string, the URI's labels and the host */
void ser_query_values(ser_ctx *c, const model_member *mm, const model_shape *sh,
                      const omics_value *v, const char *k, size_t klen);
void ser_query_map(ser_ctx *c, const model_shape *input, const omics_value **slots,
                   const model_member *mm, const omics_value *v);
int ser_expand_path(ser_ctx *c, const omics_op *op, const omics_value **slots,
                    const char *tmpl, size_t tlen, buf *path);
char *ser_build_host(ser_ctx *c, const omics_op *op, const omics_value **slots,
                     const ser_endpoint *ep);

/* ser_body.c: the body, its Content-Type and Content-Length, and the
 * Content-MD5 an operation may require */
void ser_build_body(ser_ctx *c, const omics_op *op, const omics_value **slots,
                    omics_request *out);
void ser_content_md5(ser_ctx *c, const omics_op *op, omics_request *out);

#pragma GCC visibility pop

#endif
