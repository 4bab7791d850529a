/* config: the shared config and credentials files (INI as botocore reads it). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "ctest.h"

static config_file *parse(const char *text)
{
    omics_error err;
    omics_error_init(&err);
    config_file *cf = config_parse(text, strlen(text), "test.ini", &err);
    if (!cf)
        fprintf(stderr, "  parse failed: %s\n", err.message ? err.message : "?");
    omics_error_clear(&err);
    return cf;
}

/* The error message of a text that must not parse ("(parsed)" if it does). */
static const char *parse_error(const char *text)
{
    static char msg[256];
    omics_error err;
    omics_error_init(&err);
    config_file *cf = config_parse(text, strlen(text), "test.ini", &err);
    if (cf) {
        config_free(cf);
        snprintf(msg, sizeof msg, "(parsed)");
    } else {
        snprintf(msg, sizeof msg, "%s%s", err.kind == OMICS_ECONFIG ? "" : "(not ECONFIG) ",
                 err.message ? err.message : "(no message)");
    }
    omics_error_clear(&err);
    return msg;
}

static const char *get(const config_file *cf, const char *section, const char *key)
{
    const char *v = config_get(cf, section, key);
    return v ? v : "(none)";
}

static void test_sections_and_separators(void)
{
    config_file *cf = parse("[default]\n"
                            "region = us-west-2\n"
                            "output: json\n"
                            "cli_pager=\n"
                            "[profile dev]\n"
                            "region=eu-west-1\n"
                            "[ spaced name ]\n"
                            "k = v\n");
    CHECK(cf != NULL);
    if (!cf)
        return;
    CHECK(config_has_section(cf, "default"));
    CHECK(config_has_section(cf, "profile dev"));
    CHECK(config_has_section(cf, "spaced name"));
    CHECK(!config_has_section(cf, "dev"));
    CHECK(!config_has_section(cf, "Default")); /* section names keep their case */
    CHECK_STR(get(cf, "default", "region"), "us-west-2");
    CHECK_STR(get(cf, "default", "output"), "json");
    CHECK_STR(get(cf, "default", "cli_pager"), "");
    CHECK_STR(get(cf, "profile dev", "region"), "eu-west-1");
    CHECK_STR(get(cf, "spaced name", "k"), "v");
    CHECK_STR(get(cf, "default", "missing"), "(none)");
    CHECK_STR(get(cf, "nowhere", "region"), "(none)");
    config_free(cf);
}

static void test_values(void)
{
    config_file *cf = parse("[s]\n"
                            "url = https://host:443/path?a=b\n"
                            "colon: a = b\n"
                            "equals = a: b\n"
                            "hash = value # not a comment\n"
                            "padded =   trimmed   \n"
                            "inner = a  b\t\n"
                            "crlf = yes\r\n"
                            "\r\n"
                            "after_crlf = ok\r\n");
    CHECK(cf != NULL);
    if (!cf)
        return;
    CHECK_STR(get(cf, "s", "url"), "https://host:443/path?a=b");
    CHECK_STR(get(cf, "s", "colon"), "a = b");
    CHECK_STR(get(cf, "s", "equals"), "a: b");
    CHECK_STR(get(cf, "s", "hash"), "value # not a comment");
    CHECK_STR(get(cf, "s", "padded"), "trimmed");
    CHECK_STR(get(cf, "s", "inner"), "a  b");
    CHECK_STR(get(cf, "s", "crlf"), "yes");
    CHECK_STR(get(cf, "s", "after_crlf"), "ok");
    config_free(cf);
}

static void test_comments(void)
{
    config_file *cf = parse("# a comment before any section\n"
                            "; another\n"
                            "[default]\n"
                            "# region = commented-out\n"
                            "; region = commented-out-too\n"
                            "  # an indented comment\n"
                            "region = us-east-1\n");
    CHECK(cf != NULL);
    if (!cf)
        return;
    CHECK_STR(get(cf, "default", "region"), "us-east-1");
    config_free(cf);
}

