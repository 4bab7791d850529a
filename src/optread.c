/* optread: a whole options table read against the table of options.c:
 * unknown names, each value by its rule, the rules between options, and
 * what goes where in omics_options.  A call's options too. */
#include <string.h>

#include "buf.h"
#include "omics.h"
#include "options.h"

void omics_options_init(omics_options *o)
{
    memset(o, 0, sizeof *o);
    o->client.inject_host_prefix = -1; /* the environment, then on */
    o->client.timeout = options_default("timeout");
    o->client.connect_timeout = options_default("connect_timeout");
    o->client.stall_timeout = options_default("stall_timeout");
    o->client.max_response_bytes = (size_t)options_default("max_response_bytes");
    o->client.max_backoff = options_default("max_backoff");
    o->provider.process_timeout = options_default("process_timeout");
    o->transport = options_default_text("transport");
    o->keepalive_pool_size = options_default("keepalive_pool_size");
    o->keepalive_timeout = options_default("keepalive_timeout");
}

void omics_options_clear(omics_options *o)
{
    omics_credentials_clear(&o->credentials);
}

/* The first key of t that scope does not take, or NULL. */
static const omics_value *unknown_key(const omics_value *t, unsigned scope)
{
    for (size_t i = 0; i < t->u.t.n; i++) {
        const omics_value *k = &t->u.t.items[i].key;
        if (k->type != OMICS_V_STR || strlen(k->u.s.p) != k->u.s.len ||
            !omics_option_find(k->u.s.p, scope))
            return k;
    }
    return NULL;
}

/* "unknown option <key> (options: <every name scope takes>)" */
static int unknown(const omics_value *key, unsigned scope, const char *prefix, omics_err_kind kind,
                   const char *code, omics_error *err)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, prefix);
    buf_adds(&b, "unknown option ");
    if (key->type == OMICS_V_STR)
        buf_add_key(&b, key->u.s.p, key->u.s.len);
    else
        buf_addf(&b, "a key of type %s", options_type_name(key));
    const char *sep = " (options: ";
    for (size_t i = 0; i < omics_option_count(); i++) {
        const omics_option *o = omics_option_at(i);
        if (o->scope & scope) {
            buf_adds(&b, sep);
            buf_adds(&b, o->name);
            sep = ", ";
        }
    }
    buf_addc(&b, ')');
    omics_error_set(err, kind, code, "%s", b.oom ? "unknown option" : b.p);
    buf_free(&b);
    return -1;
}

static double number(const omics_value *v)
{
    return v->type == OMICS_V_INT ? (double)v->u.i : v->type == OMICS_V_NUM ? v->u.n : 0;
}

/* Store the value of option name where o keeps it (functions: nowhere). */
static int store(omics_options *o, const char *name, const omics_value *v, omics_error *err)
{
    const char *s = v->type == OMICS_V_STR ? v->u.s.p : NULL;
    double n = number(v);
    if (strcmp(name, "region") == 0)
        o->client.region = o->provider.region = s;
    else if (strcmp(name, "profile") == 0)
        o->client.profile = o->provider.profile = s;
    else if (strcmp(name, "endpoint") == 0)
        o->client.endpoint = s;
    else if (strcmp(name, "ca_file") == 0)
        o->client.ca_file = s;
    else if (strcmp(name, "proxy") == 0)
        o->client.proxy = s;
    else if (strcmp(name, "app_id") == 0)
        o->client.app_id = s;
    else if (strcmp(name, "retry_mode") == 0)
        o->client.retry_mode = s;
    else if (strcmp(name, "inject_host_prefix") == 0)
        o->client.inject_host_prefix = v->u.b;
    else if (strcmp(name, "use_fips_endpoint") == 0)
        o->client.use_fips_endpoint = v->u.b ? 1 : -1;
    else if (strcmp(name, "use_dualstack_endpoint") == 0)
        o->client.use_dualstack_endpoint = v->u.b ? 1 : -1;
    else if (strcmp(name, "timeout") == 0)
        o->client.timeout = n;
    else if (strcmp(name, "connect_timeout") == 0)
        o->client.connect_timeout = n;
    else if (strcmp(name, "stall_timeout") == 0)
        o->client.stall_timeout = n;
    else if (strcmp(name, "max_backoff") == 0)
        o->client.max_backoff = n;
    else if (strcmp(name, "max_response_bytes") == 0)
        o->client.max_response_bytes = (size_t)n;
    else if (strcmp(name, "max_attempts") == 0)
        o->client.max_attempts = (int)n;
    else if (strcmp(name, "process_timeout") == 0)
        o->provider.process_timeout = n;
    else if (strcmp(name, "transport") == 0)
        o->transport = s; /* NULL: a function */
    else if (strcmp(name, "keepalive_pool_size") == 0)
        o->keepalive_pool_size = n;
    else if (strcmp(name, "keepalive_timeout") == 0)
        o->keepalive_timeout = n;
    else if (strcmp(name, "credentials") == 0 && v->type == OMICS_V_PROVIDER)
        o->client.provider = v->u.p;
    else if (strcmp(name, "credentials") == 0 && v->type == OMICS_V_TABLE) {
        if (omics_credentials_from_value(&o->credentials, v, "option credentials", "option", err))
            return -1;
        o->client.credentials = o->provider.credentials = &o->credentials;
    }
    return 0;
}

