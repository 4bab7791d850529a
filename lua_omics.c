/* lua_omics.c: the Lua binding of the lua-omics core: the client, its calls
 * and methods, omics.service, omics.sigv4.sign and the module.
 *
 * Lua values in, Lua tables out, callbacks: Lua values become the core's
 * value trees (one converter), the core's results and records become Lua
 * tables (one builder), and Lua functions become the core's callbacks
 * (lua_omics.h lists the files).  Options, defaults, limits, messages and
 * every other rule are the core's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_omics.h"

#if defined(__GNUC__)
#define LOMICS_EXPORT __attribute__((visibility("default")))
#else
#define LOMICS_EXPORT
#endif

/* ------------------------------------------------------------- client */

/* The client at idx, open, and not in the middle of a call. */
lclient *lo_check_client(lua_State *L, int idx)
{
    lclient *lc = luaL_checkudata(L, idx, LOMICS_CLIENT);
    if (!lc->c)
        luaL_error(L, "this omics client is closed");
    if (lc->in_event)
        luaL_error(L, "this omics client is running its event handlers: a handler may not use "
                      "it (use a second client)");
    if (omics_client_busy(lc->c))
        luaL_error(L, "this omics client is in the middle of a call (its own sink, log or "
                      "credentials function used it): use a second client");
    return lc;
}

/* The operation named at index 2 of the client at 1; NULL with nil, err
 * pushed when the model has none. */
const omics_op *lo_check_op(lua_State *L, lclient **lc)
{
    *lc = lo_check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const omics_model *m = omics_client_model((*lc)->c);
    const omics_op *op = omics_model_op(m, name);
    if (!op && !(op = omics_model_op_snake(m, name))) {
        omics_error err;
        omics_error_init(&err);
        omics_error_set(&err, OMICS_EUSAGE, "UnknownOperationError",
                        "the service has no operation %s", name);
        lv_fail(L, &err);
    }
    return op;
}

/* (fn, level, message as a light userdata) */
int lo_log_trampoline(lua_State *L)
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
    lv_push_trampoline(L, TR_LOG);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lc->log_ref);
    lua_pushinteger(L, level);
    lua_pushlightuserdata(L, (void *)message);
    if (lua_pcall(L, 3, 0, 0) != 0)
        lua_pop(L, 1); /* a failing log function must not fail the call */
}

/* ------------------------------------------------------------- events */

/* (v) -> v as text, __tostring and all */
static int to_text(lua_State *L)
{
    lua_settop(L, 1);
    if (luaL_callmeta(L, 1, "__tostring"))
        return 1;
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER)
        lua_pushvalue(L, 1);
    else if (lua_isnil(L, 1) || lua_type(L, 1) == LUA_TBOOLEAN)
        lua_pushstring(L, lua_isnil(L, 1) ? "nil" : lua_toboolean(L, 1) ? "true" : "false");
    else
        lua_pushfstring(L, "%s: %p", luaL_typename(L, 1), lua_topointer(L, 1));
    return 1;
}

/* (handlers { event = { fn, ... } }, event as a light userdata) -> nil, or
 * the first handler's error as text.  Every handler of the event runs, each
 * under its own pcall: one that raises does not keep the others from it. */
int lo_event_trampoline(lua_State *L)
{
    const omics_event *ev = lua_touserdata(L, 2);
    lua_settop(L, 2);
    lua_getfield(L, 1, omics_event_name(ev->type)); /* 3: the handlers */
    int n = lua_istable(L, 3) ? (int)lua_rawlen(L, 3) : 0;
    if (n == 0)
        return 0;
    omics_builder b;
    lv_builder(L, &b);
    if (omics_event_describe(ev, &b)) /* 4: the event's table */
        return luaL_error(L, "no room on the Lua stack for the event");
    lua_pushnil(L); /* 5: the first error */
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, 3, i);
        lua_pushvalue(L, 4);
        if (lua_pcall(L, 1, 0, 0) == 0)
            continue;
        if (!lua_isnil(L, 5)) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushcfunction(L, to_text);
        lua_insert(L, -2);
        if (lua_pcall(L, 1, 1, 0) != 0 || lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 1);
            lua_pushliteral(L, "an error whose __tostring raised");
        }
        lua_replace(L, 5);
    }
    return 1;
}

/* The core's event handler: client:on's functions, in the state of the
 * call in progress; what they raise comes back as why. */
