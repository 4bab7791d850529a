/* client: what the engine (exchange.c) uses of a client's insides. */
#ifndef OMICS_CLIENT_H
#define OMICS_CLIENT_H

#include "omics.h"
#include "ser.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* Prepare a request whose strings live in a (reset first) and s. */
int client_prepare_in(omics_client *c, const omics_op *op, const omics_value *params,
                      omics_arena *a, ser_scratch *s, omics_request *out, omics_error *err);
/* Sign req, its new headers copied into a. */
int client_sign_in(omics_client *c, omics_request *req, omics_arena *a, omics_error *err);
int client_parse(omics_client *c, const omics_op *op, const omics_response *resp,
                 const omics_builder *b, int *has_data, omics_error *err);
/* The policy the engine applies, with the client's shared state (one retry
 * quota, one rate limiter, one clock correction for every call of c). */
/* After attempt `attempt` failed with err: 1 and *delay to try again. */
int omics_client_retry(omics_client *c, const omics_error *err, int attempt, double *delay);
void omics_client_succeeded(omics_client *c, int retried);
/* Seconds to wait before sending (adaptive mode's rate limiter). */
double omics_client_rate_wait(omics_client *c);
/* After an answer or a failure (err NULL for a success). */
void omics_client_observe(omics_client *c, const omics_error *err);
/* When err says the clock is off, take the service's time from the answer's
 * Date header for the next signatures: 1 when corrected. */
int omics_client_correct_skew(omics_client *c, const omics_error *err, const char *date);
/* Log lines: a message, or a request and an answer with their secrets redacted. */
void omics_client_log_request(const omics_client *c, const omics_request *req, int attempt);
void omics_client_log_response(const omics_client *c, const omics_response *r);

/* For a driver of many calls (multi.c): the client's transfer options, and
 * its busy flag (ClientBusy when already set). */
const struct http_opts *client_http_options(const omics_client *c);
int client_enter(omics_client *c, omics_error *err);
void client_leave(omics_client *c);
/* Wait as the client's calls wait (its sleep option, else omics_sleep):
 * 1 when the wait was the caller's own function (time may not have passed
 * on the monotonic clock: a test's virtual time), else 0. */
int client_sleep(omics_client *c, double seconds);
/* The clock of the client's durations (the rate limiter's, a driver's
 * waits): monotonic, plus what the sleep option stood for, so that a test's
 * virtual waits move it as real ones would. */
double client_clock(const omics_client *c);
/* The proxy calls go through ("http://host:port"), or NULL. */
const char *client_proxy(const omics_client *c);
/* A driver waited this long in the sleep option (not through client_sleep). */
void client_waited(omics_client *c, double seconds);

/* Whether a header's value is a secret (or a signature of one): what logs
 * and events show as [REDACTED]. */
int client_secret_header(const char *name);
/* Tell c's event handler (omics_client_on_event) what happened; a handler
 * that fails is logged, never the call's failure. */
void client_emit(const omics_client *c, const omics_event *ev);
int client_has_events(const omics_client *c);

void client_logf(const omics_client *c, int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#pragma GCC visibility pop

#endif
