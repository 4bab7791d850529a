/* client: region, endpoint and credentials resolved once, and the stages of a
 * call (prepare, sign, send, parse) run with memory the client reuses. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "client.h"
#include "config.h"
#include "exchange.h"
#include "creds.h"
#include "endpoint.h"
#include "netconf.h"
#include "http.h"
#include "model.h"
#include "model_data.h"
#include "omics.h"
#include "options.h"
#include "retry.h"
#include "ser.h"
#include "settings.h"
#include "ts.h"

struct omics_client {
    const omics_model *model;
    char *region;
    endpoint ep;
    int host_prefix;
    omics_provider *provider;
    omics_signer *signer;
    http_conn *http;
    omics_arena *arena; /* strings of the prepared request */
    ser_scratch scratch;
    omics_parser *parser;
    char *user_agent;
    retry_state retry;
    double skew; /* seconds to add to the local clock when signing */
    void (*log)(void *ud, int level, const char *message);
    void *log_ud;
    void (*sleep)(void *ud, double seconds);
    void *sleep_ud;
    double slept; /* seconds waited in the sleep option: its virtual time */
    char *proxy;     /* http://host:port, or NULL (netconf.c) */
    char *ca_bundle; /* ca_file, AWS_CA_BUNDLE or the profile's, or NULL */
    int busy; /* omics_call in progress: its callbacks must not reuse the client */
    omics_limits limits;
    omics_event_fn event; /* omics_client_on_event's handler, or NULL */
    void *event_ud;
};

#define CLIENT_MAX_HEADERS (256u * 1024) /* curl's own cap is larger */

/* ------------------------------------------------------------- logging */

void client_logf(const omics_client *c, int level, const char *fmt, ...)
{
    if (!c->log)
        return;
    buf b;
    buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0 && buf_reserve(&b, (size_t)n)) {
        va_start(ap, fmt);
        vsnprintf(b.p, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b.len = (size_t)n;
        c->log(c->log_ud, level, b.p);
    }
    buf_free(&b);
}

static int contains_nocase(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return 1;
    return 0;
}

/* Headers whose values are secrets, or signatures of them. */
int client_secret_header(const char *name)
{
    return strcasecmp(name, "authorization") == 0 || contains_nocase(name, "token") ||
           contains_nocase(name, "secret") || contains_nocase(name, "password");
}

void omics_client_log_request(const omics_client *c, const omics_request *req, int attempt)
{
    if (!c->log)
        return;
    buf b;
    buf_init(&b);
    buf_addf(&b, "attempt %d: %s %s", attempt, req->method, req->url);
    for (size_t i = 0; i < req->nheaders; i++)
        buf_addf(&b, "\n  %s: %s", req->headers[i].name,
                 client_secret_header(req->headers[i].name) ? "[REDACTED]" : req->headers[i].value);
    if (req->body_reader)
        buf_addf(&b, "\n  (a streamed body of %lld bytes)", req->body_reader->length);
    else if (req->body_len)
        buf_addf(&b, "\n  (a body of %zu bytes)", req->body_len);
    if (!b.oom)
        c->log(c->log_ud, 1, b.p);
    buf_free(&b);
}

void omics_client_log_response(const omics_client *c, const omics_response *r)
{
    if (!c->log)
        return;
    buf b;
    buf_init(&b);
    buf_addf(&b, "answer: HTTP %ld, %zu bytes%s", r->status, r->body_len,
             r->body_streamed ? " (the payload went to the sink)" : "");
    for (size_t i = 0; i < r->nheaders; i++)
        buf_addf(&b, "\n  %s: %s", r->headers[i].name,
                 client_secret_header(r->headers[i].name) ? "[REDACTED]" : r->headers[i].value);
    if (!b.oom)
        c->log(c->log_ud, 1, b.p);
    buf_free(&b);
}

/* -------------------------------------------------------------- events */

void omics_client_on_event(omics_client *c, omics_event_fn fn, void *ud)
{
    c->event = fn;
    c->event_ud = ud;
}

int client_has_events(const omics_client *c)
{
    return c->event != NULL;
}

