/* ser: turn parameters (an omics_value tree) into a rest-json HTTP request,
 * validating them against the operation's input shape on the way. */
#ifndef OMICS_SER_H
#define OMICS_SER_H

#include "buf.h"
#include "model.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct ser_endpoint {
    const char *scheme;    /* "https" or "http" */
    const char *host;      /* without port */
    const char *port;      /* NULL for the scheme's default */
    const char *base_path; /* "" or "/prefix" without a trailing slash */
    int host_prefix;       /* apply the operation's host prefix */
} ser_endpoint;

/* Memory the serializer reuses from call to call. */
typedef struct ser_scratch {
    buf body;
    buf path;
    buf query;
    buf tmp;
    buf errors;
    buf zbody; /* the body gzipped, when the operation asks for compression */
} ser_scratch;

void ser_scratch_init(ser_scratch *s);
void ser_scratch_free(ser_scratch *s);

/* Strings of the request are allocated in a (or point into the scratch and
 * into params); they live until both are reset. */
int ser_prepare(const omics_op *op, const omics_value *params, const ser_endpoint *ep,
                const char *user_agent, omics_arena *a, ser_scratch *s, omics_request *out,
                omics_error *err);

/* Serialize a document value (any JSON) into b; -1 when a value cannot be
 * JSON (NaN, a table with mixed keys).  Used for jsonvalue headers too. */
int ser_document(buf *b, const omics_value *v, int depth);

#pragma GCC visibility pop

#endif
