/* exchange_wire: the engine on raw bytes (omics.h, "the engine on raw
 * bytes"): the request written out and the answer read by the wire parser,
 * with the attempt's deadline and the stall timeout kept here, so that a
 * driver of its own socket (nginx cosockets) only moves bytes. */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "exchange.h"
#include "wire.h"

#define WAIT_FOREVER 3600.0 /* a read without a deadline: an hour */

struct exchange_wire {
    wire_parser p;
    buf out;     /* the request's bytes */
    buf payload; /* a streamed payload's bytes of the last piece */
    omics_limits l;
    double sent_at;  /* the client's clock when the attempt started */
    size_t handed;   /* payload bytes handed to the driver's sink */
    int ended;       /* the answer ended with payload bytes handed out */
    int keep;        /* (and whether the connection may be reused) */
};

void exchange_wire_free(omics_exchange *x)
{
    if (!x->wire)
        return;
    wire_free(&x->wire->p);
    buf_free(&x->wire->out);
    buf_free(&x->wire->payload);
    free(x->wire);
    x->wire = NULL;
}

static omics_step misuse(omics_exchange *x, omics_received *r, const char *what)
{
    memset(r, 0, sizeof *r);
    omics_error e;
    omics_error_init(&e);
    omics_error_set(&e, OMICS_EUSAGE, "ExchangeMisuse", "%s", what);
    omics_step s = omics_exchange_failed(x, &e, 0, &r->wait);
    omics_error_clear(&e);
    return s;
}

int omics_exchange_wire(omics_exchange *x, int sink, omics_wire *out, omics_error *err)
{
    memset(out, 0, sizeof *out);
    if (x->state != X_SENT)
        return omics_error_set(err, OMICS_EUSAGE, "ExchangeMisuse",
                               "omics_exchange_wire called for no request");
    if (!x->wire) {
        if (!(x->wire = calloc(1, sizeof *x->wire)))
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        omics_client_limits(x->c, &x->wire->l);
        wire_init(&x->wire->p, &x->wire->l);
        buf_init(&x->wire->out);
        buf_init(&x->wire->payload);
        /* room for a usual call at once, instead of growing a few times */
        buf_reserve(&x->wire->out, 1024);
        buf_reserve(&x->wire->p.fields, 512);
        buf_reserve(&x->wire->p.body, 2048);
    }
    struct exchange_wire *w = x->wire;
    if (wire_endpoint(x->req.url, &out->https, out->host, sizeof out->host, &out->port))
        return omics_error_set(err, OMICS_EUSAGE, "InvalidEndpoint", "cannot read the URL %s",
                               x->req.url);
    const char *proxy = client_proxy(x->c);
    if (proxy) {
        int ptls;
        if (wire_endpoint(proxy, &ptls, out->proxy_host, sizeof out->proxy_host, &out->proxy_port))
            return omics_error_set(err, OMICS_ECONFIG, "InvalidOption", "cannot read the proxy %s",
                                   proxy);
    }
    buf_reset(&w->out);
    /* to a proxy, a plain http request names the whole URL */
    if (wire_request(&w->out, &x->req, proxy && !out->https, err))
        return -1;
    wire_start(&w->p, x->req.method, sink && x->req.streaming_output);
    w->sent_at = client_clock(x->c);
    w->handed = 0;
    w->ended = 0;
    out->bytes = w->out.p;
    out->len = w->out.len;
    out->has_body = x->req.body_reader != NULL;
    out->wait = w->l.timeout > 0 ? w->l.timeout : WAIT_FOREVER;
    return 0;
}

long long omics_exchange_body(omics_exchange *x, char *p, size_t n, omics_error *err)
{
    const omics_reader *rd = x->req.body_reader;
    if (!rd || n == 0)
        return 0;
    char why[160] = "";
    long long got = rd->read(rd->ud, p, n, why, sizeof why);
    if (got < 0)
        omics_error_set(err, OMICS_ETRANSPORT, "StreamReadError", "%s",
                        why[0] ? why : "the payload could not be read");
    return got;
}

/* How long the next read may wait: the attempt's time left, and once the
 * answer started, at most stall_timeout. */
