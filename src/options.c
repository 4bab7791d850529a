/* options: every option of the module in one table (name, where it is
 * taken, type, default, rule), and the check of one value against it. */
#include "options.h"

#include <math.h>
#include <string.h>

#define C OMICS_OPT_CLIENT
#define D OMICS_OPT_DRIVER
#define P OMICS_OPT_PROVIDER
#define WEEK (86400.0 * 7)
#define SECONDS(name, scope, dflt)                                                             \
    {name, OMICS_OPT_NUMBER, scope, 0, WEEK, dflt, NULL, NULL, 0,                              \
     "expected a number of seconds from 0 to 604800"}
#define STRING(name, scope) {name, OMICS_OPT_STRING, scope, 0, 0, 0, NULL, NULL, 0, "expected a string"}
#define FUNCTION(name, scope, rule) {name, OMICS_OPT_FUNCTION, scope, 0, 0, 0, NULL, NULL, 0, rule}

static const omics_option table[] = {
    STRING("region", C | P),
    STRING("profile", C | P),
    {"credentials", OMICS_OPT_CREDENTIALS, C | P, 0, 0, 0, NULL, NULL, 0,
     "expected a table { access_key_id = ..., secret_access_key = ..., session_token = ... }, "
     "a function returning one, or an omics.provider"},
    STRING("endpoint", C),
    {"inject_host_prefix", OMICS_OPT_BOOLEAN, C, 0, 0, 0, NULL, NULL, 0, "expected a boolean"},
    {"use_fips_endpoint", OMICS_OPT_BOOLEAN, C, 0, 0, 0, NULL, NULL, 0, "expected a boolean"},
    {"use_dualstack_endpoint", OMICS_OPT_BOOLEAN, C, 0, 0, 0, NULL, NULL, 0, "expected a boolean"},
    SECONDS("timeout", C, 60),
    SECONDS("connect_timeout", C, 10),
    SECONDS("stall_timeout", C, 30),
    {"max_response_bytes", OMICS_OPT_INTEGER, C, 1, 9007199254740992.0, 64.0 * 1024 * 1024, NULL,
     NULL, 0, "a number of bytes >= 1"},
    {"retry_mode", OMICS_OPT_CHOICE, C, 0, 0, 0, "standard|adaptive", "standard", 0,
     "\"standard\" or \"adaptive\""},
    {"max_attempts", OMICS_OPT_INTEGER, C, 1, 100, 3, NULL, NULL, 0, "an integer from 1 to 100"},
    SECONDS("max_backoff", C, 20),
    STRING("ca_file", C),
    STRING("proxy", C),
    STRING("app_id", C),
    STRING("shared_dict", D | P),
    FUNCTION("clock", C | P, "expected a function returning epoch seconds"),
    FUNCTION("log", C, "a function (level, message)"),
    FUNCTION("sleep", C | OMICS_OPT_WAIT, "a function (seconds)"),
    {"transport", OMICS_OPT_CHOICE, D, 0, 0, 0, "auto|curl|ngx", "auto", 1,
     "\"auto\", \"curl\", \"ngx\" or a function"},
    {"keepalive_pool_size", OMICS_OPT_NUMBER, D, 1, HUGE_VAL, 32, NULL, NULL, 0, "a number >= 1"},
    {"keepalive_timeout", OMICS_OPT_NUMBER, D, 1, HUGE_VAL, 60, NULL, NULL, 0, "a number >= 1"},
    SECONDS("process_timeout", P, 60),
    {"paginators", OMICS_OPT_DOCUMENT, OMICS_OPT_MODEL, 0, 0, 0, NULL, NULL, 0,
     "a JSON string or a table"},
    {"waiters", OMICS_OPT_DOCUMENT, OMICS_OPT_MODEL, 0, 0, 0, NULL, NULL, 0,
     "a JSON string or a table"},
    /* a waiter's, when its model gives none */
    {"delay", OMICS_OPT_NUMBER, OMICS_OPT_WAIT, 0, WEEK, 15, NULL, NULL, 0,
     "a number of seconds from 0 to 604800"},
    {"max_attempts", OMICS_OPT_INTEGER, OMICS_OPT_WAIT, 1, 1e9, 20, NULL, NULL, 0,
     "an integer >= 1"},
    {"sink", OMICS_OPT_SINK, OMICS_OPT_CALL, 0, 0, 0, NULL, NULL, 0,
     "expected a function, an open file or a path"},
};

