/* lua_omics.c: the Lua binding of the lua-omics core.
 *
 * Nothing here knows HTTP, JSON or the service: it turns Lua tables into the
 * core's value trees, implements the core's result builder on the Lua stack,
 * turns errors into tables, and exposes the core's stages as methods. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <unistd.h>

#include "lua_compat.h"
#include "omics.h"

#define LOMICS_CLIENT "omics.client"
#define LOMICS_MODEL "omics.model"
#define LOMICS_ERROR "omics.error"
#define LOMICS_SIGNER "omics.signer"
#define LOMICS_SIGNER_KEY "omics.sigv4.signer"
#define LOMICS_MAX_DEPTH 100

#if defined(__GNUC__)
#define LOMICS_EXPORT __attribute__((visibility("default")))
#else
#define LOMICS_EXPORT
#endif

typedef struct lmodel {
    omics_model *m; /* NULL for the built-in model, which is shared */
} lmodel;

/* A credentials provider, with the Lua functions it may call (a credentials
 * function, a clock) and the state to call them in: the state of the call in
 * progress, set at every entry into the core. */
typedef struct lprovider {
    omics_provider *p;
    lua_State *L;
    int fn_ref;
    int clock_ref;
} lprovider;

typedef struct lclient {
    omics_client *c;
    omics_arena *values; /* the value tree of the call in progress */
    int lua_methods;     /* operation methods are Lua functions (they may yield) */
    lprovider *prov;     /* kept alive by the client's uservalue */
    int log_ref;         /* the log option, or LUA_NOREF */
    int sleep_ref;       /* the sleep option, or LUA_NOREF */
} lclient;

#define LOMICS_PROVIDER "omics.provider"

#define LOMICS_FACTORY "omics.method_factory"


/* ------------------------------------------------------------- errors */

/* Callbacks from the C core must not raise through it (a memory error while
 * pushing their arguments would jump over libcurl or leak the core's
 * buffers), and an error must not raise while it holds its message: they call
 * a trampoline under lua_pcall, which makes the Lua values inside the
 * protected call.  The trampolines live in the registry, so that fetching one
 * allocates nothing. */
enum { TR_ERROR, TR_LOG, TR_SINK, TR_CREDS, TR_COUNT };

static int error_builder(lua_State *L);
static int log_trampoline(lua_State *L);
static int sink_trampoline(lua_State *L);
static int creds_trampoline(lua_State *L);

/* each one's registry key is the address of its slot here */
static const lua_CFunction trampolines[TR_COUNT] = {error_builder, log_trampoline,
                                                    sink_trampoline, creds_trampoline};

static void register_trampolines(lua_State *L)
{
    for (int i = 0; i < TR_COUNT; i++) {
        lua_pushlightuserdata(L, (void *)&trampolines[i]);
        lua_pushcfunction(L, trampolines[i]);
        lua_rawset(L, LUA_REGISTRYINDEX);
    }
}

static void push_trampoline(lua_State *L, int which)
{
    lua_pushlightuserdata(L, (void *)&trampolines[which]);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

/* (e as a light userdata, the data table or nil) -> the error table */
static int error_builder(lua_State *L)
{
    const omics_error *e = lua_touserdata(L, 1);
    int data_idx = lua_isnil(L, 2) ? 0 : 2;
    lua_createtable(L, 0, 8);
    lua_pushstring(L, e->code[0] ? e->code : "Error");
    lua_setfield(L, -2, "code");
    lua_pushstring(L, e->message ? e->message : "");
    lua_setfield(L, -2, "message");
    lua_pushstring(L, omics_error_kind_name(e->kind));
    lua_setfield(L, -2, "kind");
    if (e->status) {
        lc_pushinteger(L, e->status);
        lua_setfield(L, -2, "status");
    }
    if (e->request_id[0]) {
        lua_pushstring(L, e->request_id);
        lua_setfield(L, -2, "request_id");
    }
    lua_pushboolean(L, e->retryable);
    lua_setfield(L, -2, "retryable");
    if (e->attempts) {
        lc_pushinteger(L, e->attempts);
        lua_setfield(L, -2, "attempts");
    }
    if (data_idx) {
        lua_pushvalue(L, data_idx);
        lua_setfield(L, -2, "data");
    }
    luaL_setmetatable(L, LOMICS_ERROR);
    return 1;
}

/* Push the error table for e and clear e, even when making the table raises.
 * data_idx, when not 0, is the stack index of the modeled error's members. */
static void push_error(lua_State *L, omics_error *e, int data_idx)
{
    if (data_idx < 0)
        data_idx = lua_gettop(L) + data_idx + 1;
    push_trampoline(L, TR_ERROR);
    lua_pushlightuserdata(L, e);
    if (data_idx)
        lua_pushvalue(L, data_idx);
    else
        lua_pushnil(L);
    int status = lua_pcall(L, 2, 1, 0);
    omics_error_clear(e);
    if (status != 0)
        lua_error(L);
}

/* return nil, err */
static int fail(lua_State *L, omics_error *e)
{
    lua_pushnil(L);
    push_error(L, e, 0);
    return 2;
}

static int fail_with_data(lua_State *L, omics_error *e)
{
    /* the data table is on top */
    push_error(L, e, -1);
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

static int error_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "code");
    lua_getfield(L, 1, "message");
    lua_getfield(L, 1, "status");
    lua_getfield(L, 1, "request_id");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    const char *code = lua_tostring(L, 2);
    const char *msg = lua_tostring(L, 3);
    luaL_addstring(&b, code ? code : "Error");
    if (msg && *msg) {
        luaL_addstring(&b, ": ");
        for (const char *p = msg; *p; p++) /* one line, always */
            luaL_addchar(&b, (*p == '\n' || *p == '\r') ? ' ' : *p);
    }
    int64_t status;
    int has_status = lc_tointegral(L, 4, &status);
    if (has_status || lua_isstring(L, 5)) {
        luaL_addstring(&b, " (");
        if (has_status) {
            lua_pushfstring(L, "HTTP %d", (int)status);
            luaL_addvalue(&b);
        }
        if (lua_isstring(L, 5)) {
            if (has_status)
                luaL_addstring(&b, ", ");
            luaL_addstring(&b, "request id ");
            luaL_addstring(&b, lua_tostring(L, 5));
        }
        luaL_addchar(&b, ')');
    }
    luaL_pushresult(&b);
    return 1;
}

/* ---------------------------------------------- Lua tables to values */

typedef struct conv {
    lua_State *L;
    omics_arena *a;
    int seen;  /* stack index of the table of tables being visited */
    const char *path[LOMICS_MAX_DEPTH + 1];
    size_t pathlen[LOMICS_MAX_DEPTH + 1];
    int64_t index[LOMICS_MAX_DEPTH + 1];
    int depth;
    omics_error *err;
} conv;

/* A key as it goes into a message: control bytes escaped (a NUL would end
 * the message), cut to 40 bytes. */
static void add_key(luaL_Buffer *b, const char *p, size_t n)
{
    size_t shown = n > 40 ? 40 : n;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\') {
            char esc[5];
            snprintf(esc, sizeof esc, "\\x%02x", ch);
            luaL_addlstring(b, esc, 4);
        } else {
            luaL_addchar(b, (char)ch);
        }
    }
    if (shown < n) {
        char more[40];
        snprintf(more, sizeof more, "...(%zu bytes)", n);
        luaL_addstring(b, more);
    }
}

static int conv_fail(conv *c, const char *what)
{
    luaL_Buffer b;
    lua_State *L = c->L;
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "params");
    for (int i = 0; i < c->depth; i++) {
        if (c->path[i]) {
            luaL_addchar(&b, '.');
            add_key(&b, c->path[i], c->pathlen[i]);
        } else {
            char index[32];
            snprintf(index, sizeof index, "[%lld]", (long long)c->index[i]);
            luaL_addstring(&b, index);
        }
    }
    luaL_pushresult(&b);
    omics_error_set(c->err, OMICS_EVALIDATION, "ParamValidationError", "%s: %s",
                    lua_tostring(L, -1), what);
    lua_pop(L, 1);
    return -1;
}

static int to_value(conv *c, int idx, omics_value *out);

/* An open io file as a payload: read from where it stands to its end, and
 * replayable from there (for a retry). */
typedef struct lfile {
    omics_reader r;
    FILE *f;
    long long start, left;
} lfile;

static long long lfile_read(void *ud, char *p, size_t n, char *errbuf, size_t errlen)
{
    lfile *lf = ud;
    if ((long long)n > lf->left)
        n = (size_t)lf->left;
    size_t got = n ? fread(p, 1, n, lf->f) : 0;
    if (got < n && ferror(lf->f)) {
        snprintf(errbuf, errlen, "%s", strerror(errno));
        return -1;
    }
    if (got < n) {
        snprintf(errbuf, errlen, "the file ended %lld bytes early", lf->left - (long long)got);
        return -1;
    }
    lf->left -= (long long)got;
    return (long long)got;
}

static int lfile_rewind(void *ud)
{
    lfile *lf = ud;
    lf->left = lf->r.length;
    return fseeko(lf->f, (off_t)lf->start, SEEK_SET);
}

