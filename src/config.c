#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"

#define CONFIG_MAX_BYTES (16 * 1024 * 1024)

typedef struct config_entry {
    const char *section;
    const char *key; /* lower case */
    const char *value;
} config_entry;

struct config_file {
    omics_arena *arena;
    config_entry *entries;
    size_t n, cap;
    const char **sections;
    size_t nsections, sections_cap;
};

const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static config_file *config_new(void)
{
    config_file *cf = calloc(1, sizeof *cf);
    if (!cf)
        return NULL;
    cf->arena = omics_arena_new(4096);
    if (!cf->arena) {
        free(cf);
        return NULL;
    }
    return cf;
}

void config_free(config_file *cf)
{
    if (!cf)
        return;
    omics_arena_free(cf->arena);
    free(cf->entries);
    free(cf->sections);
    free(cf);
}

static const char *trim(char *s, size_t *n)
{
    size_t len = *n;
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
        len--;
    *n = len;
    return s;
}

static config_entry *find_entry(const config_file *cf, const char *section, const char *key)
{
    for (size_t i = cf->n; i-- > 0;)
        if (strcmp(cf->entries[i].section, section) == 0 &&
            strcmp(cf->entries[i].key, key) == 0)
            return &cf->entries[i];
    return NULL;
}

static int set_entry(config_file *cf, const char *section, const char *key, const char *value)
{
    config_entry *e = find_entry(cf, section, key);
    if (e) {
        e->value = value; /* a later value wins */
        return 0;
    }
    if (grow((void **)&cf->entries, &cf->cap, cf->n + 1, sizeof *cf->entries))
        return -1;
    cf->entries[cf->n].section = section;
    cf->entries[cf->n].key = key;
    cf->entries[cf->n].value = value;
    cf->n++;
    return 0;
}

static const char *add_section(config_file *cf, const char *name, size_t n)
{
    for (size_t i = 0; i < cf->nsections; i++)
        if (strlen(cf->sections[i]) == n && memcmp(cf->sections[i], name, n) == 0)
            return cf->sections[i];
    char *s = omics_arena_strndup(cf->arena, name, n);
    if (!s || grow((void **)&cf->sections, &cf->sections_cap, cf->nsections + 1,
                   sizeof *cf->sections))
        return NULL;
    cf->sections[cf->nsections++] = s;
    return s;
}

static char *lower_dup(omics_arena *a, const char *s, size_t n)
{
    char *d = omics_arena_strndup(a, s, n);
    if (d)
        for (char *p = d; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p + 32);
    return d;
}

config_file *config_parse(const char *text, size_t n, const char *name, omics_error *err)
{
    config_file *cf = config_new();
    if (!cf) {
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    buf line;
    buf_init(&line);
    const char *section = NULL;
    const char *last_key = NULL;     /* the key an indented line continues */
    const char *parent_key = NULL;   /* a `key =` opening a sub-section */
    size_t lineno = 0, i = 0;
    const char *problem = NULL;
    while (i < n && !problem) {
        size_t start = i;
        while (i < n && text[i] != '\n')
            i++;
        lineno++;
        buf_reset(&line);
        buf_add(&line, text + start, i - start);
        if (i < n)
            i++;
        if (line.oom) {
            problem = "out of memory";
            break;
        }
        if (memchr(line.p ? line.p : "", '\0', line.len)) {
            problem = "a NUL byte";
            break;
        }
        char *raw = line.p ? line.p : (char *)"";
        size_t len = line.len;
        int indented = len && (raw[0] == ' ' || raw[0] == '\t');
        const char *s = trim(raw, &len);
        if (!len) {
            last_key = NULL;
            continue;
        }
        if (s[0] == '#' || s[0] == ';')
            continue;
        if (indented && section && last_key) {
            /* a continuation: a nested `sub = value`, or more of the value */
            const char *eq = memchr(s, '=', len);
            if (parent_key && eq) {
                size_t kl = (size_t)(eq - s), vl = len - kl - 1;
                const char *k = trim((char *)s, &kl);
                const char *v = trim((char *)eq + 1, &vl);
                buf full;
                buf_init(&full);
                buf_adds(&full, parent_key);
                buf_addc(&full, '.');
                buf_add(&full, k, kl);
                char *key = full.oom ? NULL : lower_dup(cf->arena, full.p, full.len);
                buf_free(&full);
                char *val = omics_arena_strndup(cf->arena, v, vl);
                if (!key || !val || set_entry(cf, section, key, val))
                    problem = "out of memory";
                continue;
            }
            config_entry *e = find_entry(cf, section, last_key);
            if (e) {
                size_t ol = strlen(e->value);
                char *joined = omics_arena_alloc(cf->arena, ol + len + 2);
                if (!joined) {
                    problem = "out of memory";
                    continue;
                }
                memcpy(joined, e->value, ol);
                joined[ol] = '\n';
                memcpy(joined + ol + 1, s, len);
                joined[ol + 1 + len] = '\0';
                e->value = joined;
            }
            continue;
        }
        parent_key = NULL;
        if (s[0] == '[') {
            const char *close = memchr(s, ']', len);
            if (!close) {
                problem = "a section header without ']'";
                break;
            }
            size_t sl = (size_t)(close - s - 1);
            const char *sn = trim((char *)s + 1, &sl);
            section = add_section(cf, sn, sl);
            if (!section)
                problem = "out of memory";
            last_key = NULL;
            continue;
        }
        const char *eq = NULL;
        for (size_t k = 0; k < len; k++)
            if (s[k] == '=' || s[k] == ':') {
                eq = s + k;
                break;
            }
        if (!eq) {
            problem = "a line that is not `key = value`";
            break;
        }
        if (!section) {
            problem = "a key before any [section]";
            break;
        }
        size_t kl = (size_t)(eq - s), vl = len - kl - 1;
        const char *k = trim((char *)s, &kl);
        const char *v = trim((char *)eq + 1, &vl);
        if (!kl) {
            problem = "an empty key";
            break;
        }
        char *key = lower_dup(cf->arena, k, kl);
        char *val = omics_arena_strndup(cf->arena, v, vl);
        if (!key || !val || set_entry(cf, section, key, val)) {
            problem = "out of memory";
            break;
        }
        last_key = key;
        if (!vl)
            parent_key = key;
    }
    buf_free(&line);
    if (problem) {
        omics_error_set(err, OMICS_ECONFIG, "ConfigParseError", "%s, line %zu: %s",
                        name ? name : "config", lineno, problem);
        config_free(cf);
        return NULL;
    }
    return cf;
}

config_file *config_load(const char *path, omics_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR)
            return config_parse("", 0, path, err);
        omics_error_set(err, OMICS_ECONFIG, "ConfigFileError", "cannot read %s: %s", path,
                        strerror(errno));
        return NULL;
    }
    buf b;
    buf_init(&b);
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_add(&b, chunk, got);
        if (b.len > CONFIG_MAX_BYTES)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    config_file *cf = NULL;
    if (bad)
        omics_error_set(err, OMICS_ECONFIG, "ConfigFileError", "cannot read %s", path);
    else if (b.len > CONFIG_MAX_BYTES)
        omics_error_set(err, OMICS_ECONFIG, "ConfigFileError", "%s is larger than 16 MB",
                        path);
    else if (b.oom)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory reading %s", path);
    else
        cf = config_parse(b.p ? b.p : "", b.len, path, err);
    buf_free(&b);
    return cf;
}

