/* download: the plan, the files and the state of a download, driven here
 * without a network: each part's bytes go straight into its sink, as a
 * driver would write them.  Names made safe, metadata that does not add up,
 * parts too long or too short, a link planted at the temporary name, a
 * state file cut mid-line, resume, overwrite. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctest.h"
#include "ctest_omics.h"
#include "omics.h"

static omics_client *client;
static char dir[64];

static ctest_tree params, meta, files, source1, index_;

/* A read set's metadata: SOURCE1 of len bytes in parts of psize (parts
 * as the service would say, unless told otherwise), and a small INDEX. */
static void read_set(const char *name, long long len, long long psize, long long parts)
{
    t_init(&params);
    t_str(&params, "sequenceStoreId", "1234567890");
    t_str(&params, "id", "5555555555");
    t_init(&source1);
    t_int(&source1, "contentLength", len);
    t_int(&source1, "partSize", psize);
    t_int(&source1, "totalParts", parts);
    t_init(&index_);
    t_int(&index_, "contentLength", 10);
    t_int(&index_, "partSize", psize);
    t_int(&index_, "totalParts", 1);
    t_init(&files);
    t_tab(&files, "source1", &source1);
    t_tab(&files, "index", &index_);
    t_init(&meta);
    t_str(&meta, "id", "5555555555");
    t_str(&meta, "arn", "arn:aws:omics:us-east-1:123456789012:sequenceStore/1234567890/readSet/5555555555");
    t_str(&meta, "name", name);
    t_str(&meta, "fileType", "BAM");
    t_tab(&meta, "files", &files);
}

static omics_download *start(const char *const *names, size_t n, int resume, omics_error *err)
{
    omics_download_opts o;
    memset(&o, 0, sizeof o);
    o.to = dir;
    o.files = names;
    o.nfiles = n;
    o.resume = resume;
    omics_error_init(err);
    return omics_download_new(client, OMICS_DOWNLOAD_READ_SET, &params.v, &meta.v, &o, err);
}

/* Part i's bytes: its offset's byte pattern, through its sink. */
static int feed(omics_download *d, size_t i, long long n, omics_error *err)
{
    const omics_op *op;
    const omics_value *p;
    const omics_sink *sink;
    omics_download_part(d, i, &op, &p, &sink);
    const omics_value *num = omics_value_get(p, "partNumber");
    char buf[1000], why[200];
    for (long long k = 0; k < n; k++)
        buf[k % 1000] = (char)('a' + (num->u.i + k) % 26);
    for (long long at = 0; at < n; at += 1000) {
        long long m = n - at < 1000 ? n - at : 1000;
        if (sink->write(sink->ud, buf, (size_t)m, why, sizeof why)) {
            omics_error_set(err, OMICS_ETRANSPORT, "StreamWriteError", "%s", why);
            return -1;
        }
    }
    return omics_download_part_done(d, i, NULL, err);
}

static int exists(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return lstat(path, &st) == 0;
}

static void clean(void)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s/* %s/.[!.]*", dir, dir);
    CHECK(system(cmd) == 0);
}

static void test_whole_and_named(void)
{
    clean();
    read_set("../../etc/passwd run 1", 2500, 1000, 3);
    omics_error err;
    omics_download *d = start(NULL, 0, 1, &err);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(omics_download_parts(d) == 4); /* 3 of SOURCE1, 1 of INDEX */
    CHECK(feed(d, 0, 1000, &err) == 0);
    CHECK(feed(d, 1, 1000, &err) == 0);
    CHECK(feed(d, 2, 500, &err) == 0);
    CHECK(feed(d, 3, 10, &err) == 0);
    CHECK(!exists("_.._etc_passwd_run_1.bam")); /* not before the end */
    CHECK(omics_download_finish(d, &err) == 0);
    const char *path;
    CHECK_STR(omics_download_file(d, 0, &path), "SOURCE1");
    CHECK(strstr(path, "/.._etc_passwd_run_1.bam") == NULL);
    CHECK(exists("_.._etc_passwd_run_1.bam"));
    CHECK_STR(omics_download_file(d, 1, &path), "INDEX");
    CHECK(strstr(path, ".bam.bai") != NULL);
    CHECK(omics_download_fetched(d) == 2510);
    omics_download_free(d);
    struct stat st;
    char want[256];
    snprintf(want, sizeof want, "%s/_.._etc_passwd_run_1.bam", dir);
    CHECK(stat(want, &st) == 0 && st.st_size == 2500);
    CHECK(!exists("_.._etc_passwd_run_1.bam.omics-state"));
    /* there now: refused without overwrite */
    d = start(NULL, 0, 1, &err);
    CHECK(d == NULL && strcmp(err.code, "DownloadFileExists") == 0);
    omics_error_clear(&err);
}

