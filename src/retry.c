#include "retry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "errclass.h"
#include "rnd.h"

#define RETRY_QUOTA 500
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10
#define RETRY_NO_RETRY_INCREMENT 1

/* CUBIC, as the SDKs' adaptive mode uses it */
#define CUBIC_BETA 0.7
#define CUBIC_SCALE 0.4
#define RATE_SMOOTH 0.8
#define MIN_FILL_RATE 0.5
#define MIN_CAPACITY 1.0

void retry_init(retry_state *r, int mode, int max_attempts, double max_backoff)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->max_attempts = max_attempts;
    r->max_backoff = max_backoff;
    r->quota = RETRY_QUOTA;
    r->fill_rate = MIN_FILL_RATE;
    r->max_capacity = MIN_CAPACITY;
}

int retry_is_throttle(const omics_error *err)
{
    return errclass_is_throttle(err->code, err->status);
}

int retry_is_clock_skew(const omics_error *err)
{
    return errclass_is_clock_skew(err);
}

static double random01(void)
{
    unsigned int x;
    if (rnd_bytes(&x, sizeof x) != 0)
        x = (unsigned int)rand();
    return (double)x / 4294967296.0;
}

int retry_decide(retry_state *r, const omics_error *err, int attempt, double *delay)
{
    *delay = 0;
    if (!err->retryable || attempt >= r->max_attempts)
        return 0;
    int cost = strcmp(err->code, "TimeoutError") == 0 ? RETRY_TIMEOUT_COST : RETRY_COST;
    if (r->quota < cost)
        return 0; /* the quota is spent: failures are not retried until successes refill it */
    r->quota -= cost;
    r->last_cost = cost;
    double cap = pow(2.0, attempt - 1);
    *delay = random01() * (cap < r->max_backoff ? cap : r->max_backoff);
    return 1;
}

void retry_succeeded(retry_state *r, int retried)
{
    r->quota += retried ? r->last_cost : RETRY_NO_RETRY_INCREMENT;
    if (r->quota > RETRY_QUOTA)
        r->quota = RETRY_QUOTA;
    r->last_cost = 0;
}

/* ------------------------------------------------------------ adaptive */

static void refill(retry_state *r, double now)
{
    if (r->last_refill == 0) {
        r->last_refill = now;
        return;
    }
    double added = (now - r->last_refill) * r->fill_rate;
    r->capacity = fmin(r->max_capacity, r->capacity + added);
    r->last_refill = now;
}

double retry_acquire(retry_state *r, double now)
{
    if (r->mode != RETRY_ADAPTIVE || !r->bucket_enabled)
        return 0;
    refill(r, now);
    if (r->capacity >= 1) {
        r->capacity -= 1;
        return 0;
    }
    double wait = (1 - r->capacity) / r->fill_rate;
    r->capacity = 0; /* the token is taken once the wait is over */
    r->last_refill = now + wait;
    return wait;
}

static void update_measured_rate(retry_state *r, double now)
{
    double bucket = floor(now * 2) / 2; /* half-second buckets */
    r->request_count += 1;
    if (bucket > r->last_rate_bucket) {
        double current = r->request_count / (bucket - r->last_rate_bucket);
        r->measured_rate = current * RATE_SMOOTH + r->measured_rate * (1 - RATE_SMOOTH);
        r->request_count = 0;
        r->last_rate_bucket = bucket;
    }
}

static void set_rate(retry_state *r, double rate, double now)
{
    refill(r, now);
    r->fill_rate = fmax(rate, MIN_FILL_RATE);
    r->max_capacity = fmax(rate, MIN_CAPACITY);
    r->capacity = fmin(r->capacity, r->max_capacity);
}

void retry_observe(retry_state *r, int throttled, double now)
{
    if (r->mode != RETRY_ADAPTIVE)
        return;
    if (r->last_rate_bucket == 0)
        r->last_rate_bucket = floor(now * 2) / 2;
    update_measured_rate(r, now);
    double rate;
    if (throttled) {
        double use = r->bucket_enabled ? fmin(r->measured_rate, r->fill_rate) : r->measured_rate;
        r->last_max_rate = use;
        r->time_window = cbrt(use * (1 - CUBIC_BETA) / CUBIC_SCALE);
        r->last_throttle_time = now;
        rate = use * CUBIC_BETA;
        r->bucket_enabled = 1;
    } else {
        r->time_window = cbrt(r->last_max_rate * (1 - CUBIC_BETA) / CUBIC_SCALE);
        double t = now - r->last_throttle_time - r->time_window;
        rate = CUBIC_SCALE * t * t * t + r->last_max_rate;
    }
    set_rate(r, fmin(rate, 2 * r->measured_rate), now);
}
