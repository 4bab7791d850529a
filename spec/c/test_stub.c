/* stub: answers written as the service writes them (omics.h, "stubs"),
 * read back by the real parser; stubs the service could never send are
 * refused naming the member; expected parameters compared. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "ctest_omics.h"
#include "omics.h"

static const omics_model *model;

static const char *header(const omics_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* The answer parsed as JSON text (omics_parse_json), or NULL with err. */
static char *parsed(const omics_op *op, const omics_response *r, omics_error *err)
{
    omics_parser *p = omics_parser_new();
    char *out = NULL;
    size_t n;
    if (omics_parse_json(p, model, op, r, &out, &n, err))
        out = NULL;
    omics_parser_free(p);
    return out;
}

static void test_result_round_trip(void)
{
    const omics_op *op = omics_model_op(model, "GetRun");
    omics_arena *a = omics_arena_new(1024);
    ctest_tree t, tags;
    t_init(&t);
    t_init(&tags);
    t_str(&tags, "team", "a\"b\x01");
    t_str(&t, "id", "1234567");
    t_int(&t, "priority", 5);
    t_int(&t, "creationTime", 1700000000);
    t_tab(&t, "tags", &tags);
    omics_response r;
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_stub_result(op, &t.v, a, &r, &err) == 0);
    CHECK(r.status == 200);
    CHECK_STR(header(&r, "content-type"), "application/json");
    CHECK_STR(header(&r, "x-amzn-requestid"), "stub-request");
    char *json = parsed(op, &r, &err);
    CHECK(json && strstr(json, "\"id\":\"1234567\"") && strstr(json, "\"priority\":5") &&
          strstr(json, "\"creationTime\":1700000000") && strstr(json, "\"team\":\"a\\\"b\\u0001\""));
    free(json);
    /* a streaming payload: the bytes themselves */
    const omics_op *get = omics_model_op(model, "GetReadSet");
    ctest_tree p;
    t_init(&p);
    t_next(&p, "payload")->val = (omics_value){OMICS_V_STR, {.s = {"AC\0GT", 5}}};
    CHECK(omics_stub_result(get, &p.v, a, &r, &err) == 0);
    CHECK(r.body_len == 5 && memcmp(r.body, "AC\0GT", 5) == 0);
    CHECK_STR(header(&r, "content-type"), "application/octet-stream");
    omics_arena_free(a);
    omics_error_clear(&err);
}

static void test_result_refused(void)
{
    const omics_op *op = omics_model_op(model, "GetRun");
    omics_arena *a = omics_arena_new(1024);
    omics_response r;
    omics_error err;
    omics_error_init(&err);
    ctest_tree t;
    t_init(&t);
    t_int(&t, "id", 5);
    t_str(&t, "creationTime", "2024-01-01T00:00:00Z");
    t_str(&t, "nope", "x");
    CHECK(omics_stub_result(op, &t.v, a, &r, &err) == -1);
    CHECK_STR(err.code, "StubError");
    CHECK(err.kind == OMICS_EUSAGE);
    CHECK(err.message && strstr(err.message, "result.id: expected a string, got integer") &&
          strstr(err.message, "result.creationTime: expected a timestamp as epoch seconds") &&
          strstr(err.message, "result.nope: unknown member (valid: arn, id"));
    omics_error_clear(&err);
    omics_arena_free(a);
}

static void test_errors(void)
{
    const omics_op *op = omics_model_op(model, "GetRun");
    omics_arena *a = omics_arena_new(1024);
    omics_response r;
    omics_error err, got;
    omics_error_init(&err);
    omics_error_init(&got);
    CHECK(omics_stub_error(model, op, "ThrottlingException", "slow \"down\"", 0, NULL, a, &r, &err) == 0);
    CHECK(r.status == 429);
    CHECK_STR(header(&r, "x-amzn-errortype"), "ThrottlingException");
    char *json = parsed(op, &r, &got);
    CHECK(json == NULL);
    CHECK_STR(got.code, "ThrottlingException");
    CHECK(got.retryable && got.status == 429);
    CHECK_STR(got.message, "slow \"down\"");
    omics_error_clear(&got);
    /* refused: a code that could split a header, a 2xx status, data of an unknown error */
    CHECK(omics_stub_error(model, op, "X\r\nY", NULL, 0, NULL, a, &r, &err) == -1);
    CHECK_STR(err.code, "StubError");
    CHECK(omics_stub_error(model, op, "ThrottlingException", NULL, 200, NULL, a, &r, &err) == -1);
    ctest_tree d;
    t_init(&d);
    t_str(&d, "x", "1");
    CHECK(omics_stub_error(model, op, "NoSuchError", NULL, 0, &d.v, a, &r, &err) == -1);
    CHECK(err.message && strstr(err.message, "not an error of the model"));
    CHECK(omics_stub_error(model, op, "ConflictException", NULL, 0, &d.v, a, &r, &err) == -1);
    CHECK(err.message && strstr(err.message, "data.x: unknown member"));
    omics_error_clear(&err);
    omics_arena_free(a);
}

static void test_expect(void)
{
    const omics_op *op = omics_model_op(model, "GetRun");
    omics_error err;
    omics_error_init(&err);
    ctest_tree want, got, sub1, sub2;
    t_init(&want);
    t_init(&got);
    t_init(&sub1);
    t_init(&sub2);
    t_str(&want, "id", "1");
    t_str(&got, "id", "1");
    CHECK(omics_stub_expect(op, &want.v, &got.v, &err) == 0);
    CHECK(omics_stub_expect(op, NULL, &got.v, &err) == 0);
    t_str(&sub1, "k", "v");
    t_str(&sub2, "k", "w");
    t_tab(&want, "tags", &sub1);
    t_tab(&got, "tags", &sub2);
    CHECK(omics_stub_expect(op, &want.v, &got.v, &err) == -1);
    CHECK(err.message && strstr(err.message, "params.tags.k: expected \"v\", got \"w\""));
    t_int(&got, "extra", 1);
    want.e[1].val = got.e[1].val;
    CHECK(omics_stub_expect(op, &want.v, &got.v, &err) == -1);
    CHECK(err.message && strstr(err.message, "params.extra: not expected, got 1"));
    /* numbers by value */
    omics_value i5 = {OMICS_V_INT, {.i = 5}}, n5 = {OMICS_V_NUM, {.n = 5.0}};
    CHECK(omics_stub_expect(op, &i5, &n5, &err) == 0);
    omics_error_clear(&err);
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    model = omics_model_builtin(&err);
    CHECK(model != NULL);
    if (!model)
        CTEST_DONE();
    RUN(test_result_round_trip);
    RUN(test_result_refused);
    RUN(test_errors);
    RUN(test_expect);
    CTEST_DONE();
}
