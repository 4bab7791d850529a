/* Results as an omics_value tree (omics_tree, omics_value_get/at): built
 * by the parser from canned answers, no server needed.  Members, nested
 * structures, lists in order, maps, integers kept exact, timestamps as
 * epoch seconds, a modeled error's members, and strings that outlive the
 * answer's buffer. */
#include <stdlib.h>
#include <string.h>

#include "ctest.h"
#include "omics.h"

static const omics_model *model;
static omics_parser *parser;
static const omics_header json_headers[] = {{"content-type", "application/json"}};

static const omics_value *parse(omics_tree *t, const char *op_name, long status, char *body,
                                int *rc, omics_error *err)
{
    omics_response r;
    memset(&r, 0, sizeof r);
    r.status = status;
    r.headers = json_headers;
    r.nheaders = 1;
    r.body = body;
    r.body_len = strlen(body);
    int has_data = 0;
    omics_tree_reset(t);
    *rc = omics_parse(parser, model, omics_model_op(model, op_name), &r, omics_tree_builder(t),
                      &has_data, err);
    return *rc == 0 || has_data ? omics_tree_value(t) : NULL;
}

static int str_is(const omics_value *v, const char *want)
{
    return v && v->type == OMICS_V_STR && v->u.s.len == strlen(want) &&
           memcmp(v->u.s.p, want, v->u.s.len) == 0;
}

static void members_and_nesting(void)
{
    omics_arena *a = omics_arena_new(1024);
    omics_tree *t = omics_tree_new(a);
    omics_error err;
    omics_error_init(&err);
    char body[] = "{\"id\":\"9876543210\",\"name\":\"demo-genome\",\"status\":\"ACTIVE\","
                  "\"creationTime\":\"2024-02-29T23:59:59.5Z\","
                  "\"files\":{\"source\":{\"totalParts\":31,\"partSize\":104857600,"
                  "\"contentLength\":5497558138880}}}";
    int rc;
    const omics_value *v = parse(t, "GetReferenceMetadata", 200, body, &rc, &err);
    memset(body, 'x', sizeof body - 1); /* the tree keeps copies of its strings */
    CHECK(rc == 0);
    CHECK(v && v->type == OMICS_V_TABLE);
    CHECK(str_is(omics_value_get(v, "name"), "demo-genome"));
    CHECK(str_is(omics_value_get(v, "id"), "9876543210"));
    const omics_value *when = omics_value_get(v, "creationTime");
    CHECK(when && when->type == OMICS_V_NUM && when->u.n == 1709251199.5);
    const omics_value *src = omics_value_get(omics_value_get(omics_value_get(v, "files"), "source"),
                                             "contentLength");
    CHECK(src && src->type == OMICS_V_INT && src->u.i == 5497558138880LL);
    const omics_value *meta = omics_value_get(v, "ResponseMetadata");
    const omics_value *code = omics_value_get(meta, "HTTPStatusCode");
    CHECK(code && code->type == OMICS_V_INT && code->u.i == 200);
    CHECK(omics_value_get(v, "nope") == NULL);
    CHECK(omics_value_get(NULL, "name") == NULL);
    CHECK(omics_value_get(omics_value_get(v, "name"), "x") == NULL); /* not a table */
    omics_tree_free(t);
    omics_arena_free(a);
}

static void lists_in_order(void)
{
    omics_arena *a = omics_arena_new(64); /* small blocks: the lists grow past them */
    omics_tree *t = omics_tree_new(a);
    omics_error err;
    omics_error_init(&err);
    char body[8192] = "{\"referenceStores\":[";
    for (int i = 0; i < 40; i++) {
        char item[256];
        snprintf(item, sizeof item,
                 "%s{\"arn\":\"arn:aws:omics:us-east-1:123456789012:referenceStore/%010d\","
                 "\"id\":\"%010d\",\"creationTime\":\"2024-01-01T00:00:00Z\"}",
                 i ? "," : "", i, i);
        strcat(body, item);
    }
    strcat(body, "],\"nextToken\":\"more\"}");
    int rc;
    const omics_value *v = parse(t, "ListReferenceStores", 200, body, &rc, &err);
    CHECK(rc == 0);
    const omics_value *list = omics_value_get(v, "referenceStores");
    CHECK(list && list->type == OMICS_V_TABLE && list->u.t.n == 40);
    int in_order = 1;
    for (size_t i = 1; i <= 40; i++) {
        char want[16];
        snprintf(want, sizeof want, "%010zu", i - 1);
        in_order &= str_is(omics_value_get(omics_value_at(list, i), "id"), want);
    }
    CHECK(in_order);
    CHECK(omics_value_at(list, 0) == NULL);
    CHECK(omics_value_at(list, 41) == NULL);
    CHECK(str_is(omics_value_get(v, "nextToken"), "more"));
    omics_tree_free(t);
    omics_arena_free(a);
}

static void modeled_error_members(void)
{
    omics_arena *a = omics_arena_new(1024);
    omics_tree *t = omics_tree_new(a);
    omics_error err;
    omics_error_init(&err);
    char body[] = "{\"__type\":\"ResourceNotFoundException\",\"message\":\"no such store\"}";
    int rc;
    const omics_value *v = parse(t, "GetReferenceStore", 404, body, &rc, &err);
    CHECK(rc == -1);
    CHECK_STR(err.code, "ResourceNotFoundException");
    CHECK(str_is(omics_value_get(v, "message"), "no such store"));
    omics_error_clear(&err);
    omics_tree_free(t);
    omics_arena_free(a);
}

static void misuse(void)
{
    CHECK(omics_tree_new(NULL) == NULL);
    omics_arena *a = omics_arena_new(1024);
    omics_tree *t = omics_tree_new(a);
    CHECK(omics_tree_value(t) == NULL);
    const omics_builder *b = omics_tree_builder(t);
    /* storing with no table below is refused, not a crash */
    CHECK(b->integer(b->ud, 1) == 0);
    CHECK(b->set_field(b->ud, "k", 1) == -1);
    CHECK(b->pop(b->ud) == 0);
    CHECK(b->pop(b->ud) == -1);
    omics_tree_free(t);
    omics_tree_free(NULL);
    omics_arena_free(a);
}

int main(void)
{
    omics_error err;
    omics_error_init(&err);
    model = omics_model_builtin(&err);
    parser = omics_parser_new();
    CHECK(model != NULL && parser != NULL);
    if (!model || !parser)
        CTEST_DONE();
    RUN(members_and_nesting);
    RUN(lists_in_order);
    RUN(modeled_error_members);
    RUN(misuse);
    omics_parser_free(parser);
    CTEST_DONE();
}
