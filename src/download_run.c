/* download_run: a download's part calls with curl multi, concurrency at a
 * time (omics_download_run in omics.h).  Each part's result is an empty
 * structure (its payload went to the part's sink), so the builder builds
 * nothing (nobuild.c). */
#include "download.h"
#include "nobuild.h"

typedef struct run {
    omics_download *d;
    omics_error first; /* the first part that failed */
    int failed;
} run;

static void part_ended(void *ud, size_t i, const omics_error *call_err, int has_data)
{
    (void)has_data;
    run *r = ud;
    omics_error e;
    omics_error_init(&e);
    if (omics_download_part_done(r->d, i, call_err, &e) && !r->failed) {
        r->failed = 1;
        r->first = e;
        return;
    }
    omics_error_clear(&e);
}

int omics_download_run(omics_download *d, int concurrency, omics_error *err)
{
    if (omics_multi_check_concurrency(concurrency, err))
        return -1;
    if (!d->nparts)
        return 0;
    omics_multi *m = omics_multi_new(d->c, concurrency, err);
    if (!m)
        return -1;
    for (size_t i = 0; i < d->nparts; i++) {
        const omics_op *op;
        const omics_value *params;
        const omics_sink *sink;
        omics_download_part(d, i, &op, &params, &sink);
        if (omics_multi_add(m, op, params, sink, &nobuild, NULL, err)) {
            omics_multi_free(m);
            return -1;
        }
    }
    run r = {d, {0}, 0};
    omics_error_init(&r.first);
    int rc = omics_multi_run(m, part_ended, &r, err);
    omics_multi_free(m);
    if (rc == 0 && r.failed) {
        omics_error_clear(err);
        *err = r.first;
        return -1;
    }
    omics_error_clear(&r.first);
    return rc;
}
