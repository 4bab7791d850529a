/* lua_download: whole files (client:download_read_set and
 * client:download_reference, in omics.lua) on the core's download
 * (omics_download):
 *
 *   d = core.download(client, kind, params, metadata, opts)  -- or nil, err
 *   core.download(client, kind, params, nil, opts)  -- true: the options and
 *                           the files' names checked before the metadata call
 *   d:run(concurrency)      the part calls with curl multi: true, or nil, err
 *   d:parts()               how many part calls there are
 *   d:part(i)               part i's operation name and parameters (a table)
 *   d:sink(i)               part i's sink, for client:call's sink option
 *   d:part_done(i, err)     part i's call ended: true, or nil, err
 *   d:finish()              { files = { SOURCE1 = path, ... }, bytes, parts,
 *                           resumed, seconds }, or nil, err
 *   d:close()               what is unfinished is removed (or kept to resume)
 *
 * kind is "read_set" or "reference"; opts: to, resume, overwrite, progress
 * (a function of bytes done, bytes in all, file). */
#include <stdlib.h>
#include <string.h>

#include "lua_omics.h"

#define LOMICS_DOWNLOAD "omics.download"
#define LOMICS_DLPART "omics.download.part"
#define DL_FILES_MAX 8

typedef struct ldownload {
    omics_download *d;
    omics_arena *a;   /* the metadata's tree */
    lprovider *prov;
    lua_State *L;     /* while a run may call the progress function */
    int at;           /* (and the download's place on that stack) */
    double started;
    int nparts;       /* part calls this run */
    int concurrency;  /* parts in flight (opts.concurrency, default 8) */
} ldownload;

typedef struct ldlpart {
    ldownload *ld;
    size_t i;
} ldlpart;

static int l_download_close(lua_State *L)
{
    ldownload *ld = luaL_checkudata(L, 1, LOMICS_DOWNLOAD);
    omics_download_free(ld->d);
    ld->d = NULL;
    omics_arena_free(ld->a);
    ld->a = NULL;
    return 0;
}

static ldownload *check_download(lua_State *L)
{
    ldownload *ld = luaL_checkudata(L, 1, LOMICS_DOWNLOAD);
    if (!ld->d)
        luaL_error(L, "this download is closed");
    return ld;
}

/* The progress function, while a run or a write may call it. */
static int progress(void *ud, long long done, long long total, const char *file, char *why,
                    size_t whylen)
{
    ldownload *ld = ud;
    return ld->L ? lt_progress(ld->L, ld->at, done, total, file, why, whylen) : 0;
}

static int protected_run(lua_State *L)
{
    ldownload *ld = lua_touserdata(L, 1);
    omics_error *err = lua_touserdata(L, 2);
    int concurrency = (int)lua_tointeger(L, 3);
    lua_settop(L, 4); /* the download at 4, for the progress function */
    ld->at = 4;
    lua_pushinteger(L, omics_download_run(ld->d, concurrency, err));
    return 1;
}

/* d:run(): the parts with curl multi, opts.concurrency at a time */
static int l_download_run(lua_State *L)
{
    ldownload *ld = check_download(L);
    lua_Integer n = ld->concurrency;
    omics_error err;
    omics_error_init(&err);
    lua_pushcfunction(L, protected_run);
    lua_pushlightuserdata(L, ld);
    lua_pushlightuserdata(L, &err);
    lua_pushinteger(L, n);
    lua_pushvalue(L, 1);
    ld->L = L;
    lua_State *was = lp_enter(ld->prov, L);
    int status = lua_pcall(L, 4, 1, 0);
    lp_leave(ld->prov, was);
    ld->L = NULL;
    if (status != 0) {
        omics_error_clear(&err);
        return lua_error(L);
    }
    if (lua_tointeger(L, -1) != 0)
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* d:parts(): the part calls, and how many may be in flight */
static int l_download_parts(lua_State *L)
{
    ldownload *ld = check_download(L);
    lc_pushinteger(L, (lua_Integer)omics_download_parts(ld->d));
    lc_pushinteger(L, ld->concurrency);
    return 2;
}

/* core.is_part_sink(v) */
int ld_is_part_sink(lua_State *L)
{
    lua_pushboolean(L, luaL_testudata(L, 1, LOMICS_DLPART) != NULL);
    return 1;
}

static size_t check_part(lua_State *L, ldownload *ld, int idx)
{
    lua_Integer i = luaL_checkinteger(L, idx);
    if (i < 1 || (size_t)i > omics_download_parts(ld->d))
        luaL_argerror(L, idx, "no such part");
    return (size_t)(i - 1);
}

/* d:part(i): the operation's name and its parameters */
static int l_download_part(lua_State *L)
{
    ldownload *ld = check_download(L);
    size_t i = check_part(L, ld, 2);
    const omics_op *op;
    const omics_value *params;
    const omics_sink *sink;
    omics_download_part(ld->d, i, &op, &params, &sink);
    lua_pushstring(L, omics_op_name(op));
    lua_createtable(L, 0, (int)params->u.t.n);
    for (size_t k = 0; k < params->u.t.n; k++) {
        const omics_entry *e = &params->u.t.items[k];
        lua_pushlstring(L, e->key.u.s.p, e->key.u.s.len);
        if (e->val.type == OMICS_V_INT)
            lc_pushinteger(L, (lua_Integer)e->val.u.i);
        else
            lua_pushlstring(L, e->val.u.s.p, e->val.u.s.len);
        lua_rawset(L, -3);
    }
    return 2;
}

/* d:sink(i): an object client:call takes as its sink (write, and start over) */
static int l_download_sink(lua_State *L)
{
    ldownload *ld = check_download(L);
    size_t i = check_part(L, ld, 2);
    ldlpart *p = lc_newuserdata(L, sizeof *p);
    p->ld = ld;
    p->i = i;
    luaL_setmetatable(L, LOMICS_DLPART);
    lua_createtable(L, 0, 1); /* the download lives as long */
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "download");
    lc_setuservalue(L, -2);
    return 1;
}

