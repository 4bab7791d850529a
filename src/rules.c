/* rules: an endpoint rule set (the model's endpoint-rule-set-1.json, Smithy
 * endpoint rules 1.0) evaluated for a client's parameters: Region, UseFIPS,
 * UseDualStack and Endpoint.  The rules are walked in order; a rule applies
 * when all its conditions hold (a condition that is unset or false fails;
 * "assign" names its value for the rules inside); the first endpoint or
 * error reached is the answer.  The functions are those rule sets of AWS
 * services use: isSet, not, booleanEquals, stringEquals, getAttr and
 * aws.partition. */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "buf.h"
#include "partitions.h"

#define RULES_MAX_VARS 32
#define RULES_MAX_DEPTH 32

typedef enum { V_UNSET, V_STR, V_BOOL, V_PART } vtype;

typedef struct val {
    vtype t;
    const char *s; /* V_STR: owned by the cJSON tree, the params or the pool */
    int b;
    const partition *p;
} val;

typedef struct scope {
    const char *names[RULES_MAX_VARS];
    val vals[RULES_MAX_VARS];
    int n;
    char *pool[RULES_MAX_VARS]; /* strings made here (templates), freed at the end */
    int npool;
    const char *problem;        /* a rule set this evaluator cannot read */
} scope;

static val lookup(scope *sc, const char *name)
{
    for (int i = sc->n - 1; i >= 0; i--)
        if (strcmp(sc->names[i], name) == 0)
            return sc->vals[i];
    return (val){V_UNSET, NULL, 0, NULL};
}

static int bind(scope *sc, const char *name, val v)
{
    if (sc->n == RULES_MAX_VARS) {
        sc->problem = "too many names";
        return -1;
    }
    sc->names[sc->n] = name;
    sc->vals[sc->n++] = v;
    return 0;
}

/* A partition's attribute by name, as getAttr and templates read it. */
static val part_attr(const partition *p, const char *name)
{
    val v = {V_STR, NULL, 0, NULL};
    if (strcmp(name, "name") == 0)
        v.s = p->name;
    else if (strcmp(name, "dnsSuffix") == 0)
        v.s = p->dns_suffix;
    else if (strcmp(name, "dualStackDnsSuffix") == 0)
        v.s = p->dual_stack_dns_suffix;
    else if (strcmp(name, "implicitGlobalRegion") == 0)
        v.s = p->implicit_global_region;
    else if (strcmp(name, "supportsFIPS") == 0)
        v = (val){V_BOOL, NULL, p->supports_fips, NULL};
    else if (strcmp(name, "supportsDualStack") == 0)
        v = (val){V_BOOL, NULL, p->supports_dual_stack, NULL};
    else
        v.t = V_UNSET;
    return v;
}

/* "{Region}" and "{PartitionResult#dnsSuffix}" in a string, filled in. */
static val template(scope *sc, const char *t)
{
    if (!strchr(t, '{'))
        return (val){V_STR, t, 0, NULL};
    buf b;
    buf_init(&b);
    for (const char *p = t; *p;) {
        const char *open = strchr(p, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!open || !close) {
            buf_adds(&b, p);
            break;
        }
        buf_add(&b, p, (size_t)(open - p));
        char name[128];
        size_t n = (size_t)(close - open - 1);
        snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), open + 1);
        char *hash = strchr(name, '#');
        if (hash)
            *hash = '\0';
        val v = lookup(sc, name);
        if (hash && v.t == V_PART)
            v = part_attr(v.p, hash + 1);
        if (v.t == V_STR)
            buf_adds(&b, v.s);
        else
            sc->problem = "a template names a value that is not a string";
        p = close + 1;
    }
    const char *s = buf_str(&b);
    if (!s || sc->npool == RULES_MAX_VARS) {
        buf_free(&b);
        sc->problem = "out of memory";
        return (val){V_UNSET, NULL, 0, NULL};
    }
    sc->pool[sc->npool++] = buf_steal(&b, NULL);
    return (val){V_STR, sc->pool[sc->npool - 1], 0, NULL};
}

static val eval(scope *sc, const cJSON *x, int depth);

static val call(scope *sc, const cJSON *x, int depth)
{
    const char *fn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(x, "fn"));
    const cJSON *argv = cJSON_GetObjectItemCaseSensitive(x, "argv");
    val a[3] = {{V_UNSET, NULL, 0, NULL}, {V_UNSET, NULL, 0, NULL}, {V_UNSET, NULL, 0, NULL}};
    int n = 0;
    const cJSON *arg;
    cJSON_ArrayForEach(arg, argv)
    {
        if (n == 3) {
            sc->problem = "a function with more than three arguments";
            break;
        }
        a[n++] = eval(sc, arg, depth + 1);
    }
    val no = {V_UNSET, NULL, 0, NULL};
    if (!fn) {
        sc->problem = "a condition without a function";
        return no;
    }
    if (strcmp(fn, "isSet") == 0)
        return (val){V_BOOL, NULL, a[0].t != V_UNSET, NULL};
    if (strcmp(fn, "not") == 0)
        return a[0].t == V_BOOL ? (val){V_BOOL, NULL, !a[0].b, NULL} : no;
    if (strcmp(fn, "booleanEquals") == 0)
        return (a[0].t == V_BOOL && a[1].t == V_BOOL) ? (val){V_BOOL, NULL, a[0].b == a[1].b, NULL}
                                                      : no;
    if (strcmp(fn, "stringEquals") == 0)
        return (a[0].t == V_STR && a[1].t == V_STR)
                   ? (val){V_BOOL, NULL, strcmp(a[0].s, a[1].s) == 0, NULL}
                   : no;
    if (strcmp(fn, "getAttr") == 0)
        return (a[0].t == V_PART && a[1].t == V_STR) ? part_attr(a[0].p, a[1].s) : no;
    if (strcmp(fn, "aws.partition") == 0)
        return a[0].t == V_STR ? (val){V_PART, NULL, 0, partition_of(a[0].s)} : no;
    sc->problem = "a function this client does not know";
    return no;
}

