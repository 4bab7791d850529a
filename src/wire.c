/* wire: HTTP/1.1 as bytes (see wire.h). */
#include "wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    W_STATUS,   /* the status line */
    W_HEADERS,  /* header lines up to the blank one */
    W_LENGTH,   /* a body of Content-Length bytes */
    W_SIZE,     /* a chunk-size line */
    W_DATA,     /* a chunk's bytes */
    W_DATA_END, /* the line end after them */
    W_TRAILERS, /* trailer lines up to the blank one */
    W_TO_EOF,   /* a body that runs to the end of the connection */
    W_DONE
};

static int conn_error(omics_error *err, const char *what, const char *p, size_t n)
{
    /* what the server sent, shown safely: printable bytes only, at most 60 */
    char shown[64];
    size_t k = 0;
    for (size_t i = 0; i < n && k < 60; i++)
        shown[k++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
    shown[k] = '\0';
    omics_error_set(err, OMICS_ETRANSPORT, "ConnectionError", "%s%s", what, shown);
    err->retryable = 1;
    return WIRE_ERROR;
}

void wire_init(wire_parser *p, const omics_limits *l)
{
    memset(p, 0, sizeof *p);
    p->limits = *l;
    buf_init(&p->line);
    buf_init(&p->fields);
    buf_init(&p->body);
}

static void start_answer(wire_parser *p)
{
    p->state = W_STATUS;
    p->status = 0;
    p->minor = 1;
    p->chunked = p->to_eof = p->streaming = p->keep = 0;
    p->left = 0;
    p->head_bytes = 0;
    p->nfields = 0;
    buf_reset(&p->line);
    buf_reset(&p->fields);
    buf_reset(&p->body);
}

void wire_start(wire_parser *p, const char *method, int can_stream)
{
    start_answer(p);
    p->started = 0;
    p->no_body = method && strcmp(method, "HEAD") == 0;
    p->can_stream = can_stream;
}

void wire_free(wire_parser *p)
{
    buf_free(&p->line);
    buf_free(&p->fields);
    buf_free(&p->body);
}

/* A header's value, or NULL (the first of its name). */
static const char *field(const wire_parser *p, const char *name)
{
    const char *s = p->fields.p;
    for (size_t i = 0; i < p->nfields; i++) {
        const char *v = s + strlen(s) + 1;
        if (strcmp(s, name) == 0)
            return v;
        s = v + strlen(v) + 1;
    }
    return NULL;
}

/* Whether a comma-separated header value holds token (any case). */
static int has_token(const char *v, const char *token)
{
    size_t n = strlen(token);
    while (v && *v) {
        while (*v == ' ' || *v == '\t' || *v == ',')
            v++;
        size_t k = strcspn(v, ",");
        size_t e = k;
        while (e > 0 && (v[e - 1] == ' ' || v[e - 1] == '\t'))
            e--;
        if (e == n && strncasecmp(v, token, n) == 0)
            return 1;
        v += k;
    }
    return 0;
}

static int status_line(wire_parser *p, const char *s, size_t n, omics_error *err)
{
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
        s[9] < '0' || s[9] > '9' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
        (n > 12 && s[12] != ' '))
        return conn_error(err, "not an HTTP answer: ", s, n);
    p->minor = s[7] - '0';
    p->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    if (p->status < 100)
        return conn_error(err, "not an HTTP answer: ", s, n);
    p->state = W_HEADERS;
    return WIRE_MORE;
}

/* A header (or trailer) line: kept as "name\0value\0" (trailers dropped). */
static int header_line(wire_parser *p, const char *s, size_t n, int trailer, omics_error *err)
{
    p->head_bytes += n + 2;
    if (p->limits.max_header_bytes && p->head_bytes > p->limits.max_header_bytes)
        return omics_too_large(err, &p->limits, 1, 0), WIRE_ERROR;
    if (memchr(s, '\0', n))
        return conn_error(err, "a header line with a NUL byte: ", s, n);
    const char *colon = memchr(s, ':', n);
    if (trailer || !colon || colon == s)
        return WIRE_MORE; /* (not a header: ignored, as a folded line is) */
    size_t nn = (size_t)(colon - s);
    const char *v = colon + 1, *end = s + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    char *dst = buf_reserve(&p->fields, nn + 1);
    if (dst) {
        for (size_t i = 0; i < nn; i++)
            dst[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
        dst[nn] = '\0';
        p->fields.len += nn + 1;
    }
    buf_add(&p->fields, v, (size_t)(end - v));
    buf_addc(&p->fields, '\0');
    p->nfields++;
    return WIRE_MORE;
}

/* The blank line after the headers: how the body is framed. */
static int end_of_head(wire_parser *p, omics_error *err)
{
    if (p->fields.oom)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), WIRE_ERROR;
    if (p->status < 200) { /* 100 Continue and the like: the answer follows */
        start_answer(p);
        return WIRE_MORE;
    }
    const char *conn = field(p, "connection");
    p->keep = p->minor >= 1 ? !has_token(conn, "close") : has_token(conn, "keep-alive");
    if (p->no_body || p->status == 204 || p->status == 304) {
        p->state = W_DONE;
        return WIRE_DONE;
    }
    p->streaming = p->can_stream && p->status >= 200 && p->status < 300;
    const char *te = field(p, "transfer-encoding");
    if (te && has_token(te, "chunked")) {
        p->chunked = 1;
        p->state = W_SIZE;
        return WIRE_MORE;
    }
    const char *cl = field(p, "content-length");
    if (cl) {
        unsigned long long v = 0;
        const char *c = cl;
        if (!*c)
            return conn_error(err, "a Content-Length that is not a number of bytes: ", cl,
                              strlen(cl));
        for (; *c; c++) {
            if (*c < '0' || *c > '9' || v > (~0ULL - 9) / 10)
                return conn_error(err, "a Content-Length that is not a number of bytes: ", cl,
                                  strlen(cl));
            v = v * 10 + (unsigned)(*c - '0');
        }
        if (!p->streaming && p->limits.max_response_bytes && v > p->limits.max_response_bytes)
            return omics_too_large(err, &p->limits, 0, p->can_stream), WIRE_ERROR;
        p->left = v;
        p->state = v ? W_LENGTH : W_DONE;
        return v ? WIRE_MORE : WIRE_DONE;
    }
    p->to_eof = 1;
    p->keep = 0;
    p->state = W_TO_EOF;
    return WIRE_MORE;
}

