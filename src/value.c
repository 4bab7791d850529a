/* value: reading the value tree a binding hands the core. */
#include <string.h>

#include "omics.h"

const omics_value *omics_value_get(const omics_value *t, const char *key)
{
    if (!t || t->type != OMICS_V_TABLE || !key)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < t->u.t.n; i++) {
        const omics_entry *e = &t->u.t.items[i];
        if (e->key.type == OMICS_V_STR && e->key.u.s.len == n && memcmp(e->key.u.s.p, key, n) == 0)
            return e->val.type == OMICS_V_NIL ? NULL : &e->val;
    }
    return NULL;
}

const omics_value *omics_value_at(const omics_value *v, size_t index)
{
    if (!v || v->type != OMICS_V_TABLE)
        return NULL;
    /* a list's items come in order: the index-th is where it should be */
    if (index >= 1 && index <= v->u.t.n) {
        const omics_value *k = &v->u.t.items[index - 1].key;
        if (k->type == OMICS_V_INT && k->u.i == (int64_t)index)
            return &v->u.t.items[index - 1].val;
    }
    for (size_t i = 0; i < v->u.t.n; i++) {
        const omics_value *k = &v->u.t.items[i].key;
        if (k->type == OMICS_V_INT && k->u.i == (int64_t)index)
            return &v->u.t.items[i].val;
    }
    return NULL;
}
