/* upload: the checks, the plan, the parts' readers and the completing
 * parameters of an upload, without a network: each part's reader is read
 * here as a driver would send it.  Offsets and lengths, a retry reading a
 * part again from its start, a file that shrinks while it is sent, resume,
 * progress, and the wait for ACTIVE step by step (the looks' answers fed
 * here as a driver would). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctest.h"
#include "ctest_omics.h"
#include "omics.h"

static omics_client *client;
static char dir[64], path1[128], path2[128];

static ctest_tree params, files;

static void upload_params(const char *type, const char *f1, const char *f2)
{
    t_init(&files);
    if (f1)
        t_str(&files, "SOURCE1", f1);
    if (f2)
        t_str(&files, "SOURCE2", f2);
    t_init(&params);
    t_str(&params, "sequenceStoreId", "1234567890");
    t_str(&params, "sourceFileType", type);
    t_str(&params, "name", "n");
    t_tab(&params, "files", &files);
}

static void write_file(const char *path, size_t n, int seed)
{
    char *b = malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)('A' + (i * 7 + (size_t)seed) % 26);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    CHECK(fd >= 0 && write(fd, b, n) == (ssize_t)n);
    close(fd);
    free(b);
}

static long long progress_done;
static int progress(void *ud, long long done, long long total, const char *file, char *why,
                    size_t whylen)
{
    (void)ud;
    (void)total;
    (void)file;
    (void)why;
    (void)whylen;
    progress_done = done;
    return 0;
}

static omics_upload *start(long long part_size, omics_error *err)
{
    omics_upload_opts o;
    memset(&o, 0, sizeof o);
    o.part_size = part_size;
    o.progress = progress;
    omics_error_init(err);
    return omics_upload_new(client, &params.v, &o, err);
}

static void refused(const char *want)
{
    omics_error err;
    omics_upload *u = start(0, &err);
    CHECK(u == NULL);
    CHECK(err.message && strstr(err.message, want) != NULL);
    if (!err.message || !strstr(err.message, want))
        fprintf(stderr, "  got: %s\n", err.message ? err.message : "(none)");
    omics_error_clear(&err);
    omics_upload_free(u);
}

static void test_checks(void)
{
    upload_params("BAM", path1, path2);
    refused("params.files.SOURCE2: a second file is only for FASTQ, not BAM");
    upload_params("CRAM", path1, NULL);
    refused("params.referenceArn: required for a CRAM read set");
    upload_params("FASTQ", NULL, path2);
    refused("params.files: expected { SOURCE1 = path");
    char missing[160];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    upload_params("FASTQ", missing, NULL);
    refused("params.files.SOURCE1: cannot read");
    upload_params("FASTQ", dir, NULL);
    refused("is not a file with bytes in it");
    upload_params("FASTQ", path1, NULL);
    omics_error err;
    CHECK(start(200LL << 20, &err) == NULL && strstr(err.message, "opts.part_size"));
    omics_error_clear(&err);
    upload_params("FASTQ", path1, path2); /* 15,000 bytes in parts of one byte */
    CHECK(start(1, &err) == NULL && strstr(err.message, "more than 10000"));
    omics_error_clear(&err);
}

/* Read part i's reader whole into out; the bytes read, or -1. */
static long long read_part(omics_upload *u, size_t i, char *out, size_t cap)
{
    const omics_op *op;
    const omics_value *p;
    const omics_reader *r;
    omics_upload_part(u, i, &op, &p, &r);
    char why[200];
    long long n = 0, got;
    while ((got = r->read(r->ud, out + n, cap - (size_t)n < 1000 ? cap - (size_t)n : 1000, why,
                          sizeof why)) > 0)
        n += got;
    return got < 0 ? -1 : n;
}

