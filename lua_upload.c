/* lua_upload: a read set's files sent part by part (client:upload_read_set
 * in omics.lua) on the core's upload (omics_upload):
 *
 *   u = core.upload(client, params, opts)   -- or nil, err (checked, files open)
 *   u:have(source, number, size, checksum)  a part a resumed upload has
 *   u:started(upload_id)                    the upload the parts go to
 *   u:run()                                 the part calls with curl multi
 *   u:parts()                               how many part calls, and how many at once
 *   u:part(i)                               part i's operation and parameters
 *   u:part_done(i, err, checksum)           part i's call ended: true, or nil, err
 *   u:complete_params()                     CompleteMultipartReadSetUpload's
 *   u:sent()                                bytes and parts this run sent
 *   u:completed(read_set_id)                the read set the completing call made
 *   u:next()                                the wait for ACTIVE, what to do next:
 *       "call", op, params                  make this call, then u:looked(result, err)
 *       "wait", seconds                     sleep, then u:next() again
 *       "done", status                      ("" when opts.wait is false)
 *       "failed", err                       (err.readSetId, err.upload_id)
 *   u:close()
 *
 * opts (checked here): part_size, concurrency, wait, wait_seconds,
 * upload_id, keep_upload. */
#include <string.h>

#include "lua_omics.h"

#define LOMICS_UPLOAD "omics.upload"
#define LOMICS_ULPART "omics.upload.part"

typedef struct lupload {
    omics_upload *u;
    omics_arena *a; /* the parameters' tree */
    lprovider *prov;
    int concurrency;
    lua_State *L; /* while the progress function may be called */
    int at;       /* (and the upload's place on that stack) */
} lupload;

typedef struct lulpart {
    lupload *lu;
    size_t i;
} lulpart;

static int l_upload_close(lua_State *L)
{
    lupload *lu = luaL_checkudata(L, 1, LOMICS_UPLOAD);
    omics_upload_free(lu->u);
    lu->u = NULL;
    omics_arena_free(lu->a);
    lu->a = NULL;
    return 0;
}

static lupload *check_upload(lua_State *L)
{
    lupload *lu = luaL_checkudata(L, 1, LOMICS_UPLOAD);
    if (!lu->u)
        luaL_error(L, "this upload is closed");
    return lu;
}

/* A value tree of strings, integers and tables as Lua values. */
static void push_tree(lua_State *L, const omics_value *v)
{
    if (v->type == OMICS_V_STR) {
        lua_pushlstring(L, v->u.s.p, v->u.s.len);
    } else if (v->type == OMICS_V_INT) {
        lc_pushinteger(L, (lua_Integer)v->u.i);
    } else if (v->type == OMICS_V_TABLE) {
        lua_createtable(L, 0, (int)v->u.t.n);
        for (size_t k = 0; k < v->u.t.n; k++) {
            push_tree(L, &v->u.t.items[k].key);
            push_tree(L, &v->u.t.items[k].val);
            lua_rawset(L, -3);
        }
    } else {
        lua_pushnil(L);
    }
}

/* The progress function, while a run or a part's end may call it (a Lua
 * driver reads the parts: it reports at each part's end). */
static int progress(void *ud, long long done, long long total, const char *file, char *why,
                    size_t whylen)
{
    lupload *lu = ud;
    return lu->L ? lt_progress(lu->L, lu->at, done, total, file, why, whylen) : 0;
}

static int l_upload_have(lua_State *L)
{
    lupload *lu = check_upload(L);
    omics_upload_have(lu->u, luaL_checkstring(L, 2), (int)luaL_checkinteger(L, 3),
                      (long long)luaL_checknumber(L, 4), luaL_optstring(L, 5, NULL));
    return 0;
}

static int l_upload_started(lua_State *L)
{
    lupload *lu = check_upload(L);
    omics_error err;
    omics_error_init(&err);
    if (omics_upload_started(lu->u, luaL_checkstring(L, 2), &err))
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_upload_run(lua_State *L)
{
    lupload *lu = check_upload(L);
    omics_error err;
    omics_error_init(&err);
    lua_settop(L, 1);
    lu->L = L;
    lu->at = 1;
    lua_State *was = lp_enter(lu->prov, L);
    int rc = omics_upload_run(lu->u, lu->concurrency, &err);
    lp_leave(lu->prov, was);
    lu->L = NULL;
    if (rc)
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_upload_parts(lua_State *L)
{
    lupload *lu = check_upload(L);
    lc_pushinteger(L, (lua_Integer)omics_upload_parts(lu->u));
    lc_pushinteger(L, lu->concurrency);
    return 2;
}

static size_t check_part(lua_State *L, lupload *lu, int idx)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 1 || (size_t)i > omics_upload_parts(lu->u))
        luaL_argerror(L, idx, "no such part");
    return (size_t)(i - 1);
}

/* u:part(i): "UploadReadSetPart" and its parameters, the payload a part
 * object the calls read from the file */
