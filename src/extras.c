/* extras: the model's paginators and waiters (botocore JSON kept as text by
 * the model loader), handed to a builder as plain data, and the clock the
 * waiting layers use. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "model.h"
#include "omics.h"

static int build_json(const cJSON *j, const omics_builder *b, int depth)
{
    if (depth > 64)
        return -1;
    if (cJSON_IsNull(j))
        return b->null(b->ud);
    if (cJSON_IsBool(j))
        return b->boolean(b->ud, cJSON_IsTrue(j));
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) < 9007199254740992.0)
            return b->integer(b->ud, (int64_t)d);
        return b->number(b->ud, d);
    }
    if (cJSON_IsString(j))
        return b->string(b->ud, j->valuestring, strlen(j->valuestring));
    int array = cJSON_IsArray(j);
    if (!array && !cJSON_IsObject(j))
        return -1;
    size_t n = (size_t)cJSON_GetArraySize(j), i = 0;
    if (b->table(b->ud, array ? n : 0, array ? 0 : n))
        return -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, j)
    {
        if (build_json(e, b, depth + 1))
            return -1;
        if (array ? b->set_index(b->ud, ++i) : b->set_field(b->ud, e->string, strlen(e->string)))
            return -1;
    }
    return 0;
}

int omics_model_extra(const omics_model *m, const char *which, const omics_builder *b,
                      omics_error *err)
{
    const char *text;
    size_t len;
    const char *key;
    if (strcmp(which, "paginators") == 0) {
        text = m->paginators;
        len = m->paginators_len;
        key = "pagination";
    } else if (strcmp(which, "waiters") == 0) {
        text = m->waiters;
        len = m->waiters_len;
        key = "waiters";
    } else {
        return omics_error_set(err, OMICS_EUSAGE, "InvalidArgument",
                               "the model holds \"paginators\" and \"waiters\", not \"%s\"",
                               which);
    }
    cJSON *root = text ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *section = cJSON_GetObjectItemCaseSensitive(root, key);
    int rc;
    if (!text)
        rc = b->table(b->ud, 0, 0); /* a model without any */
    else if (!cJSON_IsObject(section))
        rc = omics_error_set(err, OMICS_ECONFIG, "InvalidModel",
                             "the %s JSON has no \"%s\" object", which, key);
    else if (build_json(section, b, 0))
        rc = omics_error_set(err, OMICS_EMEMORY, "MemoryError",
                             "could not build the model's %s", which);
    else
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

double omics_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double omics_monotonic(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return omics_now();
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void omics_sleep(double seconds)
{
    if (!(seconds > 0))
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}
