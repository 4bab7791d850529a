/* exchange: one call as a state machine that does no I/O (the engine).
 *
 * It prepares the request, then says what to do next: send this signed
 * request, wait so many seconds, or stop (done with the result built
 * through the builder, or failed with an error).  A driver (libcurl in
 * client.c, nginx cosockets or a function in omics.lua) only moves bytes:
 * it sends what it is told and reports the answer or the transport's
 * failure.  Every policy of a call lives here once: attempts and their
 * headers, signing anew, the rate limiter, retries with the quota, clock
 * skew, sinks and payloads that cannot start over, log lines. */
#ifndef OMICS_EXCHANGE_H
#define OMICS_EXCHANGE_H

#include "omics.h"
#include "ser.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef enum exchange_state {
    X_ATTEMPT, /* ready to start an attempt */
    X_RATED,   /* the rate limiter's wait is over: sign and send */
    X_SENT,    /* waiting for the driver's report */
    X_RETRY,   /* waiting before the next attempt */
    X_DONE,
    X_FAILED
} exchange_state;

struct omics_exchange {
    omics_client *c;
    const omics_op *op;
    const omics_sink *sink; /* where a 2xx payload goes (for its rewind), or NULL */
    const omics_builder *b;
    omics_arena *a;         /* the request's strings */
    ser_scratch *scratch;
    omics_request req;
    const omics_header *base;
    size_t nbase;
    char invocation[37];
    int attempt;
    int skew_retried;
    exchange_state state;
    double wait;
    int has_data;
    omics_error err;
    /* owned when made by omics_exchange_new (not by the libcurl loop) */
    omics_arena *own_arena;
    ser_scratch own_scratch;
    int owns;
    const char *agent; /* replaces " curl/..." at the end of User-Agent */
    /* for the events (omics_event): when the call and the attempt started
     * (client_clock), the last answer's status, whether after_call was told */
    double started, attempt_started;
    int status;
    int ended;
    struct exchange_wire *wire; /* a driver of raw bytes: its parser */
};

/* Start an exchange in x with memory the caller provides (the libcurl loop
 * uses the client's own); -1 with err when the parameters are refused. */
int exchange_start(omics_exchange *x, omics_client *c, const omics_op *op,
                   const omics_value *params, const omics_sink *sink, const omics_builder *b,
                   omics_arena *a, ser_scratch *s, omics_error *err);
void exchange_finish(omics_exchange *x);
/* The raw-bytes state of x, freed (exchange_wire.c). */
void exchange_wire_free(omics_exchange *x);

#pragma GCC visibility pop

#endif