/* Every name known to scope, every value by its rule, in the table's
 * order (so that the first of two mistakes is always the one named); with
 * o, the values stored there too. */
static int read(omics_options *o, const omics_value *v, unsigned scope, omics_error *err)
{
    if (v->type == OMICS_V_NIL)
        return 0;
    if (v->type != OMICS_V_TABLE)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "options must be a table, got %s", options_type_name(v));
    const omics_value *key = unknown_key(v, scope);
    if (key)
        return unknown(key, scope, "", OMICS_ECONFIG, "InvalidOption", err);
    for (size_t i = 0; i < omics_option_count(); i++) {
        const omics_option *opt = omics_option_at(i);
        const omics_value *val = (opt->scope & scope) ? omics_value_get(v, opt->name) : NULL;
        if (!val)
            continue;
        if (omics_option_check(opt, val, err))
            return -1;
        if (val->type == OMICS_V_PROVIDER && !(scope & OMICS_OPT_CLIENT))
            return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                                   "option %s: a provider takes a table or a function, not "
                                   "another provider",
                                   opt->name);
        if (o && store(o, opt->name, val, err))
            return -1;
    }
    return 0;
}

int omics_options_check(const omics_value *v, unsigned scope, omics_error *err)
{
    return read(NULL, v, scope, err);
}

int omics_options_read(omics_options *o, const omics_value *v, unsigned scope, omics_error *err)
{
    if (read(o, v, scope, err))
        return -1;
    if (v->type == OMICS_V_NIL)
        return 0;
    /* the rules between options */
    if (o->client.provider && omics_value_get(v, "clock"))
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "option clock: give it to the shared provider instead");
    if (omics_value_get(v, "shared_dict") && omics_value_get(v, "credentials"))
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "option shared_dict: the workers share the credential chain's "
                               "credentials; credentials given as an option (a table, a "
                               "function or a provider) are not shared: give one or the other "
                               "(a provider's shared_dict goes to omics.provider)");
    if (o->transport && strcmp(o->transport, "ngx") == 0 && o->client.ca_file)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "option ca_file: the ngx transport trusts the CA file of "
                               "lua_ssl_trusted_certificate in nginx's configuration");
    return 0;
}

int omics_call_options_check(const omics_op *op, const omics_value *v, omics_error *err)
{
    if (v->type == OMICS_V_NIL)
        return 0;
    if (v->type != OMICS_V_TABLE)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "call options: expected a table, got %s", options_type_name(v));
    const omics_value *key = unknown_key(v, OMICS_OPT_CALL);
    if (key)
        return unknown(key, OMICS_OPT_CALL, "call options: ", OMICS_EVALIDATION,
                       "ParamValidationError", err);
    const omics_value *sink = omics_value_get(v, "sink");
    if (!sink)
        return 0;
    if (omics_option_check(omics_option_find("sink", OMICS_OPT_CALL), sink, err))
        return -1;
    return omics_op_check_sink(op, err);
}
