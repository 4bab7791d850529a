/* lua_transfer: what the bindings of downloads (lua_download.c) and uploads
 * (lua_upload.c) share: their options' names and concurrency checked, the
 * progress function called, a part call's error read back from Lua. */
#include <string.h>

#include "lua_omics.h"

int lt_option_names(lua_State *L, int idx, const char *const *names, const char *what,
                    omics_error *err)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    if (!lua_istable(L, idx))
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "opts: expected a table, got %s", luaL_typename(L, idx));
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int known = 0;
        for (int i = 0; k && names[i]; i++)
            known |= strcmp(k, names[i]) == 0;
        if (!known) {
            char list[256] = "";
            for (int i = 0; names[i]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "",
                         names[i]);
            omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                            "opts.%s: not an option of %s (%s)", k ? k : "?", what, list);
            lua_pop(L, 1);
            return -1;
        }
    }
    return 0;
}

int lt_concurrency(lua_State *L, int idx, int *out, omics_error *err)
{
    *out = 8;
    if (!lua_istable(L, idx))
        return 0;
    lua_getfield(L, idx, "concurrency");
    int rc = 0;
    if (!lua_isnil(L, -1)) {
        lua_Number v = lua_tonumber(L, -1);
        if (lua_type(L, -1) != LUA_TNUMBER || v != (lua_Number)(long long)v ||
            omics_multi_check_concurrency((long long)v, err))
            rc = omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                 "opts.concurrency: expected an integer from 1 to %d",
                                 OMICS_MULTI_MAX_CONCURRENCY);
        else
            *out = (int)v;
    }
    lua_pop(L, 1);
    return rc;
}

int lt_progress(lua_State *L, int at, long long done, long long total, const char *file,
                char *why, size_t whylen)
{
    lc_getuservalue(L, at); /* { progress = fn } (LuaJIT keeps only tables) */
    lua_getfield(L, -1, "progress");
    lua_remove(L, -2);
    lua_pushnumber(L, (lua_Number)done);
    lua_pushnumber(L, (lua_Number)total);
    lua_pushstring(L, file);
    if (lua_pcall(L, 3, 0, 0) != 0) {
        const char *m = lua_tostring(L, -1);
        snprintf(why, whylen, "the progress function raised: %s", m ? m : "an error");
        lua_pop(L, 1);
        return 1;
    }
    return 0;
}

int lt_call_error(lua_State *L, int idx, omics_error *out)
{
    omics_error_init(out);
    if (lua_isnoneornil(L, idx))
        return 0;
    lua_getfield(L, idx, "code");
    lua_getfield(L, idx, "message");
    omics_error_set(out, OMICS_ETRANSPORT, lua_isstring(L, -2) ? lua_tostring(L, -2) : "Error",
                    "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "failed");
    lua_pop(L, 2);
    return 1;
}