#define COUNT (sizeof table / sizeof table[0])

size_t omics_option_count(void)
{
    return COUNT;
}

const omics_option *omics_option_at(size_t i)
{
    return i < COUNT ? &table[i] : NULL;
}

const omics_option *omics_option_find(const char *name, unsigned scope)
{
    for (size_t i = 0; name && i < COUNT; i++)
        if ((table[i].scope & scope) && strcmp(table[i].name, name) == 0)
            return &table[i];
    return NULL;
}

double options_default(const char *name)
{
    const omics_option *o = omics_option_find(name, ~0u);
    return o ? o->dflt : 0;
}

const char *options_default_text(const char *name)
{
    const omics_option *o = omics_option_find(name, ~0u);
    return o ? o->dflt_text : NULL;
}

/* word is one of the '|'-separated words of list */
static int one_of(const char *list, const char *word, size_t n)
{
    while (list && *list) {
        const char *end = strchr(list, '|');
        size_t len = end ? (size_t)(end - list) : strlen(list);
        if (len == n && memcmp(list, word, n) == 0)
            return 1;
        list = end ? end + 1 : NULL;
    }
    return 0;
}

static int as_number(const omics_value *v, double *out)
{
    if (v->type == OMICS_V_INT)
        *out = (double)v->u.i;
    else if (v->type == OMICS_V_NUM)
        *out = v->u.n;
    else
        return 0;
    return 1;
}

static int follows(const omics_option *o, const omics_value *v)
{
    double n;
    switch (o->type) {
    case OMICS_OPT_STRING:
        return v->type == OMICS_V_STR;
    case OMICS_OPT_NUMBER:
        return as_number(v, &n) && n >= o->min && n <= o->max;
    case OMICS_OPT_INTEGER:
        return as_number(v, &n) && n == floor(n) && n >= o->min && n <= o->max;
    case OMICS_OPT_BOOLEAN:
        return v->type == OMICS_V_BOOL;
    case OMICS_OPT_CHOICE:
        return (o->fn_ok && v->type == OMICS_V_FUNCTION) ||
               (v->type == OMICS_V_STR && one_of(o->choices, v->u.s.p, v->u.s.len));
    case OMICS_OPT_FUNCTION:
        return v->type == OMICS_V_FUNCTION;
    case OMICS_OPT_CREDENTIALS:
        return v->type == OMICS_V_TABLE || v->type == OMICS_V_FUNCTION ||
               (v->type == OMICS_V_PROVIDER && v->u.p);
    case OMICS_OPT_SINK:
        return v->type == OMICS_V_FUNCTION || v->type == OMICS_V_FILE || v->type == OMICS_V_STR;
    case OMICS_OPT_DOCUMENT:
        return v->type == OMICS_V_STR || v->type == OMICS_V_TABLE;
    }
    return 0;
}

/* A value's type as an option's error names it (a number is a number). */
static const char *type_name(const omics_value *v)
{
    switch (v->type) {
    case OMICS_V_NIL: return "nil";
    case OMICS_V_NULL: return "null";
    case OMICS_V_BOOL: return "boolean";
    case OMICS_V_INT:
    case OMICS_V_NUM: return "number";
    case OMICS_V_STR: return "string";
    case OMICS_V_TABLE: return "table";
    case OMICS_V_READER:
    case OMICS_V_FILE: return "file";
    case OMICS_V_FUNCTION: return "function";
    case OMICS_V_PROVIDER: return "provider";
    }
    return "value";
}

int omics_option_check(const omics_option *o, const omics_value *v, omics_error *err)
{
    if (follows(o, v)) {
        /* (a path's NUL is the path sink's to refuse, a document's the loader's) */
        if (v->type != OMICS_V_STR || strlen(v->u.s.p) == v->u.s.len ||
            o->type == OMICS_OPT_SINK || o->type == OMICS_OPT_DOCUMENT)
            return 0;
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "option %s: a string without NUL bytes", o->name);
    }
    if (o->scope & OMICS_OPT_CALL)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError", "%s: %s, got %s",
                               o->name, o->rule, type_name(v));
    return omics_error_set(err, OMICS_ECONFIG, "InvalidOption", "option %s: %s", o->name,
                           o->rule);
}

const char *options_type_name(const omics_value *v)
{
    return type_name(v);
}
