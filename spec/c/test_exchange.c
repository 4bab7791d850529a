/* exchange: the engine of a call, driven here by a test double instead of a
 * transport (nothing is sent; the endpoint is never contacted).  What the
 * engine says to do after each answer or failure: send, wait, done, failed;
 * the attempt headers, the signature, the give-up rules. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "ctest_omics.h"
#include "omics.h"

/* The builder of the calls: it counts its stack (ctest_omics.h). */
static int depth;
static omics_builder builder;

static omics_client *client;
static const omics_op *op;
static omics_value params;
static omics_entry items[2];

static const omics_header json_headers[] = {{"content-type", "application/json"}};

static omics_response answer(long status, const char *body)
{
    omics_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.headers = json_headers;
    r.nheaders = 1;
    r.body = body;
    r.body_len = strlen(body);
    return r;
}

static const char *header(const omics_request *req, const char *name)
{
    for (size_t i = 0; req && i < req->nheaders; i++)
        if (strcasecmp(req->headers[i].name, name) == 0)
            return req->headers[i].value;
    return NULL;
}

static omics_exchange *start(const omics_sink *sink)
{
    omics_error err;
    omics_error_init(&err);
    depth = 0;
    omics_exchange *x = omics_exchange_new(client, op, &params, sink, &builder, NULL, &err);
    CHECK(x != NULL);
    omics_error_clear(&err);
    return x;
}

#define META "{\"id\":\"9876543210\",\"name\":\"n\"}"
#define THROTTLED "{\"__type\":\"ThrottlingException\",\"message\":\"slow\"}"

static void test_first_answer_done(void)
{
    omics_exchange *x = start(NULL);
    const omics_request *req;
    double wait;
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    CHECK(req != NULL && header(req, "Authorization") != NULL);
    CHECK_STR(header(req, "amz-sdk-request"), "attempt=1; max=3");
    omics_response r = answer(200, META);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_DONE);
    CHECK(depth == 1); /* the result */
    CHECK(omics_exchange_attempts(x) == 1);
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_DONE);
    omics_exchange_free(x);
}

static void test_throttled_then_served(void)
{
    omics_exchange *x = start(NULL);
    const omics_request *req;
    double wait;
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    char invocation[64];
    snprintf(invocation, sizeof invocation, "%s", header(req, "amz-sdk-invocation-id"));
    const char *sig1 = header(req, "Authorization");
    char first_sig[256];
    snprintf(first_sig, sizeof first_sig, "%s", sig1 ? sig1 : "");
    omics_response r = answer(429, THROTTLED);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_WAIT);
    CHECK(wait >= 0 && wait <= 0.01); /* rand * min(2^0, max_backoff) */
    CHECK(depth == 0); /* the modeled error's members were let go */
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    CHECK_STR(header(req, "amz-sdk-request"), "attempt=2; max=3");
    CHECK_STR(header(req, "amz-sdk-invocation-id"), invocation);
    CHECK(header(req, "Authorization") != NULL); /* signed anew */
    r = answer(200, META);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_DONE);
    CHECK(omics_exchange_attempts(x) == 2);
    omics_exchange_free(x);
}

static void test_gives_up_after_max_attempts(void)
{
    omics_exchange *x = start(NULL);
    const omics_request *req;
    double wait;
    omics_step step = omics_exchange_next(x, &req, &wait);
    int sends = 0;
    while (step == OMICS_STEP_SEND || step == OMICS_STEP_WAIT) {
        if (step == OMICS_STEP_SEND) {
            sends++;
            omics_response r = answer(500, "{\"__type\":\"InternalServerException\"}");
            step = omics_exchange_answered(x, &r, 0, &wait);
        } else {
            step = omics_exchange_next(x, &req, &wait);
        }
    }
    CHECK(step == OMICS_STEP_FAILED);
    CHECK(sends == 3);
    const omics_error *e = omics_exchange_error(x);
    CHECK_STR(e->code, "InternalServerException");
    CHECK(e->attempts == 3);
    CHECK(depth == 1); /* the last error's members, for the caller */
    omics_exchange_free(x);
}