static int lc_event(void *ud, const omics_event *ev, char *why, size_t whylen)
{
    lclient *lc = ud;
    lua_State *L = lc->prov ? lc->prov->L : NULL;
    if (!L || lc->events_ref == LUA_NOREF)
        return 0;
    if (!lua_checkstack(L, 8)) {
        snprintf(why, whylen, "no room on the Lua stack");
        return -1;
    }
    int top = lua_gettop(L);
    lv_push_trampoline(L, TR_EVENT);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lc->events_ref);
    lua_pushlightuserdata(L, (void *)ev);
    lc->in_event++;
    int status = lua_pcall(L, 2, 1, 0);
    lc->in_event--;
    int rc = 0;
    if (status != 0 || !lua_isnil(L, -1)) {
        snprintf(why, whylen, "%s",
                 lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "an error that is not text");
        rc = -1;
    }
    lua_settop(L, top);
    return rc;
}

static const char *const event_names[] = {"before_send", "after_attempt", "after_call", NULL};

/* The event named at idx, as an index of event_names; raises naming them. */
static int check_event(lua_State *L, int idx)
{
    const char *name = luaL_checkstring(L, idx);
    for (int i = 0; event_names[i]; i++)
        if (strcmp(name, event_names[i]) == 0)
            return i;
    lua_pushfstring(L, "%s", name);
    return luaL_error(L, "client events: no event %s (before_send, after_attempt or after_call)",
                      luaL_gsub(L, lua_tostring(L, -1), "\n", " "));
}

/* client:on(event, fn) -> fn: fn(ev) runs at each such event of the
 * client's calls, after the handlers added before it. */
static int l_on(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    int which = check_event(L, 2);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    lua_settop(L, 3);
    if (lc->events_ref == LUA_NOREF) {
        lua_newtable(L);
        lc->events_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        omics_client_on_event(lc->c, lc_event, lc);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, lc->events_ref);
    lua_getfield(L, -1, event_names[which]);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, event_names[which]);
    }
    lua_pushvalue(L, 3);
    lua_rawseti(L, -2, (int)lua_rawlen(L, -2) + 1);
    lua_settop(L, 3);
    return 1;
}

/* client:off(event[, fn]) -> how many handlers were removed: fn, or every
 * handler of the event. */
static int l_off(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    int which = check_event(L, 2);
    if (!lua_isnoneornil(L, 3))
        luaL_checktype(L, 3, LUA_TFUNCTION);
    lua_settop(L, 3);
    int removed = 0;
    if (lc->events_ref != LUA_NOREF) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, lc->events_ref); /* 4 */
        lua_getfield(L, 4, event_names[which]);            /* 5 */
        lua_newtable(L);                                   /* 6: those kept */
        int n = lua_istable(L, 5) ? (int)lua_rawlen(L, 5) : 0, kept = 0;
        for (int i = 1; i <= n; i++) {
            lua_rawgeti(L, 5, i);
            if (lua_isnil(L, 3) || lua_rawequal(L, -1, 3)) {
                lua_pop(L, 1);
                removed++;
            } else {
                lua_rawseti(L, 6, ++kept);
            }
        }
        lua_setfield(L, 4, event_names[which]);
    }
    lua_pushinteger(L, removed);
    return 1;
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
                      unsigned scope, int defer)
{
    omics_error err;
    omics_error_init(&err);
    omics_options o;
    if (lp_read_options(L, opts_idx, scope, &o, &err) ||
        (!model && !(model = omics_model_builtin(&err)))) {
        omics_options_clear(&o);
        return lv_fail(L, &err);
    }
    /* the provider: shared (the credentials option), or the client's own */
    lprovider *lp = NULL;
    if (o.client.provider) {
        lua_getfield(L, opts_idx, "credentials");
        lp = lua_touserdata(L, -1);
    } else {
        lp = lp_new(L, opts_idx, &o.provider, &err);
    }
    omics_options_clear(&o);
    if (!lp)
        return lv_fail(L, &err);
    int pidx = lua_gettop(L);
    o.client.provider = lp->p;
    o.client.credentials = NULL;
    o.client.user_agent_extra = LC_RUNTIME;
    o.client.defer_credentials = defer;
    lclient *lc = lc_newuserdata(L, sizeof *lc);
    memset(lc, 0, sizeof *lc);
    lc->prov = lp;
    lc->log_ref = lc->sleep_ref = lc->events_ref = LUA_NOREF;
    luaL_setmetatable(L, LOMICS_CLIENT);
    snprintf(lc->transport, sizeof lc->transport, "%s", o.transport ? o.transport : "function");
    lc->keepalive_pool_size = o.keepalive_pool_size;
    lc->keepalive_timeout = o.keepalive_timeout;
    if ((lc->sleep_ref = lp_ref_function(L, opts_idx, "sleep")) != LUA_NOREF) {
        o.client.sleep = lc_sleep;
        o.client.sleep_ud = lc;
    }
    if ((lc->log_ref = lp_ref_function(L, opts_idx, "log")) != LUA_NOREF) {
        o.client.log = lc_log;
        o.client.log_ud = lc;
    }
    lua_State *was = lp_enter(lp, L);
    lc->c = omics_client_new(model, &o.client, &err);
    lp_leave(lp, was);
    if (!lc->c)
        return lv_fail(L, &err);
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

/* core.new(opts, defer): defer, the credentials are looked for by the
 * caller (a driver stepping the provider) */
static int l_new(lua_State *L)
{
    int defer = lua_toboolean(L, 2);
    lua_settop(L, 1);
    return new_client(L, NULL, 0, 1, OMICS_OPT_CLIENT | OMICS_OPT_DRIVER, defer);
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
    luaL_unref(L, LUA_REGISTRYINDEX, lc->events_ref);
    lc->log_ref = lc->sleep_ref = lc->events_ref = LUA_NOREF;
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
    if (ls_read_call_options(L, 3, op, lc->values, &ls, &sink, &partial, &err))
        return lv_fail(L, &err);
    if (lv_params_value(L, 2, lc->values, &params, &err)) {
        ls_finish(partial, 0, NULL);
        return lv_fail(L, &err);
    }
    int base = lua_gettop(L);
    omics_builder b;
    lv_builder(L, &b);
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
        ls_finish(partial, 0, NULL);
        return lua_error(L);
    }
    if (ls_finish(partial, k.rc == 0, &err)) {
        lua_settop(L, base);
        return lv_fail(L, &err);
    }
    return lv_built(L, k.rc, k.has_data, base, &err);
}

