/* upload: a read set's files sent part by part (the API and its promises
 * are in omics.h, "whole files: uploads").  This file checks the request,
 * opens the files, plans the parts, reads each part straight from its file
 * at its offset (again from its start for a retry), collects the parts'
 * checksums and writes the parameters of the calls around them; it makes
 * no call itself (omics_upload_run runs the parts with curl multi). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nobuild.h"
#include "omics.h"

#define UL_MAX_PART (100LL << 20) /* the service's largest part */
#define UL_MAX_PARTS 10000
#define UL_CHECKSUM 128

typedef struct ul_part {
    omics_upload *u;
    int source;            /* 0: SOURCE1, 1: SOURCE2 */
    int number;            /* from 1 */
    long long offset, length, pos;
    omics_reader reader;
    char checksum[UL_CHECKSUM];
    char last[UL_CHECKSUM]; /* (the builder's last string) */
    int done;
    omics_entry items[5];
    omics_value params;
} ul_part;

struct omics_upload {
    omics_client *c;
    const omics_op *op;    /* UploadReadSetPart */
    int fd[2];
    long long size[2];
    int nsources;
    long long part_size;
    char store[64];
    char upload_id[128];
    ul_part *parts;
    size_t nparts;
    size_t *pending;       /* the parts still to send */
    size_t npending;
    long long sent;        /* bytes of the parts sent by this run */
    int sent_parts;
    long long total, done; /* bytes of the files; read for parts (resumed ones too) */
    double last_progress;
    omics_download_progress_fn progress;
    void *progress_ud;
    omics_arena *a;        /* the create and complete parameters */
    omics_value create;
    omics_value complete;
    /* after the completing call: the wait for ACTIVE */
    int no_wait;
    double wait_limit, waited, delay;
    int state;             /* UL_* below */
    char read_set_id[128];
    char status[64];
    omics_entry look_items[2];
    omics_value look;      /* GetReadSetMetadata's parameters */
    omics_error look_err;
};

enum { UL_SENDING, UL_LOOK, UL_LOOKING, UL_SLEEP, UL_DONE, UL_FAILED };

static const char *const SOURCES[] = {"SOURCE1", "SOURCE2"};

static int bad(omics_error *err, const char *fmt, const char *a, const char *b)
{
    omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError", fmt, a, b ? b : "");
    return -1;
}

static const char *str_of(const omics_value *t, const char *key)
{
    const omics_value *v = omics_value_get(t, key);
    return v && v->type == OMICS_V_STR ? v->u.s.p : NULL;
}

/* -------------------------------------------------------- a part's reader */

static long long part_read(void *ud, char *p, size_t n, char *errbuf, size_t errlen)
{
    ul_part *pt = ud;
    long long left = pt->length - pt->pos;
    if ((long long)n > left)
        n = (size_t)left;
    if (!n)
        return 0;
    ssize_t got;
    do
        got = pread(pt->u->fd[pt->source], p, n, (off_t)(pt->offset + pt->pos));
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        snprintf(errbuf, errlen, "%s, part %d: %s", SOURCES[pt->source], pt->number,
                 got < 0 ? strerror(errno) : "the file ended early (it changed while sent?)");
        return -1;
    }
    pt->pos += got;
    omics_upload *u = pt->u;
    u->done += got;
    if (u->progress) {
        double now = omics_monotonic();
        if (now - u->last_progress >= 0.1) {
            u->last_progress = now;
            if (u->progress(u->progress_ud, u->done, u->total, SOURCES[pt->source], errbuf,
                            errlen))
                return -1;
        }
    }
    return got;
}

static int part_rewind(void *ud)
{
    ul_part *pt = ud;
    pt->u->done -= pt->pos;
    pt->pos = 0;
    return 0;
}

void omics_upload_progress_end(omics_upload *u)
{
    char why[8];
    if (u->progress)
        u->progress(u->progress_ud, u->done, u->total, SOURCES[u->nsources - 1], why, sizeof why);
}

/* --------------------------------------------------------------- the plan */

static int open_source(omics_upload *u, int k, const char *path, omics_error *err)
{
    u->fd[k] = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (u->fd[k] < 0 || fstat(u->fd[k], &st) != 0) {
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "params.files.%s: cannot read %s: %s", SOURCES[k], path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size == 0)
        return bad(err, "params.files.%s: %s is not a file with bytes in it", SOURCES[k], path);
    u->size[k] = (long long)st.st_size;
    return 0;
}

