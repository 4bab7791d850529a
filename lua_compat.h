/* lua_compat.h: what differs between the Lua 5.4 C API and LuaJIT's (Lua 5.1
 * with some 5.2 additions), in one place.  lua_omics.c uses the lc_* names
 * and nothing version-specific.
 *
 * Numbers: Lua 5.4 has integers; LuaJIT has only doubles.  On LuaJIT a number
 * with an integral value is read as an integer (so `id = 5` is "an integer"
 * to the validator, as on 5.4), and integers in results become doubles: exact
 * up to 2^53 (9007199254740992), rounded beyond. */
#ifndef LUA_COMPAT_H
#define LUA_COMPAT_H

#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#if LUA_VERSION_NUM >= 503

#define LC_RUNTIME "lua/" LUA_VERSION_MAJOR "." LUA_VERSION_MINOR "." LUA_VERSION_RELEASE

static inline void *lc_newuserdata(lua_State *L, size_t size)
{
    return lua_newuserdatauv(L, size, 1);
}
/* the table at the top becomes the uservalue of the userdata at idx */
static inline void lc_setuservalue(lua_State *L, int idx)
{
    lua_setiuservalue(L, idx, 1);
}
static inline int lc_getuservalue(lua_State *L, int idx)
{
    return lua_getiuservalue(L, idx, 1);
}
static inline int lc_getfield(lua_State *L, int idx, const char *k)
{
    return lua_getfield(L, idx, k);
}
static inline int lc_rawget(lua_State *L, int idx)
{
    return lua_rawget(L, idx);
}
/* 1 and *out set when the number at idx is an integer */
static inline int lc_tointeger(lua_State *L, int idx, int64_t *out)
{
    if (!lua_isinteger(L, idx))
        return 0;
    *out = (int64_t)lua_tointeger(L, idx);
    return 1;
}
/* The same, a float with an integral value accepted (as luaL_checkinteger
 * does): for settings and statuses, where 200.0 means 200 */
static inline int lc_tointegral(lua_State *L, int idx, int64_t *out)
{
    int ok = 0;
    lua_Integer v = lua_type(L, idx) == LUA_TNUMBER ? lua_tointegerx(L, idx, &ok) : 0;
    if (ok)
        *out = (int64_t)v;
    return ok;
}
static inline void lc_pushinteger(lua_State *L, int64_t v)
{
    lua_pushinteger(L, (lua_Integer)v);
}
/* The FILE of an open io file handle at idx, or NULL. */
static inline FILE *lc_tofile(lua_State *L, int idx)
{
    luaL_Stream *p = (luaL_Stream *)luaL_testudata(L, idx, LUA_FILEHANDLE);
    return p && p->closef ? p->f : NULL;
}

#else /* LuaJIT 2.1 (Lua 5.1 API) */

#include <luajit.h>

#define LC_RUNTIME "luajit/2.1"

static inline int lc_absindex(lua_State *L, int idx)
{
    return (idx > 0 || idx <= LUA_REGISTRYINDEX) ? idx : lua_gettop(L) + idx + 1;
}
#define lua_absindex lc_absindex

static inline void *lc_newuserdata(lua_State *L, size_t size)
{
    return lua_newuserdata(L, size);
}
/* LuaJIT keeps one table per userdata, its environment */
static inline void lc_setuservalue(lua_State *L, int idx)
{
    lua_setfenv(L, idx);
}
static inline int lc_getuservalue(lua_State *L, int idx)
{
    lua_getfenv(L, idx);
    return lua_type(L, -1);
}
static inline int lc_getfield(lua_State *L, int idx, const char *k)
{
    lua_getfield(L, idx, k);
    return lua_type(L, -1);
}
static inline int lc_rawget(lua_State *L, int idx)
{
    lua_rawget(L, idx);
    return lua_type(L, -1);
}
static inline int lc_tointeger(lua_State *L, int idx, int64_t *out)
{
    if (lua_type(L, idx) != LUA_TNUMBER)
        return 0;
    double d = lua_tonumber(L, idx);
    if (d != floor(d) || fabs(d) > 9007199254740992.0)
        return 0;
    *out = (int64_t)d;
    return 1;
}
/* (every LuaJIT number is a double: the same test) */
static inline int lc_tointegral(lua_State *L, int idx, int64_t *out)
{
    return lc_tointeger(L, idx, out);
}
static inline void lc_pushinteger(lua_State *L, int64_t v)
{
    lua_pushnumber(L, (lua_Number)v);
}
/* LuaJIT's io handles start with their FILE pointer (NULL once closed). */
static inline FILE *lc_tofile(lua_State *L, int idx)
{
    FILE **p = (FILE **)luaL_testudata(L, idx, "FILE*");
    return p ? *p : NULL;
}
#define lua_rawlen lua_objlen

#endif

#endif