static void test_parts_and_complete(void)
{
    upload_params("FASTQ", path1, path2);
    omics_error err;
    omics_upload *u = start(4096, &err);
    CHECK(u != NULL);
    if (!u)
        return;
    const omics_value *create = omics_upload_create_params(u);
    CHECK(omics_value_get(create, "files") == NULL && omics_value_get(create, "name") != NULL);
    CHECK(omics_upload_started(u, "7777", &err) == 0);
    CHECK(omics_upload_parts(u) == 5); /* 10000 -> 3 parts, 5000 -> 2 */
    static char buf[8192], want[10000];
    int fd = open(path1, O_RDONLY);
    CHECK(fd >= 0 && read(fd, want, sizeof want) == 10000);
    close(fd);
    CHECK(read_part(u, 1, buf, sizeof buf) == 4096 && memcmp(buf, want + 4096, 4096) == 0);
    CHECK(read_part(u, 2, buf, sizeof buf) == 10000 - 8192);
    /* a retry reads the part again from its start */
    const omics_op *op;
    const omics_value *p;
    const omics_reader *r;
    omics_upload_part(u, 1, &op, &p, &r);
    CHECK(r->rewind(r->ud) == 0 && read_part(u, 1, buf, sizeof buf) == 4096);
    CHECK(omics_value_get(p, "partNumber")->u.i == 2);
    CHECK(strcmp(omics_value_get(p, "partSource")->u.s.p, "SOURCE1") == 0);
    CHECK(strcmp(omics_value_get(p, "uploadId")->u.s.p, "7777") == 0);
    CHECK(omics_value_get(p, "payload")->type == OMICS_V_READER);
    /* not every part sent: no completing call */
    CHECK(omics_upload_complete_params(u, &err) == NULL);
    CHECK_STR(err.code, "UploadIncomplete");
    omics_error_clear(&err);
    char sum[16];
    for (size_t i = 0; i < 5; i++) {
        snprintf(sum, sizeof sum, "sum%zu", i);
        CHECK(omics_upload_part_done(u, i, NULL, sum, &err) == 0);
    }
    CHECK(omics_upload_part_done(u, 0, NULL, "", &err) == -1); /* no checksum: refused */
    omics_error_clear(&err);
    const omics_value *c = omics_upload_complete_params(u, &err);
    CHECK(c != NULL);
    const omics_value *list = c ? omics_value_get(c, "parts") : NULL;
    CHECK(list && list->u.t.n == 5);
    const omics_value *last = list ? omics_value_at(list, 5) : NULL;
    CHECK(last && strcmp(omics_value_get(last, "checksum")->u.s.p, "sum4") == 0);
    CHECK(last && strcmp(omics_value_get(last, "partSource")->u.s.p, "SOURCE2") == 0);
    int parts;
    CHECK(omics_upload_sent(u, &parts) == 15000 && parts == 5);
    CHECK(progress_done > 0);
    omics_upload_free(u);
}

/* Resume: parts the upload has are not sent again, unless their size differs. */
static void test_resume_and_shrinking(void)
{
    upload_params("FASTQ", path1, NULL);
    omics_error err;
    omics_upload *u = start(4096, &err);
    CHECK(u != NULL);
    if (!u)
        return;
    omics_upload_have(u, "SOURCE1", 1, 4096, "a");
    omics_upload_have(u, "SOURCE1", 3, 999, "c"); /* not the size it has here */
    omics_upload_have(u, "SOURCE2", 2, 4096, "x"); /* no such part */
    CHECK(omics_upload_started(u, "8888", &err) == 0);
    CHECK(omics_upload_parts(u) == 2);
    /* the file shrinks while it is sent: the reader says so */
    CHECK(truncate(path1, 5000) == 0);
    static char buf[8192];
    CHECK(read_part(u, 1, buf, sizeof buf) == -1); /* part 3 starts past the new end */
    omics_upload_free(u);
    write_file(path1, 10000, 1);
}

/* An upload of one part, completed as read set 5555 (opts: wait_seconds,
 * no_wait), ready for its wait. */
static omics_upload *completed(long long wait_seconds, int no_wait)
{
    upload_params("FASTQ", path1, NULL);
    omics_upload_opts o;
    memset(&o, 0, sizeof o);
    o.wait_seconds = wait_seconds;
    o.no_wait = no_wait;
    omics_error err;
    omics_error_init(&err);
    omics_upload *u = omics_upload_new(client, &params.v, &o, &err);
    CHECK(u != NULL);
    if (!u)
        return NULL;
    CHECK(omics_upload_started(u, "9999", &err) == 0);
    CHECK(omics_upload_part_done(u, 0, NULL, "s", &err) == 0);
    CHECK(omics_upload_complete_params(u, &err) != NULL);
    CHECK(omics_upload_completed(u, "5555", &err) == 0);
    return u;
}

/* The next step; a CALL must be GetReadSetMetadata of read set 5555. */
static omics_upload_step next(omics_upload *u, double *wait, omics_error *err)
{
    const omics_op *op = NULL;
    const omics_value *p = NULL;
    *wait = -1;
    omics_error_init(err);
    omics_upload_step st = omics_upload_next(u, &op, &p, wait, err);
    if (st == OMICS_UPLOAD_CALL) {
        CHECK_STR(omics_op_name(op), "GetReadSetMetadata");
        CHECK_STR(omics_value_get(p, "id")->u.s.p, "5555");
        CHECK_STR(omics_value_get(p, "sequenceStoreId")->u.s.p, "1234567890");
    }
    return st;
}

