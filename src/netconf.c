/* netconf: how a client reaches its endpoint: through which proxy (the
 * proxy option, else HTTPS_PROXY / HTTP_PROXY as curl and the AWS SDKs
 * read them, unless NO_PROXY names the host) and with which CA bundle (the
 * ca_file option, else AWS_CA_BUNDLE, else the profile's ca_bundle).  Both
 * drivers get what is decided here: libcurl as its options, the cosocket
 * driver through the engine's wire (omics_wire.proxy_*). */
#include "netconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *env_either(const char *upper, const char *lower)
{
    const char *v = config_env(upper);
    if (!v || !*v)
        v = config_env(lower);
    return v && *v ? v : NULL;
}

/* NO_PROXY: "*", or host names, domain suffixes (".example.com" or
 * "example.com", which covers its subdomains) and addresses, by commas. */
static int no_proxy_names(const char *list, const char *host)
{
    size_t hl = strlen(host);
    while (list && *list) {
        while (*list == ' ' || *list == ',')
            list++;
        size_t n = strcspn(list, ",");
        size_t k = n;
        while (k && list[k - 1] == ' ')
            k--;
        const char *colon = memchr(list, ':', k); /* host:port: the host */
        if (colon && list[0] != '[')
            k = (size_t)(colon - list);
        const char *e = list;
        if (k && *e == '.') {
            e++;
            k--;
        }
        if (k == 1 && *e == '*')
            return 1;
        if (k && hl >= k && strncasecmp(host + hl - k, e, k) == 0 &&
            (hl == k || host[hl - k - 1] == '.'))
            return 1;
        list += n;
    }
    return 0;
}

int netconf_proxy(const omics_client_opts *o, const char *scheme, const char *host, char **out,
                  omics_error *err)
{
    *out = NULL;
    const char *url = o->proxy, *from = "the proxy option";
    if (!url) {
        int https = strcmp(scheme, "https") == 0;
        url = https ? env_either("HTTPS_PROXY", "https_proxy") : env_either("HTTP_PROXY", "http_proxy");
        from = https ? "HTTPS_PROXY" : "HTTP_PROXY";
        if (url && no_proxy_names(env_either("NO_PROXY", "no_proxy"), host))
            url = NULL;
    }
    if (!url || !*url)
        return 0;
    /* http://host:port (a proxy spoken to in plain HTTP, CONNECT for https) */
    const char *rest = strncasecmp(url, "http://", 7) == 0 ? url + 7 : url;
    if (strchr(rest, '@')) /* (never repeated: it holds a password) */
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "%s: expected http://host:port (a proxy without credentials), "
                               "not a URL with a user name and password", from);
    if (strstr(rest, "://") || !*rest)
        return omics_error_set(err, OMICS_ECONFIG, "InvalidOption",
                               "%s: expected http://host:port (a proxy without credentials), "
                               "not %.60s", from, url);
    size_t n = strlen(rest) + 8;
    if (!(*out = malloc(n)))
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    snprintf(*out, n, "http://%s", rest);
    size_t len = strlen(*out);
    if ((*out)[len - 1] == '/')
        (*out)[len - 1] = '\0';
    return 0;
}

const char *netconf_ca_bundle(const omics_client_opts *o, const config_profile *p)
{
    if (o->ca_file)
        return o->ca_file;
    const char *v = config_env("AWS_CA_BUNDLE");
    if (v && *v)
        return v;
    return config_profile_get(p, "ca_bundle");
}
