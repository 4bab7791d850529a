/* multi: the curl multi driver.  Many engines (exchange.c) of one client
 * moved at once on one thread: each slot holds one call in flight, with a
 * libcurl handle of its own (its connection kept alive for the slot's next
 * call); the driver only starts transfers, collects their ends and keeps
 * the waits the engines ask for.  No policy here: each call's attempts,
 * retries, signing, limits and log lines are the engine's. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "http.h"
#include "omics.h"

#define MULTI_POLL_MS 1000

typedef struct multi_call {
    const omics_op *op;
    const omics_value *params;
    const omics_sink *sink;
    const omics_builder *b;
} multi_call;

typedef struct multi_slot {
    http_conn *h;
    omics_exchange *x; /* the call it holds, or NULL when free */
    size_t index;
    int in_curl;     /* its handle is in the multi handle */
    int ended;       /* curl finished its transfer; result says how */
    int result;      /* a CURLcode */
    int waiting;     /* the engine asked for a wait until ready_at */
    double ready_at; /* on the driver's clock */
    omics_error err; /* a transport failure or the call's error, being reported */
} multi_slot;

struct omics_multi {
    omics_client *c;
    CURLM *cm;
    multi_call *calls;
    size_t ncalls, cap;
    size_t next;      /* the next call to start */
    multi_slot *slots;
    size_t nslots;
    size_t active;    /* slots holding a call */
    size_t in_curl;   /* slots whose transfer runs */
    int running;
    omics_multi_done_fn done;
    void *ud;
};

static int oom(omics_error *err)
{
    return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
}

/* The driver's clock: the client's (virtual time included). */
static double multi_now(const omics_multi *m)
{
    return client_clock(m->c);
}

int omics_multi_check_concurrency(long long n, omics_error *err)
{
    if (n >= 1 && n <= OMICS_MULTI_MAX_CONCURRENCY)
        return 0;
    return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                           "concurrency: expected an integer from 1 to %d, got %lld",
                           OMICS_MULTI_MAX_CONCURRENCY, n);
}

omics_multi *omics_multi_new(omics_client *c, int concurrency, omics_error *err)
{
    if (!c) {
        omics_error_set(err, OMICS_EUSAGE, "InvalidClient", "no client");
        return NULL;
    }
    if (omics_multi_check_concurrency(concurrency, err))
        return NULL;
    omics_multi *m = calloc(1, sizeof *m);
    if (m)
        m->slots = calloc((size_t)concurrency, sizeof *m->slots);
    if (!m || !m->slots) {
        free(m);
        oom(err);
        return NULL;
    }
    m->c = c;
    m->nslots = (size_t)concurrency;
    for (size_t i = 0; i < m->nslots; i++)
        omics_error_init(&m->slots[i].err);
    m->cm = curl_multi_init();
    if (!m->cm) {
        omics_multi_free(m);
        omics_error_set(err, OMICS_ETRANSPORT, "TransportError",
                        "libcurl could not create a multi handle");
        return NULL;
    }
    return m;
}

/* The slot's call leaves: its handle out of curl, its engine freed. */
static void slot_clear(omics_multi *m, multi_slot *s)
{
    if (s->in_curl) {
        curl_multi_remove_handle(m->cm, http_easy(s->h));
        s->in_curl = 0;
        m->in_curl--;
    }
    if (s->x) {
        omics_exchange_free(s->x);
        s->x = NULL;
        m->active--;
    }
    s->ended = 0;
    s->waiting = 0;
    omics_error_clear(&s->err);
}

void omics_multi_free(omics_multi *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nslots; i++) {
        slot_clear(m, &m->slots[i]);
        http_free(m->slots[i].h);
    }
    if (m->running)
        client_leave(m->c); /* a run left by a long jump */
    if (m->cm)
        curl_multi_cleanup(m->cm);
    free(m->slots);
    free(m->calls);
    free(m);
}