static int l_call(lua_State *L)
{
    lclient *lc;
    const omics_op *op = lo_check_op(L, &lc);
    if (!op)
        return 2;
    lua_remove(L, 2); /* params move to index 2 */
    return run_call(L, lc, op);
}

/* An operation method: upvalue 1 is the operation's name. */
static int l_op_method(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    const omics_op *op = omics_model_op(omics_client_model(lc->c),
                                        lua_tostring(L, lua_upvalueindex(1)));
    return run_call(L, lc, op);
}

/* core.check_call_options(client, op, opts) -> true, or nil and err: what a
 * Lua driver asks before it opens a sink */
static int l_check_call_options(lua_State *L)
{
    lclient *lc;
    const omics_op *op = lo_check_op(L, &lc);
    if (!op)
        return 2;
    omics_error err;
    omics_error_init(&err);
    omics_value *v;
    if (lv_convert(L, 3, lc->values, 1, "call options", &v, &err) ||
        omics_call_options_check(op, v, &err))
        return lv_fail(L, &err);
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
    if (lv_convert(L, 2, lv_push_arena(L), 1, "options", &v, &err) ||
        omics_options_check(v, OMICS_OPT_WAIT, &err))
        return lv_fail(L, &err);
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
/* ------------------------------------------- prepare, sign, parse */

/* client:prepare(op, params) -> { method, path, query, host, url, headers, body } */
static int l_prepare(lua_State *L)
{
    lclient *lc;
    const omics_op *op = lo_check_op(L, &lc);
    if (!op)
        return 2;
    omics_error err;
    omics_error_init(&err);
    omics_value *params;
    omics_request req;
    if (lv_params_value(L, 3, lc->values, &params, &err) ||
        omics_prepare(lc->c, op, params, &req, &err))
        return lv_fail(L, &err);
    omics_builder b;
    lv_builder(L, &b);
    omics_request_describe(&req, &b);
    return 1;
}

/* client:sign(req): the signature headers put into a prepared request. */
static int l_sign(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    omics_error err;
    omics_error_init(&err);
    omics_value *v;
    omics_request req;
    if (lv_convert(L, 2, lc->values, 1, "req", &v, &err) ||
        omics_request_from_value(&req, v, lc->values, &err))
        return lv_fail(L, &err);
    lua_State *was = lp_enter(lc->prov, L);
    int rc = omics_sign_request(lc->c, &req, &err);
    lp_leave(lc->prov, was);
    if (rc)
        return lv_fail(L, &err);
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
    const omics_op *op = lo_check_op(L, &lc);
    if (!op)
        return 2;
    luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    omics_error err;
    omics_error_init(&err);
    omics_response resp;
    if (lv_response_value(L, 3, &resp, &err))
        return lv_fail(L, &err);
    /* the parser is owned by a userdata so that a Lua error cannot leak it */
    omics_parser **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, LOMICS_PARSER);
    if (!(*box = omics_parser_new()))
        return luaL_error(L, "out of memory");
    int base = lua_gettop(L);
    omics_builder b;
    lv_builder(L, &b);
    int has_data = 0;
    int rc = omics_parse(*box, omics_client_model(lc->c), op, &resp, &b, &has_data, &err);
    return lv_built(L, rc, has_data, base, &err);
}

