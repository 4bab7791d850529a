/* rules: the model's endpoint rule set against its own test suite
 * (tools/model/2022-11-28/endpoint-tests-1.json, every case one case here):
 * the URL each case expects, or its error in the rule set's words; and the
 * partitions the rules ask aws.partition about. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "ctest.h"
#include "partitions.h"
#include "rules.h"

#define MODEL "tools/model/2022-11-28/"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
        free(s);
        s = NULL;
    }
    fclose(f);
    if (s)
        s[n] = '\0';
    *len = (size_t)n;
    return s;
}

static char *ruleset;
static size_t ruleset_len;
static const cJSON *the_case;

static void one_case(void)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(the_case, "params");
    const cJSON *expect = cJSON_GetObjectItemCaseSensitive(the_case, "expect");
    rules_params p;
    memset(&p, 0, sizeof p);
    p.region = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(params, "Region"));
    p.endpoint = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(params, "Endpoint"));
    p.use_fips = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "UseFIPS"));
    p.use_dual_stack = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "UseDualStack"));
    char *url = NULL;
    omics_error err;
    omics_error_init(&err);
    int rc = rules_resolve(ruleset, ruleset_len, &p, &url, &err);
    const char *want_url = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(expect, "endpoint"), "url"));
    const char *want_error = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(expect, "error"));
    CHECK(want_url || want_error);
    if (want_url) {
        CHECK(rc == 0);
        CHECK_STR(url, want_url);
    } else {
        char want[512];
        snprintf(want, sizeof want, "endpoint rules: %s", want_error);
        CHECK(rc == -1);
        CHECK_STR(err.code, "EndpointResolutionError");
        CHECK_STR(err.message, want);
    }
    free(url);
    omics_error_clear(&err);
}

static void test_partitions(void)
{
    CHECK_STR(partition_of("us-east-1")->name, "aws");
    CHECK_STR(partition_of("eu-central-2")->name, "aws");
    CHECK_STR(partition_of("us-gov-west-1")->name, "aws-us-gov");
    CHECK_STR(partition_of("cn-northwest-1")->name, "aws-cn");
    CHECK_STR(partition_of("us-iso-west-1")->name, "aws-iso");
    CHECK_STR(partition_of("us-isob-east-1")->name, "aws-iso-b");
    CHECK_STR(partition_of("eu-isoe-west-1")->name, "aws-iso-e");
    CHECK_STR(partition_of("made-up")->name, "aws"); /* an unknown region: aws */
    CHECK(!partition_of("us-iso-east-1")->supports_dual_stack);
}

/* A rule set this evaluator cannot follow is an error saying so, not a guess. */
static void test_unknown_function(void)
{
    const char *rs = "{\"version\":\"1.0\",\"parameters\":{},\"rules\":[{\"conditions\":"
                     "[{\"fn\":\"aws.parseArn\",\"argv\":[\"x\"]}],\"endpoint\":{\"url\":\"https://a\"},"
                     "\"type\":\"endpoint\"}]}";
    rules_params p = {"us-east-1", 0, 0, NULL};
    char *url = NULL;
    omics_error err;
    omics_error_init(&err);
    CHECK(rules_resolve(rs, strlen(rs), &p, &url, &err) == -1 && url == NULL);
    CHECK(err.message && strstr(err.message, "a function this client does not know"));
    omics_error_clear(&err);
    CHECK(rules_resolve("{", 1, &p, &url, &err) == -1);
    omics_error_clear(&err);
}

int main(void)
{
    size_t tlen;
    ruleset = slurp(MODEL "endpoint-rule-set-1.json", &ruleset_len);
    char *tests = slurp(MODEL "endpoint-tests-1.json", &tlen);
    cJSON *doc = tests ? cJSON_Parse(tests) : NULL;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(doc, "testCases");
    CHECK(ruleset != NULL && cJSON_GetArraySize(cases) >= 20); /* the fixture is there */
    cJSON_ArrayForEach(the_case, cases)
        RUN(one_case);
    RUN(test_partitions);
    RUN(test_unknown_function);
    cJSON_Delete(doc);
    free(tests);
    free(ruleset);
    CTEST_DONE();
}
