/* lua_omics.c: the Lua binding of the lua-omics core.
 *
 * Lua values in, Lua tables out, callbacks: Lua values become the core's
 * value trees (one converter), the core's results and records become Lua
 * tables (one builder), and Lua functions become the core's callbacks.
 * Options, defaults, limits, messages and every other rule are the core's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_compat.h"
#include "omics.h"

#define LOMICS_CLIENT "omics.client"
#define LOMICS_MODEL "omics.model"
#define LOMICS_ERROR "omics.error"
#define LOMICS_PROVIDER "omics.provider"
#define LOMICS_EXCHANGE "omics.exchange"
#define LOMICS_PARTIAL "omics.partial"
#define LOMICS_ARENA "omics.arena"
#define LOMICS_PARSER "omics.parser"
#define LOMICS_SIGNER "omics.signer"
#define LOMICS_SIGNER_KEY "omics.sigv4.signer"
#define LOMICS_FACTORY "omics.method_factory"
#define LOMICS_MAX_DEPTH 100

#if defined(__GNUC__)
#define LOMICS_EXPORT __attribute__((visibility("default")))
#else
#define LOMICS_EXPORT
#endif

typedef struct lmodel {
    omics_model *m; /* NULL for the built-in model, which is shared */
} lmodel;

/* A credentials provider, with the Lua functions it may call (a credentials
 * function, a clock) and the state to call them in: the state of the call in
 * progress, set at every entry into the core. */
typedef struct lprovider {
    omics_provider *p;
    lua_State *L;
    int fn_ref;
    int clock_ref;
} lprovider;

typedef struct lclient {
    omics_client *c;
    omics_arena *values; /* the value tree of the call in progress */
    int lua_methods;     /* operation methods are Lua functions (they may yield) */
    lprovider *prov;     /* kept alive by the client's uservalue */
    int log_ref;         /* the log option, or LUA_NOREF */
    int sleep_ref;       /* the sleep option, or LUA_NOREF */
    /* the driver options, for the Lua drivers (core.limits) */
    char transport[12];
    double keepalive_pool_size, keepalive_timeout;
} lclient;

/* ------------------------------------------------------------ builder */

static int b_null(void *ud)
{
    lua_pushlightuserdata((lua_State *)ud, NULL);
    return 0;
}

static int b_boolean(void *ud, int v)
{
    lua_pushboolean((lua_State *)ud, v);
    return 0;
}

static int b_integer(void *ud, int64_t v)
{
    lc_pushinteger((lua_State *)ud, v);
    return 0;
}

static int b_number(void *ud, double v)
{
    lua_pushnumber((lua_State *)ud, v);
    return 0;
}

static int b_string(void *ud, const char *s, size_t n)
{
    lua_pushlstring((lua_State *)ud, s, n);
    return 0;
}

static int b_table(void *ud, size_t narr, size_t nrec)
{
    lua_State *L = ud;
    if (!lua_checkstack(L, 4))
        return -1;
    lua_createtable(L, narr > 1024 ? 1024 : (int)narr, nrec > 1024 ? 1024 : (int)nrec);
    return 0;
}

/* Keys come NUL-terminated (omics.h): lua_setfield spares the push and the
 * rotation, and Lua 5.4 finds a key it has seen at the same address in its
 * string cache without hashing it again.  The tables here have no
 * metatable, so this is a raw set. */
static int b_set_field(void *ud, const char *k, size_t klen)
{
    (void)klen;
    lua_setfield((lua_State *)ud, -2, k);
    return 0;
}

static int b_pop(void *ud)
{
    lua_pop((lua_State *)ud, 1);
    return 0;
}

static int b_set_index(void *ud, size_t i)
{
    lua_rawseti((lua_State *)ud, -2, (int)i);
    return 0;
}

static void lua_builder(lua_State *L, omics_builder *b)
{
    b->ud = L;
    b->null = b_null;
    b->boolean = b_boolean;
    b->integer = b_integer;
    b->number = b_number;
    b->string = b_string;
    b->table = b_table;
    b->set_field = b_set_field;
    b->set_index = b_set_index;
    b->pop = b_pop;
    b->list = NULL; /* a Lua table either way */
}

/* ------------------------------------------------------------- errors */

/* Callbacks from the C core must not raise through it (a memory error while
 * pushing their arguments would jump over libcurl or leak the core's
 * buffers), and an error must not raise while it holds its message: they call
 * a trampoline under lua_pcall, which makes the Lua values inside the
 * protected call.  The trampolines live in the registry, so that fetching one
 * allocates nothing. */
enum { TR_ERROR, TR_LOG, TR_SINK, TR_CREDS, TR_COUNT };

static int error_builder(lua_State *L);
static int log_trampoline(lua_State *L);
static int sink_trampoline(lua_State *L);
static int creds_trampoline(lua_State *L);

/* each one's registry key is the address of its slot here */
static const lua_CFunction trampolines[TR_COUNT] = {error_builder, log_trampoline,
                                                    sink_trampoline, creds_trampoline};

static void push_trampoline(lua_State *L, int which)
{
    lua_pushlightuserdata(L, (void *)&trampolines[which]);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

/* (e as a light userdata, the data table or nil) -> the error table */
static int error_builder(lua_State *L)
{
    omics_builder b;
    lua_builder(L, &b);
    omics_error_describe(lua_touserdata(L, 1), &b);
    if (!lua_isnil(L, 2)) {
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "data");
    }
    luaL_setmetatable(L, LOMICS_ERROR);
    return 1;
}

/* Push the error table for e and clear e, even when making the table raises.
 * data_idx, when not 0, is the stack index of the modeled error's members. */
static void push_error(lua_State *L, omics_error *e, int data_idx)
{
    if (data_idx < 0)
        data_idx = lua_gettop(L) + data_idx + 1;
    push_trampoline(L, TR_ERROR);
    lua_pushlightuserdata(L, e);
    if (data_idx)
        lua_pushvalue(L, data_idx);
    else
        lua_pushnil(L);
    int status = lua_pcall(L, 2, 1, 0);
    omics_error_clear(e);
    if (status != 0)
        lua_error(L);
}

/* return nil, err */
static int fail(lua_State *L, omics_error *e)
{
    lua_pushnil(L);
    push_error(L, e, 0);
    return 2;
}

/* return nil, err with the data table on top as err.data */
static int fail_with_data(lua_State *L, omics_error *e)
{
    push_error(L, e, -1);
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

/* What a call or a parse returns: the result the builder left on top, or
 * nil, err (with the modeled error's members as err.data when there are
 * any; whatever a failed build left above base is dropped). */
static int built(lua_State *L, int rc, int has_data, int base, omics_error *err)
{
    if (rc == 0)
        return 1;
    if (has_data)
        return fail_with_data(L, err);
    lua_settop(L, base);
    return fail(L, err);
}

/* __tostring of an error table: the core's one line */
static int error_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    omics_error e;
    omics_error_init(&e);
    lua_getfield(L, 1, "code");
    lua_getfield(L, 1, "message");
    lua_getfield(L, 1, "status");
    lua_getfield(L, 1, "request_id");
    snprintf(e.code, sizeof e.code, "%s", lua_isstring(L, 2) ? lua_tostring(L, 2) : "");
    e.message = (char *)(lua_isstring(L, 3) ? lua_tostring(L, 3) : NULL); /* never freed */
    int64_t status;
    if (lc_tointegral(L, 4, &status))
        e.status = (int)status;
    if (lua_isstring(L, 5))
        snprintf(e.request_id, sizeof e.request_id, "%s", lua_tostring(L, 5));
    char line[256];
    size_t n = omics_error_format(&e, line, sizeof line);
    if (n < sizeof line) {
        lua_pushlstring(L, line, n);
    } else {
        char *big = lc_newuserdata(L, n + 1);
        omics_error_format(&e, big, n + 1);
        lua_pushlstring(L, big, n);
    }
    return 1;
}

