/* lua_many: many calls at once (client:call_many) on the curl multi driver
 * of the core (omics_multi), and the checks the Lua drivers share with it.
 *
 * core.call_many(client, calls, concurrency): calls is a list of
 * { op, params }; the answer is a list in the same order of { result } or
 * { nil, err }: a call refused or failed fails only itself. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "lua_omics.h"

typedef struct lmany {
    omics_multi *m;
    omics_arena *a; /* every call's parameters */
} lmany;

static int l_many_gc(lua_State *L)
{
    lmany *lm = luaL_checkudata(L, 1, LOMICS_MANY);
    omics_multi_free(lm->m); /* a run left by a Lua error included */
    lm->m = NULL;
    omics_arena_free(lm->a);
    lm->a = NULL;
    return 0;
}

typedef struct lmany_run {
    lua_State *L;
    lmany *lm;
    int results; /* stack index of the results list (in protected_many) */
    int base;    /* the stack's top before any call's values */
    const size_t *map; /* the multi's index -> the place in calls (from 0) */
    omics_error err;
    int rc;
} lmany_run;

/* An outcome as { result } or { nil, err } at results[index + 1]. */
static void many_outcome(lua_State *L, int results, size_t index, omics_error *err, int data)
{
    if (!err) {
        lua_createtable(L, 1, 0);
        lua_insert(L, -2);
        lua_rawseti(L, -2, 1);
    } else {
        lua_createtable(L, 2, 0);
        lv_push_error(L, err, data ? -2 : 0);
        lua_rawseti(L, -2, 2);
        if (data)
            lua_remove(L, -2);
    }
    lua_rawseti(L, results, (lua_Integer)index + 1);
}

static void many_done(void *ud, size_t index, const omics_error *err, int has_data)
{
    lmany_run *k = ud;
    lua_State *L = k->L;
    if (err && !has_data)
        lua_settop(L, k->base); /* whatever a failed build left */
    omics_error e;
    omics_error_init(&e);
    if (err && omics_error_copy(&e, err)) /* push_error clears what it is given: a copy */
        omics_error_set(&e, OMICS_EMEMORY, "MemoryError", "out of memory");
    many_outcome(L, k->results, k->map[index], err ? &e : NULL, has_data);
    lua_settop(L, k->base);
}

static int protected_many(lua_State *L)
{
    lmany_run *k = lua_touserdata(L, 1);
    k->results = 2; /* this frame's own index of the results list */
    k->base = lua_gettop(L);
    k->rc = omics_multi_run(k->lm->m, many_done, k, &k->err);
    return 0;
}

/* The operation of calls[i] (the table at idx, { op, params }), its
 * parameters converted into a when a is not NULL; NULL with err when the
 * entry cannot be a call. */
static const omics_op *many_entry(lua_State *L, lclient *lc, int idx, lua_Integer i,
                                  omics_arena *a, omics_value **params, omics_error *err)
{
    if (!lua_istable(L, idx)) {
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "calls[%lld]: expected a table { operation, params }, got %s",
                        (long long)i, luaL_typename(L, idx));
        return NULL;
    }
    lua_rawgeti(L, idx, 1);
    const char *name = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    const omics_model *m = omics_client_model(lc->c);
    const omics_op *op = name ? omics_model_op(m, name) : NULL;
    if (name && !op)
        op = omics_model_op_snake(m, name);
    if (!op)
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError", "calls[%lld][1]: %s%s",
                        (long long)i,
                        name ? "the service has no operation " : "expected an operation name, got ",
                        name ? name : luaL_typename(L, -1));
    lua_pop(L, 1);
    lua_rawgeti(L, idx, 2);
    if (op && !lua_isnil(L, -1) && !lua_istable(L, -1)) {
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "calls[%lld][2]: expected a table of parameters, got %s", (long long)i,
                        luaL_typename(L, -1));
        op = NULL;
    }
    char root[48];
    snprintf(root, sizeof root, "calls[%lld][2]", (long long)i);
    if (op && a && lv_convert_keep(L, -1, a, 0, root, params, err))
        op = NULL;
    lua_pop(L, 1);
    return op;
}

