/* jread: a strict JSON reader into a flat array of nodes (see jread.h). */
#include "jread.h"

#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Arrays larger than these are released after use (jread_trim). */
#define JREAD_KEEP_NODES 4096
#define JREAD_KEEP_STR 65536

typedef struct rd {
    jread *r;
    const char *text, *p, *end;
    int depth;
} rd;

void jread_init(jread *r)
{
    memset(r, 0, sizeof *r);
}

void jread_free(jread *r)
{
    free(r->nodes);
    free(r->str);
    jread_init(r);
}

void jread_trim(jread *r)
{
    if (r->cap > JREAD_KEEP_NODES) {
        free(r->nodes);
        r->nodes = NULL;
        r->n = r->cap = 0;
    }
    if (r->str_cap > JREAD_KEEP_STR) {
        free(r->str);
        r->str = NULL;
        r->str_len = r->str_cap = 0;
    }
}

static int fail(rd *d, const char *why)
{
    if (!d->r->error) {
        d->r->error = why;
        d->r->error_at = (size_t)(d->p - d->text);
    }
    return -1;
}

static int out_of_memory(rd *d)
{
    d->r->oom = 1;
    return fail(d, "out of memory");
}

static void skip_ws(rd *d)
{
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t'))
        d->p++;
}

/* A new node at the end of the array: its index, or (size_t)-1. */
static size_t new_node(rd *d, int type)
{
    jread *r = d->r;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        if (cap > SIZE_MAX / sizeof *r->nodes)
            return (size_t)-1;
        jr_node *nodes = realloc(r->nodes, cap * sizeof *nodes);
        if (!nodes)
            return (size_t)-1;
        r->nodes = nodes;
        r->cap = cap;
    }
    jr_node *j = &r->nodes[r->n];
    memset(j, 0, sizeof *j);
    j->type = type;
    return r->n++;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* One \u escape (and the low half of a surrogate pair) at d->p, decoded as
 * UTF-8 into o; d->p moves past it.  The number of bytes written, or -1. */
static int unicode_escape(rd *d, char *o)
{
    unsigned cp, lo;
    if (d->end - d->p < 6 || hex4(d->p + 2, &cp))
        return fail(d, "a \\u escape without four hex digits");
    d->p += 6;
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return fail(d, "a \\u escape that is the low half of a surrogate pair alone");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        if (d->end - d->p < 6 || d->p[0] != '\\' || d->p[1] != 'u' || hex4(d->p + 2, &lo) ||
            lo < 0xDC00 || lo > 0xDFFF)
            return fail(d, "a \\u escape that is the high half of a surrogate pair alone");
        d->p += 6;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    }
    if (cp == 0)
        d->r->has_nul = 1;
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string with escapes, from start (its first byte) with d->p at the first
 * backslash: decoded into the side buffer.  A decoded string is never longer
 * than its text, so a buffer as long as the whole text, reserved before the
 * first decoding of a read, holds them all and never moves. */
static int decode_string(rd *d, const char *start, const char **out, size_t *len)
{
    jread *r = d->r;
    size_t need = (size_t)(d->end - d->text) + 1;
    if (r->str_cap < need) { /* (only at a read's first decoding: need stays) */
        char *s = malloc(need);
        if (!s)
            return out_of_memory(d);
        free(r->str);
        r->str = s;
        r->str_cap = need;
    }
    char *o = r->str + r->str_len;
    char *begin = o;
    memcpy(o, start, (size_t)(d->p - start));
    o += d->p - start;
    while (d->p < d->end) {
        unsigned char c = (unsigned char)*d->p;
        if (c == '"') {
            d->p++;
            *out = begin;
            *len = (size_t)(o - begin);
            r->str_len += *len;
            return 0;
        }
        if (c < 0x20)
            return fail(d, "a control character inside a string (it must be escaped)");
        if (c != '\\') {
            *o++ = (char)c;
            d->p++;
            continue;
        }
        if (d->end - d->p < 2)
            break;
        switch (d->p[1]) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            int k = unicode_escape(d, o);
            if (k < 0)
                return -1;
            o += k;
            continue;
        }
        default:
            return fail(d, "an unknown escape in a string");
        }
        d->p += 2;
    }
    return fail(d, "a string without its closing quote");
}