/* ------------------------------------------------- the client's methods */

/* client:credentials() -> { access_key_id, provider, expiration }: never the secret */
static int l_credentials(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    omics_error err;
    omics_error_init(&err);
    const char *akid, *provider;
    double exp;
    lua_State *was = lp_enter(lc->prov, L);
    int rc = omics_client_identity(lc->c, &akid, &provider, &exp, &err);
    lp_leave(lc->prov, was);
    if (rc)
        return lv_fail(L, &err);
    return lp_push_identity(L, akid, provider, exp);
}

/* client:operations() -> { { name = "GetReferenceMetadata", method = "get_reference_metadata" }, ... } */
static int l_operations(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    omics_builder b;
    lv_builder(L, &b);
    omics_model_describe_ops(omics_client_model(lc->c), &b);
    return 1;
}

/* The model of the client at idx, or the built-in one where idx is nil
 * (what reads the model without calling needs no client); NULL with the
 * error in err. */
static const omics_model *model_arg(lua_State *L, int idx, omics_error *err)
{
    if (lua_isnoneornil(L, idx))
        return omics_model_builtin(err);
    return omics_client_model(lo_check_client(L, idx)->c);
}

/* core.model_extra(client or nil, "paginators" | "waiters") -> table */
static int l_model_extra(lua_State *L)
{
    const char *which = luaL_checkstring(L, 2);
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = model_arg(L, 1, &err);
    if (!m)
        return lv_fail(L, &err);
    int base = lua_gettop(L);
    omics_builder b;
    lv_builder(L, &b);
    if (omics_model_extra(m, which, &b, &err) == 0)
        return 1;
    lua_settop(L, base);
    return lv_fail(L, &err);
}

/* core.describe_model(client or nil) -> the operations, as
 * client:operations(); core.describe_model(client or nil, name) -> the
 * operation (API or snake_case name) with the shapes it reaches, or nil
 * when the model has no such operation (omics_model_describe_op) */
static int l_describe_model(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = model_arg(L, 1, &err);
    if (!m)
        return lv_fail(L, &err);
    omics_builder b;
    int base = lua_gettop(L);
    if (lua_isnoneornil(L, 2)) {
        lv_builder(L, &b);
        if (omics_model_describe_ops(m, &b) == 0)
            return 1;
        lua_settop(L, base);
        return luaL_error(L, "out of memory");
    }
    const char *name = luaL_checkstring(L, 2);
    const omics_op *op = omics_model_op(m, name);
    if (!op && !(op = omics_model_op_snake(m, name))) {
        lua_pushnil(L);
        return 1;
    }
    lv_builder(L, &b);
    if (omics_model_describe_op(m, op, &b, &err) == 0)
        return 1;
    lua_settop(L, base);
    return lv_fail(L, &err);
}

/* core.refuse_blocking(where or nil): the string stays referenced in the
 * registry while it is in force */
static int l_refuse_blocking(lua_State *L)
{
    static const char key = 0;
    lua_settop(L, 1);
    const char *where = lua_isnil(L, 1) ? NULL : luaL_checkstring(L, 1);
    lua_pushlightuserdata(L, (void *)&key);
    lua_pushvalue(L, 1);
    lua_rawset(L, LUA_REGISTRYINDEX);
    omics_refuse_blocking(where);
    return 0;
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
    lclient *lc = lo_check_client(L, 1);
    omics_limits l;
    omics_client_limits(lc->c, &l);
    omics_builder b;
    lv_builder(L, &b);
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
    lclient *lc = lo_check_client(L, 1);
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
    if (lc->c && (omics_client_busy(lc->c) || lc->in_event))
        return luaL_error(L, "this omics client is in the middle of a call: it cannot be closed "
                             "from its own sink, log or credentials function (or an event handler)");
    return l_client_gc(L);
}

