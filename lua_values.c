/* lua_values.c: Lua values to the core's value trees (one converter),
 * the core's results and records to Lua tables (one builder), error
 * tables, and the trampolines the core's callbacks run under. */
#include <stdio.h>
#include <string.h>

#include "lua_omics.h"

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

void lv_builder(lua_State *L, omics_builder *b)
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

/* ------------------------------------------------------------- errors */

/* Callbacks from the C core must not raise through it (a memory error while
 * pushing their arguments would jump over libcurl or leak the core's
 * buffers), and an error must not raise while it holds its message: they call
 * a trampoline under lua_pcall, which makes the Lua values inside the
 * protected call.  The trampolines live in the registry, so that fetching one
 * allocates nothing. */
static int error_builder(lua_State *L);

/* each one's registry key is the address of its slot here */
static const lua_CFunction trampolines[TR_COUNT] = {error_builder, lo_log_trampoline,
                                                    ls_sink_trampoline, lp_creds_trampoline,
                                                    lo_event_trampoline};

void lv_push_trampoline(lua_State *L, int which)
{
    lua_pushlightuserdata(L, (void *)&trampolines[which]);
    lua_rawget(L, LUA_REGISTRYINDEX);
}

/* (e as a light userdata, the data table or nil) -> the error table */
static int error_builder(lua_State *L)
{
    omics_builder b;
    lv_builder(L, &b);
    omics_error_describe(lua_touserdata(L, 1), &b);
    if (!lua_isnil(L, 2)) {
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "data");
    }
    luaL_setmetatable(L, LOMICS_ERROR);
    return 1;
}

/* Push the error table for e and clear e, even when making the table raises.
 * data_idx, when not 0, is the stack index of the modeled error's members. */
void lv_push_error(lua_State *L, omics_error *e, int data_idx)
{
    if (data_idx < 0)
        data_idx = lua_gettop(L) + data_idx + 1;
    lv_push_trampoline(L, TR_ERROR);
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
int lv_fail(lua_State *L, omics_error *e)
{
    lua_pushnil(L);
    lv_push_error(L, e, 0);
    return 2;
}

/* return nil, err with the data table on top as err.data */
static int fail_with_data(lua_State *L, omics_error *e)
{
    lv_push_error(L, e, -1);
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
}

/* What a call or a parse returns: the result the builder left on top, or
 * nil, err (with the modeled error's members as err.data when there are
 * any; whatever a failed build left above base is dropped). */
int lv_built(lua_State *L, int rc, int has_data, int base, omics_error *err)
{
    if (rc == 0)
        return 1;
    if (has_data)
        return fail_with_data(L, err);
    lua_settop(L, base);
    return lv_fail(L, err);
}

/* __tostring of an error table: the core's one line */
static int error_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    omics_error e;
    omics_error_init(&e);
    lua_getfield(L, 1, "code");
    lua_getfield(L, 1, "message");
    lua_getfield(L, 1, "status");
    lua_getfield(L, 1, "request_id");
    snprintf(e.code, sizeof e.code, "%s", lua_isstring(L, 2) ? lua_tostring(L, 2) : "");
    e.message = (char *)(lua_isstring(L, 3) ? lua_tostring(L, 3) : NULL); /* never freed */
    int64_t status;
    if (lc_tointegral(L, 4, &status))
        e.status = (int)status;
    if (lua_isstring(L, 5))
        snprintf(e.request_id, sizeof e.request_id, "%s", lua_tostring(L, 5));
    char line[256];
    size_t n = omics_error_format(&e, line, sizeof line);
    if (n < sizeof line) {
        lua_pushlstring(L, line, n);
    } else {
        char *big = lc_newuserdata(L, n + 1);
        omics_error_format(&e, big, n + 1);
        lua_pushlstring(L, big, n);
    }
    return 1;
}

/* -------------------------------------------- Lua values to value trees
 * Parameters: strings, numbers, booleans, tables, omics.null and open files
 * (streamed payloads).  Objects (options, requests, answers): the same,
 * with functions, open files and providers as the core's own kinds, and
 * anything else as null for the core to refuse by name. */