static int file_value(conv *c, FILE *f, omics_value *out)
{
    lfile *lf = omics_arena_alloc(c->a, sizeof *lf);
    if (!lf)
        return omics_error_set(c->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    off_t start = ftello(f), end = -1;
    if (start >= 0 && fseeko(f, 0, SEEK_END) == 0)
        end = ftello(f);
    if (start < 0 || end < 0 || fseeko(f, start, SEEK_SET) != 0)
        return conv_fail(c, "a file that cannot seek (a pipe?) has no length to send");
    lf->f = f;
    lf->start = (long long)start;
    lf->r.read = lfile_read;
    lf->r.rewind = lfile_rewind;
    lf->r.ud = lf;
    lf->r.length = lf->left = (long long)(end - start);
    out->type = OMICS_V_READER;
    out->u.r = &lf->r;
    return 0;
}

static int table_value(conv *c, int idx, omics_value *out)
{
    lua_State *L = c->L;
    if (c->depth >= LOMICS_MAX_DEPTH)
        return conv_fail(c, "nested deeper than 100 levels");
    if (!lua_checkstack(L, 6))
        return conv_fail(c, "nested too deeply for the Lua stack");
    lua_pushvalue(L, idx);
    if (lc_rawget(L, c->seen) != LUA_TNIL) {
        lua_pop(L, 1);
        return conv_fail(c, "a cyclic table (it contains itself)");
    }
    lua_pop(L, 1);
    lua_pushvalue(L, idx);
    lua_pushboolean(L, 1);
    lua_rawset(L, c->seen);

    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        n++;
        lua_pop(L, 1);
    }
    omics_entry *items = NULL;
    if (n && !(items = omics_arena_alloc(c->a, n * sizeof *items)))
        return omics_error_set(c->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        omics_entry *e = &items[i++];
        int kt = lua_type(L, -2);
        if (kt == LUA_TSTRING) {
            e->key.type = OMICS_V_STR;
            e->key.u.s.p = lua_tolstring(L, -2, &e->key.u.s.len);
            c->path[c->depth] = e->key.u.s.p;
            c->pathlen[c->depth] = e->key.u.s.len;
        } else if (kt == LUA_TNUMBER && lc_tointeger(L, -2, &e->key.u.i)) {
            e->key.type = OMICS_V_INT;
            c->path[c->depth] = NULL;
            c->index[c->depth] = e->key.u.i;
        } else {
            const char *what = lua_pushfstring(L, "a table key of type %s (only strings and "
                                                  "integers can be keys)",
                                               luaL_typename(L, -2));
            int rc = conv_fail(c, what);
            lua_pop(L, 3);
            return rc;
        }
        c->depth++;
        int rc = to_value(c, lua_gettop(L), &e->val);
        c->depth--;
        lua_pop(L, 1);
        if (rc) {
            lua_pop(L, 1);
            return -1;
        }
    }
    lua_pushvalue(L, idx);
    lua_pushnil(L);
    lua_rawset(L, c->seen);
    out->type = OMICS_V_TABLE;
    out->u.t.items = items;
    out->u.t.n = n;
    return 0;
}

static int to_value(conv *c, int idx, omics_value *out)
{
    lua_State *L = c->L;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        out->type = OMICS_V_NIL;
        return 0;
    case LUA_TBOOLEAN:
        out->type = OMICS_V_BOOL;
        out->u.b = lua_toboolean(L, idx);
        return 0;
    case LUA_TNUMBER:
        if (lc_tointeger(L, idx, &out->u.i)) {
            out->type = OMICS_V_INT;
        } else {
            out->type = OMICS_V_NUM;
            out->u.n = lua_tonumber(L, idx);
        }
        return 0;
    case LUA_TSTRING:
        out->type = OMICS_V_STR;
        out->u.s.p = lua_tolstring(L, idx, &out->u.s.len);
        return 0;
    case LUA_TTABLE:
        return table_value(c, idx, out);
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL) {
            out->type = OMICS_V_NULL;
            return 0;
        }
        break;
    case LUA_TUSERDATA: {
        FILE *f = lc_tofile(L, idx);
        if (f)
            return file_value(c, f, out);
        break;
    }
    default:
        break;
    }
    return conv_fail(c, lua_pushfstring(L, "a %s cannot be sent (strings, numbers, booleans, "
                                           "tables, and open files for streaming payloads can)",
                                        luaL_typename(L, idx)));
}

/* Convert the value at idx into arena a (not reset: trees accumulate). */
static int lua_to_value_in(lua_State *L, int idx, omics_arena *a, omics_value **out,
                           omics_error *err)
{
    idx = lua_absindex(L, idx);
    omics_value *v = omics_arena_alloc(a, sizeof *v);
    if (!v)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    conv c;
    c.L = L;
    c.a = a;
    c.depth = 0;
    c.err = err;
    lua_newtable(L);
    c.seen = lua_gettop(L);
    int rc = to_value(&c, idx, v);
    lua_remove(L, c.seen);
    *out = v;
    return rc;
}

/* Convert the value at idx; the tree lives in arena a until its next reset. */
static int lua_to_value(lua_State *L, int idx, omics_arena *a, omics_value **out,
                        omics_error *err)
{
    omics_arena_reset(a);
    return lua_to_value_in(L, idx, a, out, err);
}

/* ------------------------------------------------------------ builder */

static int b_null(void *ud)
{
    lua_pushlightuserdata((lua_State *)ud, NULL);
    return 0;
}

static int b_boolean(void *ud, int v)
{
    lua_pushboolean((lua_State *)ud, v);
    return 0;
}

static int b_integer(void *ud, int64_t v)
{
    lc_pushinteger((lua_State *)ud, v);
    return 0;
}

static int b_number(void *ud, double v)
{
    lua_pushnumber((lua_State *)ud, v);
    return 0;
}

static int b_string(void *ud, const char *s, size_t n)
{
    lua_pushlstring((lua_State *)ud, s, n);
    return 0;
}

static int b_table(void *ud, size_t narr, size_t nrec)
{
    lua_State *L = ud;
    if (!lua_checkstack(L, 4))
        return -1;
    lua_createtable(L, narr > 1024 ? 1024 : (int)narr, nrec > 1024 ? 1024 : (int)nrec);
    return 0;
}

/* Keys come NUL-terminated (omics.h): lua_setfield spares the push and the
 * rotation, and Lua 5.4 finds a key it has seen at the same address in its
 * string cache without hashing it again.  The tables here have no
 * metatable, so this is a raw set. */
static int b_set_field(void *ud, const char *k, size_t klen)
{
    (void)klen;
    lua_setfield((lua_State *)ud, -2, k);
    return 0;
}

static int b_pop(void *ud)
{
    lua_pop((lua_State *)ud, 1);
    return 0;
}

static int b_set_index(void *ud, size_t i)
{
    lua_rawseti((lua_State *)ud, -2, (int)i);
    return 0;
}

/* What a call or a parse returns: the result the builder left on top, or
 * nil, err (with the modeled error's members as err.data when there are
 * any; whatever a failed build left above base is dropped). */
static int built(lua_State *L, int rc, int has_data, int base, omics_error *err)
{
    if (rc == 0)
        return 1;
    if (has_data)
        return fail_with_data(L, err);
    lua_settop(L, base);
    return fail(L, err);
}

static void lua_builder(lua_State *L, omics_builder *b)
{
    b->ud = L;
    b->null = b_null;
    b->boolean = b_boolean;
    b->integer = b_integer;
    b->number = b_number;
    b->string = b_string;
    b->table = b_table;
    b->set_field = b_set_field;
    b->set_index = b_set_index;
    b->pop = b_pop;
    b->list = NULL; /* a Lua table either way */
}

/* ------------------------------------------------------------ options */

static const char *const client_options[] = {
    "region", "profile", "credentials", "endpoint", "inject_host_prefix", "timeout",
    "connect_timeout", "stall_timeout", "max_response_bytes", "retry_mode", "max_attempts",
    "max_backoff", "ca_file", "clock", "log", "sleep", NULL};

static int option_error(omics_error *err, const char *name, const char *rule)
{
    return omics_error_set(err, OMICS_ECONFIG, "InvalidOption", "option %s: %s", name, rule);
}

static int opt_string(lua_State *L, int t, const char *name, const char **out, omics_error *err)
{
    int ty = lc_getfield(L, t, name);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (ty != LUA_TSTRING) {
        lua_pop(L, 1);
        return option_error(err, name, "expected a string");
    }
    size_t len;
    *out = lua_tolstring(L, -1, &len); /* anchored by the options table */
    lua_pop(L, 1);
    if (strlen(*out) != len)
        return option_error(err, name, "a string without NUL bytes");
    return 0;
}

static int opt_seconds(lua_State *L, int t, const char *name, double *out, omics_error *err)
{
    int ty = lc_getfield(L, t, name);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    double v = lua_tonumber(L, -1);
    lua_pop(L, 1);
    if (ty != LUA_TNUMBER || !(v >= 0) || v > 86400.0 * 7)
        return option_error(err, name, "expected a number of seconds from 0 to 604800");
    *out = v;
    return 0;
}

static int check_option_names(lua_State *L, int t, omics_error *err)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int known = 0;
        for (int i = 0; k && client_options[i]; i++)
            if (strcmp(k, client_options[i]) == 0)
                known = 1;
        if (!known) {
            omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                            "unknown option %s (options: region, profile, credentials, "
                            "endpoint, inject_host_prefix, timeout, connect_timeout, "
                            "stall_timeout, max_response_bytes, retry_mode, max_attempts, "
                            "max_backoff, ca_file, clock, log, sleep)",
                            k ? k : "(not a string)");
            lua_pop(L, 1);
            return -1;
        }
    }
    return 0;
}

/* Credentials from a table { access_key_id, secret_access_key, session_token }. */
static int read_credentials(lua_State *L, int t, omics_credentials *c, omics_error *err,
                            const char *what)
{
    const char *akid = NULL, *secret = NULL, *token = NULL;
    if (opt_string(L, t, "access_key_id", &akid, err) ||
        opt_string(L, t, "secret_access_key", &secret, err) ||
        opt_string(L, t, "session_token", &token, err))
        return -1;
    if (!akid || !*akid || !secret || !*secret)
        return omics_error_set(err, OMICS_ECREDENTIALS, "PartialCredentialsError",
                               "%s needs access_key_id and secret_access_key", what);
    return omics_credentials_set(c, akid, secret, token, "option", err);
}

