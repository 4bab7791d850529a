/* buf: a growable byte buffer, always NUL-terminated once anything is written.
 * A failed allocation sets `oom` and turns every later write into a no-op, so
 * callers check once, at the end, instead of after every append. */
#ifndef OMICS_BUF_H
#define OMICS_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct buf {
    char *p;
    size_t len;
    size_t cap;
    int oom;
} buf;

void buf_init(buf *b);
void buf_free(buf *b);
/* Forget the contents, keep the memory (and clear a previous oom). */
void buf_reset(buf *b);
/* Make room for n more bytes; returns a pointer to them or NULL. */
char *buf_reserve(buf *b, size_t n);
void buf_add(buf *b, const void *p, size_t n);
void buf_adds(buf *b, const char *s);
void buf_addc(buf *b, char c);
void buf_addf(buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void buf_add_hex(buf *b, const unsigned char *p, size_t n);
/* A key as messages show it: control bytes and '\' escaped as \xNN, cut
 * to 40 bytes with its length after (a NUL would end the message). */
void buf_add_key(buf *b, const char *p, size_t n);
/* The first control character of s (below 0x20, or 0x7f; a tab is allowed
 * when allow_tab), or NULL when there is none: what may not reach an HTTP
 * header line. */
const char *text_find_ctl(const char *s, int allow_tab);
/* The contents as a C string ("" for an empty buffer); NULL after oom. */
const char *buf_str(buf *b);
/* Hand the memory to the caller (who frees it); the buffer is left empty. */
char *buf_steal(buf *b, size_t *len);

#pragma GCC visibility pop

#endif
