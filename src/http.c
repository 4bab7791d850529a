#include "http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

struct http_conn {
    CURL *curl;
    http_opts opts;
    char *ca_file;
    char *proxy;
    buf raw_headers;   /* "name\0value\0" pairs of the last response */
    buf body;
    omics_header *headers;
    size_t nheaders, headers_cap;
    int too_large;
    int headers_too_large;
    long connects;
    /* streaming: where a successful payload goes, and where a body comes from */
    const omics_sink *sink;
    int to_sink; /* -1 undecided until the first byte, then 0 or 1 */
    int sink_failed;
    size_t sink_bytes;
    int streaming; /* the request's answer may stream a payload (for messages) */
    const omics_reader *reader;
    int reader_failed;
    /* the stall timeout: once the answer started, no byte for too long */
    int answering;
    int stalled;
    int moved; /* a byte moved since the progress callback last looked */
    curl_off_t last_dl, last_ul;
    double last_move;
    char stream_err[256];
    char errbuf[CURL_ERROR_SIZE];
    /* the request's header lines, and the list curl reads them through (its
     * nodes point into hdr_text; built here, never by curl_slist_append) */
    buf hdr_text;
    struct curl_slist *hdr_nodes;
    size_t hdr_cap;
    /* the handle holds the per-handle options and a plain GET's, so that the
     * next plain GET need not reset it */
    int plain_ready;
};

static int http_global_ready;

static int global_init(omics_error *err)
{
    if (http_global_ready)
        return 0;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return omics_error_set(err, OMICS_ETRANSPORT, "TransportError",
                               "libcurl could not be initialised");
    http_global_ready = 1;
    return 0;
}

const char *http_user_agent_part(void)
{
    static char ua[48];
    if (!ua[0]) {
        const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
        snprintf(ua, sizeof ua, "curl/%s", v && v->version ? v->version : "unknown");
    }
    return ua;
}

http_conn *http_new(const http_opts *o, omics_error *err)
{
    if (global_init(err))
        return NULL;
    http_conn *h = calloc(1, sizeof *h);
    if (!h) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    h->opts = *o;
    buf_init(&h->raw_headers);
    buf_init(&h->body);
    buf_init(&h->hdr_text);
    if (o->ca_file && !(h->ca_file = strdup(o->ca_file))) {
        http_free(h);
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    h->opts.ca_file = h->ca_file;
    if (o->proxy && !(h->proxy = strdup(o->proxy))) {
        http_free(h);
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    h->opts.proxy = h->proxy;
    h->curl = curl_easy_init();
    if (!h->curl) {
        http_free(h);
        omics_error_set(err, OMICS_ETRANSPORT, "TransportError",
                        "libcurl could not create a handle");
        return NULL;
    }
    return h;
}

void http_free(http_conn *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->ca_file);
    free(h->proxy);
    buf_free(&h->raw_headers);
    buf_free(&h->body);
    buf_free(&h->hdr_text);
    free(h->hdr_nodes);
    free(h->headers);
    free(h);
}

size_t http_sink_bytes(const http_conn *h)
{
    return h->sink_bytes;
}

long http_connects(const http_conn *h)
{
    return h->connects;
}

const http_opts *http_options(const http_conn *h)
{
    return &h->opts;
}

/* ----------------------------------------------------------- callbacks */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    http_conn *h = ud;
    size_t len = size * n;
    if (h->to_sink < 0) {
        /* error answers are always read into memory, to be parsed */
        long status = 0;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
        h->to_sink = h->sink && status >= 200 && status < 300;
    }
    if (h->to_sink) {
        if (h->sink->write(h->sink->ud, p, len, h->stream_err, sizeof h->stream_err) != 0) {
            h->sink_failed = 1;
            return 0; /* aborts the transfer */
        }
        h->sink_bytes += len;
        return len;
    }
    /* every answer read into memory is bounded: an error answer to a
     * streaming operation too, and a payload read without a sink */
    if (h->opts.max_response_bytes && h->body.len + len > h->opts.max_response_bytes) {
        h->too_large = 1;
        return 0; /* aborts the transfer */
    }
    buf_add(&h->body, p, len);
    return h->body.oom ? 0 : len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    http_conn *h = ud;
    size_t len = size * n;
    /* the answer started; a header line is a byte that moved (the stall
     * clock is not only for the body: on_progress, called next, stamps it) */
    h->answering = 1;
    h->moved = 1;
    if (h->opts.max_header_bytes && h->raw_headers.len + len > h->opts.max_header_bytes) {
        h->headers_too_large = 1;
        return 0; /* aborts the transfer */
    }
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* a new response (after 100 Continue, say): forget earlier headers */
        buf_reset(&h->raw_headers);
        return len;
    }
    const char *colon = memchr(p, ':', len);
    if (!colon)
        return len; /* the blank line, or an obsolete folded line */
    size_t nlen = (size_t)(colon - p);
    char *o = buf_reserve(&h->raw_headers, nlen + 1);
    if (!o)
        return 0;
    for (size_t i = 0; i < nlen; i++) {
        char c = p[i];
        o[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    o[nlen] = '\0';
    h->raw_headers.len += nlen + 1;
    const char *v = colon + 1, *end = p + len;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
        end--;
    buf_add(&h->raw_headers, v, (size_t)(end - v));
    buf_addc(&h->raw_headers, '\0');
    return h->raw_headers.oom ? 0 : len;
}

static size_t on_read(char *p, size_t size, size_t n, void *ud)
{
    http_conn *h = ud;
    long long got = h->reader->read(h->reader->ud, p, size * n, h->stream_err,
                                    sizeof h->stream_err);
    if (got < 0) {
        h->reader_failed = 1;
        return CURL_READFUNC_ABORT;
    }
    return (size_t)got;
}

/* The stall clock: seconds matter, not nanoseconds, and libcurl asks
 * several times a call, so the coarse clock (no TSC read) does. */
static double stall_clock(void)
{
#ifdef CLOCK_MONOTONIC_COARSE
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0)
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
#endif
    return omics_monotonic();
}

