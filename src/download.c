/* download: the files of a read set or a reference, part by part (the API
 * and its promises are in omics.h, "whole files: downloads").  This file
 * plans the parts from the metadata, names and opens the files, writes each
 * part at its offset, keeps the state file and finishes the files; it makes
 * no call itself (download_run.c runs the parts with curl multi). */
#define _GNU_SOURCE /* sync_file_range */
#include "download.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DL_MAX_PARTS 100000
#define DL_MAX_PART_SIZE (5LL << 30)
#define DL_STATE_MAGIC "omics-download 1"

static int fail(omics_error *err, const char *code, const char *fmt, const char *a,
                const char *b)
{
    omics_error_set(err, OMICS_EVALIDATION, code, fmt, a, b ? b : "");
    return -1;
}

static int io_fail(omics_error *err, const char *what, const char *path)
{
    omics_error_set(err, OMICS_ETRANSPORT, "DownloadFileError", "%s %s: %s", what, path,
                    strerror(errno));
    return -1;
}

static const char *str_of(const omics_value *t, const char *key)
{
    const omics_value *v = omics_value_get(t, key);
    return v && v->type == OMICS_V_STR ? v->u.s.p : NULL;
}

static int num_of(const omics_value *t, const char *key, long long *out)
{
    const omics_value *v = omics_value_get(t, key);
    if (v && v->type == OMICS_V_INT)
        *out = v->u.i;
    else if (v && v->type == OMICS_V_NUM && v->u.n == (double)(long long)v->u.n)
        *out = (long long)v->u.n;
    else
        return -1;
    return 0;
}

/* The resource's name as a file name: letters, digits, '.', '_' and '-'
 * (anything else '_'), no leading dot, at most 128 bytes; the id when
 * nothing is left. */
static void safe_name(const char *name, const char *id, char out[129])
{
    size_t n = 0;
    for (const char *p = name ? name : ""; *p && n < 128; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (n == 0 && c == '.')
            continue;
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (!n)
        snprintf(out, 129, "%s", id);
}

/* The extension of a file by the service's file type. */
static const char *extension(omics_download_kind kind, const char *type, const char *file,
                             int paired)
{
    int index = strcmp(file, "INDEX") == 0;
    if (kind == OMICS_DOWNLOAD_REFERENCE)
        return index ? ".fasta.fai" : ".fasta";
    if (type && strcmp(type, "CRAM") == 0)
        return index ? ".cram.crai" : ".cram";
    if (type && (strcmp(type, "BAM") == 0 || strcmp(type, "UBAM") == 0))
        return index ? ".bam.bai" : ".bam";
    if (!paired)
        return ".fastq";
    return strcmp(file, "SOURCE2") == 0 ? "_2.fastq" : "_1.fastq";
}

static char *joined(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s%s%s", a, b, c);
    return s;
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* ------------------------------------------------------- the parts' sink */

static int part_write(void *ud, const char *p, size_t n, char *errbuf, size_t errlen)
{
    dl_part *pt = ud;
    omics_download *d = pt->d;
    if ((long long)n > pt->expected - pt->got) {
        snprintf(errbuf, errlen, "part %d of %s is longer than its %lld bytes", pt->number,
                 pt->f->file, pt->expected);
        return -1;
    }
    while (n) {
        ssize_t w = pwrite(pt->f->fd, p, n, (off_t)(pt->offset + pt->got));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(errbuf, errlen, "%s: %s", pt->f->temp, w < 0 ? strerror(errno) : "no room");
            return -1;
        }
        p += w;
        n -= (size_t)w;
        pt->got += w;
        d->done_bytes += w;
    }
    if (d->progress) {
        double now = omics_monotonic();
        if (now - d->last_progress >= 0.1) {
            d->last_progress = now;
            if (d->progress(d->progress_ud, d->done_bytes, d->total, pt->f->file, errbuf,
                            errlen))
                return -1;
        }
    }
    return 0;
}

static int part_rewind(void *ud)
{
    dl_part *pt = ud;
    pt->d->done_bytes -= pt->got;
    pt->got = 0;
    return 0;
}

/* A finished part's bytes start on their way to the disk now, not at the
 * end: the fsync that completes the file then waits for the last parts
 * only, instead of the whole file's writing after the last byte came.
 * (Linux; elsewhere the fsync does it all.  Nothing waits here.) */
static void early_writeback(const dl_part *pt)
{
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    (void)sync_file_range(pt->f->fd, (off_t)pt->offset, (off_t)pt->got, SYNC_FILE_RANGE_WRITE);
#else
    (void)pt;
#endif
}

/* A new file's blocks reserved at once (its size stays 0 until the parts
 * come): the parts' writes then find them allocated instead of reserving
 * them page by page.  Advisory: where it cannot be done (or there is no
 * room) the writes say so themselves. */
static void reserve(const dl_file *f)
{
#if defined(__linux__) && defined(FALLOC_FL_KEEP_SIZE)
    if (f->length > 0)
        (void)fallocate(f->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)f->length);
#else
    (void)f;
#endif
}

