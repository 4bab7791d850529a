/* psink: a path sink, a streaming payload written to a file that appears
 * complete or not at all.
 *
 * The bytes go to "<path>.partial.<16 random hex digits>", created with
 * O_CREAT|O_EXCL|O_NOFOLLOW: never a file or a link that was there before,
 * so a link planted at a guessable name cannot redirect the download.  It is
 * created with mode 0666 and the umask applies, as for any plain create.  On
 * success the file is flushed, synced and renamed over path; on failure it
 * is removed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "omics.h"
#include "rnd.h"

#define PSINK_TRIES 16
/* ".partial.", 16 hex digits and the NUL, after the path */
#define PSINK_SUFFIX (9 + 16 + 1)

struct omics_path_sink {
    FILE *f;
    char *tmp;
    char *path;
    omics_sink sink;
};

static int psink_write(void *ud, const char *p, size_t n, char *errbuf, size_t errlen)
{
    omics_path_sink *ps = ud;
    if (fwrite(p, 1, n, ps->f) != n) {
        snprintf(errbuf, errlen, "%s: %s", ps->tmp, strerror(errno));
        return -1;
    }
    return 0;
}

/* A retry starts the file over: what the failed attempt wrote is dropped. */
static int psink_rewind(void *ud)
{
    omics_path_sink *ps = ud;
    if (fflush(ps->f) != 0 || ftruncate(fileno(ps->f), 0) != 0 ||
        fseeko(ps->f, 0, SEEK_SET) != 0)
        return -1;
    return 0;
}

static void psink_free(omics_path_sink *ps)
{
    if (ps->f) {
        fclose(ps->f);
        unlink(ps->tmp);
    }
    free(ps->tmp);
    free(ps->path);
    free(ps);
}

/* Create the temporary file, exclusively, under a fresh random name. */
static int psink_create(omics_path_sink *ps, size_t n)
{
    int e = EEXIST;
    for (int i = 0; i < PSINK_TRIES && e == EEXIST; i++) {
        unsigned char r[8];
        if (rnd_bytes(r, sizeof r) != 0)
            return EAGAIN;
        snprintf(ps->tmp, n + PSINK_SUFFIX, "%s.partial.%02x%02x%02x%02x%02x%02x%02x%02x", ps->path, r[0],
                 r[1], r[2], r[3], r[4], r[5], r[6], r[7]);
        int fd = open(ps->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) {
            e = errno;
            continue;
        }
        if (!(ps->f = fdopen(fd, "wb"))) {
            e = errno;
            close(fd);
            unlink(ps->tmp);
            return e;
        }
        return 0;
    }
    return e;
}

omics_path_sink *omics_path_sink_open(const char *path, size_t len, omics_error *err)
{
    if (!path || !*path || strlen(path) != len) {
        omics_error_set(err, OMICS_EVALIDATION, "SinkError",
                        path && *path ? "sink: the path holds a NUL byte"
                                      : "sink: the path is empty");
        return NULL;
    }
    omics_path_sink *ps = calloc(1, sizeof *ps);
    if (ps) {
        ps->path = strdup(path);
        ps->tmp = malloc(len + PSINK_SUFFIX);
    }
    if (!ps || !ps->path || !ps->tmp) {
        if (ps)
            psink_free(ps);
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    int e = psink_create(ps, len);
    if (e) {
        omics_error_set(err, OMICS_EVALIDATION, "SinkError",
                        "sink: cannot create a file beside %s: %s", path, strerror(e));
        psink_free(ps);
        return NULL;
    }
    ps->sink.write = psink_write;
    ps->sink.rewind = psink_rewind;
    ps->sink.ud = ps;
    return ps;
}

const omics_sink *omics_path_sink_sink(omics_path_sink *ps)
{
    return &ps->sink;
}

int omics_path_sink_finish(omics_path_sink *ps, int ok, omics_error *err)
{
    if (!ps)
        return 0;
    int rc = 0;
    if (ok) {
        int bad = fflush(ps->f) != 0 || fsync(fileno(ps->f)) != 0;
        int e = errno;
        if (fclose(ps->f) != 0 && !bad) {
            bad = 1;
            e = errno;
        }
        ps->f = NULL;
        if (!bad && rename(ps->tmp, ps->path) != 0) {
            bad = 1;
            e = errno;
        }
        if (bad) {
            unlink(ps->tmp);
            rc = omics_error_set(err, OMICS_ETRANSPORT, "StreamWriteError",
                                 "sink: could not complete %s: %s", ps->path, strerror(e));
        }
    }
    psink_free(ps);
    return rc;
}
