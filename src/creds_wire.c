/* creds_wire: a provider's pending fetch as raw bytes, for a driver that
 * moves bytes on a socket of its own (omics_provider_wire, _receive,
 * _receive_end in omics.h): the request written out, the answer read by
 * the wire parser within the fetch's time, the result handed back to the
 * provider as omics_provider_answered or _failed would. */
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "netconf.h"
#include "wire.h"

#define CREDS_MAX_ANSWER (1024 * 1024) /* as http_fetch reads at most */

struct creds_wire {
    wire_parser p;
    omics_limits l;
    buf out;
    double deadline;
};

void creds_wire_free(creds_wire *w)
{
    if (!w)
        return;
    wire_free(&w->p);
    if (w->out.p)
        memset(w->out.p, 0, w->out.len); /* a token, a signed request */
    buf_free(&w->out);
    free(w);
}

/* The instance metadata and container addresses: never through a proxy. */
static int metadata_host(const char *h)
{
    static const char *const hosts[] = {"169.254.169.254", "169.254.170.2", "169.254.170.23",
                                        "fd00:ec2::254",   "fd00:ec2::23",  "127.0.0.1",
                                        "::1",             "localhost"};
    for (size_t i = 0; i < sizeof hosts / sizeof *hosts; i++)
        if (strcmp(h, hosts[i]) == 0)
            return 1;
    return 0;
}

/* "Name: value" lines as headers, with Host and Content-Length. */
static int request_of(const omics_fetch *f, const char *host, int port, int https,
                      omics_header *h, size_t cap, buf *scratch, omics_request *req)
{
    size_t n = 0;
    buf_reset(scratch);
    size_t at[8 + 2][2];
    for (size_t i = 0; i < f->nheaders && n < cap - 2; i++) {
        const char *line = f->headers[i];
        const char *colon = strchr(line, ':');
        if (!colon)
            continue;
        at[n][0] = scratch->len;
        buf_add(scratch, line, (size_t)(colon - line));
        buf_addc(scratch, '\0');
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        at[n][1] = scratch->len;
        buf_add(scratch, v, strlen(v) + 1);
        n++;
    }
    at[n][0] = scratch->len;
    buf_add(scratch, "Host", 5);
    at[n][1] = scratch->len;
    int default_port = port == (https ? 443 : 80);
    if (strchr(host, ':'))
        buf_addf(scratch, default_port ? "[%s]" : "[%s]:%d", host, port);
    else
        buf_addf(scratch, default_port ? "%s" : "%s:%d", host, port);
    buf_addc(scratch, '\0');
    n++;
    if (f->body || (strcmp(f->method, "GET") != 0 && strcmp(f->method, "HEAD") != 0)) {
        at[n][0] = scratch->len;
        buf_add(scratch, "Content-Length", 15);
        at[n][1] = scratch->len;
        buf_addf(scratch, "%zu", f->body ? f->body_len : (size_t)0);
        buf_addc(scratch, '\0');
        n++;
    }
    if (scratch->oom)
        return -1;
    for (size_t i = 0; i < n; i++) {
        h[i].name = scratch->p + at[i][0];
        h[i].value = scratch->p + at[i][1];
    }
    memset(req, 0, sizeof *req);
    req->method = f->method;
    req->url = f->url;
    req->headers = h;
    req->nheaders = n;
    req->body = f->body;
    req->body_len = f->body_len;
    return 0;
}