static void test_continuation_lines(void)
{
    config_file *cf = parse("[default]\n"
                            "key = first\n"
                            "  second\n"
                            "\tthird  \n"
                            "other = x\n"
                            "empty =\n"
                            "  only\n");
    CHECK(cf != NULL);
    if (!cf)
        return;
    CHECK_STR(get(cf, "default", "key"), "first\nsecond\nthird");
    CHECK_STR(get(cf, "default", "other"), "x");
    CHECK_STR(get(cf, "default", "empty"), "\nonly");
    config_free(cf);
}

static void test_nested_sections(void)
{
    config_file *cf = parse("[profile dev]\n"
                            "s3 =\n"
                            "  max_concurrent_requests = 20\n"
                            "  Addressing_Style = path\n"
                            "region = us-east-1\n"
                            "omics =\n"
                            "\tendpoint_url = http://127.0.0.1:9000\n");
    CHECK(cf != NULL);
    if (!cf)
        return;
    CHECK_STR(get(cf, "profile dev", "s3.max_concurrent_requests"), "20");
    CHECK_STR(get(cf, "profile dev", "s3.addressing_style"), "path");
    CHECK_STR(get(cf, "profile dev", "S3.Addressing_Style"), "path");
    CHECK_STR(get(cf, "profile dev", "s3"), "");
    CHECK_STR(get(cf, "profile dev", "region"), "us-east-1");
    CHECK_STR(get(cf, "profile dev", "omics.endpoint_url"), "http://127.0.0.1:9000");
    CHECK_STR(get(cf, "profile dev", "max_concurrent_requests"), "(none)");
    config_free(cf);
}

static void test_case_and_later_values(void)
{
    config_file *cf = parse("[default]\n"
                            "AWS_Access_Key_ID = first\n"
                            "region = us-east-1\n"
                            "[other]\n"
                            "region = eu-west-1\n"
                            "[default]\n"
                            "aws_access_key_id = second\n");
    CHECK(cf != NULL);
    if (!cf)
        return;
    CHECK_STR(get(cf, "default", "aws_access_key_id"), "second");
    CHECK_STR(get(cf, "default", "AWS_ACCESS_KEY_ID"), "second");
    CHECK_STR(get(cf, "default", "Region"), "us-east-1"); /* a repeated section merges */
    CHECK_STR(get(cf, "other", "region"), "eu-west-1");
    config_free(cf);

    cf = parse("[a]\nk = 1\nK = 2\nk: 3\n");
    CHECK(cf != NULL);
    if (cf)
        CHECK_STR(get(cf, "a", "k"), "3");
    config_free(cf);
}

static void test_empty(void)
{
    config_file *cf = parse("");
    CHECK(cf != NULL);
    CHECK(!config_has_section(cf, "default"));
    CHECK_STR(get(cf, "default", "region"), "(none)");
    config_free(cf);
    cf = parse("\n\n# only comments\n\n");
    CHECK(cf != NULL);
    config_free(cf);
    /* NULL is an empty config for the readers */
    CHECK(config_get(NULL, "default", "region") == NULL);
    CHECK(!config_has_section(NULL, "default"));
}

static int has(const char *msg, const char *part)
{
    if (strstr(msg, part))
        return 1;
    fprintf(stderr, "  \"%s\" does not mention \"%s\"\n", msg, part);
    return 0;
}

static void test_syntax_errors(void)
{
    const char *m = parse_error("[default\nregion = x\n");
    CHECK(has(m, "test.ini") && has(m, "line 1"));
    m = parse_error("[default]\nregion = x\nthis line has no separator\n");
    CHECK(has(m, "test.ini") && has(m, "line 3"));
    m = parse_error("# comment\nregion = x\n");
    CHECK(has(m, "line 2") && has(m, "section"));
    m = parse_error("[default]\n\n = value\n");
    CHECK(has(m, "line 3") && has(m, "key"));
    static const char nul[] = "[default]\nregion = a\0b\n";
    omics_error err;
    omics_error_init(&err);
    config_file *cf = config_parse(nul, sizeof nul - 1, "nul.ini", &err);
    CHECK(cf == NULL);
    CHECK(err.kind == OMICS_ECONFIG);
    CHECK(err.message && has(err.message, "nul.ini") && has(err.message, "line 2"));
    omics_error_clear(&err);
}

