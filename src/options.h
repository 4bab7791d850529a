/* options: the one table of the module's options (omics.h has the API);
 * what the rest of the core reads of it. */
#ifndef OMICS_OPTIONS_H
#define OMICS_OPTIONS_H

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* The default of the number option called name (0 when it has none). */
double options_default(const char *name);
/* The default word of the choice option called name (NULL when none). */
const char *options_default_text(const char *name);
/* A value's type as option errors name it ("number" for any number). */
const char *options_type_name(const omics_value *v);

#pragma GCC visibility pop

#endif
