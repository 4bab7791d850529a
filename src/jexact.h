/* jexact: the exact text of a JSON number, which cJSON keeps only as a
 * double: for integers beyond 2^53 (a long such as a size or a count), the
 * digits the service sent.  Built only when such a number is met. */
#ifndef OMICS_JEXACT_H
#define OMICS_JEXACT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct jexact_pair {
    const cJSON *node;
    size_t at, len;
} jexact_pair;

typedef struct jexact {
    const char *text; /* the document cJSON parsed (the caller keeps it) */
    size_t len;
    int built;        /* 1: pairs made (or found impossible) */
    jexact_pair *pairs;
    size_t n;
} jexact;

void jexact_init(jexact *x);
/* A new document: text is what root was parsed from. */
void jexact_reset(jexact *x, const char *text, size_t len);
void jexact_free(jexact *x);
/* The integer number node j of root stands for, exactly, when its text is
 * an integer literal that fits in 64 bits: 0 with *out, else -1. */
int jexact_int64(jexact *x, const cJSON *root, const cJSON *j, int64_t *out);

#pragma GCC visibility pop

#endif
