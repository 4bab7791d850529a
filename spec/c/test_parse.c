/* parse: what omics_parse leaves on the builder's stack, with the built-in
 * HealthOmics model.  A success leaves one table; a failure leaves nothing,
 * or exactly the modeled error's table when *has_data is set, however far
 * the parse got before it failed (found by tools/fuzz/fuzz_parse). */
#include <stdint.h>
#include <string.h>

#include "ctest.h"
#include "omics.h"

/* A builder that builds nothing and keeps the depth of its stack. */
typedef struct depth {
    int n;
} depth;

static int push(void *ud)
{
    ((depth *)ud)->n++;
    return 0;
}
static int d_null(void *ud) { return push(ud); }
static int d_boolean(void *ud, int b) { (void)b; return push(ud); }
static int d_integer(void *ud, int64_t i) { (void)i; return push(ud); }
static int d_number(void *ud, double v) { (void)v; return push(ud); }
static int d_string(void *ud, const char *s, size_t len) { (void)s; (void)len; return push(ud); }
static int d_table(void *ud, size_t a, size_t r) { (void)a; (void)r; return push(ud); }
static int d_pop(void *ud)
{
    depth *d = ud;
    if (d->n < 1)
        return -1;
    d->n--;
    return 0;
}
static int d_set_field(void *ud, const char *k, size_t kl)
{
    (void)k;
    (void)kl;
    return ((depth *)ud)->n < 2 ? -1 : d_pop(ud);
}
static int d_set_index(void *ud, size_t i)
{
    (void)i;
    return ((depth *)ud)->n < 2 ? -1 : d_pop(ud);
}

static const omics_header json_headers[] = {
    {"content-type", "application/json"},
    {"x-amzn-requestid", "req-1"},
};

/* Parse body as the answer to op with status; the stack depth afterwards. */
static int parse(const omics_model *m, const char *opname, long status, const char *body,
                 int *rc, int *has_data, omics_error *err)
{
    const omics_op *op = omics_model_op(m, opname);
    CHECK(op != NULL);
    if (!op)
        return -1;
    depth d = {0};
    omics_builder b = {
        .ud = &d,
        .null = d_null,
        .boolean = d_boolean,
        .integer = d_integer,
        .number = d_number,
        .string = d_string,
        .table = d_table,
        .set_field = d_set_field,
        .set_index = d_set_index,
        .pop = d_pop,
    };
    omics_response r = {
        .status = status,
        .headers = json_headers,
        .nheaders = 2,
        .body = body,
        .body_len = strlen(body),
    };
    omics_parser *p = omics_parser_new();
    CHECK(p != NULL);
    if (!p)
        return -1;
    omics_error_clear(err);
    *has_data = -1;
    *rc = omics_parse(p, m, op, &r, &b, has_data, err);
    omics_parser_free(p);
    return d.n;
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    CHECK(m != NULL);
    if (!m)
        CTEST_DONE();
    int rc, has_data;

    /* a success: one table */
    CHECK(parse(m, "GetReferenceMetadata", 200,
                "{\"id\":\"1\",\"arn\":\"a\",\"referenceStoreId\":\"2\",\"md5\":\"m\","
                "\"creationTime\":\"2022-11-28T00:00:00Z\",\"updateTime\":1700000000}",
                &rc, &has_data, &err) == 1);
    CHECK(rc == 0);
    CHECK(has_data == 0);

    /* a modeled error: exactly its table */
    CHECK(parse(m, "GetReferenceMetadata", 404,
                "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no such reference\"}",
                &rc, &has_data, &err) == 1);
    CHECK(rc == -1);
    CHECK(has_data == 1);
    CHECK_STR(err.code, "ResourceNotFoundException");

    /* a modeled error whose members do not match the model: the error, no
     * data, nothing left behind (top level, then nested) */
    CHECK(parse(m, "GetReferenceMetadata", 404,
                "{\"__type\":\"ResourceNotFoundException\",\"message\":5}", &rc, &has_data,
                &err) == 0);
    CHECK(rc == -1);
    CHECK(has_data == 0);
    CHECK_STR(err.code, "ResourceNotFoundException");
    CHECK(err.status == 404);
    CHECK(parse(m, "GetRun", 400,
                "{\"__type\":\"ValidationException\",\"message\":\"m\",\"extra\":[1]}", &rc,
                &has_data, &err) == 1);
    CHECK(has_data == 1);

    /* a 2xx answer that fails deep inside: a parse error, nothing left */
    CHECK(parse(m, "GetRun", 200,
                "{\"id\":\"1\",\"parameters\":{\"a\":[1,2]},\"tags\":{\"k\":\"v\",\"n\":5}}",
                &rc, &has_data, &err) == 0);
    CHECK(rc == -1);
    CHECK(has_data == 0);
    CHECK_STR(err.code, "ResponseParseError");
    CHECK(parse(m, "ListReferences", 200,
                "{\"references\":[{\"id\":\"1\",\"status\":\"ACTIVE\"},"
                "{\"id\":\"2\",\"creationTime\":\"not a date\"}]}",
                &rc, &has_data, &err) == 0);
    CHECK(rc == -1);
    CHECK_STR(err.code, "ResponseParseError");

    omics_error_clear(&err);
    CTEST_DONE();
}