static void test_wait_until_active(void)
{
    omics_upload *u = completed(0, 0);
    if (!u)
        return;
    omics_error err;
    double wait, waits[4] = {0};
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_CALL); /* the first look at once */
    /* not yet reported: asking again is misuse */
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_FAILED);
    CHECK_STR(err.code, "InvalidState");
    omics_error_clear(&err);
    static const char *const states[] = {"PROCESSING_UPLOAD", "ACTIVATING", "ACTIVATING",
                                         "ACTIVATING"};
    for (int i = 0; i < 4; i++) {
        omics_upload_looked(u, states[i], NULL, NULL);
        CHECK(next(u, &wait, &err) == OMICS_UPLOAD_WAIT);
        waits[i] = wait;
        CHECK(next(u, &wait, &err) == OMICS_UPLOAD_CALL);
    }
    CHECK(waits[0] == 1 && waits[1] == 2 && waits[2] == 4 && waits[3] == 8);
    omics_upload_looked(u, "ACTIVE", NULL, NULL);
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_DONE);
    CHECK_STR(omics_upload_status(u), "ACTIVE");
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_DONE); /* and stays done */
    omics_upload_free(u);

    u = completed(0, 1); /* no_wait: done without a look */
    if (!u)
        return;
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_DONE);
    CHECK_STR(omics_upload_status(u), "");
    omics_upload_free(u);
}

static void test_wait_failures(void)
{
    omics_error err;
    double wait;
    /* UPLOAD_FAILED: an error naming the read set, the state and why */
    omics_upload *u = completed(0, 0);
    if (!u)
        return;
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_CALL);
    omics_upload_looked(u, "UPLOAD_FAILED", "not a FASTQ file", NULL);
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_FAILED);
    CHECK_STR(err.code, "UploadFailed");
    CHECK_STR(err.message, "read set 5555 is UPLOAD_FAILED: not a FASTQ file");
    CHECK_STR(omics_error_kind_name(err.kind), "service");
    omics_error_clear(&err);
    omics_upload_free(u);

    /* a failed look is the wait's failure, as the call gave it */
    u = completed(0, 0);
    if (!u)
        return;
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_CALL);
    omics_error call_err;
    omics_error_init(&call_err);
    omics_error_set(&call_err, OMICS_ESERVICE, "AccessDeniedException", "no");
    call_err.status = 403;
    omics_upload_looked(u, NULL, NULL, &call_err);
    omics_error_clear(&call_err);
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_FAILED);
    CHECK_STR(err.code, "AccessDeniedException");
    CHECK(err.status == 403);
    omics_error_clear(&err);
    omics_upload_free(u);

    /* wait_seconds: 1 + 2 + 4 = 7 >= 5 waited, then a timeout (no sleep past it) */
    u = completed(5, 0);
    if (!u)
        return;
    double total = 0;
    omics_upload_step st;
    int looks = 0;
    while ((st = next(u, &wait, &err)) == OMICS_UPLOAD_CALL || st == OMICS_UPLOAD_WAIT) {
        if (st == OMICS_UPLOAD_WAIT)
            total += wait;
        else
            omics_upload_looked(u, "PROCESSING_UPLOAD", NULL, NULL), looks++;
        CHECK(looks < 10);
        if (looks >= 10)
            break;
    }
    CHECK(st == OMICS_UPLOAD_FAILED && total == 7 && looks == 4);
    CHECK_STR(err.code, "WaiterTimeout");
    CHECK_STR(err.message, "read set 5555 is still PROCESSING_UPLOAD after 5 s (opts.wait_seconds)");
    CHECK_STR(omics_error_kind_name(err.kind), "waiter");
    omics_error_clear(&err);
    omics_upload_free(u);

    /* before the completing call there is nothing to wait for */
    upload_params("FASTQ", path1, NULL);
    u = start(0, &err);
    CHECK(u != NULL);
    if (!u)
        return;
    CHECK(next(u, &wait, &err) == OMICS_UPLOAD_FAILED);
    CHECK_STR(err.code, "InvalidState");
    omics_error_clear(&err);
    CHECK(omics_upload_completed(u, "", &err) == -1);
    omics_error_clear(&err);
    omics_upload_free(u);
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    omics_client_opts o;
    ctest_offline_opts(&o);
    client = m ? omics_client_new(m, &o, &err) : NULL;
    snprintf(dir, sizeof dir, "/tmp/omics-test-upload-XXXXXX");
    CHECK(client != NULL && mkdtemp(dir) != NULL);
    if (!client)
        CTEST_DONE();
    snprintf(path1, sizeof path1, "%s/one", dir);
    snprintf(path2, sizeof path2, "%s/two", dir);
    write_file(path1, 10000, 1);
    write_file(path2, 5000, 2);
    RUN(test_checks);
    RUN(test_parts_and_complete);
    RUN(test_resume_and_shrinking);
    RUN(test_wait_until_active);
    RUN(test_wait_failures);
    unlink(path1);
    unlink(path2);
    rmdir(dir);
    omics_client_free(client);
    CTEST_DONE();
}
