/* The table of options: defaults, each rule, unknown names, the rules
 * between options, what goes where, call options and credentials tables. */
#include <stdlib.h>

#include "ctest.h"
#include "omics.h"

static omics_value str(const char *s)
{
    omics_value v = {OMICS_V_STR, {0}};
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

static omics_value num(double n)
{
    omics_value v = {OMICS_V_NUM, {0}};
    v.u.n = n;
    return v;
}

static omics_value of_type(omics_vtype t)
{
    omics_value v = {t, {0}};
    return v;
}

/* A table of up to 8 entries, string keys. */
typedef struct tab {
    omics_entry e[8];
    omics_value v;
} tab;

static void tab_init(tab *t)
{
    memset(t, 0, sizeof *t);
    t->v.type = OMICS_V_TABLE;
    t->v.u.t.items = t->e;
}

static void tab_set(tab *t, const char *k, omics_value v)
{
    omics_entry *e = &t->e[t->v.u.t.n++];
    e->key = str(k);
    e->val = v;
}

/* The message of reading one option, or "(none)". */
static char last[512];
static const char *read_one(const char *name, omics_value v, unsigned scope)
{
    tab t;
    tab_init(&t);
    tab_set(&t, name, v);
    omics_options o;
    omics_options_init(&o);
    omics_error err;
    omics_error_init(&err);
    int rc = omics_options_read(&o, &t.v, scope, &err);
    snprintf(last, sizeof last, "%s", rc ? (err.message ? err.message : "?") : "(none)");
    omics_error_clear(&err);
    omics_options_clear(&o);
    return last;
}

static void test_table(void)
{
    CHECK(omics_option_count() > 15);
    CHECK(omics_option_at(omics_option_count()) == NULL);
    const omics_option *t = omics_option_find("timeout", OMICS_OPT_CLIENT);
    CHECK(t && t->type == OMICS_OPT_NUMBER && t->dflt == 60);
    CHECK(omics_option_find("timeout", OMICS_OPT_CALL) == NULL);
    CHECK(omics_option_find("process_timeout", OMICS_OPT_CLIENT) == NULL);
    CHECK(omics_option_find("process_timeout", OMICS_OPT_PROVIDER) != NULL);
    CHECK(omics_option_find("nope", ~0u) == NULL);
    const omics_option *tr = omics_option_find("transport", OMICS_OPT_DRIVER);
    CHECK_STR(tr ? tr->dflt_text : NULL, "auto");
}

static void test_defaults(void)
{
    omics_options o;
    omics_options_init(&o);
    CHECK(o.client.timeout == 60 && o.client.connect_timeout == 10 && o.client.stall_timeout == 30);
    CHECK(o.client.max_response_bytes == 64u * 1024 * 1024 && o.client.max_backoff == 20);
    CHECK(o.client.inject_host_prefix == -1 && o.client.max_attempts == 0);
    CHECK(o.provider.process_timeout == 60);
    CHECK_STR(o.transport, "auto");
    CHECK(o.keepalive_pool_size == 32 && o.keepalive_timeout == 60);
    omics_error err;
    omics_error_init(&err);
    omics_value nil = of_type(OMICS_V_NIL);
    CHECK(omics_options_read(&o, &nil, OMICS_OPT_CLIENT, &err) == 0);
    omics_value n = num(5);
    CHECK(omics_options_read(&o, &n, OMICS_OPT_CLIENT, &err) == -1);
    CHECK_STR(err.message, "options must be a table, got number");
    CHECK_STR(err.code, "InvalidOption");
    omics_error_clear(&err);
}

static void test_rules(void)
{
    const unsigned cd = OMICS_OPT_CLIENT | OMICS_OPT_DRIVER;
    CHECK_STR(read_one("region", num(1), cd), "option region: expected a string");
    omics_value nul = {OMICS_V_STR, {0}};
    nul.u.s.p = "us\0east";
    nul.u.s.len = 7;
    CHECK_STR(read_one("region", nul, cd), "option region: a string without NUL bytes");
    CHECK_STR(read_one("timeout", str("soon"), cd),
              "option timeout: expected a number of seconds from 0 to 604800");
    CHECK_STR(read_one("timeout", num(-1), cd),
              "option timeout: expected a number of seconds from 0 to 604800");
    CHECK_STR(read_one("timeout", num(0), cd), "(none)");
    CHECK_STR(read_one("max_attempts", num(101), cd), "option max_attempts: an integer from 1 to 100");
    CHECK_STR(read_one("max_attempts", num(2.5), cd), "option max_attempts: an integer from 1 to 100");
    CHECK_STR(read_one("max_response_bytes", num(0), cd),
              "option max_response_bytes: a number of bytes >= 1");
    CHECK_STR(read_one("retry_mode", str("sometimes"), cd),
              "option retry_mode: \"standard\" or \"adaptive\"");
    CHECK_STR(read_one("retry_mode", str("adaptive"), cd), "(none)");
    CHECK_STR(read_one("sleep", num(5), cd), "option sleep: a function (seconds)");
    CHECK_STR(read_one("sleep", of_type(OMICS_V_FUNCTION), cd), "(none)");
    CHECK_STR(read_one("inject_host_prefix", str("no"), cd),
              "option inject_host_prefix: expected a boolean");
    CHECK_STR(read_one("transport", str("socket"), cd),
              "option transport: \"auto\", \"curl\", \"ngx\" or a function");
    CHECK_STR(read_one("transport", of_type(OMICS_V_FUNCTION), cd), "(none)");
    CHECK_STR(read_one("keepalive_pool_size", num(0), cd), "option keepalive_pool_size: a number >= 1");
    CHECK_STR(read_one("credentials", num(1), cd),
              "option credentials: expected a table { access_key_id = ..., secret_access_key = "
              "..., session_token = ... }, a function returning one, or an omics.provider");
    /* a scope takes only its own */
    CHECK(strncmp(read_one("regoin", str("x"), cd), "unknown option regoin (options: region, ", 40) == 0);
    CHECK(strstr(last, "transport") != NULL && strstr(last, "process_timeout") == NULL);
    CHECK(strncmp(read_one("process_timeout", num(1), cd), "unknown option process_timeout", 30) == 0);
    CHECK_STR(read_one("process_timeout", num(1), OMICS_OPT_PROVIDER), "(none)");
    /* a waiter's: checked, with defaults of their own */
    const omics_option *d = omics_option_find("max_attempts", OMICS_OPT_WAIT);
    CHECK(d && d->dflt == 20 && omics_option_find("max_attempts", OMICS_OPT_CLIENT)->dflt == 3);
    tab t;
    tab_init(&t);
    tab_set(&t, "delay", num(-1));
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_options_check(&t.v, OMICS_OPT_WAIT, &err) == -1);
    CHECK_STR(err.message, "option delay: a number of seconds from 0 to 604800");
    omics_error_clear(&err);
    t.e[0].val = num(0);
    tab_set(&t, "sleep", of_type(OMICS_V_FUNCTION));
    CHECK(omics_options_check(&t.v, OMICS_OPT_WAIT, &err) == 0);
    CHECK(strncmp(read_one("timeout", num(1), OMICS_OPT_PROVIDER), "unknown option timeout", 22) == 0);
}