static int read_client_options(lua_State *L, int t, omics_client_opts *o,
                               omics_credentials *creds, int *has_creds, omics_error *err)
{
    memset(o, 0, sizeof *o);
    o->inject_host_prefix = -1;
    o->timeout = 60;
    o->connect_timeout = 10;
    o->user_agent_extra = LC_RUNTIME;
    *has_creds = 0;
    if (lua_isnoneornil(L, t))
        return 0;
    if (!lua_istable(L, t))
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "options must be a table, got %s", luaL_typename(L, t));
    if (check_option_names(L, t, err) || opt_string(L, t, "region", &o->region, err) ||
        opt_string(L, t, "profile", &o->profile, err) ||
        opt_string(L, t, "endpoint", &o->endpoint, err) ||
        opt_string(L, t, "ca_file", &o->ca_file, err) ||
        opt_seconds(L, t, "timeout", &o->timeout, err) ||
        opt_seconds(L, t, "connect_timeout", &o->connect_timeout, err) ||
        opt_seconds(L, t, "stall_timeout", &o->stall_timeout, err) ||
        opt_seconds(L, t, "max_backoff", &o->max_backoff, err) ||
        opt_string(L, t, "retry_mode", &o->retry_mode, err))
        return -1;
    if (o->retry_mode && strcmp(o->retry_mode, "standard") != 0 &&
        strcmp(o->retry_mode, "adaptive") != 0)
        return option_error(err, "retry_mode", "\"standard\" or \"adaptive\"");
    int64_t n;
    int ty = lc_getfield(L, t, "max_attempts");
    int isint = lc_tointegral(L, -1, &n);
    lua_pop(L, 1);
    if (ty != LUA_TNIL && (!isint || n < 1 || n > 100))
        return option_error(err, "max_attempts", "an integer from 1 to 100");
    if (ty != LUA_TNIL)
        o->max_attempts = (int)n;
    ty = lc_getfield(L, t, "max_response_bytes");
    isint = lc_tointegral(L, -1, &n);
    lua_pop(L, 1);
    if (ty != LUA_TNIL && (!isint || n < 1))
        return option_error(err, "max_response_bytes", "a number of bytes >= 1");
    if (ty != LUA_TNIL)
        o->max_response_bytes = (size_t)n;
    ty = lc_getfield(L, t, "sleep");
    lua_pop(L, 1);
    if (ty != LUA_TNIL && ty != LUA_TFUNCTION)
        return option_error(err, "sleep", "a function (seconds)");
    ty = lc_getfield(L, t, "log");
    lua_pop(L, 1);
    if (ty != LUA_TNIL && ty != LUA_TFUNCTION)
        return option_error(err, "log", "a function (level, message)");
    ty = lc_getfield(L, t, "inject_host_prefix");
    if (ty == LUA_TBOOLEAN)
        o->inject_host_prefix = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (ty != LUA_TNIL && ty != LUA_TBOOLEAN)
        return option_error(err, "inject_host_prefix", "expected a boolean");
    ty = lc_getfield(L, t, "credentials");
    if (ty == LUA_TTABLE) {
        int rc = read_credentials(L, lua_gettop(L), creds, err, "option credentials");
        lua_pop(L, 1);
        if (rc)
            return -1;
        *has_creds = 1;
        o->credentials = creds;
    } else {
        int shared = luaL_testudata(L, -1, LOMICS_PROVIDER) != NULL;
        lua_pop(L, 1);
        if (ty != LUA_TNIL && ty != LUA_TFUNCTION && !shared)
            return option_error(err, "credentials",
                                "expected a table { access_key_id = ..., secret_access_key "
                                "= ..., session_token = ... }, a function returning one, or "
                                "an omics.provider");
    }
    ty = lc_getfield(L, t, "clock");
    lua_pop(L, 1);
    if (ty != LUA_TNIL && ty != LUA_TFUNCTION)
        return option_error(err, "clock", "expected a function returning epoch seconds");
    return 0;
}

/* ------------------------------------------------------------- client */

/* The client at idx, open, with its provider ready to call Lua in L. */
static lclient *check_client(lua_State *L, int idx)
{
    lclient *lc = luaL_checkudata(L, idx, LOMICS_CLIENT);
    if (!lc->c)
        luaL_error(L, "this omics client is closed");
    if (omics_client_busy(lc->c))
        luaL_error(L, "this omics client is in the middle of a call (its own sink, log or "
                      "credentials function used it): use a second client");
    return lc;
}

/* The provider's callbacks (and the client's log) run on the thread of the C
 * call that needs them: lp_enter sets it for that call, lp_leave puts back the
 * enclosing call's, so that a call made from inside a callback, on another
 * thread (a coroutine that may be collected), does not leave its own behind. */
static lua_State *lp_enter(lprovider *lp, lua_State *L)
{
    lua_State *was = lp->L;
    lp->L = L;
    return was;
}

static void lp_leave(lprovider *lp, lua_State *was)
{
    lp->L = was;
}

/* ------------------------------------------------------------ providers */

typedef struct lcreds_read {
    omics_credentials *out;
    omics_error *err;
    int rc;
} lcreds_read;

/* (fn, lcreds_read as a light userdata): call the credentials function and
 * read its table, all inside the protected call (a metamethod of that table
 * may raise too) */
static int creds_trampoline(lua_State *L)
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
    if (read_credentials(L, 1, r->out, r->err, "the credentials function's table") != 0)
        return 0;
    lua_getfield(L, 1, "expiration");
    r->out->expiration = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : 0;
    snprintf(r->out->provider, sizeof r->out->provider, "function");
    r->rc = 0;
    return 0;
}