typedef struct conv {
    lua_State *L;
    omics_arena *a;
    int seen;   /* stack index of the table of tables being visited (nil until a
                 * table holds a table: a flat one cannot be cyclic) */
    int marked; /* the table of tables exists */
    int top;    /* stack index of the value converted */
    int objects;
    const char *root;
    omics_value path[LOMICS_MAX_DEPTH + 1];
    int depth;
    omics_error *err;
} conv;

static int conv_fail(conv *c, const char *what)
{
    return omics_param_error(c->err, c->root, c->path, (size_t)c->depth, what);
}

/* A value that is not a table, without failing: nil, a boolean, a number, a
 * string; anything else is null. */
void lv_scalar(lua_State *L, int idx, omics_value *out)
{
    out->type = OMICS_V_NULL;
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        out->type = OMICS_V_NIL;
        break;
    case LUA_TBOOLEAN:
        out->type = OMICS_V_BOOL;
        out->u.b = lua_toboolean(L, idx);
        break;
    case LUA_TNUMBER:
        if (lc_tointeger(L, idx, &out->u.i)) {
            out->type = OMICS_V_INT;
        } else {
            out->type = OMICS_V_NUM;
            out->u.n = lua_tonumber(L, idx);
        }
        break;
    case LUA_TSTRING:
        out->type = OMICS_V_STR;
        out->u.s.p = lua_tolstring(L, idx, &out->u.s.len);
        break;
    }
}

static int to_value(conv *c, int idx, omics_value *out);

static int table_value(conv *c, int idx, omics_value *out)
{
    lua_State *L = c->L;
    if (c->depth >= LOMICS_MAX_DEPTH)
        return conv_fail(c, "nested deeper than 100 levels");
    if (!lua_checkstack(L, 6))
        return conv_fail(c, "nested too deeply for the Lua stack");
    if (!c->marked && c->depth > 0) {
        /* the first table inside a table (so at depth 1): only the root is
         * being visited besides it */
        lua_newtable(L);
        lua_replace(L, c->seen);
        c->marked = 1;
        lua_pushvalue(L, c->top);
        lua_pushboolean(L, 1);
        lua_rawset(L, c->seen);
    }
    if (c->marked) {
        lua_pushvalue(L, idx);
        if (lc_rawget(L, c->seen) != LUA_TNIL) {
            lua_pop(L, 1);
            return conv_fail(c, "a cyclic table (it contains itself)");
        }
        lua_pop(L, 1);
        lua_pushvalue(L, idx);
        lua_pushboolean(L, 1);
        lua_rawset(L, c->seen);
    }

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
        lv_scalar(L, -2, &e->key);
        int keyed = e->key.type == OMICS_V_STR || e->key.type == OMICS_V_INT;
        if (!keyed && !c->objects) {
            const char *what = lua_pushfstring(L, "a table key of type %s (only strings and "
                                                  "integers can be keys)",
                                               luaL_typename(L, -2));
            int rc = conv_fail(c, what);
            lua_pop(L, 3);
            return rc;
        }
        c->path[c->depth++] = e->key;
        int rc = to_value(c, lua_gettop(L), &e->val);
        c->depth--;
        lua_pop(L, 1);
        if (rc) {
            lua_pop(L, 1);
            return -1;
        }
    }
    if (c->marked) {
        lua_pushvalue(L, idx);
        lua_pushnil(L);
        lua_rawset(L, c->seen);
    }
    out->type = OMICS_V_TABLE;
    out->u.t.items = items;
    out->u.t.n = n;
    return 0;
}