static void test_store_and_between(void)
{
    tab t;
    tab_init(&t);
    tab_set(&t, "region", str("eu-west-1"));
    tab_set(&t, "max_attempts", num(7));
    tab_set(&t, "timeout", num(0));
    tab_set(&t, "inject_host_prefix", of_type(OMICS_V_BOOL));
    tab_set(&t, "transport", str("ngx"));
    omics_options o;
    omics_options_init(&o);
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_options_read(&o, &t.v, OMICS_OPT_CLIENT | OMICS_OPT_DRIVER, &err) == 0);
    CHECK_STR(o.client.region, "eu-west-1");
    CHECK_STR(o.provider.region, "eu-west-1");
    CHECK(o.client.max_attempts == 7 && o.client.timeout == 0 && o.client.inject_host_prefix == 0);
    CHECK_STR(o.transport, "ngx");
    tab_set(&t, "ca_file", str("/etc/ca.pem"));
    CHECK(omics_options_read(&o, &t.v, OMICS_OPT_CLIENT | OMICS_OPT_DRIVER, &err) == -1);
    CHECK(err.message && strstr(err.message, "option ca_file: the ngx transport") == err.message);
    omics_error_clear(&err);
    omics_options_clear(&o);

    /* a shared provider takes the clock */
    tab_init(&t);
    omics_value prov = of_type(OMICS_V_PROVIDER);
    prov.u.p = (omics_provider *)&t; /* never dereferenced here */
    tab_set(&t, "credentials", prov);
    omics_options_init(&o);
    CHECK(omics_options_read(&o, &t.v, OMICS_OPT_CLIENT, &err) == 0);
    CHECK(o.client.provider == prov.u.p);
    tab_set(&t, "clock", of_type(OMICS_V_FUNCTION));
    CHECK(omics_options_read(&o, &t.v, OMICS_OPT_CLIENT, &err) == -1);
    CHECK_STR(err.message, "option clock: give it to the shared provider instead");
    omics_error_clear(&err);
    CHECK(omics_options_read(&o, &t.v, OMICS_OPT_PROVIDER, &err) == -1);
    omics_error_clear(&err);
}

