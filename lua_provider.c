/* lua_provider.c: credentials providers with their Lua callbacks (a
 * credentials function, a clock), omics.provider, and the reading of an
 * options table by the core. */
#include <string.h>

#include "lua_omics.h"

/* The provider's callbacks (and the client's log) run on the thread of the C
 * call that needs them: lp_enter sets it for that call, lp_leave puts back the
 * enclosing call's, so that a call made from inside a callback, on another
 * thread (a coroutine that may be collected), does not leave its own behind. */
lua_State *lp_enter(lprovider *lp, lua_State *L)
{
    lua_State *was = lp->L;
    lp->L = L;
    return was;
}

void lp_leave(lprovider *lp, lua_State *was)
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
int lp_creds_trampoline(lua_State *L)
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
        lv_scalar(L, -1, &e->val);
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
    lv_push_trampoline(L, TR_CREDS);
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
int lp_ref_function(lua_State *L, int t, const char *name)
{
    if (!lua_istable(L, t) || lc_getfield(L, t, name) != LUA_TFUNCTION) {
        lua_pop(L, lua_istable(L, t) ? 1 : 0);
        return LUA_NOREF;
    }
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* A provider box for the options read into po, with the Lua functions of
 * the table at t (credentials, clock) as its callbacks; pushed. */
lprovider *lp_new(lua_State *L, int t, omics_provider_opts *po, omics_error *err)
{
    lprovider *lp = lc_newuserdata(L, sizeof *lp);
    lp->p = NULL;
    lp->L = L;
    lp->fn_ref = lp->clock_ref = LUA_NOREF;
    luaL_setmetatable(L, LOMICS_PROVIDER);
    if ((lp->fn_ref = lp_ref_function(L, t, "credentials")) != LUA_NOREF) {
        po->fn = lp_credentials_fn;
        po->fn_ud = lp;
    }
    if ((lp->clock_ref = lp_ref_function(L, t, "clock")) != LUA_NOREF) {
        po->clock = lp_clock;
        po->clock_ud = lp;
    }
    lp->p = omics_provider_new(po, err);
    return lp->p ? lp : NULL;
}

/* The options at idx, read by the core as scope takes them, into o (its
 * strings anchored by the options table); an arena box is pushed. */
int lp_read_options(lua_State *L, int idx, unsigned scope, omics_options *o, omics_error *err)
{
    omics_options_init(o);
    omics_arena *a = lv_push_arena(L);
    omics_value *v;
    if (lv_convert(L, idx, a, 1, "options", &v, err) || omics_options_read(o, v, scope, err)) {
        omics_options_clear(o);
        return -1;
    }
    return 0;
}

/* omics.provider(opts): credentials that several clients can share.
 * (core.provider(opts, defer): defer, the caller steps it for them.) */
int lp_provider(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    omics_options o;
    int defer = lua_toboolean(L, 2);
    lua_settop(L, 1);
    if (lp_read_options(L, 1, OMICS_OPT_PROVIDER, &o, &err))
        return lv_fail(L, &err);
    lprovider *lp = lp_new(L, 1, &o.provider, &err);
    omics_options_clear(&o);
    if (!lp || (!defer && !omics_provider_credentials(lp->p, &err)))
        return lv_fail(L, &err);
    return 1;
}

int lp_push_identity(lua_State *L, const char *akid, const char *provider, double expiration)
{
    omics_builder b;
    lv_builder(L, &b);
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
        return lv_fail(L, &err);
    return lp_push_identity(L, c->access_key_id, c->provider, c->expiration);
}

static int l_provider_tostring(lua_State *L)
{
    lua_pushfstring(L, "omics.provider (%p)", luaL_checkudata(L, 1, LOMICS_PROVIDER));
    return 1;
}
void lp_open(lua_State *L)
{
    static const luaL_Reg methods[] = {{"credentials", l_provider_credentials}, {NULL, NULL}};
    lv_new_type(L, LOMICS_PROVIDER, l_provider_gc, methods);
    luaL_getmetatable(L, LOMICS_PROVIDER);
    lua_pushcfunction(L, l_provider_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
}