static int lp_credentials_fn(void *ud, omics_credentials *out, omics_error *err)
{
    lprovider *lp = ud;
    lua_State *L = lp->L;
    if (!L || !lua_checkstack(L, 6))
        return omics_error_set(err, OMICS_EUSAGE, "CredentialsFunctionError",
                               "the credentials function cannot be called here");
    int top = lua_gettop(L);
    lcreds_read r = {out, err, -1};
    push_trampoline(L, TR_CREDS);
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

/* A provider box from the options at t (profile, credentials, region,
 * clock); pushed on the stack. */
static lprovider *new_provider(lua_State *L, int t, const omics_credentials *static_creds,
                               omics_error *err)
{
    lprovider *lp = lc_newuserdata(L, sizeof *lp);
    lp->p = NULL;
    lp->L = L;
    lp->fn_ref = lp->clock_ref = LUA_NOREF;
    luaL_setmetatable(L, LOMICS_PROVIDER);
    omics_provider_opts po;
    memset(&po, 0, sizeof po);
    if (lua_istable(L, t)) {
        if (opt_string(L, t, "profile", &po.profile, err) ||
            opt_string(L, t, "region", &po.region, err))
            return NULL;
        if (opt_seconds(L, t, "process_timeout", &po.process_timeout, err))
            return NULL; /* (only omics.provider takes it; omics.new refuses it) */
        if (lc_getfield(L, t, "credentials") == LUA_TFUNCTION) {
            lp->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            po.fn = lp_credentials_fn;
            po.fn_ud = lp;
        } else {
            lua_pop(L, 1);
        }
        if (lc_getfield(L, t, "clock") == LUA_TFUNCTION) {
            lp->clock_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            po.clock = lp_clock;
            po.clock_ud = lp;
        } else {
            lua_pop(L, 1);
        }
    }
    po.credentials = static_creds;
    lp->p = omics_provider_new(&po, err);
    return lp->p ? lp : NULL;
}

/* omics.provider(opts): credentials that several clients can share. */
static int l_provider(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    lua_settop(L, 1);
    if (!lua_isnil(L, 1) && !lua_istable(L, 1)) {
        omics_error_set(&err, OMICS_ECONFIG, "InvalidOption", "options must be a table");
        return fail(L, &err);
    }
    omics_credentials creds;
    memset(&creds, 0, sizeof creds);
    int has = 0;
    if (lua_istable(L, 1) && lc_getfield(L, 1, "credentials") == LUA_TTABLE) {
        has = read_credentials(L, 2, &creds, &err, "option credentials") == 0;
        if (!has) {
            lua_pop(L, 1);
            return fail(L, &err);
        }
    }
    lua_settop(L, 1);
    lprovider *lp = new_provider(L, 1, has ? &creds : NULL, &err);
    omics_credentials_clear(&creds);
    if (!lp)
        return fail(L, &err);
    if (!omics_provider_credentials(lp->p, &err))
        return fail(L, &err);
    return 1;
}

/* provider:credentials() / client:credentials(): never the secret */
static int push_identity(lua_State *L, const omics_credentials *c)
{
    lua_createtable(L, 0, 3);
    lua_pushstring(L, c->access_key_id);
    lua_setfield(L, -2, "access_key_id");
    lua_pushstring(L, c->provider);
    lua_setfield(L, -2, "provider");
    if (c->expiration > 0) {
        lua_pushnumber(L, c->expiration);
        lua_setfield(L, -2, "expiration");
    }
    return 1;
}

static int l_provider_credentials(lua_State *L)
{
    lprovider *lp = luaL_checkudata(L, 1, LOMICS_PROVIDER);
    omics_error err;
    omics_error_init(&err);
    lua_State *was = lp_enter(lp, L);
    const omics_credentials *c = omics_provider_credentials(lp->p, &err);
    lp_leave(lp, was);
    if (!c)
        return fail(L, &err);
    return push_identity(L, c);
}

static int l_provider_tostring(lua_State *L)
{
    lprovider *lp = luaL_checkudata(L, 1, LOMICS_PROVIDER);
    lua_pushfstring(L, "omics.provider (%p)", (void *)lp);
    return 1;
}

/* (fn, level, message as a light userdata) */
static int log_trampoline(lua_State *L)
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
    push_trampoline(L, TR_LOG);
    lua_rawgeti(L, LUA_REGISTRYINDEX, lc->log_ref);
    lua_pushinteger(L, level);
    lua_pushlightuserdata(L, (void *)message);
    if (lua_pcall(L, 3, 0, 0) != 0)
        lua_pop(L, 1); /* a failing log function must not fail the call */
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

/* Make a client for model (NULL: built-in) with the options at opts_idx;
 * model_idx is the model userdata to keep alive, or 0. */
static int new_client(lua_State *L, const omics_model *model, int model_idx, int opts_idx)
{
    omics_error err;
    omics_error_init(&err);
    omics_client_opts o;
    omics_credentials creds;
    memset(&creds, 0, sizeof creds);
    int has_creds;
    if (read_client_options(L, opts_idx, &o, &creds, &has_creds, &err))
        return fail(L, &err);
    if (!model && !(model = omics_model_builtin(&err))) {
        omics_credentials_clear(&creds);
        return fail(L, &err);
    }
    /* the provider: shared, or the client's own */
    lprovider *lp = NULL;
    if (lua_istable(L, opts_idx)) {
        lua_getfield(L, opts_idx, "credentials");
        lp = luaL_testudata(L, -1, LOMICS_PROVIDER);
        if (!lp)
            lua_pop(L, 1);
        else if (lc_getfield(L, opts_idx, "clock") != LUA_TNIL) {
            lua_pop(L, 2);
            omics_error_set(&err, OMICS_ECONFIG, "InvalidOption",
                            "option clock: give it to the shared provider instead");
            return fail(L, &err);
        } else {
            lua_pop(L, 1);
        }
    }
    if (!lp)
        lp = new_provider(L, opts_idx, has_creds ? &creds : NULL, &err);
    omics_credentials_clear(&creds);
    if (!lp)
        return fail(L, &err);
    int pidx = lua_gettop(L);
    o.provider = lp->p;
    o.credentials = NULL;
    lclient *lc = lc_newuserdata(L, sizeof *lc);
    lc->c = NULL;
    lc->values = NULL;
    lc->lua_methods = 0;
    lc->prov = lp;
    lc->log_ref = LUA_NOREF;
    lc->sleep_ref = LUA_NOREF;
    luaL_setmetatable(L, LOMICS_CLIENT);
    if (lua_istable(L, opts_idx) && lc_getfield(L, opts_idx, "sleep") == LUA_TFUNCTION) {
        lc->sleep_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        o.sleep = lc_sleep;
        o.sleep_ud = lc;
    } else if (lua_istable(L, opts_idx)) {
        lua_pop(L, 1);
    }
    if (lua_istable(L, opts_idx) && lc_getfield(L, opts_idx, "log") == LUA_TFUNCTION) {
        lc->log_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        o.log = lc_log;
        o.log_ud = lc;
    } else if (lua_istable(L, opts_idx)) {
        lua_pop(L, 1);
    }
    lua_State *was = lp_enter(lp, L);
    lc->c = omics_client_new(model, &o, &err);
    lp_leave(lp, was);
    if (!lc->c)
        return fail(L, &err);
    lc->values = omics_arena_new(4096);
    if (!lc->values) {
        omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return fail(L, &err);
    }
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

static int l_new(lua_State *L)
{
    return new_client(L, NULL, 0, 1);
}

static int l_client_gc(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LOMICS_CLIENT);
    omics_client_free(lc->c);
    omics_arena_free(lc->values);
    lc->c = NULL;
    lc->values = NULL;
    luaL_unref(L, LUA_REGISTRYINDEX, lc->log_ref);
    lc->log_ref = LUA_NOREF;
    luaL_unref(L, LUA_REGISTRYINDEX, lc->sleep_ref);
    lc->sleep_ref = LUA_NOREF;
    return 0;
}

static int l_client_tostring(lua_State *L)
{
    lclient *lc = luaL_checkudata(L, 1, LOMICS_CLIENT);
    if (!lc->c) {
        lua_pushstring(L, "omics.client (closed)");
        return 1;
    }
    const char *akid, *provider = "(none)";
    double exp;
    omics_error err;
    omics_error_init(&err);
    lua_State *was = lp_enter(lc->prov, L);
    if (omics_client_identity(lc->c, &akid, &provider, &exp, &err))
        provider = "(unavailable)";
    lp_leave(lc->prov, was);
    omics_error_clear(&err);
    lua_pushfstring(L, "omics.client (region %s, endpoint %s, credentials from %s, retry %s, %d attempts)",
                    omics_client_region(lc->c), omics_client_endpoint(lc->c), provider,
                    omics_client_retry_mode(lc->c), omics_client_max_attempts(lc->c));
    return 1;
}

static const omics_op *find_op(const omics_model *m, const char *name)
{
    const omics_op *op = omics_model_op(m, name);
    return op ? op : omics_model_op_snake(m, name);
}

static int unknown_op(lua_State *L, const char *name)
{
    omics_error err;
    omics_error_init(&err);
    omics_error_set(&err, OMICS_EUSAGE, "UnknownOperationError",
                    "the service has no operation %s", name);
    return fail(L, &err);
}

/* ------------------------------------------------------------- sinks
 * Where a streaming payload goes: a function called with each chunk, an
 * open io file, or a path.  A path is written as "<path>.partial.XXXXXX" and
 * renamed to path only once the whole answer arrived, so that a failed
 * download never leaves a file that looks complete. */

typedef struct lsink {
    lua_State *L;
    int fn;  /* stack index of a function sink, or 0 */
    FILE *f; /* a file sink, or NULL */
    omics_sink sink;
} lsink;

/* A path sink (the core's omics_path_sink), owned by a userdata so that an
 * error that unwinds the call still removes its temporary file. */
typedef struct lpartial {
    omics_path_sink *ps;
} lpartial;

static int l_partial_gc(lua_State *L)
{
    lpartial *pt = luaL_checkudata(L, 1, "omics.partial");
    omics_path_sink_finish(pt->ps, 0, NULL);
    pt->ps = NULL;
    return 0;
}

/* A new path sink for the path at idx, as a userdata pushed on the stack;
 * NULL (nothing pushed) with err when it cannot be made. */
static lpartial *new_partial(lua_State *L, int idx, omics_error *err)
{
    size_t n;
    const char *path = lua_tolstring(L, idx, &n);
    lpartial *pt = lc_newuserdata(L, sizeof *pt);
    pt->ps = NULL;
    luaL_setmetatable(L, "omics.partial");
    if (!(pt->ps = omics_path_sink_open(path, n, err))) {
        lua_pop(L, 1);
        return NULL;
    }
    return pt;
}

typedef struct lsink_chunk {
    const char *p;
    size_t n;
} lsink_chunk;

/* (fn, chunk as a light userdata) -> what fn returns */
static int sink_trampoline(lua_State *L)
{
    const lsink_chunk *chunk = lua_touserdata(L, 2);
    lua_settop(L, 1);
    lua_pushlstring(L, chunk->p, chunk->n);
    lua_call(L, 1, 1);
    return 1;
}

static int sink_write(void *ud, const char *p, size_t n, char *errbuf, size_t errlen)
{
    lsink *ls = ud;
    if (ls->f) {
        if (fwrite(p, 1, n, ls->f) != n) {
            snprintf(errbuf, errlen, "%s", strerror(errno));
            return -1;
        }
        return 0;
    }
    lua_State *L = ls->L;
    lsink_chunk chunk = {p, n};
    push_trampoline(L, TR_SINK);
    lua_pushvalue(L, ls->fn);
    lua_pushlightuserdata(L, &chunk);
    if (lua_pcall(L, 2, 1, 0) != 0) {
        snprintf(errbuf, errlen, "the sink function raised: %s",
                 lua_isstring(L, -1) ? lua_tostring(L, -1) : "(an error object)");
        lua_pop(L, 1);
        return -1;
    }
    int refused = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (refused) {
        snprintf(errbuf, errlen, "the sink function returned false");
        return -1;
    }
    return 0;
}

/* Read the call options at idx ({ sink = ... }) of a call of op; *sink is
 * where the payload goes (NULL without a sink).  A path sink pushes its
 * owning userdata (*partial set); otherwise nothing is pushed. */
static int read_call_options(lua_State *L, int idx, const omics_op *op, lsink *ls,
                             const omics_sink **sink, lpartial **partial, omics_error *err)
{
    *sink = NULL;
    *partial = NULL;
    memset(ls, 0, sizeof *ls);
    if (lua_isnoneornil(L, idx))
        return 0;
    if (!lua_istable(L, idx))
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "call options: expected a table, got %s", luaL_typename(L, idx));
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "sink") != 0) {
            /* (the key is read before the buffer, which may take a stack slot) */
            size_t n = 0;
            const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &n) : NULL;
            const char *type = luaL_typename(L, -1);
            luaL_Buffer b;
            luaL_buffinit(L, &b);
            if (k) {
                add_key(&b, k, n);
            } else {
                luaL_addstring(&b, "a key of type ");
                luaL_addstring(&b, type);
            }
            luaL_pushresult(&b);
            omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                            "call options: unknown option %s (options: sink)",
                            lua_tostring(L, -1));
            lua_pop(L, 2);
            return -1;
        }
    }
    lua_getfield(L, idx, "sink");
    int sidx = lua_gettop(L);
    ls->L = L;
    ls->sink.write = sink_write;
    ls->sink.rewind = NULL; /* a function or the caller's file cannot take bytes back */
    ls->sink.ud = ls;
    FILE *f;
    if (lua_isnil(L, sidx)) {
        lua_pop(L, 1);
        return 0;
    }
    if (omics_op_check_sink(op, err)) { /* before any file is made */
        lua_pop(L, 1);
        return -1;
    }
    if (lua_isfunction(L, sidx)) {
        ls->fn = sidx; /* stays on the stack for the call */
    } else if ((f = lc_tofile(L, sidx)) != NULL) {
        ls->f = f;
        lua_pop(L, 1);
    } else if (lua_type(L, sidx) == LUA_TSTRING) {
        lpartial *pt = new_partial(L, sidx, err);
        lua_remove(L, sidx); /* the path was copied */
        if (!pt)
            return -1;
        *partial = pt;
        *sink = omics_path_sink_sink(pt->ps);
        return 0;
    } else {
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "sink: expected a function, an open file or a path, got %s",
                        luaL_typename(L, sidx));
        lua_pop(L, 1);
        return -1;
    }
    *sink = &ls->sink;
    return 0;
}

