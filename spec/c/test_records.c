/* What a binding asks of the core besides calls: errors as one line and by
 * path, the did-you-mean of a method, files as payloads and sinks, records
 * read from value trees and described through a builder. */
#include <stdlib.h>

#include "ctest.h"
#include "omics.h"

static omics_value str(const char *s)
{
    omics_value v;
    memset(&v, 0, sizeof v);
    v.type = OMICS_V_STR;
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

static omics_value integer(int64_t i)
{
    omics_value v;
    memset(&v, 0, sizeof v);
    v.type = OMICS_V_INT;
    v.u.i = i;
    return v;
}

typedef struct tab {
    omics_entry e[8];
    omics_value v;
} tab;

static void tab_init(tab *t)
{
    memset(t, 0, sizeof *t);
    t->v.type = OMICS_V_TABLE;
    t->v.u.t.items = t->e;
}

static void tab_set(tab *t, omics_value k, omics_value v)
{
    omics_entry *e = &t->e[t->v.u.t.n++];
    e->key = k;
    e->val = v;
}

/* A builder that writes what it is told as text: {k=v,...} and [v,...]. */
typedef struct text {
    char s[2048];
    size_t n;
} text;

static void put(text *t, const char *s)
{
    size_t k = strlen(s);
    if (t->n + k < sizeof t->s) {
        memcpy(t->s + t->n, s, k + 1);
        t->n += k;
    }
}

static int t_null(void *ud) { put(ud, "null;"); return 0; }
static int t_bool(void *ud, int b) { put(ud, b ? "true;" : "false;"); return 0; }
static int t_int(void *ud, int64_t i)
{
    char s[32];
    snprintf(s, sizeof s, "%lld;", (long long)i);
    put(ud, s);
    return 0;
}
static int t_num(void *ud, double d)
{
    char s[32];
    snprintf(s, sizeof s, "%g;", d);
    put(ud, s);
    return 0;
}
static int t_str(void *ud, const char *p, size_t n)
{
    char s[256];
    snprintf(s, sizeof s, "'%.*s';", (int)n, p);
    put(ud, s);
    return 0;
}
static int t_tab(void *ud, size_t a, size_t r) { (void)a; (void)r; put(ud, "{;"); return 0; }
static int t_field(void *ud, const char *k, size_t n)
{
    (void)n;
    put(ud, "=");
    put(ud, k);
    put(ud, ";");
    return 0;
}
static int t_index(void *ud, size_t i)
{
    char s[32];
    snprintf(s, sizeof s, "=[%zu];", i);
    put(ud, s);
    return 0;
}
static int t_pop(void *ud) { put(ud, "pop;"); return 0; }

static omics_builder builder(text *t)
{
    t->n = 0;
    t->s[0] = '\0';
    omics_builder b = {t, t_null, t_bool, t_int, t_num, t_str, t_tab, t_field, t_index, t_pop, NULL};
    return b;
}

static void test_error_format(void)
{
    omics_error e;
    omics_error_init(&e);
    char line[128];
    CHECK(omics_error_format(&e, line, sizeof line) == 5);
    CHECK_STR(line, "Error");
    omics_error_set(&e, OMICS_ESERVICE, "ResourceNotFoundException", "no store\r\nhere");
    e.status = 404;
    snprintf(e.request_id, sizeof e.request_id, "abc");
    omics_error_format(&e, line, sizeof line);
    CHECK_STR(line, "ResourceNotFoundException: no store  here (HTTP 404, request id abc)");
    char small[8];
    size_t n = omics_error_format(&e, small, sizeof small);
    CHECK(n == strlen(line) && strlen(small) == 7);
    e.status = 0;
    omics_error_format(&e, line, sizeof line);
    CHECK_STR(line, "ResourceNotFoundException: no store  here (request id abc)");
    text t;
    omics_builder b = builder(&t);
    CHECK(omics_error_describe(&e, &b) == 0);
    CHECK_STR(t.s, "{;'ResourceNotFoundException';=code;'no store\r\nhere';=message;'service';=kind;"
                   "'abc';=request_id;false;=retryable;");
    omics_error_clear(&e);

    omics_value path[3] = {str("sources"), integer(2), str("a\nb")};
    CHECK(omics_param_error(&e, "params", path, 3, "a cyclic table") == -1);
    CHECK_STR(e.message, "params.sources[2].a\\x0ab: a cyclic table");
    CHECK_STR(e.code, "ParamValidationError");
    omics_error_clear(&e);
}

static void test_transport_retryable(void)
{
    CHECK(omics_transport_retryable("ConnectionError") && omics_transport_retryable("TimeoutError"));
    CHECK(!omics_transport_retryable("TLSError") && !omics_transport_retryable("StreamWriteError"));
    CHECK(!omics_transport_retryable("TransportUnavailable"));
}

static void test_suggest(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    CHECK(m != NULL);
    if (!m)
        return;
    const char *extra[] = {"paginate", "call"};
    CHECK_STR(omics_model_suggest(m, "get_reference_metadat", extra, 2), "get_reference_metadata");
    CHECK_STR(omics_model_suggest(m, "GetReferenceMetadata", extra, 2), "get_reference_metadata");
    CHECK_STR(omics_model_suggest(m, "paginat", extra, 2), "paginate");
    CHECK(omics_model_suggest(m, "completely_different_words", extra, 2) == NULL);
}

static void test_files(void)
{
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite("0123456789", 1, 10, f) == 10);
    CHECK(fseek(f, 4, SEEK_SET) == 0);
    omics_arena *a = omics_arena_new(256);
    omics_error err;
    omics_error_init(&err);
    const omics_reader *r = omics_file_reader(a, f, &err);
    CHECK(r && r->length == 6);
    char buf[16], why[64];
    CHECK(r && r->read(r->ud, buf, sizeof buf, why, sizeof why) == 6 && memcmp(buf, "456789", 6) == 0);
    CHECK(r && r->rewind(r->ud) == 0 && r->read(r->ud, buf, 2, why, sizeof why) == 2 &&
          memcmp(buf, "45", 2) == 0);
    omics_sink s;
    omics_file_sink(&s, f);
    CHECK(s.rewind == NULL && s.write(s.ud, "ab", 2, why, sizeof why) == 0);
    fclose(f);
    omics_arena_free(a);
}