const omics_sink *ld_part_sink(lua_State *L, int idx)
{
    ldlpart *p = luaL_testudata(L, idx, LOMICS_DLPART);
    if (!p || !p->ld->d)
        return NULL;
    const omics_op *op;
    const omics_value *params;
    const omics_sink *sink;
    omics_download_part(p->ld->d, p->i, &op, &params, &sink);
    return sink;
}

/* part:write(chunk): true, or nil, message */
static int l_part_write(lua_State *L)
{
    const omics_sink *sink = ld_part_sink(L, 1);
    size_t n;
    const char *s = luaL_checklstring(L, 2, &n);
    if (!sink)
        return luaL_error(L, "this download is closed");
    char why[512];
    ldlpart *p = lua_touserdata(L, 1);
    p->ld->L = L;
    p->ld->at = 4;
    lua_settop(L, 2);
    lc_getuservalue(L, 1);
    lua_getfield(L, 3, "download"); /* the download at 4, for the progress function */
    int rc = sink->write(sink->ud, s, n, why, sizeof why);
    p->ld->L = NULL;
    if (rc) {
        lua_pushnil(L);
        lua_pushstring(L, why);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* d:part_done(i, err or nil) */
static int l_download_part_done(lua_State *L)
{
    ldownload *ld = check_download(L);
    size_t i = check_part(L, ld, 2);
    omics_error call_err, err;
    omics_error_init(&err);
    int failed = lt_call_error(L, 3, &call_err);
    int rc = omics_download_part_done(ld->d, i, failed ? &call_err : NULL, &err);
    omics_error_clear(&call_err);
    if (rc)
        return lv_fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

/* d:finish() */
static int l_download_finish(lua_State *L)
{
    ldownload *ld = check_download(L);
    omics_error err;
    omics_error_init(&err);
    lua_settop(L, 1);
    ld->L = L;
    ld->at = 1;
    int rc = omics_download_finish(ld->d, &err);
    ld->L = NULL;
    if (rc)
        return lv_fail(L, &err);
    lua_createtable(L, 0, 5);
    lua_createtable(L, 0, 3);
    const char *path, *file;
    for (size_t k = 0; (file = omics_download_file(ld->d, k, &path)) != NULL; k++) {
        lua_pushstring(L, path);
        lua_setfield(L, -2, file);
    }
    lua_setfield(L, -2, "files");
    lc_pushinteger(L, (lua_Integer)omics_download_fetched(ld->d));
    lua_setfield(L, -2, "bytes");
    lc_pushinteger(L, ld->nparts);
    lua_setfield(L, -2, "parts");
    lc_pushinteger(L, omics_download_resumed(ld->d));
    lua_setfield(L, -2, "resumed");
    lua_pushnumber(L, omics_monotonic() - ld->started);
    lua_setfield(L, -2, "seconds");
    return 1;
}

static int l_part_gc(lua_State *L)
{
    (void)L; /* (the download it writes to owns the sink) */
    return 0;
}

static const char *const OPTION_NAMES[] = {"to", "concurrency", "progress", "resume",
                                           "overwrite", NULL};

/* The options of a download, checked: names, then each one's type. */
static int read_options(lua_State *L, int idx, omics_download_opts *o, int *concurrency,
                        omics_error *err)
{
    if (lt_option_names(L, idx, OPTION_NAMES, "a download", err) ||
        lt_concurrency(L, idx, concurrency, err))
        return -1;
    if (lua_isnoneornil(L, idx))
        return 0;
    lua_getfield(L, idx, "to");
    if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "opts.to: expected a directory or a file's path, got %s",
                               luaL_typename(L, -1));
    o->to = lua_tostring(L, -1); /* (the options table keeps it) */
    lua_pop(L, 1);
    static const char *const flags[] = {"resume", "overwrite"};
    for (int i = 0; i < 2; i++) {
        lua_getfield(L, idx, flags[i]);
        if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "opts.%s: expected a boolean, got %s", flags[i],
                                   luaL_typename(L, -1));
        if (!lua_isnil(L, -1))
            *(i == 0 ? &o->resume : &o->overwrite) = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_getfield(L, idx, "progress");
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "opts.progress: expected a function, got %s",
                               luaL_typename(L, -1));
    lua_pop(L, 1);
    return 0;
}

/* params.files: a list of the files' names, into names[] */
static int read_files(lua_State *L, int idx, const char **names, size_t *n, omics_error *err)
{
    *n = 0;
    lua_getfield(L, idx, "files");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return 0;
    }
    if (!lua_istable(L, -1))
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "params.files: expected a list of file names, got %s",
                               luaL_typename(L, -1));
    size_t len = (size_t)lua_rawlen(L, -1);
    if (len == 0 || len > DL_FILES_MAX)
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "params.files: expected 1 to 3 file names, got %zu", len);
    for (size_t i = 1; i <= len; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i);
        if (lua_type(L, -1) != LUA_TSTRING)
            return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                                   "params.files[%zu]: expected a file name, got %s", i,
                                   luaL_typename(L, -1));
        names[(*n)++] = lua_tostring(L, -1); /* (params keeps it) */
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