/* -------------------------------------------- Lua values to value trees
 * Parameters: strings, numbers, booleans, tables, omics.null and open files
 * (streamed payloads).  Objects (options, requests, answers): the same,
 * with functions, open files and providers as the core's own kinds, and
 * anything else as null for the core to refuse by name. */

typedef struct conv {
    lua_State *L;
    omics_arena *a;
    int seen; /* stack index of the table of tables being visited */
    int objects;
    const char *root;
    omics_value path[LOMICS_MAX_DEPTH + 1];
    int depth;
    omics_error *err;
} conv;

static int conv_fail(conv *c, const char *what)
{
    return omics_param_error(c->err, c->root, c->path, (size_t)c->depth, what);
}

/* A value that is not a table, without failing: nil, a boolean, a number, a
 * string; anything else is null. */
static void scalar(lua_State *L, int idx, omics_value *out)
{
    out->type = OMICS_V_NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        out->type = OMICS_V_NIL;
        break;
    case LUA_TBOOLEAN:
        out->type = OMICS_V_BOOL;
        out->u.b = lua_toboolean(L, idx);
        break;
    case LUA_TNUMBER:
        if (lc_tointeger(L, idx, &out->u.i)) {
            out->type = OMICS_V_INT;
        } else {
            out->type = OMICS_V_NUM;
            out->u.n = lua_tonumber(L, idx);
        }
        break;
    case LUA_TSTRING:
        out->type = OMICS_V_STR;
        out->u.s.p = lua_tolstring(L, idx, &out->u.s.len);
        break;
    }
}

static int to_value(conv *c, int idx, omics_value *out);

static int table_value(conv *c, int idx, omics_value *out)
{
    lua_State *L = c->L;
    if (c->depth >= LOMICS_MAX_DEPTH)
        return conv_fail(c, "nested deeper than 100 levels");
    if (!lua_checkstack(L, 6))
        return conv_fail(c, "nested too deeply for the Lua stack");
    lua_pushvalue(L, idx);
    if (lc_rawget(L, c->seen) != LUA_TNIL) {
        lua_pop(L, 1);
        return conv_fail(c, "a cyclic table (it contains itself)");
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, c->seen);

    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n++;
        lua_pop(L, 1);
    }
    omics_entry *items = NULL;
    if (n && !(items = omics_arena_alloc(c->a, n * sizeof *items)))
        return omics_error_set(c->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        omics_entry *e = &items[i++];
        scalar(L, -2, &e->key);
        int keyed = e->key.type == OMICS_V_STR || e->key.type == OMICS_V_INT;
        if (!keyed && !c->objects) {
            const char *what = lua_pushfstring(L, "a table key of type %s (only strings and "
                                                  "integers can be keys)",
                                               luaL_typename(L, -2));
            int rc = conv_fail(c, what);
            lua_pop(L, 3);
            return rc;
        }
        c->path[c->depth++] = e->key;
        int rc = to_value(c, lua_gettop(L), &e->val);
        c->depth--;
        lua_pop(L, 1);
        if (rc) {
            lua_pop(L, 1);
            return -1;
        }
    }
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, c->seen);
    out->type = OMICS_V_TABLE;
    out->u.t.items = items;
    out->u.t.n = n;
    return 0;
}

static int to_value(conv *c, int idx, omics_value *out)
{
    lua_State *L = c->L;
    int t = lua_type(L, idx);
    FILE *f;
    lprovider *lp;
    scalar(L, idx, out);
    if (t == LUA_TTABLE)
        return table_value(c, idx, out);
    if (t == LUA_TNIL || t == LUA_TBOOLEAN || t == LUA_TNUMBER || t == LUA_TSTRING ||
        (t == LUA_TLIGHTUSERDATA && !lua_touserdata(L, idx)))
        return 0; /* a scalar, or omics.null */
    if (c->objects) {
        if (t == LUA_TFUNCTION)
            out->type = OMICS_V_FUNCTION;
        else if (lc_tofile(L, idx))
            out->type = OMICS_V_FILE;
        else if ((lp = luaL_testudata(L, idx, LOMICS_PROVIDER)) != NULL) {
            out->type = OMICS_V_PROVIDER;
            out->u.p = lp->p;
        }
        return 0;
    }
    if ((f = lc_tofile(L, idx)) != NULL) {
        out->type = OMICS_V_READER;
        if ((out->u.r = omics_file_reader(c->a, f, c->err)) != NULL)
            return 0;
        char why[160];
        snprintf(why, sizeof why, "%s", c->err->message ? c->err->message : "unreadable");
        return conv_fail(c, why);
    }
    return conv_fail(c, lua_pushfstring(L, "a %s cannot be sent (strings, numbers, booleans, "
                                           "tables, and open files for streaming payloads can)",
                                        luaL_typename(L, idx)));
}

/* Convert the value at idx (root names it in errors); the tree lives in
 * arena a until its next reset. */
static int convert(lua_State *L, int idx, omics_arena *a, int objects, const char *root,
                   omics_value **out, omics_error *err)
{
    idx = lua_absindex(L, idx);
    omics_arena_reset(a);
    omics_value *v = omics_arena_alloc(a, sizeof *v);
    if (!v)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    conv c;
    c.L = L;
    c.a = a;
    c.objects = objects;
    c.root = root;
    c.depth = 0;
    c.err = err;
    lua_newtable(L);
    c.seen = lua_gettop(L);
    int rc = to_value(&c, idx, v);
    lua_remove(L, c.seen);
    *out = v;
    return rc;
}

static int params_value(lua_State *L, int idx, omics_arena *a, omics_value **out,
                        omics_error *err)
{
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "params: expected a table, got %s", luaL_typename(L, idx));
    return convert(L, idx, a, 0, "params", out, err);
}

/* An arena owned by a userdata pushed on the stack, so that an error that
 * unwinds the function still frees it. */
static omics_arena *push_arena(lua_State *L)
{
    omics_arena **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, LOMICS_ARENA);
    if (!(*box = omics_arena_new(1024)))
        luaL_error(L, "out of memory");
    return *box;
}

static int l_arena_gc(lua_State *L)
{
    omics_arena **box = lua_touserdata(L, 1);
    omics_arena_free(*box);
    *box = NULL;
    return 0;
}

/* ------------------------------------------------------------ providers */

/* The provider's callbacks (and the client's log) run on the thread of the C
 * call that needs them: lp_enter sets it for that call, lp_leave puts back the
 * enclosing call's, so that a call made from inside a callback, on another
 * thread (a coroutine that may be collected), does not leave its own behind. */
static lua_State *lp_enter(lprovider *lp, lua_State *L)
{
    lua_State *was = lp->L;
    lp->L = L;
    return was;
}

static void lp_leave(lprovider *lp, lua_State *was)
{
    lp->L = was;
}

typedef struct lcreds_read {
    omics_credentials *out;
    omics_error *err;
    int rc;
} lcreds_read;

/* (fn, lcreds_read as a light userdata): call the credentials function and
 * read its table, all inside the protected call (a metamethod of that table
 * may raise too) */
