/* tree: a builder that makes a result into an omics_value tree (the type
 * of parameters), every node and string in the caller's arena: results for
 * C programs without a builder of their own or a JSON parser. */
#include <stdlib.h>
#include <string.h>

#include "omics.h"

#define TREE_MAX_DEPTH 256

typedef struct tree_frame {
    omics_value v;
    size_t cap; /* entries the table's items can hold */
} tree_frame;

struct omics_tree {
    omics_arena *a;
    tree_frame stack[TREE_MAX_DEPTH];
    size_t depth;
    omics_builder b;
};

static int push(omics_tree *t, omics_value v)
{
    if (t->depth == TREE_MAX_DEPTH)
        return -1;
    t->stack[t->depth].v = v;
    t->stack[t->depth].cap = 0;
    t->depth++;
    return 0;
}

/* A value of the given type, its payload zero. */
static omics_value typed(omics_vtype type)
{
    omics_value v;
    memset(&v, 0, sizeof v);
    v.type = type;
    return v;
}

static int t_null(void *ud)
{
    return push(ud, typed(OMICS_V_NULL));
}

static int t_boolean(void *ud, int b)
{
    omics_value v = typed(OMICS_V_BOOL);
    v.u.b = b;
    return push(ud, v);
}

static int t_integer(void *ud, int64_t i)
{
    omics_value v = typed(OMICS_V_INT);
    v.u.i = i;
    return push(ud, v);
}

static int t_number(void *ud, double d)
{
    omics_value v = typed(OMICS_V_NUM);
    v.u.n = d;
    return push(ud, v);
}

static int t_string(void *ud, const char *s, size_t len)
{
    omics_tree *t = ud;
    omics_value v = typed(OMICS_V_STR);
    char *copy = omics_arena_strndup(t->a, s, len);
    if (!copy)
        return -1;
    v.u.s.p = copy;
    v.u.s.len = len;
    return push(t, v);
}

static int t_table(void *ud, size_t narr, size_t nrec)
{
    omics_tree *t = ud;
    if (push(t, typed(OMICS_V_TABLE)))
        return -1;
    size_t cap = narr + nrec;
    if (cap > 4096)
        cap = 4096; /* a hint: grown as needed */
    tree_frame *f = &t->stack[t->depth - 1];
    if (cap) {
        f->v.u.t.items = omics_arena_alloc(t->a, cap * sizeof *f->v.u.t.items);
        if (!f->v.u.t.items)
            return -1;
        f->cap = cap;
    }
    return 0;
}

/* Pop the top value into a new entry of the table below it. */
static int store(omics_tree *t, omics_value key)
{
    if (t->depth < 2 || t->stack[t->depth - 2].v.type != OMICS_V_TABLE)
        return -1;
    tree_frame *f = &t->stack[t->depth - 2];
    omics_value *tv = &f->v;
    if (tv->u.t.n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        omics_entry *items = omics_arena_alloc(t->a, cap * sizeof *items);
        if (!items)
            return -1;
        if (tv->u.t.n)
            memcpy(items, tv->u.t.items, tv->u.t.n * sizeof *items);
        tv->u.t.items = items;
        f->cap = cap;
    }
    omics_entry *e = &tv->u.t.items[tv->u.t.n++];
    e->key = key;
    e->val = t->stack[t->depth - 1].v;
    t->depth--;
    return 0;
}

static int t_set_field(void *ud, const char *k, size_t klen)
{
    omics_tree *t = ud;
    omics_value key = typed(OMICS_V_STR);
    char *copy = omics_arena_strndup(t->a, k, klen);
    if (!copy)
        return -1;
    key.u.s.p = copy;
    key.u.s.len = klen;
    return store(t, key);
}

static int t_set_index(void *ud, size_t i)
{
    omics_value key = typed(OMICS_V_INT);
    key.u.i = (int64_t)i;
    return store(ud, key);
}

static int t_pop(void *ud)
{
    omics_tree *t = ud;
    if (t->depth == 0)
        return -1;
    t->depth--;
    return 0;
}

omics_tree *omics_tree_new(omics_arena *a)
{
    if (!a)
        return NULL;
    omics_tree *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->a = a;
    t->b = (omics_builder){t,     t_null,      t_boolean,   t_integer, t_number, t_string,
                           t_table, t_set_field, t_set_index, t_pop,     NULL};
    return t;
}

void omics_tree_free(omics_tree *t)
{
    free(t);
}

const omics_builder *omics_tree_builder(omics_tree *t)
{
    return &t->b;
}

/* (the top of the tree's own stack: valid until the tree builds on, is
 * reset or freed) */
const omics_value *omics_tree_value(omics_tree *t)
{
    return t->depth ? &t->stack[t->depth - 1].v : NULL;
}

void omics_tree_reset(omics_tree *t)
{
    t->depth = 0;
}

int omics_call_value(omics_client *c, const omics_op *op, const omics_value *params,
                     const omics_sink *sink, omics_arena *a, const omics_value **out,
                     omics_error *err)
{
    *out = NULL;
    omics_tree *t = omics_tree_new(a);
    if (!t)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    int has_data = 0;
    int rc = omics_call(c, op, params, sink, omics_tree_builder(t), &has_data, err);
    const omics_value *top = rc == 0 || has_data ? omics_tree_value(t) : NULL;
    if (top) { /* the result, or a modeled error's members: into the arena */
        omics_value *v = omics_arena_alloc(a, sizeof *v);
        if (v)
            *v = *top;
        else if (rc == 0)
            rc = omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        *out = v;
    }
    omics_tree_free(t);
    return rc;
}