/* params without files: CreateMultipartReadSetUpload's own */
static int create_params(omics_upload *u, const omics_value *params, omics_error *err)
{
    omics_entry *e = omics_arena_alloc(u->a, (params->u.t.n + 1) * sizeof *e);
    if (!e)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < params->u.t.n; i++) {
        const omics_value *k = &params->u.t.items[i].key;
        if (k->type == OMICS_V_STR && strcmp(k->u.s.p, "files") == 0)
            continue;
        e[n++] = params->u.t.items[i];
    }
    u->create = (omics_value){OMICS_V_TABLE, {.t = {e, n}}};
    return 0;
}

static int plan(omics_upload *u, omics_error *err)
{
    long long total = 0;
    for (int k = 0; k < u->nsources; k++) {
        total += (u->size[k] + u->part_size - 1) / u->part_size;
        u->total += u->size[k];
    }
    if (total > UL_MAX_PARTS) {
        char n[32];
        snprintf(n, sizeof n, "%lld", total);
        return bad(err, "opts.part_size: the files would need %s parts, more than 10000%s", n,
                   NULL);
    }
    u->parts = calloc((size_t)total, sizeof *u->parts);
    u->pending = calloc((size_t)total, sizeof *u->pending);
    if (!u->parts || !u->pending)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    for (int k = 0; k < u->nsources; k++)
        for (long long off = 0; off < u->size[k]; off += u->part_size) {
            ul_part *pt = &u->parts[u->nparts++];
            pt->u = u;
            pt->source = k;
            pt->number = (int)(off / u->part_size) + 1;
            pt->offset = off;
            pt->length = u->size[k] - off < u->part_size ? u->size[k] - off : u->part_size;
            pt->reader = (omics_reader){part_read, part_rewind, pt, pt->length};
        }
    return 0;
}

