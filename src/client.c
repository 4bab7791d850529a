/* client: region, endpoint and credentials resolved once, and the stages of a
 * call (prepare, sign, send, parse) run with memory the client reuses. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "endpoint.h"
#include "http.h"
#include "model.h"
#include "model_data.h"
#include "omics.h"
#include "ser.h"

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
};

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

/* ------------------------------------------------------------ resolve */

static char *resolve_region(const omics_client_opts *o, const config_profile *p,
                            omics_error *err)
{
    const char *r = o->region;
    if (!r)
        r = config_env("AWS_REGION");
    if (!r)
        r = config_env("AWS_DEFAULT_REGION");
    if (!r)
        r = config_profile_get(p, "region");
    char imds[64];
    if (!r && creds_ec2_region(imds, sizeof imds) == 0)
        r = imds; /* on EC2, the instance's own region */
    if (!r) {
        omics_error_set(err, OMICS_ECONFIG, "NoRegionError",
                        "no region: pass region = \"us-east-1\" (say) to omics.new, set "
                        "AWS_REGION, or add region = ... to profile %s in %s",
                        p->name, p->config_path);
        return NULL;
    }
    if (!endpoint_region_valid(r)) {
        omics_error_set(err, OMICS_ECONFIG, "InvalidRegion",
                        "region \"%s\" is not valid (letters, digits and '-' only)", r);
        return NULL;
    }
    char *s = strdup(r);
    if (!s)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    return s;
}

static int env_true(const char *name)
{
    const char *v = config_env(name);
    return v && strcasecmp(v, "true") == 0;
}

static int resolve_endpoint(omics_client *c, const omics_client_opts *o,
                            const config_profile *p, omics_error *err)
{
    const char *url = o->endpoint;
    if (!url && !env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) {
        /* AWS_ENDPOINT_URL_<SERVICE ID>, upper case, spaces as '_' */
        char name[128] = "AWS_ENDPOINT_URL_";
        const char *id = c->model->service_id ? c->model->service_id : "";
        size_t k = strlen(name);
        for (; *id && k + 1 < sizeof name; id++)
            name[k++] = (char)(*id == ' ' ? '_' : (*id >= 'a' && *id <= 'z') ? *id - 32 : *id);
        name[k] = '\0';
        if (*c->model->service_id)
            url = config_env(name);
        if (!url)
            url = config_env("AWS_ENDPOINT_URL");
        if (!url)
            url = config_profile_get(p, "endpoint_url");
    }
    if (url)
        return endpoint_parse(url, &c->ep, err);
    return endpoint_for_region(c->model->endpoint_prefix, c->region, &c->ep, err);
}

static char *make_user_agent(const omics_client_opts *o)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, "lua-omics/" OMICS_VERSION);
    if (o->user_agent_extra && *o->user_agent_extra) {
        buf_addc(&b, ' ');
        buf_adds(&b, o->user_agent_extra);
    }
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
    if (config_profile_open(&prof, o->profile, err)) {
        omics_client_free(c);
        return NULL;
    }
    int ok = (c->region = resolve_region(o, &prof, err)) != NULL &&
             resolve_endpoint(c, o, &prof, err) == 0;
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
    if (!ok || !omics_provider_credentials(c->provider, err)) {
        omics_client_free(c);
        return NULL;
    }
    int inject = o->inject_host_prefix;
    if (inject < 0)
        inject = !env_true("AWS_DISABLE_HOST_PREFIX_INJECTION");
    c->host_prefix = inject && !c->ep.literal;

    http_opts ho = {o->timeout, o->connect_timeout, o->ca_file, 0};
    c->signer = omics_signer_new();
    c->arena = omics_arena_new(8192);
    c->parser = omics_parser_new();
    c->user_agent = make_user_agent(o);
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
    free(c);
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

int omics_prepare(omics_client *c, const omics_op *op, const omics_value *params,
                  omics_request *out, omics_error *err)
{
    omics_arena_reset(c->arena);
    ser_endpoint ep = {c->ep.scheme, c->ep.host, c->ep.port, c->ep.base_path, c->host_prefix};
    if (ser_prepare(op, params, &ep, c->user_agent, c->arena, &c->scratch, out, err))
        return -1;
    const model_shape *o = op->output;
    out->streaming_output = o && o->payload >= 0 &&
                            (o->members[o->payload].shape->flags & MF_STREAMING);
    return 0;
}

int omics_sign_request(omics_client *c, omics_request *req, omics_error *err)
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
    p.time = (int64_t)time(NULL);
    p.normalize_path = 1;
    p.content_sha256_header = req->unsigned_payload;
    omics_signature sig;
    if (omics_sign(c->signer, &p, &sig, err))
        return -1;
    /* the signer's list lives until its next signature: copy the pointers */
    omics_header *h = omics_arena_alloc(c->arena, sig.nheaders * sizeof *h);
    if (!h)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    for (size_t i = 0; i < sig.nheaders; i++) {
        h[i].name = omics_arena_strdup(c->arena, sig.headers[i].name);
        h[i].value = omics_arena_strdup(c->arena, sig.headers[i].value);
        if (!h[i].name || !h[i].value)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    req->headers = h;
    req->nheaders = sig.nheaders;
    return 0;
}

int omics_send(omics_client *c, const omics_request *req, const omics_sink *sink,
               omics_response *out, omics_error *err)
{
    return http_send(c->http, req, sink, out, err);
}

int omics_call(omics_client *c, const omics_op *op, const omics_value *params,
               const omics_sink *sink, const omics_builder *b, int *has_data,
               omics_error *err)
{
    omics_request req;
    omics_response resp;
    *has_data = 0;
    if (omics_prepare(c, op, params, &req, err) || omics_sign_request(c, &req, err) ||
        omics_send(c, &req, sink, &resp, err))
        return -1;
    return omics_parse(c->parser, c->model, op, &resp, b, has_data, err);
}