void client_emit(const omics_client *c, const omics_event *ev)
{
    if (!c->event)
        return;
    char why[256];
    why[0] = '\0';
    if (c->event(c->event_ud, ev, why, sizeof why) == 0)
        return;
    why[sizeof why - 1] = '\0';
    for (char *p = why; *p; p++) /* a handler's words: no control bytes in the log */
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    client_logf(c, 3, "%s: the %s event handler failed: %s", ev->op,
                omics_event_name(ev->type), why[0] ? why : "(no reason given)");
}

/* ------------------------------------------------------ built-in model */

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static omics_model *builtin_model;
static char builtin_problem[256];

static void load_builtin(void)
{
    omics_error e;
    omics_error_init(&e);
    builtin_model = omics_model_load(model_data_service, model_data_service_len,
                                     model_data_paginators, model_data_paginators_len,
                                     model_data_waiters, model_data_waiters_len, &e);
    if (!builtin_model)
        snprintf(builtin_problem, sizeof builtin_problem, "%s",
                 e.message ? e.message : "cannot load the built-in model");
    else {
        builtin_model->endpoint_rules = model_data_endpoint_rules;
        builtin_model->endpoint_rules_len = model_data_endpoint_rules_len;
    }
    omics_error_clear(&e);
}

/* Freed when the library is unloaded (a Lua state closing unloads it), so
 * that a leak checker sees every byte returned. */
__attribute__((destructor)) static void free_builtin(void)
{
    omics_model_free(builtin_model);
    builtin_model = NULL;
}

const omics_model *omics_model_builtin(omics_error *err)
{
    pthread_once(&builtin_once, load_builtin);
    if (!builtin_model)
        omics_error_set(err, OMICS_ECONFIG, "InvalidModel", "%s", builtin_problem);
    return builtin_model;
}

static char *make_user_agent(const omics_client_opts *o, const char *app_id)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, "lua-omics/" OMICS_VERSION);
    if (o->user_agent_extra && *o->user_agent_extra) {
        buf_addc(&b, ' ');
        buf_adds(&b, o->user_agent_extra);
    }
    if (*app_id)
        buf_addf(&b, " app/%s", app_id);
    buf_addc(&b, ' ');
    buf_adds(&b, http_user_agent_part());
    return buf_steal(&b, NULL);
}

omics_client *omics_client_new(const omics_model *model, const omics_client_opts *o,
                               omics_error *err)
{
    if (!model)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidModel", "no model"), NULL;
    omics_client *c = calloc(1, sizeof *c);
    if (!c)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), NULL;
    c->model = model;
    ser_scratch_init(&c->scratch);
    config_profile prof;
    char app_id[64] = "";
    if (config_profile_open(&prof, o->profile, err)) {
        omics_client_free(c);
        return NULL;
    }
    int ok = (c->region = settings_region(o, &prof, err)) != NULL &&
             settings_endpoint(c->model, c->region, o, &prof, &c->ep, err) == 0 &&
             settings_retry(o, &prof, &c->retry, err) == 0 &&
             netconf_proxy(o, c->ep.scheme, c->ep.host, &c->proxy, err) == 0 &&
             settings_app_id(o, &prof, app_id, sizeof app_id, err) == 0;
    const char *ca = ok ? netconf_ca_bundle(o, &prof) : NULL;
    if (ca && !(c->ca_bundle = strdup(ca)))
        ok = omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory") == 0;
    c->log = o->log;
    c->log_ud = o->log_ud;
    c->sleep = o->sleep;
    c->sleep_ud = o->sleep_ud;
    config_profile_close(&prof);
    if (ok && o->provider) {
        c->provider = omics_provider_retain(o->provider);
    } else if (ok) {
        omics_provider_opts po;
        memset(&po, 0, sizeof po);
        po.profile = o->profile;
        po.region = c->region;
        po.credentials = o->credentials;
        po.fn = o->credentials_fn;
        po.fn_ud = o->credentials_ud;
        po.clock = o->clock;
        po.clock_ud = o->clock_ud;
        c->provider = omics_provider_new(&po, err);
        ok = c->provider != NULL;
    }
    /* find credentials now, so that a client without any fails here */
    if (!ok || (!o->defer_credentials && !omics_provider_credentials(c->provider, err))) {
        omics_client_free(c);
        return NULL;
    }
    int inject = o->inject_host_prefix;
    if (inject < 0)
        inject = !settings_env_true("AWS_DISABLE_HOST_PREFIX_INJECTION");
    c->host_prefix = inject && !c->ep.literal;

    /* 0: the default of options.c's table */
    http_opts ho = {o->timeout,
                    o->connect_timeout > 0 ? o->connect_timeout : options_default("connect_timeout"),
                    o->stall_timeout > 0 ? o->stall_timeout : options_default("stall_timeout"),
                    c->ca_bundle,
                    o->max_response_bytes ? o->max_response_bytes
                                          : (size_t)options_default("max_response_bytes"),
                    CLIENT_MAX_HEADERS, c->proxy};
    c->limits = (omics_limits){ho.timeout, ho.connect_timeout, ho.stall_timeout,
                               ho.max_response_bytes, ho.max_header_bytes};
    c->signer = omics_signer_new();
    c->arena = omics_arena_new(8192);
    c->parser = omics_parser_new();
    c->user_agent = make_user_agent(o, app_id);
    if (!c->signer || !c->arena || !c->parser || !c->user_agent) {
        omics_client_free(c);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), NULL;
    }
    c->http = http_new(&ho, err);
    if (!c->http) {
        omics_client_free(c);
        return NULL;
    }
    return c;
}

