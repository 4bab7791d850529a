#include "b64.h"

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void b64_encode(buf *b, const void *p, size_t n)
{
    const unsigned char *s = p;
    char *o = buf_reserve(b, (n + 2) / 3 * 4);
    if (!o)
        return;
    char *start = o;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        *o++ = b64_alpha[v >> 18];
        *o++ = b64_alpha[v >> 12 & 63];
        *o++ = b64_alpha[v >> 6 & 63];
        *o++ = b64_alpha[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0);
        *o++ = b64_alpha[v >> 18];
        *o++ = b64_alpha[v >> 12 & 63];
        *o++ = i + 1 < n ? b64_alpha[v >> 6 & 63] : '=';
        *o++ = '=';
    }
    b->len += (size_t)(o - start);
    b->p[b->len] = '\0';
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Padding is optional, but when present it is one or two '=' that complete
 * the last group of four: "Zg==" and "Zg", never "Zg=", "Zg===" or "=". */
static int strip_padding(const char *s, size_t *n)
{
    size_t pad = 0;
    while (pad < *n && s[*n - 1 - pad] == '=')
        pad++;
    if (pad && (pad > 2 || *n % 4 != 0))
        return -1;
    *n -= pad;
    return 0;
}

int b64_decode(buf *b, const char *s, size_t n)
{
    if (strip_padding(s, &n) || n % 4 == 1)
        return -1;
    char *o = buf_reserve(b, n / 4 * 3 + 3);
    if (!o)
        return -1;
    char *start = o;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value((unsigned char)s[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (char)(acc >> bits & 0xFF);
        }
    }
    b->len += (size_t)(o - start);
    b->p[b->len] = '\0';
    return 0;
}
