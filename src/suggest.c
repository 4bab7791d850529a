/* suggest: the name someone meant when they wrote one the model does not
 * have (a method of a client, an operation): the closest by edit distance,
 * if close enough to be a typo. */
#include <string.h>

#include "omics.h"

#define SUGGEST_MAX 96 /* longer names are never typos of each other */

/* Levenshtein distance of a and b; SUGGEST_MAX * 10 for long names. */
static size_t distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > SUGGEST_MAX || m > SUGGEST_MAX)
        return SUGGEST_MAX * 10;
    size_t row[SUGGEST_MAX + 1];
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

const char *omics_model_suggest(const omics_model *m, const char *name, const char *const *extra,
                                size_t nextra)
{
    const omics_op *api = omics_model_op(m, name); /* the API name given as a method */
    if (api)
        return omics_op_snake(api);
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    size_t nops = omics_model_op_count(m);
    for (size_t i = 0; i < nops + nextra; i++) {
        const char *cand = i < nops ? omics_op_snake(omics_model_op_at(m, i)) : extra[i - nops];
        size_t d = cand ? distance(name, cand) : (size_t)-1;
        if (d < best_d) {
            best_d = d;
            best = cand;
        }
    }
    size_t len = strlen(name);
    return best && best_d <= (len < 9 ? 2 : len / 3) ? best : NULL;
}
