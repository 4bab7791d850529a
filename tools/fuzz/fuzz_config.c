/* libFuzzer entry point for src/config.c (config_parse: the shared config and
 * credentials files).
 *
 * The input is the file's text.  Checked:
 *   - a failure is an OMICS_ECONFIG error with code ConfigParseError and a
 *     message "fuzz, line N: ..." whose N is a line of the input, and the
 *     lines before line N parse without an error (the parser stops at the
 *     first problem);
 *   - on success, for sections and keys taken from the input's own lines
 *     (`[name]`, `[profile name]`, `key =`, `key:`, indented `sub =`, also
 *     nested as "key.sub"): config_get finds the same value whatever the case
 *     of the key, a value found means config_has_section, and a value never
 *     starts with a blank nor ends with whitespace;
 *   - appending "\n[fuzz-appended]\nk = v\n" still parses, finds k = v there
 *     and changes nothing found elsewhere. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_NAMES 8
#define NAME_CAP 64

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_config: property violated: %s\n", what);
        abort();
    }
}

typedef struct names {
    char v[MAX_NAMES][NAME_CAP];
    size_t n;
} names;

static void add_name(names *ns, const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    if (ns->n == MAX_NAMES || len >= NAME_CAP || memchr(s, '\0', len))
        return;
    memcpy(ns->v[ns->n], s, len);
    ns->v[ns->n][len] = '\0';
    ns->n++;
}

/* Section names and keys as the lines of the input spell them. */
static void collect(const char *text, size_t n, names *sections, names *keys)
{
    size_t i = 0;
    char parent[NAME_CAP] = "";
    while (i < n) {
        size_t start = i;
        while (i < n && text[i] != '\n')
            i++;
        const char *line = text + start;
        size_t len = i - start;
        i++;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        int indented = k > 0;
        if (k < len && line[k] == '[') {
            const char *close = memchr(line + k, ']', len - k);
            if (close)
                add_name(sections, line + k + 1, (size_t)(close - line - k - 1));
            continue;
        }
        size_t e = k;
        while (e < len && line[e] != '=' && line[e] != ':')
            e++;
        if (e == len)
            continue;
        size_t before = keys->n;
        add_name(keys, line + k, e - k);
        if (keys->n == before)
            continue;
        if (indented && parent[0]) {
            char nested[2 * NAME_CAP + 1];
            snprintf(nested, sizeof nested, "%s.%s", parent, keys->v[keys->n - 1]);
            add_name(keys, nested, strlen(nested));
        } else if (!indented) {
            /* `key =` with nothing after it may open a sub-section */
            size_t v = e + 1;
            while (v < len && (line[v] == ' ' || line[v] == '\t' || line[v] == '\r'))
                v++;
            if (v == len)
                snprintf(parent, sizeof parent, "%s", keys->v[keys->n - 1]);
            else
                parent[0] = '\0';
        }
    }
    add_name(sections, "default", 7);
    add_name(keys, "region", 6);
}

static void check_error(const omics_error *err, const char *text, size_t n)
{
    check(err->kind == OMICS_ECONFIG, "a parse error is OMICS_ECONFIG");
    check(strcmp(err->code, "ConfigParseError") == 0, "a parse error is a ConfigParseError");
    check(err->message != NULL, "a parse error has a message");
    const char *at = strstr(err->message, "fuzz, line ");
    check(at == err->message, "the message names the file and a line");
    char *end;
    unsigned long line = strtoul(at + 11, &end, 10);
    check(end != at + 11 && end[0] == ':' && end[1] == ' ' && end[2] != '\0',
          "the line number is followed by the problem");
    size_t lines = 1;
    for (size_t i = 0; i < n; i++)
        if (text[i] == '\n' && i + 1 < n)
            lines++;
    check(line >= 1 && line <= lines, "the line named is a line of the input");

    /* everything before that line was fine */
    size_t off = 0;
    for (unsigned long l = 1; l < line; l++) {
        const char *nl = memchr(text + off, '\n', n - off);
        check(nl != NULL, "the input has the lines before the one named");
        off = (size_t)(nl - text) + 1;
    }
    omics_error e2;
    omics_error_init(&e2);
    config_file *prefix = config_parse(text, off, "fuzz", &e2);
    check(prefix != NULL, "the lines before the one named parse");
    config_free(prefix);
    omics_error_clear(&e2);
}

static void check_value(const char *v)
{
    size_t len = strlen(v);
    check(len == 0 || (v[0] != ' ' && v[0] != '\t'), "a value does not start with a blank");
    check(len == 0 || (v[len - 1] != ' ' && v[len - 1] != '\t' && v[len - 1] != '\r' &&
                       v[len - 1] != '\n'),
          "a value does not end with whitespace");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    omics_error err;
    omics_error_init(&err);
    config_file *cf = config_parse(text, size, "fuzz", &err);
    if (!cf) {
        check_error(&err, text, size);
        omics_error_clear(&err);
        return 0;
    }
    check(err.kind == OMICS_OK && err.message == NULL, "a success sets no error");

    names sections = {.n = 0}, keys = {.n = 0};
    collect(text, size, &sections, &keys);
    const char *found[MAX_NAMES][MAX_NAMES];
    for (size_t s = 0; s < sections.n; s++) {
        for (size_t k = 0; k < keys.n; k++) {
            const char *v = config_get(cf, sections.v[s], keys.v[k]);
            found[s][k] = v;
            char upper[NAME_CAP];
            for (size_t i = 0; i < NAME_CAP; i++) {
                char c = keys.v[k][i];
                upper[i] = c >= 'a' && c <= 'z' ? (char)(c - 32) : c;
            }
            check(config_get(cf, sections.v[s], upper) == v, "keys are case-insensitive");
            if (v) {
                check(config_has_section(cf, sections.v[s]), "a value lives in a section");
                check_value(v);
            }
        }
    }

    /* a section appended after the text */
    static const char extra[] = "\n[fuzz-appended]\nk = v\n";
    char *more = malloc(size + sizeof extra);
    check(more != NULL, "memory");
    memcpy(more, text, size);
    memcpy(more + size, extra, sizeof extra - 1);
    config_file *cf2 = config_parse(more, size + sizeof extra - 1, "fuzz", &err);
    check(cf2 != NULL, "a well-formed section can be appended");
    const char *kv = config_get(cf2, "fuzz-appended", "K");
    check(kv && strcmp(kv, "v") == 0, "the appended section is read");
    for (size_t s = 0; s < sections.n; s++) {
        if (strcmp(sections.v[s], "fuzz-appended") == 0)
            continue;
        for (size_t k = 0; k < keys.n; k++) {
            const char *v = config_get(cf2, sections.v[s], keys.v[k]);
            check((v == NULL) == (found[s][k] == NULL) &&
                      (v == NULL || strcmp(v, found[s][k]) == 0),
                  "appending a section changes nothing before it");
        }
    }
    config_free(cf2);
    free(more);
    config_free(cf);
    omics_error_clear(&err);
    return 0;
}