/* Called by libcurl about once a second and whenever bytes move: stop a
 * transfer whose answer started but then sent nothing for stall_timeout.
 * (Waiting for the answer to start is the total timeout's business.) */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    http_conn *h = ud;
    double now = stall_clock();
    if (h->moved || dlnow != h->last_dl || ulnow != h->last_ul) {
        h->moved = 0;
        h->last_dl = dlnow;
        h->last_ul = ulnow;
        h->last_move = now;
        return 0;
    }
    if (h->answering && h->opts.stall_timeout > 0 && now - h->last_move > h->opts.stall_timeout) {
        h->stalled = 1;
        return 1; /* aborts the transfer */
    }
    return 0;
}

/* ---------------------------------------------------------------- send */

static int index_headers(http_conn *h)
{
    size_t count = 0;
    const char *p = h->raw_headers.p, *end = p + h->raw_headers.len;
    for (const char *q = p; q && q < end; q += strlen(q) + 1)
        count++;
    count /= 2;
    if (count > h->headers_cap) {
        omics_header *nh = realloc(h->headers, count * sizeof *nh);
        if (!nh)
            return -1;
        h->headers = nh;
        h->headers_cap = count;
    }
    size_t i = 0;
    while (p && p < end && i < count) {
        h->headers[i].name = p;
        p += strlen(p) + 1;
        h->headers[i].value = p;
        p += strlen(p) + 1;
        i++;
    }
    h->nheaders = i;
    return 0;
}

