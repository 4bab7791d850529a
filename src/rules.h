/* rules: the endpoint rule set of a service model evaluated for a client
 * (see rules.c). */
#ifndef OMICS_RULES_H
#define OMICS_RULES_H

#include <stddef.h>

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct rules_params {
    const char *region;   /* NULL when none */
    int use_fips;
    int use_dual_stack;
    const char *endpoint; /* a configured endpoint URL, or NULL */
} rules_params;

/* 0 with *url (the caller frees it), or -1 with err: EndpointResolutionError
 * giving the rule set's own words ("FIPS and custom endpoint are not
 * supported"), or saying why the rules could not be followed. */
int rules_resolve(const char *ruleset, size_t len, const rules_params *p, char **url,
                  omics_error *err);

#pragma GCC visibility pop

#endif