static int creds_trampoline(lua_State *L)
{
    lcreds_read *r = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_call(L, 0, 2); /* table, or nil and a reason */
    if (!lua_istable(L, 1)) {
        const char *why = lua_isstring(L, 2) ? lua_tostring(L, 2) : luaL_typename(L, 1);
        omics_error_set(r->err, OMICS_ECREDENTIALS, "CredentialsFunctionError",
                        "the credentials function returned no table (%s)", why);
        return 0;
    }
    omics_entry items[8];
    omics_value t;
    t.type = OMICS_V_TABLE;
    t.u.t.items = items;
    t.u.t.n = 0;
    for (const char *const *m = omics_credentials_members(); *m && t.u.t.n < 8; m++) {
        omics_entry *e = &items[t.u.t.n++];
        lua_getfield(L, 1, *m); /* stays on the stack */
        e->key.type = OMICS_V_STR;
        e->key.u.s.p = *m;
        e->key.u.s.len = strlen(*m);
        scalar(L, -1, &e->val);
    }
    r->rc = omics_credentials_from_value(r->out, &t, "the credentials function's table",
                                         "function", r->err);
    return 0;
}

static int lp_credentials_fn(void *ud, omics_credentials *out, omics_error *err)
{
    lprovider *lp = ud;
    lua_State *L = lp->L;
    if (!L || !lua_checkstack(L, 16))
        return omics_error_set(err, OMICS_EUSAGE, "CredentialsFunctionError",
                               "the credentials function cannot be called here");
    int top = lua_gettop(L);
    lcreds_read r = {out, err, -1};
    push_trampoline(L, TR_CREDS);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lp->fn_ref);
    lua_pushlightuserdata(L, &r);
    if (lua_pcall(L, 2, 0, 0) != 0) {
        omics_credentials_clear(out); /* what was read before it raised */
        omics_error_clear(err);
        omics_error_set(err, OMICS_ECREDENTIALS, "CredentialsFunctionError",
                        "the credentials function raised: %s",
                        lua_isstring(L, -1) ? lua_tostring(L, -1) : "(an error object)");
        r.rc = -1;
    } else if (r.rc != 0) {
        omics_credentials_clear(out);
    }
    lua_settop(L, top);
    return r.rc;
}

static double lp_clock(void *ud)
{
    lprovider *lp = ud;
    lua_State *L = lp->L;
    double now = omics_now();
    if (!L || !lua_checkstack(L, 2))
        return now;
    lua_rawgeti(L, LUA_REGISTRYINDEX, lp->clock_ref);
    if (lua_pcall(L, 0, 1, 0) == 0 && lua_isnumber(L, -1))
        now = lua_tonumber(L, -1);
    lua_pop(L, 1);
    return now;
}

static int l_provider_gc(lua_State *L)
{
    lprovider *lp = luaL_checkudata(L, 1, LOMICS_PROVIDER);
    omics_provider_release(lp->p);
    lp->p = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, lp->fn_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, lp->clock_ref);
    lp->fn_ref = lp->clock_ref = LUA_NOREF;
    return 0;
}

/* A reference to the function t[name], or LUA_NOREF. */
static int ref_function(lua_State *L, int t, const char *name)
{
    if (!lua_istable(L, t) || lc_getfield(L, t, name) != LUA_TFUNCTION) {
        lua_pop(L, lua_istable(L, t) ? 1 : 0);
        return LUA_NOREF;
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* A provider box for the options read into po, with the Lua functions of
 * the table at t (credentials, clock) as its callbacks; pushed. */
static lprovider *new_provider(lua_State *L, int t, omics_provider_opts *po, omics_error *err)
{
    lprovider *lp = lc_newuserdata(L, sizeof *lp);
    lp->p = NULL;
    lp->L = L;
    lp->fn_ref = lp->clock_ref = LUA_NOREF;
    luaL_setmetatable(L, LOMICS_PROVIDER);
    if ((lp->fn_ref = ref_function(L, t, "credentials")) != LUA_NOREF) {
        po->fn = lp_credentials_fn;
        po->fn_ud = lp;
    }
    if ((lp->clock_ref = ref_function(L, t, "clock")) != LUA_NOREF) {
        po->clock = lp_clock;
        po->clock_ud = lp;
    }
    lp->p = omics_provider_new(po, err);
    return lp->p ? lp : NULL;
}

/* The options at idx, read by the core as scope takes them, into o (its
 * strings anchored by the options table); an arena box is pushed. */
static int read_options(lua_State *L, int idx, unsigned scope, omics_options *o,
                        omics_error *err)
{
    omics_options_init(o);
    omics_arena *a = push_arena(L);
    omics_value *v;
    if (convert(L, idx, a, 1, "options", &v, err) || omics_options_read(o, v, scope, err)) {
        omics_options_clear(o);
        return -1;
    }
    return 0;
}

/* omics.provider(opts): credentials that several clients can share. */
static int l_provider(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    omics_options o;
    lua_settop(L, 1);
    if (read_options(L, 1, OMICS_OPT_PROVIDER, &o, &err))
        return fail(L, &err);
    lprovider *lp = new_provider(L, 1, &o.provider, &err);
    omics_options_clear(&o);
    if (!lp || !omics_provider_credentials(lp->p, &err))
        return fail(L, &err);
    return 1;
}

static int push_identity(lua_State *L, const char *akid, const char *provider, double expiration)
{
    omics_builder b;
    lua_builder(L, &b);
    omics_identity_describe(akid, provider, expiration, &b);
    return 1;
}

/* provider:credentials(): never the secret */
static int l_provider_credentials(lua_State *L)
{
    lprovider *lp = luaL_checkudata(L, 1, LOMICS_PROVIDER);
    omics_error err;
    omics_error_init(&err);
    lua_State *was = lp_enter(lp, L);
    const omics_credentials *c = omics_provider_credentials(lp->p, &err);
    lp_leave(lp, was);
    if (!c)
        return fail(L, &err);
    return push_identity(L, c->access_key_id, c->provider, c->expiration);
}

static int l_provider_tostring(lua_State *L)
{
    lua_pushfstring(L, "omics.provider (%p)", luaL_checkudata(L, 1, LOMICS_PROVIDER));
    return 1;
}

/* ------------------------------------------------------------- client */

/* The client at idx, open, and not in the middle of a call. */
static lclient *check_client(lua_State *L, int idx)
{
    lclient *lc = luaL_checkudata(L, idx, LOMICS_CLIENT);
    if (!lc->c)
        luaL_error(L, "this omics client is closed");
    if (omics_client_busy(lc->c))
        luaL_error(L, "this omics client is in the middle of a call (its own sink, log or "
                      "credentials function used it): use a second client");
    return lc;
}

/* The operation named at index 2 of the client at 1; NULL with nil, err
 * pushed when the model has none. */
static const omics_op *check_op(lua_State *L, lclient **lc)
{
    *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const omics_model *m = omics_client_model((*lc)->c);
    const omics_op *op = omics_model_op(m, name);
    if (!op && !(op = omics_model_op_snake(m, name))) {
        omics_error err;
        omics_error_init(&err);
        omics_error_set(&err, OMICS_EUSAGE, "UnknownOperationError",
                        "the service has no operation %s", name);
        fail(L, &err);
    }
    return op;
}

/* (fn, level, message as a light userdata) */
static int log_trampoline(lua_State *L)
{
    static const char *const levels[] = {"debug", "debug", "info", "warn"};
    int level = (int)lua_tointeger(L, 2);
    const char *message = lua_touserdata(L, 3);
    lua_settop(L, 1);
    lua_pushstring(L, levels[level >= 0 && level <= 3 ? level : 1]);
    lua_pushstring(L, message);
    lua_call(L, 2, 0);
    return 0;
}

/* The log option: called with "debug", "info" or "warn" and a message. */
static void lc_log(void *ud, int level, const char *message)
{
    lclient *lc = ud;
    lua_State *L = lc->prov ? lc->prov->L : NULL;
    if (!L || lc->log_ref == LUA_NOREF || !lua_checkstack(L, 5))
        return;
    push_trampoline(L, TR_LOG);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lc->log_ref);
    lua_pushinteger(L, level);
    lua_pushlightuserdata(L, (void *)message);
    if (lua_pcall(L, 3, 0, 0) != 0)
        lua_pop(L, 1); /* a failing log function must not fail the call */
}

/* The sleep option: the engine's waits between attempts (libcurl's loop;
 * the Lua drivers call it themselves).  An error in it is not the call's. */
static void lc_sleep(void *ud, double seconds)
{
    lclient *lc = ud;
    lua_State *L = lc->prov ? lc->prov->L : NULL;
    if (!L || lc->sleep_ref == LUA_NOREF || !lua_checkstack(L, 3))
        return;
    lua_rawgeti(L, LUA_REGISTRYINDEX, lc->sleep_ref);
    lua_pushnumber(L, seconds);
    if (lua_pcall(L, 1, 0, 0) != 0)
        lua_pop(L, 1);
}

/* Make a client for model (NULL: built-in) with the options at opts_idx,
 * as scope takes them; model_idx is the model userdata to keep alive, or 0. */
static int new_client(lua_State *L, const omics_model *model, int model_idx, int opts_idx,
                      unsigned scope)
{
    omics_error err;
    omics_error_init(&err);
    omics_options o;
    if (read_options(L, opts_idx, scope, &o, &err) ||
        (!model && !(model = omics_model_builtin(&err)))) {
        omics_options_clear(&o);
        return fail(L, &err);
    }
    /* the provider: shared (the credentials option), or the client's own */
    lprovider *lp = NULL;
    if (o.client.provider) {
        lua_getfield(L, opts_idx, "credentials");
        lp = lua_touserdata(L, -1);
    } else {
        lp = new_provider(L, opts_idx, &o.provider, &err);
    }
    omics_options_clear(&o);
    if (!lp)
        return fail(L, &err);
    int pidx = lua_gettop(L);
    o.client.provider = lp->p;
    o.client.credentials = NULL;
    o.client.user_agent_extra = LC_RUNTIME;
    lclient *lc = lc_newuserdata(L, sizeof *lc);
    memset(lc, 0, sizeof *lc);
    lc->prov = lp;
    lc->log_ref = lc->sleep_ref = LUA_NOREF;
    luaL_setmetatable(L, LOMICS_CLIENT);
    snprintf(lc->transport, sizeof lc->transport, "%s", o.transport ? o.transport : "function");
    lc->keepalive_pool_size = o.keepalive_pool_size;
    lc->keepalive_timeout = o.keepalive_timeout;
    if ((lc->sleep_ref = ref_function(L, opts_idx, "sleep")) != LUA_NOREF) {
        o.client.sleep = lc_sleep;
        o.client.sleep_ud = lc;
    }
    if ((lc->log_ref = ref_function(L, opts_idx, "log")) != LUA_NOREF) {
        o.client.log = lc_log;
        o.client.log_ud = lc;
    }
    lua_State *was = lp_enter(lp, L);
    lc->c = omics_client_new(model, &o.client, &err);
    lp_leave(lp, was);
    if (!lc->c)
        return fail(L, &err);
    if (!(lc->values = omics_arena_new(4096)))
        return luaL_error(L, "out of memory");
    lua_createtable(L, 0, 3);
    if (model_idx) {
        lua_pushvalue(L, model_idx);
        lua_setfield(L, -2, "model");
    }
    lua_pushvalue(L, pidx);
    lua_setfield(L, -2, "provider");
    lua_newtable(L);
    lua_setfield(L, -2, "methods");
    lc_setuservalue(L, -2);
    return 1;
}

static int l_new(lua_State *L)
{
    lua_settop(L, 1);
    return new_client(L, NULL, 0, 1, OMICS_OPT_CLIENT | OMICS_OPT_DRIVER);
}

static int l_client_gc(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LOMICS_CLIENT);
    omics_client_free(lc->c);
    omics_arena_free(lc->values);
    lc->c = NULL;
    lc->values = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, lc->log_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, lc->sleep_ref);
    lc->log_ref = lc->sleep_ref = LUA_NOREF;
    return 0;
}

