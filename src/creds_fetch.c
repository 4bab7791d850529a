/* creds_fetch: the one way the credential sources reach the network and
 * commands, made at once or recorded for a driver (see creds.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds.h"
#include "proc.h"

/* The replay of the provider being stepped on this thread, or NULL. */
static _Thread_local creds_replay *replay;
/* Where the calling thread may not block (omics_refuse_blocking), or NULL. */
static _Thread_local const char *refused_in;

void omics_refuse_blocking(const char *where)
{
    refused_in = where;
}

creds_replay *creds_replay_use(creds_replay *r)
{
    creds_replay *was = replay;
    replay = r;
    return was;
}

int creds_fetch_pending(void)
{
    return replay && replay->pending;
}

double creds_fetch_started(void)
{
    return replay && replay->started > 0 ? replay->started : omics_now();
}

static void answer_clear(creds_answer *a)
{
    creds_wipe_free(a->what); /* (a URL with a token, a command) */
    if (a->out.p)
        memset(a->out.p, 0, a->out.len); /* credentials, or what leads to them */
    buf_free(&a->out);
    buf_free(&a->errout);
    omics_error_clear(&a->err);
}

static void pending_clear(creds_replay *r)
{
    if (r->store.p)
        memset(r->store.p, 0, r->store.len); /* a token, a signed request */
    buf_free(&r->store);
    creds_wipe_free(r->what);
    r->what = NULL;
    memset(&r->req, 0, sizeof r->req);
    r->pending = 0;
}

void creds_replay_reset(creds_replay *r)
{
    for (size_t i = 0; i < r->n; i++)
        answer_clear(&r->answers[i]);
    free(r->answers);
    pending_clear(r);
    creds_wire_free(r->wire);
    memset(r, 0, sizeof *r);
}

static int oom(omics_error *err)
{
    return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
}

static int pending_error(omics_error *err)
{
    return omics_error_set(err, OMICS_ECREDENTIALS, "CredentialsPending",
                           "a credentials fetch waits for its driver");
}

/* The next fetch of the run, "<verb> <subject>": answered from the record,
 * or made the pending one.  1: answered with success (*a); 0: now pending,
 * -1: the record's failure or an error (both with err). */
static int lookup(const char *verb, const char *subject, creds_answer **a, omics_error *err)
{
    creds_replay *r = replay;
    if (r->pending)
        return pending_error(err);
    size_t need = strlen(verb) + strlen(subject) + 2;
    char *what = malloc(need);
    if (!what)
        return oom(err);
    snprintf(what, need, "%s %s", verb, subject);
    if (r->next < r->n) {
        creds_answer *rec = &r->answers[r->next++];
        int same = strcmp(rec->what, what) == 0;
        memset(what, 0, need);
        free(what);
        if (!same) {
            r->changed = 1;
            return omics_error_set(err, OMICS_ECREDENTIALS, "CredentialsReplayError",
                                   "the credential sources asked for another fetch than "
                                   "before (did the environment or the files change?)");
        }
        if (rec->err.code[0]) {
            omics_error_copy(err, &rec->err);
            return -1;
        }
        *a = rec;
        return 1;
    }
    r->what = what;
    r->pending = 1;
    r->next++;
    pending_error(err);
    return 0;
}

/* A URL or header line from the configuration or an earlier answer that
 * would change the request on the wire (CR, LF, a space in the request
 * line, any control character): refused, the value never echoed. */
static int clean_request(const http_fetch_req *q, omics_error *err)
{
    for (const char *c = q->url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 127)
            return omics_error_set(err, OMICS_ECREDENTIALS, "InvalidCredentialsRequest",
                                   "the credentials URL holds a space or a control character");
    for (size_t i = 0; i < q->nheaders; i++)
        for (const char *c = q->headers[i]; *c; c++)
            if (((unsigned char)*c < ' ' && *c != '\t') || *c == 127) {
                size_t name = strcspn(q->headers[i], ":");
                return omics_error_set(err, OMICS_ECREDENTIALS, "InvalidCredentialsRequest",
                                       "the credentials request's header %.*s holds a control "
                                       "character",
                                       (int)(name < 64 ? name : 64), q->headers[i]);
            }
    return 0;
}

