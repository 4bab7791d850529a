/* describe.h: the fields of a table told through a builder (omics.h), for
 * the files that describe the core's records (describe.c, describe_model.c).
 * Each pops what it pushed into the table below it as t[k]; 0, or -1 when
 * the builder refused. */
#ifndef OMICS_DESCRIBE_H
#define OMICS_DESCRIBE_H

#include <stdint.h>

#include "omics.h"

int describe_set(const omics_builder *b, const char *k);              /* t[k] = top */
int describe_str(const omics_builder *b, const char *k, const char *v); /* none when v is NULL */
int describe_num(const omics_builder *b, const char *k, double v);
int describe_int(const omics_builder *b, const char *k, int64_t v);
int describe_flag(const omics_builder *b, const char *k, int v);     /* true or false */

#endif
