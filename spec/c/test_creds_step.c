/* A provider stepped by a driver of its own (omics_provider_next): the
 * fetches it asks for, in order, answered by hand or as raw bytes; a
 * command to run; the refresh windows of workers sharing a cache; and the
 * misuse of the interface.  Nothing here touches a network or a child. */
#define _GNU_SOURCE /* setenv, mkdtemp */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctest.h"
#include "omics.h"

static char dir[64];
static double now_value;

static double fake_clock(void *ud)
{
    (void)ud;
    return now_value;
}

static void environment(const char *config)
{
    char path[128];
    snprintf(path, sizeof path, "%s/config", dir);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(config, f);
        fclose(f);
    }
    setenv("AWS_CONFIG_FILE", path, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    unsetenv("AWS_ROLE_ARN");
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9", 1);
}

static omics_provider *provider(void)
{
    omics_provider_opts o;
    memset(&o, 0, sizeof o);
    o.region = "us-east-1";
    o.clock = fake_clock;
    omics_error err;
    omics_error_init(&err);
    omics_provider *p = omics_provider_new(&o, &err);
    omics_error_clear(&err);
    return p;
}

static int has_header(const omics_fetch *f, const char *line)
{
    for (size_t i = 0; i < f->nheaders; i++)
        if (strcmp(f->headers[i], line) == 0)
            return 1;
    return 0;
}

#define CREDS_JSON(exp)                                                                        \
    "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"s3cret\","     \
    "\"Token\":\"tok\",\"Expiration\":\"" exp "\"}"

/* IMDSv2 as three fetches: the token, the role, its credentials. */
static void test_instance_metadata_by_hand(void)
{
    environment("[default]\n");
    now_value = 1700000000; /* 2023-11-14T22:13:20Z */
    omics_provider *p = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK_STR(f->method, "PUT");
    CHECK_STR(f->url, "http://127.0.0.1:9/latest/api/token");
    CHECK(has_header(f, "X-aws-ec2-metadata-token-ttl-seconds: 21600"));
    /* asked again before an answer: the same fetch */
    const omics_fetch *again;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &again, &err) == OMICS_CREDS_FETCH);
    CHECK(again == f);
    CHECK(omics_provider_answered(p, 200, "TOKEN", 5, &err) == 0);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK_STR(f->url, "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/");
    CHECK(has_header(f, "X-aws-ec2-metadata-token: TOKEN"));
    CHECK(omics_provider_answered(p, 200, "omics-role\n", 11, &err) == 0);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK_STR(f->url, "http://127.0.0.1:9/latest/meta-data/iam/security-credentials/omics-role");
    const char *json = CREDS_JSON("2023-11-15T00:13:20Z");
    CHECK(omics_provider_answered(p, 200, json, strlen(json), &err) == 0);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_READY);
    /* no fetch: the blocking call returns them as they are */
    const omics_credentials *c = omics_provider_credentials(p, &err);
    CHECK(c && strcmp(c->access_key_id, "ASIAEXAMPLE") == 0);
    CHECK(c && c->expiration == 1700000000 + 7200);
    CHECK_STR(c ? c->provider : NULL, "ec2-instance-metadata");
    /* nothing is pending now */
    CHECK(omics_provider_answered(p, 200, "x", 1, &err) == -1);
    CHECK_STR(err.code, "NothingPending");
    omics_error_clear(&err);
    omics_provider_release(p);
}

/* The same fetches as bytes: the request's bytes, the answer fed in pieces. */
static void test_raw_bytes(void)
{
    environment("[default]\n");
    now_value = 1700000000;
    omics_provider *p = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    omics_wire w;
    CHECK(omics_provider_wire(p, &w, &err) == 0);
    CHECK_STR(w.host, "127.0.0.1");
    CHECK(w.port == 9 && !w.https && w.proxy_host[0] == '\0');
    CHECK(w.len > 30 && strncmp(w.bytes, "PUT /latest/api/token HTTP/1.1\r\n", 32) == 0);
    CHECK(strstr(w.bytes, "\r\nHost: 127.0.0.1:9\r\n") != NULL);
    CHECK(strstr(w.bytes, "\r\nContent-Length: 0\r\n") != NULL);
    omics_received r;
    const char *a1 = "HTTP/1.1 200 OK\r\nContent-Len", *a2 = "gth: 5\r\n\r\nTOKEN";
    CHECK(omics_provider_receive(p, a1, strlen(a1), &r) == 1 && r.wait > 0);
    CHECK(omics_provider_receive(p, a2, strlen(a2), &r) == 0 && r.keep);
    /* the role: the connection closes before the answer ends */
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK(omics_provider_wire(p, &w, &err) == 0);
    CHECK(strstr(w.bytes, "\r\nX-aws-ec2-metadata-token: TOKEN\r\n") != NULL);
    const char *cut = "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nomics";
    CHECK(omics_provider_receive(p, cut, strlen(cut), &r) == 1);
    CHECK(omics_provider_receive_end(p, OMICS_WIRE_CLOSED, NULL, &r) == 0 && !r.keep);
    /* IMDS without a usable answer: no instance metadata, no credentials */
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == -1);
    CHECK_STR(err.code, "NoCredentialsError");
    CHECK(err.message && strstr(err.message, "EC2 instance metadata") != NULL);
    omics_error_clear(&err);
    omics_provider_release(p);
}