static int l_client_tostring(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LOMICS_CLIENT);
    if (!lc->c) {
        lua_pushstring(L, "omics.client (closed)");
        return 1;
    }
    char line[512];
    lua_State *was = lp_enter(lc->prov, L);
    size_t n = omics_client_format(lc->c, line, sizeof line);
    lp_leave(lc->prov, was);
    lua_pushlstring(L, line, n < sizeof line ? n : sizeof line - 1);
    return 1;
}

/* ------------------------------------------------------------- sinks
 * Where a streaming payload goes: a function called with each chunk, an
 * open io file, or a path (the core's path sink: complete or absent). */

typedef struct lsink {
    lua_State *L;
    int fn; /* stack index of a function sink, or 0 */
    omics_sink sink;
} lsink;

/* A path sink owned by a userdata, so that an error that unwinds the call
 * still removes its temporary file. */
typedef struct lpartial {
    omics_path_sink *ps;
} lpartial;

static int l_partial_gc(lua_State *L)
{
    lpartial *pt = luaL_checkudata(L, 1, LOMICS_PARTIAL);
    omics_path_sink_finish(pt->ps, 0, NULL);
    pt->ps = NULL;
    return 0;
}

/* A new path sink for the path at idx, pushed; NULL (nothing pushed) with err. */
static lpartial *new_partial(lua_State *L, int idx, omics_error *err)
{
    size_t n;
    const char *path = lua_tolstring(L, idx, &n);
    lpartial *pt = lc_newuserdata(L, sizeof *pt);
    pt->ps = NULL;
    luaL_setmetatable(L, LOMICS_PARTIAL);
    if (!(pt->ps = omics_path_sink_open(path, n, err))) {
        lua_pop(L, 1);
        return NULL;
    }
    return pt;
}

/* Close a path sink: renamed into place when ok, else removed. */
static int finish_partial(lpartial *pt, int ok, omics_error *err)
{
    if (!pt)
        return 0;
    omics_path_sink *ps = pt->ps;
    pt->ps = NULL;
    return omics_path_sink_finish(ps, ok, err);
}

typedef struct lsink_chunk {
    const char *p;
    size_t n;
} lsink_chunk;

/* (fn, chunk as a light userdata) -> what fn returns */
static int sink_trampoline(lua_State *L)
{
    const lsink_chunk *chunk = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_pushlstring(L, chunk->p, chunk->n);
    lua_call(L, 1, 1);
    return 1;
}

static int sink_write(void *ud, const char *p, size_t n, char *errbuf, size_t errlen)
{
    lsink *ls = ud;
    lua_State *L = ls->L;
    lsink_chunk chunk = {p, n};
    push_trampoline(L, TR_SINK);
    lua_pushvalue(L, ls->fn);
    lua_pushlightuserdata(L, &chunk);
    if (lua_pcall(L, 2, 1, 0) != 0) {
        snprintf(errbuf, errlen, "the sink function raised: %s",
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "(an error object)");
        lua_pop(L, 1);
        return -1;
    }
    int refused = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (refused) {
        snprintf(errbuf, errlen, "the sink function returned false");
        return -1;
    }
    return 0;
}

