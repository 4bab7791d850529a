/* http: the libcurl transport.  One easy handle per client, reused so that
 * connections stay alive between calls.  TLS peer and host verification are
 * always on; redirects are never followed. */
#ifndef OMICS_HTTP_H
#define OMICS_HTTP_H

#include "omics.h"

typedef struct http_opts {
    double timeout;         /* whole transfer, seconds (0: none) */
    double connect_timeout; /* seconds (0: curl's default) */
    const char *ca_file;    /* NULL: the system's trust store */
    size_t max_response_bytes; /* 0: no limit */
} http_opts;

typedef struct http_conn http_conn;

http_conn *http_new(const http_opts *o, omics_error *err);
void http_free(http_conn *h);
/* The response (status, lower-case headers, body) lives until the next send.
 * With a sink and req->streaming_output, the body of a 2xx answer goes to the
 * sink instead of memory (out->body_streamed says so). */
int http_send(http_conn *h, const omics_request *req, const omics_sink *sink,
              omics_response *out, omics_error *err);
/* "curl/7.88.1" */
const char *http_user_agent_part(void);
/* How many TCP connections the handle has opened so far. */
long http_connects(const http_conn *h);

#endif