/* credential_process: a command to run, its output handed back. */
static void test_command(void)
{
    environment("[default]\ncredential_process = /opt/bin/creds --role app\n");
    now_value = 1700000000;
    omics_provider *p = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_RUN);
    CHECK_STR(f->command, "/opt/bin/creds --role app");
    CHECK(f->timeout == 60 && f->max_output > 0);
    /* (an HTTP answer is refused for a command) */
    CHECK(omics_provider_ran(p, 1, "", 0, "denied\n", 7, &err) == 0);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == -1);
    CHECK_STR(err.code, "CredentialProcessError");
    CHECK(err.message && strstr(err.message, "status 1: denied") != NULL);
    omics_error_clear(&err);
    /* again, and this time it prints credentials */
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_RUN);
    const char *out = "{\"Version\":1,\"AccessKeyId\":\"AKIDPROC\",\"SecretAccessKey\":\"x\"}";
    CHECK(omics_provider_ran(p, 0, out, strlen(out), "", 0, &err) == 0);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_READY);
    const omics_credentials *c = omics_provider_credentials(p, &err);
    CHECK(c && strcmp(c->access_key_id, "AKIDPROC") == 0);
    omics_provider_release(p);
}

/* Workers sharing a cache: who refreshes, who waits, who goes on. */
static void test_shared_windows(void)
{
    environment("[default]\ncredential_process = creds\n");
    now_value = 1700000000;
    omics_provider *one = provider(), *two = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f;
    CHECK_STR(omics_provider_key(one), omics_provider_key(two));
    /* nothing cached: SHARED says a refresh is due; BUSY says wait */
    CHECK(omics_provider_next(two, OMICS_CREDS_SHARED, &f, &err) == OMICS_CREDS_REFRESH);
    CHECK(omics_provider_next(two, OMICS_CREDS_BUSY, &f, &err) == OMICS_CREDS_WAIT);
    double expires = 0;
    CHECK(omics_provider_export(one, &expires) == NULL);
    /* one fetches (an hour), exports; two takes them */
    CHECK(omics_provider_next(one, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_RUN);
    const char *out = "{\"Version\":1,\"AccessKeyId\":\"AKID1\",\"SecretAccessKey\":\"s1\","
                      "\"SessionToken\":\"t1\",\"Expiration\":\"2023-11-14T23:13:20Z\"}";
    CHECK(omics_provider_ran(one, 0, out, strlen(out), "", 0, &err) == 0);
    CHECK(omics_provider_next(one, OMICS_CREDS_SHARED, &f, &err) == OMICS_CREDS_READY);
    char *text = omics_provider_export(one, &expires);
    CHECK(text != NULL && expires == 1700003600);
    CHECK(omics_provider_offer(two, text, text ? strlen(text) : 0, &err) == 1);
    CHECK(omics_provider_offer(two, text, text ? strlen(text) : 0, &err) == 0); /* not newer */
    free(text);
    CHECK(omics_provider_next(two, OMICS_CREDS_SHARED, &f, &err) == OMICS_CREDS_READY);
    const omics_credentials *c = omics_provider_credentials(two, &err);
    CHECK(c && strcmp(c->session_token, "t1") == 0 && strcmp(c->provider, "credential-process") == 0);
    /* 800 s left (advisory): due, but usable while another refreshes */
    now_value = 1700003600 - 800;
    CHECK(omics_provider_next(two, OMICS_CREDS_SHARED, &f, &err) == OMICS_CREDS_REFRESH);
    CHECK(omics_provider_next(two, OMICS_CREDS_BUSY, &f, &err) == OMICS_CREDS_READY);
    /* 300 s left (mandatory): not usable; wait for the other's */
    now_value = 1700003600 - 300;
    CHECK(omics_provider_next(two, OMICS_CREDS_BUSY, &f, &err) == OMICS_CREDS_WAIT);
    /* the refresh of one fails: in the mandatory window that is an error */
    CHECK(omics_provider_next(one, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_RUN);
    omics_error why;
    omics_error_init(&why);
    omics_error_set(&why, OMICS_ECREDENTIALS, "CredentialProcessError", "no answer");
    CHECK(omics_provider_failed(one, &why, &err) == 0);
    omics_error_clear(&why);
    CHECK(omics_provider_next(one, OMICS_CREDS_ALONE, &f, &err) == -1);
    CHECK_STR(err.code, "CredentialProcessError");
    CHECK(err.message && strstr(err.message, "within 10 minutes") != NULL);
    omics_error_clear(&err);
    /* what a cache holds that is not credentials */
    CHECK(omics_provider_offer(two, "omics-creds-1\nA\nB", 17, &err) == -1);
    CHECK_STR(err.code, "SharedCredentialsError");
    CHECK(err.message && strstr(err.message, "B") == NULL);
    omics_error_clear(&err);
    omics_provider_release(one);
    omics_provider_release(two);
}

/* A second stepper (another coroutine of the worker) while a refresh is
 * under way: BUSY says whether the cached ones do, and leaves the pending
 * fetch and its half-read answer alone. */
static void test_busy_while_stepping(void)
{
    environment("[default]\n");
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds", 1);
    now_value = 1700000000;
    omics_provider *p = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f, *g = NULL;
    omics_wire w;
    omics_received r;
    const char *json = CREDS_JSON("2023-11-14T23:13:20Z");
    char answer[512];
    snprintf(answer, sizeof answer, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(json), json);
    for (int round = 0; round < 2; round++) {
        CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
        CHECK(omics_provider_wire(p, &w, &err) == 0);
        CHECK(omics_provider_receive(p, answer, 40, &r) == 1);
        /* none yet (round 0), or 800 s left (round 1: advisory) */
        CHECK(omics_provider_next(p, OMICS_CREDS_BUSY, &g, &err) ==
              (round ? OMICS_CREDS_READY : OMICS_CREDS_WAIT));
        CHECK(g == NULL);
        CHECK(omics_provider_receive(p, answer + 40, strlen(answer) - 40, &r) == 0);
        CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_READY);
        now_value = 1700003600 - 800;
    }
    /* 300 s left (mandatory) while a refresh is under way: wait for it */
    now_value = 1700003600 - 300;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK(omics_provider_next(p, OMICS_CREDS_BUSY, &g, &err) == OMICS_CREDS_WAIT);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &g, &err) == OMICS_CREDS_FETCH && g == f);
    unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    omics_error_clear(&err);
    omics_provider_release(p);
}