static void test_credentials(void)
{
    const char *const *m = omics_credentials_members();
    CHECK_STR(m[0], "access_key_id");
    CHECK_STR(m[3], "expiration");
    CHECK(m[4] == NULL);
    tab c;
    tab_init(&c);
    tab_set(&c, "access_key_id", str("AKIDEXAMPLE"));
    omics_credentials cr;
    memset(&cr, 0, sizeof cr);
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_credentials_from_value(&cr, &c.v, "req.credentials", "option", &err) == -1);
    CHECK_STR(err.code, "PartialCredentialsError");
    CHECK_STR(err.message, "req.credentials needs access_key_id and secret_access_key");
    omics_error_clear(&err);
    tab_set(&c, "secret_access_key", str("secret"));
    tab_set(&c, "expiration", num(1e9));
    CHECK(omics_credentials_from_value(&cr, &c.v, "x", "function", &err) == 0);
    CHECK_STR(cr.access_key_id, "AKIDEXAMPLE");
    CHECK(cr.session_token == NULL && cr.expiration == 1e9);
    CHECK_STR(cr.provider, "function");
    omics_credentials_clear(&cr);
    tab_set(&c, "session_token", num(3));
    CHECK(omics_credentials_from_value(&cr, &c.v, "x", "option", &err) == -1);
    CHECK_STR(err.message, "x: session_token: expected a string without NUL bytes");
    omics_error_clear(&err);

    /* through the options, kept in o and wiped by omics_options_clear */
    tab t;
    tab_init(&t);
    c.v.u.t.n = 2;
    tab_set(&t, "credentials", c.v);
    omics_options o;
    omics_options_init(&o);
    CHECK(omics_options_read(&o, &t.v, OMICS_OPT_CLIENT, &err) == 0);
    CHECK(o.client.credentials == &o.credentials && o.provider.credentials == &o.credentials);
    CHECK_STR(o.credentials.provider, "option");
    omics_options_clear(&o);
    CHECK(o.credentials.access_key_id == NULL);
}

static void test_call_options(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    CHECK(m != NULL);
    if (!m)
        return;
    const omics_op *get = omics_model_op(m, "GetReference");
    const omics_op *list = omics_model_op(m, "ListRuns");
    omics_value s = str("sink");
    CHECK(omics_call_options_check(list, &s, &err) == -1);
    CHECK_STR(err.message, "call options: expected a table, got string");
    omics_error_clear(&err);
    tab t;
    tab_init(&t);
    tab_set(&t, "snik\n", str("/tmp/x"));
    CHECK(omics_call_options_check(list, &t.v, &err) == -1);
    CHECK_STR(err.message, "call options: unknown option snik\\x0a (options: sink)");
    CHECK_STR(err.code, "ParamValidationError");
    omics_error_clear(&err);
    t.e[0].key = num(1);
    CHECK(omics_call_options_check(list, &t.v, &err) == -1);
    CHECK_STR(err.message, "call options: unknown option a key of type number (options: sink)");
    omics_error_clear(&err);
    tab_init(&t);
    tab_set(&t, "sink", num(5));
    CHECK(omics_call_options_check(get, &t.v, &err) == -1);
    CHECK_STR(err.message, "sink: expected a function, an open file or a path, got number");
    omics_error_clear(&err);
    t.e[0].val = of_type(OMICS_V_FILE);
    CHECK(omics_call_options_check(get, &t.v, &err) == 0);
    CHECK(omics_call_options_check(list, &t.v, &err) == -1);
    CHECK_STR(err.code, "SinkError");
    omics_error_clear(&err);
}

int main(void)
{
    RUN(test_table);
    RUN(test_defaults);
    RUN(test_rules);
    RUN(test_store_and_between);
    RUN(test_credentials);
    RUN(test_call_options);
    CTEST_DONE();
}
