/* json: writing JSON text into a buf. */
#ifndef OMICS_JSON_H
#define OMICS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* A quoted, escaped string; the bytes must be valid UTF-8 (checked earlier). */
void json_string(buf *b, const char *s, size_t n);
void json_int(buf *b, int64_t v);
/* The shortest text that reads back as the same double; NaN and the
 * infinities become the strings "NaN", "Infinity" and "-Infinity". */
void json_number(buf *b, double v);
/* Shortest round-trip text of a finite double, unquoted (also for query and
 * header values). */
void json_double_text(buf *b, double v);
/* 1 when s[0..n) is well-formed UTF-8 (no overlongs, no surrogates). */
int json_utf8_valid(const char *s, size_t n);

#pragma GCC visibility pop

#endif