/* The call options at idx ({ sink = ... }) of a call of op, checked by the
 * core; *sink is where the payload goes (NULL without one).  A path sink
 * pushes its owning userdata (*partial), a function stays on the stack
 * (ls->fn); a file pushes nothing. */
static int read_call_options(lua_State *L, int idx, const omics_op *op, omics_arena *a,
                             lsink *ls, const omics_sink **sink, lpartial **partial,
                             omics_error *err)
{
    *sink = NULL;
    *partial = NULL;
    memset(ls, 0, sizeof *ls);
    omics_value *v;
    if (convert(L, idx, a, 1, "call options", &v, err) || omics_call_options_check(op, v, err))
        return -1;
    if (!lua_istable(L, idx))
        return 0;
    if (lc_getfield(L, idx, "sink") == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    int sidx = lua_gettop(L);
    FILE *f = lc_tofile(L, sidx);
    if (lua_isfunction(L, sidx)) {
        ls->L = L;
        ls->fn = sidx; /* stays on the stack for the call */
        ls->sink.write = sink_write;
        ls->sink.ud = ls;
        *sink = &ls->sink;
    } else if (f) {
        omics_file_sink(&ls->sink, f);
        lua_pop(L, 1);
        *sink = &ls->sink;
    } else {
        lpartial *pt = new_partial(L, sidx, err);
        lua_remove(L, sidx); /* the path was copied */
        if (!pt)
            return -1;
        *partial = pt;
        *sink = omics_path_sink_sink(pt->ps);
    }
    return 0;
}

/* core.path_sink(path) -> a path sink for the Lua transports, with
 * :write(chunk) and :finish(ok); or nil, err. */
static int l_path_sink(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    luaL_checkstring(L, 1);
    if (!new_partial(L, 1, &err))
        return fail(L, &err);
    return 1;
}

static lpartial *check_partial(lua_State *L, int idx)
{
    lpartial *pt = luaL_checkudata(L, idx, LOMICS_PARTIAL);
    if (!pt->ps)
        luaL_error(L, "this path sink is finished");
    return pt;
}

/* sink:write(chunk) -> true, or nil and why */
static int l_partial_write(lua_State *L)
{
    const omics_sink *sink = omics_path_sink_sink(check_partial(L, 1)->ps);
    size_t n;
    const char *p = luaL_checklstring(L, 2, &n);
    char why[256] = "";
    if (sink->write(sink->ud, p, n, why, sizeof why) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* sink:finish(ok) -> true, or nil and err (the file completed, or removed) */
static int l_partial_finish(lua_State *L)
{
    lpartial *pt = luaL_checkudata(L, 1, LOMICS_PARTIAL);
    omics_error err;
    omics_error_init(&err);
    if (finish_partial(pt, lua_toboolean(L, 2), &err))
        return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* -------------------------------------------------------------- calls */

/* One omics_call, run under lua_pcall so that a builder which raises (out of
 * memory) unwinds to run_call, which marks the client idle before passing
 * the error on.  Arguments: the lcall, then the sink function or nil. */
typedef struct lcall {
    lclient *lc;
    const omics_op *op;
    const omics_value *params;
    lsink *ls; /* a function's sink, whose fn is moved to this frame */
    const omics_sink *sink; /* NULL without a sink */
    const omics_builder *b;
    omics_error *err;
    int has_data;
    int rc;
} lcall;

static int protected_call(lua_State *L)
{
    lcall *k = lua_touserdata(L, 1);
    if (k->ls->fn)
        k->ls->fn = 2; /* the sink function, in this frame */
    int top = lua_gettop(L);
    k->rc = omics_call(k->lc->c, k->op, k->params, k->sink, k->b, &k->has_data, k->err);
    return lua_gettop(L) - top; /* what the builder pushed */
}

/* Run op with the params at index 2 and the call options at index 3. */
static int run_call(lua_State *L, lclient *lc, const omics_op *op)
{
    omics_error err;
    omics_error_init(&err);
    omics_value *params;
    lua_settop(L, 3);
    lsink ls;
    const omics_sink *sink;
    lpartial *partial;
    if (read_call_options(L, 3, op, lc->values, &ls, &sink, &partial, &err))
        return fail(L, &err);
    if (params_value(L, 2, lc->values, &params, &err)) {
        finish_partial(partial, 0, NULL);
        return fail(L, &err);
    }
    int base = lua_gettop(L);
    omics_builder b;
    lua_builder(L, &b);
    lcall k = {lc, op, params, &ls, sink, &b, &err, 0, -1};
    lua_pushcfunction(L, protected_call);
    lua_pushlightuserdata(L, &k);
    if (ls.fn)
        lua_pushvalue(L, ls.fn);
    else
        lua_pushnil(L);
    lua_State *was = lp_enter(lc->prov, L);
    int status = lua_pcall(L, 2, LUA_MULTRET, 0);
    lp_leave(lc->prov, was);
    if (status != 0) {
        omics_client_unwound(lc->c);
        omics_error_clear(&err);
        finish_partial(partial, 0, NULL);
        return lua_error(L);
    }
    if (finish_partial(partial, k.rc == 0, &err)) {
        lua_settop(L, base);
        return fail(L, &err);
    }
    return built(L, k.rc, k.has_data, base, &err);
}

static int l_call(lua_State *L)
{
    lclient *lc;
    const omics_op *op = check_op(L, &lc);
    if (!op)
        return 2;
    lua_remove(L, 2); /* params move to index 2 */
    return run_call(L, lc, op);
}

/* An operation method: upvalue 1 is the operation's name. */
static int l_op_method(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const omics_op *op = omics_model_op(omics_client_model(lc->c),
                                        lua_tostring(L, lua_upvalueindex(1)));
    return run_call(L, lc, op);
}

/* core.check_call_options(client, op, opts) -> true, or nil and err: what a
 * Lua driver asks before it opens a sink */
static int l_check_call_options(lua_State *L)
{
    lclient *lc;
    const omics_op *op = check_op(L, &lc);
    if (!op)
        return 2;
    omics_error err;
    omics_error_init(&err);
    omics_value *v;
    if (convert(L, 3, lc->values, 1, "call options", &v, &err) ||
        omics_call_options_check(op, v, &err))
        return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.check_options("wait", opts) -> true, or nil and err: options the
 * Lua half applies itself, checked by the core's table */
static int l_check_options(lua_State *L)
{
    luaL_checkoption(L, 1, NULL, (const char *const[]){"wait", NULL});
    lua_settop(L, 2);
    omics_error err;
    omics_error_init(&err);
    omics_value *v;
    if (convert(L, 2, push_arena(L), 1, "options", &v, &err) ||
        omics_options_check(v, OMICS_OPT_WAIT, &err))
        return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.option_defaults("wait") -> { name = default }: the numbers */
static int l_option_defaults(lua_State *L)
{
    luaL_checkoption(L, 1, NULL, (const char *const[]){"wait", NULL});
    lua_newtable(L);
    for (size_t i = 0; i < omics_option_count(); i++) {
        const omics_option *o = omics_option_at(i);
        if ((o->scope & OMICS_OPT_WAIT) && o->dflt != 0) {
            lua_pushnumber(L, o->dflt);
            lua_setfield(L, -2, o->name);
        }
    }
    return 1;
}

/* ------------------------------------------------------------ exchange
 * core.exchange(client, op, params, path_sink, agent): the engine of one
 * call (omics_exchange) for the Lua drivers (nginx cosockets, a transport
 * function), which only move bytes:
 *
 *   local step, v = x:next()       -- "send", request | "wait", seconds
 *   step, v = x:answered(response, sink_bytes)  -- or x:failed(code, message,
 *                                  -- sink_bytes); then "wait",
 *                                  -- "done", result or "failed", err */

typedef struct lexchange {
    omics_exchange *x;
    omics_arena *values; /* the parameters' tree, a file payload's reader too */
    omics_builder b;
    lprovider *prov;
} lexchange;

static int l_exchange_gc(lua_State *L)
{
    lexchange *lx = luaL_checkudata(L, 1, LOMICS_EXCHANGE);
    omics_exchange_free(lx->x);
    omics_arena_free(lx->values);
    lx->x = NULL;
    lx->values = NULL;
    return 0;
}

/* The step as Lua values; what the builder pushed since base is the result
 * (done) or a modeled error's members (failed). */
static int push_step(lua_State *L, lexchange *lx, omics_step step, const omics_request *req,
                     double wait, int base)
{
    static const char *const names[] = {"", "send", "wait", "done", "failed"};
    if (step == OMICS_STEP_SEND) {
        omics_request_describe(req, &lx->b);
    } else if (step == OMICS_STEP_WAIT) {
        lua_settop(L, base);
        lua_pushnumber(L, wait);
    } else if (step == OMICS_STEP_DONE) {
        if (lua_gettop(L) == base)
            lua_pushnil(L); /* (the result was given once already) */
    } else {
        omics_error e;
        omics_error_init(&e);
        omics_exchange_take_error(lx->x, &e);
        if (omics_exchange_has_data(lx->x) && lua_gettop(L) > base)
            push_error(L, &e, -1);
        else {
            lua_settop(L, base);
            push_error(L, &e, 0);
        }
    }
    lua_pushstring(L, names[step]);
    lua_insert(L, -2);
    return 2;
}

static lexchange *check_exchange(lua_State *L)
{
    lexchange *lx = luaL_checkudata(L, 1, LOMICS_EXCHANGE);
    if (!lx->x)
        luaL_error(L, "this exchange is over");
    lx->b.ud = L; /* the builder pushes on the caller's stack */
    return lx;
}

static int l_exchange_next(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    int base = lua_gettop(L);
    const omics_request *req = NULL;
    double wait = 0;
    lua_State *was = lp_enter(lx->prov, L);
    omics_step step = omics_exchange_next(lx->x, &req, &wait);
    lp_leave(lx->prov, was);
    return push_step(L, lx, step, req, wait, base);
}

/* Report what the driver saw (resp, or NULL and err) and push the next step. */
static int report(lua_State *L, lexchange *lx, omics_response *resp, const omics_error *err,
                  lua_Number sink_bytes, int base)
{
    size_t n = sink_bytes > 0 ? (size_t)sink_bytes : 0;
    double wait = 0;
    lua_State *was = lp_enter(lx->prov, L);
    omics_step step = resp ? omics_exchange_answered(lx->x, resp, n, &wait)
                           : omics_exchange_failed(lx->x, err, n, &wait);
    lp_leave(lx->prov, was);
    return push_step(L, lx, step, NULL, wait, base);
}

/* A response from the table at idx, into arena a (boxed on the stack). */
static int response_value(lua_State *L, int idx, omics_response *resp, omics_error *err)
{
    omics_arena *a = push_arena(L);
    omics_value *v;
    return convert(L, idx, a, 1, "response", &v, err) ||
                   omics_response_from_value(resp, v, a, err)
               ? -1
               : 0;
}

/* x:answered({ status, headers, body, body_streamed }, sink_bytes); an
 * answer that cannot be read is the transport's failure */
static int l_exchange_answered(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Number sink_bytes = luaL_optnumber(L, 3, 0);
    lua_settop(L, 2);
    omics_error err;
    omics_error_init(&err);
    omics_response resp;
    int readable = response_value(L, 2, &resp, &err) == 0; /* its arena at 3 */
    if (!readable)
        err.kind = OMICS_ETRANSPORT;
    int n = report(L, lx, readable ? &resp : NULL, &err, sink_bytes, 3);
    omics_error_clear(&err);
    return n;
}

/* x:failed(code, message, sink_bytes); the core says whether it may pass */
static int l_exchange_failed(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    const char *code = luaL_checkstring(L, 2);
    const char *message = luaL_optstring(L, 3, "");
    lua_Number sink_bytes = luaL_optnumber(L, 4, 0);
    omics_error err;
    omics_error_init(&err);
    omics_error_set(&err, OMICS_ETRANSPORT, code, "%s", message);
    err.retryable = omics_transport_retryable(code);
    lua_settop(L, 1);
    int n = report(L, lx, NULL, &err, sink_bytes, 1);
    omics_error_clear(&err);
    return n;
}

/* core.exchange(client, op, params, path_sink or nil, agent or nil) */
static int l_exchange_new(lua_State *L)
{
    lclient *lc;
    const omics_op *op = check_op(L, &lc);
    if (!op)
        return 2;
    lua_settop(L, 5);
    omics_error err;
    omics_error_init(&err);
    const omics_sink *sink = lua_isnil(L, 4) ? NULL : omics_path_sink_sink(check_partial(L, 4)->ps);
    lexchange *lx = lc_newuserdata(L, sizeof *lx); /* at 6 */
    memset(lx, 0, sizeof *lx);
    luaL_setmetatable(L, LOMICS_EXCHANGE);
    /* the client, the parameters (their strings) and the sink live as long */
    lua_createtable(L, 3, 0);
    for (int i = 1; i <= 3; i++) {
        lua_pushvalue(L, i == 1 ? 1 : i + 1);
        lua_rawseti(L, -2, i);
    }
    lc_setuservalue(L, 6);
    lx->prov = lc->prov;
    if (!(lx->values = omics_arena_new(4096)))
        return luaL_error(L, "out of memory");
    omics_value *params;
    if (params_value(L, 3, lx->values, &params, &err))
        return fail(L, &err);
    lua_builder(L, &lx->b);
    lua_State *was = lp_enter(lx->prov, L);
    lx->x = omics_exchange_new(lc->c, op, params, sink, &lx->b, lua_tostring(L, 5), &err);
    lp_leave(lx->prov, was);
    if (!lx->x)
        return fail(L, &err);
    lua_settop(L, 6);
    return 1;
}

/* ------------------------------------------- prepare, sign, parse */

/* client:prepare(op, params) -> { method, path, query, host, url, headers, body } */
static int l_prepare(lua_State *L)
{
    lclient *lc;
    const omics_op *op = check_op(L, &lc);
    if (!op)
        return 2;
    omics_error err;
    omics_error_init(&err);
    omics_value *params;
    omics_request req;
    if (params_value(L, 3, lc->values, &params, &err) ||
        omics_prepare(lc->c, op, params, &req, &err))
        return fail(L, &err);
    omics_builder b;
    lua_builder(L, &b);
    omics_request_describe(&req, &b);
    return 1;
}

/* client:sign(req): the signature headers put into a prepared request. */
static int l_sign(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    omics_error err;
    omics_error_init(&err);
    omics_value *v;
    omics_request req;
    if (convert(L, 2, lc->values, 1, "req", &v, &err) ||
        omics_request_from_value(&req, v, lc->values, &err))
        return fail(L, &err);
    lua_State *was = lp_enter(lc->prov, L);
    int rc = omics_sign_request(lc->c, &req, &err);
    lp_leave(lc->prov, was);
    if (rc)
        return fail(L, &err);
    lua_createtable(L, 0, (int)req.nheaders);
    for (size_t i = 0; i < req.nheaders; i++) {
        lua_pushstring(L, req.headers[i].value);
        lua_setfield(L, -2, req.headers[i].name);
    }
    lua_setfield(L, 2, "headers");
    return 1;
}

static int l_parser_gc(lua_State *L)
{
    omics_parser **box = luaL_checkudata(L, 1, LOMICS_PARSER);
    omics_parser_free(*box);
    *box = NULL;
    return 0;
}

/* client:parse(op, { status, headers, body }) */
static int l_parse(lua_State *L)
{
    lclient *lc;
    const omics_op *op = check_op(L, &lc);
    if (!op)
        return 2;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    omics_error err;
    omics_error_init(&err);
    omics_response resp;
    if (response_value(L, 3, &resp, &err))
        return fail(L, &err);
    /* the parser is owned by a userdata so that a Lua error cannot leak it */
    omics_parser **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, LOMICS_PARSER);
    if (!(*box = omics_parser_new()))
        return luaL_error(L, "out of memory");
    int base = lua_gettop(L);
    omics_builder b;
    lua_builder(L, &b);
    int has_data = 0;
    int rc = omics_parse(*box, omics_client_model(lc->c), op, &resp, &b, &has_data, &err);
    return built(L, rc, has_data, base, &err);
}

/* ------------------------------------------------- the client's methods */

/* client:credentials() -> { access_key_id, provider, expiration }: never the secret */
static int l_credentials(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    omics_error err;
    omics_error_init(&err);
    const char *akid, *provider;
    double exp;
    lua_State *was = lp_enter(lc->prov, L);
    int rc = omics_client_identity(lc->c, &akid, &provider, &exp, &err);
    lp_leave(lc->prov, was);
    if (rc)
        return fail(L, &err);
    return push_identity(L, akid, provider, exp);
}

/* client:operations() -> { { name = "GetReferenceMetadata", method = "get_reference_metadata" }, ... } */
static int l_operations(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    omics_builder b;
    lua_builder(L, &b);
    omics_model_describe_ops(omics_client_model(lc->c), &b);
    return 1;
}

/* core.model_extra(client, "paginators" | "waiters") -> table */
static int l_model_extra(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *which = luaL_checkstring(L, 2);
    omics_error err;
    omics_error_init(&err);
    int base = lua_gettop(L);
    omics_builder b;
    lua_builder(L, &b);
    if (omics_model_extra(omics_client_model(lc->c), which, &b, &err) == 0)
        return 1;
    lua_settop(L, base);
    return fail(L, &err);
}

static int l_now(lua_State *L)
{
    lua_pushnumber(L, omics_now());
    return 1;
}

static int l_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s >= 0 && s <= 86400, 1, "seconds from 0 to 86400");
    omics_sleep((double)s);
    return 0;
}

/* core.limits(client) -> { timeout, connect_timeout, stall_timeout,
 * max_response_bytes, max_header_bytes, transport, keepalive_pool_size,
 * keepalive_timeout }: what every driver holds an attempt to, defaults applied */
static int l_limits(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    omics_limits l;
    omics_client_limits(lc->c, &l);
    omics_builder b;
    lua_builder(L, &b);
    omics_limits_describe(&l, &b);
    lua_pushstring(L, lc->transport);
    lua_setfield(L, -2, "transport");
    lua_pushnumber(L, lc->keepalive_pool_size);
    lua_setfield(L, -2, "keepalive_pool_size");
    lua_pushnumber(L, lc->keepalive_timeout);
    lua_setfield(L, -2, "keepalive_timeout");
    return 1;
}

/* core.too_large(client, headers, streaming) -> the ResponseTooLarge message
 * a Lua driver reports, worded as libcurl's */
static int l_too_large(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    omics_limits l;
    omics_client_limits(lc->c, &l);
    omics_error err;
    omics_error_init(&err);
    omics_too_large(&err, &l, lua_toboolean(L, 2), lua_toboolean(L, 3));
    lua_pushstring(L, err.message ? err.message : "");
    omics_error_clear(&err);
    return 1;
}

/* core.error{ code = ..., message = ..., ... }: a table with the error
 * metatable, for errors made in Lua (waiters, paginators). */
static int l_error(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setmetatable(L, LOMICS_ERROR);
    return 1;
}

static int l_close(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LOMICS_CLIENT);
    if (lc->c && omics_client_busy(lc->c))
        return luaL_error(L, "this omics client is in the middle of a call: it cannot be closed "
                             "from its own sink, log or credentials function");
    return l_client_gc(L);
}

static const luaL_Reg client_methods[] = {
    {"call", l_call},   {"prepare", l_prepare}, {"sign", l_sign},
    {"parse", l_parse}, {"close", l_close},     {"credentials", l_credentials},
    {"operations", l_operations}, {NULL, NULL}};

/* Any method of a closed client: upvalue 1 is its name. */
static int l_closed_method(lua_State *L)
{
    return luaL_error(L, "this omics client is closed (client:%s cannot be called after "
                         "client:close())",
                      lua_tostring(L, lua_upvalueindex(1)));
}

/* client.<key> for a key that is neither a method nor an operation: raise,
 * naming the closest method or operation (as botocore's AttributeError
 * names the missing attribute), instead of Lua's bare "attempt to call a
 * nil value". */
static int unknown_method(lua_State *L, lclient *lc, const char *key)
{
    const char *methods[64];
    size_t n = 0;
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods"); /* anchors the names */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING && n < 64)
            methods[n++] = lua_tostring(L, -1);
    }
    const char *best = omics_model_suggest(omics_client_model(lc->c), key, methods, n);
    if (best)
        return luaL_error(L, "omics.client has no method %s (did you mean %s?)", key, best);
    return luaL_error(L, "omics.client has no method %s (client:operations() lists the "
                         "operations)",
                      key);
}

/* __index: the methods above, then one method per operation (snake_case). */
static int l_client_index(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LOMICS_CLIENT);
    const char *key = luaL_checkstring(L, 2);
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, key);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 3);
    if (!lc->c) {
        /* whatever it was, a method of a closed client says so when called */
        lua_pushvalue(L, 2);
        lua_pushcclosure(L, l_closed_method, 1);
        return 1;
    }
    lc_getuservalue(L, 1);
    lua_getfield(L, -1, "methods");
    lua_getfield(L, -1, key);
    if (!lua_isnil(L, -1))
        return 1;
    lua_pop(L, 1);
    const omics_op *op = omics_model_op_snake(omics_client_model(lc->c), key);
    if (!op)
        return unknown_method(L, lc, key);
    if (lc->lua_methods) {
        /* a Lua function from omics.lua's factory: calls through it can yield
         * (cosockets), which a C function cannot do under LuaJIT */
        lua_getfield(L, LUA_REGISTRYINDEX, LOMICS_FACTORY);
        lua_pushstring(L, omics_op_name(op));
        lua_call(L, 1, 1);
    } else {
        lua_pushstring(L, omics_op_name(op));
        lua_pushcclosure(L, l_op_method, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, key);
    return 1;
}

