/* lua_stub.c: the core's stubs (omics.h, "stubs") for omics.stubber:
 *
 *   core.stub_result(client, op, result)   -> { status, headers, body }
 *   core.stub_error(client, op, { code, message, status, data })
 *                                          -> { status, headers, body }
 *   core.stub_expect(client, op, expected, params) -> true
 *
 * each nil, err (a StubError naming the member) when the stub is refused.
 * The answers are what the stubber's driver hands the engine. */
#include <string.h>

#include "lua_omics.h"

/* A value the converter refused is the stub's fault, not a call's. */
static int stub_fail(lua_State *L, omics_error *err)
{
    if (err->kind == OMICS_EVALIDATION) {
        err->kind = OMICS_EUSAGE;
        snprintf(err->code, sizeof err->code, "%s", "StubError");
    }
    return lv_fail(L, err);
}

/* The operation of core.stub_*(client, op, ...), the stack cut to n
 * arguments; NULL with nil, err pushed. */
static const omics_op *stub_op(lua_State *L, lclient **lc, int n)
{
    const omics_op *op = lo_check_op(L, lc);
    if (op)
        lua_settop(L, n);
    return op;
}

/* nil, a StubError: "a stubbed <what> for <op><rest>" */
static int stub_refuse(lua_State *L, const omics_op *op, const char *what, const char *rest)
{
    omics_error err;
    omics_error_init(&err);
    omics_error_set(&err, OMICS_EUSAGE, "StubError", "a stubbed %s for %s%s", what,
                    omics_op_name(op), rest);
    return lv_fail(L, &err);
}

/* { status, headers = { name = value }, body } */
static int push_answer(lua_State *L, const omics_response *r)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)r->status);
    lua_setfield(L, -2, "status");
    lua_createtable(L, 0, (int)r->nheaders);
    for (size_t i = 0; i < r->nheaders; i++) {
        lua_pushstring(L, r->headers[i].value);
        lua_setfield(L, -2, r->headers[i].name);
    }
    lua_setfield(L, -2, "headers");
    lua_pushlstring(L, r->body ? r->body : "", r->body_len);
    lua_setfield(L, -2, "body");
    return 1;
}

/* core.stub_result(client, op, result) */
static int l_stub_result(lua_State *L)
{
    lclient *lc;
    const omics_op *op = stub_op(L, &lc, 3);
    if (!op)
        return 2;
    if (!lua_isnil(L, 3) && !lua_istable(L, 3))
        return stub_refuse(L, op, "result",
                           lua_pushfstring(L, " is a table, got %s", luaL_typename(L, 3)));
    omics_error err;
    omics_error_init(&err);
    omics_arena *a = lv_push_arena(L);
    omics_value *v;
    omics_response r;
    if (lv_convert(L, 3, a, 0, "result", &v, &err) || omics_stub_result(op, v, a, &r, &err))
        return stub_fail(L, &err);
    return push_answer(L, &r);
}

/* core.stub_error(client, op, { code, message, status, data }) */
static int l_stub_error(lua_State *L)
{
    lclient *lc;
    const omics_op *op = stub_op(L, &lc, 3);
    if (!op)
        return 2;
    if (!lua_istable(L, 3))
        return stub_refuse(L, op, "error",
                           lua_pushfstring(L, " is a table { code, message, status, data }, got %s",
                                           luaL_typename(L, 3)));
    lua_getfield(L, 3, "code");    /* 4 */
    lua_getfield(L, 3, "message"); /* 5 */
    lua_getfield(L, 3, "status");  /* 6 */
    lua_getfield(L, 3, "data");    /* 7 */
    /* every key known: a typo (mesage) is a stub that would not say what it means */
    lua_pushnil(L);
    while (lua_next(L, 3)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        if (!k || (strcmp(k, "code") && strcmp(k, "message") && strcmp(k, "status") &&
                   strcmp(k, "data"))) {
            lua_pop(L, 1);
            return stub_refuse(L, op, "error", " takes code, message, status and data only");
        }
    }
    const char *what = NULL;
    if (lua_type(L, 4) != LUA_TSTRING)
        what = ": code: a string is needed (as ThrottlingException)";
    else if (!lua_isnil(L, 5) && lua_type(L, 5) != LUA_TSTRING)
        what = ": message: a string or nil";
    else if (!lua_isnil(L, 6) && (lua_type(L, 6) != LUA_TNUMBER || lua_tonumber(L, 6) != (int)lua_tonumber(L, 6)))
        what = ": status: an integer from 400 to 599, or nil";
    else if (!lua_isnil(L, 7) && !lua_istable(L, 7))
        what = ": data: a table of the modeled error's members, or nil";
    if (what)
        return stub_refuse(L, op, "error", what);
    size_t mlen = 0;
    const char *message = lua_tolstring(L, 5, &mlen);
    if (message && strlen(message) != mlen)
        return stub_refuse(L, op, "error", ": message: no NUL bytes");
    omics_error err;
    omics_error_init(&err);
    int status = lua_isnil(L, 6) ? 0 : (int)lua_tonumber(L, 6);
    if (!lua_isnil(L, 6) && status == 0)
        status = -1; /* refused below, as any status out of range */
    omics_arena *a = lv_push_arena(L);
    omics_value *data;
    omics_response r;
    if (lv_convert(L, 7, a, 0, "data", &data, &err) ||
        omics_stub_error(omics_client_model(lc->c), op, lua_tostring(L, 4), message, status, data,
                         a, &r, &err))
        return stub_fail(L, &err);
    return push_answer(L, &r);
}

/* core.stub_expect(client, op, expected, params) */
static int l_stub_expect(lua_State *L)
{
    lclient *lc;
    const omics_op *op = stub_op(L, &lc, 4);
    if (!op)
        return 2;
    omics_error err;
    omics_error_init(&err);
    omics_arena *a = lv_push_arena(L);
    omics_value *expected, *params;
    if (lv_convert(L, 3, a, 0, "expected_params", &expected, &err) ||
        lv_convert_keep(L, 4, a, 1, "params", &params, &err) ||
        omics_stub_expect(op, expected, params, &err))
        return stub_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

void lst_open(lua_State *L)
{
    /* (functions of the module table at -1) */
    static const luaL_Reg fns[] = {{"stub_result", l_stub_result},
                                   {"stub_error", l_stub_error},
                                   {"stub_expect", l_stub_expect},
                                   {NULL, NULL}};
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, -2, f->name);
    }
}