static void test_request_response(void)
{
    omics_arena *a = omics_arena_new(256);
    omics_error err;
    omics_error_init(&err);
    tab h, pair, t;
    tab_init(&pair);
    tab_set(&pair, integer(1), str("X-Amz-Date"));
    tab_set(&pair, integer(2), str("20240101T000000Z"));
    tab_init(&h);
    tab_set(&h, str("Host"), str("example.com"));
    tab_set(&h, integer(1), pair.v);
    tab_init(&t);
    tab_set(&t, str("status"), integer(404));
    tab_set(&t, str("headers"), h.v);
    omics_response resp;
    CHECK(omics_response_from_value(&resp, &t.v, a, &err) == 0);
    CHECK(resp.status == 404 && resp.nheaders == 2 && resp.body_len == 0);
    CHECK_STR(resp.headers[0].name, "host");
    CHECK_STR(resp.headers[1].name, "x-amz-date");
    CHECK(omics_value_get(&t.v, "status") && omics_value_get(&t.v, "nope") == NULL);
    t.e[0].val = integer(42);
    CHECK(omics_response_from_value(&resp, &t.v, a, &err) == -1);
    CHECK_STR(err.message, "response: status must be an HTTP status code");
    omics_error_clear(&err);

    omics_request req;
    CHECK(omics_request_from_value(&req, &t.v, a, &err) == -1);
    CHECK_STR(err.message, "req: method and path are required (a table from client:prepare)");
    omics_error_clear(&err);
    tab_set(&t, str("method"), str("GET"));
    tab_set(&t, str("path"), str("/x"));
    CHECK(omics_request_from_value(&req, &t.v, a, &err) == 0);
    CHECK(req.nheaders == 2 && strcmp(req.headers[0].name, "Host") == 0);
    req.host = "example.com";
    req.url = "https://example.com/x";
    req.query = "";
    text out;
    omics_builder b = builder(&out);
    CHECK(omics_request_describe(&req, &b) == 0);
    CHECK_STR(out.s, "{;'GET';=method;'/x';=path;'';=query;'example.com';=host;"
                     "'https://example.com/x';=url;{;'example.com';=Host;'20240101T000000Z';"
                     "=X-Amz-Date;=headers;");
    omics_arena_free(a);
}

