/* model_data: the built-in HealthOmics model, as written by tools/gen_model.py
 * (botocore JSON without documentation strings). */
#ifndef OMICS_MODEL_DATA_H
#define OMICS_MODEL_DATA_H

#include <stddef.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

extern const char model_data_service[];
extern const size_t model_data_service_len;
extern const char model_data_paginators[];
extern const size_t model_data_paginators_len;
extern const char model_data_waiters[];
extern const size_t model_data_waiters_len;
extern const char model_data_endpoint_rules[];
extern const size_t model_data_endpoint_rules_len;

#pragma GCC visibility pop

#endif