/* core.use_lua_methods(client): operation methods come from the factory. */
static int l_use_lua_methods(lua_State *L)
{
    check_client(L, 1)->lua_methods = 1;
    return 0;
}

/* core.set_method_factory(fn): fn(op_name) returns a method for op_name. */
static int l_set_method_factory(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_settop(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, LOMICS_FACTORY);
    return 0;
}

/* --------------------------------------------------------------- model */

static int l_model_gc(lua_State *L)
{
    lmodel *lm = luaL_checkudata(L, 1, LOMICS_MODEL);
    omics_model_free(lm->m);
    lm->m = NULL;
    return 0;
}

/* The text of the JSON string or table (written as JSON) at idx, replaced
 * by the text; NULL if nil. */
static const char *json_arg(lua_State *L, int idx, size_t *len, omics_arena *a, omics_error *err,
                            int *bad)
{
    omics_value *v;
    char *text;
    if (*bad || lua_isnoneornil(L, idx))
        return NULL;
    if (lua_type(L, idx) == LUA_TSTRING)
        return lua_tolstring(L, idx, len);
    if (!lua_istable(L, idx)) {
        *bad = omics_error_set(err, OMICS_ECONFIG, "InvalidModel",
                               "a model is a JSON string or a table, got %s", luaL_typename(L, idx));
        return NULL;
    }
    if ((*bad = convert(L, idx, a, 0, "model", &v, err) || omics_value_to_json(v, &text, len, err)))
        return NULL;
    lua_pushlstring(L, text, *len);
    free(text);
    lua_replace(L, idx);
    return lua_tostring(L, idx);
}