void omics_client_free(omics_client *c)
{
    if (!c)
        return;
    free(c->region);
    endpoint_clear(&c->ep);
    omics_provider_release(c->provider);
    omics_signer_free(c->signer);
    http_free(c->http);
    omics_arena_free(c->arena);
    ser_scratch_free(&c->scratch);
    omics_parser_free(c->parser);
    free(c->user_agent);
    free(c->proxy);
    free(c->ca_bundle);
    free(c);
}

const char *client_proxy(const omics_client *c)
{
    return c->proxy;
}

const char *omics_client_region(const omics_client *c)
{
    return c->region;
}

const char *omics_client_endpoint(const omics_client *c)
{
    return c->ep.url;
}

const omics_model *omics_client_model(const omics_client *c)
{
    return c->model;
}

int omics_client_identity(omics_client *c, const char **akid, const char **provider,
                          double *expiration, omics_error *err)
{
    const omics_credentials *cr = omics_provider_credentials(c->provider, err);
    if (!cr)
        return -1;
    *akid = cr->access_key_id;
    *provider = cr->provider;
    *expiration = cr->expiration;
    return 0;
}

/* -------------------------------------------------------------- stages */

/* A sink, log or credentials callback of omics_call that uses the same
 * client again would reset the request and response the call is using. */
static int client_busy(omics_error *err)
{
    return omics_error_set(err, OMICS_EUSAGE, "ClientBusy",
                           "this client is in the middle of a call (its own sink, log or "
                           "credentials callback used it): use a second client");
}

static int op_streams_output(const omics_op *op)
{
    const model_shape *o = op->output;
    return o && o->payload >= 0 && (o->members[o->payload].shape->flags & MF_STREAMING);
}

int omics_op_check_sink(const omics_op *op, omics_error *err)
{
    if (op_streams_output(op))
        return 0;
    return omics_error_set(err, OMICS_EVALIDATION, "SinkError",
                           "sink: %s has no streaming payload; a sink is only for an operation "
                           "whose answer streams one",
                           op->name);
}

int client_prepare_in(omics_client *c, const omics_op *op, const omics_value *params,
                      omics_arena *a, ser_scratch *s, omics_request *out, omics_error *err)
{
    omics_arena_reset(a);
    ser_endpoint ep = {c->ep.scheme, c->ep.host, c->ep.port, c->ep.base_path, c->host_prefix};
    if (ser_prepare(op, params, &ep, c->user_agent, a, s, out, err)) {
        omics_arena_reset(a); /* nothing refers to a refused request */
        return -1;
    }
    out->streaming_output = op_streams_output(op);
    return 0;
}