/* Close a path sink: renamed into place when the call succeeded, removed
 * when it did not. */
static int finish_partial(lpartial *pt, int ok, omics_error *err)
{
    if (!pt)
        return 0;
    omics_path_sink *ps = pt->ps;
    pt->ps = NULL;
    return omics_path_sink_finish(ps, ok, err);
}

/* core.path_sink(path) -> a path sink for the Lua transports, with
 * :write(chunk), :rewind() and :finish(ok); or nil, err. */
static int l_path_sink(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    luaL_checkstring(L, 1);
    if (!new_partial(L, 1, &err))
        return fail(L, &err);
    return 1;
}

static omics_path_sink *check_partial(lua_State *L)
{
    lpartial *pt = luaL_checkudata(L, 1, "omics.partial");
    if (!pt->ps)
        luaL_error(L, "this path sink is finished");
    return pt->ps;
}

/* sink:write(chunk) -> true, or nil and why */
static int l_partial_write(lua_State *L)
{
    const omics_sink *sink = omics_path_sink_sink(check_partial(L));
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

/* sink:rewind() -> true when the file starts over */
static int l_partial_rewind(lua_State *L)
{
    const omics_sink *sink = omics_path_sink_sink(check_partial(L));
    lua_pushboolean(L, sink->rewind(sink->ud) == 0);
    return 1;
}

/* sink:finish(ok) -> true, or nil and err (the file completed, or removed) */
static int l_partial_finish(lua_State *L)
{
    lpartial *pt = luaL_checkudata(L, 1, "omics.partial");
    omics_error err;
    omics_error_init(&err);
    if (finish_partial(pt, lua_toboolean(L, 2), &err))
        return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* core.check_sink(client, op) -> true, or nil and a SinkError when op's
 * answer has no streaming payload for a sink to take */
static int l_check_sink(lua_State *L);

/* One omics_call, run under lua_pcall so that a builder which raises (out of
 * memory) unwinds to run_call, which marks the client idle before passing
 * the error on.  Arguments: the lcall, then the sink function or nil. */
typedef struct lcall {
    lclient *lc;
    const omics_op *op;
    const omics_value *params;
    lsink *ls; /* a function's or a file's sink, whose fn is moved to this frame */
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
    if (!lua_isnil(L, 2) && !lua_istable(L, 2)) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "params: expected a table, got %s", luaL_typename(L, 2));
        return fail(L, &err);
    }
    lsink ls;
    const omics_sink *sink;
    lpartial *partial;
    if (read_call_options(L, 3, op, &ls, &sink, &partial, &err))
        return fail(L, &err);
    if (lua_to_value(L, 2, lc->values, &params, &err)) {
        finish_partial(partial, 0, NULL);
        return fail(L, &err);
    }
    int base = lua_gettop(L);
    omics_builder b;
    lua_builder(L, &b);
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
        finish_partial(partial, 0, NULL);
        return lua_error(L);
    }
    if (finish_partial(partial, k.rc == 0, &err)) {
        lua_settop(L, base);
        return fail(L, &err);
    }
    return built(L, k.rc, k.has_data, base, &err);
}

/* ------------------------------------------------------------ many calls
 * core.call_many(client, calls, concurrency): the curl multi driver
 * (omics_multi).  calls is a list of { op, params }; the answer is a list in
 * the same order of { result } or { nil, err }: a call refused or failed
 * fails only itself. */

#define LOMICS_MANY "omics.many"

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
        push_error(L, err, data ? -2 : 0);
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
    if (err) { /* push_error clears what it is given: a copy */
        omics_error_set(&e, err->kind, err->code, "%s", err->message ? err->message : "");
        e.status = err->status;
        e.retryable = err->retryable;
        e.attempts = err->attempts;
        snprintf(e.request_id, sizeof e.request_id, "%s", err->request_id);
    }
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
    const omics_op *op = name ? find_op(omics_client_model(lc->c), name) : NULL;
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
    if (op && a && lua_to_value_in(L, -1, a, params, err))
        op = NULL;
    lua_pop(L, 1);
    return op;
}

/* core.many_options(opts): the concurrency of call_many's options table,
 * or nil, err naming the option. */
static int l_many_options(lua_State *L)
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
        return fail(L, &err);
    }
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING || strcmp(lua_tostring(L, -1), "concurrency") != 0) {
            omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                            "call_many options: unknown option %.40s (options: concurrency)",
                            lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1)
                                                           : luaL_typename(L, -1));
            return fail(L, &err);
        }
    }
    lua_getfield(L, 1, "concurrency");
    int64_t n = OMICS_MULTI_CONCURRENCY;
    if (!lua_isnil(L, -1) && !lc_tointegral(L, -1, &n)) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "concurrency: expected an integer from 1 to %d, got %s",
                        OMICS_MULTI_MAX_CONCURRENCY, luaL_typename(L, -1));
        return fail(L, &err);
    }
    if (omics_multi_check_concurrency((long long)n, &err))
        return fail(L, &err);
    lc_pushinteger(L, n);
    return 1;
}

/* core.check_call(client, i, entry): the API name of entry's operation, or
 * nil, err as core.call_many words it (for the drivers in Lua). */
static int l_check_call(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    lua_Integer i = luaL_checkinteger(L, 2);
    omics_error err;
    omics_error_init(&err);
    const omics_op *op = many_entry(L, lc, 3, i, NULL, NULL, &err);
    if (!op)
        return fail(L, &err);
    lua_pushstring(L, omics_op_name(op));
    return 1;
}

static int l_call_many(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer concurrency = luaL_checkinteger(L, 3);
    omics_error err;
    omics_error_init(&err);
    lmany *lm = lua_newuserdata(L, sizeof *lm);
    lm->m = NULL;
    lm->a = NULL;
    luaL_setmetatable(L, LOMICS_MANY);
    int ud_idx = lua_gettop(L);
    lua_Integer n = (lua_Integer)lua_rawlen(L, 2);
    lua_createtable(L, n > 1024 ? 1024 : (int)n, 0);
    int results = lua_gettop(L);
    lm->a = omics_arena_new(16384);
    if (!lm->a)
        return omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "out of memory"), fail(L, &err);
    lm->m = omics_multi_new(lc->c, (int)(concurrency < 0 || concurrency > INT_MAX ? 0 : concurrency),
                            &err);
    if (!lm->m)
        return fail(L, &err);
    omics_builder b;
    lua_builder(L, &b);
    size_t *map = omics_arena_alloc(lm->a, (size_t)(n > 0 ? n : 1) * sizeof *map);
    if (!map)
        return omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "out of memory"), fail(L, &err);
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
        return fail(L, &k.err);
    }
    lua_settop(L, results);
    return 1;
}

/* ------------------------------------------------------------ exchange
 * core.exchange(client, op, params, path_sink, agent): the engine of one
 * call (omics_exchange) for the Lua drivers (nginx cosockets, a transport
 * function), which only move bytes:
 *
 *   local step, v = x:next()       -- "send", request | "wait", seconds
 *   step, v = x:answered(response, sink_bytes)  -- or x:failed(code, message,
 *                                  -- retryable, sink_bytes); then "wait",
 *                                  -- "done", result or "failed", err */

#define LOMICS_EXCHANGE "omics.exchange"

static int push_request(lua_State *L, const omics_request *req);
static int read_response(lua_State *L, int idx, omics_arena *a, omics_response *resp,
                         omics_error *err);