/* 0 when the fetch is to be made now; else its result (-1, or 1 answered). */
int creds_fetch_http(const http_fetch_req *q, long *status, buf *body, omics_error *err)
{
    if (clean_request(q, err))
        return -1;
    if (!replay)
        return http_fetch(q, status, body, err);
    creds_answer *a = NULL;
    int rc = lookup(q->method, q->url, &a, err);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        *status = a->status;
        buf_reset(body);
        buf_add(body, a->out.p ? a->out.p : "", a->out.len);
        return body->oom ? oom(err) : 0;
    }
    /* pending: its parts copied, every string in store (offsets first, as
     * store may move while it grows) */
    creds_replay *r = replay;
    size_t nh = q->nheaders < 8 ? q->nheaders : 8;
    size_t off[12];
    size_t k = 0;
    off[k++] = r->store.len;
    buf_add(&r->store, q->method, strlen(q->method) + 1);
    off[k++] = r->store.len;
    buf_add(&r->store, q->url, strlen(q->url) + 1);
    for (size_t i = 0; i < nh; i++) {
        off[k++] = r->store.len;
        buf_add(&r->store, q->headers[i], strlen(q->headers[i]) + 1);
    }
    off[k++] = r->store.len;
    buf_add(&r->store, q->body ? q->body : "", q->body ? q->body_len : 0);
    buf_addc(&r->store, '\0');
    if (r->store.oom) {
        pending_clear(r);
        return oom(err);
    }
    k = 0;
    r->req.method = r->store.p + off[k++];
    r->req.url = r->store.p + off[k++];
    for (size_t i = 0; i < nh; i++)
        r->lines[i] = r->store.p + off[k++];
    r->req.headers = r->lines;
    r->req.nheaders = nh;
    r->req.body = q->body ? r->store.p + off[k] : NULL;
    r->req.body_len = q->body ? q->body_len : 0;
    r->req.timeout = q->timeout;
    r->req.connect_timeout = q->connect_timeout;
    return -1;
}

int creds_fetch_run(const char *command, double timeout, size_t max_output, buf *out,
                    buf *errout, int *status, omics_error *err)
{
    if (!replay) {
        if (refused_in)
            goto refused;
        return proc_run(command, timeout, max_output, out, errout, status, err);
    }
    creds_answer *a = NULL;
    int rc = lookup("RUN", command, &a, err);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        *status = (int)a->status;
        buf_reset(out);
        buf_reset(errout);
        buf_add(out, a->out.p ? a->out.p : "", a->out.len);
        buf_add(errout, a->errout.p ? a->errout.p : "", a->errout.len);
        return out->oom || errout->oom ? oom(err) : 0;
    }
    creds_replay *r = replay;
    buf_adds(&r->store, command);
    buf_addc(&r->store, '\0');
    if (r->store.oom) {
        pending_clear(r);
        return oom(err);
    }
    r->req.command = r->store.p;
    r->req.timeout = timeout;
    r->req.max_output = max_output;
    return -1;
refused:
    return omics_error_set(err, OMICS_ECREDENTIALS, "CredentialProcessRefused",
                           "credential_process would block %s: make the client where "
                           "blocking is harmless (init_worker_by_lua; it keeps the "
                           "credentials), or use another credential source",
                           refused_in);
}

int creds_replay_record(creds_replay *r, long status, const char *out, size_t out_len,
                        const char *errout, size_t errout_len, const omics_error *failed,
                        omics_error *err)
{
    if (!r->pending)
        return omics_error_set(err, OMICS_EUSAGE, "NothingPending",
                               "no credentials fetch is waiting for an answer");
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        creds_answer *grown = realloc(r->answers, cap * sizeof *grown);
        if (!grown)
            return oom(err);
        r->answers = grown;
        r->cap = cap;
    }
    creds_answer *a = &r->answers[r->n];
    memset(a, 0, sizeof *a);
    buf_init(&a->out);
    buf_init(&a->errout);
    omics_error_init(&a->err);
    a->status = status;
    if (failed && failed->code[0]) {
        if (omics_error_copy(&a->err, failed)) {
            answer_clear(a);
            return oom(err);
        }
    } else {
        buf_add(&a->out, out ? out : "", out ? out_len : 0);
        buf_add(&a->errout, errout ? errout : "", errout ? errout_len : 0);
        if (a->out.oom || a->errout.oom) {
            answer_clear(a);
            return oom(err);
        }
    }
    a->what = r->what; /* (moves) */
    r->what = NULL;
    r->n++;
    pending_clear(r);
    creds_wire_free(r->wire);
    r->wire = NULL;
    return 0;
}

int creds_fetch_blocking(creds_replay *r, omics_error *err)
{
    const omics_fetch *f = &r->req;
    omics_error why;
    omics_error_init(&why);
    buf out, errout;
    buf_init(&out);
    buf_init(&errout);
    long status = 0;
    int rc;
    if (f->command) {
        int st = 0;
        creds_replay *was = creds_replay_use(NULL);
        rc = creds_fetch_run(f->command, f->timeout, f->max_output, &out, &errout, &st, &why);
        creds_replay_use(was);
        status = st;
    } else if (refused_in) {
        rc = omics_error_set(&why, OMICS_ECREDENTIALS, "CredentialFetchRefused",
                             "fetching credentials (%s) would block %s", f->url, refused_in);
    } else {
        http_fetch_req q = {f->method, f->url,  f->headers, f->nheaders, f->body,
                            f->body_len, f->timeout, f->connect_timeout, NULL};
        rc = http_fetch(&q, &status, &out, &why);
    }
    rc = creds_replay_record(r, status, out.p, out.len, errout.p, errout.len, rc ? &why : NULL,
                             err);
    if (out.p)
        memset(out.p, 0, out.len);
    buf_free(&out);
    buf_free(&errout);
    omics_error_clear(&why);
    return rc;
}