static double read_wait(struct exchange_wire *w, double now)
{
    double left = WAIT_FOREVER;
    if (w->l.timeout > 0)
        left = w->sent_at + w->l.timeout - now;
    if (w->p.started && w->l.stall_timeout > 0 && w->l.stall_timeout < left)
        left = w->l.stall_timeout;
    return left;
}

static omics_step failed(omics_exchange *x, omics_error *e, omics_received *r)
{
    r->keep = 0;
    r->payload = NULL;
    r->payload_len = 0;
    omics_step s = omics_exchange_failed(x, e, x->wire->handed, &r->wait);
    omics_error_clear(e);
    return s;
}

static omics_step timed_out(omics_exchange *x, double now, omics_received *r)
{
    struct exchange_wire *w = x->wire;
    omics_error e;
    omics_error_init(&e);
    if (w->l.timeout > 0 && now >= w->sent_at + w->l.timeout - 0.001)
        omics_error_set(&e, OMICS_ETRANSPORT, "TimeoutError",
                        "the attempt took longer than timeout (%g s)", w->l.timeout);
    else if (w->p.started && w->l.stall_timeout > 0)
        omics_error_set(&e, OMICS_ETRANSPORT, "TimeoutError",
                        "the answer stalled: no byte for %g s (stall_timeout)",
                        w->l.stall_timeout);
    else
        omics_error_set(&e, OMICS_ETRANSPORT, "TimeoutError", "no answer in %g s", WAIT_FOREVER);
    e.retryable = 1;
    return failed(x, &e, r);
}

/* The answer is complete: the engine reads it. */
static omics_step answered(omics_exchange *x, int keep, omics_received *r)
{
    struct exchange_wire *w = x->wire;
    omics_error e;
    omics_error_init(&e);
    omics_response resp;
    if (wire_response(&w->p, x->a, &resp, &e))
        return failed(x, &e, r);
    r->keep = keep && w->p.keep;
    r->payload = NULL;
    r->payload_len = 0;
    return omics_exchange_answered(x, &resp, w->handed, &r->wait);
}

omics_step omics_exchange_receive(omics_exchange *x, const char *data, size_t n,
                                  omics_received *r)
{
    memset(r, 0, sizeof *r);
    if (x->state != X_SENT || !x->wire)
        return misuse(x, r, "an answer's bytes were fed for no request");
    struct exchange_wire *w = x->wire;
    if (w->ended) /* the payload's last bytes went to the sink */
        return answered(x, w->keep, r);
    omics_error e;
    omics_error_init(&e);
    size_t used = 0;
    buf_reset(&w->payload);
    int st = wire_feed(&w->p, data, n, &used, &w->payload, &e);
    if (st == WIRE_ERROR)
        return failed(x, &e, r);
    if (st == WIRE_DONE && !w->payload.len)
        return answered(x, used == n, r);
    double now = client_clock(x->c);
    if (st == WIRE_DONE) { /* the last bytes go to the sink before the end */
        w->ended = 1;
        w->keep = used == n;
        r->wait = 0;
        r->payload = w->payload.p;
        r->payload_len = w->payload.len;
        w->handed += w->payload.len;
        return OMICS_STEP_RECV;
    }
    r->wait = read_wait(w, now);
    if (r->wait <= 0)
        return timed_out(x, now, r);
    if (w->payload.len) {
        r->payload = w->payload.p;
        r->payload_len = w->payload.len;
        w->handed += w->payload.len;
    }
    return OMICS_STEP_RECV;
}

omics_step omics_exchange_receive_end(omics_exchange *x, int why, const char *message,
                                      omics_received *r)
{
    memset(r, 0, sizeof *r);
    if (x->state != X_SENT || !x->wire)
        return misuse(x, r, "the end of an answer was reported for no request");
    omics_error e;
    omics_error_init(&e);
    if (why == OMICS_WIRE_TIMEOUT)
        return timed_out(x, client_clock(x->c), r);
    if (why == OMICS_WIRE_CLOSED) {
        if (wire_eof(&x->wire->p, &e) == WIRE_DONE)
            return answered(x, 0, r);
        return failed(x, &e, r);
    }
    omics_error_set(&e, OMICS_ETRANSPORT, "ConnectionError", "reading the answer: %s",
                    message ? message : "an error");
    e.retryable = 1;
    return failed(x, &e, r);
}