static int l_upload_part(lua_State *L)
{
    lupload *lu = check_upload(L);
    size_t i = check_part(L, lu, 2);
    const omics_op *op;
    const omics_value *params;
    const omics_reader *payload;
    omics_upload_part(lu->u, i, &op, &params, &payload);
    lua_pushstring(L, omics_op_name(op));
    lua_createtable(L, 0, 5);
    for (size_t k = 0; k < params->u.t.n; k++) {
        const omics_entry *e = &params->u.t.items[k];
        if (e->val.type == OMICS_V_READER)
            continue;
        push_tree(L, &e->key);
        push_tree(L, &e->val);
        lua_rawset(L, -3);
    }
    lulpart *p = lc_newuserdata(L, sizeof *p);
    p->lu = lu;
    p->i = i;
    luaL_setmetatable(L, LOMICS_ULPART);
    lua_createtable(L, 0, 1); /* the upload lives as long */
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "upload");
    lc_setuservalue(L, -2);
    lua_setfield(L, -2, "payload");
    return 2;
}

const omics_reader *lu_part_reader(lua_State *L, int idx)
{
    lulpart *p = luaL_testudata(L, idx, LOMICS_ULPART);
    if (!p || !p->lu->u)
        return NULL;
    const omics_op *op;
    const omics_value *params;
    const omics_reader *payload;
    omics_upload_part(p->lu->u, p->i, &op, &params, &payload);
    return payload;
}

static int l_upload_part_done(lua_State *L)
{
    lupload *lu = check_upload(L);
    size_t i = check_part(L, lu, 2);
    omics_error call_err, err;
    omics_error_init(&err);
    int failed = lt_call_error(L, 3, &call_err);
    lu->L = L;
    lu->at = 1;
    int rc = omics_upload_part_done(lu->u, i, failed ? &call_err : NULL, luaL_optstring(L, 4, NULL),
                                    &err);
    lu->L = NULL;
    omics_error_clear(&call_err);
    if (rc)
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_upload_complete_params(lua_State *L)
{
    lupload *lu = check_upload(L);
    omics_error err;
    omics_error_init(&err);
    const omics_value *v = omics_upload_complete_params(lu->u, &err);
    if (!v)
        return lv_fail(L, &err);
    lua_settop(L, 1);
    lu->L = L;
    lu->at = 1;
    omics_upload_progress_end(lu->u); /* every part sent */
    lu->L = NULL;
    push_tree(L, v);
    return 1;
}

static int l_upload_sent(lua_State *L)
{
    lupload *lu = check_upload(L);
    int parts;
    long long bytes = omics_upload_sent(lu->u, &parts);
    lc_pushinteger(L, (lua_Integer)bytes);
    lc_pushinteger(L, parts);
    return 2;
}

static int l_upload_completed(lua_State *L)
{
    lupload *lu = check_upload(L);
    omics_error err;
    omics_error_init(&err);
    if (omics_upload_completed(lu->u, luaL_optstring(L, 2, NULL), &err))
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* u:looked(result, err): GetReadSetMetadata's result, or its error (kept
 * whole in the upload's user value, to be the wait's failure as it is) */
static int l_upload_looked(lua_State *L)
{
    lupload *lu = check_upload(L);
    lua_settop(L, 3);
    lc_getuservalue(L, 1); /* at 4 */
    omics_error call_err;
    if (lt_call_error(L, 3, &call_err)) {
        lua_pushvalue(L, 3);
        lua_setfield(L, 4, "look_err");
        omics_upload_looked(lu->u, NULL, NULL, &call_err);
        omics_error_clear(&call_err);
        return 0;
    }
    lua_pushnil(L);
    lua_setfield(L, 4, "look_err");
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_getfield(L, 2, "status");
    lua_getfield(L, 2, "statusMessage");
    omics_upload_looked(lu->u, lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL,
                        lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL, NULL);
    return 0;
}

static int l_upload_next(lua_State *L)
{
    lupload *lu = check_upload(L);
    lua_settop(L, 1);
    const omics_op *op = NULL;
    const omics_value *params = NULL;
    double wait = 0;
    omics_error err;
    omics_error_init(&err);
    switch (omics_upload_next(lu->u, &op, &params, &wait, &err)) {
    case OMICS_UPLOAD_CALL:
        lua_pushliteral(L, "call");
        lua_pushstring(L, omics_op_name(op));
        push_tree(L, params);
        return 3;
    case OMICS_UPLOAD_WAIT:
        lua_pushliteral(L, "wait");
        lua_pushnumber(L, wait);
        return 2;
    case OMICS_UPLOAD_DONE:
        lua_pushliteral(L, "done");
        lua_pushstring(L, omics_upload_status(lu->u));
        return 2;
    case OMICS_UPLOAD_FAILED:
        break;
    }
    lua_pushliteral(L, "failed");
    lc_getuservalue(L, 1);
    lua_getfield(L, -1, "look_err"); /* a failed look: its call's error as it was */
    lua_remove(L, -2);
    if (lua_istable(L, -1)) {
        omics_error_clear(&err);
    } else {
        lua_pop(L, 1);
        lv_fail(L, &err);
        lua_remove(L, -2);
    }
    lua_pushstring(L, omics_upload_read_set_id(lu->u));
    lua_setfield(L, -2, "readSetId");
    lua_pushstring(L, omics_upload_id(lu->u));
    lua_setfield(L, -2, "upload_id");
    return 2;
}

static int l_part_gc(lua_State *L)
{
    (void)L; /* (the upload owns the reader) */
    return 0;
}

static const char *const OPTIONS[] = {"part_size", "concurrency", "wait",       "wait_seconds",
                                      "upload_id", "keep_upload", "progress",   NULL};

/* opts: known names, and the types of those this file reads */
static int read_options(lua_State *L, int idx, omics_upload_opts *o, int *concurrency,
                        omics_error *err)
{
    if (lt_option_names(L, idx, OPTIONS, "upload_read_set", err) ||
        lt_concurrency(L, idx, concurrency, err))
        return -1;
    if (lua_isnoneornil(L, idx))
        return 0;
    static const char *const counts[] = {"part_size", "wait_seconds"};
    for (int i = 0; i < 2; i++) {
        lua_getfield(L, idx, counts[i]);
        if (!lua_isnil(L, -1)) {
            lua_Number v = lua_tonumber(L, -1);
            if (lua_type(L, -1) != LUA_TNUMBER || v != (lua_Number)(long long)v || v < 1)
                return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                       "opts.%s: expected a positive integer, got %s", counts[i],
                                       lua_type(L, -1) == LUA_TNUMBER ? "another number"
                                                                      : luaL_typename(L, -1));
            if (i == 0)
                o->part_size = (long long)v;
            else
                o->wait_seconds = (long long)v;
        }
        lua_pop(L, 1);
    }
    static const char *const flags[] = {"wait", "keep_upload"};
    for (int i = 0; i < 2; i++) {
        lua_getfield(L, idx, flags[i]);
        if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "opts.%s: expected a boolean, got %s", flags[i],
                                   luaL_typename(L, -1));
        if (i == 0)
            o->no_wait = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_getfield(L, idx, "upload_id");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "opts.upload_id: expected the id of an upload, got %s",
                               luaL_typename(L, -1));
    lua_pop(L, 1);
    return 0;
}

