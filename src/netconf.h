/* netconf: the proxy and the CA bundle of a client (see netconf.c). */
#ifndef OMICS_NETCONF_H
#define OMICS_NETCONF_H

#include "config.h"
#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

/* The proxy URL for the endpoint (scheme, host) as "http://host:port"
 * (malloc'd), or *out NULL for none; -1 with err for a proxy that is not
 * http://host:port. */
int netconf_proxy(const omics_client_opts *o, const char *scheme, const char *host, char **out,
                  omics_error *err);
/* The CA bundle: ca_file, AWS_CA_BUNDLE, the profile's ca_bundle; or NULL. */
const char *netconf_ca_bundle(const omics_client_opts *o, const config_profile *p);

#pragma GCC visibility pop

#endif