typedef struct lexchange {
    omics_exchange *x;
    omics_arena *values; /* the parameters' tree, a file payload's reader too */
    omics_builder b;
    lprovider *prov;
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

/* The step as Lua values; what the builder pushed since base is the result
 * (done) or a modeled error's members (failed). */
static int push_step(lua_State *L, lexchange *lx, omics_step step, double wait, int base)
{
    switch (step) {
    case OMICS_STEP_SEND:
        break;
    case OMICS_STEP_WAIT:
        lua_settop(L, base);
        lua_pushliteral(L, "wait");
        lua_pushnumber(L, wait);
        return 2;
    case OMICS_STEP_DONE:
        if (lua_gettop(L) == base)
            lua_pushnil(L); /* (the result was given once already) */
        lua_pushliteral(L, "done");
        lua_insert(L, -2);
        return 2;
    case OMICS_STEP_FAILED: {
        omics_error e;
        omics_error_init(&e);
        omics_exchange_take_error(lx->x, &e);
        if (omics_exchange_has_data(lx->x) && lua_gettop(L) > base)
            push_error(L, &e, -1);
        else {
            lua_settop(L, base);
            push_error(L, &e, 0);
        }
        lua_pushliteral(L, "failed");
        lua_insert(L, -2);
        return 2;
    }
    }
    return 0;
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
    const omics_request *req;
    double wait;
    lua_State *was = lp_enter(lx->prov, L);
    omics_step step = omics_exchange_next(lx->x, &req, &wait);
    lp_leave(lx->prov, was);
    if (step == OMICS_STEP_SEND) {
        lua_pushliteral(L, "send");
        push_request(L, req);
        return 2;
    }
    return push_step(L, lx, step, wait, base);
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
    return push_step(L, lx, step, wait, base);
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
    omics_arena *a = omics_arena_new(1024);
    if (!a)
        return luaL_error(L, "out of memory");
    int readable = read_response(L, 2, a, &resp, &err) == 0;
    if (!readable)
        err.kind = OMICS_ETRANSPORT;
    int n = report(L, lx, readable ? &resp : NULL, &err, sink_bytes, 2);
    omics_arena_free(a);
    omics_error_clear(&err);
    return n;
}

/* x:failed(code, message, retryable, sink_bytes) */
static int l_exchange_failed(lua_State *L)
{
    lexchange *lx = check_exchange(L);
    const char *code = luaL_checkstring(L, 2);
    const char *message = luaL_optstring(L, 3, "");
    int retryable = lua_toboolean(L, 4);
    lua_Number sink_bytes = luaL_optnumber(L, 5, 0);
    omics_error err;
    omics_error_init(&err);
    omics_error_set(&err, OMICS_ETRANSPORT, code, "%s", message);
    err.retryable = retryable;
    lua_settop(L, 1);
    int n = report(L, lx, NULL, &err, sink_bytes, 1);
    omics_error_clear(&err);
    return n;
}

/* core.exchange(client, op, params, path_sink or nil, agent or nil) */
static int l_exchange_new(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const omics_op *op = find_op(omics_client_model(lc->c), name);
    if (!op)
        return unknown_op(L, name);
    lua_settop(L, 5);
    omics_error err;
    omics_error_init(&err);
    if (!lua_isnil(L, 3) && !lua_istable(L, 3)) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "params: expected a table, got %s", luaL_typename(L, 3));
        return fail(L, &err);
    }
    const omics_sink *sink = NULL;
    if (!lua_isnil(L, 4)) {
        lpartial *pt = luaL_checkudata(L, 4, "omics.partial");
        if (!pt->ps)
            return luaL_error(L, "this path sink is finished");
        sink = omics_path_sink_sink(pt->ps);
    }
    lexchange *lx = lc_newuserdata(L, sizeof *lx); /* at 6 */
    memset(lx, 0, sizeof *lx);
    luaL_setmetatable(L, LOMICS_EXCHANGE);
    /* the client, the parameters (their strings) and the sink live as long */
    static const int anchored[] = {1, 3, 4}; /* client, params, path sink */
    lua_createtable(L, 3, 0);
    for (int i = 0; i < 3; i++) {
        lua_pushvalue(L, anchored[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lc_setuservalue(L, 6);
    lx->prov = lc->prov;
    lx->values = omics_arena_new(4096);
    if (!lx->values)
        return luaL_error(L, "out of memory");
    omics_value *params;
    if (lua_to_value(L, 3, lx->values, &params, &err))
        return fail(L, &err);
    lua_builder(L, &lx->b);
    lua_State *was = lp_enter(lx->prov, L);
    lx->x = omics_exchange_new(lc->c, op, params, sink, &lx->b, lua_tostring(L, 5), &err);
    lp_leave(lx->prov, was);
    if (!lx->x)
        return fail(L, &err);
    lua_settop(L, 6);
    return 1;
}

static int l_check_sink(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const omics_op *op = find_op(omics_client_model(lc->c), name);
    if (!op)
        return unknown_op(L, name);
    omics_error err;
    omics_error_init(&err);
    if (omics_op_check_sink(op, &err))
        return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_call(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const omics_op *op = find_op(omics_client_model(lc->c), name);
    if (!op)
        return unknown_op(L, name);
    lua_remove(L, 2); /* params move to index 2 */
    return run_call(L, lc, op);
}

/* An operation method: upvalue 1 is the operation's name. */
static int l_op_method(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    const omics_op *op = omics_model_op(omics_client_model(lc->c), name);
    if (!op)
        return unknown_op(L, name);
    return run_call(L, lc, op);
}

/* A request as a table: method, path, query, host, url, headers (a map),
 * body, unsigned_payload, body_length (a file payload), streaming_output. */
static int push_request(lua_State *L, const omics_request *req)
{
    lua_createtable(L, 0, 8);
    lua_pushstring(L, req->method);
    lua_setfield(L, -2, "method");
    lua_pushstring(L, req->path);
    lua_setfield(L, -2, "path");
    lua_pushstring(L, req->query);
    lua_setfield(L, -2, "query");
    lua_pushstring(L, req->host);
    lua_setfield(L, -2, "host");
    lua_pushstring(L, req->url);
    lua_setfield(L, -2, "url");
    lua_createtable(L, 0, (int)req->nheaders);
    for (size_t i = 0; i < req->nheaders; i++) {
        lua_pushstring(L, req->headers[i].value);
        lua_setfield(L, -2, req->headers[i].name);
    }
    lua_setfield(L, -2, "headers");
    if (req->body) {
        lua_pushlstring(L, req->body, req->body_len);
        lua_setfield(L, -2, "body");
    }
    if (req->unsigned_payload) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "unsigned_payload");
    }
    if (req->body_reader) {
        /* the body is the file given as the payload: its length from here */
        lua_pushnumber(L, (lua_Number)req->body_reader->length);
        lua_setfield(L, -2, "body_length");
    }
    if (req->streaming_output) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "streaming_output");
    }
    return 1;
}

/* client:prepare(op, params) -> { method, path, query, host, url, headers, body } */
static int l_prepare(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    const omics_op *op = find_op(omics_client_model(lc->c), name);
    if (!op)
        return unknown_op(L, name);
    omics_error err;
    omics_error_init(&err);
    if (!lua_isnoneornil(L, 3) && !lua_istable(L, 3)) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "params: expected a table, got %s", luaL_typename(L, 3));
        return fail(L, &err);
    }
    omics_value *params;
    omics_request req;
    if (lua_to_value(L, 3, lc->values, &params, &err) ||
        omics_prepare(lc->c, op, params, &req, &err))
        return fail(L, &err);
    return push_request(L, &req);
}

static const char *field_string(lua_State *L, int t, const char *k, size_t *len)
{
    lua_getfield(L, t, k);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, len) : NULL;
    lua_pop(L, 1); /* still anchored by t */
    return s;
}

/* Headers of a request or response table: a map name -> value, or an array of
 * { name, value } pairs.  Stored in arena a. */
static int read_headers(lua_State *L, int t, omics_arena *a, omics_header **out, size_t *n,
                        int lower, omics_error *err)
{
    *out = NULL;
    *n = 0;
    int ty = lc_getfield(L, t, "headers");
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return 0;
    }
    if (ty != LUA_TTABLE) {
        lua_pop(L, 1);
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "headers: expected a table");
    }
    int h = lua_gettop(L);
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, h)) {
        count++;
        lua_pop(L, 1);
    }
    omics_header *hs = count ? omics_arena_alloc(a, count * sizeof *hs) : NULL;
    if (count && !hs) {
        lua_pop(L, 1);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, h)) {
        const char *name = NULL, *value = NULL;
        size_t nl = 0, vl = 0;
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
            name = lua_tolstring(L, -2, &nl);
            value = lua_tolstring(L, -1, &vl);
        } else if (lua_type(L, -1) == LUA_TTABLE) {
            lua_rawgeti(L, -1, 1);
            lua_rawgeti(L, -2, 2);
            if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING) {
                name = lua_tolstring(L, -2, &nl); /* anchored by the pair table */
                value = lua_tolstring(L, -1, &vl);
            }
            lua_pop(L, 2);
        }
        if (name && value && (strlen(name) != nl || strlen(value) != vl)) {
            lua_pop(L, 3);
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "header %zu: its name or value holds a control character "
                                   "(a NUL byte)",
                                   i + 1);
        }
        if (!name || !value) {
            lua_pop(L, 3);
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "headers: each header is name = value (strings) or "
                                   "{ name, value }");
        }
        if (lower) {
            char *ln = omics_arena_strdup(a, name);
            if (!ln) {
                lua_pop(L, 3);
                return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
            }
            for (char *p = ln; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
            name = ln;
        }
        hs[i].name = name;
        hs[i].value = value;
        i++;
        lua_pop(L, 1);
    }
    lua_pop(L, 1); /* the headers table stays anchored by t */
    *out = hs;
    *n = i;
    return 0;
}

/* client:sign(req): add the signature headers to a prepared request. */
static int l_sign(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    omics_error err;
    omics_error_init(&err);
    omics_request req;
    memset(&req, 0, sizeof req);
    omics_arena_reset(lc->values);
    req.method = field_string(L, 2, "method", NULL);
    req.path = field_string(L, 2, "path", NULL);
    req.query = field_string(L, 2, "query", NULL);
    req.body = field_string(L, 2, "body", &req.body_len);
    lua_getfield(L, 2, "unsigned_payload");
    req.unsigned_payload = lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (!req.method || !req.path) {
        omics_error_set(&err, OMICS_EVALIDATION, "ParamValidationError",
                        "req: method and path are required (a table from client:prepare)");
        return fail(L, &err);
    }
    if (read_headers(L, 2, lc->values, &req.headers, &req.nheaders, 0, &err))
        return fail(L, &err);
    lua_State *was = lp_enter(lc->prov, L);
    int rc = omics_sign_request(lc->c, &req, &err);
    lp_leave(lc->prov, was);
    if (rc)
        return fail(L, &err);
    lua_createtable(L, 0, (int)req.nheaders);
    for (size_t i = 0; i < req.nheaders; i++) {
        lua_pushstring(L, req.headers[i].value);
        lua_setfield(L, -2, req.headers[i].name);
    }
    lua_setfield(L, 2, "headers");
    lua_settop(L, 2);
    return 1;
}