omics_upload *omics_upload_new(omics_client *c, const omics_value *params,
                               const omics_upload_opts *o, omics_error *err)
{
    omics_upload *u = calloc(1, sizeof *u);
    if (!u || !(u->a = omics_arena_new(4096))) {
        free(u);
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    u->fd[0] = u->fd[1] = -1;
    u->c = c;
    u->op = omics_model_op(omics_client_model(c), "UploadReadSetPart");
    u->part_size = o->part_size ? o->part_size : UL_MAX_PART;
    u->no_wait = o->no_wait;
    u->wait_limit = o->wait_seconds > 0 ? (double)o->wait_seconds : 3600;
    omics_error_init(&u->look_err);
    u->progress = o->progress;
    u->progress_ud = o->progress_ud;
    const char *store = str_of(params, "sequenceStoreId");
    const char *type = str_of(params, "sourceFileType");
    const omics_value *files = omics_value_get(params, "files");
    const char *p1 = files ? str_of(files, "SOURCE1") : NULL;
    const char *p2 = files ? str_of(files, "SOURCE2") : NULL;
    int rc = 0;
    if (!u->op)
        rc = omics_error_set(err, OMICS_EUSAGE, "InvalidModel", "the client's model cannot upload");
    else if (!params || params->type != OMICS_V_TABLE || !store || !type)
        rc = bad(err, "params: sequenceStoreId and sourceFileType are required strings%s%s", "",
                 NULL);
    else if (strlen(store) >= sizeof u->store)
        rc = bad(err, "params.sequenceStoreId: too long%s%s", "", NULL);
    else if (u->part_size < 1 || u->part_size > UL_MAX_PART)
        rc = bad(err, "opts.part_size: expected 1 to 104857600 bytes (100 MiB, the service's "
                      "largest part)%s%s", "", NULL);
    else if (!files || files->type != OMICS_V_TABLE || !p1)
        rc = bad(err, "params.files: expected { SOURCE1 = path[, SOURCE2 = path] }%s%s", "", NULL);
    else if (files->u.t.n > (size_t)(p2 ? 2 : 1))
        rc = bad(err, "params.files: only SOURCE1 and SOURCE2%s%s", "", NULL);
    else if (p2 && strcmp(type, "FASTQ") != 0)
        rc = bad(err, "params.files.SOURCE2: a second file is only for FASTQ, not %s%s", type,
                 NULL);
    else if ((strcmp(type, "BAM") == 0 || strcmp(type, "CRAM") == 0) &&
             !str_of(params, "referenceArn"))
        rc = bad(err, "params.referenceArn: required for a %s read set%s", type, NULL);
    if (!rc) {
        snprintf(u->store, sizeof u->store, "%s", store);
        u->nsources = p2 ? 2 : 1;
        rc = open_source(u, 0, p1, err) || (p2 && open_source(u, 1, p2, err)) ||
             create_params(u, params, err) || plan(u, err);
    }
    if (rc) {
        omics_upload_free(u);
        return NULL;
    }
    return u;
}

const omics_value *omics_upload_create_params(const omics_upload *u)
{
    return &u->create;
}

void omics_upload_have(omics_upload *u, const char *source, int number, long long size,
                       const char *checksum)
{
    for (size_t i = 0; i < u->nparts; i++) {
        ul_part *pt = &u->parts[i];
        if (pt->number == number && strcmp(SOURCES[pt->source], source) == 0 &&
            pt->length == size && checksum && strlen(checksum) < UL_CHECKSUM) {
            snprintf(pt->checksum, sizeof pt->checksum, "%s", checksum);
            if (!pt->done)
                u->done += pt->length;
            pt->done = 1;
        }
    }
}

int omics_upload_started(omics_upload *u, const char *upload_id, omics_error *err)
{
    if (!upload_id || !*upload_id || strlen(upload_id) >= sizeof u->upload_id)
        return bad(err, "uploadId: expected the id of the upload%s%s", "", NULL);
    snprintf(u->upload_id, sizeof u->upload_id, "%s", upload_id);
    u->npending = 0;
    for (size_t i = 0; i < u->nparts; i++) {
        ul_part *pt = &u->parts[i];
        if (pt->done)
            continue;
        u->pending[u->npending++] = i;
        const char *src = SOURCES[pt->source];
        pt->items[0] = (omics_entry){{OMICS_V_STR, {.s = {"sequenceStoreId", 15}}},
                                     {OMICS_V_STR, {.s = {u->store, strlen(u->store)}}}};
        pt->items[1] = (omics_entry){{OMICS_V_STR, {.s = {"uploadId", 8}}},
                                     {OMICS_V_STR, {.s = {u->upload_id, strlen(u->upload_id)}}}};
        pt->items[2] = (omics_entry){{OMICS_V_STR, {.s = {"partSource", 10}}},
                                     {OMICS_V_STR, {.s = {src, 7}}}};
        pt->items[3] = (omics_entry){{OMICS_V_STR, {.s = {"partNumber", 10}}},
                                     {OMICS_V_INT, {.i = pt->number}}};
        pt->items[4] = (omics_entry){{OMICS_V_STR, {.s = {"payload", 7}}},
                                     {OMICS_V_READER, {.r = &pt->reader}}};
        pt->params = (omics_value){OMICS_V_TABLE, {.t = {pt->items, 5}}};
    }
    return 0;
}

size_t omics_upload_parts(const omics_upload *u)
{
    return u->npending;
}

void omics_upload_part(omics_upload *u, size_t i, const omics_op **op, const omics_value **params,
                       const omics_reader **payload)
{
    ul_part *pt = &u->parts[u->pending[i]];
    *op = u->op;
    *params = &pt->params;
    *payload = &pt->reader;
}

int omics_upload_part_done(omics_upload *u, size_t i, const omics_error *call_err,
                           const char *checksum, omics_error *err)
{
    ul_part *pt = &u->parts[u->pending[i]];
    if (call_err) {
        omics_error_copy(err, call_err);
        omics_error_set(err, call_err->kind, call_err->code, "part %d of %s: %s", pt->number,
                        SOURCES[pt->source], call_err->message ? call_err->message : "failed");
        return -1;
    }
    if (!checksum || !*checksum || strlen(checksum) >= UL_CHECKSUM) {
        omics_error_set(err, OMICS_ETRANSPORT, "UploadPartError",
                        "part %d of %s: the service gave no checksum for it", pt->number,
                        SOURCES[pt->source]);
        return -1;
    }
    snprintf(pt->checksum, sizeof pt->checksum, "%s", checksum);
    pt->done = 1;
    u->sent += pt->length;
    u->sent_parts++;
    double now = omics_monotonic();
    char why[256];
    if (u->progress && now - u->last_progress >= 0.1) {
        u->last_progress = now;
        if (u->progress(u->progress_ud, u->done, u->total, SOURCES[pt->source], why, sizeof why))
            return omics_error_set(err, OMICS_EUSAGE, "ProgressError", "%s", why);
    }
    return 0;
}

const omics_value *omics_upload_complete_params(omics_upload *u, omics_error *err)
{
    omics_value *list = omics_arena_alloc(u->a, sizeof *list);
    omics_entry *items = omics_arena_alloc(u->a, (u->nparts + 1) * sizeof *items);
    omics_entry *top = omics_arena_alloc(u->a, 3 * sizeof *top);
    if (!list || !items || !top) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < u->nparts; i++) {
        ul_part *pt = &u->parts[i];
        if (!pt->done) {
            omics_error_set(err, OMICS_EUSAGE, "UploadIncomplete", "part %d of %s was not sent",
                            pt->number, SOURCES[pt->source]);
            return NULL;
        }
        omics_entry *e = omics_arena_alloc(u->a, 3 * sizeof *e);
        if (!e) {
            omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
            return NULL;
        }
        e[0] = (omics_entry){{OMICS_V_STR, {.s = {"partNumber", 10}}},
                             {OMICS_V_INT, {.i = pt->number}}};
        e[1] = (omics_entry){{OMICS_V_STR, {.s = {"partSource", 10}}},
                             {OMICS_V_STR, {.s = {SOURCES[pt->source], 7}}}};
        e[2] = (omics_entry){{OMICS_V_STR, {.s = {"checksum", 8}}},
                             {OMICS_V_STR, {.s = {pt->checksum, strlen(pt->checksum)}}}};
        items[i] = (omics_entry){{OMICS_V_INT, {.i = (int64_t)i + 1}},
                                 {OMICS_V_TABLE, {.t = {e, 3}}}};
    }
    *list = (omics_value){OMICS_V_TABLE, {.t = {items, u->nparts}}};
    top[0] = (omics_entry){{OMICS_V_STR, {.s = {"sequenceStoreId", 15}}},
                           {OMICS_V_STR, {.s = {u->store, strlen(u->store)}}}};
    top[1] = (omics_entry){{OMICS_V_STR, {.s = {"uploadId", 8}}},
                           {OMICS_V_STR, {.s = {u->upload_id, strlen(u->upload_id)}}}};
    top[2] = (omics_entry){{OMICS_V_STR, {.s = {"parts", 5}}}, *list};
    u->complete = (omics_value){OMICS_V_TABLE, {.t = {top, 3}}};
    return &u->complete;
}