static void test_lying_metadata_and_parts(void)
{
    clean();
    omics_error err;
    read_set("x", 2500, 1000, 2); /* 2500 bytes in parts of 1000 are 3 parts */
    CHECK(start(NULL, 0, 0, &err) == NULL);
    CHECK_STR(err.code, "DownloadMetadataError");
    CHECK(strstr(err.message, "does not add up") != NULL);
    omics_error_clear(&err);
    read_set("x", 2500, 0, 0);
    CHECK(start(NULL, 0, 0, &err) == NULL);
    omics_error_clear(&err);
    const char *const wrong[] = {"SOURCE2"};
    read_set("x", 2500, 1000, 3);
    CHECK(start(wrong, 1, 0, &err) == NULL);
    CHECK(strstr(err.message, "params.files: there is no SOURCE2 file here (there is: SOURCE1, "
                              "INDEX)") != NULL);
    omics_error_clear(&err);

    const char *const one[] = {"SOURCE1"};
    omics_download *d = start(one, 1, 0, &err);
    CHECK(d != NULL && omics_download_parts(d) == 3);
    if (!d)
        return;
    CHECK(feed(d, 0, 1001, &err) == -1); /* longer than the part */
    CHECK(strstr(err.message, "part 1 of SOURCE1 is longer than its 1000 bytes") != NULL);
    omics_error_clear(&err);
    CHECK(feed(d, 2, 499, &err) == -1); /* shorter */
    CHECK_STR(err.code, "DownloadPartError");
    omics_error_clear(&err);
    CHECK(omics_download_finish(d, &err) == -1);
    CHECK_STR(err.code, "DownloadIncomplete");
    omics_error_clear(&err);
    omics_download_free(d); /* without resume nothing is left */
    CHECK(!exists("x.bam.omics-partial") && !exists("x.bam"));
}

/* A link planted at the temporary name is replaced, never written through. */
static void test_planted_link(void)
{
    clean();
    read_set("linked", 100, 1000, 1);
    char target[128], link_path[128];
    snprintf(target, sizeof target, "%s/victim", dir);
    snprintf(link_path, sizeof link_path, "%s/linked.bam.omics-partial", dir);
    int fd = open(target, O_CREAT | O_WRONLY, 0600);
    CHECK(fd >= 0 && write(fd, "precious", 8) == 8);
    close(fd);
    CHECK(symlink(target, link_path) == 0);
    const char *const one[] = {"SOURCE1"};
    omics_error err;
    omics_download *d = start(one, 1, 0, &err);
    CHECK(d != NULL);
    if (d) {
        CHECK(feed(d, 0, 100, &err) == 0);
        CHECK(omics_download_finish(d, &err) == 0);
        omics_download_free(d);
    }
    struct stat st;
    CHECK(stat(target, &st) == 0 && st.st_size == 8);
}

/* Resume: the parts of the state file are kept; a line cut short is not. */
static void test_resume(void)
{
    clean();
    read_set("again", 3000, 1000, 3);
    const char *const one[] = {"SOURCE1"};
    omics_error err;
    omics_download *d = start(one, 1, 1, &err);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(feed(d, 0, 1000, &err) == 0);
    CHECK(feed(d, 1, 1000, &err) == 0);
    omics_download_free(d); /* as if killed: the files stay */
    CHECK(exists("again.bam.omics-partial") && exists("again.bam.omics-state"));
    /* a half-written line at the end of the state file counts for nothing */
    char state[128];
    snprintf(state, sizeof state, "%s/again.bam.omics-state", dir);
    int fd = open(state, O_WRONLY | O_APPEND);
    CHECK(fd >= 0 && write(fd, "part 3", 6) == 6);
    close(fd);
    d = start(one, 1, 1, &err);
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK(omics_download_parts(d) == 1);
    CHECK(omics_download_resumed(d) == 2);
    CHECK(feed(d, 0, 1000, &err) == 0);
    CHECK(omics_download_finish(d, &err) == 0);
    omics_download_free(d);
    /* byte for byte what the three parts wrote */
    char path[128], buf[3000];
    snprintf(path, sizeof path, "%s/again.bam", dir);
    fd = open(path, O_RDONLY);
    CHECK(fd >= 0 && read(fd, buf, sizeof buf) == 3000);
    close(fd);
    int good = 1;
    for (int part = 1; part <= 3; part++)
        for (int k = 0; k < 1000; k++)
            good &= buf[(part - 1) * 1000 + k] == (char)('a' + (part + k) % 26);
    CHECK(good);
    /* a state file of another resource starts over */
    clean();
    d = start(one, 1, 1, &err);
    CHECK(d && feed(d, 0, 1000, &err) == 0);
    omics_download_free(d);
    read_set("again", 3001, 1000, 4); /* the resource changed */
    d = start(one, 1, 1, &err);
    CHECK(d && omics_download_parts(d) == 4 && omics_download_resumed(d) == 0);
    omics_download_free(d);
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    omics_client_opts o;
    ctest_offline_opts(&o);
    client = m ? omics_client_new(m, &o, &err) : NULL;
    snprintf(dir, sizeof dir, "/tmp/omics-test-download-XXXXXX");
    CHECK(client != NULL && mkdtemp(dir) != NULL);
    if (!client)
        CTEST_DONE();
    RUN(test_whole_and_named);
    RUN(test_lying_metadata_and_parts);
    RUN(test_planted_link);
    RUN(test_resume);
    clean();
    rmdir(dir);
    omics_client_free(client);
    CTEST_DONE();
}
