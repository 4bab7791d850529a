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

/* ------------------------------------------------------------- events */

typedef struct seen_event {
    omics_event_type type;
    int attempt, status;
    char code[64];
    long long bytes;
    int redacted; /* before_send: Authorization present and a secret */
} seen_event;

static seen_event seen[16];
static int nseen;
static int fail_handler; /* the handler reports a failure (with control bytes) */
static char logged[512];

static int on_event(void *ud, const omics_event *ev, char *why, size_t whylen)
{
    (void)ud;
    if (nseen < 16) {
        seen_event *s = &seen[nseen++];
        s->type = ev->type;
        s->attempt = ev->attempt;
        s->status = ev->status;
        snprintf(s->code, sizeof s->code, "%s", ev->code ? ev->code : "");
        s->bytes = ev->bytes;
        s->redacted = ev->request && header(ev->request, "Authorization") != NULL;
        CHECK(ev->seconds >= 0);
        CHECK_STR(ev->op, "GetReferenceMetadata");
    }
    if (fail_handler) {
        snprintf(why, whylen, "broken\033[31m\nhandler");
        return -1;
    }
    return 0;
}

static void on_log(void *ud, int level, const char *message)
{
    (void)ud;
    if (level == 3)
        snprintf(logged, sizeof logged, "%s", message);
}

static void test_events(void)
{
    omics_client_on_event(client, on_event, NULL);
    nseen = 0;
    omics_exchange *x = start(NULL);
    const omics_request *req;
    double wait;
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    omics_response r = answer(429, THROTTLED);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_WAIT);
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    omics_error e;
    omics_error_init(&e);
    omics_error_set(&e, OMICS_ETRANSPORT, "ConnectionError", "reset");
    e.retryable = 1;
    CHECK(omics_exchange_failed(x, &e, 0, &wait) == OMICS_STEP_WAIT);
    omics_error_clear(&e);
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    r = answer(200, META);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_DONE);
    omics_exchange_free(x);
    CHECK(nseen == 7);
    static const omics_event_type want[] = {
        OMICS_EVENT_BEFORE_SEND, OMICS_EVENT_AFTER_ATTEMPT, OMICS_EVENT_BEFORE_SEND,
        OMICS_EVENT_AFTER_ATTEMPT, OMICS_EVENT_BEFORE_SEND, OMICS_EVENT_AFTER_ATTEMPT,
        OMICS_EVENT_AFTER_CALL};
    for (int i = 0; i < 7 && i < nseen; i++)
        CHECK(seen[i].type == want[i]);
    CHECK(seen[0].redacted && seen[0].attempt == 1);
    CHECK(seen[1].status == 429);
    CHECK_STR(seen[1].code, "ThrottlingException");
    CHECK(seen[1].bytes == (long long)strlen(THROTTLED));
    CHECK(seen[3].status == 0 && seen[3].attempt == 2);
    CHECK_STR(seen[3].code, "ConnectionError");
    CHECK(seen[5].status == 200 && seen[5].code[0] == '\0');
    CHECK(seen[6].attempt == 3 && seen[6].status == 200 && seen[6].code[0] == '\0');

    /* parameters refused: after_call alone, with no attempt */
    nseen = 0;
    omics_value bad = {OMICS_V_TABLE, {.t = {items, 1}}};
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_exchange_new(client, op, &bad, NULL, &builder, NULL, &err) == NULL);
    omics_error_clear(&err);
    CHECK(nseen == 1 && seen[0].type == OMICS_EVENT_AFTER_CALL && seen[0].attempt == 0);
    CHECK_STR(seen[0].code, "ParamValidationError");

    /* a failing handler: logged (control bytes made harmless), the call goes on */
    fail_handler = 1;
    nseen = 0;
    logged[0] = '\0';
    x = start(NULL);
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    r = answer(200, META);
    CHECK(omics_exchange_answered(x, &r, 0, &wait) == OMICS_STEP_DONE);
    omics_exchange_free(x);
    fail_handler = 0;
    CHECK(nseen == 3);
    CHECK(strstr(logged, "GetReferenceMetadata: the after_call event handler failed: broken") != NULL);
    CHECK(strchr(logged, '\033') == NULL && strchr(logged, '\n') == NULL);
    omics_client_on_event(client, NULL, NULL);
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
    o.log = on_log;
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
    RUN(test_events);
    omics_client_free(client);
    CTEST_DONE();
}