static int transport_error(http_conn *h, CURLcode rc, omics_error *err)
{
    const char *detail = h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc);
    const char *code = "ConnectionError";
    omics_err_kind kind = OMICS_ETRANSPORT;
    int retryable = 1;
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        code = "TimeoutError";
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        code = "EndpointResolutionError";
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
        code = "TLSError";
        retryable = 0;
        break;
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_READ_ERROR:
        if (h->stalled) {
            omics_error_set(err, OMICS_ETRANSPORT, "TimeoutError",
                            "the answer stalled: no byte for %.0f s (stall_timeout)",
                            h->opts.stall_timeout);
            err->retryable = 1;
            return -1;
        }
        if (h->reader_failed) {
            omics_error_set(err, OMICS_ETRANSPORT, "StreamReadError",
                            "reading the request's payload failed: %s", h->stream_err);
            err->retryable = 0;
            return -1;
        }
        break;
    case CURLE_WRITE_ERROR:
        if (h->sink_failed)
            return omics_sink_failed(err, h->stream_err);
        if (h->headers_too_large || h->too_large) {
            omics_limits l = {0, 0, 0, h->opts.max_response_bytes, h->opts.max_header_bytes};
            return omics_too_large(err, &l, h->headers_too_large, h->streaming);
        }
        break;
    case CURLE_OUT_OF_MEMORY:
        kind = OMICS_EMEMORY;
        code = "MemoryError";
        retryable = 0;
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        kind = OMICS_ECONFIG;
        code = "InvalidEndpoint";
        retryable = 0;
        break;
    default:
        break;
    }
    omics_error_set(err, kind, code, "%s (curl error %d)", detail, (int)rc);
    err->retryable = retryable;
    return -1;
}

/* The request's headers as curl takes them, in h->hdr_text and h->hdr_nodes:
 * "Name: value" lines (an empty value as "Name;", curl's way of sending
 * one), then the lines that stop curl adding headers of its own. */
static struct curl_slist *build_headers(http_conn *h, const omics_request *req, omics_error *err)
{
    /* no Expect: 100-continue round trip, no form Content-Type invented by curl */
    static const char *const suppress[] = {"Expect:", "Accept:", "Content-Type:"};
    buf *t = &h->hdr_text;
    buf_reset(t);
    int has_ctype = 0;
    for (size_t i = 0; i < req->nheaders; i++) {
        const omics_header *hd = &req->headers[i];
        if (strcasecmp(hd->name, "content-type") == 0)
            has_ctype = 1;
        buf_adds(t, hd->name);
        if (*hd->value) {
            buf_add(t, ": ", 2);
            buf_adds(t, hd->value);
        } else {
            buf_addc(t, ';');
        }
        buf_addc(t, '\0');
    }
    size_t extra = has_ctype ? 2 : 3;
    for (size_t i = 0; i < extra; i++)
        buf_add(t, suppress[i], strlen(suppress[i]) + 1);
    size_t n = req->nheaders + extra;
    if (n > h->hdr_cap) {
        struct curl_slist *nodes = realloc(h->hdr_nodes, n * sizeof *nodes);
        if (!nodes)
            t->oom = 1;
        else {
            h->hdr_nodes = nodes;
            h->hdr_cap = n;
        }
    }
    if (t->oom) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    /* the text is complete (it will not move again): link the lines */
    char *line = t->p;
    for (size_t i = 0; i < n; i++) {
        h->hdr_nodes[i].data = line;
        h->hdr_nodes[i].next = i + 1 < n ? &h->hdr_nodes[i + 1] : NULL;
        line += strlen(line) + 1;
    }
    return h->hdr_nodes;
}

static int on_socket_open(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    (void)fd;
    (void)purpose;
    ((http_conn *)ud)->connects++;
    return CURL_SOCKOPT_OK;
}

/* The options of every request on this handle. */
static int handle_options(http_conn *h)
{
    CURL *c = h->curl;
    int ok = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_WRITEDATA, h) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_HEADERDATA, h) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_SOCKOPTFUNCTION, on_socket_open) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_SOCKOPTDATA, h) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L) == CURLE_OK;
    if (ok && h->opts.ca_file)
        ok = curl_easy_setopt(c, CURLOPT_CAINFO, h->opts.ca_file) == CURLE_OK;
    /* the core decided (netconf.c): libcurl reads neither HTTP(S)_PROXY nor NO_PROXY */
    if (ok)
        ok = curl_easy_setopt(c, CURLOPT_PROXY, h->opts.proxy ? h->opts.proxy : "") == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_NOPROXY, "") == CURLE_OK;
    if (ok && h->opts.timeout > 0)
        ok = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(h->opts.timeout * 1000)) == CURLE_OK;
    if (ok && h->opts.connect_timeout > 0)
        ok = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                              (long)(h->opts.connect_timeout * 1000)) == CURLE_OK;
    if (ok && h->opts.stall_timeout > 0) /* a server that stops sending */
        ok = curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_XFERINFODATA, h) == CURLE_OK;
    return ok;
}