static void test_transport_failures(void)
{
    omics_error e;
    omics_error_init(&e);
    const omics_request *req;
    double wait;
    /* not retryable: stops at once */
    omics_exchange *x = start(NULL);
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    omics_error_set(&e, OMICS_ETRANSPORT, "TLSError", "self-signed");
    e.retryable = 0;
    CHECK(omics_exchange_failed(x, &e, 0, &wait) == OMICS_STEP_FAILED);
    CHECK(omics_exchange_error(x)->attempts == 1);
    omics_exchange_free(x);
    /* retryable, but part of the payload reached a sink that cannot start over */
    static const omics_sink no_rewind = {NULL, NULL, NULL};
    const omics_op *get = omics_model_op(omics_client_model(client), "GetReference");
    omics_entry part[3] = {items[0], items[1],
                           {{OMICS_V_STR, {.s = {"partNumber", 10}}}, {OMICS_V_INT, {.i = 1}}}};
    omics_value pv = {OMICS_V_TABLE, {.t = {part, 3}}};
    omics_error err;
    omics_error_init(&err);
    x = omics_exchange_new(client, get, &pv, &no_rewind, &builder, NULL, &err);
    CHECK(x != NULL);
    if (x) {
        CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
        omics_error_set(&e, OMICS_ETRANSPORT, "ConnectionError", "cut");
        e.retryable = 1;
        CHECK(omics_exchange_failed(x, &e, 100, &wait) == OMICS_STEP_FAILED);
        const char *m = omics_exchange_error(x)->message;
        CHECK(m && strstr(m, "not retried: part of the payload already went to the sink"));
        omics_exchange_free(x);
    }
    /* a sink for an operation without a streaming payload: refused up front */
    x = omics_exchange_new(client, op, &params, &no_rewind, &builder, NULL, &err);
    CHECK(x == NULL);
    CHECK_STR(err.code, "SinkError");
    omics_error_clear(&err);
    omics_error_clear(&e);
}

static void test_misuse_and_agent(void)
{
    const omics_request *req;
    double wait;
    omics_exchange *x = start(NULL);
    omics_response r = answer(200, META);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_FAILED);
    CHECK_STR(omics_exchange_error(x)->code, "ExchangeMisuse");
    omics_exchange_free(x);
    omics_error err;
    omics_error_init(&err);
    x = omics_exchange_new(client, op, &params, NULL, &builder, "test-driver/1", &err);
    CHECK(x != NULL);
    if (x) {
        CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
        const char *ua = header(req, "User-Agent");
        CHECK(ua && strstr(ua, " test-driver/1") && !strstr(ua, "curl/"));
        omics_exchange_free(x);
    }
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    builder = ctest_counting_builder(&depth);
    omics_client_opts o;
    ctest_offline_opts(&o);
    o.max_attempts = 3;
    o.max_backoff = 0.01;
    client = m ? omics_client_new(m, &o, &err) : NULL;
    CHECK(client != NULL);
    if (!client)
        CTEST_DONE();
    op = omics_model_op(m, "GetReferenceMetadata");
    items[0] = (omics_entry){{OMICS_V_STR, {.s = {"referenceStoreId", 16}}},
                             {OMICS_V_STR, {.s = {"1234567890", 10}}}};
    items[1] = (omics_entry){{OMICS_V_STR, {.s = {"id", 2}}}, {OMICS_V_STR, {.s = {"9876543210", 10}}}};
    params = (omics_value){OMICS_V_TABLE, {.t = {items, 2}}};
    RUN(test_first_answer_done);
    RUN(test_throttled_then_served);
    RUN(test_gives_up_after_max_attempts);
    RUN(test_transport_failures);
    RUN(test_misuse_and_agent);
    omics_client_free(client);
    CTEST_DONE();
}