static int prepare_request(omics_client *c, const omics_op *op, const omics_value *params,
                           omics_request *out, omics_error *err)
{
    return client_prepare_in(c, op, params, c->arena, &c->scratch, out, err);
}

int client_parse(omics_client *c, const omics_op *op, const omics_response *resp,
                 const omics_builder *b, int *has_data, omics_error *err)
{
    return omics_parse(c->parser, c->model, op, resp, b, has_data, err);
}

int omics_prepare(omics_client *c, const omics_op *op, const omics_value *params,
                  omics_request *out, omics_error *err)
{
    return c->busy ? client_busy(err) : prepare_request(c, op, params, out, err);
}

int client_sign_in(omics_client *c, omics_request *req, omics_arena *a, omics_error *err)
{
    if (req->body_reader && !req->unsigned_payload)
        return omics_error_set(err, OMICS_EUSAGE, "UnsupportedStream",
                               "%s signs its payload: it cannot be streamed from a file",
                               req->method);
    omics_sign_params p;
    memset(&p, 0, sizeof p);
    p.method = req->method;
    p.path = req->path;
    p.query = req->query;
    p.headers = req->headers;
    p.nheaders = req->nheaders;
    p.body = req->body;
    p.body_len = req->body_len;
    p.payload_hash = req->unsigned_payload ? "UNSIGNED-PAYLOAD" : NULL;
    p.region = c->region;
    p.service = c->model->signing_name;
    p.credentials = omics_provider_credentials(c->provider, err);
    if (!p.credentials)
        return -1;
    p.time = (int64_t)(omics_now() + c->skew);
    p.normalize_path = 1;
    p.content_sha256_header = req->unsigned_payload;
    omics_signature sig;
    if (omics_sign(c->signer, &p, &sig, err))
        return -1;
    /* the signer's list lives until its next signature: copy the pointers */
    omics_header *h = omics_arena_alloc(a, sig.nheaders * sizeof *h);
    if (!h)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    for (size_t i = 0; i < sig.nheaders; i++) {
        h[i].name = omics_arena_strdup(a, sig.headers[i].name);
        h[i].value = omics_arena_strdup(a, sig.headers[i].value);
        if (!h[i].name || !h[i].value)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    req->headers = h;
    req->nheaders = sig.nheaders;
    return 0;
}

static int sign_request(omics_client *c, omics_request *req, omics_error *err)
{
    return client_sign_in(c, req, c->arena, err);
}

int omics_sign_request(omics_client *c, omics_request *req, omics_error *err)
{
    return c->busy ? client_busy(err) : sign_request(c, req, err);
}

int omics_send(omics_client *c, const omics_request *req, const omics_sink *sink,
               omics_response *out, omics_error *err)
{
    if (c->busy)
        return client_busy(err);
    c->busy = 1;
    int rc = http_send(c->http, req, sink, out, err);
    c->busy = 0;
    return rc;
}

/* ---------------------------------------------------------------- retries */

int omics_client_retry(omics_client *c, const omics_error *err, int attempt, double *delay)
{
    return retry_decide(&c->retry, err, attempt, delay);
}

void omics_client_succeeded(omics_client *c, int retried)
{
    retry_succeeded(&c->retry, retried);
}

double omics_client_rate_wait(omics_client *c)
{
    return retry_acquire(&c->retry, client_clock(c));
}

void omics_client_observe(omics_client *c, const omics_error *err)
{
    retry_observe(&c->retry, err && retry_is_throttle(err), client_clock(c));
}

void omics_client_limits(const omics_client *c, omics_limits *out)
{
    *out = c->limits;
}

int omics_sink_failed(omics_error *err, const char *why)
{
    omics_error_set(err, OMICS_ETRANSPORT, "StreamWriteError",
                    "writing the response's payload to the sink failed: %s",
                    why && *why ? why : "the sink refused it");
    err->retryable = 0;
    return -1;
}

void omics_sink_refusal(int raised, const char *text, char *out, size_t n)
{
    if (raised)
        snprintf(out, n, "the sink function raised: %s", text ? text : "(an error object)");
    else
        snprintf(out, n, "the sink function returned false");
}

int omics_too_large(omics_error *err, const omics_limits *l, int headers, int streaming)
{
    if (headers)
        omics_error_set(err, OMICS_ETRANSPORT, "ResponseTooLarge",
                        "the answer's headers are larger than %zu KiB", l->max_header_bytes / 1024);
    else
        omics_error_set(err, OMICS_ETRANSPORT, "ResponseTooLarge",
                        "the answer is larger than max_response_bytes (%zu); a larger one can be "
                        "read with a higher limit%s",
                        l->max_response_bytes,
                        streaming ? ", or a streaming payload with a sink" : "");
    err->retryable = 0;
    return -1;
}

int omics_client_max_attempts(const omics_client *c)
{
    return c->retry.max_attempts;
}

const char *omics_client_retry_mode(const omics_client *c)
{
    return c->retry.mode == RETRY_ADAPTIVE ? "adaptive" : "standard";
}

int omics_client_correct_skew(omics_client *c, const omics_error *err, const char *date)
{
    double server;
    if (!retry_is_clock_skew(err) || !date || ts_parse_http_date(date, strlen(date), &server))
        return 0;
    double skew = server - omics_now();
    client_logf(c, 3, "the clock is %.0f s off the service's (%s): signing with the service's time",
               skew, err->code);
    c->skew = skew;
    return 1;
}

/* The libcurl driver: one engine (exchange.c) moved by http_send and
 * omics_sleep, with the client's own memory for the request. */
static int call(omics_client *c, const omics_op *op, const omics_value *params,
                const omics_sink *sink, const omics_builder *b, int *has_data, omics_error *err)
{
    omics_exchange x;
    memset(&x, 0, sizeof x);
    if (exchange_start(&x, c, op, params, sink, b, c->arena, &c->scratch, err))
        return -1;
    const omics_request *req;
    double wait;
    omics_step step = omics_exchange_next(&x, &req, &wait);
    for (;;) {
        if (step == OMICS_STEP_SEND) {
            omics_response resp;
            omics_error e;
            omics_error_init(&e);
            if (http_send(c->http, req, sink, &resp, &e))
                step = omics_exchange_failed(&x, &e, http_sink_bytes(c->http), &wait);
            else
                step = omics_exchange_answered(&x, &resp, http_sink_bytes(c->http), &wait);
            omics_error_clear(&e);
        } else if (step == OMICS_STEP_WAIT) {
            client_sleep(c, wait);
            step = omics_exchange_next(&x, &req, &wait);
        } else {
            break;
        }
    }
    *has_data = x.has_data;
    int rc = 0;
    if (step != OMICS_STEP_DONE) {
        omics_exchange_take_error(&x, err);
        rc = -1;
    }
    exchange_finish(&x);
    return rc;
}

const http_opts *client_http_options(const omics_client *c)
{
    return http_options(c->http);
}

int client_enter(omics_client *c, omics_error *err)
{
    if (c->busy)
        return client_busy(err);
    c->busy = 1;
    return 0;
}

void client_leave(omics_client *c)
{
    c->busy = 0;
}

int client_sleep(omics_client *c, double seconds)
{
    if (seconds <= 0)
        return 0;
    if (c->sleep) {
        c->slept += seconds;
        c->sleep(c->sleep_ud, seconds);
        return 1;
    }
    omics_sleep(seconds);
    return 0;
}

void client_waited(omics_client *c, double seconds)
{
    if (seconds > 0)
        c->slept += seconds;
}

double client_clock(const omics_client *c)
{
    return omics_monotonic() + c->slept;
}

int omics_client_busy(const omics_client *c)
{
    return c->busy;
}

void omics_client_unwound(omics_client *c)
{
    c->busy = 0;
}

int omics_call(omics_client *c, const omics_op *op, const omics_value *params,
               const omics_sink *sink, const omics_builder *b, int *has_data,
               omics_error *err)
{
    *has_data = 0;
    if (c->busy)
        return client_busy(err);
    c->busy = 1;
    int rc = call(c, op, params, sink, b, has_data, err);
    c->busy = 0;
    return rc;
}
