/* sigv4: a few vectors of the AWS SigV4 test suite straight through
 * omics_sign (the whole suite runs in spec/sigv4_spec.lua), the signing-key
 * cache, the output headers and the errors. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctest.h"
#include "omics.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME 1440938160 /* 20150830T123600Z */
#define HOST "example.amazonaws.com"
#define EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define AUTH_PREFIX "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
#define STS_TOKEN                                                                              \
    "AQoDYXdzEPT//////////"                                                                    \
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YU" \
    "uwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDv" \
    "p75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDryp" \
    "NC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

static omics_signer *signer;
static omics_credentials creds;

/* Parameters for the suite: us-east-1, "service", the suite's time. */
static omics_sign_params suite_params(const char *method, const char *path, const char *query,
                                      const omics_header *h, size_t nh)
{
    omics_sign_params p;
    memset(&p, 0, sizeof p);
    p.method = method;
    p.path = path;
    p.query = query;
    p.headers = h;
    p.nheaders = nh;
    p.region = "us-east-1";
    p.service = "service";
    p.credentials = &creds;
    p.time = SUITE_TIME;
    p.normalize_path = 1;
    return p;
}

static int sign(const omics_sign_params *p, omics_signature *sig)
{
    omics_error err;
    omics_error_init(&err);
    int rc = omics_sign(signer, p, sig, &err);
    if (rc)
        fprintf(stderr, "  omics_sign: %s\n", err.message ? err.message : "?");
    omics_error_clear(&err);
    return rc;
}

/* The value of the only header called name (any case), NULL if none or more. */
static const char *header(const omics_signature *sig, const char *name)
{
    const char *found = NULL;
    int count = 0;
    for (size_t i = 0; i < sig->nheaders; i++)
        if (strcasecmp(sig->headers[i].name, name) == 0) {
            found = sig->headers[i].value;
            count++;
        }
    return count == 1 ? found : NULL;
}

