/* wire: HTTP/1.1 as bytes for drivers of raw sockets.  The answer parser fed
 * whole answers and the same answers a byte at a time, every framing
 * (Content-Length, chunked, to the end of the connection, none), the
 * limits, and hostile answers; then the engine driven on raw bytes. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "ctest_omics.h"
#include "omics.h"
#include "wire.h"

static omics_limits limits = {30, 5, 10, 1000, 256};

typedef struct fed {
    int r;          /* the last wire_feed (or wire_eof) result */
    size_t used;    /* bytes of the input taken */
    buf payload;    /* what was handed out */
    omics_error err;
} fed;

/* Feed text in pieces of `step` bytes (0: whole); then the peer's close
 * when eof. */
static void feed(wire_parser *p, const char *text, size_t n, size_t step, int eof, fed *f)
{
    buf_init(&f->payload);
    omics_error_init(&f->err);
    f->used = 0;
    f->r = WIRE_MORE;
    size_t at = 0;
    while (at < n && f->r == WIRE_MORE) {
        size_t k = step && n - at > step ? step : n - at;
        size_t used = 0;
        f->r = wire_feed(p, text + at, k, &used, &f->payload, &f->err);
        at += used;
        if (f->r == WIRE_MORE && used != k)
            break;
    }
    f->used = at;
    if (eof && f->r == WIRE_MORE)
        f->r = wire_eof(p, &f->err);
}

static void done_with(fed *f)
{
    buf_free(&f->payload);
    omics_error_clear(&f->err);
}

