/* libFuzzer entry point for src/xml.c.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tools/fuzz/fuzz_xml.c \
 *       src/xml.c src/buf.c src/error.c -o /tmp/fuzz_xml
 *   mkdir -p /tmp/xml-corpus
 *   /tmp/fuzz_xml -max_total_time=60 -dict=tools/fuzz/xml.dict /tmp/xml-corpus \
 *       tools/fuzz/corpus/xml
 *
 * (libFuzzer adds what it finds to the first directory given: a scratch one
 * keeps the seed corpus small.)  Besides the sanitizers, it checks that every
 * call agrees on whether the document is well formed, that errors carry a
 * parse message, that the root's own name is found as a path, and that text
 * comes out as a C string without NULs. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
    "AssumeRoleResponse/AssumeRoleResult/Credentials/AccessKeyId",
    "AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials/SessionToken",
    "ErrorResponse/Error/Code",
    "ErrorResponse/Error/Message",
    "GetSessionTokenResponse/GetSessionTokenResult/Credentials/AccessKeyId",
    "a",
    "a/b",
};

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_failure(const omics_error *e)
{
    check(e->kind == OMICS_EPARSE && strcmp(e->code, "XmlParseError") == 0 && e->message &&
          strstr(e->message, " at byte "));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *doc = (const char *)data;
    buf root, text;
    buf_init(&root);
    buf_init(&text);
    omics_error err;
    omics_error_init(&err);

    int wf = xml_root(doc, size, &root, &err);
    check(wf == 0 || wf == -1);
    if (wf < 0)
        check_failure(&err);
    else
        check(root.len > 0 && strlen(buf_str(&root)) == root.len);

    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int rc = xml_text(doc, size, paths[i], &text, &err);
        check(rc >= -1 && rc <= 1 && (rc < 0) == (wf < 0));
        if (rc < 0)
            check_failure(&err);
        else if (rc == 0)
            check(text.len == 0);
        else
            check(memchr(buf_str(&text), '\0', text.len) == NULL);
    }
    if (wf == 0) /* the root is always found by its own name */
        check(xml_text(doc, size, buf_str(&root), &text, &err) == 1);

    omics_error_clear(&err);
    buf_free(&root);
    buf_free(&text);
    return 0;
}
