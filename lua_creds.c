/* lua_creds.c: a provider stepped by a Lua driver (omics.h, "credentials
 * by a driver's I/O"): the nginx driver fetches over cosockets and runs
 * credential_process with ngx.pipe; the core decides everything else.
 *
 *   p = core.creds_provider(client or provider)
 *   step, ... = core.creds_next(p, mode)   mode "alone", "shared", "busy"
 *     "ready" | "refresh" | "wait"
 *     "send", bytes, host, port, https, wait, proxy_host, proxy_port
 *     "run", command, timeout, max_output
 *     nil, err
 *   core.creds_receive(p, data) / (p, nil, why) -> "recv", wait | "fetched", nil, keep
 *   core.creds_failed(p, code, message) -> "fetched"
 *   core.creds_ran(p, status, stdout, stderr) or (p, nil, code, message)
 *   -> true | nil, err
 *   core.creds_offer(p, text) -> true (taken) | false; core.creds_export(p)
 *   -> text, expires; core.creds_key(p) -> the shared cache's key */
#include <stdlib.h>
#include <string.h>

#include "lua_omics.h"

static lprovider *check(lua_State *L)
{
    return luaL_checkudata(L, 1, LOMICS_PROVIDER);
}

/* The provider box of a client (its uservalue's), or a provider itself. */
static int l_creds_provider(lua_State *L)
{
    if (luaL_testudata(L, 1, LOMICS_PROVIDER)) {
        lua_settop(L, 1);
        return 1;
    }
    lo_check_client(L, 1);
    lc_getuservalue(L, 1);
    lua_getfield(L, -1, "provider");
    return 1;
}

static int l_creds_next(lua_State *L)
{
    lprovider *lp = check(L);
    static const char *const modes[] = {"alone", "shared", "busy", NULL};
    int mode = luaL_checkoption(L, 2, "alone", modes);
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f = NULL;
    lua_State *was = lp_enter(lp, L);
    int st = omics_provider_next(lp->p, (omics_creds_mode)mode, &f, &err);
    lp_leave(lp, was);
    switch (st) {
    case OMICS_CREDS_READY:
        lua_pushliteral(L, "ready");
        return 1;
    case OMICS_CREDS_REFRESH:
        lua_pushliteral(L, "refresh");
        return 1;
    case OMICS_CREDS_WAIT:
        lua_pushliteral(L, "wait");
        return 1;
    case OMICS_CREDS_RUN:
        lua_pushliteral(L, "run");
        lua_pushstring(L, f->command);
        lua_pushnumber(L, f->timeout);
        lua_pushinteger(L, (lua_Integer)f->max_output);
        return 4;
    case OMICS_CREDS_FETCH: {
        omics_wire w;
        if (omics_provider_wire(lp->p, &w, &err)) {
            /* (the fetch fails as a transport failure would; the sources say why) */
            omics_error e;
            omics_error_init(&e);
            int kept = omics_provider_failed(lp->p, &err, &e) == 0;
            omics_error_clear(&err);
            if (!kept) /* (still pending: stepping again would ask for it again) */
                return lv_fail(L, &e);
            return l_creds_next(L);
        }
        lua_pushliteral(L, "send");
        lua_pushlstring(L, w.bytes, w.len);
        lua_pushstring(L, w.host);
        lua_pushinteger(L, w.port);
        lua_pushboolean(L, w.https);
        lua_pushnumber(L, w.wait);
        if (w.proxy_host[0]) {
            lua_pushstring(L, w.proxy_host);
            lua_pushinteger(L, w.proxy_port);
        } else {
            lua_pushnil(L);
            lua_pushnil(L);
        }
        return 8;
    }
    default:
        return lv_fail(L, &err);
    }
}

