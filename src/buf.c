#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(buf *b)
{
    b->p = NULL;
    b->len = 0;
    b->cap = 0;
    b->oom = 0;
}

void buf_free(buf *b)
{
    free(b->p);
    buf_init(b);
}

void buf_reset(buf *b)
{
    b->len = 0;
    b->oom = 0;
    if (b->p)
        b->p[0] = '\0';
}

char *buf_reserve(buf *b, size_t n)
{
    if (b->oom)
        return NULL;
    if (n >= SIZE_MAX - b->len) {
        b->oom = 1;
        return NULL;
    }
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

void buf_add(buf *b, const void *p, size_t n)
{
    char *dst = buf_reserve(b, n);
    if (!dst)
        return;
    if (n)
        memcpy(dst, p, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void buf_adds(buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_addc(buf *b, char c)
{
    /* (one byte at a time is how much of a request is written: no call) */
    if (!b->oom && b->len + 1 < b->cap) {
        b->p[b->len++] = c;
        b->p[b->len] = '\0';
        return;
    }
    buf_add(b, &c, 1);
}

void buf_addf(buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    char *dst = buf_reserve(b, (size_t)n);
    if (!dst)
        return;
    va_start(ap, fmt);
    vsnprintf(dst, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_add_hex(buf *b, const unsigned char *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *dst = buf_reserve(b, n * 2);
    if (!dst)
        return;
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = digits[p[i] >> 4];
        dst[2 * i + 1] = digits[p[i] & 15];
    }
    b->len += n * 2;
    b->p[b->len] = '\0';
}

const char *buf_str(buf *b)
{
    if (b->oom)
        return NULL;
    return b->p ? b->p : "";
}

char *buf_steal(buf *b, size_t *len)
{
    if (b->oom) {
        buf_free(b);
        return NULL;
    }
    if (!b->p && !buf_reserve(b, 0))
        return NULL;
    if (!b->len)
        b->p[0] = '\0';
    char *p = b->p;
    if (len)
        *len = b->len;
    buf_init(b);
    return p;
}

const char *text_find_ctl(const char *s, int allow_tab)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && !(allow_tab && c == '\t')) || c == 0x7f)
            return s;
    }
    return NULL;
}

/* A key as it goes into a message: control bytes and '\' escaped, cut to
 * 40 bytes (a message is read by people, and a NUL would end it). */
void buf_add_key(buf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t shown = n > 40 ? 40 : n;
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\') {
            char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
            buf_add(b, esc, 4);
        } else {
            buf_addc(b, (char)ch);
        }
    }
    if (shown < n)
        buf_addf(b, "...(%zu bytes)", n);
}