static void test_get_vanilla(void)
{
    omics_header h[] = {{"Host", HOST}, {"X-Amz-Date", "20150830T123600Z"}};
    omics_sign_params p = suite_params("GET", "/", "", h, 2);
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK_STR(sig.canonical_request, "GET\n/\n\nhost:" HOST "\nx-amz-date:20150830T123600Z\n\n"
                                     "host;x-amz-date\n" EMPTY_HASH);
    CHECK_STR(sig.string_to_sign,
              "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
              "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
    CHECK_STR(sig.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_STR(sig.authorization, AUTH_PREFIX "SignedHeaders=host;x-amz-date, "
                                             "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a"
                                             "2260956d9b8aae1d763fbf31");
    /* Host, the replaced X-Amz-Date, Authorization */
    CHECK(sig.nheaders == 3);
    CHECK_STR(header(&sig, "host"), HOST);
    CHECK_STR(header(&sig, "x-amz-date"), "20150830T123600Z");
    CHECK_STR(header(&sig, "authorization"), sig.authorization);
}

static void test_query_order(void)
{
    omics_header h[] = {{"Host", HOST}};
    omics_sign_params p = suite_params("GET", "/", "Param2=value2&Param1=value1", h, 1);
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK_STR(sig.canonical_request, "GET\n/\nParam1=value1&Param2=value2\nhost:" HOST
                                     "\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" EMPTY_HASH);
    CHECK_STR(sig.signature, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

static void test_duplicate_headers(void)
{
    omics_header h[] = {{"Host", HOST},
                        {"My-Header1", "value2"},
                        {"My-Header1", "value2"},
                        {"My-Header1", "value1"},
                        {"X-Amz-Date", "20150830T123600Z"}};
    omics_sign_params p = suite_params("GET", "/", NULL, h, 5);
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK(strstr(sig.canonical_request, "\nmy-header1:value2,value2,value1\n") != NULL);
    CHECK_STR(sig.signature, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
    CHECK(sig.nheaders == 6); /* duplicates are all sent */
}

static void test_post_body(void)
{
    omics_header h[] = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Host", HOST}};
    omics_sign_params p = suite_params("POST", "/", "", h, 2);
    p.body = "Param1=value1";
    p.body_len = strlen(p.body);
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK_STR(sig.signature, "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
    const char *cr = sig.canonical_request;
    CHECK(strcmp(cr + strlen(cr) - 64,
                 "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e") == 0);
}

static void test_paths(void)
{
    omics_header h[] = {{"Host", HOST}};
    omics_sign_params p = suite_params("GET", "/example1/example2/../..", "", h, 1);
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK_STR(sig.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

    p.path = "/\xe1\x88\xb4"; /* get-utf8 */
    CHECK(sign(&p, &sig) == 0);
    CHECK(strncmp(sig.canonical_request, "GET\n/%E1%88%B4\n", 15) == 0);
    CHECK_STR(sig.signature, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");

    /* without normalisation the path is used as it is */
    p.path = "//a/./b";
    p.normalize_path = 0;
    CHECK(sign(&p, &sig) == 0);
    CHECK(strncmp(sig.canonical_request, "GET\n//a/./b\n", 12) == 0);
    p.normalize_path = 1;
    CHECK(sign(&p, &sig) == 0);
    CHECK(strncmp(sig.canonical_request, "GET\n/a/b\n", 9) == 0);
}

static void test_session_tokens(void)
{
    omics_credentials c;
    memset(&c, 0, sizeof c);
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_credentials_set(&c, AKID, SECRET, STS_TOKEN, "test", &err) == 0);
    omics_header h[] = {{"Host", HOST}, {"X-Amz-Date", "20150830T123600Z"}};
    omics_sign_params p = suite_params("POST", "/", "", h, 2);
    p.credentials = &c;
    omics_signature sig;

    /* post-sts-header-before: the token is signed */
    CHECK(sign(&p, &sig) == 0);
    CHECK_STR(sig.signature, "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
    CHECK_STR(header(&sig, "X-Amz-Security-Token"), STS_TOKEN);

    /* post-sts-header-after: signed without it, then added */
    p.omit_session_token = 1;
    CHECK(sign(&p, &sig) == 0);
    CHECK_STR(sig.signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
    CHECK(strstr(sig.canonical_request, "x-amz-security-token") == NULL);

    /* the headers outlive the credentials they came from */
    omics_credentials_clear(&c);
    CHECK_STR(header(&sig, "X-Amz-Security-Token"), STS_TOKEN);
    CHECK_STR(header(&sig, "Authorization"), sig.authorization);
}

static void test_headers_out(void)
{
    omics_header h[] = {{"host", HOST},
                        {"X-AMZ-DATE", "19990101T000000Z"},
                        {"x-amz-security-token", "stale"},
                        {"Authorization", "stale"},
                        {"User-Agent", "lua-omics/test"},
                        {"X-Amz-Content-Sha256", "stale"}};
    omics_sign_params p = suite_params("PUT", "/", "", h, 6);
    p.payload_hash = "UNSIGNED-PAYLOAD";
    p.content_sha256_header = 1;
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK(sig.nheaders == 5); /* host, user-agent, date, sha256, authorization */
    CHECK_STR(header(&sig, "x-amz-date"), "20150830T123600Z");
    CHECK(header(&sig, "x-amz-security-token") == NULL); /* no token in the credentials */
    CHECK_STR(header(&sig, "x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
    CHECK_STR(header(&sig, "user-agent"), "lua-omics/test");
    CHECK_STR(header(&sig, "authorization"), sig.authorization);
    /* User-Agent is sent but not signed */
    CHECK(strstr(sig.authorization, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"));
    CHECK(strstr(sig.canonical_request, "stale") == NULL);
    CHECK(strstr(sig.canonical_request, "19990101") == NULL);
    const char *cr = sig.canonical_request;
    CHECK_STR(cr + strlen(cr) - 16, "UNSIGNED-PAYLOAD");
}

static void test_many_headers_and_params(void)
{
    /* more than the signer's first allocation of everything */
    enum { N = 40 };
    omics_header h[N + 1];
    char names[N][16], query[N * 16] = "";
    h[0].name = "Host";
    h[0].value = HOST;
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "X-H%02d", N - i);
        h[i + 1].name = names[i];
        h[i + 1].value = "  v  a  ";
        char kv[16];
        snprintf(kv, sizeof kv, "%sk%02d=v", i ? "&" : "", N - i);
        strcat(query, kv);
    }
    omics_sign_params p = suite_params("GET", "/", query, h, N + 1);
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK(sig.nheaders == N + 3);
    CHECK(strncmp(sig.canonical_request, "GET\n/\nk01=v&k02=v&k03=v", 23) == 0);
    CHECK(strstr(sig.canonical_request, "\nx-h01:v a\nx-h02:v a\n") != NULL);
}

/* The signature of get-vanilla with the given time and region. */
static void vanilla_signature(omics_signer *s, int64_t t, const char *region, char out[65])
{
    omics_header h[] = {{"Host", HOST}};
    omics_sign_params p = suite_params("GET", "/", "", h, 1);
    p.time = t;
    p.region = region;
    omics_signature sig;
    omics_error err;
    omics_error_init(&err);
    if (omics_sign(s, &p, &sig, &err) == 0)
        snprintf(out, 65, "%s", sig.signature);
    else
        snprintf(out, 65, "(error)");
    omics_error_clear(&err);
}

static void test_key_cache(void)
{
    static const char *const regions[] = {"us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
                                          "ap-south-1", "ca-central-1"};
    char first[65], again[65], other_day[65], fresh[65];
    vanilla_signature(signer, SUITE_TIME, "us-east-1", first);
    vanilla_signature(signer, SUITE_TIME, "us-east-1", again);
    CHECK_STR(first, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    CHECK_STR(again, first);

    /* another day: another key, another signature */
    vanilla_signature(signer, SUITE_TIME + 86400, "us-east-1", other_day);
    CHECK(strcmp(other_day, first) != 0 && strcmp(other_day, "(error)") != 0);
    /* the same second of the same day, once more: the first key again */
    vanilla_signature(signer, SUITE_TIME, "us-east-1", again);
    CHECK_STR(again, first);

    /* more keys than the cache holds, twice round: each signature matches the
     * one a fresh signer (empty cache) gives */
    for (int round = 0; round < 2; round++)
        for (size_t i = 0; i < sizeof regions / sizeof *regions; i++) {
            char got[65];
            vanilla_signature(signer, SUITE_TIME + round * 86400, regions[i], got);
            omics_signer *one = omics_signer_new();
            CHECK(one != NULL);
            if (!one)
                return;
            vanilla_signature(one, SUITE_TIME + round * 86400, regions[i], fresh);
            omics_signer_free(one);
            CHECK_STR(got, fresh);
        }

    /* another secret must not reuse a cached key */
    omics_credentials other;
    memset(&other, 0, sizeof other);
    omics_error err;
    omics_error_init(&err);
    CHECK(omics_credentials_set(&other, AKID, "another-secret", NULL, "test", &err) == 0);
    omics_header h[] = {{"Host", HOST}};
    omics_sign_params p = suite_params("GET", "/", "", h, 1);
    p.credentials = &other;
    omics_signature sig;
    CHECK(sign(&p, &sig) == 0);
    CHECK(strcmp(sig.signature, first) != 0);
    omics_credentials_clear(&other);
}

static int sign_error(const omics_sign_params *p, omics_err_kind kind, const char *part)
{
    omics_error err;
    omics_error_init(&err);
    omics_signature sig;
    int rc = omics_sign(signer, p, &sig, &err);
    int ok = rc == -1 && err.kind == kind && err.message && strstr(err.message, part) &&
             !strstr(err.message, SECRET);
    if (!ok)
        fprintf(stderr, "  rc %d, kind %d, message \"%s\"\n", rc, (int)err.kind,
                err.message ? err.message : "(none)");
    omics_error_clear(&err);
    return ok;
}

static void test_errors(void)
{
    omics_header h[] = {{"Host", HOST}};
    omics_header no_host[] = {{"X-Foo", "bar"}};
    omics_sign_params p = suite_params("GET", "/", "", no_host, 1);
    CHECK(sign_error(&p, OMICS_EUSAGE, "Host"));
    p.nheaders = 0;
    CHECK(sign_error(&p, OMICS_EUSAGE, "Host"));

    p = suite_params("GET", "/", "", h, 1);
    p.credentials = NULL;
    CHECK(sign_error(&p, OMICS_ECREDENTIALS, "credentials"));
    omics_credentials half;
    memset(&half, 0, sizeof half);
    half.access_key_id = AKID;
    p.credentials = &half;
    CHECK(sign_error(&p, OMICS_ECREDENTIALS, "secret"));

    p = suite_params("GET", "relative", "", h, 1);
    CHECK(sign_error(&p, OMICS_EUSAGE, "path"));
    p = suite_params(NULL, "/", "", h, 1);
    CHECK(sign_error(&p, OMICS_EUSAGE, "method"));
    p = suite_params("GET", "/", "", h, 1);
    p.service = "";
    CHECK(sign_error(&p, OMICS_EUSAGE, "service"));
    omics_header unnamed[] = {{"Host", HOST}, {"", "x"}};
    p = suite_params("GET", "/", "", unnamed, 2);
    CHECK(sign_error(&p, OMICS_EUSAGE, "header 2"));
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    signer = omics_signer_new();
    if (!signer || omics_credentials_set(&creds, AKID, SECRET, NULL, "test", &err)) {
        fprintf(stderr, "setup failed\n");
        return 1;
    }
    RUN(test_get_vanilla);
    RUN(test_query_order);
    RUN(test_duplicate_headers);
    RUN(test_post_body);
    RUN(test_paths);
    RUN(test_session_tokens);
    RUN(test_headers_out);
    RUN(test_many_headers_and_params);
    RUN(test_key_cache);
    RUN(test_errors);
    omics_credentials_clear(&creds);
    omics_signer_free(signer);
    CTEST_DONE();
}