static int l_creds_receive(lua_State *L)
{
    lprovider *lp = check(L);
    size_t n = 0;
    const char *data = lua_tolstring(L, 2, &n);
    const char *why = data ? NULL : luaL_optstring(L, 3, "closed");
    omics_received r;
    int more;
    if (data)
        more = omics_provider_receive(lp->p, data, n, &r);
    else if (strcmp(why, "closed") == 0)
        more = omics_provider_receive_end(lp->p, OMICS_WIRE_CLOSED, NULL, &r);
    else if (strcmp(why, "timeout") == 0)
        more = omics_provider_receive_end(lp->p, OMICS_WIRE_TIMEOUT, NULL, &r);
    else
        more = omics_provider_receive_end(lp->p, OMICS_WIRE_ERROR, why, &r);
    if (more) {
        lua_pushliteral(L, "recv");
        lua_pushnumber(L, r.wait);
        return 2;
    }
    lua_pushliteral(L, "fetched");
    lua_pushnil(L);
    lua_pushboolean(L, r.keep);
    return 3;
}

static int l_creds_failed(lua_State *L)
{
    lprovider *lp = check(L);
    const char *code = luaL_checkstring(L, 2);
    const char *message = luaL_optstring(L, 3, "");
    omics_error why, err;
    omics_error_init(&why);
    omics_error_init(&err);
    omics_error_set(&why, OMICS_ETRANSPORT, code, "%s", message);
    why.retryable = omics_transport_retryable(code);
    omics_provider_failed(lp->p, &why, &err); /* (nothing pending: nothing to do) */
    omics_error_clear(&why);
    omics_error_clear(&err);
    lua_pushliteral(L, "fetched");
    return 1;
}

/* core.creds_ran(p, status, stdout, stderr); or (p, nil, code, message):
 * the command could not be run */
static int l_creds_ran(lua_State *L)
{
    lprovider *lp = check(L);
    size_t on = 0, en = 0;
    const char *out = luaL_optlstring(L, 3, "", &on);
    const char *errout = luaL_optlstring(L, 4, "", &en);
    omics_error err;
    omics_error_init(&err);
    int rc;
    if (lua_isnil(L, 2)) {
        omics_error why;
        omics_error_init(&why);
        omics_error_set(&why, OMICS_ECREDENTIALS, luaL_optstring(L, 3, "CredentialProcessError"),
                        "%s", luaL_optstring(L, 4, "credential_process could not be run"));
        rc = omics_provider_failed(lp->p, &why, &err);
        omics_error_clear(&why);
    } else {
        rc = omics_provider_ran(lp->p, (int)luaL_checkinteger(L, 2), out, on, errout, en, &err);
    }
    if (rc)
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_creds_offer(lua_State *L)
{
    lprovider *lp = check(L);
    size_t n = 0;
    const char *text = luaL_checklstring(L, 2, &n);
    omics_error err;
    omics_error_init(&err);
    int rc = omics_provider_offer(lp->p, text, n, &err);
    if (rc < 0)
        return lv_fail(L, &err);
    lua_pushboolean(L, rc);
    return 1;
}

static int l_creds_export(lua_State *L)
{
    lprovider *lp = check(L);
    double expires = 0;
    char *text = omics_provider_export(lp->p, &expires);
    if (!text)
        return 0;
    size_t n = strlen(text);
    lua_pushlstring(L, text, n);
    memset(text, 0, n);
    free(text);
    lua_pushnumber(L, expires);
    return 2;
}

static int l_creds_key(lua_State *L)
{
    lua_pushstring(L, omics_provider_key(check(L)->p));
    return 1;
}

void lcr_open(lua_State *L)
{
    /* (functions of the module table at -1) */
    static const luaL_Reg fns[] = {{"creds_provider", l_creds_provider},
                                   {"creds_next", l_creds_next},
                                   {"creds_receive", l_creds_receive},
                                   {"creds_failed", l_creds_failed},
                                   {"creds_ran", l_creds_ran},
                                   {"creds_offer", l_creds_offer},
                                   {"creds_export", l_creds_export},
                                   {"creds_key", l_creds_key},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
}
