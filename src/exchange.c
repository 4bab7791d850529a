/* exchange: the engine of a call (see exchange.h).  The libcurl loop in
 * client.c and the Lua drivers (omics.lua, through the binding) run the
 * same state machine: the attempt loop exists once. */
#include "exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"

/* ------------------------------------------------------------ helpers */

static const char *response_header(const omics_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

/* A retryable failure that cannot be retried: say why in its message. */
static void not_retried(omics_error *err, const char *why)
{
    const char *was = err->message ? err->message : "";
    size_t n = strlen(was) + strlen(why) + 32;
    char *msg = malloc(n);
    if (msg) {
        snprintf(msg, n, "%s%s(not retried: %s)", was, *was ? " " : "", why);
        free(err->message);
        err->message = msg;
    }
}

/* Copy err into the exchange's own error. */
static void keep_error(omics_exchange *x, const omics_error *err)
{
    if (omics_error_copy(&x->err, err))
        omics_error_set(&x->err, OMICS_EMEMORY, "MemoryError", "out of memory");
}

/* "attempt=%d; max=%d" without printf, which costs more than the rest of
 * the headers (every attempt of every call): text and non-negative
 * numbers of at most 10 digits, the end returned. */
static char *put_text(char *o, const char *s)
{
    while (*s)
        *o++ = *s++;
    return o;
}

static char *put_int(char *o, int v)
{
    char d[12];
    int n = 0;
    unsigned u = v < 0 ? 0u : (unsigned)v;
    do
        d[n++] = (char)('0' + u % 10);
    while ((u /= 10) && n < 10);
    while (n)
        *o++ = d[--n];
    return o;
}

/* The prepared request's headers plus the two that say which attempt this
 * is of which call; User-Agent names the driver when it is not libcurl. */
static int attempt_headers(omics_exchange *x)
{
    omics_header *h = omics_arena_alloc(x->a, (x->nbase + 2) * sizeof *h);
    char value[48], *o = value;
    o = put_int(put_text(o, "attempt="), x->attempt);
    o = put_int(put_text(o, "; max="), omics_client_max_attempts(x->c));
    *o = '\0';
    char *v = omics_arena_strdup(x->a, value);
    if (!h || !v)
        return omics_error_set(&x->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    memcpy(h, x->base, x->nbase * sizeof *h);
    h[x->nbase].name = "amz-sdk-invocation-id";
    h[x->nbase].value = x->invocation;
    h[x->nbase + 1].name = "amz-sdk-request";
    h[x->nbase + 1].value = v;
    x->req.headers = h;
    x->req.nheaders = x->nbase + 2;
    return 0;
}

/* " curl/<version>" at the end of User-Agent becomes " <agent>". */
static int name_agent(omics_exchange *x)
{
    for (size_t i = 0; x->agent && i < x->nbase; i++) {
        if (strcasecmp(x->base[i].name, "User-Agent") != 0)
            continue;
        const char *ua = x->base[i].value;
        const char *curl = strstr(ua, " curl/");
        size_t keep = curl ? (size_t)(curl - ua) : strlen(ua);
        size_t n = keep + 1 + strlen(x->agent);
        char *v = omics_arena_alloc(x->a, n + 1);
        omics_header *h = omics_arena_alloc(x->a, x->nbase * sizeof *h);
        if (!v || !h)
            return omics_error_set(&x->err, OMICS_EMEMORY, "MemoryError", "out of memory");
        memcpy(v, ua, keep);
        v[keep] = ' ';
        memcpy(v + keep + 1, x->agent, n - keep); /* (with its NUL) */
        memcpy(h, x->base, x->nbase * sizeof *h);
        h[i].value = v;
        x->base = h;
        break;
    }
    return 0;
}

/* ------------------------------------------------------------- events */

static void emit(omics_exchange *x, omics_event_type type, const char *code, long long bytes)
{
    if (!client_has_events(x->c))
        return;
    omics_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.op = x->op->name;
    ev.attempt = x->attempt;
    ev.status = x->status;
    ev.code = code && *code ? code : NULL;
    ev.bytes = bytes;
    double now = client_clock(x->c);
    if (type == OMICS_EVENT_BEFORE_SEND)
        ev.request = &x->req;
    else
        ev.seconds = now - (type == OMICS_EVENT_AFTER_CALL ? x->started : x->attempt_started);
    if (ev.seconds < 0)
        ev.seconds = 0;
    client_emit(x->c, &ev);
}

/* The call is over: after_call, once. */
static void ended(omics_exchange *x, const char *code)
{
    if (x->ended)
        return;
    x->ended = 1;
    emit(x, OMICS_EVENT_AFTER_CALL, code ? code : NULL, 0);
}

/* ---------------------------------------------------------- lifecycle */

int exchange_start(omics_exchange *x, omics_client *c, const omics_op *op,
                   const omics_value *params, const omics_sink *sink, const omics_builder *b,
                   omics_arena *a, ser_scratch *s, omics_error *err)
{
    /* what x owns is kept for this call: memory, buffers, the driver's name */
    omics_arena *own_arena = x->own_arena;
    ser_scratch own_scratch = x->own_scratch;
    struct exchange_wire *wire = x->wire;
    int owns = x->owns;
    const char *agent = x->agent;
    memset(x, 0, sizeof *x);
    x->own_arena = own_arena;
    x->own_scratch = own_scratch;
    x->wire = wire;
    x->owns = owns;
    x->agent = agent;
    x->c = c;
    x->op = op;
    x->sink = sink;
    x->b = b;
    x->a = a;
    x->scratch = s;
    omics_error_init(&x->err);
    x->started = client_clock(c);
    if ((sink && omics_op_check_sink(op, err)) ||
        client_prepare_in(c, op, params, a, s, &x->req, err)) {
        ended(x, err->code[0] ? err->code : "Error"); /* attempts 0: nothing was sent */
        return -1;
    }
    x->base = x->req.headers;
    x->nbase = x->req.nheaders;
    omics_uuid4(x->invocation);
    if (name_agent(x)) {
        *err = x->err;
        omics_error_init(&x->err);
        return -1;
    }
    x->state = X_ATTEMPT;
    return 0;
}

void exchange_finish(omics_exchange *x)
{
    exchange_wire_free(x);
    omics_error_clear(&x->err);
}

omics_exchange *omics_exchange_new(omics_client *c, const omics_op *op,
                                   const omics_value *params, const omics_sink *sink,
                                   const omics_builder *b, const char *agent, omics_error *err)
{
    omics_exchange *x = calloc(1, sizeof *x);
    if (x)
        x->own_arena = omics_arena_new(8192);
    if (!x || !x->own_arena) {
        free(x);
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    x->owns = 1;
    x->agent = agent;
    ser_scratch_init(&x->own_scratch);
    if (exchange_start(x, c, op, params, sink, b, x->own_arena, &x->own_scratch, err)) {
        omics_exchange_free(x);
        return NULL;
    }
    return x;
}

int omics_exchange_restart(omics_exchange *x, omics_client *c, const omics_op *op,
                           const omics_value *params, const omics_sink *sink,
                           const omics_builder *b, const char *agent, omics_error *err)
{
    if (!x->owns)
        return omics_error_set(err, OMICS_EUSAGE, "ExchangeMisuse",
                               "only an exchange of omics_exchange_new starts again");
    omics_error_clear(&x->err);
    omics_arena_reset(x->own_arena);
    x->agent = agent;
    return exchange_start(x, c, op, params, sink, b, x->own_arena, &x->own_scratch, err);
}

void omics_exchange_free(omics_exchange *x)
{
    if (!x)
        return;
    exchange_finish(x);
    if (x->owns) {
        ser_scratch_free(&x->own_scratch);
        omics_arena_free(x->own_arena);
    }
    free(x);
}

/* --------------------------------------------------------------- steps */

static omics_step fail(omics_exchange *x)
{
    x->err.attempts = x->attempt;
    x->state = X_FAILED;
    ended(x, x->err.code[0] ? x->err.code : "Error");
    return OMICS_STEP_FAILED;
}

omics_step omics_exchange_next(omics_exchange *x, const omics_request **req, double *wait)
{
    *req = NULL;
    *wait = 0;
    switch (x->state) {
    case X_DONE:
        return OMICS_STEP_DONE;
    case X_FAILED:
        return OMICS_STEP_FAILED;
    case X_SENT: /* the driver did not report: a misuse of the engine */
        omics_error_set(&x->err, OMICS_EUSAGE, "ExchangeMisuse",
                        "omics_exchange_next called before the answer was reported");
        return fail(x);
    case X_RETRY:
    case X_ATTEMPT:
        x->attempt++;
        if (x->attempt > 1 && x->req.body_reader &&
            (!x->req.body_reader->rewind ||
             x->req.body_reader->rewind(x->req.body_reader->ud) != 0)) {
            omics_error_set(&x->err, OMICS_ETRANSPORT, "StreamReadError",
                            "the payload could not be read again for a retry");
            return fail(x);
        }
        /* the adaptive rate limiter may ask for a wait first */
        x->state = X_RATED;
        *wait = omics_client_rate_wait(x->c);
        if (*wait > 0)
            return OMICS_STEP_WAIT;
        /* fall through */
    case X_RATED:
        if (attempt_headers(x) || client_sign_in(x->c, &x->req, x->a, &x->err))
            return fail(x);
        omics_client_log_request(x->c, &x->req, x->attempt);
        x->state = X_SENT;
        x->status = 0;
        x->attempt_started = client_clock(x->c);
        emit(x, OMICS_EVENT_BEFORE_SEND, NULL, 0);
        *req = &x->req;
        return OMICS_STEP_SEND;
    }
    return OMICS_STEP_FAILED;
}

/* After a failed attempt (x->err set): try again, or stop. */
static void decide(omics_exchange *x, const omics_response *resp, size_t sink_bytes)
{
    omics_client_observe(x->c, &x->err);
    x->err.attempts = x->attempt;
    omics_err_kind k = x->err.kind;
    if (k == OMICS_EVALIDATION || k == OMICS_ECREDENTIALS || k == OMICS_EMEMORY ||
        k == OMICS_EUSAGE) {
        fail(x); /* nothing was sent, or sending again cannot help */
        return;
    }
    double delay = 0;
    int again;
    if (resp && !x->skew_retried &&
        omics_client_correct_skew(x->c, &x->err, response_header(resp, "date"))) {
        x->skew_retried = 1; /* once, at once, whatever the attempts left */
        again = 1;
    } else {
        again = omics_client_retry(x->c, &x->err, x->attempt, &delay);
    }
    if (!again) {
        fail(x);
        return;
    }
    if (x->req.body_reader && !x->req.body_reader->rewind) {
        not_retried(&x->err, "the payload cannot be read again");
        fail(x);
        return;
    }
    if (sink_bytes > 0 && (!x->sink || !x->sink->rewind || x->sink->rewind(x->sink->ud) != 0)) {
        /* part of a payload reached the sink, which cannot start over */
        not_retried(&x->err, "part of the payload already went to the sink");
        fail(x);
        return;
    }
    if (x->has_data) {
        x->b->pop(x->b->ud);
        x->has_data = 0;
    }
    client_logf(x->c, 2, "%s: attempt %d of %d failed (%s%s%s); trying again in %.2f s",
                x->op->name, x->attempt, omics_client_max_attempts(x->c), x->err.code,
                x->err.message ? ": " : "", x->err.message ? x->err.message : "", delay);
    omics_error_clear(&x->err);
    x->state = X_RETRY;
    x->wait = delay;
}

/* The next step after a report: a wait before the retry, or the end. */
static omics_step after_report(omics_exchange *x, double *wait)
{
    *wait = 0;
    if (x->state == X_RETRY) {
        *wait = x->wait;
        return OMICS_STEP_WAIT;
    }
    return x->state == X_DONE ? OMICS_STEP_DONE : OMICS_STEP_FAILED;
}

omics_step omics_exchange_answered(omics_exchange *x, omics_response *resp, size_t sink_bytes,
                                   double *wait)
{
    if (x->state != X_SENT) {
        omics_error_set(&x->err, OMICS_EUSAGE, "ExchangeMisuse",
                        "an answer was reported for no request");
        return fail(x);
    }
    resp->retry_attempts = x->attempt - 1;
    omics_client_log_response(x->c, resp);
    x->status = (int)resp->status;
    long long bytes = resp->body_streamed ? (long long)sink_bytes : (long long)resp->body_len;
    if (client_parse(x->c, x->op, resp, x->b, &x->has_data, &x->err) == 0) {
        emit(x, OMICS_EVENT_AFTER_ATTEMPT, NULL, bytes);
        omics_client_observe(x->c, NULL);
        omics_client_succeeded(x->c, x->attempt > 1);
        x->state = X_DONE;
        ended(x, NULL);
        *wait = 0;
        return OMICS_STEP_DONE;
    }
    emit(x, OMICS_EVENT_AFTER_ATTEMPT, x->err.code, bytes);
    decide(x, resp, sink_bytes);
    return after_report(x, wait);
}

omics_step omics_exchange_failed(omics_exchange *x, const omics_error *err, size_t sink_bytes,
                                 double *wait)
{
    if (x->state != X_SENT) {
        omics_error_set(&x->err, OMICS_EUSAGE, "ExchangeMisuse",
                        "a failure was reported for no request");
        return fail(x);
    }
    keep_error(x, err);
    emit(x, OMICS_EVENT_AFTER_ATTEMPT, x->err.code[0] ? x->err.code : "Error",
         (long long)sink_bytes);
    decide(x, NULL, sink_bytes);
    return after_report(x, wait);
}

void omics_exchange_waited(omics_exchange *x, double seconds)
{
    client_waited(x->c, seconds);
}

const omics_error *omics_exchange_error(const omics_exchange *x)
{
    return &x->err;
}

void omics_exchange_take_error(omics_exchange *x, omics_error *out)
{
    omics_error_clear(out);
    *out = x->err; /* the message moves with it */
    omics_error_init(&x->err);
}

int omics_exchange_has_data(const omics_exchange *x)
{
    return x->has_data;
}

int omics_exchange_attempts(const omics_exchange *x)
{
    return x->attempt;
}
