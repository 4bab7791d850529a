/* jread: a strict JSON reader (RFC 8259) for answers.
 *
 * One pass over the text into a flat array of nodes in document order (a
 * value, then its children), with no allocation per value: a string without
 * escapes stays in the text, escaped ones are decoded into one side buffer,
 * a number keeps its text.  The arrays are kept from one read to the next.
 * cJSON, which the rest of the core uses, is the reference this reader is
 * checked against (tools/fuzz/fuzz_jread.c): where both read a text they
 * give the same values; where cJSON is lenient (text after the value, a raw
 * control character in a string, "01", "1.", "-.5") this reader refuses. */
#ifndef OMICS_JREAD_H
#define OMICS_JREAD_H

#include <stddef.h>
#include <stdint.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

enum { JR_NULL, JR_FALSE, JR_TRUE, JR_NUMBER, JR_STRING, JR_ARRAY, JR_OBJECT };

/* Nesting deeper than this is refused (cJSON's limit too). */
#define JREAD_MAX_DEPTH 1000

typedef struct jr_node {
    const char *key; /* a member of an object: its name (decoded); else NULL */
    const char *s;   /* a string: its bytes (decoded); a number: its text */
    size_t key_len;
    size_t len;   /* of s */
    size_t next;  /* nodes from this one to its next sibling; 0: the last */
    size_t count; /* an array's or an object's children */
    int type;     /* JR_* */
} jr_node;

typedef struct jread {
    jr_node *nodes; /* nodes[0] is the root after a read */
    size_t n, cap;
    char *str; /* the decoded strings that had escapes */
    size_t str_len, str_cap;
    int has_nul;       /* a string or a name holds U+0000 (\u0000) */
    int oom;           /* the last read ran out of memory */
    const char *error; /* why the last read failed (a static string) */
    size_t error_at;   /* at which byte of the text */
} jread;

void jread_init(jread *r);
void jread_free(jread *r);
/* Release the arrays when they grew large (a big answer), so that one such
 * answer does not stay resident for the life of the reader. */
void jread_trim(jread *r);

/* Read text[0..len) as one JSON value, whitespace around it allowed: 0 with
 * the root at r->nodes[0]; -1 when it is not JSON (r->error, r->error_at)
 * or memory ran out (r->oom).  Nodes stay valid until the next read; their
 * strings point into text or into r, so text must outlive them. */
int jread_parse(jread *r, const char *text, size_t len);

static inline const jr_node *jr_first(const jr_node *j)
{
    return j->count ? j + 1 : NULL;
}

static inline const jr_node *jr_next(const jr_node *e)
{
    return e->next ? e + e->next : NULL;
}

#define JR_EACH(e, j) for (const jr_node *e = jr_first(j); e; e = jr_next(e))

/* An object's first member named key, or NULL. */
const jr_node *jread_get(const jr_node *obj, const char *key);
/* A number's value, as strtod reads its text (whatever the locale). */
double jread_number(const jr_node *j);
/* A number whose text is an integer literal that fits in 64 bits: 0 with
 * its exact value in *out; else -1. */
int jread_int64(const jr_node *j, int64_t *out);

#pragma GCC visibility pop

#endif
