/* lua_omics.h: what the files of the Lua binding share (internal: every
 * name here stays inside omics/core.so).
 *
 *   lua_values.c    Lua values to value trees, results and records to tables,
 *                   error tables, the trampolines callbacks run under
 *   lua_provider.c  credentials providers and their Lua callbacks; options
 *   lua_sinks.c     where a streaming payload goes: a function, a file, a path
 *   lua_exchange.c  the engine of one call for the Lua drivers (core.exchange)
 *   lua_many.c      many calls at once on curl multi (core.call_many)
 *   lua_creds.c     a provider stepped by a Lua driver (core.creds_*)
 *   lua_stub.c      the core's stubs, for omics.stubber
 *   lua_omics.c     the client, its calls and methods, the module */
#ifndef LUA_OMICS_H
#define LUA_OMICS_H

#include "lua_compat.h"
#include "omics.h"

#define LOMICS_CLIENT "omics.client"
#define LOMICS_MODEL "omics.model"
#define LOMICS_ERROR "omics.error"
#define LOMICS_PROVIDER "omics.provider"
#define LOMICS_EXCHANGE "omics.exchange"
#define LOMICS_MANY "omics.many"
#define LOMICS_PARTIAL "omics.partial"
#define LOMICS_ARENA "omics.arena"
#define LOMICS_PARSER "omics.parser"
#define LOMICS_SIGNER "omics.signer"
#define LOMICS_SIGNER_KEY "omics.sigv4.signer"
#define LOMICS_FACTORY "omics.method_factory"
#define LOMICS_MAX_DEPTH 100

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
    int events_ref;      /* client:on's handlers { event = { fn, ... } }, or LUA_NOREF */
    int in_event;        /* its event handlers are running: they may not use it */
    /* the driver options, for the Lua drivers (core.limits) */
    char transport[12];
    double keepalive_pool_size, keepalive_timeout;
} lclient;

typedef struct lsink {
    lua_State *L;
    int fn; /* stack index of a function sink, or 0 */
    omics_sink sink;
} lsink;

/* A path sink owned by a userdata, so that an error that unwinds the call
 * still removes its temporary file. */
typedef struct lpartial {
    omics_path_sink *ps;
} lpartial;

/* ------------------------------------------------------------ lua_values.c */

/* Callbacks from the C core call a trampoline under lua_pcall (see
 * lua_values.c); each one's registry key is the address of its slot. */
enum { TR_ERROR, TR_LOG, TR_SINK, TR_CREDS, TR_EVENT, TR_COUNT };
void lv_push_trampoline(lua_State *L, int which);
int lo_log_trampoline(lua_State *L);
int lo_event_trampoline(lua_State *L);
int ls_sink_trampoline(lua_State *L);
int lp_creds_trampoline(lua_State *L);

void lv_builder(lua_State *L, omics_builder *b);
/* Push the error table for e and clear e; data_idx: the modeled error's members, or 0. */
void lv_push_error(lua_State *L, omics_error *e, int data_idx);
int lv_fail(lua_State *L, omics_error *e); /* return nil, err */
int lv_built(lua_State *L, int rc, int has_data, int base, omics_error *err);
void lv_scalar(lua_State *L, int idx, omics_value *out);
int lv_convert(lua_State *L, int idx, omics_arena *a, int objects, const char *root,
               omics_value **out, omics_error *err);
/* lv_convert without resetting a first: trees accumulate in it. */
int lv_convert_keep(lua_State *L, int idx, omics_arena *a, int objects, const char *root,
                    omics_value **out, omics_error *err);
int lv_params_value(lua_State *L, int idx, omics_arena *a, omics_value **out, omics_error *err);
omics_arena *lv_push_arena(lua_State *L);
int lv_response_value(lua_State *L, int idx, omics_response *resp, omics_error *err);
void lv_new_type(lua_State *L, const char *name, lua_CFunction gc, const luaL_Reg *methods);
void lv_open(lua_State *L);

/* ---------------------------------------------------------- lua_provider.c */

lua_State *lp_enter(lprovider *lp, lua_State *L);
void lp_leave(lprovider *lp, lua_State *was);
int lp_ref_function(lua_State *L, int t, const char *name);
lprovider *lp_new(lua_State *L, int t, omics_provider_opts *po, omics_error *err);
int lp_read_options(lua_State *L, int idx, unsigned scope, omics_options *o, omics_error *err);
int lp_provider(lua_State *L);
int lp_push_identity(lua_State *L, const char *akid, const char *provider, double expiration);
void lp_open(lua_State *L);

/* ------------------------------------------------------------- lua_sinks.c */

int ls_read_call_options(lua_State *L, int idx, const omics_op *op, omics_arena *a, lsink *ls,
                         const omics_sink **sink, lpartial **partial, omics_error *err);
int ls_finish(lpartial *pt, int ok, omics_error *err);
lpartial *ls_check(lua_State *L, int idx);
int ls_path_sink(lua_State *L);
int ls_refusal(lua_State *L);
void ls_open(lua_State *L);

/* ---------------------------------------------------------- lua_exchange.c */

int lx_new(lua_State *L);
void lx_open(lua_State *L);

/* -------------------------------------------------------------- lua_many.c */

int lm_call_many(lua_State *L);
int lm_check_call(lua_State *L);
int lm_many_options(lua_State *L);
void lm_open(lua_State *L);

/* ---------------------------------------------------------- lua_transfer.c */

/* opts at idx (nil, or a table of the names given): 0, or -1 with err. */
int lt_option_names(lua_State *L, int idx, const char *const *names, const char *what,
                    omics_error *err);
/* opts.concurrency (default 8): 0, or -1 with err. */
int lt_concurrency(lua_State *L, int idx, int *out, omics_error *err);
/* The progress function of the userdata at `at` ({ progress = fn } its
 * uservalue) with done, total, file; 1 with why when it raised. */
int lt_progress(lua_State *L, int at, long long done, long long total, const char *file,
                char *why, size_t whylen);
/* A part call's error table at idx as out (code and message); 0 when none. */
int lt_call_error(lua_State *L, int idx, omics_error *out);

/* ---------------------------------------------------------- lua_download.c */

int ld_new(lua_State *L);
int ld_is_part_sink(lua_State *L);
/* The sink of a download's part object at idx, or NULL when it is none. */
const omics_sink *ld_part_sink(lua_State *L, int idx);
void ld_open(lua_State *L);

/* ------------------------------------------------------------ lua_upload.c */

int lu_new(lua_State *L);
/* The payload reader of an upload's part object at idx, or NULL. */
const omics_reader *lu_part_reader(lua_State *L, int idx);
void lu_open(lua_State *L);

/* -------------------------------------------------------------- lua_stub.c */

/* core.stub_result, core.stub_error, core.stub_expect into the table at -1 */
void lst_open(lua_State *L);

/* ------------------------------------------------------------- lua_creds.c */

/* core.creds_*: a provider stepped by a Lua driver, into the table at -1 */
void lcr_open(lua_State *L);

/* ------------------------------------------------------------- lua_omics.c */

lclient *lo_check_client(lua_State *L, int idx);
const omics_op *lo_check_op(lua_State *L, lclient **lc);

#endif
