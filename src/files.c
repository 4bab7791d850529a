/* files: an open stdio FILE as a streaming payload's reader (from where it
 * stands to its end, replayable for a retry) or as a sink. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "omics.h"

typedef struct file_reader {
    omics_reader r;
    FILE *f;
    long long start, left;
} file_reader;

static long long reader_read(void *ud, char *p, size_t n, char *errbuf, size_t errlen)
{
    file_reader *fr = ud;
    if ((long long)n > fr->left)
        n = (size_t)fr->left;
    size_t got = n ? fread(p, 1, n, fr->f) : 0;
    if (got < n && ferror(fr->f)) {
        snprintf(errbuf, errlen, "%s", strerror(errno));
        return -1;
    }
    if (got < n) {
        snprintf(errbuf, errlen, "the file ended %lld bytes early", fr->left - (long long)got);
        return -1;
    }
    fr->left -= (long long)got;
    return (long long)got;
}

static int reader_rewind(void *ud)
{
    file_reader *fr = ud;
    fr->left = fr->r.length;
    return fseeko(fr->f, (off_t)fr->start, SEEK_SET);
}

const omics_reader *omics_file_reader(omics_arena *a, FILE *f, omics_error *err)
{
    file_reader *fr = omics_arena_alloc(a, sizeof *fr);
    if (!fr)
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory"), NULL;
    off_t start = ftello(f), end = -1;
    if (start >= 0 && fseeko(f, 0, SEEK_END) == 0)
        end = ftello(f);
    if (start < 0 || end < 0 || fseeko(f, start, SEEK_SET) != 0) {
        omics_error_set(err, OMICS_EVALIDATION, "ParamValidationError",
                        "a file that cannot seek (a pipe?) has no length to send");
        return NULL;
    }
    fr->f = f;
    fr->start = (long long)start;
    fr->r.read = reader_read;
    fr->r.rewind = reader_rewind;
    fr->r.ud = fr;
    fr->r.length = fr->left = (long long)(end - start);
    return &fr->r;
}

static int sink_write(void *ud, const char *p, size_t n, char *errbuf, size_t errlen)
{
    if (fwrite(p, 1, n, (FILE *)ud) != n) {
        snprintf(errbuf, errlen, "%s", strerror(errno));
        return -1;
    }
    return 0;
}

void omics_file_sink(omics_sink *s, FILE *f)
{
    s->write = sink_write;
    s->rewind = NULL; /* the caller's file: what was written stays */
    s->ud = f;
}