/* A temporary file holding text; the caller unlinks and frees the path. */
static char *temp_file(const char *text)
{
    char *path = strdup("/tmp/lua-omics-test-config.XXXXXX");
    if (!path)
        return NULL;
    int fd = mkstemp(path);
    if (fd < 0) {
        free(path);
        return NULL;
    }
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n;
    close(fd);
    if (!ok) {
        unlink(path);
        free(path);
        return NULL;
    }
    return path;
}

static void test_load(void)
{
    omics_error err;
    omics_error_init(&err);
    /* a missing file is an empty config */
    config_file *cf = config_load("/nonexistent/lua-omics/config", &err);
    CHECK(cf != NULL);
    CHECK(err.kind == OMICS_OK);
    CHECK(!config_has_section(cf, "default"));
    config_free(cf);

    char *path = temp_file("[default]\nregion = us-west-1\n");
    CHECK(path != NULL);
    if (!path)
        return;
    cf = config_load(path, &err);
    CHECK(cf != NULL);
    CHECK_STR(get(cf, "default", "region"), "us-west-1");
    config_free(cf);
    unlink(path);
    free(path);

    /* a syntax error in a file names the file */
    path = temp_file("[default]\nbroken\n");
    if (!path)
        return;
    cf = config_load(path, &err);
    CHECK(cf == NULL);
    CHECK(err.kind == OMICS_ECONFIG);
    CHECK(err.message && has(err.message, path) && has(err.message, "line 2"));
    omics_error_clear(&err);
    unlink(path);
    free(path);
}

/* The same file, unchanged, is parsed once: a second load shares the parsed
 * copy; once the file changes (contents, size or times) it is read again. */
static void test_cache(void)
{
    char *path = temp_file("[default]\nregion = us-west-1\n");
    CHECK(path != NULL);
    if (!path)
        return;
    omics_error err;
    omics_error_init(&err);
    config_file *a = config_load(path, &err);
    config_file *b = config_load(path, &err);
    CHECK(a != NULL && a == b);
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs("[default]\nregion = eu-north-1\n", f); /* another value, the same size */
        fclose(f);
    }
    config_file *c = config_load(path, &err);
    CHECK(c != NULL && c != a);
    CHECK_STR(get(c, "default", "region"), "eu-north-1");
    CHECK_STR(get(a, "default", "region"), "us-west-1"); /* a holder keeps its copy */
    config_free(a);
    config_free(b);
    config_free(c);
    unlink(path);
    free(path);
}

/* Parsing is linear and look-ups are hashed: what took minutes before (a
 * value continued over 30,000 lines copied itself at every line; 300,000
 * sections were each searched from the start) takes a fraction of a second
 * for 16 MB, the largest file read.  The bound is two seconds of CPU (before:
 * 536 s for the sections alone), twenty under the sanitizers. */
#if defined(__SANITIZE_ADDRESS__)
#define CPU_BOUND 20.0 /* ASan's allocator and checks, several times slower */
#else
#define CPU_BOUND 2.0
#endif