static const luaL_Reg client_methods[] = {
    {"call", l_call},   {"prepare", l_prepare}, {"sign", l_sign},
    {"parse", l_parse}, {"close", l_close},     {"credentials", l_credentials},
    {"operations", l_operations}, {"on", l_on}, {"off", l_off}, {NULL, NULL}};

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
    lo_check_client(L, 1)->lua_methods = 1;
    /* the C methods made so far are forgotten: the next ones come from the factory */
    lc_getuservalue(L, 1);
    lua_newtable(L);
    lua_setfield(L, -2, "methods");
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
    if ((*bad = lv_convert(L, idx, a, 0, "model", &v, err) || omics_value_to_json(v, &text, len, err)))
        return NULL;
    lua_pushlstring(L, text, *len);
    free(text);
    lua_replace(L, idx);
    return lua_tostring(L, idx);
}

/* omics.service(model, opts): a client for any botocore rest-json model;
 * its paginators and waiters ride in the options.  (core.service(model,
 * opts, defer): as core.new's defer) */
static int l_service(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    int defer = lua_toboolean(L, 3);
    lua_settop(L, 2);
    omics_arena *a = lv_push_arena(L); /* at 3 */
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
        return lv_fail(L, &err);
    lmodel *lm = lc_newuserdata(L, sizeof *lm);
    lm->m = NULL;
    luaL_setmetatable(L, LOMICS_MODEL);
    if (!(lm->m = omics_model_load(svc, sl, pag, pl, wai, wl, &err)))
        return lv_fail(L, &err);
    return new_client(L, lm->m, lua_gettop(L), 2,
                      OMICS_OPT_CLIENT | OMICS_OPT_DRIVER | OMICS_OPT_MODEL, defer);
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
    omics_arena *a = lv_push_arena(L);
    lua_getfield(L, LUA_REGISTRYINDEX, LOMICS_SIGNER_KEY);
    omics_signer **signer = lua_touserdata(L, -1);
    omics_value *v;
    omics_sign_params p;
    omics_signature sig;
    int rc = lv_convert(L, 1, a, 1, "req", &v, &err) ||
             omics_sign_params_from_value(&p, &creds, v, a, &err) ||
             omics_sign(*signer, &p, &sig, &err);
    omics_credentials_clear(&creds);
    if (rc)
        return lv_fail(L, &err);
    omics_builder b;
    lv_builder(L, &b);
    omics_signature_describe(&sig, &b);
    return 1;
}

/* -------------------------------------------------------------- module */


LOMICS_EXPORT int luaopen_omics_core(lua_State *L);

/* require "omics.core": the C half.  require "omics" (omics.lua) adds the
 * parts that must be able to yield: paginators and waiters. */
LOMICS_EXPORT int luaopen_omics_core(lua_State *L)
{
    lv_open(L);
    lp_open(L);
    ls_open(L);
    lx_open(L);
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

    lv_new_type(L, LOMICS_MODEL, l_model_gc, NULL);
    lv_new_type(L, LOMICS_PARSER, l_parser_gc, NULL);
    lv_new_type(L, LOMICS_SIGNER, l_signer_gc, NULL);
    lm_open(L);
    ld_open(L);
    lu_open(L);

    /* one signer (and signing-key cache) per Lua state, for omics.sigv4.sign */
    omics_signer **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, LOMICS_SIGNER);
    if (!(*box = omics_signer_new()))
        return luaL_error(L, "out of memory");
    lua_setfield(L, LUA_REGISTRYINDEX, LOMICS_SIGNER_KEY);

    static const luaL_Reg fns[] = {{"new", l_new},
                                   {"service", l_service},
                                   {"provider", lp_provider},
                                   {"model_extra", l_model_extra},
                                   {"describe_model", l_describe_model},
                                   {"now", l_now},
                                   {"refuse_blocking", l_refuse_blocking},
                                   {"sleep", l_sleep},
                                   {"error", l_error},
                                   {"call", l_call},
                                   {"call_many", lm_call_many},
                                   {"check_call", lm_check_call},
                                   {"many_options", lm_many_options},
                                   {"use_lua_methods", l_use_lua_methods},
                                   {"set_method_factory", l_set_method_factory},
                                   {"limits", l_limits},
                                   {"too_large", l_too_large},
                                   {"path_sink", ls_path_sink},
                                   {"sink_refusal", ls_refusal},
                                   {"exchange", lx_new},
                                   {"download", ld_new},
                                   {"is_part_sink", ld_is_part_sink},
                                   {"upload", lu_new},
                                   {"check_call_options", l_check_call_options},
                                   {"check_options", l_check_options},
                                   {"option_defaults", l_option_defaults},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    lst_open(L);
    lcr_open(L);
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