static const char *hdr(const omics_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

#define SIMPLE                                                                                 \
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Amzn-RequestId:  abc \r\n"         \
    "Content-Length: 11\r\n\r\n{\"a\":\"xyz\"}"

/* The same answer, whole and a byte at a time, gives the same result. */
static void test_content_length(void)
{
    for (size_t step = 0; step <= 1; step++) {
        wire_parser p;
        wire_init(&p, &limits);
        wire_start(&p, "GET", 0);
        fed f;
        feed(&p, SIMPLE, strlen(SIMPLE), step, 0, &f);
        CHECK(f.r == WIRE_DONE);
        CHECK(f.used == strlen(SIMPLE));
        omics_arena *a = omics_arena_new(1024);
        omics_response r;
        CHECK(wire_response(&p, a, &r, &f.err) == 0);
        CHECK(r.status == 200);
        CHECK_STR(hdr(&r, "x-amzn-requestid"), "abc");
        CHECK_STR(hdr(&r, "content-type"), "application/json");
        CHECK(r.body_len == 11 && memcmp(r.body, "{\"a\":\"xyz\"}", 11) == 0);
        CHECK(!r.body_streamed);
        CHECK(p.keep == 1);
        omics_arena_free(a);
        done_with(&f);
        wire_free(&p);
    }
}

#define CHUNKED                                                                                \
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"                              \
    "5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"

static void test_chunked_and_extra_bytes(void)
{
    for (size_t step = 0; step <= 1; step++) {
        wire_parser p;
        wire_init(&p, &limits);
        wire_start(&p, "GET", 0);
        fed f;
        char text[256];
        snprintf(text, sizeof text, "%sHTTP/1.1 200 OK\r\n", CHUNKED);
        feed(&p, text, strlen(text), step, 0, &f);
        CHECK(f.r == WIRE_DONE);
        CHECK(f.used == strlen(CHUNKED)); /* the next answer's bytes are not taken */
        CHECK(p.body.len == 11 && memcmp(p.body.p, "hello world", 11) == 0);
        done_with(&f);
        wire_free(&p);
    }
}

/* Without a length the body runs to the close; the connection is not kept. */
static void test_to_the_end_and_short(void)
{
    wire_parser p;
    wire_init(&p, &limits);
    wire_start(&p, "GET", 0);
    fed f;
    const char *t = "HTTP/1.0 200 OK\r\n\r\nall of it";
    feed(&p, t, strlen(t), 3, 1, &f);
    CHECK(f.r == WIRE_DONE);
    CHECK(p.body.len == 9 && !p.keep);
    done_with(&f);

    wire_start(&p, "GET", 0);
    t = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfour";
    feed(&p, t, strlen(t), 0, 1, &f);
    CHECK(f.r == WIRE_ERROR);
    CHECK_STR(f.err.code, "ConnectionError");
    CHECK_STR(f.err.message, "the answer ended 6 bytes short (closed)");
    CHECK(f.err.retryable);
    done_with(&f);

    wire_start(&p, "GET", 0); /* closed before a byte */
    feed(&p, "", 0, 0, 1, &f);
    CHECK(f.r == WIRE_ERROR);
    CHECK_STR(f.err.message, "reading the status line: closed");
    done_with(&f);
    wire_free(&p);
}

/* 1xx answers are skipped; HEAD, 204 and 304 have no body. */
static void test_no_body_and_continue(void)
{
    wire_parser p;
    wire_init(&p, &limits);
    wire_start(&p, "PUT", 0);
    fed f;
    const char *t = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 9\r\n\r\n";
    feed(&p, t, strlen(t), 0, 0, &f);
    CHECK(f.r == WIRE_DONE && p.status == 204 && p.body.len == 0);
    done_with(&f);
    wire_start(&p, "HEAD", 0);
    t = "HTTP/1.1 200 OK\r\nContent-Length: 900\r\nConnection: close\r\n\r\n";
    feed(&p, t, strlen(t), 0, 0, &f);
    CHECK(f.r == WIRE_DONE && p.status == 200 && !p.keep);
    done_with(&f);
    wire_free(&p);
}

static void expect_error(const char *text, size_t step, const char *code, const char *message)
{
    wire_parser p;
    wire_init(&p, &limits);
    wire_start(&p, "GET", 1);
    fed f;
    feed(&p, text, strlen(text), step, 1, &f);
    CHECK(f.r == WIRE_ERROR);
    CHECK_STR(f.err.code, code);
    if (message)
        CHECK(f.err.message && strstr(f.err.message, message));
    done_with(&f);
    wire_free(&p);
}

static void test_limits(void)
{
    char big[600];
    snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nX-Big: %0300d\r\n\r\n", 0);
    expect_error(big, 0, "ResponseTooLarge", "headers are larger");
    /* a body over max_response_bytes, known from its length or counted */
    expect_error("HTTP/1.1 500 Oops\r\nContent-Length: 1001\r\n\r\n", 0, "ResponseTooLarge",
                 "max_response_bytes (1000)");
    char chunks[1200];
    snprintf(chunks, sizeof chunks, "HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "3e9\r\n%01001d\r\n0\r\n\r\n", 0);
    expect_error(chunks, 7, "ResponseTooLarge", "a streaming payload with a sink");
    /* trailers count toward the header limit */
    snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"
                              "X-T: %0300d\r\n\r\n", 0);
    expect_error(big, 0, "ResponseTooLarge", "headers");

    /* a 2xx streaming payload is handed out, whatever its size */
    wire_parser p;
    wire_init(&p, &limits);
    wire_start(&p, "GET", 1);
    fed f;
    char text[3000];
    int n = snprintf(text, sizeof text, "HTTP/1.1 200 OK\r\nContent-Length: 2500\r\n\r\n");
    memset(text + n, 'x', 2500);
    feed(&p, text, (size_t)n + 2500, 100, 0, &f);
    CHECK(f.r == WIRE_DONE && f.payload.len == 2500 && p.body.len == 0 && p.streaming);
    done_with(&f);
    wire_free(&p);
}

static void test_hostile(void)
{
    expect_error("SSH-2.0-OpenSSH\r\n", 0, "ConnectionError", "not an HTTP answer: SSH-2.0");
    expect_error("HTTP/1.1 2000 OK\r\n\r\n", 0, "ConnectionError", "not an HTTP answer");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n", 0, "ConnectionError",
                 "not a number of bytes: 12abc");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
                 "ConnectionError", "not a number");
    expect_error("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, "ConnectionError", NULL);
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0,
                 "ConnectionError", "a bad chunk size: zz");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
                 0, "ConnectionError", "a bad chunk size");
    expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", 0,
                 "ConnectionError", "runs past its size");
    /* control bytes of the server's are not repeated in the message */
    expect_error("\x1b[31mHTTP\r\n", 0, "ConnectionError", "?[31mHTTP");
    /* a line that never ends: bounded, not read forever */
    size_t n = WIRE_MAX_LINE + 100;
    char *endless = malloc(n + 1);
    memcpy(endless, "HTTP/1.1 200 OK\r\nX: ", 20);
    memset(endless + 20, 'a', n - 20);
    endless[n] = '\0';
    expect_error(endless, 4096, "ConnectionError", "a header line is longer than 16384 bytes");
    free(endless);
    /* a NUL in a header line */
    wire_parser p;
    wire_init(&p, &limits);
    wire_start(&p, "GET", 0);
    fed f;
    feed(&p, "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27, 0, 0, &f);
    CHECK(f.r == WIRE_ERROR && strstr(f.err.message, "NUL"));
    done_with(&f);
    wire_free(&p);
}