static val eval(scope *sc, const cJSON *x, int depth)
{
    if (depth > RULES_MAX_DEPTH) {
        sc->problem = "rules nested too deeply";
        return (val){V_UNSET, NULL, 0, NULL};
    }
    if (cJSON_IsString(x))
        return template(sc, x->valuestring);
    if (cJSON_IsBool(x))
        return (val){V_BOOL, NULL, cJSON_IsTrue(x), NULL};
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(x, "ref");
    if (cJSON_IsString(ref))
        return lookup(sc, ref->valuestring);
    if (cJSON_IsObject(x))
        return call(sc, x, depth);
    sc->problem = "a value this client cannot read";
    return (val){V_UNSET, NULL, 0, NULL};
}

/* Walk rules: 1 with the endpoint or error found, 0 when none applied. */
static int walk(scope *sc, const cJSON *rules, int depth, char **url, char **error)
{
    const cJSON *rule;
    cJSON_ArrayForEach(rule, rules)
    {
        int mark = sc->n, holds = 1;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(rule, "conditions"))
        {
            val v = eval(sc, c, depth + 1);
            if (v.t == V_UNSET || (v.t == V_BOOL && !v.b) || sc->problem) {
                holds = 0;
                break;
            }
            const char *as = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "assign"));
            if (as && bind(sc, as, v)) {
                holds = 0;
                break;
            }
        }
        if (sc->problem)
            return 1;
        if (holds) {
            const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rule, "type"));
            int found = 0;
            if (type && strcmp(type, "tree") == 0) {
                found = walk(sc, cJSON_GetObjectItemCaseSensitive(rule, "rules"), depth + 1, url,
                             error);
            } else if (type && strcmp(type, "endpoint") == 0) {
                const cJSON *ep = cJSON_GetObjectItemCaseSensitive(rule, "endpoint");
                val u = eval(sc, cJSON_GetObjectItemCaseSensitive(ep, "url"), depth + 1);
                if (u.t == V_STR && !sc->problem)
                    *url = strdup(u.s);
                found = 1;
            } else if (type && strcmp(type, "error") == 0) {
                val e = eval(sc, cJSON_GetObjectItemCaseSensitive(rule, "error"), depth + 1);
                if (e.t == V_STR && !sc->problem)
                    *error = strdup(e.s);
                found = 1;
            } else {
                sc->problem = "a rule of an unknown type";
                found = 1;
            }
            if (found)
                return 1;
        }
        sc->n = mark; /* the names a rule assigned are its own */
    }
    return 0;
}

int rules_resolve(const char *ruleset, size_t len, const rules_params *p, char **url,
                  omics_error *err)
{
    *url = NULL;
    cJSON *root = cJSON_ParseWithLength(ruleset, len);
    if (!root)
        return omics_error_set(err, OMICS_ECONFIG, "EndpointResolutionError",
                               "the model's endpoint rule set is not JSON");
    scope sc;
    memset(&sc, 0, sizeof sc);
    bind(&sc, "Region", p->region ? (val){V_STR, p->region, 0, NULL}
                                  : (val){V_UNSET, NULL, 0, NULL});
    bind(&sc, "UseFIPS", (val){V_BOOL, NULL, p->use_fips, NULL});
    bind(&sc, "UseDualStack", (val){V_BOOL, NULL, p->use_dual_stack, NULL});
    bind(&sc, "Endpoint", p->endpoint ? (val){V_STR, p->endpoint, 0, NULL}
                                      : (val){V_UNSET, NULL, 0, NULL});
    char *error = NULL;
    int found = walk(&sc, cJSON_GetObjectItemCaseSensitive(root, "rules"), 0, url, &error);
    int rc = 0;
    if (sc.problem || !found || (!*url && !error)) {
        rc = omics_error_set(err, OMICS_ECONFIG, "EndpointResolutionError",
                             "the model's endpoint rules cannot be followed: %s",
                             sc.problem ? sc.problem : "no rule applies");
    } else if (error) {
        rc = omics_error_set(err, OMICS_ECONFIG, "EndpointResolutionError",
                             "endpoint rules: %s", error);
    }
    if (rc) {
        free(*url);
        *url = NULL;
    }
    free(error);
    for (int i = 0; i < sc.npool; i++)
        free(sc.pool[i]);
    cJSON_Delete(root);
    return rc;
}