/* From p, the first byte that ends a run of plain string bytes: a quote, a
 * backslash or a control character (or end).  Sixteen bytes at a time
 * where the CPU has SSE2 (every x86-64 has). */
static const char *plain_run(const char *p, const char *end)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                  ctl = _mm_set1_epi8(0x1F);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                   _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        int mask = _mm_movemask_epi8(hit);
        if (mask)
            return p + __builtin_ctz((unsigned)mask);
        p += 16;
    }
#endif
    while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
        p++;
    return p;
}

/* A string at d->p (its opening quote). */
static int read_string(rd *d, const char **out, size_t *len)
{
    const char *start = ++d->p;
    d->p = plain_run(d->p, d->end);
    while (d->p < d->end) {
        unsigned char c = (unsigned char)*d->p;
        if (c == '"') {
            *out = start;
            *len = (size_t)(d->p - start);
            d->p++;
            return 0;
        }
        if (c == '\\')
            return decode_string(d, start, out, len);
        if (c < 0x20)
            return fail(d, "a control character inside a string (it must be escaped)");
        d->p++;
    }
    return fail(d, "a string without its closing quote");
}

static int digits(rd *d)
{
    const char *s = d->p;
    while (d->p < d->end && *d->p >= '0' && *d->p <= '9')
        d->p++;
    return d->p > s;
}

/* A number at d->p: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int read_number(rd *d, size_t at)
{
    const char *start = d->p;
    if (*d->p == '-')
        d->p++;
    if (d->p < d->end && *d->p == '0')
        d->p++;
    else if (!digits(d))
        return fail(d, "a number without digits");
    if (d->p < d->end && *d->p == '.') {
        d->p++;
        if (!digits(d))
            return fail(d, "a number without digits after its decimal point");
    }
    if (d->p < d->end && (*d->p == 'e' || *d->p == 'E')) {
        d->p++;
        if (d->p < d->end && (*d->p == '+' || *d->p == '-'))
            d->p++;
        if (!digits(d))
            return fail(d, "a number without digits in its exponent");
    }
    d->r->nodes[at].s = start;
    d->r->nodes[at].len = (size_t)(d->p - start);
    return 0;
}

static int literal(rd *d, const char *word, size_t n)
{
    if ((size_t)(d->end - d->p) < n || memcmp(d->p, word, n) != 0)
        return fail(d, "not a JSON value");
    d->p += n;
    return 0;
}

static int read_value(rd *d, size_t at);

/* An array or an object at d->p (its opening bracket), node at. */
static int read_container(rd *d, size_t at, int object)
{
    char close = object ? '}' : ']';
    if (++d->depth > JREAD_MAX_DEPTH)
        return fail(d, "nesting deeper than 1000 levels");
    d->p++;
    skip_ws(d);
    if (d->p < d->end && *d->p == close) {
        d->p++;
        d->depth--;
        return 0;
    }
    size_t prev = 0, count = 0;
    for (;;) {
        const char *key = NULL;
        size_t key_len = 0;
        skip_ws(d);
        if (object) {
            if (d->p >= d->end || *d->p != '"')
                return fail(d, "an object's member without a name in quotes");
            if (read_string(d, &key, &key_len))
                return -1;
            skip_ws(d);
            if (d->p >= d->end || *d->p != ':')
                return fail(d, "a member's name without a colon after it");
            d->p++;
            skip_ws(d);
        }
        size_t child = new_node(d, JR_NULL);
        if (child == (size_t)-1)
            return out_of_memory(d);
        jr_node *nodes = d->r->nodes;
        nodes[child].key = key;
        nodes[child].key_len = key_len;
        if (count)
            nodes[prev].next = child - prev;
        prev = child;
        count++;
        if (read_value(d, child))
            return -1;
        skip_ws(d);
        if (d->p < d->end && *d->p == ',') {
            d->p++;
            continue;
        }
        if (d->p < d->end && *d->p == close) {
            d->p++;
            break;
        }
        return fail(d, object ? "a member not followed by a comma or }"
                              : "an element not followed by a comma or ]");
    }
    d->r->nodes[at].count = count;
    d->depth--;
    return 0;
}