static void test_request_and_endpoint(void)
{
    omics_header h[] = {{"Host", "h.example"}, {"Content-Length", "3"}};
    omics_request req;
    memset(&req, 0, sizeof req);
    req.method = "PUT";
    req.url = "https://h.example:8443/a%20b?x=1";
    req.headers = h;
    req.nheaders = 2;
    req.body = "abc";
    req.body_len = 3;
    buf b;
    buf_init(&b);
    omics_error err;
    omics_error_init(&err);
    CHECK(wire_request(&b, &req, 0, &err) == 0);
    CHECK_STR(buf_str(&b),
              "PUT /a%20b?x=1 HTTP/1.1\r\nHost: h.example\r\nContent-Length: 3\r\n\r\nabc");
    buf_reset(&b); /* to a proxy: the whole URL */
    CHECK(wire_request(&b, &req, 1, &err) == 0);
    CHECK(strncmp(buf_str(&b), "PUT https://h.example:8443/a%20b?x=1 HTTP/1.1\r\n", 47) == 0);
    buf_free(&b);
    char host[64];
    int https = 0, port = 0;
    CHECK(wire_endpoint(req.url, &https, host, sizeof host, &port) == 0);
    CHECK(https == 1 && port == 8443);
    CHECK_STR(host, "h.example");
    CHECK(wire_endpoint("http://[::1]:99/x", &https, host, sizeof host, &port) == 0);
    CHECK(!https && port == 99);
    CHECK_STR(host, "::1");
    CHECK(wire_endpoint("http://127.0.0.1/", &https, host, sizeof host, &port) == 0 && port == 80);
    CHECK(wire_endpoint("http://h:65536/", &https, host, sizeof host, &port) == -1);
    CHECK(wire_endpoint("http://h:/", &https, host, sizeof host, &port) == -1);
    CHECK(wire_endpoint("ftp://h/", &https, host, sizeof host, &port) == -1);
    CHECK(wire_endpoint("http:///", &https, host, sizeof host, &port) == -1);
}

/* ------------------------------------------------- the engine on raw bytes */

/* The builder of the calls: it counts its stack (ctest_omics.h). */
static int depth;
static omics_builder builder;

static omics_client *client;
static const omics_model *model;
static omics_value params;
static omics_entry items[2];

