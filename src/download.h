/* download: the internals download.c and download_run.c share (the public
 * API is omics_download_* in omics.h). */
#ifndef OMICS_DOWNLOAD_H
#define OMICS_DOWNLOAD_H

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

#define DL_MAX_FILES 3

typedef struct dl_file {
    char file[16];          /* "SOURCE1", "INDEX", ... as the part calls name it */
    char *path;             /* where it goes (".gz" may be added at the end) */
    char *temp;             /* path + ".omics-partial" */
    char *state;            /* path + ".omics-state" */
    int fd;                 /* the temporary file, -1 when closed */
    int st;                 /* the state file (appended to), -1 when none */
    long long length, part_size;
    int parts;
    unsigned char *done;    /* per part: fetched and checked */
    int gzip_name;          /* FASTQ: ".gz" when the bytes are gzip */
} dl_file;

typedef struct dl_part {
    omics_download *d;
    dl_file *f;
    int number;             /* from 1 */
    long long offset, expected, got;
    omics_sink sink;
    omics_entry items[4];
    omics_value params;
} dl_part;

struct omics_download {
    omics_client *c;
    const omics_op *op;     /* GetReadSet or GetReference */
    dl_file files[DL_MAX_FILES];
    size_t nfiles;
    dl_part *parts;         /* the part calls still to make */
    size_t nparts;
    long long total, done_bytes, fetched;
    int resumed;            /* parts found finished by an earlier run */
    int resume;
    omics_download_progress_fn progress;
    void *progress_ud;
    double last_progress;
    const char *progress_file;
    char progress_error[256];
    int finished;
    char *strings;          /* the ids the part calls send (one block) */
};

#pragma GCC visibility pop

#endif