/* A response from the table at idx: { status, headers, body, body_streamed },
 * its headers in a (the strings stay anchored by the table). */
static int read_response(lua_State *L, int idx, omics_arena *a, omics_response *resp,
                         omics_error *err)
{
    memset(resp, 0, sizeof *resp);
    lua_getfield(L, idx, "status");
    int64_t status = 0;
    int isnum = lc_tointegral(L, -1, &status);
    resp->status = (long)status;
    lua_pop(L, 1);
    if (!isnum || resp->status < 100 || resp->status > 999)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "response: status must be an HTTP status code");
    resp->body = field_string(L, idx, "body", &resp->body_len);
    if (!resp->body)
        resp->body = "";
    lua_getfield(L, idx, "body_streamed");
    resp->body_streamed = lua_toboolean(L, -1);
    lua_pop(L, 1);
    omics_header *hs;
    if (read_headers(L, idx, a, &hs, &resp->nheaders, 1, err))
        return -1;
    resp->headers = hs;
    return 0;
}

/* client:parse(op, { status, headers, body }) */
static int l_parse(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *name = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    const omics_model *m = omics_client_model(lc->c);
    const omics_op *op = find_op(m, name);
    if (!op)
        return unknown_op(L, name);
    omics_error err;
    omics_error_init(&err);
    omics_response resp;
    omics_arena_reset(lc->values);
    if (read_response(L, 3, lc->values, &resp, &err))
        return fail(L, &err);
    /* the parser is owned by a userdata so that a Lua error cannot leak it */
    omics_parser **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, "omics.parser");
    omics_parser *p = *box = omics_parser_new();
    if (!p) {
        omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return fail(L, &err);
    }
    int base = lua_gettop(L);
    omics_builder b;
    lua_builder(L, &b);
    int has_data = 0;
    int rc = omics_parse(p, m, op, &resp, &b, &has_data, &err);
    return built(L, rc, has_data, base, &err);
}

static int l_parser_gc(lua_State *L)
{
    omics_parser **box = luaL_checkudata(L, 1, "omics.parser");
    omics_parser_free(*box);
    *box = NULL;
    return 0;
}

/* client:credentials() -> { access_key_id, provider, expiration }: never the secret */
static int l_credentials(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    omics_error err;
    omics_error_init(&err);
    omics_credentials c;
    memset(&c, 0, sizeof c);
    const char *provider;
    lua_State *was = lp_enter(lc->prov, L);
    int rc = omics_client_identity(lc->c, (const char **)&c.access_key_id, &provider,
                                   &c.expiration, &err);
    lp_leave(lc->prov, was);
    if (rc)
        return fail(L, &err);
    snprintf(c.provider, sizeof c.provider, "%s", provider);
    return push_identity(L, &c);
}

/* client:operations() -> { { name = "GetReferenceMetadata", method = "get_reference_metadata" }, ... } */
static int l_operations(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const omics_model *m = omics_client_model(lc->c);
    size_t n = omics_model_op_count(m);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        const omics_op *op = omics_model_op_at(m, i);
        lua_createtable(L, 0, 2);
        lua_pushstring(L, omics_op_name(op));
        lua_setfield(L, -2, "name");
        lua_pushstring(L, omics_op_snake(op));
        lua_setfield(L, -2, "method");
        lua_rawseti(L, -2, (int)i + 1);
    }
    return 1;
}

/* core.model_extra(client, "paginators" | "waiters") -> table */
static int l_model_extra(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    const char *which = luaL_checkstring(L, 2);
    omics_error err;
    omics_error_init(&err);
    int base = lua_gettop(L);
    omics_builder b;
    lua_builder(L, &b);
    if (omics_model_extra(omics_client_model(lc->c), which, &b, &err) == 0)
        return 1;
    lua_settop(L, base);
    return fail(L, &err);
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
 * max_response_bytes }: what every transport holds an attempt to */
static int l_limits(lua_State *L)
{
    lclient *lc = check_client(L, 1);
    omics_limits l;
    omics_client_limits(lc->c, &l);
    lua_createtable(L, 0, 4);
    lua_pushnumber(L, l.timeout);
    lua_setfield(L, -2, "timeout");
    lua_pushnumber(L, l.connect_timeout);
    lua_setfield(L, -2, "connect_timeout");
    lua_pushnumber(L, l.stall_timeout);
    lua_setfield(L, -2, "stall_timeout");
    lua_pushnumber(L, (lua_Number)l.max_response_bytes);
    lua_setfield(L, -2, "max_response_bytes");
    lua_pushnumber(L, (lua_Number)l.max_header_bytes);
    lua_setfield(L, -2, "max_header_bytes");
    return 1;
}

/* core.too_large(client, headers, streaming) -> the ResponseTooLarge message
 * a Lua driver reports, worded as libcurl's */
static int l_too_large(lua_State *L)
{
    lclient *lc = check_client(L, 1);
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
    if (lc->c && omics_client_busy(lc->c))
        return luaL_error(L, "this omics client is in the middle of a call: it cannot be closed "
                             "from its own sink, log or credentials function");
    return l_client_gc(L);
}

static const luaL_Reg client_methods[] = {
    {"call", l_call},   {"prepare", l_prepare}, {"sign", l_sign},
    {"parse", l_parse}, {"close", l_close},     {"credentials", l_credentials},
    {"operations", l_operations}, {NULL, NULL}};

/* Any method of a closed client: upvalue 1 is its name. */
static int l_closed_method(lua_State *L)
{
    return luaL_error(L, "this omics client is closed (client:%s cannot be called after "
                         "client:close())",
                      lua_tostring(L, lua_upvalueindex(1)));
}

/* The edit distance of a and b (Levenshtein), or a large number for names
 * too long to be a typo of each other. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 96 || m > 96)
        return 1000;
    size_t row[97];
    for (size_t j = 0; j <= m; j++)
        row[j] = j;
    for (size_t i = 1; i <= n; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[m];
}

/* client.<key> for a key that is neither a method nor an operation: raise,
 * naming the closest method or operation (as botocore's AttributeError
 * names the missing attribute), instead of Lua's bare "attempt to call a
 * nil value". The metatable's methods table is at index 3 of this frame. */
static int unknown_method(lua_State *L, lclient *lc, const char *key)
{
    const omics_model *m = omics_client_model(lc->c);
    const omics_op *api = omics_model_op(m, key); /* the API name given as a method */
    const char *best = api ? omics_op_snake(api) : NULL;
    size_t best_d = api ? 0 : (size_t)-1;
    for (size_t i = 0; !api && i < omics_model_op_count(m); i++) {
        const char *name = omics_op_snake(omics_model_op_at(m, i));
        size_t d = edit_distance(key, name);
        if (d < best_d) {
            best_d = d;
            best = name;
        }
    }
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "methods");
    lua_pushnil(L);
    while (!api && lua_next(L, -2)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING) {
            size_t d = edit_distance(key, lua_tostring(L, -1));
            if (d < best_d) {
                best_d = d;
                best = lua_tostring(L, -1); /* anchored by the methods table */
            }
        }
    }
    size_t len = strlen(key);
    if (best && best_d <= (len < 9 ? 2 : len / 3))
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
    lclient *lc = check_client(L, 1);
    lc->lua_methods = 1;
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

/* Text of a JSON string or a table (written as JSON) at idx; NULL if nil. */
static const char *json_arg(lua_State *L, int idx, size_t *len, omics_arena *a,
                            omics_error *err, int *bad)
{
    *bad = 0;
    if (lua_isnoneornil(L, idx))
        return NULL;
    if (lua_type(L, idx) == LUA_TSTRING)
        return lua_tolstring(L, idx, len);
    if (!lua_istable(L, idx)) {
        *bad = 1;
        omics_error_set(err, OMICS_ECONFIG, "InvalidModel",
                        "a model is a JSON string or a table, got %s", luaL_typename(L, idx));
        return NULL;
    }
    omics_value *v;
    char *text;
    if (lua_to_value(L, idx, a, &v, err) || omics_value_to_json(v, &text, len, err)) {
        *bad = 1;
        return NULL;
    }
    lua_pushlstring(L, text, *len);
    free(text);
    lua_replace(L, idx);
    return lua_tostring(L, idx);
}