static omics_exchange *sent(const char *op_name, omics_wire *w)
{
    omics_error err;
    omics_error_init(&err);
    depth = 0;
    omics_exchange *x = omics_exchange_new(client, omics_model_op(model, op_name), &params, NULL,
                                           &builder, "test-wire/1", &err);
    CHECK(x != NULL);
    const omics_request *req;
    double wait;
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    CHECK(omics_exchange_wire(x, 1, w, &err) == 0);
    omics_error_clear(&err);
    return x;
}

static void test_engine_answer(void)
{
    omics_wire w;
    omics_exchange *x = sent("GetReferenceMetadata", &w);
    CHECK(w.port == 1 && !w.https && !w.has_body && w.wait == 30);
    CHECK_STR(w.host, "127.0.0.1");
    CHECK(w.len > 40 && memcmp(w.bytes, "GET /referencestore/1234567890/reference/9876543210/"
                                        "metadata HTTP/1.1\r\n", 70) == 0);
    CHECK(strstr(w.bytes, "\r\nAuthorization: AWS4-HMAC-SHA256 ") != NULL);
    CHECK(strstr(w.bytes, " test-wire/1\r\n") != NULL);
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\n{\"id\":\"9876\"}";
    omics_received r;
    CHECK(omics_exchange_receive(x, a, 20, &r) == OMICS_STEP_RECV);
    CHECK(r.wait > 9 && r.wait <= 10); /* the answer started: stall_timeout */
    CHECK(r.payload == NULL);
    CHECK(omics_exchange_receive(x, a + 20, strlen(a) - 20, &r) == OMICS_STEP_DONE);
    CHECK(r.keep == 1 && depth == 1);
    omics_exchange_free(x);
}

static void test_engine_retries_and_timeouts(void)
{
    omics_wire w;
    omics_exchange *x = sent("GetReferenceMetadata", &w);
    const char *busy = "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    omics_received r;
    CHECK(omics_exchange_receive(x, busy, strlen(busy), &r) == OMICS_STEP_WAIT);
    CHECK(r.keep == 0);
    const omics_request *req;
    double wait;
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_exchange_wire(x, 0, &w, &err) == 0);
    CHECK(strstr(w.bytes, "amz-sdk-request: attempt=2; max=3\r\n") != NULL);
    CHECK(omics_exchange_receive(x, "HTTP/1.1 200 OK\r\n", 17, &r) == OMICS_STEP_RECV);
    CHECK(omics_exchange_receive_end(x, OMICS_WIRE_TIMEOUT, NULL, &r) == OMICS_STEP_WAIT);
    CHECK(omics_exchange_next(x, &req, &wait) == OMICS_STEP_SEND);
    CHECK(omics_exchange_wire(x, 0, &w, &err) == 0);
    CHECK(omics_exchange_receive_end(x, OMICS_WIRE_ERROR, "connection reset by peer", &r) ==
          OMICS_STEP_FAILED);
    const omics_error *e = omics_exchange_error(x);
    CHECK_STR(e->code, "ConnectionError");
    CHECK(e->attempts == 3);
    CHECK(strstr(e->message, "reading the answer: connection reset by peer") != NULL);
    /* fed after the end: a misuse, not a crash */
    CHECK(omics_exchange_receive(x, "x", 1, &r) == OMICS_STEP_FAILED);
    omics_exchange_free(x);

    x = sent("GetReferenceMetadata", &w);
    CHECK(omics_exchange_receive(x, "HTTP/1.1 200 OK\r\n", 17, &r) == OMICS_STEP_RECV);
    omics_exchange_receive_end(x, OMICS_WIRE_TIMEOUT, NULL, &r);
    /* the stall message, since the attempt's own deadline is far */
    omics_exchange_next(x, &req, &wait);
    omics_exchange_wire(x, 0, &w, &err);
    CHECK(omics_exchange_receive(x, "HTTP/1.1 200 OK\r\nX: 1\r\n", 24, &r) == OMICS_STEP_RECV);
    omics_exchange_receive_end(x, OMICS_WIRE_TIMEOUT, NULL, &r);
    omics_exchange_next(x, &req, &wait);
    omics_exchange_wire(x, 0, &w, &err);
    CHECK(omics_exchange_receive(x, "HTTP/1.1 200 OK\r\n", 17, &r) == OMICS_STEP_RECV);
    CHECK(omics_exchange_receive_end(x, OMICS_WIRE_TIMEOUT, NULL, &r) == OMICS_STEP_FAILED);
    CHECK_STR(omics_exchange_error(x)->code, "TimeoutError");
    CHECK(strstr(omics_exchange_error(x)->message,
                 "the answer stalled: no byte for 10 s (stall_timeout)") != NULL);
    omics_exchange_free(x);
    omics_error_clear(&err);
}

