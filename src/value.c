/* value: reading the value tree a binding hands the core. */
#include <string.h>

#include "omics.h"

const omics_value *omics_value_get(const omics_value *t, const char *key)
{
    if (!t || t->type != OMICS_V_TABLE)
        return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < t->u.t.n; i++) {
        const omics_entry *e = &t->u.t.items[i];
        if (e->key.type == OMICS_V_STR && e->key.u.s.len == n && memcmp(e->key.u.s.p, key, n) == 0)
            return e->val.type == OMICS_V_NIL ? NULL : &e->val;
    }
    return NULL;
}