int config_has_section(const config_file *cf, const char *section)
{
    for (size_t i = 0; cf && i < cf->nsections; i++)
        if (strcmp(cf->sections[i], section) == 0)
            return 1;
    return 0;
}

const char *config_get(const config_file *cf, const char *section, const char *key)
{
    if (!cf)
        return NULL;
    for (size_t i = cf->n; i-- > 0;)
        if (strcmp(cf->entries[i].section, section) == 0 &&
            strcasecmp(cf->entries[i].key, key) == 0)
            return cf->entries[i].value;
    return NULL;
}

/* ------------------------------------------------------------ profiles */

static char *expand_home(const char *path)
{
    if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
        const char *home = config_env("HOME");
        if (!home)
            home = "";
        size_t hl = strlen(home), pl = strlen(path + 1);
        char *s = malloc(hl + pl + 1);
        if (s) {
            memcpy(s, home, hl);
            memcpy(s + hl, path + 1, pl + 1);
        }
        return s;
    }
    return strdup(path);
}

int config_profile_open(config_profile *p, const char *option_profile, omics_error *err)
{
    memset(p, 0, sizeof *p);
    const char *cfg = config_env("AWS_CONFIG_FILE");
    const char *cred = config_env("AWS_SHARED_CREDENTIALS_FILE");
    p->config_path = expand_home(cfg ? cfg : "~/.aws/config");
    p->credentials_path = expand_home(cred ? cred : "~/.aws/credentials");
    const char *name = option_profile;
    p->explicit_option = name != NULL;
    if (!name)
        name = config_env("AWS_PROFILE");
    if (!name)
        name = config_env("AWS_DEFAULT_PROFILE");
    p->named = name != NULL;
    p->name = strdup(name ? name : "default");
    if (!p->config_path || !p->credentials_path || !p->name) {
        config_profile_close(p);
        return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
    }
    p->config = config_load(p->config_path, err);
    if (p->config)
        p->credentials = config_load(p->credentials_path, err);
    if (!p->config || !p->credentials) {
        config_profile_close(p);
        return -1;
    }
    if (p->named && !config_profile_exists(p)) {
        omics_error_set(err, OMICS_ECONFIG, "ProfileNotFound",
                        "the config profile (%s) could not be found in %s or %s", p->name,
                        cfg ? cfg : "~/.aws/config", cred ? cred : "~/.aws/credentials");
        config_profile_close(p);
        return -1;
    }
    return 0;
}

void config_profile_close(config_profile *p)
{
    config_free(p->config);
    config_free(p->credentials);
    free(p->config_path);
    free(p->credentials_path);
    free(p->name);
    memset(p, 0, sizeof *p);
}

const char *config_named_get(const config_profile *p, const char *profile, const char *key)
{
    char section[512];
    snprintf(section, sizeof section, "profile %s", profile);
    const char *v = config_get(p->config, section, key);
    if (!v && strcmp(profile, "default") == 0)
        v = config_get(p->config, "default", key);
    return v;
}

const char *config_named_cred(const config_profile *p, const char *profile, const char *key)
{
    return config_get(p->credentials, profile, key);
}

int config_named_exists(const config_profile *p, const char *profile)
{
    char section[512];
    snprintf(section, sizeof section, "profile %s", profile);
    return config_has_section(p->config, section) ||
           (strcmp(profile, "default") == 0 && config_has_section(p->config, "default")) ||
           config_has_section(p->credentials, profile);
}

const char *config_sso_session_get(const config_profile *p, const char *session,
                                   const char *key)
{
    char section[512];
    snprintf(section, sizeof section, "sso-session %s", session);
    return config_get(p->config, section, key);
}

const char *config_profile_get(const config_profile *p, const char *key)
{
    return config_named_get(p, p->name, key);
}

const char *config_profile_cred(const config_profile *p, const char *key)
{
    return config_named_cred(p, p->name, key);
}

int config_profile_exists(const config_profile *p)
{
    return config_named_exists(p, p->name);
}