/* The value at d->p into node at (created by the caller as JR_NULL). */
static int read_value(rd *d, size_t at)
{
    if (d->p >= d->end)
        return fail(d, "the text ends where a value should be");
    switch (*d->p) {
    case '{':
        d->r->nodes[at].type = JR_OBJECT;
        return read_container(d, at, 1);
    case '[':
        d->r->nodes[at].type = JR_ARRAY;
        return read_container(d, at, 0);
    case '"': {
        const char *s;
        size_t n;
        if (read_string(d, &s, &n))
            return -1;
        d->r->nodes[at].type = JR_STRING;
        d->r->nodes[at].s = s;
        d->r->nodes[at].len = n;
        return 0;
    }
    case 't':
        d->r->nodes[at].type = JR_TRUE;
        return literal(d, "true", 4);
    case 'f':
        d->r->nodes[at].type = JR_FALSE;
        return literal(d, "false", 5);
    case 'n':
        return literal(d, "null", 4);
    default:
        if (*d->p == '-' || (*d->p >= '0' && *d->p <= '9')) {
            d->r->nodes[at].type = JR_NUMBER;
            return read_number(d, at);
        }
        return fail(d, "not a JSON value");
    }
}

int jread_parse(jread *r, const char *text, size_t len)
{
    rd d = {r, text, text, text + len, 0};
    r->n = 0;
    r->str_len = 0;
    r->has_nul = 0;
    r->oom = 0;
    r->error = NULL;
    r->error_at = 0;
    skip_ws(&d);
    if (new_node(&d, JR_NULL) == (size_t)-1)
        return out_of_memory(&d);
    if (read_value(&d, 0))
        return -1;
    skip_ws(&d);
    if (d.p != d.end)
        return fail(&d, "text after the JSON value");
    return 0;
}

const jr_node *jread_get(const jr_node *obj, const char *key)
{
    if (!obj || obj->type != JR_OBJECT)
        return NULL;
    size_t n = strlen(key);
    JR_EACH(e, obj)
    if (e->key_len == n && memcmp(e->key, key, n) == 0)
        return e;
    return NULL;
}

double jread_number(const jr_node *j)
{
    const char *s = j->s;
    size_t n = j->len, i = s[0] == '-';
    /* up to 15 digits and nothing else: exact in a double, no strtod */
    if (n - i <= 15) {
        int64_t v = 0;
        size_t k;
        for (k = i; k < n && s[k] >= '0' && s[k] <= '9'; k++)
            v = v * 10 + (s[k] - '0');
        if (k == n)
            return i ? -(double)v : (double)v;
    }
    char small[64], *t = n < sizeof small ? small : malloc(n + 1);
    if (!t)
        return NAN; /* (no memory for a copy of a number over 63 characters) */
    memcpy(t, s, n);
    t[n] = '\0';
    /* strtod reads the locale's decimal point; the text has '.' */
    char point = localeconv()->decimal_point[0];
    if (point && point != '.') {
        char *dot = memchr(t, '.', n);
        if (dot)
            *dot = point;
    }
    double v = strtod(t, NULL);
    if (t != small)
        free(t);
    return v;
}

int jread_int64(const jr_node *j, int64_t *out)
{
    if (j->type != JR_NUMBER || !j->len)
        return -1;
    const char *s = j->s;
    size_t n = j->len, k = s[0] == '-';
    uint64_t v = 0, limit = (uint64_t)INT64_MAX + (k ? 1 : 0);
    if (k == n)
        return -1;
    for (; k < n; k++) {
        if (s[k] < '0' || s[k] > '9')
            return -1; /* not an integer literal */
        unsigned d = (unsigned)(s[k] - '0');
        if (v > (limit - d) / 10)
            return -1; /* beyond 64 bits */
        v = v * 10 + d;
    }
    if (s[0] != '-')
        *out = (int64_t)v;
    else
        *out = v > (uint64_t)INT64_MAX ? INT64_MIN : -(int64_t)v;
    return 0;
}
