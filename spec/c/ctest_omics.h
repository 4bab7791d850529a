/* ctest_omics: what the C tests of the engine share: an offline client's
 * options, a builder that counts its stack (ud: an int), and small value
 * trees of string, integer and table members. */
#ifndef CTEST_OMICS_H
#define CTEST_OMICS_H

#include <string.h>

#include "omics.h"

/* A client of the example key pair whose endpoint nobody answers. */
static const omics_credentials ctest_creds = {"AKIDEXAMPLE",
                                              "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
                                              0, "option"};

static inline void ctest_offline_opts(omics_client_opts *o)
{
    memset(o, 0, sizeof *o);
    o->region = "us-east-1";
    o->endpoint = "http://127.0.0.1:1";
    o->credentials = &ctest_creds;
}

/* A builder that builds nothing and keeps the depth of its stack in the
 * int its ud points to. */
static inline int ctb_push(void *ud) { ++*(int *)ud; return 0; }
static inline int ctb_pop(void *ud) { --*(int *)ud; return 0; }
static inline int ctb_bool(void *ud, int b) { (void)b; return ctb_push(ud); }
static inline int ctb_int(void *ud, int64_t i) { (void)i; return ctb_push(ud); }
static inline int ctb_num(void *ud, double d) { (void)d; return ctb_push(ud); }
static inline int ctb_str(void *ud, const char *s, size_t n) { (void)s; (void)n; return ctb_push(ud); }
static inline int ctb_tab(void *ud, size_t a, size_t r) { (void)a; (void)r; return ctb_push(ud); }
static inline int ctb_field(void *ud, const char *k, size_t n) { (void)k; (void)n; return ctb_pop(ud); }
static inline int ctb_index(void *ud, size_t i) { (void)i; return ctb_pop(ud); }

static inline omics_builder ctest_counting_builder(int *depth)
{
    omics_builder b = {depth,   ctb_push,  ctb_bool,  ctb_int, ctb_num, ctb_str,
                       ctb_tab, ctb_field, ctb_index, ctb_pop, NULL};
    return b;
}

/* A table of up to eight members. */
typedef struct ctest_tree {
    omics_entry e[8];
    omics_value v;
} ctest_tree;

static inline void t_init(ctest_tree *t)
{
    memset(t, 0, sizeof *t);
    t->v.type = OMICS_V_TABLE;
    t->v.u.t.items = t->e;
}

static inline omics_entry *t_next(ctest_tree *t, const char *k)
{
    omics_entry *e = &t->e[t->v.u.t.n++];
    e->key = (omics_value){OMICS_V_STR, {.s = {k, strlen(k)}}};
    return e;
}

static inline void t_str(ctest_tree *t, const char *k, const char *v)
{
    t_next(t, k)->val = (omics_value){OMICS_V_STR, {.s = {v, strlen(v)}}};
}

static inline void t_int(ctest_tree *t, const char *k, long long v)
{
    t_next(t, k)->val = (omics_value){OMICS_V_INT, {.i = v}};
}

static inline void t_tab(ctest_tree *t, const char *k, const ctest_tree *sub)
{
    t_next(t, k)->val = sub->v;
}

#endif