long long omics_upload_sent(const omics_upload *u, int *parts)
{
    *parts = u->sent_parts;
    return u->sent;
}

const char *omics_upload_id(const omics_upload *u)
{
    return u->upload_id;
}

/* ------------------------------------------------ the wait for ACTIVE */

#define UL_FIRST_DELAY 1.0
#define UL_MAX_DELAY 15.0

int omics_upload_completed(omics_upload *u, const char *read_set_id, omics_error *err)
{
    if (!read_set_id || !*read_set_id || strlen(read_set_id) >= sizeof u->read_set_id)
        return omics_error_set(err, OMICS_EPARSE, "ResponseParseError",
                               "CompleteMultipartReadSetUpload gave no readSetId");
    snprintf(u->read_set_id, sizeof u->read_set_id, "%s", read_set_id);
    u->status[0] = '\0';
    u->waited = 0;
    u->delay = UL_FIRST_DELAY;
    omics_error_clear(&u->look_err);
    u->look_items[0] = (omics_entry){{OMICS_V_STR, {.s = {"sequenceStoreId", 15}}},
                                     {OMICS_V_STR, {.s = {u->store, strlen(u->store)}}}};
    u->look_items[1] = (omics_entry){{OMICS_V_STR, {.s = {"id", 2}}},
                                     {OMICS_V_STR, {.s = {u->read_set_id, strlen(u->read_set_id)}}}};
    u->look = (omics_value){OMICS_V_TABLE, {.t = {u->look_items, 2}}};
    u->state = u->no_wait ? UL_DONE : UL_LOOK;
    return 0;
}

omics_upload_step omics_upload_next(omics_upload *u, const omics_op **op,
                                    const omics_value **params, double *wait, omics_error *err)
{
    switch (u->state) {
    case UL_LOOK:
        *op = omics_model_op(omics_client_model(u->c), "GetReadSetMetadata");
        if (!*op) {
            omics_error_set(err, OMICS_EUSAGE, "InvalidModel",
                            "the client's model cannot read a read set's status");
            return OMICS_UPLOAD_FAILED;
        }
        *params = &u->look;
        u->state = UL_LOOKING;
        return OMICS_UPLOAD_CALL;
    case UL_SLEEP:
        *wait = u->delay;
        u->waited += u->delay;
        u->delay = u->delay * 2 < UL_MAX_DELAY ? u->delay * 2 : UL_MAX_DELAY;
        u->state = UL_LOOK;
        return OMICS_UPLOAD_WAIT;
    case UL_DONE:
        return OMICS_UPLOAD_DONE;
    case UL_FAILED:
        omics_error_copy(err, &u->look_err);
        return OMICS_UPLOAD_FAILED;
    default:
        omics_error_set(err, OMICS_EUSAGE, "InvalidState",
                        u->state == UL_LOOKING ? "the read set's status was not reported "
                                                 "(omics_upload_looked)"
                                               : "the upload was not completed "
                                                 "(omics_upload_completed)");
        return OMICS_UPLOAD_FAILED;
    }
}