/* A streamed payload comes back in pieces; its last bytes before the end. */
static void test_engine_payload(void)
{
    omics_wire w;
    omics_exchange *x = sent("GetReadSet", &w);
    CHECK(strstr(w.bytes, "GET /sequencestore/") == w.bytes);
    const char *a = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234";
    omics_received r;
    CHECK(omics_exchange_receive(x, a, strlen(a), &r) == OMICS_STEP_RECV);
    CHECK(r.payload_len == 5 && memcmp(r.payload, "01234", 5) == 0 && r.wait > 0);
    CHECK(omics_exchange_receive(x, "56789", 5, &r) == OMICS_STEP_RECV);
    CHECK(r.payload_len == 5 && r.wait == 0); /* the last: no read before the end */
    CHECK(omics_exchange_receive(x, NULL, 0, &r) == OMICS_STEP_DONE);
    CHECK(r.keep == 1);
    omics_exchange_free(x);
}

int main(void)
{
    RUN(test_content_length);
    RUN(test_chunked_and_extra_bytes);
    RUN(test_to_the_end_and_short);
    RUN(test_no_body_and_continue);
    RUN(test_limits);
    RUN(test_hostile);
    RUN(test_request_and_endpoint);

    omics_error err;
    omics_error_init(&err);
    model = omics_model_builtin(&err);
    builder = ctest_counting_builder(&depth);
    omics_client_opts o;
    ctest_offline_opts(&o);
    o.max_attempts = 3;
    o.max_backoff = 0.01;
    o.timeout = 30;
    o.stall_timeout = 10;
    client = model ? omics_client_new(model, &o, &err) : NULL;
    CHECK(client != NULL);
    if (!client)
        CTEST_DONE();
    items[0] = (omics_entry){{OMICS_V_STR, {.s = {"referenceStoreId", 16}}},
                             {OMICS_V_STR, {.s = {"1234567890", 10}}}};
    items[1] = (omics_entry){{OMICS_V_STR, {.s = {"id", 2}}}, {OMICS_V_STR, {.s = {"9876543210", 10}}}};
    params = (omics_value){OMICS_V_TABLE, {.t = {items, 2}}};
    RUN(test_engine_answer);
    RUN(test_engine_retries_and_timeouts);
    omics_client_free(client);

    /* GetReadSet's parameters */
    omics_entry rs[3];
    rs[0] = (omics_entry){{OMICS_V_STR, {.s = {"sequenceStoreId", 15}}},
                          {OMICS_V_STR, {.s = {"1234567890", 10}}}};
    rs[1] = (omics_entry){{OMICS_V_STR, {.s = {"id", 2}}}, {OMICS_V_STR, {.s = {"1234567890", 10}}}};
    rs[2] = (omics_entry){{OMICS_V_STR, {.s = {"partNumber", 10}}}, {OMICS_V_INT, {.i = 1}}};
    params = (omics_value){OMICS_V_TABLE, {.t = {rs, 3}}};
    client = omics_client_new(model, &o, &err);
    CHECK(client != NULL);
    if (client)
        RUN(test_engine_payload);
    omics_client_free(client);
    CTEST_DONE();
}