/* ------------------------------------------------------------ the files */

/* Read the state file: the parts an earlier run finished, when it speaks
 * of the same file (resource, length, part size, parts); else none. */
static void read_state(dl_file *f, const char *arn)
{
    FILE *in = fopen(f->state, "r");
    if (!in)
        return;
    char line[512], want[512];
    snprintf(want, sizeof want, "%s %s %s %lld %lld %d\n", DL_STATE_MAGIC, arn, f->file,
             f->length, f->part_size, f->parts);
    if (fgets(line, sizeof line, in) && strcmp(line, want) == 0) {
        int k;
        while (fgets(line, sizeof line, in))
            if (sscanf(line, "part %d", &k) == 1 && k >= 1 && k <= f->parts &&
                line[strlen(line) - 1] == '\n')
                f->done[k - 1] = 1;
    }
    fclose(in);
}

/* Open the temporary file and the state file; resume from them when they
 * match, else start both anew. */
static int open_file(omics_download *d, dl_file *f, const char *arn, omics_error *err)
{
    int any = 0;
    if (d->resume) {
        read_state(f, arn);
        for (int k = 0; k < f->parts; k++)
            any |= f->done[k];
    }
    if (any) {
        f->fd = open(f->temp, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (f->fd >= 0 && (fstat(f->fd, &st) != 0 || !S_ISREG(st.st_mode))) {
            close(f->fd);
            f->fd = -1;
        }
        if (f->fd < 0)
            memset(f->done, 0, (size_t)f->parts); /* the bytes are gone: start over */
        else
            f->st = open(f->state, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
        if (f->fd >= 0 && f->st >= 0)
            return 0;
    }
    if (f->fd >= 0)
        close(f->fd);
    memset(f->done, 0, (size_t)f->parts ? (size_t)f->parts : 1);
    unlink(f->temp); /* (never written through: created anew, exclusively) */
    f->fd = open(f->temp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f->fd < 0)
        return io_fail(err, "cannot create", f->temp);
    reserve(f);
    if (!d->resume)
        return 0;
    unlink(f->state);
    f->st = open(f->state, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (f->st < 0)
        return io_fail(err, "cannot create", f->state);
    char head[512];
    int n = snprintf(head, sizeof head, "%s %s %s %lld %lld %d\n", DL_STATE_MAGIC, arn, f->file,
                     f->length, f->part_size, f->parts);
    if (write(f->st, head, (size_t)n) != n)
        return io_fail(err, "cannot write", f->state);
    return 0;
}

/* One file of the metadata: its sizes, checked against each other. */
static int file_sizes(dl_file *f, const omics_value *info, omics_error *err)
{
    long long parts;
    if (num_of(info, "contentLength", &f->length) || num_of(info, "partSize", &f->part_size) ||
        num_of(info, "totalParts", &parts))
        return fail(err, "DownloadMetadataError",
                    "the metadata of %s lacks contentLength, partSize or totalParts%s", f->file,
                    NULL);
    int sane = f->length >= 0 && f->part_size > 0 && f->part_size <= DL_MAX_PART_SIZE &&
               parts >= 0 && parts <= DL_MAX_PARTS;
    long long want = sane && f->length ? (f->length + f->part_size - 1) / f->part_size : 0;
    if (!sane || (parts != want && !(f->length == 0 && parts <= 1)))
        return fail(err, "DownloadMetadataError",
                    "the metadata of %s does not add up%s: its parts, part size and length "
                    "disagree", f->file, NULL);
    f->parts = (int)want;
    f->done = calloc((size_t)f->parts + 1, 1);
    if (!f->done)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    return 0;
}

/* The files asked for (all the resource has by default), in the order of
 * the service's names. */
static int choose_files(omics_download *d, omics_download_kind kind, const omics_value *files,
                        const omics_download_opts *o, omics_error *err)
{
    static const char *const rs[] = {"SOURCE1", "SOURCE2", "INDEX"};
    static const char *const ref[] = {"SOURCE", "INDEX"};
    const char *const *names = kind == OMICS_DOWNLOAD_READ_SET ? rs : ref;
    size_t nnames = kind == OMICS_DOWNLOAD_READ_SET ? 3 : 2;
    char have[64] = "";
    for (size_t i = 0; i < nnames; i++) {
        char key[16];
        snprintf(key, sizeof key, "%s", names[i]);
        for (char *p = key; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + 32); /* the metadata's names: "source1", "index" */
        const omics_value *info = omics_value_get(files, key);
        int wanted = !o->nfiles;
        for (size_t k = 0; k < o->nfiles; k++)
            wanted |= strcmp(o->files[k], names[i]) == 0;
        if (info && info->type == OMICS_V_TABLE)
            snprintf(have + strlen(have), sizeof have - strlen(have), "%s%s", *have ? ", " : "",
                     names[i]);
        if (!wanted || !info || info->type != OMICS_V_TABLE)
            continue;
        dl_file *f = &d->files[d->nfiles++];
        snprintf(f->file, sizeof f->file, "%s", names[i]);
        f->fd = f->st = -1;
        if (file_sizes(f, info, err))
            return -1;
    }
    for (size_t k = 0; k < o->nfiles; k++) {
        int found = 0;
        for (size_t i = 0; i < d->nfiles; i++)
            found |= strcmp(o->files[k], d->files[i].file) == 0;
        if (!found)
            return fail(err, "ParamValidationError",
                        "params.files: there is no %s file here (there is: %s)", o->files[k],
                        *have ? have : "none");
    }
    if (!d->nfiles)
        return fail(err, "DownloadMetadataError", "the metadata lists no files%s%s", "", NULL);
    return 0;
}

/* Where each file goes: to/<name><extension>, or to itself for one file. */
static int name_files(omics_download *d, omics_download_kind kind, const omics_value *meta,
                      const omics_download_opts *o, omics_error *err)
{
    const char *to = o->to && *o->to ? o->to : ".";
    int one_path = d->nfiles == 1 && o->to && !is_dir(to);
    if (!one_path && !is_dir(to))
        return fail(err, "ParamValidationError", "opts.to: %s is not a directory%s", to, NULL);
    char base[129];
    safe_name(str_of(meta, "name"), str_of(meta, "id") ? str_of(meta, "id") : "download", base);
    const char *type = str_of(meta, "fileType");
    int paired = 0;
    for (size_t i = 0; i < d->nfiles; i++)
        paired |= strcmp(d->files[i].file, "SOURCE2") == 0;
    for (size_t i = 0; i < d->nfiles; i++) {
        dl_file *f = &d->files[i];
        const char *ext = extension(kind, type, f->file, paired);
        f->path = one_path ? joined(to, "", "") : joined(to, "/", base);
        if (f->path && !one_path) {
            char *p = joined(f->path, ext, "");
            free(f->path);
            f->path = p;
        }
        f->gzip_name = !one_path && kind == OMICS_DOWNLOAD_READ_SET &&
                       strcmp(f->file, "INDEX") != 0 && strstr(ext, ".fastq") != NULL;
        f->temp = f->path ? joined(f->path, ".omics-partial", "") : NULL;
        f->state = f->path ? joined(f->path, ".omics-state", "") : NULL;
        if (!f->temp || !f->state)
            return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        struct stat st;
        char *gz = f->gzip_name ? joined(f->path, ".gz", "") : NULL;
        int there = lstat(f->path, &st) == 0 || (gz && lstat(gz, &st) == 0);
        free(gz);
        if (there && !o->overwrite)
            return fail(err, "DownloadFileExists",
                        "%s is there already (opts.overwrite = true replaces it)%s", f->path,
                        NULL);
    }
    return 0;
}

/* The part calls: every part not finished by an earlier run. */
static int plan_parts(omics_download *d, omics_download_kind kind, const char *store,
                      const char *id, omics_error *err)
{
    size_t n = 0;
    for (size_t i = 0; i < d->nfiles; i++)
        for (int k = 0; k < d->files[i].parts; k++)
            n += !d->files[i].done[k];
    d->parts = calloc(n ? n : 1, sizeof *d->parts);
    size_t sl = strlen(store), il = strlen(id);
    d->strings = malloc(sl + il + 2);
    if (!d->parts || !d->strings)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    memcpy(d->strings, store, sl + 1);
    memcpy(d->strings + sl + 1, id, il + 1);
    const char *store_key = kind == OMICS_DOWNLOAD_READ_SET ? "sequenceStoreId" : "referenceStoreId";
    for (size_t i = 0; i < d->nfiles; i++) {
        dl_file *f = &d->files[i];
        for (int k = 0; k < f->parts; k++) {
            long long off = (long long)k * f->part_size;
            if (f->done[k]) {
                d->done_bytes += f->length - off < f->part_size ? f->length - off : f->part_size;
                d->resumed++;
                continue;
            }
            dl_part *pt = &d->parts[d->nparts++];
            pt->d = d;
            pt->f = f;
            pt->number = k + 1;
            pt->offset = off;
            pt->expected = f->length - off < f->part_size ? f->length - off : f->part_size;
            pt->sink = (omics_sink){part_write, part_rewind, pt};
            pt->items[0] = (omics_entry){{OMICS_V_STR, {.s = {store_key, strlen(store_key)}}},
                                         {OMICS_V_STR, {.s = {d->strings, sl}}}};
            pt->items[1] = (omics_entry){{OMICS_V_STR, {.s = {"id", 2}}},
                                         {OMICS_V_STR, {.s = {d->strings + sl + 1, il}}}};
            pt->items[2] = (omics_entry){{OMICS_V_STR, {.s = {"file", 4}}},
                                         {OMICS_V_STR, {.s = {f->file, strlen(f->file)}}}};
            pt->items[3] = (omics_entry){{OMICS_V_STR, {.s = {"partNumber", 10}}},
                                         {OMICS_V_INT, {.i = k + 1}}};
            pt->params = (omics_value){OMICS_V_TABLE, {.t = {pt->items, 4}}};
        }
    }
    return 0;
}

omics_download *omics_download_new(omics_client *c, omics_download_kind kind,
                                   const omics_value *params, const omics_value *meta,
                                   const omics_download_opts *o, omics_error *err)
{
    if (kind != OMICS_DOWNLOAD_READ_SET && kind != OMICS_DOWNLOAD_REFERENCE) {
        omics_error_set(err, OMICS_EUSAGE, "InvalidArgument", "an unknown kind of download");
        return NULL;
    }
    const char *store_key = kind == OMICS_DOWNLOAD_READ_SET ? "sequenceStoreId" : "referenceStoreId";
    const char *store = str_of(params, store_key), *id = str_of(params, "id");
    if (!store || !id || !*store || !*id) {
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "params: %s and id are required strings", store_key);
        return NULL;
    }
    const omics_value *files = omics_value_get(meta, "files");
    if (!files || files->type != OMICS_V_TABLE) {
        omics_error_set(err, OMICS_EVALIDATION, "DownloadMetadataError",
                        "the metadata has no files");
        return NULL;
    }
    const omics_op *op = omics_model_op(omics_client_model(c), kind == OMICS_DOWNLOAD_READ_SET
                                                                  ? "GetReadSet"
                                                                  : "GetReference");
    omics_download *d = calloc(1, sizeof *d);
    if (!d || !op) {
        free(d);
        omics_error_set(err, OMICS_EUSAGE, "InvalidModel", "the client's model cannot download");
        return NULL;
    }
    d->c = c;
    d->op = op;
    d->resume = o->resume;
    d->progress = o->progress;
    d->progress_ud = o->progress_ud;
    const char *arn = str_of(meta, "arn") ? str_of(meta, "arn") : id;
    if (choose_files(d, kind, files, o, err) || name_files(d, kind, meta, o, err))
        goto fail;
    for (size_t i = 0; i < d->nfiles; i++) {
        d->total += d->files[i].length;
        if (open_file(d, &d->files[i], arn, err))
            goto fail;
    }
    if (plan_parts(d, kind, store, id, err))
        goto fail;
    return d;
fail:
    omics_download_free(d);
    return NULL;
}

size_t omics_download_parts(const omics_download *d)
{
    return d->nparts;
}

void omics_download_part(omics_download *d, size_t i, const omics_op **op,
                         const omics_value **params, const omics_sink **sink)
{
    *op = d->op;
    *params = &d->parts[i].params;
    *sink = &d->parts[i].sink;
}

int omics_download_part_done(omics_download *d, size_t i, const omics_error *call_err,
                             omics_error *err)
{
    dl_part *pt = &d->parts[i];
    if (call_err) {
        omics_error_copy(err, call_err);
        omics_error_set(err, call_err->kind, call_err->code, "part %d of %s: %s", pt->number,
                        pt->f->file, call_err->message ? call_err->message : call_err->code);
        return -1;
    }
    if (pt->got != pt->expected) {
        omics_error_set(err, OMICS_ETRANSPORT, "DownloadPartError",
                        "part %d of %s: %lld bytes came, %lld were expected", pt->number,
                        pt->f->file, pt->got, pt->expected);
        return -1;
    }
    pt->f->done[pt->number - 1] = 1;
    d->fetched += pt->got;
    early_writeback(pt);
    if (pt->f->st >= 0) {
        char line[32];
        int n = snprintf(line, sizeof line, "part %d\n", pt->number);
        if (write(pt->f->st, line, (size_t)n) != n)
            return io_fail(err, "cannot write", pt->f->state);
    }
    return 0;
}

/* FASTQ in gzip: the file's first two bytes. */
static int gzip_bytes(int fd)
{
    unsigned char m[2];
    return pread(fd, m, 2, 0) == 2 && m[0] == 0x1f && m[1] == 0x8b;
}

int omics_download_finish(omics_download *d, omics_error *err)
{
    for (size_t i = 0; i < d->nfiles; i++) {
        dl_file *f = &d->files[i];
        for (int k = 0; k < f->parts; k++)
            if (!f->done[k]) {
                omics_error_set(err, OMICS_EUSAGE, "DownloadIncomplete",
                                "part %d of %s was not fetched", k + 1, f->file);
                return -1;
            }
        struct stat st;
        if (fstat(f->fd, &st) != 0)
            return io_fail(err, "cannot read", f->temp);
        if ((long long)st.st_size != f->length) {
            omics_error_set(err, OMICS_ETRANSPORT, "DownloadPartError",
                            "%s has %lld bytes, the metadata says %lld", f->file,
                            (long long)st.st_size, f->length);
            return -1;
        }
        if (f->gzip_name && gzip_bytes(f->fd)) {
            char *gz = joined(f->path, ".gz", "");
            if (!gz)
                return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
            free(f->path);
            f->path = gz;
        }
        if (fsync(f->fd) != 0)
            return io_fail(err, "cannot sync", f->temp);
    }
    for (size_t i = 0; i < d->nfiles; i++) {
        dl_file *f = &d->files[i];
        if (rename(f->temp, f->path) != 0)
            return io_fail(err, "cannot rename into", f->path);
        close(f->fd);
        f->fd = -1;
        if (f->st >= 0) {
            close(f->st);
            f->st = -1;
            unlink(f->state);
        }
    }
    d->finished = 1;
    if (d->progress) {
        char why[8];
        d->progress(d->progress_ud, d->done_bytes, d->total, d->files[d->nfiles - 1].file, why,
                    sizeof why);
    }
    return 0;
}

const char *omics_download_file(const omics_download *d, size_t k, const char **path)
{
    if (k >= d->nfiles)
        return NULL;
    *path = d->files[k].path;
    return d->files[k].file;
}

long long omics_download_fetched(const omics_download *d)
{
    return d->fetched;
}

int omics_download_resumed(const omics_download *d)
{
    return d->resumed;
}

void omics_download_free(omics_download *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->nfiles; i++) {
        dl_file *f = &d->files[i];
        if (!d->finished && !d->resume && f->fd >= 0)
            unlink(f->temp); /* (this run made it: without resume nothing is kept) */
        if (f->fd >= 0)
            close(f->fd);
        if (f->st >= 0)
            close(f->st);
        free(f->path);
        free(f->temp);
        free(f->state);
        free(f->done);
    }
    free(d->parts);
    free(d->strings);
    free(d);
}