static void test_large_files(void)
{
    buf b;
    buf_init(&b);
    buf_adds(&b, "[default]\nlong =\n");
    for (int i = 0; i < 30000; i++)
        buf_addf(&b, "  line %d of a long value\n", i);
    for (int i = 0; i < 300000; i++)
        buf_addf(&b, "[profile p%d]\nregion = r%d\nsso_session = s%d\n", i, i, i % 7);
    CHECK(!b.oom);
    clock_t t0 = clock();
    omics_error err;
    omics_error_init(&err);
    config_file *cf = config_parse(b.p, b.len, "large", &err);
    CHECK(cf != NULL);
    int found = 0;
    for (int i = 0; i < 300000; i += 1000) {
        char section[32], want[32];
        snprintf(section, sizeof section, "profile p%d", i);
        snprintf(want, sizeof want, "r%d", i);
        const char *v = config_get(cf, section, "REGION");
        found += v && strcmp(v, want) == 0 && config_has_section(cf, section);
    }
    CHECK(found == 300);
    const char *v = config_get(cf, "default", "long");
    const char *head = "\nline 0 of a long value\nline 1 of";
    CHECK(v && strncmp(v, head, strlen(head)) == 0);
    CHECK(v && strstr(v, "\nline 29999 of a long value") != NULL);
    double cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("  a %zu-byte config (30,000 continuation lines, 300,000 sections): %.3f s of CPU\n",
           b.len, cpu);
    CHECK(cpu < CPU_BOUND);
    config_free(cf);
    buf_free(&b);
}

static void test_profiles(void)
{
    char *cfg = temp_file("[default]\nregion = us-east-1\n"
                          "[profile dev]\nregion = eu-west-1\n");
    char *cred = temp_file("[dev]\naws_access_key_id = AKIDDEV\n"
                           "[default]\naws_access_key_id = AKIDDEFAULT\n");
    CHECK(cfg && cred);
    if (!cfg || !cred) {
        free(cfg);
        free(cred);
        return;
    }
    setenv("AWS_CONFIG_FILE", cfg, 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_DEFAULT_PROFILE");
    omics_error err;
    omics_error_init(&err);
    config_profile p;

    CHECK(config_profile_open(&p, NULL, &err) == 0);
    CHECK_STR(p.name, "default");
    CHECK(!p.named);
    CHECK_STR(config_profile_get(&p, "region"), "us-east-1");
    CHECK_STR(config_profile_cred(&p, "aws_access_key_id"), "AKIDDEFAULT");
    config_profile_close(&p);

    CHECK(config_profile_open(&p, "dev", &err) == 0);
    CHECK(p.named && p.explicit_option);
    CHECK_STR(config_profile_get(&p, "region"), "eu-west-1");
    CHECK_STR(config_profile_cred(&p, "aws_access_key_id"), "AKIDDEV");
    config_profile_close(&p);

    setenv("AWS_PROFILE", "dev", 1);
    CHECK(config_profile_open(&p, NULL, &err) == 0);
    CHECK_STR(p.name, "dev");
    CHECK(p.named && !p.explicit_option);
    config_profile_close(&p);
    unsetenv("AWS_PROFILE");

    /* a named profile must exist */
    CHECK(config_profile_open(&p, "nope", &err) == -1);
    CHECK_STR(err.code, "ProfileNotFound");
    omics_error_clear(&err);

    /* missing files: the default profile is simply empty */
    setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    CHECK(config_profile_open(&p, NULL, &err) == 0);
    CHECK(config_profile_get(&p, "region") == NULL);
    CHECK(!config_profile_exists(&p));
    config_profile_close(&p);

    /* ~ is the home directory */
    setenv("HOME", "/nonexistent-home", 1);
    setenv("AWS_CONFIG_FILE", "~/cfg", 1);
    CHECK(config_profile_open(&p, NULL, &err) == 0);
    CHECK_STR(p.config_path, "/nonexistent-home/cfg");
    config_profile_close(&p);

    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unlink(cfg);
    unlink(cred);
    free(cfg);
    free(cred);
}

int main(void)
{
    RUN(test_sections_and_separators);
    RUN(test_values);
    RUN(test_comments);
    RUN(test_continuation_lines);
    RUN(test_nested_sections);
    RUN(test_case_and_later_values);
    RUN(test_empty);
    RUN(test_syntax_errors);
    RUN(test_load);
    RUN(test_cache);
    RUN(test_large_files);
    RUN(test_profiles);
    CTEST_DONE();
}