static int to_value(conv *c, int idx, omics_value *out)
{
    lua_State *L = c->L;
    int t = lua_type(L, idx);
    FILE *f;
    lprovider *lp;
    lv_scalar(L, idx, out);
    if (t == LUA_TTABLE)
        return table_value(c, idx, out);
    if (t == LUA_TNIL || t == LUA_TBOOLEAN || t == LUA_TNUMBER || t == LUA_TSTRING ||
        (t == LUA_TLIGHTUSERDATA && !lua_touserdata(L, idx)))
        return 0; /* a scalar, or omics.null */
    if (c->objects) {
        if (t == LUA_TFUNCTION || ld_part_sink(L, idx))
            out->type = OMICS_V_FUNCTION; /* (a download's part: a sink that writes) */
        else if (lc_tofile(L, idx))
            out->type = OMICS_V_FILE;
        else if ((lp = luaL_testudata(L, idx, LOMICS_PROVIDER)) != NULL) {
            out->type = OMICS_V_PROVIDER;
            out->u.p = lp->p;
        }
        return 0;
    }
    if ((out->u.r = lu_part_reader(L, idx)) != NULL) {
        out->type = OMICS_V_READER; /* a part of an upload, read from its file */
        return 0;
    }
    if ((f = lc_tofile(L, idx)) != NULL) {
        out->type = OMICS_V_READER;
        if ((out->u.r = omics_file_reader(c->a, f, c->err)) != NULL)
            return 0;
        char why[160];
        snprintf(why, sizeof why, "%s", c->err->message ? c->err->message : "unreadable");
        return conv_fail(c, why);
    }
    return conv_fail(c, lua_pushfstring(L, "a %s cannot be sent (strings, numbers, booleans, "
                                           "tables, and open files for streaming payloads can)",
                                        luaL_typename(L, idx)));
}

/* Convert the value at idx (root names it in errors); the tree lives in
 * arena a until its next reset. */
int lv_convert(lua_State *L, int idx, omics_arena *a, int objects, const char *root,
               omics_value **out, omics_error *err)
{
    omics_arena_reset(a);
    return lv_convert_keep(L, idx, a, objects, root, out, err);
}

int lv_convert_keep(lua_State *L, int idx, omics_arena *a, int objects, const char *root,
                    omics_value **out, omics_error *err)
{
    idx = lua_absindex(L, idx);
    omics_value *v = omics_arena_alloc(a, sizeof *v);
    if (!v)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    conv c;
    c.L = L;
    c.a = a;
    c.objects = objects;
    c.root = root;
    c.depth = 0;
    c.err = err;
    lua_pushnil(L); /* the table of tables, made when needed */
    c.seen = lua_gettop(L);
    c.marked = 0;
    c.top = idx;
    int rc = to_value(&c, idx, v);
    lua_remove(L, c.seen);
    *out = v;
    return rc;
}

int lv_params_value(lua_State *L, int idx, omics_arena *a, omics_value **out, omics_error *err)
{
    if (!lua_isnoneornil(L, idx) && !lua_istable(L, idx))
        return omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                               "params: expected a table, got %s", luaL_typename(L, idx));
    return lv_convert(L, idx, a, 0, "params", out, err);
}

/* An arena owned by a userdata pushed on the stack, so that an error that
 * unwinds the function still frees it. */
omics_arena *lv_push_arena(lua_State *L)
{
    omics_arena **box = lc_newuserdata(L, sizeof *box);
    *box = NULL;
    luaL_setmetatable(L, LOMICS_ARENA);
    if (!(*box = omics_arena_new(1024)))
        luaL_error(L, "out of memory");
    return *box;
}

static int l_arena_gc(lua_State *L)
{
    omics_arena **box = lua_touserdata(L, 1);
    omics_arena_free(*box);
    *box = NULL;
    return 0;
}

/* A response from the table at idx, into arena a (boxed on the stack). */
int lv_response_value(lua_State *L, int idx, omics_response *resp, omics_error *err)
{
    omics_arena *a = lv_push_arena(L);
    omics_value *v;
    return lv_convert(L, idx, a, 1, "response", &v, err) ||
                   omics_response_from_value(resp, v, a, err)
               ? -1
               : 0;
}

/* A userdata type: its metatable with __gc, and methods (or NULL) as __index. */
void lv_new_type(lua_State *L, const char *name, lua_CFunction gc, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    lua_pushcfunction(L, gc);
    lua_setfield(L, -2, "__gc");
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
}

/* The trampolines, the error tables' metatable, the arena box. */
void lv_open(lua_State *L)
{
    for (int i = 0; i < TR_COUNT; i++) {
        lua_pushlightuserdata(L, (void *)&trampolines[i]);
        lua_pushcfunction(L, trampolines[i]);
        lua_rawset(L, LUA_REGISTRYINDEX);
    }
    luaL_newmetatable(L, LOMICS_ERROR);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lv_new_type(L, LOMICS_ARENA, l_arena_gc, NULL);
}