void omics_upload_looked(omics_upload *u, const char *status, const char *message,
                         const omics_error *call_err)
{
    if (u->state != UL_LOOKING)
        return;
    u->state = UL_FAILED;
    if (call_err) {
        if (omics_error_copy(&u->look_err, call_err))
            omics_error_set(&u->look_err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return;
    }
    snprintf(u->status, sizeof u->status, "%s", status ? status : "");
    if (status && strcmp(status, "ACTIVE") == 0) {
        u->state = UL_DONE;
    } else if (!status || (strcmp(status, "PROCESSING_UPLOAD") != 0 &&
                           strcmp(status, "ACTIVATING") != 0)) {
        omics_error_set(&u->look_err, OMICS_ESERVICE, "UploadFailed", "read set %s is %s: %s",
                        u->read_set_id, status ? status : "without a status",
                        message ? message : "no message");
    } else if (u->waited >= u->wait_limit) {
        omics_error_set(&u->look_err, OMICS_EWAITER, "WaiterTimeout",
                        "read set %s is still %s after %g s (opts.wait_seconds)", u->read_set_id,
                        status, u->wait_limit);
    } else {
        u->state = UL_SLEEP;
    }
}

const char *omics_upload_status(const omics_upload *u)
{
    return u->status;
}

const char *omics_upload_read_set_id(const omics_upload *u)
{
    return u->read_set_id;
}

void omics_upload_free(omics_upload *u)
{
    if (!u)
        return;
    omics_error_clear(&u->look_err);
    for (int k = 0; k < 2; k++)
        if (u->fd[k] >= 0)
            close(u->fd[k]);
    free(u->parts);
    free(u->pending);
    omics_arena_free(u->a);
    free(u);
}

/* ------------------------------------------------ the parts, curl multi */

static int b_str(void *ud, const char *s, size_t n)
{
    ul_part *pt = ud; /* the last string, for the checksum field that follows */
    snprintf(pt->last, sizeof pt->last, "%.*s", (int)(n < UL_CHECKSUM ? n : 0), s);
    return 0;
}
static int b_field(void *ud, const char *k, size_t n)
{
    ul_part *pt = ud;
    if (n == 8 && memcmp(k, "checksum", 8) == 0)
        memcpy(pt->checksum, pt->last, sizeof pt->checksum);
    return 0;
}
typedef struct ul_run {
    omics_upload *u;
    omics_error first;
    int failed;
} ul_run;

static void part_ended(void *ud, size_t i, const omics_error *call_err, int has_data)
{
    (void)has_data;
    ul_run *r = ud;
    ul_part *pt = &r->u->parts[r->u->pending[i]];
    char checksum[UL_CHECKSUM];
    memcpy(checksum, pt->checksum, sizeof checksum);
    omics_error e;
    omics_error_init(&e);
    if (omics_upload_part_done(r->u, i, call_err, checksum, &e) && !r->failed) {
        r->failed = 1;
        r->first = e;
        return;
    }
    omics_error_clear(&e);
}

int omics_upload_run(omics_upload *u, int concurrency, omics_error *err)
{
    if (omics_multi_check_concurrency(concurrency, err))
        return -1;
    if (!u->npending)
        return 0;
    omics_multi *m = omics_multi_new(u->c, concurrency, err);
    if (!m)
        return -1;
    omics_builder *bs = calloc(u->npending, sizeof *bs);
    if (!bs) {
        omics_multi_free(m);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    for (size_t i = 0; i < u->npending; i++) {
        ul_part *pt = &u->parts[u->pending[i]];
        pt->checksum[0] = '\0';
        bs[i] = nobuild; /* only the checksum is kept */
        bs[i].ud = pt;
        bs[i].string = b_str;
        bs[i].set_field = b_field;
        if (omics_multi_add(m, u->op, &pt->params, NULL, &bs[i], NULL, err)) {
            omics_multi_free(m);
            free(bs);
            return -1;
        }
    }
    ul_run r = {u, {0}, 0};
    omics_error_init(&r.first);
    int rc = omics_multi_run(m, part_ended, &r, err);
    omics_multi_free(m);
    free(bs);
    if (rc == 0 && r.failed) {
        omics_error_clear(err);
        *err = r.first;
        return -1;
    }
    omics_error_clear(&r.first);
    return rc;
}
