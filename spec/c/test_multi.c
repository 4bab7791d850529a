/* The curl multi driver against the emulator (a real server process on
 * loopback, started here): 100 calls in flight at once on one thread, the
 * concurrency bound and kept-alive connections, one failing call failing
 * only itself, retries of calls waiting side by side (in the test's own
 * virtual time), and the client busy while a run goes on. */
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctest.h"
#include "omics.h"

static pid_t emu_pid;
static char endpoint[64];
static char portfile[64];

static int start_emulator(void)
{
    snprintf(portfile, sizeof portfile, "/tmp/omics-test-multi.%ld", (long)getpid());
    unlink(portfile);
    emu_pid = fork();
    if (emu_pid < 0)
        return -1;
    if (emu_pid == 0) {
        unsetenv("LD_PRELOAD"); /* the sanitizers' runtimes are for this test only */
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execlp("python3", "python3", "tools/emulator/omics_emulator.py", "--port", "0",
               "--port-file", portfile, "--seed-demo", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        FILE *f = fopen(portfile, "r");
        int port = 0;
        if (f) {
            if (fscanf(f, "%d", &port) != 1)
                port = 0;
            fclose(f);
        }
        if (port > 0) {
            snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", port);
            return 0;
        }
        usleep(50 * 1000);
    }
    return -1;
}

static void stop_emulator(void)
{
    if (emu_pid > 0) {
        kill(emu_pid, SIGTERM);
        waitpid(emu_pid, NULL, 0);
    }
    unlink(portfile);
}

/* ------------------------------------------------ the control API */

static size_t keep(char *p, size_t size, size_t n, void *ud)
{
    char *out = ud;
    size_t have = strlen(out), len = size * n;
    if (have + len < 4096) {
        memcpy(out + have, p, len);
        out[have + len] = '\0';
    }
    return len;
}

/* POST (with a body) or GET a control path; the answer's text in out. */
static int control(const char *path, const char *body, char *out)
{
    char url[160];
    snprintf(url, sizeof url, "%s/_emulator/%s", endpoint, path);
    out[0] = '\0';
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    return rc == CURLE_OK ? 0 : -1;
}

/* A number after "key": in the stats' JSON. */
static long stat_of(const char *key)
{
    char out[4096], pat[64];
    if (control("stats", NULL, out))
        return -1;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(out, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* ------------------------------------------------ results */

#define NCALLS 100

/* A builder that keeps the last string built and, once it is set as the
 * field "name", the call's name: what each result says it is. */
static char last_string[128], built_name[128];
static int depth;
static int b_push(void *ud) { (void)ud; depth++; return 0; }
static int b_null(void *ud) { return b_push(ud); }
static int b_bool(void *ud, int v) { (void)v; return b_push(ud); }
static int b_int(void *ud, int64_t v) { (void)v; return b_push(ud); }
static int b_num(void *ud, double v) { (void)v; return b_push(ud); }
static int b_str(void *ud, const char *s, size_t n)
{
    snprintf(last_string, sizeof last_string, "%.*s", (int)n, s);
    return b_push(ud);
}
static int b_tab(void *ud, size_t a, size_t r) { (void)a; (void)r; return b_push(ud); }
static int b_field(void *ud, const char *k, size_t n)
{
    (void)ud;
    (void)n;
    if (strcmp(k, "name") == 0 && depth == 2)
        snprintf(built_name, sizeof built_name, "%s", last_string);
    depth--;
    return 0;
}
static int b_index(void *ud, size_t i) { (void)ud; (void)i; depth--; return 0; }
static int b_pop(void *ud) { (void)ud; depth--; return 0; }
static const omics_builder builder = {NULL,  b_null,  b_bool,  b_int, b_num, b_str,
                                      b_tab, b_field, b_index, b_pop, NULL};

typedef struct outcome {
    int ended;
    char code[96];   /* "" on success */
    char name[128];  /* the result's name */
    int attempts;
} outcome;

static outcome outcomes[NCALLS];
static omics_client *busy_probe; /* when set, done tries a call of its own */
static char busy_code[96];

static void on_done(void *ud, size_t i, const omics_error *err, int has_data)
{
    (void)ud;
    outcome *o = &outcomes[i];
    o->ended++;
    snprintf(o->code, sizeof o->code, "%s", err ? err->code : "");
    o->attempts = err ? err->attempts : 0;
    snprintf(o->name, sizeof o->name, "%s", err ? "" : built_name);
    if (has_data || !err) /* the result (or the error's members) is built: drop it */
        depth--;
    built_name[0] = '\0';
    if (busy_probe && !busy_code[0]) {
        omics_error e;
        omics_error_init(&e);
        int hd;
        omics_call(busy_probe, omics_model_op(omics_client_model(busy_probe),
                                                   "ListReferenceStores"),
                   NULL, NULL, &builder, &hd, &e);
        snprintf(busy_code, sizeof busy_code, "%s", e.code[0] ? e.code : "(none)");
        omics_error_clear(&e);
    }
}

/* ------------------------------------------------ the client */

static const omics_model *model;
static double virtual_seconds;
static void virtual_sleep(void *ud, double s) { (void)ud; virtual_seconds += s; }

static omics_client *new_client(int max_attempts)
{
    omics_credentials creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
                               0, "option"};
    omics_client_opts o;
    memset(&o, 0, sizeof o);
    o.region = "us-east-1";
    o.endpoint = endpoint;
    o.credentials = &creds;
    o.max_attempts = max_attempts;
    o.sleep = virtual_sleep;
    o.inject_host_prefix = 0;
    omics_error err;
    omics_error_init(&err);
    omics_client *c = omics_client_new(model, &o, &err);
    if (!c)
        fprintf(stderr, "client: %s: %s\n", err.code, err.message);
    omics_error_clear(&err);
    return c;
}

/* params: { referenceStoreId = store, id = id } */
typedef struct ref_params {
    omics_entry e[2];
    omics_value v;
} ref_params;

static omics_value str(const char *s)
{
    omics_value v;
    memset(&v, 0, sizeof v);
    v.type = OMICS_V_STR;
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

static void ref(ref_params *p, const char *store, const char *id)
{
    p->e[0].key = str("referenceStoreId");
    p->e[0].val = str(store);
    p->e[1].key = str("id");
    p->e[1].val = str(id);
    memset(&p->v, 0, sizeof p->v);
    p->v.type = OMICS_V_TABLE;
    p->v.u.t.items = p->e;
    p->v.u.t.n = 2;
}

static ref_params params[NCALLS];

/* Run n GetReferenceMetadata calls (params[0..n)) at `concurrency`. */
static omics_multi *run_calls(omics_client *c, int n, int concurrency, int *rc)
{
    omics_error err;
    omics_error_init(&err);
    memset(outcomes, 0, sizeof outcomes);
    depth = 0;
    const omics_op *op = omics_model_op(model, "GetReferenceMetadata");
    omics_multi *m = omics_multi_new(c, concurrency, &err);
    CHECK(m != NULL);
    if (!m) {
        omics_error_clear(&err);
        *rc = -1;
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        size_t index = 99999;
        CHECK(omics_multi_add(m, op, &params[i].v, NULL, &builder, &index, &err) == 0);
        CHECK(index == (size_t)i);
    }
    *rc = omics_multi_run(m, on_done, NULL, &err);
    if (*rc)
        fprintf(stderr, "run: %s: %s\n", err.code, err.message);
    omics_error_clear(&err);
    return m;
}

static void hundred_at_once(void)
{
    omics_client *c = new_client(3);
    CHECK(c != NULL);
    if (!c)
        return;
    for (int i = 0; i < NCALLS; i++)
        ref(&params[i], "1234567890", "9876543210");
    long before = stat_of("requests");
    int rc;
    omics_multi *m = run_calls(c, NCALLS, NCALLS, &rc);
    CHECK(rc == 0);
    int ok = 0;
    for (int i = 0; i < NCALLS; i++)
        ok += outcomes[i].ended == 1 && outcomes[i].code[0] == '\0' &&
              strcmp(outcomes[i].name, "demo-genome") == 0;
    CHECK(ok == NCALLS);
    /* one connection per call in flight: a connection is reused only once
     * idle, so 100 connections mean 100 calls were open at once */
    CHECK(m && omics_multi_connects(m) == NCALLS);
    CHECK(stat_of("requests") - before == NCALLS);
    CHECK(depth == 0);
    omics_multi_free(m);
    omics_client_free(c);
}

static void bounded_and_kept_alive(void)
{
    omics_client *c = new_client(3);
    CHECK(c != NULL);
    if (!c)
        return;
    for (int i = 0; i < 40; i++)
        ref(&params[i], "1234567890", "9876543210");
    int rc;
    omics_multi *m = run_calls(c, 40, 4, &rc);
    CHECK(rc == 0);
    int ok = 0;
    for (int i = 0; i < 40; i++)
        ok += outcomes[i].ended == 1 && outcomes[i].code[0] == '\0';
    CHECK(ok == 40);
    CHECK(m && omics_multi_connects(m) == 4); /* four slots, each kept alive */
    omics_multi_free(m);
    omics_client_free(c);
}

static void failures_are_their_own(void)
{
    omics_client *c = new_client(3);
    CHECK(c != NULL);
    if (!c)
        return;
    for (int i = 0; i < 12; i++) {
        if (i % 3 == 1)
            ref(&params[i], "1111111111", "9876543210"); /* no such store */
        else if (i % 3 == 2) {
            ref(&params[i], "1234567890", "9876543210");
            params[i].v.u.t.n = 1; /* no id: refused before anything is sent */
        } else
            ref(&params[i], "1234567890", "9876543210");
    }
    int rc;
    omics_multi *m = run_calls(c, 12, 5, &rc);
    CHECK(rc == 0);
    for (int i = 0; i < 12; i++) {
        CHECK(outcomes[i].ended == 1);
        if (i % 3 == 0)
            CHECK_STR(outcomes[i].name, "demo-genome");
        else if (i % 3 == 1)
            CHECK_STR(outcomes[i].code, "ResourceNotFoundException");
        else
            CHECK_STR(outcomes[i].code, "ParamValidationError");
    }
    CHECK(depth == 0);
    omics_multi_free(m);
    omics_client_free(c);
}

static void retries_wait_side_by_side(void)
{
    omics_client *c = new_client(3);
    CHECK(c != NULL);
    if (!c)
        return;
    char out[4096];
    /* the first 6 answers are 503s: 6 of the 10 calls retry (once each) */
    CHECK(control("faults",
                  "{\"faults\":[{\"operation\":\"GetReferenceMetadata\",\"status\":503,"
                  "\"code\":\"ServiceUnavailableException\",\"count\":6}]}",
                  out) == 0);
    for (int i = 0; i < 10; i++)
        ref(&params[i], "1234567890", "9876543210");
    long before = stat_of("requests");
    virtual_seconds = 0;
    int rc;
    omics_multi *m = run_calls(c, 10, 10, &rc);
    CHECK(rc == 0);
    int ok = 0;
    for (int i = 0; i < 10; i++)
        ok += outcomes[i].ended == 1 && outcomes[i].code[0] == '\0';
    CHECK(ok == 10);
    CHECK(stat_of("requests") - before == 16);
    /* the waits went through the client's sleep function, not real time */
    CHECK(virtual_seconds > 0);
    omics_multi_free(m);
    /* a call that keeps failing gives up after max_attempts, alone */
    CHECK(control("faults",
                  "{\"faults\":[{\"operation\":\"GetReferenceMetadata\",\"status\":503,"
                  "\"code\":\"ServiceUnavailableException\",\"count\":3}]}",
                  out) == 0);
    m = run_calls(c, 1, 2, &rc);
    CHECK(rc == 0);
    CHECK_STR(outcomes[0].code, "ServiceUnavailableException");
    CHECK(outcomes[0].attempts == 3);
    omics_multi_free(m);
    omics_client_free(c);
}

static void client_busy_during_run(void)
{
    omics_client *c = new_client(1);
    CHECK(c != NULL);
    if (!c)
        return;
    for (int i = 0; i < 3; i++)
        ref(&params[i], "1234567890", "9876543210");
    busy_probe = c;
    busy_code[0] = '\0';
    int rc;
    omics_multi *m = run_calls(c, 3, 2, &rc);
    busy_probe = NULL;
    CHECK(rc == 0);
    CHECK_STR(busy_code, "ClientBusy");
    CHECK(outcomes[2].ended == 1 && outcomes[2].code[0] == '\0');
    /* after the run, the client is free again */
    omics_error err;
    omics_error_init(&err);
    int hd;
    CHECK(omics_call(c, omics_model_op(model, "ListReferenceStores"), NULL, NULL,
                     &builder, &hd, &err) == 0);
    depth = 0;
    omics_error_clear(&err);
    omics_multi_free(m);
    omics_client_free(c);
}

/* omics_call_value: one call's result as a value tree, against the server */
static void call_value(void)
{
    omics_client *c = new_client(1);
    CHECK(c != NULL);
    if (!c)
        return;
    omics_arena *a = omics_arena_new(4096);
    omics_error err;
    omics_error_init(&err);
    const omics_op *op = omics_model_op(model, "GetReferenceMetadata");
    ref(&params[0], "1234567890", "9876543210");
    const omics_value *v = NULL;
    CHECK(omics_call_value(c, op, &params[0].v, NULL, a, &v, &err) == 0);
    const omics_value *name = omics_value_get(v, "name");
    CHECK(name && name->type == OMICS_V_STR && strcmp(name->u.s.p, "demo-genome") == 0);
    const omics_value *len = omics_value_get(
        omics_value_get(omics_value_get(v, "files"), "source"), "contentLength");
    CHECK(len && len->type == OMICS_V_INT && len->u.i == 12219);
    ref(&params[1], "1111111111", "9876543210");
    CHECK(omics_call_value(c, op, &params[1].v, NULL, a, &v, &err) == -1);
    CHECK_STR(err.code, "ResourceNotFoundException");
    const omics_value *msg = omics_value_get(v, "message"); /* the error's members */
    CHECK(msg && msg->type == OMICS_V_STR && msg->u.s.len > 0);
    omics_error_clear(&err);
    omics_arena_free(a);
    omics_client_free(c);
}

static void misuse(void)
{
    omics_client *c = new_client(1);
    CHECK(c != NULL);
    if (!c)
        return;
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_multi_new(c, 0, &err) == NULL);
    CHECK_STR(err.code, "ParamValidationError");
    CHECK(err.message && strstr(err.message, "concurrency") != NULL);
    omics_error_clear(&err);
    omics_multi *m = omics_multi_new(c, 2, &err);
    CHECK(m != NULL);
    CHECK(omics_multi_add(m, NULL, NULL, NULL, &builder, NULL, &err) == -1);
    omics_error_clear(&err);
    CHECK(omics_multi_run(m, NULL, NULL, &err) == -1);
    omics_error_clear(&err);
    /* nothing queued: a run that ends at once */
    CHECK(omics_multi_run(m, on_done, NULL, &err) == 0);
    omics_multi_free(m);
    omics_multi_free(NULL);
    omics_client_free(c);
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    model = omics_model_builtin(&err);
    CHECK(model != NULL);
    CHECK(start_emulator() == 0);
    if (!model || !endpoint[0]) {
        stop_emulator();
        CTEST_DONE();
    }
    RUN(hundred_at_once);
    RUN(bounded_and_kept_alive);
    RUN(failures_are_their_own);
    RUN(retries_wait_side_by_side);
    RUN(client_busy_during_run);
    RUN(call_value);
    RUN(misuse);
    stop_emulator();
    CTEST_DONE();
}
