/* http: the libcurl transport.  One easy handle per client, reused so that
 * connections stay alive between calls.  TLS peer and host verification are
 * always on; redirects are never followed. */
#ifndef OMICS_HTTP_H
#define OMICS_HTTP_H

#include "buf.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct http_opts {
    double timeout;         /* whole transfer, seconds (0: none) */
    double connect_timeout; /* seconds (0: curl's default) */
    double stall_timeout;   /* seconds without a byte received (0: none) */
    const char *ca_file;    /* NULL: the system's trust store */
    size_t max_response_bytes; /* for answers read into memory; 0: no limit */
    size_t max_header_bytes;   /* an answer's header section */
    const char *proxy;         /* http://host:port, or NULL: none (not libcurl's own
                                * reading of the environment: the core decides) */
} http_opts;

typedef struct http_conn http_conn;

http_conn *http_new(const http_opts *o, omics_error *err);
void http_free(http_conn *h);
/* The response (status, lower-case headers, body) lives until the next send.
 * With a sink and req->streaming_output, the body of a 2xx answer goes to the
 * sink instead of memory (out->body_streamed says so). */
int http_send(http_conn *h, const omics_request *req, const omics_sink *sink,
              omics_response *out, omics_error *err);
/* http_send in two halves, for a driver that runs many transfers at once
 * (multi.c): the handle set up for req (http_easy gives the CURL * to add
 * to a multi handle), then, once curl says it ended with result (a
 * CURLcode), the answer read as http_send gives it. */
int http_start(http_conn *h, const omics_request *req, const omics_sink *sink, omics_error *err);
void *http_easy(http_conn *h);
int http_complete(http_conn *h, int result, omics_response *out, omics_error *err);
/* The options the handle was made with (ca_file owned by h). */
const http_opts *http_options(const http_conn *h);
/* One request on a connection of its own, for the credential providers
 * (instance metadata, container credentials, STS, SSO): short timeouts, the
 * body read into memory (at most 1 MB). */
typedef struct http_fetch_req {
    const char *method;
    const char *url;
    const char *const *headers; /* "Name: value" lines */
    size_t nheaders;
    const char *body;
    size_t body_len;
    double timeout;         /* seconds for the whole exchange */
    double connect_timeout; /* seconds */
    const char *ca_file;
} http_fetch_req;

/* 0 with *status and body set when an answer came (of any status); -1 with a
 * transport error otherwise. */
int http_fetch(const http_fetch_req *r, long *status, buf *body, omics_error *err);

/* "curl/7.88.1" */
const char *http_user_agent_part(void);
/* Bytes the last send handed to its sink. */
size_t http_sink_bytes(const http_conn *h);
/* How many TCP connections the handle has opened so far. */
long http_connects(const http_conn *h);

#pragma GCC visibility pop

#endif