int omics_multi_add(omics_multi *m, const omics_op *op, const omics_value *params,
                    const omics_sink *sink, const omics_builder *b, size_t *index,
                    omics_error *err)
{
    if (!op || !b)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidCall",
                               "omics_multi_add needs an operation and a builder");
    if (m->running)
        return omics_error_set(err, OMICS_EUSAGE, "ClientBusy",
                               "calls cannot be added while the multi runs");
    if (m->ncalls == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 16;
        multi_call *nc = realloc(m->calls, cap * sizeof *nc);
        if (!nc)
            return oom(err);
        m->calls = nc;
        m->cap = cap;
    }
    m->calls[m->ncalls] = (multi_call){op, params, sink, b};
    if (index)
        *index = m->ncalls;
    m->ncalls++;
    return 0;
}

long omics_multi_connects(const omics_multi *m)
{
    long n = 0;
    for (size_t i = 0; i < m->nslots; i++)
        if (m->slots[i].h)
            n += http_connects(m->slots[i].h);
    return n;
}

/* ------------------------------------------------------------- steps */

/* The call in s ended: its engine freed first, so that a done function
 * that never returns (a Lua error) leaves nothing half-done behind. */
static void slot_end(omics_multi *m, multi_slot *s, omics_step step)
{
    int has_data = omics_exchange_has_data(s->x);
    omics_error_clear(&s->err);
    if (step != OMICS_STEP_DONE)
        omics_exchange_take_error(s->x, &s->err);
    omics_exchange_free(s->x);
    s->x = NULL;
    m->active--;
    s->waiting = 0;
    m->done(m->ud, s->index, step == OMICS_STEP_DONE ? NULL : &s->err, has_data);
    omics_error_clear(&s->err);
}

/* Carry out what the engine of s says, until it waits on curl or a timer,
 * or ends. */
static void slot_advance(omics_multi *m, multi_slot *s, omics_step step,
                         const omics_request *req, double wait)
{
    for (;;) {
        if (step == OMICS_STEP_SEND) {
            const omics_sink *sink = m->calls[s->index].sink;
            CURL *easy = http_easy(s->h);
            omics_error_clear(&s->err);
            if (http_start(s->h, req, sink, &s->err) == 0) {
                if (curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)s) == CURLE_OK &&
                    curl_multi_add_handle(m->cm, easy) == CURLM_OK) {
                    s->in_curl = 1;
                    m->in_curl++;
                    return;
                }
                curl_easy_setopt(easy, CURLOPT_HTTPHEADER, NULL);
                omics_error_set(&s->err, OMICS_ETRANSPORT, "TransportError",
                                "libcurl refused the transfer");
            }
            step = omics_exchange_failed(s->x, &s->err, 0, &wait);
            omics_error_clear(&s->err);
        } else if (step == OMICS_STEP_WAIT) {
            if (wait > 0) {
                s->waiting = 1;
                s->ready_at = multi_now(m) + wait;
                return;
            }
            step = omics_exchange_next(s->x, &req, &wait);
        } else {
            slot_end(m, s, step);
            return;
        }
    }
}

/* Start queued calls in the free slots. */
static int fill(omics_multi *m, omics_error *err)
{
    for (size_t i = 0; i < m->nslots && m->next < m->ncalls; i++) {
        multi_slot *s = &m->slots[i];
        if (s->x)
            continue;
        if (!s->h && !(s->h = http_new(client_http_options(m->c), err)))
            return -1;
        size_t index = m->next++;
        const multi_call *k = &m->calls[index];
        s->index = index;
        omics_error_clear(&s->err);
        s->x = omics_exchange_new(m->c, k->op, k->params, k->sink, k->b, NULL, &s->err);
        if (!s->x) { /* refused before anything was sent */
            m->done(m->ud, index, &s->err, 0);
            omics_error_clear(&s->err);
            i--; /* the slot is still free */
            continue;
        }
        m->active++;
        const omics_request *req;
        double wait;
        omics_step step = omics_exchange_next(s->x, &req, &wait);
        slot_advance(m, s, step, req, wait);
    }
    return 0;
}

/* Transfers curl finished: their answers (or failures) to their engines;
 * how many there were. */