/* core.upload(client, params, opts) */
int lu_new(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    lua_settop(L, 3);
    omics_error err;
    omics_error_init(&err);
    if (!lua_istable(L, 2))
        return omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                               "params: expected a table, got %s", luaL_typename(L, 2)),
               lv_fail(L, &err);
    omics_upload_opts o;
    memset(&o, 0, sizeof o);
    int concurrency;
    if (read_options(L, 3, &o, &concurrency, &err))
        return lv_fail(L, &err);
    lupload *lu = lc_newuserdata(L, sizeof *lu); /* at 4 */
    memset(lu, 0, sizeof *lu);
    luaL_setmetatable(L, LOMICS_UPLOAD);
    lua_createtable(L, 0, 1); /* { progress = fn } */
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "progress");
        if (lua_isfunction(L, -1)) {
            o.progress = progress;
            o.progress_ud = lu;
        } else if (!lua_isnil(L, -1)) {
            omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                            "opts.progress: expected a function, got %s", luaL_typename(L, -1));
            return lv_fail(L, &err);
        }
        lua_setfield(L, -2, "progress");
    }
    lc_setuservalue(L, 4);
    lu->prov = lc->prov;
    lu->concurrency = concurrency;
    omics_value *params;
    if (!(lu->a = omics_arena_new(4096)))
        return luaL_error(L, "out of memory");
    if (lv_convert_keep(L, 2, lu->a, 0, "params", &params, &err))
        return lv_fail(L, &err);
    lu->u = omics_upload_new(lc->c, params, &o, &err);
    if (!lu->u)
        return lv_fail(L, &err);
    lua_settop(L, 4);
    return 1;
}

void lu_open(lua_State *L)
{
    static const luaL_Reg methods[] = {{"have", l_upload_have},
                                       {"started", l_upload_started},
                                       {"run", l_upload_run},
                                       {"parts", l_upload_parts},
                                       {"part", l_upload_part},
                                       {"part_done", l_upload_part_done},
                                       {"complete_params", l_upload_complete_params},
                                       {"sent", l_upload_sent},
                                       {"completed", l_upload_completed},
                                       {"next", l_upload_next},
                                       {"looked", l_upload_looked},
                                       {"close", l_upload_close},
                                       {NULL, NULL}};
    lv_new_type(L, LOMICS_UPLOAD, l_upload_close, methods);
    lv_new_type(L, LOMICS_ULPART, l_part_gc, NULL);
}