/* omics.service(model, opts): a client for any botocore rest-json model. */
static int l_service(lua_State *L)
{
    omics_error err;
    omics_error_init(&err);
    lua_settop(L, 2);
    omics_arena *a = omics_arena_new(4096);
    if (!a)
        return luaL_error(L, "out of memory");
    /* paginators and waiters ride in the options */
    int pidx = 0, widx = 0;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "paginators");
        pidx = lua_gettop(L);
        lua_getfield(L, 2, "waiters");
        widx = lua_gettop(L);
    }
    size_t sl = 0, pl = 0, wl = 0;
    int bad1, bad2 = 0, bad3 = 0;
    const char *svc = json_arg(L, 1, &sl, a, &err, &bad1);
    const char *pag = bad1 || !pidx ? NULL : json_arg(L, pidx, &pl, a, &err, &bad2);
    const char *wai = bad1 || bad2 || !widx ? NULL : json_arg(L, widx, &wl, a, &err, &bad3);
    omics_arena_free(a);
    if (bad1 || bad2 || bad3)
        return fail(L, &err);
    if (!svc) {
        omics_error_set(&err, OMICS_ECONFIG, "InvalidModel", "omics.service needs a model");
        return fail(L, &err);
    }
    lmodel *lm = lc_newuserdata(L, sizeof *lm);
    lm->m = NULL;
    luaL_setmetatable(L, LOMICS_MODEL);
    int midx = lua_gettop(L);
    lm->m = omics_model_load(svc, sl, pag, pl, wai, wl, &err);
    if (!lm->m)
        return fail(L, &err);
    if (lua_istable(L, 2)) {
        /* the client options, without the two the model took */
        lua_newtable(L);
        lua_pushnil(L);
        while (lua_next(L, 2)) {
            const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
            if (strcmp(k, "paginators") != 0 && strcmp(k, "waiters") != 0) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -4);
            } else {
                lua_pop(L, 1);
            }
        }
        lua_replace(L, 2);
    }
    return new_client(L, lm->m, midx, 2);
}

/* -------------------------------------------------------------- sigv4 */

static omics_signer *state_signer(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, LOMICS_SIGNER_KEY);
    omics_signer **box = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return box ? *box : NULL;
}

static int l_signer_gc(lua_State *L)
{
    omics_signer **box = lua_touserdata(L, 1);
    if (box) {
        omics_signer_free(*box);
        *box = NULL;
    }
    return 0;
}

static int sign_bool(lua_State *L, int t, const char *k, int dflt)
{
    int ty = lc_getfield(L, t, k);
    int v = ty == LUA_TNIL ? dflt : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* omics.sigv4.sign(req) */
static int l_sigv4_sign(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    omics_error err;
    omics_error_init(&err);
    omics_sign_params p;
    memset(&p, 0, sizeof p);
    omics_credentials creds;
    memset(&creds, 0, sizeof creds);
    /* the arena goes in a userdata so that nothing leaks if Lua unwinds */
    omics_arena **abox = lc_newuserdata(L, sizeof *abox);
    *abox = NULL;
    luaL_setmetatable(L, "omics.arena");
    omics_arena *a = *abox = omics_arena_new(1024);
    if (!a)
        return luaL_error(L, "out of memory");
    static const char *const texts[] = {"method", "path",   "query",       "region",
                                        "service", "payload_hash", NULL};
    for (const char *const *k = texts; *k; k++) {
        size_t n;
        const char *v = field_string(L, 1, *k, &n);
        if (v && strlen(v) != n) {
            omics_error_set(&err, OMICS_EUSAGE, "InvalidSignParams",
                            "req.%s holds a control character (a NUL byte)", *k);
            return fail(L, &err);
        }
    }
    p.method = field_string(L, 1, "method", NULL);
    p.path = field_string(L, 1, "path", NULL);
    p.query = field_string(L, 1, "query", NULL);
    p.body = field_string(L, 1, "body", &p.body_len);
    p.payload_hash = field_string(L, 1, "payload_hash", NULL);
    p.region = field_string(L, 1, "region", NULL);
    p.service = field_string(L, 1, "service", NULL);
    p.normalize_path = sign_bool(L, 1, "normalize_path", 1);
    p.no_path_encoding = !sign_bool(L, 1, "encode_path", 1);
    p.content_sha256_header = sign_bool(L, 1, "content_sha256_header", 0);
    p.omit_session_token = sign_bool(L, 1, "omit_session_token", 0);
    lua_getfield(L, 1, "time");
    if (lua_isnumber(L, -1))
        p.time = (int64_t)floor(lua_tonumber(L, -1));
    else
        p.time = (int64_t)time(NULL);
    lua_pop(L, 1);
    omics_header *hs;
    size_t nh;
    int rc = read_headers(L, 1, a, &hs, &nh, 0, &err);
    if (rc == 0) {
        p.headers = hs;
        p.nheaders = nh;
        if (lc_getfield(L, 1, "credentials") != LUA_TTABLE)
            rc = omics_error_set(&err, OMICS_ECREDENTIALS, "NoCredentialsError",
                                 "req.credentials is required");
        else
            rc = read_credentials(L, lua_gettop(L), &creds, &err, "req.credentials");
        lua_pop(L, 1);
    }
    p.credentials = &creds;
    omics_signature sig;
    omics_signer *signer = state_signer(L);
    if (rc == 0 && !signer)
        rc = omics_error_set(&err, OMICS_EMEMORY, "MemoryError", "no signer");
    if (rc == 0)
        rc = omics_sign(signer, &p, &sig, &err);
    omics_credentials_clear(&creds);
    if (rc)
        return fail(L, &err);
    lua_createtable(L, 0, 5);
    lua_createtable(L, (int)sig.nheaders, 0);
    for (size_t i = 0; i < sig.nheaders; i++) {
        lua_createtable(L, 2, 0);
        lua_pushstring(L, sig.headers[i].name);
        lua_rawseti(L, -2, 1);
        lua_pushstring(L, sig.headers[i].value);
        lua_rawseti(L, -2, 2);
        lua_rawseti(L, -2, (int)i + 1);
    }
    lua_setfield(L, -2, "headers");
    lua_pushstring(L, sig.canonical_request);
    lua_setfield(L, -2, "canonical_request");
    lua_pushstring(L, sig.string_to_sign);
    lua_setfield(L, -2, "string_to_sign");
    lua_pushstring(L, sig.signature);
    lua_setfield(L, -2, "signature");
    lua_pushstring(L, sig.authorization);
    lua_setfield(L, -2, "authorization");
    return 1;
}

static int l_arena_gc(lua_State *L)
{
    omics_arena **box = lua_touserdata(L, 1);
    if (box) {
        omics_arena_free(*box);
        *box = NULL;
    }
    return 0;
}

/* -------------------------------------------------------------- module */

static void new_gc_type(lua_State *L, const char *name, lua_CFunction gc)
{
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
}

LOMICS_EXPORT int luaopen_omics_core(lua_State *L);

/* require "omics.core": the C half.  require "omics" (omics.lua) adds the
 * parts that must be able to yield: paginators and waiters. */
LOMICS_EXPORT int luaopen_omics_core(lua_State *L)
{
    register_trampolines(L);
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
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "methods");
    lua_setfield(L, LUA_REGISTRYINDEX, "omics.client.methods");
    lua_pop(L, 1);

    new_gc_type(L, LOMICS_MODEL, l_model_gc);
    new_gc_type(L, "omics.parser", l_parser_gc);
    new_gc_type(L, "omics.arena", l_arena_gc);
    new_gc_type(L, "omics.partial", l_partial_gc);
    new_gc_type(L, LOMICS_EXCHANGE, l_exchange_gc);
    new_gc_type(L, LOMICS_MANY, l_many_gc);
    luaL_getmetatable(L, LOMICS_EXCHANGE);
    static const luaL_Reg exchange_methods[] = {{"next", l_exchange_next},
                                                {"answered", l_exchange_answered},
                                                {"failed", l_exchange_failed},
                                                {NULL, NULL}};
    luaL_newlib(L, exchange_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_getmetatable(L, "omics.partial");
    static const luaL_Reg partial_methods[] = {
        {"write", l_partial_write}, {"rewind", l_partial_rewind}, {"finish", l_partial_finish},
        {NULL, NULL}};
    luaL_newlib(L, partial_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    luaL_newmetatable(L, LOMICS_PROVIDER);
    lua_pushcfunction(L, l_provider_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_provider_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, l_provider_credentials);
    lua_setfield(L, -2, "credentials");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newmetatable(L, LOMICS_ERROR);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    /* one signer (and signing-key cache) per Lua state, for omics.sigv4.sign */
    omics_signer **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    new_gc_type(L, LOMICS_SIGNER, l_signer_gc);
    luaL_setmetatable(L, LOMICS_SIGNER);
    *box = omics_signer_new();
    if (!*box)
        return luaL_error(L, "out of memory");
    lua_setfield(L, LUA_REGISTRYINDEX, LOMICS_SIGNER_KEY);

    lua_newtable(L);
    lua_pushcfunction(L, l_new);
    lua_setfield(L, -2, "new");
    lua_pushcfunction(L, l_service);
    lua_setfield(L, -2, "service");
    lua_pushcfunction(L, l_provider);
    lua_setfield(L, -2, "provider");
    lua_newtable(L);
    lua_pushcfunction(L, l_sigv4_sign);
    lua_setfield(L, -2, "sign");
    lua_setfield(L, -2, "sigv4");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    lua_pushstring(L, OMICS_VERSION);
    lua_setfield(L, -2, "VERSION");
    lua_getfield(L, LUA_REGISTRYINDEX, "omics.client.methods");
    lua_setfield(L, -2, "methods");
    static const luaL_Reg fns[] = {{"model_extra", l_model_extra},
                                   {"now", l_now},
                                   {"sleep", l_sleep},
                                   {"error", l_error},
                                   {"call", l_call},
                                   {"call_many", l_call_many},
                                   {"check_call", l_check_call},
                                   {"many_options", l_many_options},
                                   {"use_lua_methods", l_use_lua_methods},
                                   {"set_method_factory", l_set_method_factory},
                                   {"limits", l_limits},
                                   {"too_large", l_too_large},
                                   {"path_sink", l_path_sink},
                                   {"exchange", l_exchange_new},
                                   {"check_sink", l_check_sink},
                                   {NULL, NULL}};
    luaL_setfuncs(L, fns, 0);
    return 1;
}
