/* nobuild: a builder that builds nothing (omics_builder), for calls whose
 * result is not wanted (the parts of a transfer), and its callbacks for a
 * builder that keeps one or two things of a result and drops the rest. */
#ifndef OMICS_NOBUILD_H
#define OMICS_NOBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

extern const omics_builder nobuild;
int nobuild_none(void *ud);
int nobuild_boolean(void *ud, int b);
int nobuild_integer(void *ud, int64_t i);
int nobuild_number(void *ud, double n);
int nobuild_string(void *ud, const char *s, size_t n);
int nobuild_table(void *ud, size_t narr, size_t nrec);
int nobuild_field(void *ud, const char *k, size_t n);
int nobuild_index(void *ud, size_t i);

#pragma GCC visibility pop

#endif
