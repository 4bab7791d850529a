/* result: answers as JSON text for C programs (omics_parse_json, the writer
 * behind omics_call_json): members as the service spells them, epoch-second
 * timestamps, exact integers, [] for an empty list and {} for an empty map,
 * blobs as base64, ResponseMetadata; and errors as omics_parse gives them.
 * Only the public API (omics.h) is used. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "omics.h"

static const omics_header json_headers[] = {
    {"content-type", "application/json"},
    {"x-amzn-requestid", "rid-1"},
};

/* The JSON text of an answer to op (NULL on an error, with its code in code). */
static char *parse_json(const char *opname, long status, const char *body, char code[96])
{
    omics_error err;
    omics_error_init(&err);
    const omics_model *m = omics_model_builtin(&err);
    const omics_op *op = m ? omics_model_op(m, opname) : NULL;
    CHECK(op != NULL);
    if (!op)
        return NULL;
    omics_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.headers = json_headers;
    r.nheaders = 2;
    r.body = body;
    r.body_len = strlen(body);
    omics_parser *p = omics_parser_new();
    char *out = NULL;
    size_t len = 0;
    int rc = omics_parse_json(p, m, op, &r, &out, &len, &err);
    omics_parser_free(p);
    snprintf(code, 96, "%s", rc ? err.code : "");
    CHECK((rc == 0) == (out != NULL));
    CHECK(!out || strlen(out) == len);
    omics_error_clear(&err);
    return out;
}

static int has(const char *s, const char *part)
{
    int ok = s && strstr(s, part) != NULL;
    if (!ok)
        fprintf(stderr, "  missing %s in %s\n", part, s ? s : "(null)");
    return ok;
}

static void test_members_and_types(void)
{
    char code[96];
    char *j = parse_json("GetReferenceMetadata", 200,
                         "{\"id\":\"9876543210\",\"name\":\"genome \\u00e9\",\"creationTime\":"
                         "\"2024-03-01T01:00:00.5+01:00\",\"files\":{\"source\":{\"contentLength\":"
                         "5497558138880,\"totalParts\":3}}}",
                         code);
    CHECK(has(j, "\"name\":\"genome \xc3\xa9\""));
    CHECK(has(j, "\"creationTime\":1709251200.5"));
    CHECK(has(j, "\"contentLength\":5497558138880"));
    CHECK(has(j, "\"ResponseMetadata\":{"));
    CHECK(has(j, "\"RequestId\":\"rid-1\""));
    CHECK(has(j, "\"HTTPStatusCode\":200"));
    free(j);
}

static void test_empty_collections(void)
{
    char code[96];
    char *j = parse_json("ListReferenceStores", 200, "{\"referenceStores\":[]}", code);
    CHECK(has(j, "\"referenceStores\":[]"));
    free(j);
    j = parse_json("ListTagsForResource", 200, "{\"tags\":{}}", code);
    CHECK(has(j, "\"tags\":{}"));
    free(j);
    j = parse_json("ListReferenceStores", 200,
                   "{\"referenceStores\":[{\"id\":\"1234567890\",\"arn\":\"a\","
                   "\"creationTime\":\"2024-03-01T00:00:00Z\"}]}",
                   code);
    CHECK(has(j, "\"referenceStores\":[{\"id\":\"1234567890\",\"arn\":\"a\",\"creationTime\":1709251200}]"));
    free(j);
}

static void test_blobs(void)
{
    char code[96];
    char *j = parse_json("GetReference", 200, "ACGT", code); /* text stays text */
    CHECK(has(j, "\"payload\":\"ACGT\""));
    free(j);
    j = parse_json("GetReference", 200, "\xff\xfe", code); /* bytes that are not UTF-8 */
    CHECK(has(j, "\"payload\":\"//4=\""));
    free(j);
}

static void test_errors(void)
{
    char code[96];
    char *j = parse_json("GetReferenceMetadata", 404,
                         "{\"message\":\"no such reference\"}", code);
    CHECK(j == NULL);
    (void)code;
    j = parse_json("GetReferenceMetadata", 200, "{\"name\": 12}", code);
    CHECK(j == NULL);
    CHECK_STR(code, "ResponseParseError");
}

int main(void)
{
    RUN(test_members_and_types);
    RUN(test_empty_collections);
    RUN(test_blobs);
    RUN(test_errors);
    CTEST_DONE();
}
