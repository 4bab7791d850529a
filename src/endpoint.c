#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "partitions.h"

void endpoint_clear(endpoint *e)
{
    free(e->url);
    free(e->scheme);
    free(e->host);
    free(e->port);
    free(e->base_path);
    memset(e, 0, sizeof *e);
}

int endpoint_region_valid(const char *region)
{
    size_t n = strlen(region);
    if (!n || n > 63 || region[0] == '-' || region[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = region[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int is_ipv4(const char *h)
{
    int dots = 0, digits = 0;
    for (; *h; h++) {
        if (*h == '.') {
            if (!digits)
                return 0;
            dots++;
            digits = 0;
        } else if (*h >= '0' && *h <= '9') {
            if (++digits > 3)
                return 0;
        } else {
            return 0;
        }
    }
    return dots == 3 && digits;
}

static char *dupn(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int bad(const char *url, const char *why, omics_error *err)
{
    return omics_error_set(err, OMICS_ECONFIG, "InvalidEndpoint", "endpoint \"%s\": %s", url,
                           why);
}

int endpoint_parse(const char *url, endpoint *out, omics_error *err)
{
    memset(out, 0, sizeof *out);
    const char *sep = strstr(url, "://");
    if (!sep)
        return bad(url, "not a URL (expected https://host[:port][/path])", err);
    size_t sl = (size_t)(sep - url);
    char scheme[8];
    if (sl >= sizeof scheme)
        return bad(url, "the scheme must be http or https", err);
    for (size_t i = 0; i < sl; i++)
        scheme[i] = (char)(url[i] >= 'A' && url[i] <= 'Z' ? url[i] + 32 : url[i]);
    scheme[sl] = '\0';
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        return bad(url, "the scheme must be http or https", err);
    const char *auth = sep + 3;
    size_t al = strcspn(auth, "/?#");
    const char *rest = auth + al;
    if (*rest == '?' || *rest == '#' || strpbrk(rest, "?#"))
        return bad(url, "an endpoint cannot have a query or a fragment", err);
    if (memchr(auth, '@', al))
        return bad(url, "an endpoint cannot carry a user name or password", err);
    for (const char *c = url; *c; c++)
        if ((unsigned char)*c <= ' ' || *c == 127)
            return bad(url, "spaces and control characters are not allowed", err);
    const char *host = auth, *host_end, *port = NULL;
    if (*auth == '[') {
        const char *close = memchr(auth, ']', al);
        if (!close)
            return bad(url, "an IPv6 address needs a closing ']'", err);
        host_end = close + 1;
        if (host_end < auth + al) {
            if (*host_end != ':')
                return bad(url, "unexpected text after the IPv6 address", err);
            port = host_end + 1;
        }
    } else {
        const char *colon = memchr(auth, ':', al);
        host_end = colon ? colon : auth + al;
        if (colon)
            port = colon + 1;
    }
    if (host_end == host)
        return bad(url, "no host", err);
    size_t pl = port ? (size_t)(auth + al - port) : 0;
    if (port) {
        if (!pl || pl > 5)
            return bad(url, "the port must be a number from 1 to 65535", err);
        long v = 0;
        for (size_t i = 0; i < pl; i++) {
            if (port[i] < '0' || port[i] > '9')
                return bad(url, "the port must be a number from 1 to 65535", err);
            v = v * 10 + (port[i] - '0');
        }
        if (v < 1 || v > 65535)
            return bad(url, "the port must be a number from 1 to 65535", err);
    }
    size_t rl = strlen(rest);
    while (rl && rest[rl - 1] == '/')
        rl--;
    out->scheme = dupn(scheme, sl);
    out->host = dupn(host, (size_t)(host_end - host));
    out->port = port ? dupn(port, pl) : NULL;
    out->base_path = dupn(rest, rl);
    out->url = dupn(url, strlen(url));
    if (!out->scheme || !out->host || (port && !out->port) || !out->base_path || !out->url) {
        endpoint_clear(out);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    for (char *c = out->host; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c + 32);
    out->literal = out->host[0] == '[' || is_ipv4(out->host) ||
                   strcmp(out->host, "localhost") == 0;
    return 0;
}

int endpoint_for_region(const char *prefix, const char *region, endpoint *out,
                        omics_error *err)
{
    if (!endpoint_region_valid(region))
        return omics_error_set(err, OMICS_ECONFIG, "InvalidRegion",
                               "region \"%s\" is not valid (letters, digits and '-')",
                               region);
    char url[512];
    snprintf(url, sizeof url, "https://%s.%s.%s", prefix, region,
             partition_of(region)->dns_suffix);
    return endpoint_parse(url, out, err);
}