static int harvest(omics_multi *m)
{
    int n = 0;
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(m->cm, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;
        char *priv = NULL;
        if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK || !priv)
            continue;
        multi_slot *s = (multi_slot *)(void *)priv;
        curl_multi_remove_handle(m->cm, easy); /* msg is gone from here on */
        s->in_curl = 0;
        m->in_curl--;
        s->ended = 1;
        s->result = (int)result;
    }
    for (size_t i = 0; i < m->nslots; i++) {
        multi_slot *s = &m->slots[i];
        if (!s->ended)
            continue;
        s->ended = 0;
        n++;
        omics_response resp;
        double wait;
        omics_step step;
        omics_error_clear(&s->err);
        if (http_complete(s->h, s->result, &resp, &s->err))
            step = omics_exchange_failed(s->x, &s->err, http_sink_bytes(s->h), &wait);
        else
            step = omics_exchange_answered(s->x, &resp, http_sink_bytes(s->h), &wait);
        omics_error_clear(&s->err);
        slot_advance(m, s, step, NULL, wait);
    }
    return n;
}

/* Engines whose wait is over go on; returns seconds to the next wait's end
 * (a negative number when none waits). */
static double wake(omics_multi *m)
{
    double soonest = -1;
    for (size_t i = 0; i < m->nslots; i++) {
        multi_slot *s = &m->slots[i];
        if (!s->waiting)
            continue;
        double left = s->ready_at - multi_now(m);
        if (left <= 0) {
            s->waiting = 0;
            const omics_request *req;
            double wait;
            omics_step step = omics_exchange_next(s->x, &req, &wait);
            slot_advance(m, s, step, req, wait);
            if (s->waiting)
                left = s->ready_at - multi_now(m);
            else
                continue;
        }
        if (soonest < 0 || left < soonest)
            soonest = left;
    }
    return soonest;
}

/* The run cannot go on: every call not yet ended ends with err. */
static void abandon(omics_multi *m, const omics_error *err)
{
    for (size_t i = 0; i < m->nslots; i++) {
        multi_slot *s = &m->slots[i];
        if (!s->x)
            continue;
        size_t index = s->index;
        slot_clear(m, s);
        m->done(m->ud, index, err, 0);
    }
    while (m->next < m->ncalls)
        m->done(m->ud, m->next++, err, 0);
}

static int multi_failed(omics_error *err, const char *what, CURLMcode mc)
{
    return omics_error_set(err, OMICS_ETRANSPORT, "TransportError", "libcurl multi: %s: %s",
                           what, curl_multi_strerror(mc));
}

static int run(omics_multi *m, omics_error *err)
{
    for (;;) {
        if (fill(m, err))
            return -1;
        double soonest = wake(m);
        if (m->active == 0 && m->next >= m->ncalls)
            return 0;
        if (m->in_curl == 0) {
            /* every call in flight waits for its retry or the rate limiter */
            if (soonest > 0)
                client_sleep(m->c, soonest);
            continue;
        }
        int still;
        CURLMcode mc = curl_multi_perform(m->cm, &still);
        if (mc != CURLM_OK)
            return multi_failed(err, "perform", mc);
        if (harvest(m))
            continue; /* calls ended, or went on: look again before polling */
        int timeout = MULTI_POLL_MS;
        if (soonest >= 0 && soonest * 1000 < timeout)
            timeout = (int)(soonest * 1000) + 1;
        mc = curl_multi_poll(m->cm, NULL, 0, timeout, NULL);
        if (mc != CURLM_OK)
            return multi_failed(err, "poll", mc);
    }
}

int omics_multi_run(omics_multi *m, omics_multi_done_fn done, void *ud, omics_error *err)
{
    if (!done)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidCall",
                               "omics_multi_run needs a done function");
    if (m->running || client_enter(m->c, err))
        return m->running ? omics_error_set(err, OMICS_EUSAGE, "ClientBusy",
                                            "this multi is already running")
                          : -1;
    m->running = 1;
    m->done = done;
    m->ud = ud;
    int rc = run(m, err);
    if (rc)
        abandon(m, err);
    m->running = 0;
    client_leave(m->c);
    return rc;
}