static void test_sign_params(void)
{
    omics_arena *a = omics_arena_new(256);
    omics_error err;
    omics_error_init(&err);
    tab c, t, h;
    tab_init(&h);
    tab_set(&h, str("Host"), str("example.amazonaws.com"));
    tab_init(&c);
    tab_set(&c, str("access_key_id"), str("AKIDEXAMPLE"));
    tab_set(&c, str("secret_access_key"), str("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"));
    tab_init(&t);
    tab_set(&t, str("method"), str("GET"));
    tab_set(&t, str("path"), str("/"));
    tab_set(&t, str("region"), str("us-east-1"));
    tab_set(&t, str("service"), str("service"));
    tab_set(&t, str("time"), integer(1440938160));
    tab_set(&t, str("headers"), h.v);
    omics_sign_params p;
    omics_credentials cr;
    memset(&cr, 0, sizeof cr);
    CHECK(omics_sign_params_from_value(&p, &cr, &t.v, a, &err) == -1);
    CHECK_STR(err.code, "NoCredentialsError");
    omics_error_clear(&err);
    tab_set(&t, str("credentials"), c.v);
    CHECK(omics_sign_params_from_value(&p, &cr, &t.v, a, &err) == 0);
    CHECK(p.time == 1440938160 && p.normalize_path == 1 && p.no_path_encoding == 0);
    CHECK_STR(p.credentials->access_key_id, "AKIDEXAMPLE");
    omics_signer *s = omics_signer_new();
    omics_signature sig;
    CHECK(s && omics_sign(s, &p, &sig, &err) == 0);
    if (err.message)
        fprintf(stderr, "%s\n", err.message);
    text out;
    omics_builder b = builder(&out);
    CHECK(omics_signature_describe(&sig, &b) == 0);
    CHECK(strstr(out.s, "'X-Amz-Date';=[1];'20150830T123600Z';=[2];") != NULL);
    CHECK(strstr(out.s, "=authorization;") != NULL);
    b = builder(&out);
    CHECK(omics_identity_describe("AKID", "option", 0, &b) == 0);
    CHECK_STR(out.s, "{;'AKID';=access_key_id;'option';=provider;");
    omics_limits l = {60, 10, 30, 1024, 2048};
    b = builder(&out);
    CHECK(omics_limits_describe(&l, &b) == 0);
    CHECK_STR(out.s, "{;60;=timeout;10;=connect_timeout;30;=stall_timeout;1024;=max_response_bytes;"
                     "2048;=max_header_bytes;");
    omics_signer_free(s);
    omics_credentials_clear(&cr);
    omics_arena_free(a);
}

static void test_ops(void)
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    if (!m)
        return;
    text out;
    omics_builder b = builder(&out);
    CHECK(omics_model_describe_ops(m, &b) == 0);
    CHECK(strstr(out.s, "{;'AbortMultipartReadSetUpload';=name;'abort_multipart_read_set_upload';"
                        "=method;=[1];") != NULL);
    omics_credentials cr;
    memset(&cr, 0, sizeof cr);
    CHECK(omics_credentials_set(&cr, "AKIDEXAMPLE", "SECRETEXAMPLE", NULL, "option", &err) == 0);
    omics_options o;
    omics_options_init(&o);
    o.client.region = "us-east-1";
    o.client.endpoint = "http://127.0.0.1:1";
    o.client.credentials = &cr;
    omics_client *c = omics_client_new(m, &o.client, &err);
    CHECK(c != NULL);
    char line[256];
    CHECK(c && omics_client_format(c, line, sizeof line) == strlen(line));
    CHECK_STR(c ? line : NULL, "omics.client (region us-east-1, endpoint http://127.0.0.1:1, "
                               "credentials from option, retry standard, 3 attempts)");
    CHECK(c && !strstr(line, "AKID") && !strstr(line, "SECRET"));
    omics_client_free(c);
    omics_credentials_clear(&cr);
}

/* An error copied whole: every field, and a message of its own. */
static void test_error_copy(void)
{
    omics_error a, b;
    omics_error_init(&a);
    omics_error_init(&b);
    omics_error_set(&a, OMICS_ESERVICE, "ThrottlingException", "slow %d", 1);
    a.status = 429;
    a.retryable = 1;
    a.attempts = 3;
    snprintf(a.request_id, sizeof a.request_id, "req-1");
    omics_error_set(&b, OMICS_ETRANSPORT, "Old", "old message");
    CHECK(omics_error_copy(&b, &a) == 0);
    CHECK_STR(b.code, "ThrottlingException");
    CHECK_STR(b.message, "slow 1");
    CHECK_STR(b.request_id, "req-1");
    CHECK(b.kind == OMICS_ESERVICE && b.status == 429 && b.retryable && b.attempts == 3);
    CHECK(b.message != a.message);
    omics_error_clear(&a); /* b's message is its own */
    CHECK_STR(b.message, "slow 1");
    CHECK(omics_error_copy(&b, &a) == 0 && b.message == NULL && b.code[0] == '\0');
    omics_error_clear(&b);
}

int main(void)
{
    RUN(test_error_format);
    RUN(test_transport_retryable);
    RUN(test_suggest);
    RUN(test_files);
    RUN(test_request_response);
    RUN(test_sign_params);
    RUN(test_ops);
    RUN(test_error_copy);
    CTEST_DONE();
}