/* core.download(client, kind, params, metadata, opts) */
int ld_new(lua_State *L)
{
    lclient *lc = lo_check_client(L, 1);
    const char *kind = luaL_checkstring(L, 2);
    luaL_checktype(L, 3, LUA_TTABLE);
    if (!lua_isnil(L, 4))
        luaL_checktype(L, 4, LUA_TTABLE);
    lua_settop(L, 5);
    omics_error err;
    omics_error_init(&err);
    omics_download_opts o;
    memset(&o, 0, sizeof o);
    o.resume = 1;
    const char *names[DL_FILES_MAX];
    int concurrency;
    if (read_options(L, 5, &o, &concurrency, &err) || read_files(L, 3, names, &o.nfiles, &err))
        return lv_fail(L, &err);
    o.files = o.nfiles ? names : NULL;
    if (lua_isnil(L, 4)) { /* no metadata yet: the options and files checked, nothing else */
        lua_pushboolean(L, 1);
        return 1;
    }
    ldownload *ld = lc_newuserdata(L, sizeof *ld); /* at 6 */
    memset(ld, 0, sizeof *ld);
    luaL_setmetatable(L, LOMICS_DOWNLOAD);
    ld->prov = lc->prov;
    ld->concurrency = concurrency;
    ld->started = omics_monotonic();
    lua_createtable(L, 0, 1); /* { progress = fn } */
    if (lua_istable(L, 5)) {
        lua_getfield(L, 5, "progress");
        if (lua_isfunction(L, -1)) {
            o.progress = progress;
            o.progress_ud = ld;
        }
        lua_setfield(L, -2, "progress");
    }
    lc_setuservalue(L, 6);
    omics_value *params, *meta;
    if (!(ld->a = omics_arena_new(4096)))
        return luaL_error(L, "out of memory");
    if (lv_convert_keep(L, 3, ld->a, 0, "params", &params, &err) ||
        lv_convert_keep(L, 4, ld->a, 0, "metadata", &meta, &err))
        return lv_fail(L, &err);
    omics_download_kind k = strcmp(kind, "read_set") == 0    ? OMICS_DOWNLOAD_READ_SET
                            : strcmp(kind, "reference") == 0 ? OMICS_DOWNLOAD_REFERENCE
                                                             : 0;
    if (!k)
        return luaL_argerror(L, 2, "read_set or reference");
    ld->d = omics_download_new(lc->c, k, params, meta, &o, &err);
    if (!ld->d)
        return lv_fail(L, &err);
    ld->nparts = (int)omics_download_parts(ld->d);
    lua_settop(L, 6);
    return 1;
}

void ld_open(lua_State *L)
{
    static const luaL_Reg methods[] = {{"run", l_download_run},
                                       {"parts", l_download_parts},
                                       {"part", l_download_part},
                                       {"sink", l_download_sink},
                                       {"part_done", l_download_part_done},
                                       {"finish", l_download_finish},
                                       {"close", l_download_close},
                                       {NULL, NULL}};
    lv_new_type(L, LOMICS_DOWNLOAD, l_download_close, methods);
    static const luaL_Reg part_methods[] = {{"write", l_part_write}, {NULL, NULL}};
    lv_new_type(L, LOMICS_DLPART, l_part_gc, part_methods);
}