/* omics.service(model, opts): a client for any botocore rest-json model;
 * its paginators and waiters ride in the options. */
static int l_service(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    lua_settop(L, 2);
    omics_arena *a = push_arena(L); /* at 3 */
    int opts = lua_istable(L, 2);
    lua_pushnil(L);
    lua_pushnil(L);
    if (opts) {
        lua_getfield(L, 2, "paginators");
        lua_replace(L, 4);
        lua_getfield(L, 2, "waiters");
        lua_replace(L, 5);
    }
    size_t sl = 0, pl = 0, wl = 0;
    int bad = 0;
    const char *svc = json_arg(L, 1, &sl, a, &err, &bad);
    const char *pag = json_arg(L, 4, &pl, a, &err, &bad);
    const char *wai = json_arg(L, 5, &wl, a, &err, &bad);
    if (!bad && !svc)
        bad = omics_error_set(&err, OMICS_ECONFIG, "InvalidModel", "omics.service needs a model");
    if (bad)
        return fail(L, &err);
    lmodel *lm = lc_newuserdata(L, sizeof *lm);
    lm->m = NULL;
    luaL_setmetatable(L, LOMICS_MODEL);
    if (!(lm->m = omics_model_load(svc, sl, pag, pl, wai, wl, &err)))
        return fail(L, &err);
    return new_client(L, lm->m, lua_gettop(L), 2,
                      OMICS_OPT_CLIENT | OMICS_OPT_DRIVER | OMICS_OPT_MODEL);
}