/* core.many_options(opts): the concurrency of call_many's options table,
 * or nil, err naming the option. */
int lm_many_options(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    if (lua_isnoneornil(L, 1)) {
        lc_pushinteger(L, OMICS_MULTI_CONCURRENCY);
        return 1;
    }
    if (!lua_istable(L, 1)) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "call_many options: expected a table, got %s", luaL_typename(L, 1));
        return lv_fail(L, &err);
    }
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "concurrency") != 0) {
            omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                            "call_many options: unknown option %.40s (options: concurrency)",
                            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                           : luaL_typename(L, -1));
            return lv_fail(L, &err);
        }
    }
    lua_getfield(L, 1, "concurrency");
    int64_t n = OMICS_MULTI_CONCURRENCY;
    if (!lua_isnil(L, -1) && !lc_tointegral(L, -1, &n)) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "concurrency: expected an integer from 1 to %d, got %s",
                        OMICS_MULTI_MAX_CONCURRENCY, luaL_typename(L, -1));
        return lv_fail(L, &err);
    }
    if (omics_multi_check_concurrency((long long)n, &err))
        return lv_fail(L, &err);
    lc_pushinteger(L, n);
    return 1;
}

/* core.check_call(client, i, entry): the API name of entry's operation, or
 * nil, err as core.call_many words it (for the drivers in Lua). */
int lm_check_call(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    omics_error err;
    omics_error_init(&err);
    const omics_op *op = many_entry(L, lc, 3, i, NULL, NULL, &err);
    if (!op)
        return lv_fail(L, &err);
    lua_pushstring(L, omics_op_name(op));
    return 1;
}

int lm_call_many(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer concurrency = luaL_checkinteger(L, 3);
    omics_error err;
    omics_error_init(&err);
    lmany *lm = lc_newuserdata(L, sizeof *lm);
    lm->m = NULL;
    lm->a = NULL;
    luaL_setmetatable(L, LOMICS_MANY);
    int ud_idx = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
    lua_createtable(L, n > 1024 ? 1024 : (int)n, 0);
    int results = lua_gettop(L);
    lm->a = omics_arena_new(16384);
    if (!lm->a)
        return omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "out of memory"), lv_fail(L, &err);
    lm->m = omics_multi_new(lc->c, (int)(concurrency < 0 || concurrency > INT_MAX ? 0 : concurrency),
                            &err);
    if (!lm->m)
        return lv_fail(L, &err);
    omics_builder b;
    lv_builder(L, &b);
    size_t *map = omics_arena_alloc(lm->a, (size_t)(n > 0 ? n : 1) * sizeof *map);
    if (!map)
        return omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "out of memory"), lv_fail(L, &err);
    /* each call's parameters; a call that cannot be made fails alone */
    for (lua_Integer i = 1; i <= n; i++) {
        omics_value *params = NULL;
        lua_rawgeti(L, 2, i);
        const omics_op *op = many_entry(L, lc, lua_gettop(L), i, lm->a, &params, &err);
        lua_settop(L, results);
        size_t at;
        if (!op || omics_multi_add(lm->m, op, params, NULL, &b, &at, &err)) {
            many_outcome(L, results, (size_t)(i - 1), &err, 0); /* fails alone */
            lua_settop(L, results);
        } else {
            map[at] = (size_t)(i - 1);
        }
    }
    lmany_run k;
    k.L = L;
    k.lm = lm;
    k.map = map;
    k.rc = 0;
    omics_error_init(&k.err);
    lua_pushcfunction(L, protected_many);
    lua_pushlightuserdata(L, &k);
    lua_pushvalue(L, results);
    lua_State *was = lp_enter(lc->prov, L);
    int status = lua_pcall(L, 2, 0, 0);
    lp_leave(lc->prov, was);
    omics_multi_free(lm->m);
    lm->m = NULL;
    if (status != 0) {
        omics_error_clear(&k.err);
        return lua_error(L);
    }
    if (k.rc) {
        lua_settop(L, ud_idx);
        return lv_fail(L, &k.err);
    }
    lua_settop(L, results);
    return 1;
}

void lm_open(lua_State *L)
{
    lv_new_type(L, LOMICS_MANY, l_many_gc, NULL);
}
