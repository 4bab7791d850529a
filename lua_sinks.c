/* lua_sinks.c: where a streaming payload goes: a function called with
 * each chunk, an open io file, or a path (the core's path sink: complete or
 * absent); the call options that say which; path sinks for the Lua drivers. */
#include <stdio.h>
#include <string.h>

#include "lua_omics.h"

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
int ls_finish(lpartial *pt, int ok, omics_error *err)
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
int ls_sink_trampoline(lua_State *L)
{
    const lsink_chunk *chunk = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_pushlstring(L, chunk->p, chunk->n);
    lua_call(L, 1, 1);
    return 1;
}

/* An error value's text, without running any of its metamethods: a
 * string or number, or an error table's message (omics' own). */
static const char *error_text(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TSTRING || lua_type(L, idx) == LUA_TNUMBER)
        return lua_tostring(L, idx);
    if (lua_type(L, idx) == LUA_TTABLE) {
        lua_pushliteral(L, "message");
        lua_rawget(L, idx < 0 ? idx - 1 : idx);
        const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        lua_pop(L, 1); /* (the table still holds the string) */
        return m;
    }
    return NULL;
}

/* core.sink_refusal(ok, value): why a function sink called by a Lua driver
 * refused its chunk (pcall's ok and the first value it gave), in the words
 * of the libcurl driver; nil when it took the chunk. */
int ls_refusal(lua_State *L)
{
    int raised = !lua_toboolean(L, 1);
    if (!raised && !(lua_isboolean(L, 2) && !lua_toboolean(L, 2)))
        return 0;
    char why[512];
    omics_sink_refusal(raised, error_text(L, 2), why, sizeof why);
    lua_pushstring(L, why);
    return 1;
}

static int sink_write(void *ud, const char *p, size_t n, char *errbuf, size_t errlen)
{
    lsink *ls = ud;
    lua_State *L = ls->L;
    lsink_chunk chunk = {p, n};
    lv_push_trampoline(L, TR_SINK);
    lua_pushvalue(L, ls->fn);
    lua_pushlightuserdata(L, &chunk);
    int raised = lua_pcall(L, 2, 1, 0) != 0;
    int refused = raised || (lua_isboolean(L, -1) && !lua_toboolean(L, -1));
    if (refused)
        omics_sink_refusal(raised, error_text(L, -1), errbuf, errlen);
    lua_pop(L, 1);
    return refused ? -1 : 0;
}

/* The call options at idx ({ sink = ... }) of a call of op, checked by the
 * core; *sink is where the payload goes (NULL without one).  A path sink
 * pushes its owning userdata (*partial), a function stays on the stack
 * (ls->fn); a file pushes nothing. */
int ls_read_call_options(lua_State *L, int idx, const omics_op *op, omics_arena *a, lsink *ls,
                         const omics_sink **sink, lpartial **partial, omics_error *err)
{
    *sink = NULL;
    *partial = NULL;
    memset(ls, 0, sizeof *ls);
    omics_value *v;
    if (lv_convert(L, idx, a, 1, "call options", &v, err) || omics_call_options_check(op, v, err))
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
int ls_path_sink(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    luaL_checkstring(L, 1);
    if (!new_partial(L, 1, &err))
        return lv_fail(L, &err);
    return 1;
}

lpartial *ls_check(lua_State *L, int idx)
{
    lpartial *pt = luaL_checkudata(L, idx, LOMICS_PARTIAL);
    if (!pt->ps)
        luaL_error(L, "this path sink is finished");
    return pt;
}

/* sink:write(chunk) -> true, or nil and why */
static int l_partial_write(lua_State *L)
{
    const omics_sink *sink = omics_path_sink_sink(ls_check(L, 1)->ps);
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
    if (ls_finish(pt, lua_toboolean(L, 2), &err))
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}
void ls_open(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"write", l_partial_write}, {"finish", l_partial_finish}, {NULL, NULL}};
    lv_new_type(L, LOMICS_PARTIAL, l_partial_gc, methods);
}
