/* nobuild: the builder that builds nothing (see nobuild.h). */
#include "nobuild.h"

int nobuild_none(void *ud)
{
    (void)ud;
    return 0;
}

int nobuild_boolean(void *ud, int b)
{
    (void)b;
    return nobuild_none(ud);
}

int nobuild_integer(void *ud, int64_t i)
{
    (void)i;
    return nobuild_none(ud);
}

int nobuild_number(void *ud, double n)
{
    (void)n;
    return nobuild_none(ud);
}

int nobuild_string(void *ud, const char *s, size_t n)
{
    (void)s;
    (void)n;
    return nobuild_none(ud);
}

int nobuild_table(void *ud, size_t narr, size_t nrec)
{
    (void)narr;
    (void)nrec;
    return nobuild_none(ud);
}

int nobuild_field(void *ud, const char *k, size_t n)
{
    (void)k;
    (void)n;
    return nobuild_none(ud);
}

int nobuild_index(void *ud, size_t i)
{
    (void)i;
    return nobuild_none(ud);
}

const omics_builder nobuild = {NULL,          nobuild_none,  nobuild_boolean, nobuild_integer,
                               nobuild_number, nobuild_string, nobuild_table, nobuild_field,
                               nobuild_index, nobuild_none,  NULL};
