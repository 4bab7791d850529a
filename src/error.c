/* error: the omics_error record every failing function fills in. */
#include "omics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void omics_error_init(omics_error *e)
{
    memset(e, 0, sizeof *e);
}

void omics_error_clear(omics_error *e)
{
    free(e->message);
    omics_error_init(e);
}

int omics_error_set(omics_error *e, omics_err_kind kind, const char *code, const char *fmt,
                    ...)
{
    free(e->message);
    e->message = NULL;
    e->kind = kind;
    snprintf(e->code, sizeof e->code, "%s", code ? code : "");
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n >= 0) {
            e->message = malloc((size_t)n + 1);
            if (e->message) {
                va_start(ap, fmt);
                vsnprintf(e->message, (size_t)n + 1, fmt, ap);
                va_end(ap);
            }
        }
    }
    return -1;
}

int omics_error_copy(omics_error *dst, const omics_error *src)
{
    if (dst == src)
        return 0;
    char *m = NULL;
    if (src->message && !(m = malloc(strlen(src->message) + 1)))
        return -1;
    if (m)
        strcpy(m, src->message);
    free(dst->message);
    *dst = *src;
    dst->message = m;
    return 0;
}

const char *omics_error_kind_name(omics_err_kind kind)
{
    switch (kind) {
    case OMICS_OK: return "ok";
    case OMICS_EVALIDATION: return "validation";
    case OMICS_ESERVICE: return "service";
    case OMICS_ETRANSPORT: return "transport";
    case OMICS_EPARSE: return "parse";
    case OMICS_ECONFIG: return "config";
    case OMICS_ECREDENTIALS: return "credentials";
    case OMICS_EMEMORY: return "memory";
    case OMICS_EUSAGE: return "usage";
    case OMICS_EWAITER: return "waiter";
    }
    return "unknown";
}