/* -------------------------------------------------------------- sigv4 */

static int l_signer_gc(lua_State *L)
{
    omics_signer **box = lua_touserdata(L, 1);
    omics_signer_free(*box);
    *box = NULL;
    return 0;
}

/* omics.sigv4.sign(req) */
static int l_sigv4_sign(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    omics_error err;
    omics_error_init(&err);
    omics_credentials creds;
    memset(&creds, 0, sizeof creds);
    omics_arena *a = push_arena(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LOMICS_SIGNER_KEY);
    omics_signer **signer = lua_touserdata(L, -1);
    omics_value *v;
    omics_sign_params p;
    omics_signature sig;
    int rc = convert(L, 1, a, 1, "req", &v, &err) ||
             omics_sign_params_from_value(&p, &creds, v, a, &err) ||
             omics_sign(*signer, &p, &sig, &err);
    omics_credentials_clear(&creds);
    if (rc)
        return fail(L, &err);
    omics_builder b;
    lua_builder(L, &b);
    omics_signature_describe(&sig, &b);
    return 1;
}

/* -------------------------------------------------------------- module */

static void new_type(lua_State *L, const char *name, lua_CFunction gc, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}

LOMICS_EXPORT int luaopen_omics_core(lua_State *L);

/* require "omics.core": the C half.  require "omics" (omics.lua) adds the
 * parts that must be able to yield: paginators and waiters. */
LOMICS_EXPORT int luaopen_omics_core(lua_State *L)
{
    for (int i = 0; i < TR_COUNT; i++) {
        lua_pushlightuserdata(L, (void *)&trampolines[i]);
        lua_pushcfunction(L, trampolines[i]);
        lua_rawset(L, LUA_REGISTRYINDEX);
    }
    luaL_newmetatable(L, LOMICS_CLIENT);
    lua_pushcfunction(L, l_client_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_client_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_close); /* refuses a client in the middle of a call */
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, l_client_tostring);
    lua_setfield(L, -2, "__tostring");
    luaL_newlib(L, client_methods);
    lua_setfield(L, -2, "methods");
    lua_pop(L, 1);

    static const luaL_Reg exchange_methods[] = {{"next", l_exchange_next},
                                                {"answered", l_exchange_answered},
                                                {"failed", l_exchange_failed},
                                                {NULL, NULL}};
    static const luaL_Reg partial_methods[] = {
        {"write", l_partial_write}, {"finish", l_partial_finish}, {NULL, NULL}};
    static const luaL_Reg provider_methods[] = {{"credentials", l_provider_credentials},
                                                {NULL, NULL}};
    new_type(L, LOMICS_MODEL, l_model_gc, NULL);
    new_type(L, LOMICS_PARSER, l_parser_gc, NULL);
    new_type(L, LOMICS_ARENA, l_arena_gc, NULL);
    new_type(L, LOMICS_SIGNER, l_signer_gc, NULL);
    new_type(L, LOMICS_PARTIAL, l_partial_gc, partial_methods);
    new_type(L, LOMICS_EXCHANGE, l_exchange_gc, exchange_methods);
    new_type(L, LOMICS_PROVIDER, l_provider_gc, provider_methods);
    luaL_getmetatable(L, LOMICS_PROVIDER);
    lua_pushcfunction(L, l_provider_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, LOMICS_ERROR);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    /* one signer (and signing-key cache) per Lua state, for omics.sigv4.sign */
    omics_signer **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, LOMICS_SIGNER);
    if (!(*box = omics_signer_new()))
        return luaL_error(L, "out of memory");
    lua_setfield(L, LUA_REGISTRYINDEX, LOMICS_SIGNER_KEY);

    static const luaL_Reg fns[] = {{"new", l_new},
                                   {"service", l_service},
                                   {"provider", l_provider},
                                   {"model_extra", l_model_extra},
                                   {"now", l_now},
                                   {"sleep", l_sleep},
                                   {"error", l_error},
                                   {"call", l_call},
                                   {"use_lua_methods", l_use_lua_methods},
                                   {"set_method_factory", l_set_method_factory},
                                   {"limits", l_limits},
                                   {"too_large", l_too_large},
                                   {"path_sink", l_path_sink},
                                   {"exchange", l_exchange_new},
                                   {"check_call_options", l_check_call_options},
                                   {"check_options", l_check_options},
                                   {"option_defaults", l_option_defaults},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    lua_newtable(L);
    lua_pushcfunction(L, l_sigv4_sign);
    lua_setfield(L, -2, "sign");
    lua_setfield(L, -2, "sigv4");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pushstring(L, OMICS_VERSION);
    lua_setfield(L, -2, "VERSION");
    luaL_getmetatable(L, LOMICS_CLIENT);
    lua_getfield(L, -1, "methods");
    lua_setfield(L, -3, "methods");
    lua_pop(L, 1);
    return 1;
}
