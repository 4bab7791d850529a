/* lua_exchange.c: core.exchange(client, op, params, path_sink, agent): the engine of one
 * call (omics_exchange) for the Lua drivers (nginx cosockets, a transport
 * function), which only move bytes:
 *
 *   local step, v = x:next()       -- "send", request | "wait", seconds
 *   step, v = x:answered(response, sink_bytes)  -- or x:failed(code, message,
 *                                  -- sink_bytes); then "wait",
 *                                  -- "done", result or "failed", err */
#include <stdlib.h>
#include <string.h>

#include "lua_omics.h"

typedef struct lexchange {
    omics_exchange *x;
    omics_arena *values; /* the parameters' tree, a file payload's reader too */
    omics_builder b;
    lprovider *prov;
    int wire; /* a driver of raw bytes (x:receive), with a sink or not */
    int sink;
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

static int push_step(lua_State *L, lexchange *lx, omics_step step, const omics_request *req,
                     double wait, int base);

/* SEND to a driver of raw bytes: "send", bytes, host, port, https, wait,
 * has_body, proxy_host or nil, proxy_port; a URL it cannot read fails the
 * attempt. */
static int push_wire(lua_State *L, lexchange *lx, int base)
{
    omics_wire w;
    omics_error err;
    omics_error_init(&err);
    if (omics_exchange_wire(lx->x, lx->sink, &w, &err)) {
        double wait = 0;
        lua_State *was = lp_enter(lx->prov, L);
        omics_step step = omics_exchange_failed(lx->x, &err, 0, &wait);
        lp_leave(lx->prov, was);
        omics_error_clear(&err);
        return push_step(L, lx, step, NULL, wait, base);
    }
    lua_settop(L, base);
    lua_pushliteral(L, "send");
    lua_pushlstring(L, w.bytes, w.len);
    lua_pushstring(L, w.host);
    lua_pushinteger(L, w.port);
    lua_pushboolean(L, w.https);
    lua_pushnumber(L, w.wait);
    lua_pushboolean(L, w.has_body);
    if (w.proxy_host[0]) {
        lua_pushstring(L, w.proxy_host);
        lua_pushinteger(L, w.proxy_port);
        return 9;
    }
    return 7;
}

/* The step as Lua values; what the builder pushed since base is the result
 * (done) or a modeled error's members (failed). */
static int push_step(lua_State *L, lexchange *lx, omics_step step, const omics_request *req,
                     double wait, int base)
{
    static const char *const names[] = {"", "send", "wait", "done", "failed", "recv"};
    if (step == OMICS_STEP_SEND && lx->wire)
        return push_wire(L, lx, base);
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
            lv_push_error(L, &e, -1);
        else {
            lua_settop(L, base);
            lv_push_error(L, &e, 0);
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

/* x:next([waited]): waited, seconds the driver spent in the client's sleep
 * option since the last step (virtual time). */
static int l_exchange_next(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    if (lua_type(L, 2) == LUA_TNUMBER)
        omics_exchange_waited(lx->x, lua_tonumber(L, 2));
    lua_settop(L, 1);
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
    int readable = lv_response_value(L, 2, &resp, &err) == 0; /* its arena at 3 */
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
    if (strcmp(code, "StreamWriteError") == 0) {
        omics_sink_failed(&err, message); /* (the sink's words, as libcurl's driver gives them) */
    } else {
        omics_error_set(&err, OMICS_ETRANSPORT, code, "%s", message);
        err.retryable = omics_transport_retryable(code);
    }
    lua_settop(L, 1);
    int n = report(L, lx, NULL, &err, sink_bytes, 1);
    omics_error_clear(&err);
    return n;
}

/* x:body(n): the payload's next bytes, nil at its end; nil, message */
static int l_exchange_body(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    lua_Integer n = luaL_checkinteger(L, 2);
    if (n <= 0 || n > (1 << 24))
        return luaL_argerror(L, 2, "must be from 1 to 16 MiB");
    char *p = malloc((size_t)n);
    if (!p)
        return luaL_error(L, "out of memory");
    omics_error err;
    omics_error_init(&err);
    long long got = omics_exchange_body(lx->x, p, (size_t)n, &err);
    if (got > 0)
        lua_pushlstring(L, p, (size_t)got);
    free(p);
    if (got <= 0) {
        lua_pushnil(L);
        if (got < 0)
            lua_pushstring(L, err.message ? err.message : "the payload could not be read");
        omics_error_clear(&err);
        return got < 0 ? 2 : 1;
    }
    return 1;
}

/* x:receive(data): bytes of the answer; x:receive(nil, why): the read
 * failed, why "closed", "timeout" or the socket's words.  Returns "recv",
 * wait, payload-or-nil while more is needed, else the next step and
 * whether the connection may be kept. */
static int l_exchange_receive(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    size_t n = 0;
    const char *data = lua_tolstring(L, 2, &n);
    const char *why = data ? NULL : luaL_optstring(L, 3, "closed");
    lua_settop(L, 1);
    int base = lua_gettop(L);
    omics_received r;
    lua_State *was = lp_enter(lx->prov, L);
    omics_step step;
    if (data)
        step = omics_exchange_receive(lx->x, data, n, &r);
    else if (strcmp(why, "closed") == 0)
        step = omics_exchange_receive_end(lx->x, OMICS_WIRE_CLOSED, NULL, &r);
    else if (strcmp(why, "timeout") == 0)
        step = omics_exchange_receive_end(lx->x, OMICS_WIRE_TIMEOUT, NULL, &r);
    else
        step = omics_exchange_receive_end(lx->x, OMICS_WIRE_ERROR, why, &r);
    lp_leave(lx->prov, was);
    if (step == OMICS_STEP_RECV) {
        lua_pushliteral(L, "recv");
        lua_pushnumber(L, r.wait);
        if (r.payload)
            lua_pushlstring(L, r.payload, r.payload_len);
        else
            lua_pushnil(L);
        return 3;
    }
    push_step(L, lx, step, NULL, r.wait, base);
    lua_pushboolean(L, r.keep);
    return 3;
}

/* An exchange whose call is over, at 8, made ready for this call with the
 * memory it has (its parameters' arena, the engine's, the wire buffers). */
static int restart(lua_State *L, lclient *lc, const omics_op *op, const omics_sink *sink,
                   lexchange *lx)
{
    omics_error err;
    omics_error_init(&err);
    lc_getuservalue(L, 8); /* the client, the parameters and the sink live as long */
    for (int i = 1; i <= 3; i++) {
        lua_pushvalue(L, i == 1 ? 1 : i + 1);
        lua_rawseti(L, -2, i);
    }
    lua_pop(L, 1);
    lx->wire = lua_toboolean(L, 6);
    lx->sink = lua_toboolean(L, 7);
    omics_arena_reset(lx->values);
    omics_value *params;
    if (lv_params_value(L, 3, lx->values, &params, &err))
        return lv_fail(L, &err);
    lx->b.ud = L;
    lua_State *was = lp_enter(lx->prov, L);
    int rc = omics_exchange_restart(lx->x, lc->c, op, params, sink, &lx->b, lua_tostring(L, 5),
                                    &err);
    lp_leave(lx->prov, was);
    if (rc)
        return lv_fail(L, &err);
    lua_settop(L, 8);
    return 1;
}

/* core.exchange(client, op, params, path_sink or nil, agent or nil,
 * wire, has_sink, done_exchange or nil): wire, the driver moves raw bytes
 * (x:receive); done_exchange, an exchange of this client whose call is
 * over, to use again */
int lx_new(lua_State *L)
{
    lclient *lc;
    const omics_op *op = lo_check_op(L, &lc);
    if (!op)
        return 2;
    lua_settop(L, 8);
    omics_error err;
    omics_error_init(&err);
    /* the sink the engine starts over for a retry: a path sink, or a part of a download */
    const omics_sink *sink = lua_isnil(L, 4) ? NULL : ld_part_sink(L, 4);
    if (!lua_isnil(L, 4) && !sink)
        sink = omics_path_sink_sink(ls_check(L, 4)->ps);
    lexchange *old = luaL_testudata(L, 8, LOMICS_EXCHANGE);
    if (old && old->x && old->prov == lc->prov)
        return restart(L, lc, op, sink, old);
    lua_settop(L, 7);
    lexchange *lx = lc_newuserdata(L, sizeof *lx); /* at 8 */
    memset(lx, 0, sizeof *lx);
    luaL_setmetatable(L, LOMICS_EXCHANGE);
    /* the client, the parameters (their strings) and the sink live as long */
    lua_createtable(L, 3, 0);
    for (int i = 1; i <= 3; i++) {
        lua_pushvalue(L, i == 1 ? 1 : i + 1);
        lua_rawseti(L, -2, i);
    }
    lc_setuservalue(L, 8);
    lx->prov = lc->prov;
    lx->wire = lua_toboolean(L, 6);
    lx->sink = lua_toboolean(L, 7);
    if (!(lx->values = omics_arena_new(4096)))
        return luaL_error(L, "out of memory");
    omics_value *params;
    if (lv_params_value(L, 3, lx->values, &params, &err))
        return lv_fail(L, &err);
    lv_builder(L, &lx->b);
    lua_State *was = lp_enter(lx->prov, L);
    lx->x = omics_exchange_new(lc->c, op, params, sink, &lx->b, lua_tostring(L, 5), &err);
    lp_leave(lx->prov, was);
    if (!lx->x)
        return lv_fail(L, &err);
    lua_settop(L, 8);
    return 1;
}

void lx_open(lua_State *L)
{
    static const luaL_Reg methods[] = {{"next", l_exchange_next},
                                       {"answered", l_exchange_answered},
                                       {"failed", l_exchange_failed},
                                       {"receive", l_exchange_receive},
                                       {"body", l_exchange_body},
                                       {NULL, NULL}};
    lv_new_type(L, LOMICS_EXCHANGE, l_exchange_gc, methods);
}
