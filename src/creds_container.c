/* creds_container: ECS task and EKS pod credentials, from the endpoint named
 * by AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
 * AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or a loopback, ECS or EKS
 * address), with the token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 * AWS_CONTAINER_AUTHORIZATION_TOKEN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "endpoint.h"
#include "http.h"

#define CONTAINER_TIMEOUT 2.0

static int allowed_host(const endpoint *ep)
{
    if (strcmp(ep->scheme, "https") == 0)
        return 1;
    const char *h = ep->host;
    return strncmp(h, "127.", 4) == 0 || strcmp(h, "[::1]") == 0 || strcmp(h, "localhost") == 0 ||
           strcmp(h, "169.254.170.2") == 0 || strcmp(h, "169.254.170.23") == 0 ||
           strcmp(h, "[fd00:ec2::23]") == 0;
}

int creds_container(omics_credentials *out, omics_error *err)
{
    const char *rel = config_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = config_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (!rel && !full)
        return 0;
    buf url;
    buf_init(&url);
    if (rel)
        buf_addf(&url, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel);
    else
        buf_adds(&url, full);
    endpoint ep;
    int rc = -1;
    char *token = NULL;
    if (url.oom) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        buf_free(&url);
        return -1;
    }
    if (endpoint_parse(url.p, &ep, err)) {
        buf_free(&url);
        return -1;
    }
    if (!rel && !allowed_host(&ep)) {
        omics_error_set(err, OMICS_ECREDENTIALS, "InvalidContainerCredentialsUri",
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or a loopback, "
                        "ECS (169.254.170.2) or EKS (169.254.170.23) address: %s",
                        ep.host);
        goto done;
    }
    const char *token_file = config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    if (token_file) {
        token = creds_read_file(token_file, "ContainerTokenError", err);
        if (!token)
            goto done;
    } else if (config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) {
        token = strdup(config_env("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
        if (!token) {
            omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
            goto done;
        }
    }
    if (token && strpbrk(token, "\r\n")) {
        omics_error_set(err, OMICS_ECREDENTIALS, "ContainerTokenError",
                        "the container authorization token holds a CR or LF");
        goto done;
    }
    buf header;
    buf_init(&header);
    if (token)
        buf_addf(&header, "Authorization: %s", token);
    const char *lines[1] = {header.p};
    http_fetch_req req = {"GET", url.p, lines, token ? 1 : 0, NULL, 0, CONTAINER_TIMEOUT, 1.0,
                          NULL};
    buf body;
    buf_init(&body);
    long status = 0;
    if (header.oom)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    else if (creds_fetch_http(&req, &status, &body, err) == 0) {
        if (status != 200) {
            omics_error_set(err, OMICS_ECREDENTIALS, "ContainerCredentialsError",
                            "the container credentials endpoint answered HTTP %ld", status);
            err->retryable = status >= 500;
        } else if (creds_from_json(body.p ? body.p : "", body.len, "AccessKeyId",
                                   "SecretAccessKey", "Token", "Expiration", 0,
                                   "container-role", out, err) == 0) {
            rc = 1;
        }
    }
    if (header.p)
        memset(header.p, 0, header.len);
    buf_free(&header);
    if (body.p)
        memset(body.p, 0, body.len);
    buf_free(&body);
done:
    if (token) {
        memset(token, 0, strlen(token));
        free(token);
    }
    endpoint_clear(&ep);
    buf_free(&url);
    return rc;
}