int omics_provider_wire(omics_provider *p, omics_wire *out, omics_error *err)
{
    memset(out, 0, sizeof *out);
    creds_replay *r = creds_provider_replay(p);
    if (!r->pending || r->req.command)
        return omics_error_set(err, OMICS_EUSAGE, "NothingPending",
                               "no credentials request is waiting to be sent");
    const omics_fetch *f = &r->req;
    if (wire_endpoint(f->url, &out->https, out->host, sizeof out->host, &out->port))
        return omics_error_set(err, OMICS_ECREDENTIALS, "InvalidEndpoint",
                               "cannot read the credentials URL %s", f->url);
    char *proxy = NULL;
    if (!metadata_host(out->host)) {
        omics_client_opts none;
        memset(&none, 0, sizeof none);
        if (netconf_proxy(&none, out->https ? "https" : "http", out->host, &proxy, err))
            return -1;
    }
    if (proxy) {
        int ptls;
        int bad = wire_endpoint(proxy, &ptls, out->proxy_host, sizeof out->proxy_host,
                                &out->proxy_port);
        free(proxy);
        if (bad)
            return omics_error_set(err, OMICS_ECONFIG, "InvalidOption", "cannot read the proxy");
    }
    creds_wire_free(r->wire);
    creds_wire *w = r->wire = calloc(1, sizeof *w);
    if (!w)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    w->l.timeout = f->timeout;
    w->l.connect_timeout = f->connect_timeout;
    w->l.max_response_bytes = CREDS_MAX_ANSWER;
    w->l.max_header_bytes = 65536;
    wire_init(&w->p, &w->l);
    buf_init(&w->out);
    buf scratch;
    buf_init(&scratch);
    omics_header h[10];
    omics_request req;
    int rc = request_of(f, out->host, out->port, out->https, h, 10, &scratch, &req);
    if (rc)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    else
        rc = wire_request(&w->out, &req, out->proxy_host[0] && !out->https, err);
    if (scratch.p)
        memset(scratch.p, 0, scratch.len);
    buf_free(&scratch);
    if (rc)
        return -1;
    wire_start(&w->p, f->method, 0);
    w->deadline = omics_now() + f->timeout;
    out->bytes = w->out.p;
    out->len = w->out.len;
    out->wait = f->timeout;
    return 0;
}

/* The answer, or its failure, handed back: 0. */
static int hand_back(omics_provider *p, const omics_error *failed, int keep, omics_received *r)
{
    creds_replay *rp = creds_provider_replay(p);
    creds_wire *w = rp->wire;
    omics_error e;
    omics_error_init(&e);
    r->keep = 0;
    if (failed) {
        omics_provider_failed(p, failed, &e);
    } else {
        r->keep = keep && w->p.keep;
        omics_provider_answered(p, w->p.status, w->p.body.p, w->p.body.len, &e);
    }
    omics_error_clear(&e);
    return 0;
}

int omics_provider_receive(omics_provider *p, const char *data, size_t n, omics_received *r)
{
    memset(r, 0, sizeof *r);
    creds_replay *rp = creds_provider_replay(p);
    creds_wire *w = rp->wire;
    omics_error e;
    omics_error_init(&e);
    if (!rp->pending || !w) {
        return 0; /* (nothing waits: a second coroutine's late bytes) */
    }
    size_t used = 0;
    int st = wire_feed(&w->p, data, n, &used, NULL, &e);
    int rc;
    if (st == WIRE_ERROR) {
        rc = hand_back(p, &e, 0, r);
    } else if (st == WIRE_DONE) {
        rc = hand_back(p, NULL, used == n, r);
    } else {
        r->wait = w->deadline - omics_now();
        if (r->wait > 0)
            return 1;
        omics_error_set(&e, OMICS_ETRANSPORT, "TimeoutError",
                        "the credentials endpoint took longer than %g s", w->l.timeout);
        rc = hand_back(p, &e, 0, r);
    }
    omics_error_clear(&e);
    return rc;
}

int omics_provider_receive_end(omics_provider *p, int why, const char *message,
                               omics_received *r)
{
    memset(r, 0, sizeof *r);
    creds_replay *rp = creds_provider_replay(p);
    creds_wire *w = rp->wire;
    if (!rp->pending || !w)
        return 0;
    omics_error e;
    omics_error_init(&e);
    int rc;
    if (why == OMICS_WIRE_CLOSED && wire_eof(&w->p, &e) == WIRE_DONE) {
        rc = hand_back(p, NULL, 0, r);
    } else {
        if (why == OMICS_WIRE_TIMEOUT)
            omics_error_set(&e, OMICS_ETRANSPORT, "TimeoutError",
                            "the credentials endpoint took longer than %g s", w->l.timeout);
        else if (!e.code[0])
            omics_error_set(&e, OMICS_ETRANSPORT, "ConnectionError",
                            "reading the credentials endpoint's answer: %s",
                            message ? message : "an error");
        e.retryable = 1;
        rc = hand_back(p, &e, 0, r);
    }
    omics_error_clear(&e);
    return rc;
}
