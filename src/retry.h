/* retry: when to try a call again, and after how long, as the AWS SDKs'
 * "standard" and "adaptive" retry modes define it.
 *
 * standard: at most max_attempts attempts in all; a retryable error (a
 * throttling or transient code, HTTP 500/502/503/504, a connection failure or
 * a timeout, an error the model marks retryable) is tried again after
 * rand(0,1) * min(2^(attempt-1), 20) seconds (20: max_backoff), if the retry quota (500 tokens;
 * a retry costs 5, 10 after a timeout) allows; a success gives back what its
 * retry cost, or 1 when it needed none.
 *
 * adaptive: the same, plus a client-side rate limiter: a token bucket whose
 * rate follows CUBIC, cut to 70% at each throttle and grown back on success. */
#ifndef OMICS_RETRY_H
#define OMICS_RETRY_H

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

enum { RETRY_STANDARD, RETRY_ADAPTIVE };

typedef struct retry_state {
    int mode;
    int max_attempts;
    double max_backoff; /* the cap of the backoff, seconds (20) */
    int quota;
    int last_cost; /* of the retry in progress, refunded on success */
    /* adaptive: the token bucket */
    int bucket_enabled;
    double fill_rate, max_capacity, capacity, last_refill;
    /* adaptive: measured sending rate and CUBIC */
    double measured_rate, last_rate_bucket, request_count;
    double last_max_rate, last_throttle_time, time_window;
} retry_state;

void retry_init(retry_state *r, int mode, int max_attempts, double max_backoff);
/* After attempt number `attempt` (1-based) failed with err: 1 and the delay
 * when it is to be tried again (the quota is charged), 0 when not. */
int retry_decide(retry_state *r, const omics_error *err, int attempt, double *delay);
/* After a success; retried: whether the call needed a retry. */
void retry_succeeded(retry_state *r, int retried);
/* adaptive: seconds to wait before sending (0 in standard mode). */
double retry_acquire(retry_state *r, double now);
/* adaptive: after each answer, whether it was a throttle. */
void retry_observe(retry_state *r, int throttled, double now);
/* A throttling error code. */
int retry_is_throttle(const omics_error *err);
/* An error saying the request's time was too far from the service's. */
int retry_is_clock_skew(const omics_error *err);

#pragma GCC visibility pop

#endif