/* The method and body of req (anything but a plain GET). */
static int method_options(http_conn *h, const omics_request *req)
{
    CURL *c = h->curl;
    const char *m = req->method;
    int ok;
    if (req->body_reader) {
        /* a streamed body: curl pulls it through on_read, with its length */
        curl_off_t len = (curl_off_t)req->body_reader->length;
        ok = curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_READDATA, h) == CURLE_OK;
        if (ok && strcmp(m, "PUT") == 0)
            ok = curl_easy_setopt(c, CURLOPT_UPLOAD, 1L) == CURLE_OK &&
                 curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, len) == CURLE_OK;
        else if (ok)
            ok = curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
                 curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, len) == CURLE_OK &&
                 curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m) == CURLE_OK;
    } else if (req->body || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
               strcmp(m, "PATCH") == 0) {
        ok = curl_easy_setopt(c, CURLOPT_POST, 1L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "") == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                              (curl_off_t)(req->body ? req->body_len : 0)) == CURLE_OK;
        if (ok && strcmp(m, "POST") != 0)
            ok = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m) == CURLE_OK;
    } else if (strcmp(m, "HEAD") == 0) {
        ok = curl_easy_setopt(c, CURLOPT_NOBODY, 1L) == CURLE_OK;
    } else {
        ok = curl_easy_setopt(c, CURLOPT_HTTPGET, 1L) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m) == CURLE_OK;
    }
    return ok;
}

#define HTTP_PAYLOAD_BUFFER (512L * 1024)

int http_start(http_conn *h, const omics_request *req, const omics_sink *sink, omics_error *err)
{
    CURL *c = h->curl;
    buf_reset(&h->raw_headers);
    if (h->body.cap > 8 * 1024 * 1024)
        buf_free(&h->body); /* do not keep the last large answer's memory */
    buf_reset(&h->body);
    h->too_large = 0;
    h->headers_too_large = 0;
    h->errbuf[0] = '\0';
    h->stream_err[0] = '\0';
    h->sink = req->streaming_output ? sink : NULL;
    h->to_sink = -1;
    h->sink_failed = 0;
    h->sink_bytes = 0;
    h->streaming = req->streaming_output;
    h->reader = req->body_reader;
    h->reader_failed = 0;
    h->answering = 0;
    h->stalled = 0;
    h->last_dl = h->last_ul = 0;
    h->moved = 1; /* (the start: the first progress call stamps it) */
    struct curl_slist *hdrs = build_headers(h, req, err);
    if (!hdrs)
        return -1;

    /* A plain GET after a plain GET keeps the handle as it is; anything else
     * starts from a reset handle (which keeps live connections and caches). */
    int streams = req->streaming_output && sink;
    int plain = !req->body_reader && !req->body && !streams && strcmp(req->method, "GET") == 0;
    int ok = 1;
    if (!plain || !h->plain_ready) {
        h->plain_ready = 0;
        curl_easy_reset(c);
        ok = handle_options(h) && (plain || method_options(h, req));
        /* a payload moves in large reads and writes (a part is up to 100 MiB):
         * 32 times fewer system calls than libcurl's 16 KiB (a function sink
         * on LuaJIT may hold a few pieces until they are collected) */
        if (ok && streams)
            ok = curl_easy_setopt(c, CURLOPT_BUFFERSIZE, HTTP_PAYLOAD_BUFFER) == CURLE_OK;
        if (ok && req->body_reader)
            ok = curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, HTTP_PAYLOAD_BUFFER) == CURLE_OK;
    }
    ok = ok && curl_easy_setopt(c, CURLOPT_URL, req->url) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK;
    if (!ok) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        h->plain_ready = 0;
        return omics_error_set(err, OMICS_ETRANSPORT, "TransportError",
                               "libcurl refused an option");
    }
    h->plain_ready = plain;
    return 0;
}

void *http_easy(http_conn *h)
{
    return h->curl;
}

