/* xml: a strict, non-validating XML reader for STS answers (see xml.h).
 *
 * Two passes over the bytes, both linear: xml_check_chars rejects anything
 * that is not UTF-8 made of XML Chars, then xml_parse walks the markup with an
 * explicit stack of open elements (no recursion) and copies the text of the
 * element asked for, if any.  Every read is bounded by the length given. */
#include "xml.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct xml_elem {
    size_t name; /* offset of the QName in the document */
    size_t name_len;
    int match; /* the path's first (depth) parts name this element and its ancestors */
} xml_elem;

typedef struct xml_parser {
    const unsigned char *s;
    size_t n;
    size_t i; /* the next byte to read */
    omics_error *err;
    /* the path asked for; parts past XML_MAX_DEPTH are counted, not kept */
    const char *part[XML_MAX_DEPTH];
    size_t part_len[XML_MAX_DEPTH];
    size_t nparts;
    buf *out;         /* the element's text goes here; NULL: no path */
    int found;        /* the element was read to its end */
    size_t cap_depth; /* while reading it: its depth (1 for the root), else 0 */
    xml_elem stack[XML_MAX_DEPTH];
    size_t depth;
    int seen_root;
    size_t root_local, root_local_len;
} xml_parser;

#if defined(__GNUC__)
static int xml_fail(xml_parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#endif

/* A parse error: "XML: <what> at byte <at>".  Returns -1. */
static int xml_fail(xml_parser *p, size_t at, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return omics_error_set(p->err, OMICS_EPARSE, "XmlParseError", "XML: %s at byte %zu", what,
                           at);
}

/* How much of a name to quote in a message: at most 40 bytes, never ending
 * inside a UTF-8 sequence (the document has been checked to be UTF-8). */
static int xml_quote_len(const unsigned char *s, size_t len)
{
    if (len <= 40)
        return (int)len;
    size_t k = 40;
    while (k > 0 && (s[k] & 0xC0) == 0x80)
        k--;
    return (int)k;
}

static int xml_is_space(unsigned c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Whether the document holds the bytes of lit at offset i. */
static int xml_at(const xml_parser *p, size_t i, const char *lit)
{
    size_t k = strlen(lit);
    return i <= p->n && p->n - i >= k && memcmp(p->s + i, lit, k) == 0;
}

static size_t xml_skip_space(xml_parser *p)
{
    size_t start = p->i;
    while (p->i < p->n && xml_is_space(p->s[p->i]))
        p->i++;
    return p->i - start;
}

static int xml_is_char(uint32_t c)
{
    return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
           (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

/* Pass one: UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF), and every character an XML Char. */
static int xml_check_chars(xml_parser *p)
{
    const unsigned char *s = p->s;
    size_t n = p->n, i = 0;
    while (i < n) {
        unsigned c = s[i];
        if (c < 0x80) {
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                return xml_fail(p, i, "control character 0x%02X is not allowed", c);
            i++;
            continue;
        }
        size_t k;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07;
        } else {
            return xml_fail(p, i, "invalid UTF-8 (byte 0x%02X)", c);
        }
        if (n - i - 1 < k)
            return xml_fail(p, i, "invalid UTF-8 (truncated sequence)");
        for (size_t j = 1; j <= k; j++) {
            unsigned b = s[i + j];
            if ((b & 0xC0) != 0x80)
                return xml_fail(p, i, "invalid UTF-8 (bad continuation byte 0x%02X)", b);
            cp = (cp << 6) | (b & 0x3F);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000))
            return xml_fail(p, i, "invalid UTF-8 (overlong sequence)");
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return xml_fail(p, i, "invalid UTF-8 (U+%04X is not a scalar value)", (unsigned)cp);
        if (!xml_is_char(cp))
            return xml_fail(p, i, "character U+%04X is not allowed", (unsigned)cp);
        i += k + 1;
    }
    return 0;
}

/* The code point at *i, which pass one has checked; *i moves past it. */
static uint32_t xml_decode(const xml_parser *p, size_t *i)
{
    const unsigned char *s = p->s;
    unsigned c = s[*i];
    size_t k = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    uint32_t cp = k == 0 ? c : k == 1 ? (c & 0x1F) : k == 2 ? (c & 0x0F) : (c & 0x07);
    for (size_t j = 1; j <= k && *i + j < p->n; j++)
        cp = (cp << 6) | (s[*i + j] & 0x3F);
    *i += k + 1;
    return cp;
}

static void xml_put_utf8(buf *b, uint32_t c)
{
    char u[4];
    size_t n;
    if (c < 0x80) {
        u[0] = (char)c;
        n = 1;
    } else if (c < 0x800) {
        u[0] = (char)(0xC0 | (c >> 6));
        u[1] = (char)(0x80 | (c & 0x3F));
        n = 2;
    } else if (c < 0x10000) {
        u[0] = (char)(0xE0 | (c >> 12));
        u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[2] = (char)(0x80 | (c & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (c >> 18));
        u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        u[3] = (char)(0x80 | (c & 0x3F));
        n = 4;
    }
    buf_add(b, u, n);
}

/* NameStartChar of XML 1.0 (fifth edition), without ':'. */
static int xml_name_start(uint32_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) || (c >= 0xF8 && c <= 0x2FF) ||
           (c >= 0x370 && c <= 0x37D) || (c >= 0x37F && c <= 0x1FFF) ||
           (c >= 0x200C && c <= 0x200D) || (c >= 0x2070 && c <= 0x218F) ||
           (c >= 0x2C00 && c <= 0x2FEF) || (c >= 0x3001 && c <= 0xD7FF) ||
           (c >= 0xF900 && c <= 0xFDCF) || (c >= 0xFDF0 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0xEFFFF);
}

/* NameChar of XML 1.0, without ':'. */
static int xml_name_char(uint32_t c)
{
    return xml_name_start(c) || c == '-' || c == '.' || (c >= '0' && c <= '9') || c == 0xB7 ||
           (c >= 0x300 && c <= 0x36F) || (c >= 0x203F && c <= 0x2040);
}

/* A QName at p->i (NCName, or NCName ':' NCName); p->i moves past it.  *len
 * is its length, *local the offset of the part after the prefix. */
static int xml_qname(xml_parser *p, const char *what, size_t *len, size_t *local)
{
    size_t start = p->i, i = p->i;
    int colon = 0, at_part_start = 1;
    *local = start;
    if (i >= p->n)
        return xml_fail(p, i, "unexpected end of the document (expected %s name)", what);
    while (i < p->n) {
        size_t j = i;
        uint32_t c = xml_decode(p, &j);
        if (c == ':') {
            if (at_part_start)
                return xml_fail(p, i, "%s name with an empty prefix", what);
            if (colon)
                return xml_fail(p, i, "%s name with more than one ':'", what);
            colon = 1;
            at_part_start = 1;
            *local = j;
            i = j;
            continue;
        }
        if (at_part_start ? !xml_name_start(c) : !xml_name_char(c))
            break;
        at_part_start = 0;
        i = j;
    }
    if (i == start)
        return xml_fail(p, i, "expected %s name", what);
    if (at_part_start)
        return xml_fail(p, i, "%s name with an empty local part", what);
    *len = i - start;
    p->i = i;
    return 0;
}

/* Whether the open element's text is being copied. */
static int xml_capturing(const xml_parser *p)
{
    return p->out && !p->found && p->cap_depth && p->depth == p->cap_depth;
}

/* Append character data, with XML's line-end normalization (CR LF and CR
 * become LF).  A CR never ends a run followed by LF in the next one: runs
 * end at '<', '&' or "]]>". */
static void xml_emit(xml_parser *p, size_t from, size_t to)
{
    const unsigned char *s = p->s;
    size_t i = from, run = from;
    while (i < to) {
        if (s[i] == '\r') {
            buf_add(p->out, s + run, i - run);
            buf_addc(p->out, '\n');
            i++;
            if (i < to && s[i] == '\n')
                i++;
            run = i;
        } else {
            i++;
        }
    }
    buf_add(p->out, s + run, to - run);
}

/* A reference at p->i (the '&'); its character goes to out unless NULL. */
static int xml_reference(xml_parser *p, buf *out)
{
    static const struct {
        const char *name; /* with the ';' */
        char c;
    } predefined[] = {{"lt;", '<'}, {"gt;", '>'}, {"amp;", '&'}, {"apos;", '\''}, {"quot;", '"'}};
    const unsigned char *s = p->s;
    size_t n = p->n, at = p->i, i = at + 1;

    if (i < n && s[i] == '#') {
        int hex = 0, big = 0;
        uint32_t v = 0;
        size_t digits = 0;
        i++;
        if (i < n && s[i] == 'x') {
            hex = 1;
            i++;
        }
        for (; i < n; i++, digits++) {
            unsigned c = s[i], d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (hex && c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                break;
            if (!big) {
                v = v * (hex ? 16 : 10) + d;
                if (v > 0x10FFFF)
                    big = 1;
            }
        }
        if (i >= n)
            return xml_fail(p, at, "unterminated character reference");
        if (!digits)
            return xml_fail(p, at, "character reference without digits");
        if (s[i] != ';')
            return xml_fail(p, i, "expected ';' to end the character reference");
        if (big || !xml_is_char(v))
            return xml_fail(p, at, "character reference to %s",
                            big ? "a number past U+10FFFF"
                                : "a character not allowed in XML");
        if (out)
            xml_put_utf8(out, v);
        p->i = i + 1;
        return 0;
    }
    for (size_t k = 0; k < sizeof predefined / sizeof predefined[0]; k++) {
        if (xml_at(p, i, predefined[k].name)) {
            if (out)
                buf_addc(out, predefined[k].c);
            p->i = i + strlen(predefined[k].name);
            return 0;
        }
    }
    /* say what it was: a name up to ';', or a stray '&' */
    size_t j = i;
    while (j < n && j - i < 64 && s[j] != ';' && s[j] != '<' && s[j] != '&' &&
           !xml_is_space(s[j]))
        j++;
    if (j < n && s[j] == ';' && j > i)
        return xml_fail(p, at, "undefined entity &%.*s; (only &lt; &gt; &amp; &apos; &quot;)",
                        xml_quote_len(s + i, j - i), (const char *)s + i);
    if (j >= n)
        return xml_fail(p, at, "unterminated entity reference");
    return xml_fail(p, at, "'&' that does not start a reference (write &amp;)");
}

/* <!-- ... --> at p->i: no "--" inside, not ending in "--->". */
static int xml_comment(xml_parser *p)
{
    const unsigned char *s = p->s;
    size_t at = p->i;
    for (size_t i = at + 4; i + 1 < p->n; i++) {
        if (s[i] == '-' && s[i + 1] == '-') {
            if (i + 2 >= p->n)
                break;
            if (s[i + 2] != '>')
                return xml_fail(p, i, "'--' inside a comment");
            p->i = i + 3;
            return 0;
        }
    }
    return xml_fail(p, at, "unterminated comment");
}

/* The quoted value of a pseudo-attribute of the XML declaration. */
static int xml_decl_value(xml_parser *p, size_t at, size_t *v, size_t *vlen)
{
    xml_skip_space(p);
    if (p->i >= p->n)
        return xml_fail(p, at, "unterminated XML declaration");
    if (p->s[p->i] != '=')
        return xml_fail(p, p->i, "expected '=' in the XML declaration");
    p->i++;
    xml_skip_space(p);
    if (p->i >= p->n)
        return xml_fail(p, at, "unterminated XML declaration");
    unsigned q = p->s[p->i];
    if (q != '"' && q != '\'')
        return xml_fail(p, p->i, "expected a quoted value in the XML declaration");
    size_t start = ++p->i;
    while (p->i < p->n && p->s[p->i] != q && p->s[p->i] != '<' && p->s[p->i] != '>')
        p->i++;
    if (p->i >= p->n)
        return xml_fail(p, at, "unterminated XML declaration");
    if (p->s[p->i] != q)
        return xml_fail(p, p->i, "unterminated value in the XML declaration");
    *v = start;
    *vlen = p->i - start;
    p->i++;
    return 0;
}

/* The XML declaration; p->i is just past "<?xml".  version, then encoding
 * and standalone, each optional and in that order. */
static int xml_decl(xml_parser *p, size_t at)
{
    static const char *const names[3] = {"version", "encoding", "standalone"};
    const unsigned char *s = p->s;
    int next = 0;
    for (;;) {
        size_t sp = xml_skip_space(p);
        if (xml_at(p, p->i, "?>")) {
            if (next == 0)
                return xml_fail(p, at, "XML declaration without a version");
            p->i += 2;
            return 0;
        }
        if (p->i >= p->n)
            return xml_fail(p, at, "unterminated XML declaration");
        if (!sp)
            return xml_fail(p, p->i, "expected whitespace in the XML declaration");
        int which = -1;
        for (int k = next; k < 3; k++) {
            if (xml_at(p, p->i, names[k])) {
                which = k;
                break;
            }
        }
        if (which < 0 || (next == 0 && which != 0))
            return xml_fail(p, p->i, "unexpected %s in the XML declaration",
                            next == 0 ? "text (expected version)" : "text");
        p->i += strlen(names[which]);
        size_t v = 0, vlen = 0;
        if (xml_decl_value(p, at, &v, &vlen))
            return -1;
        if (which == 0) {
            int ok = vlen >= 3 && s[v] == '1' && s[v + 1] == '.';
            for (size_t k = 2; ok && k < vlen; k++)
                ok = s[v + k] >= '0' && s[v + k] <= '9';
            if (!ok)
                return xml_fail(p, v, "unsupported XML version (1.x only)");
        } else if (which == 1) {
            static const char utf8[] = "utf-8";
            int ok = vlen == 5;
            for (size_t k = 0; ok && k < 5; k++) {
                unsigned c = s[v + k];
                ok = (c >= 'A' && c <= 'Z' ? c + 32 : c) == (unsigned char)utf8[k];
            }
            if (!ok)
                return xml_fail(p, v, "unsupported encoding (UTF-8 only)");
        } else {
            if (!((vlen == 3 && memcmp(s + v, "yes", 3) == 0) ||
                  (vlen == 2 && memcmp(s + v, "no", 2) == 0)))
                return xml_fail(p, v, "standalone must be \"yes\" or \"no\"");
        }
        next = which + 1;
    }
}

/* <?target ...?> at p->i; the XML declaration when at_start. */
static int xml_pi(xml_parser *p, int at_start)
{
    const unsigned char *s = p->s;
    size_t at = p->i, len = 0, local = 0;
    p->i += 2;
    size_t target = p->i;
    if (xml_qname(p, "processing instruction target", &len, &local))
        return -1;
    if (local != target)
        return xml_fail(p, target, "processing instruction target with a ':'");
    if (len == 3 && (s[target] | 32) == 'x' && (s[target + 1] | 32) == 'm' &&
        (s[target + 2] | 32) == 'l') {
        if (at_start && memcmp(s + target, "xml", 3) == 0)
            return xml_decl(p, at);
        return xml_fail(p, at, at_start ? "reserved processing instruction target"
                                        : "XML declaration not at the start of the document");
    }
    if (xml_at(p, p->i, "?>")) {
        p->i += 2;
        return 0;
    }
    if (p->i >= p->n)
        return xml_fail(p, at, "unterminated processing instruction");
    if (!xml_is_space(s[p->i]))
        return xml_fail(p, p->i, "expected whitespace after the processing instruction target");
    for (size_t i = p->i; i + 1 < p->n; i++) {
        if (s[i] == '?' && s[i + 1] == '>') {
            p->i = i + 2;
            return 0;
        }
    }
    return xml_fail(p, at, "unterminated processing instruction");
}

/* <![CDATA[ ... ]]> at p->i, inside an element. */
static int xml_cdata(xml_parser *p)
{
    const unsigned char *s = p->s;
    size_t at = p->i, start = at + 9;
    for (size_t i = start; i + 2 < p->n; i++) {
        if (s[i] == ']' && s[i + 1] == ']' && s[i + 2] == '>') {
            if (xml_capturing(p))
                xml_emit(p, start, i);
            p->i = i + 3;
            return 0;
        }
    }
    return xml_fail(p, at, "unterminated CDATA section");
}

/* An attribute value at p->i (the quote). */
static int xml_attr_value(xml_parser *p, size_t tag)
{
    const unsigned char *s = p->s;
    if (p->i >= p->n)
        return xml_fail(p, tag, "unterminated start tag");
    unsigned q = s[p->i];
    if (q != '"' && q != '\'')
        return xml_fail(p, p->i, "attribute value not in quotes");
    size_t start = p->i++;
    while (p->i < p->n && s[p->i] != q) {
        if (s[p->i] == '<')
            return xml_fail(p, p->i, "'<' in an attribute value");
        if (s[p->i] == '&') {
            if (xml_reference(p, NULL))
                return -1;
        } else {
            p->i++;
        }
    }
    if (p->i >= p->n)
        return xml_fail(p, start, "unterminated attribute value");
    p->i++;
    return 0;
}

/* A start tag or an empty-element tag at p->i. */
static int xml_start_tag(xml_parser *p)
{
    const unsigned char *s = p->s;
    size_t at = p->i, name, len = 0, local = 0;
    size_t attr[XML_MAX_ATTRS], attr_len[XML_MAX_ATTRS], nattr = 0;
    int empty = 0;

    if (p->depth == 0 && p->seen_root)
        return xml_fail(p, at, "a second root element");
    if (p->depth == XML_MAX_DEPTH)
        return xml_fail(p, at, "elements nested more than %d deep", XML_MAX_DEPTH);
    p->i++;
    name = p->i;
    if (xml_qname(p, "element", &len, &local))
        return -1;
    for (;;) {
        size_t sp = xml_skip_space(p);
        if (p->i >= p->n)
            return xml_fail(p, at, "unterminated start tag <%.*s>", xml_quote_len(s + name, len),
                            (const char *)s + name);
        unsigned c = s[p->i];
        if (c == '>') {
            p->i++;
            break;
        }
        if (c == '/') {
            if (p->i + 1 >= p->n)
                return xml_fail(p, at, "unterminated start tag <%.*s>",
                                xml_quote_len(s + name, len), (const char *)s + name);
            if (s[p->i + 1] != '>')
                return xml_fail(p, p->i, "expected '>' after '/' in a tag");
            p->i += 2;
            empty = 1;
            break;
        }
        if (!sp)
            return xml_fail(p, p->i, "expected whitespace, '>' or '/>' in a start tag");
        size_t a = p->i, alen = 0, alocal = 0;
        if (xml_qname(p, "attribute", &alen, &alocal))
            return -1;
        for (size_t k = 0; k < nattr; k++) {
            if (attr_len[k] == alen && memcmp(s + attr[k], s + a, alen) == 0)
                return xml_fail(p, a, "duplicate attribute %.*s", xml_quote_len(s + a, alen),
                                (const char *)s + a);
        }
        if (nattr == XML_MAX_ATTRS)
            return xml_fail(p, a, "more than %d attributes on one element", XML_MAX_ATTRS);
        attr[nattr] = a;
        attr_len[nattr] = alen;
        nattr++;
        xml_skip_space(p);
        if (p->i >= p->n)
            return xml_fail(p, at, "unterminated start tag <%.*s>", xml_quote_len(s + name, len),
                            (const char *)s + name);
        if (s[p->i] != '=')
            return xml_fail(p, p->i, "expected '=' after the attribute name");
        p->i++;
        xml_skip_space(p);
        if (xml_attr_value(p, at))
            return -1;
    }

    size_t d = p->depth, llen = len - (local - name);
    int match = d < p->nparts && (d == 0 || p->stack[d - 1].match) && p->part_len[d] == llen &&
                memcmp(p->part[d], s + local, llen) == 0;
    if (d == 0) {
        p->seen_root = 1;
        p->root_local = local;
        p->root_local_len = llen;
    }
    if (match && d + 1 == p->nparts && !p->found && !p->cap_depth) {
        if (empty)
            p->found = 1; /* <X/>: found, with empty text */
        else
            p->cap_depth = d + 1;
    }
    if (!empty) {
        p->stack[d].name = name;
        p->stack[d].name_len = len;
        p->stack[d].match = match;
        p->depth++;
    }
    return 0;
}

/* An end tag at p->i. */
static int xml_end_tag(xml_parser *p)
{
    const unsigned char *s = p->s;
    size_t at = p->i, len = 0, local = 0;
    if (p->depth == 0)
        return xml_fail(p, at, "end tag without a start tag");
    p->i += 2;
    size_t name = p->i;
    if (xml_qname(p, "element", &len, &local))
        return -1;
    const xml_elem *top = &p->stack[p->depth - 1];
    if (len != top->name_len || memcmp(s + name, s + top->name, len) != 0)
        return xml_fail(p, at, "end tag </%.*s> does not match start tag <%.*s>",
                        xml_quote_len(s + name, len), (const char *)s + name,
                        xml_quote_len(s + top->name, top->name_len),
                        (const char *)s + top->name);
    xml_skip_space(p);
    if (p->i >= p->n)
        return xml_fail(p, at, "unterminated end tag");
    if (s[p->i] != '>')
        return xml_fail(p, p->i, "expected '>' to end the end tag");
    p->i++;
    if (p->cap_depth == p->depth) {
        p->found = 1;
        p->cap_depth = 0;
    }
    p->depth--;
    return 0;
}

/* Pass two: the markup. */
static int xml_parse(xml_parser *p)
{
    const unsigned char *s = p->s;
    size_t n = p->n;
    if (xml_check_chars(p))
        return -1;
    if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        p->i = 3; /* a byte-order mark */
    size_t start = p->i;
    while (p->i < n) {
        size_t at = p->i;
        unsigned c = s[at];
        int rc;
        if (c == '<') {
            if (at + 1 >= n)
                return xml_fail(p, at, "unterminated tag");
            unsigned c1 = s[at + 1];
            if (c1 == '?') {
                rc = xml_pi(p, at == start);
            } else if (c1 == '!') {
                if (xml_at(p, at, "<!--"))
                    rc = xml_comment(p);
                else if (xml_at(p, at, "<![CDATA["))
                    rc = p->depth ? xml_cdata(p)
                                  : xml_fail(p, at, "CDATA section outside the root element");
                else if (xml_at(p, at, "<!DOCTYPE"))
                    rc = xml_fail(p, at, "DOCTYPE declarations are not allowed");
                else
                    rc = xml_fail(p, at, "markup declaration (<!...) not allowed");
            } else if (c1 == '/') {
                rc = xml_end_tag(p);
            } else {
                rc = xml_start_tag(p);
            }
        } else if (c == '&') {
            rc = p->depth ? xml_reference(p, xml_capturing(p) ? p->out : NULL)
                          : xml_fail(p, at, "reference outside the root element");
        } else {
            /* character data, up to the next markup */
            size_t j = at;
            while (j < n && s[j] != '<' && s[j] != '&') {
                if (s[j] == ']' && xml_at(p, j, "]]>"))
                    return xml_fail(p, j, "']]>' in text");
                if (!p->depth && !xml_is_space(s[j]))
                    return xml_fail(p, j, "text %s the root element",
                                    p->seen_root ? "after" : "before");
                j++;
            }
            if (xml_capturing(p))
                xml_emit(p, at, j);
            p->i = j;
            rc = 0;
        }
        if (rc)
            return -1;
    }
    if (p->depth) {
        const xml_elem *top = &p->stack[p->depth - 1];
        return xml_fail(p, n, "unexpected end of the document: <%.*s> not closed",
                        xml_quote_len(s + top->name, top->name_len),
                        (const char *)s + top->name);
    }
    if (!p->seen_root)
        return xml_fail(p, n, "no root element");
    return 0;
}

static int xml_init(xml_parser *p, const char *doc, size_t len, omics_error *err)
{
    memset(p, 0, sizeof *p);
    p->err = err;
    if (!doc && len)
        return omics_error_set(err, OMICS_EUSAGE, "UsageError", "xml: NULL document");
    p->s = (const unsigned char *)(doc ? doc : "");
    p->n = len;
    return 0;
}

static int xml_set_path(xml_parser *p, const char *path)
{
    if (!path || !*path)
        return omics_error_set(p->err, OMICS_EUSAGE, "UsageError", "xml: empty path");
    const char *part = path;
    for (;;) {
        const char *slash = strchr(part, '/');
        size_t len = slash ? (size_t)(slash - part) : strlen(part);
        if (!len)
            return omics_error_set(p->err, OMICS_EUSAGE, "UsageError",
                                   "xml: empty part in the path \"%s\"", path);
        if (memchr(part, ':', len))
            return omics_error_set(p->err, OMICS_EUSAGE, "UsageError",
                                   "xml: the path \"%s\" has a prefix (give local names)",
                                   path);
        if (p->nparts < XML_MAX_DEPTH) {
            p->part[p->nparts] = part;
            p->part_len[p->nparts] = len;
        }
        p->nparts++; /* a path deeper than XML_MAX_DEPTH never matches */
        if (!slash)
            return 0;
        part = slash + 1;
    }
}

int xml_text(const char *doc, size_t len, const char *path, buf *out, omics_error *err)
{
    xml_parser p;
    if (xml_init(&p, doc, len, err))
        return -1;
    if (!out)
        return omics_error_set(err, OMICS_EUSAGE, "UsageError", "xml: no output buffer");
    buf_reset(out);
    if (xml_set_path(&p, path))
        return -1;
    p.out = out;
    if (xml_parse(&p)) {
        buf_reset(out);
        return -1;
    }
    if (out->oom) {
        buf_reset(out);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "xml: out of memory");
    }
    if (!p.found)
        return 0;
    if (!buf_reserve(out, 0)) { /* "" rather than NULL for an empty text */
        buf_reset(out);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "xml: out of memory");
    }
    out->p[out->len] = '\0';
    return 1;
}

int xml_root(const char *doc, size_t len, buf *out, omics_error *err)
{
    xml_parser p;
    if (xml_init(&p, doc, len, err))
        return -1;
    if (!out)
        return omics_error_set(err, OMICS_EUSAGE, "UsageError", "xml: no output buffer");
    buf_reset(out);
    if (xml_parse(&p))
        return -1;
    buf_add(out, p.s + p.root_local, p.root_local_len);
    if (out->oom) {
        buf_reset(out);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "xml: out of memory");
    }
    return 0;
}
