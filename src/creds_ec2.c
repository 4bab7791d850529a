/* creds_ec2: EC2 instance metadata, IMDSv2 (a session token first; IMDSv1
 * only when AWS_EC2_METADATA_V1_DISABLED is not true), all within a
 * one-second budget so that a machine outside EC2 is not held up. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "config.h"
#include "creds.h"
#include "http.h"

#define EC2_BUDGET 1.0
#define EC2_TOKEN_TTL "21600"

typedef struct ec2_session {
    char base[256];
    char token[512]; /* "" for IMDSv1 */
    double deadline;
} ec2_session;

static const char *ec2_base(void)
{
    const char *e = config_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (e)
        return e;
    const char *mode = config_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (mode && strcasecmp(mode, "IPv6") == 0)
        return "http://[fd00:ec2::254]";
    return "http://169.254.169.254";
}

static int ec2_request(ec2_session *s, const char *method, const char *path, long *status,
                       buf *body, omics_error *err)
{
    double left = s->deadline - omics_now();
    if (left <= 0.01)
        return omics_error_set(err, OMICS_ETRANSPORT, "TimeoutError",
                               "instance metadata: out of its %.0f s budget", EC2_BUDGET);
    char url[512], header[600];
    size_t bl = strlen(s->base);
    snprintf(url, sizeof url, "%.*s%s", (int)(bl && s->base[bl - 1] == '/' ? bl - 1 : bl),
             s->base, path);
    const char *lines[1] = {header};
    size_t n = 0;
    if (strcmp(method, "PUT") == 0) {
        snprintf(header, sizeof header, "X-aws-ec2-metadata-token-ttl-seconds: " EC2_TOKEN_TTL);
        n = 1;
    } else if (s->token[0]) {
        snprintf(header, sizeof header, "X-aws-ec2-metadata-token: %s", s->token);
        n = 1;
    }
    http_fetch_req req = {method, url, lines, n, NULL, 0, left, left < 1.0 ? left : 1.0, NULL};
    return creds_fetch_http(&req, status, body, err);
}

/* Start a session: 1 ready, 0 no instance metadata here (why says so). */
static int ec2_open(ec2_session *s, buf *why, omics_error *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->base, sizeof s->base, "%s", ec2_base());
    s->deadline = creds_fetch_started() + EC2_BUDGET;
    buf body;
    buf_init(&body);
    long status = 0;
    omics_error e;
    omics_error_init(&e);
    int rc = 1;
    if (ec2_request(s, "PUT", "/latest/api/token", &status, &body, &e)) {
        buf_addf(why, "no answer from %s: %s", s->base, e.message ? e.message : e.code);
        rc = 0;
    } else if (status == 200 && body.len && body.len < sizeof s->token &&
               !memchr(body.p, '\n', body.len) && !memchr(body.p, '\r', body.len)) {
        memcpy(s->token, body.p, body.len);
        s->token[body.len] = '\0';
    } else if (status == 403 || status == 404 || status == 405) {
        const char *v1off = config_env("AWS_EC2_METADATA_V1_DISABLED");
        if (v1off && strcasecmp(v1off, "true") == 0) {
            omics_error_set(err, OMICS_ECREDENTIALS, "InstanceMetadataError",
                            "instance metadata refused an IMDSv2 token (HTTP %ld) and IMDSv1 "
                            "is disabled by AWS_EC2_METADATA_V1_DISABLED",
                            status);
            rc = -1;
        }
        /* else IMDSv1: no token */
    } else {
        buf_addf(why, "%s answered HTTP %ld for a token", s->base, status);
        rc = 0;
    }
    omics_error_clear(&e);
    if (body.p)
        memset(body.p, 0, body.len); /* the session token */
    buf_free(&body);
    return rc;
}

/* An IAM role name: 1 to 64 of letters, digits and +=,.@_- (what goes into
 * the next request's path, and into messages). */
static int role_name_ok(const char *s, size_t n)
{
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("+=,.@_-", c)))
            return 0;
    }
    return 1;
}

int creds_ec2(omics_credentials *out, buf *why, omics_error *err)
{
    ec2_session s;
    int rc = ec2_open(&s, why, err);
    if (rc <= 0)
        return rc;
    buf body;
    buf_init(&body);
    long status = 0;
    omics_error e;
    omics_error_init(&e);
    rc = 0;
    if (ec2_request(&s, "GET", "/latest/meta-data/iam/security-credentials/", &status, &body,
                    &e)) {
        buf_addf(why, "%s", e.message ? e.message : e.code);
    } else if (status == 404) {
        buf_adds(why, "no IAM role is attached to the instance");
    } else if (status != 200 || !body.len) {
        buf_addf(why, "HTTP %ld listing the instance's roles", status);
    } else if (!role_name_ok(body.p, strcspn(body.p, "\r\n"))) {
        /* (not echoed: a hostile answer may hold anything) */
        omics_error_set(err, OMICS_ECREDENTIALS, "InstanceMetadataError",
                        "instance metadata listed a role name that is not an IAM role name");
        rc = -1;
    } else {
        char role[256];
        size_t n = strcspn(body.p, "\r\n");
        snprintf(role, sizeof role, "%.*s", (int)n, body.p);
        char path[400];
        snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s", role);
        if (ec2_request(&s, "GET", path, &status, &body, &e)) {
            buf_addf(why, "%s", e.message ? e.message : e.code);
        } else if (status != 200) {
            omics_error_set(err, OMICS_ECREDENTIALS, "InstanceMetadataError",
                            "instance metadata answered HTTP %ld for role %s", status, role);
            rc = -1;
        } else {
            rc = creds_from_json(body.p, body.len, "AccessKeyId", "SecretAccessKey", "Token",
                                 "Expiration", 0, "ec2-instance-metadata", out, err) ? -1 : 1;
        }
    }
    if (body.p)
        memset(body.p, 0, body.len);
    buf_free(&body);
    omics_error_clear(&e);
    memset(s.token, 0, sizeof s.token);
    return rc;
}

int creds_ec2_region(char *out, size_t n)
{
    const char *off = config_env("AWS_EC2_METADATA_DISABLED");
    if (off && strcasecmp(off, "true") == 0)
        return -1;
    ec2_session s;
    buf why, body;
    buf_init(&why);
    buf_init(&body);
    omics_error e;
    omics_error_init(&e);
    long status = 0;
    int rc = -1;
    if (ec2_open(&s, &why, &e) > 0 &&
        ec2_request(&s, "GET", "/latest/meta-data/placement/region", &status, &body, &e) == 0 &&
        status == 200 && body.len && body.len < n) {
        size_t len = strcspn(body.p, "\r\n");
        memcpy(out, body.p, len);
        out[len] = '\0';
        rc = len ? 0 : -1;
    }
    omics_error_clear(&e);
    buf_free(&why);
    buf_free(&body);
    return rc;
}
