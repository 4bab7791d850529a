/* endpoint: the base URL of a service, from an override or from the region. */
#ifndef OMICS_ENDPOINT_H
#define OMICS_ENDPOINT_H

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef struct endpoint {
    char *url;       /* scheme://host[:port][/path] as resolved */
    char *scheme;    /* "https" or "http" */
    char *host;      /* without port; IPv6 literals keep their brackets */
    char *port;      /* NULL for the default port */
    char *base_path; /* "" or "/path" without a trailing slash */
    int literal;     /* an IP literal or localhost: no host prefix */
} endpoint;

/* Split and check an endpoint URL (http or https; no user, query or fragment). */
int endpoint_parse(const char *url, endpoint *out, omics_error *err);
/* https://{prefix}.{region}.{partition's DNS suffix} */
int endpoint_for_region(const char *prefix, const char *region, endpoint *out,
                        omics_error *err);
void endpoint_clear(endpoint *e);
/* A region is a DNS label: letters, digits and '-'. */
int endpoint_region_valid(const char *region);

#pragma GCC visibility pop

#endif
