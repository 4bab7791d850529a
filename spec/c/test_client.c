/* The client from C: a callback of omics_call (here the log, which sees the
 * request before it is sent) that uses the same client again gets ClientBusy
 * instead of resetting the request in flight; the call itself goes on, and
 * the client is usable again once it returns.  No server: the endpoint
 * refuses connections, which is all the outer call needs. */
#include <stdlib.h>

#include "ctest.h"
#include "omics.h"

typedef struct probe {
    omics_client *c;
    const omics_op *op;
    const omics_value *params;
    int calls;
    char prepare_code[96], sign_code[96], send_code[96], call_code[96];
} probe;

static int b_ok(void *ud) { (void)ud; return 0; }
static int b_bool(void *ud, int b) { (void)ud; (void)b; return 0; }
static int b_int(void *ud, int64_t i) { (void)ud; (void)i; return 0; }
static int b_num(void *ud, double d) { (void)ud; (void)d; return 0; }
static int b_str(void *ud, const char *s, size_t n) { (void)ud; (void)s; (void)n; return 0; }
static int b_tab(void *ud, size_t a, size_t r) { (void)ud; (void)a; (void)r; return 0; }
static int b_field(void *ud, const char *k, size_t n) { (void)ud; (void)k; (void)n; return 0; }
static int b_index(void *ud, size_t i) { (void)ud; (void)i; return 0; }

static const omics_builder quiet = {NULL,    b_ok,  b_bool, b_int, b_num, b_str,
                                    b_tab,   b_field, b_index, b_ok, NULL};

static void copy_code(char *to, const omics_error *err, int rc)
{
    snprintf(to, 96, "%s", rc == 0 ? "(none)" : err->code);
}

static void on_log(void *ud, int level, const char *message)
{
    (void)level;
    probe *p = ud;
    if (!p->c || strncmp(message, "attempt ", 8) != 0 || p->calls++)
        return;
    omics_error err;
    omics_request req;
    omics_response resp;
    int has_data;
    omics_error_init(&err);
    copy_code(p->prepare_code, &err, omics_prepare(p->c, p->op, p->params, &req, &err));
    omics_error_clear(&err);
    copy_code(p->sign_code, &err, omics_sign_request(p->c, &req, &err));
    omics_error_clear(&err);
    copy_code(p->send_code, &err, omics_send(p->c, &req, NULL, &resp, &err));
    omics_error_clear(&err);
    copy_code(p->call_code, &err, omics_call(p->c, p->op, p->params, NULL, &quiet, &has_data, &err));
    omics_error_clear(&err);
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    CHECK(m != NULL);
    if (!m)
        CTEST_DONE();
    omics_credentials creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, 0, "option"};
    probe p;
    memset(&p, 0, sizeof p);
    omics_client_opts o;
    memset(&o, 0, sizeof o);
    o.region = "us-east-1";
    o.endpoint = "http://127.0.0.1:1";
    o.credentials = &creds;
    o.max_attempts = 1;
    o.connect_timeout = 2;
    o.log = on_log;
    o.log_ud = &p;
    omics_client *c = omics_client_new(m, &o, &err);
    CHECK(c != NULL);
    if (!c)
        CTEST_DONE();
    p.c = c;
    p.op = omics_model_op(m, "GetReferenceMetadata");
    CHECK(p.op != NULL);
    omics_entry items[2] = {
        {{OMICS_V_STR, {.s = {"referenceStoreId", 16}}}, {OMICS_V_STR, {.s = {"1234567890", 10}}}},
        {{OMICS_V_STR, {.s = {"id", 2}}}, {OMICS_V_STR, {.s = {"9876543210", 10}}}},
    };
    omics_value params = {OMICS_V_TABLE, {.t = {items, 2}}};
    p.params = &params;

    int has_data = 0;
    int rc = omics_call(c, p.op, &params, NULL, &quiet, &has_data, &err);
    /* the outer call ran to its own end: the endpoint refused it */
    CHECK(rc == -1);
    CHECK_STR(err.code, "ConnectionError");
    CHECK(p.calls == 1);
    CHECK_STR(p.prepare_code, "ClientBusy");
    CHECK_STR(p.sign_code, "ClientBusy");
    CHECK_STR(p.send_code, "ClientBusy");
    CHECK_STR(p.call_code, "ClientBusy");
    omics_error_clear(&err);

    /* idle again: the stages work */
    omics_request req;
    p.c = NULL;
    CHECK(omics_prepare(c, p.op, &params, &req, &err) == 0);
    CHECK_STR(req.method, "GET");
    CHECK(omics_sign_request(c, &req, &err) == 0);
    omics_error_clear(&err);
    omics_client_free(c);
    CTEST_DONE();
}