/* The sources asked for another fetch than the one answered before. */
static void test_replay_changed(void)
{
    environment("[default]\n");
    now_value = 1700000000;
    omics_provider *p = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK(omics_provider_answered(p, 200, "TOKEN", 5, &err) == 0);
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.2:9", 1);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == -1);
    CHECK_STR(err.code, "CredentialsReplayError");
    omics_error_clear(&err);
    omics_provider_release(p);
}

/* What the configuration or a hostile answer puts in a request's line or
 * headers (CR, LF, any control character) never reaches the wire. */
static void test_control_characters(void)
{
    environment("[default]\n");
    now_value = 1700000000;
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9/x\r\nInjected: 1", 1);
    omics_provider *p = provider();
    omics_error err;
    omics_error_init(&err);
    const omics_fetch *f = NULL;
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == -1);
    CHECK(f == NULL);
    CHECK_STR(err.code, "NoCredentialsError");
    CHECK(err.message && strstr(err.message, "URL holds a space or a control character") != NULL);
    omics_error_clear(&err);
    omics_provider_release(p);
    /* an IMDSv2 token with a control character: the next request is refused */
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9", 1);
    p = provider();
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == OMICS_CREDS_FETCH);
    CHECK(omics_provider_answered(p, 200, "SECRET\x01X", 8, &err) == 0);
    CHECK(omics_provider_next(p, OMICS_CREDS_ALONE, &f, &err) == -1);
    CHECK_STR(err.code, "NoCredentialsError");
    CHECK(err.message &&
          strstr(err.message, "header X-aws-ec2-metadata-token holds a control character"));
    CHECK(err.message && strstr(err.message, "SECRET") == NULL);
    omics_error_clear(&err);
    omics_provider_release(p);
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/omics-creds-step-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    RUN(test_instance_metadata_by_hand);
    RUN(test_raw_bytes);
    RUN(test_command);
    RUN(test_shared_windows);
    RUN(test_replay_changed);
    RUN(test_control_characters);
    RUN(test_busy_while_stepping);
    char path[128];
    snprintf(path, sizeof path, "%s/config", dir);
    unlink(path);
    rmdir(dir);
    CTEST_DONE();
}
