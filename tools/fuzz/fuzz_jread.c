/* libFuzzer entry point for src/jread.c (the strict JSON reader of
 * answers), against cJSON, the reference it replaces on that path.
 *
 * Input: any bytes, read as one JSON text.  Checked:
 * - what jread reads, cJSON reads to the same tree: the same types, the
 *   same names in the same order, strings byte for byte, numbers to the
 *   same double (jread_number against cJSON's strtod).  Excepted: a text
 *   with a number of 64 characters or more (cJSON reads only the first
 *   63), and the strings of a text holding U+0000 (cJSON ends them there;
 *   jread says so in has_nul, and the parser refuses such answers);
 * - what cJSON reads, printed back by cJSON (valid JSON), jread reads too,
 *   to the tree cJSON reads from that printing: jread refuses only what
 *   JSON does not allow;
 * - a second read of the same text with the same reader gives the same
 *   nodes (nothing of one read leaks into the next). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "jread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_jread: property violated: %s\n", what);
        abort();
    }
}

static int long_number(const jread *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->nodes[i].type == JR_NUMBER && r->nodes[i].len >= 64)
            return 1;
    return 0;
}

/* j (jread) and c (cJSON) are the same value; strings compared only when
 * strings is set. */
static void same(const jr_node *j, const cJSON *c, int strings)
{
    switch (j->type) {
    case JR_NULL:
        check(cJSON_IsNull(c), "null read differently");
        return;
    case JR_TRUE:
        check(cJSON_IsTrue(c), "true read differently");
        return;
    case JR_FALSE:
        check(cJSON_IsFalse(c), "false read differently");
        return;
    case JR_NUMBER:
        check(cJSON_IsNumber(c), "a number read as another type");
        check(jread_number(j) == c->valuedouble, "a number read to another value");
        return;
    case JR_STRING:
        check(cJSON_IsString(c), "a string read as another type");
        if (strings)
            check(strlen(c->valuestring) == j->len && memcmp(c->valuestring, j->s, j->len) == 0,
                  "a string read to other bytes");
        return;
    case JR_ARRAY:
    case JR_OBJECT: {
        int object = j->type == JR_OBJECT;
        check(object ? cJSON_IsObject(c) : cJSON_IsArray(c), "a container read as another type");
        check((size_t)cJSON_GetArraySize(c) == j->count, "a container with another count");
        const cJSON *ce = c->child;
        JR_EACH(e, j)
        {
            check(ce != NULL, "fewer children in cJSON");
            if (object && strings)
                check(strlen(ce->string) == e->key_len && memcmp(ce->string, e->key, e->key_len) == 0,
                      "a member's name read to other bytes");
            same(e, ce, strings);
            ce = ce->next;
        }
        check(ce == NULL, "more children in cJSON");
        return;
    }
    default:
        check(0, "a node of no type");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    jread r;
    jread_init(&r);
    int rc = jread_parse(&r, text, size);
    check(rc == 0 || r.error != NULL, "a failed read without a reason");
    check(rc != 0 || r.error == NULL, "a read that succeeded with a reason");
    cJSON *c = cJSON_ParseWithLength(text, size);
    if (rc == 0 && !long_number(&r)) {
        check(c != NULL, "jread read a text cJSON refuses");
        same(&r.nodes[0], c, !r.has_nul);
        size_t n = r.n, has_nul = (size_t)r.has_nul;
        check(jread_parse(&r, text, size) == 0 && r.n == n && (size_t)r.has_nul == has_nul,
              "a second read differs");
        same(&r.nodes[0], c, !r.has_nul);
    }
    if (c) {
        char *printed = cJSON_PrintUnformatted(c);
        if (printed) {
            size_t plen = strlen(printed);
            cJSON *again = cJSON_ParseWithLength(printed, plen);
            check(again != NULL, "cJSON cannot read its own printing");
            check(jread_parse(&r, printed, plen) == 0, "jread refuses what cJSON prints");
            check(!r.has_nul, "a NUL in cJSON's printing");
            same(&r.nodes[0], again, 1);
            cJSON_Delete(again);
            free(printed);
        }
    }
    cJSON_Delete(c);
    jread_trim(&r);
    jread_free(&r);
    return 0;
}