int http_complete(http_conn *h, int result, omics_response *out, omics_error *err)
{
    CURL *c = h->curl;
    CURLcode rc = (CURLcode)result;
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL); /* its nodes are reused */
    if (rc != CURLE_OK)
        return transport_error(h, rc, err);
    if (h->raw_headers.oom || h->body.oom || index_headers(h))
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError",
                               "out of memory reading the response");
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    out->status = status;
    out->headers = h->headers;
    out->nheaders = h->nheaders;
    out->body = h->body.p ? h->body.p : "";
    out->body_len = h->body.len;
    out->body_streamed = h->to_sink == 1;
    out->retry_attempts = 0;
    return 0;
}

int http_send(http_conn *h, const omics_request *req, const omics_sink *sink,
              omics_response *out, omics_error *err)
{
    if (http_start(h, req, sink, err))
        return -1;
    return http_complete(h, (int)curl_easy_perform(h->curl), out, err);
}

/* ------------------------------------------------------------- fetch */

#define HTTP_FETCH_MAX (1024 * 1024)

typedef struct fetch_sink {
    buf *body;
    int too_large;
} fetch_sink;

static size_t on_fetch_body(char *p, size_t size, size_t n, void *ud)
{
    fetch_sink *fs = ud;
    size_t len = size * n;
    if (fs->body->len + len > HTTP_FETCH_MAX) {
        fs->too_large = 1;
        return 0;
    }
    buf_add(fs->body, p, len);
    return fs->body->oom ? 0 : len;
}

int http_fetch(const http_fetch_req *r, long *status, buf *body, omics_error *err)
{
    if (global_init(err))
        return -1;
    CURL *c = curl_easy_init();
    if (!c)
        return omics_error_set(err, OMICS_ETRANSPORT, "TransportError",
                               "libcurl could not create a handle");
    struct curl_slist *hdrs = NULL;
    int ok = 1;
    for (size_t i = 0; ok && i < r->nheaders; i++) {
        struct curl_slist *nl = curl_slist_append(hdrs, r->headers[i]);
        if (nl)
            hdrs = nl;
        ok = nl != NULL;
    }
    if (ok) {
        struct curl_slist *nl = curl_slist_append(hdrs, "Expect:");
        if (nl)
            hdrs = nl;
        ok = nl != NULL;
    }
    char errbuf[CURL_ERROR_SIZE] = "";
    fetch_sink fs = {body, 0};
    buf_reset(body);
    ok = ok && curl_easy_setopt(c, CURLOPT_URL, r->url) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_fetch_body) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_WRITEDATA, &fs) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(r->timeout * 1000)) == CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(r->connect_timeout * 1000)) ==
             CURLE_OK &&
         curl_easy_setopt(c, CURLOPT_NOPROXY, "169.254.169.254,169.254.170.2,169.254.170.23,"
                                              "fd00:ec2::254,fd00:ec2::23,127.0.0.1,::1,"
                                              "localhost") == CURLE_OK;
    if (ok && r->ca_file)
        ok = curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file) == CURLE_OK;
    if (ok && strcmp(r->method, "GET") != 0) {
        ok = curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method) == CURLE_OK;
        if (ok && (r->body || strcmp(r->method, "POST") == 0))
            ok = curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->body ? r->body : "") == CURLE_OK &&
                 curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                                  (curl_off_t)(r->body ? r->body_len : 0)) == CURLE_OK;
    }
    int rc = 0;
    if (!ok) {
        rc = omics_error_set(err, OMICS_ETRANSPORT, "TransportError", "libcurl refused an option");
    } else {
        CURLcode cr = curl_easy_perform(c);
        if (cr != CURLE_OK) {
            if (fs.too_large)
                rc = omics_error_set(err, OMICS_ETRANSPORT, "ResponseTooLarge",
                                     "the answer from %s is larger than 1 MB", r->url);
            else
                rc = omics_error_set(err, OMICS_ETRANSPORT,
                                     cr == CURLE_OPERATION_TIMEDOUT ? "TimeoutError"
                                                                    : "ConnectionError",
                                     "%s: %s", r->url, errbuf[0] ? errbuf : curl_easy_strerror(cr));
            err->retryable = 1;
        } else if (body->oom) {
            rc = omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        } else {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
        }
    }
    curl_easy_cleanup(c);
    curl_slist_free_all(hdrs);
    return rc;
}