/* Body bytes: handed out (a streamed payload) or kept, within the limit. */
static int body_bytes(wire_parser *p, const char *d, size_t n, buf *payload, omics_error *err)
{
    if (p->streaming) {
        buf_add(payload, d, n);
        if (payload->oom)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), WIRE_ERROR;
        return WIRE_MORE;
    }
    if (p->limits.max_response_bytes && p->body.len + n > p->limits.max_response_bytes)
        return omics_too_large(err, &p->limits, 0, p->can_stream), WIRE_ERROR;
    buf_add(&p->body, d, n);
    if (p->body.oom)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), WIRE_ERROR;
    return WIRE_MORE;
}

static int size_line(wire_parser *p, const char *s, size_t n, omics_error *err)
{
    unsigned long long v = 0;
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    size_t digits = 0;
    for (; i < n; i++, digits++) {
        int c = (unsigned char)s[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if ((c | 32) >= 'a' && (c | 32) <= 'f')
            d = (c | 32) - 'a' + 10;
        else
            break;
        if (v >> 56)
            return conn_error(err, "a bad chunk size: ", s, n);
        v = v * 16 + (unsigned)d;
    }
    if (!digits || (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t'))
        return conn_error(err, "a bad chunk size: ", s, n);
    if (v == 0) {
        p->head_bytes = 0;
        p->state = W_TRAILERS;
    } else {
        p->left = v;
        p->state = W_DATA;
    }
    return WIRE_MORE;
}

/* One complete line (without its CR LF) in the state that waited for it. */
static int on_line(wire_parser *p, const char *s, size_t n, omics_error *err)
{
    switch (p->state) {
    case W_STATUS:
        return status_line(p, s, n, err);
    case W_HEADERS:
        return n ? header_line(p, s, n, 0, err) : end_of_head(p, err);
    case W_SIZE:
        return size_line(p, s, n, err);
    case W_DATA_END:
        if (n)
            return conn_error(err, "a chunk that runs past its size: ", s, n);
        p->state = W_SIZE;
        return WIRE_MORE;
    case W_TRAILERS:
        if (!n) {
            p->state = W_DONE;
            return WIRE_DONE;
        }
        return header_line(p, s, n, 1, err);
    }
    return WIRE_ERROR;
}

static const char *line_name(int state)
{
    switch (state) {
    case W_STATUS:
        return "the status line";
    case W_HEADERS:
        return "a header line";
    case W_SIZE:
        return "a chunk size";
    case W_TRAILERS:
        return "the trailers";
    default:
        return "a chunk end";
    }
}

/* Take a line from d (joined to what came before); *took: bytes of d used. */
static int take_line(wire_parser *p, const char *d, size_t n, size_t *took, omics_error *err)
{
    const char *nl = memchr(d, '\n', n);
    size_t k = nl ? (size_t)(nl - d) : n;
    if (p->line.len + k > WIRE_MAX_LINE) {
        omics_error_set(err, OMICS_ETRANSPORT, "ConnectionError", "%s is longer than %d bytes",
                        line_name(p->state), WIRE_MAX_LINE);
        err->retryable = 1;
        return WIRE_ERROR;
    }
    *took = nl ? k + 1 : n;
    if (!nl) {
        buf_add(&p->line, d, k);
        return p->line.oom ? (omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"),
                              WIRE_ERROR)
                           : WIRE_MORE;
    }
    const char *s = d;
    size_t len = k;
    if (p->line.len) { /* the line began in an earlier piece */
        buf_add(&p->line, d, k);
        if (p->line.oom)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), WIRE_ERROR;
        s = p->line.p;
        len = p->line.len;
    }
    if (len && s[len - 1] == '\r')
        len--;
    int r = on_line(p, s, len, err);
    buf_reset(&p->line);
    return r;
}

int wire_feed(wire_parser *p, const char *d, size_t n, size_t *used, buf *payload,
              omics_error *err)
{
    size_t at = 0;
    int r = WIRE_MORE;
    if (n)
        p->started = 1;
    while (at < n && r == WIRE_MORE) {
        size_t k = 0;
        switch (p->state) {
        case W_LENGTH:
        case W_DATA:
            k = n - at;
            if (k > p->left)
                k = (size_t)p->left;
            r = body_bytes(p, d + at, k, payload, err);
            p->left -= k;
            at += k;
            if (r == WIRE_MORE && p->left == 0) {
                p->state = p->state == W_LENGTH ? W_DONE : W_DATA_END;
                r = p->state == W_DONE ? WIRE_DONE : WIRE_MORE;
            }
            break;
        case W_TO_EOF:
            r = body_bytes(p, d + at, n - at, payload, err);
            at = n;
            break;
        case W_DONE:
            r = WIRE_DONE;
            break;
        default:
            r = take_line(p, d + at, n - at, &k, err);
            at += k;
        }
    }
    if (r == WIRE_MORE && p->state == W_DONE)
        r = WIRE_DONE;
    *used = at;
    return r;
}

int wire_eof(wire_parser *p, omics_error *err)
{
    if (p->state == W_TO_EOF) {
        p->state = W_DONE;
        return WIRE_DONE;
    }
    if (p->state == W_DONE)
        return WIRE_DONE;
    if (p->state == W_LENGTH)
        omics_error_set(err, OMICS_ETRANSPORT, "ConnectionError",
                        "the answer ended %llu bytes short (closed)", p->left);
    else
        omics_error_set(err, OMICS_ETRANSPORT, "ConnectionError", "reading %s: closed",
                        p->state == W_DATA ? "a chunk" : line_name(p->state));
    err->retryable = 1;
    return WIRE_ERROR;
}

int wire_response(wire_parser *p, omics_arena *a, omics_response *out, omics_error *err)
{
    omics_header *h = p->nfields ? omics_arena_alloc(a, p->nfields * sizeof *h) : NULL;
    if (p->nfields && !h)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    const char *s = p->fields.p;
    for (size_t i = 0; i < p->nfields; i++) {
        h[i].name = s;
        h[i].value = s + strlen(s) + 1;
        s = h[i].value + strlen(h[i].value) + 1;
    }
    memset(out, 0, sizeof *out);
    out->status = p->status;
    out->headers = h;
    out->nheaders = p->nfields;
    out->body = p->body.len ? p->body.p : "";
    out->body_len = p->body.len;
    out->body_streamed = p->streaming;
    return 0;
}

int wire_endpoint(const char *url, int *https, char *host, size_t hostlen, int *port)
{
    const char *a;
    if (strncmp(url, "https://", 8) == 0) {
        *https = 1;
        a = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        *https = 0;
        a = url + 7;
    } else {
        return -1;
    }
    size_t alen = strcspn(a, "/?#");
    const char *h = a, *colon;
    size_t hlen;
    if (*a == '[') { /* an IPv6 address */
        const char *close = memchr(a, ']', alen);
        if (!close)
            return -1;
        h = a + 1;
        hlen = (size_t)(close - h);
        colon = close + 1 < a + alen && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(a, ':', alen);
        hlen = colon ? (size_t)(colon - a) : alen;
    }
    if (!hlen || hlen >= hostlen)
        return -1;
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = *https ? 443 : 80;
    if (colon) {
        long v = 0;
        const char *c = colon + 1;
        if (c == a + alen)
            return -1;
        for (; c < a + alen; c++) {
            if (*c < '0' || *c > '9' || (v = v * 10 + (*c - '0')) > 65535)
                return -1;
        }
        *port = (int)v;
    }
    return 0;
}

int wire_request(buf *out, const omics_request *req, int absolute, omics_error *err)
{
    const char *target = strstr(req->url, "://");
    target = target ? target + 3 + strcspn(target + 3, "/") : NULL;
    if (target && *target && absolute)
        target = req->url;
    if (!target || !*target)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidEndpoint", "cannot read the URL %s",
                               req->url);
    buf_adds(out, req->method);
    buf_addc(out, ' ');
    buf_adds(out, target);
    buf_add(out, " HTTP/1.1\r\n", 11);
    for (size_t i = 0; i < req->nheaders; i++) {
        buf_adds(out, req->headers[i].name);
        buf_add(out, ": ", 2);
        buf_adds(out, req->headers[i].value);
        buf_add(out, "\r\n", 2);
    }
    buf_add(out, "\r\n", 2);
    if (req->body && req->body_len)
        buf_add(out, req->body, req->body_len);
    if (out->oom)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    return 0;
}
