#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "buf.h"

#define CONFIG_MAX_BYTES (16 * 1024 * 1024)
#define CONFIG_CACHE 4 /* parsed files kept for the next client of the process */

/* Entries and sections are found through open-addressing tables of indexes
 * (plus one; 0 is an empty slot), so that parsing and every look-up cost the
 * same however many profiles a file holds. */
typedef struct config_entry {
    const char *section;
    const char *key; /* lower case */
    const char *value;
    uint64_t hash;
} config_entry;

struct config_file {
    omics_arena *arena;
    config_entry *entries;
    size_t n, cap;
    uint32_t *eslots;
    size_t ecap; /* a power of two, or 0 */
    const char **sections;
    size_t nsections, sections_cap;
    uint32_t *sslots;
    size_t scap;
    int refs; /* the cache and each client holding it */
};

const char *config_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* FNV-1a, keys folded to lower case (they are case-insensitive) */
#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

static uint64_t fnv(uint64_t h, const char *s, size_t n, int fold)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (fold && c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        h = (h ^ c) * FNV_PRIME;
    }
    return h;
}

static uint64_t entry_hash(const char *section, const char *key, size_t klen)
{
    uint64_t h = fnv(FNV_OFFSET, section, strlen(section) + 1, 0); /* (with its NUL) */
    return fnv(h, key, klen, 1);
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

/* Rebuild a slot table of cap slots for count items (hash of item i: hash_of). */
static int rehash(uint32_t **slots, size_t *cap, size_t count, uint64_t (*hash_of)(
                  const config_file *, size_t), const config_file *cf)
{
    if (count * 2 < *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 64;
    while (count * 2 >= n)
        n *= 2;
    uint32_t *t = calloc(n, sizeof *t);
    if (!t)
        return -1;
    for (size_t i = 0; i < count; i++) {
        size_t j = (size_t)hash_of(cf, i) & (n - 1);
        while (t[j])
            j = (j + 1) & (n - 1);
        t[j] = (uint32_t)(i + 1);
    }
    free(*slots);
    *slots = t;
    *cap = n;
    return 0;
}

static uint64_t entry_hash_at(const config_file *cf, size_t i)
{
    return cf->entries[i].hash;
}

static uint64_t section_hash_at(const config_file *cf, size_t i)
{
    return fnv(FNV_OFFSET, cf->sections[i], strlen(cf->sections[i]), 0);
}

static config_file *config_new(void)
{
    config_file *cf = calloc(1, sizeof *cf);
    if (!cf)
        return NULL;
    cf->refs = 1;
    cf->arena = omics_arena_new(4096);
    if (!cf->arena) {
        free(cf);
        return NULL;
    }
    return cf;
}

static void config_destroy(config_file *cf)
{
    omics_arena_free(cf->arena);
    free(cf->entries);
    free(cf->eslots);
    free(cf->sections);
    free(cf->sslots);
    free(cf);
}

static pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;

void config_free(config_file *cf)
{
    if (!cf)
        return;
    pthread_mutex_lock(&config_lock);
    int last = --cf->refs == 0;
    pthread_mutex_unlock(&config_lock);
    if (last)
        config_destroy(cf);
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

/* The entry of key (klen bytes, any case) in section, or NULL. */
static config_entry *find_entry(const config_file *cf, const char *section, const char *key,
                                size_t klen)
{
    if (!cf->ecap)
        return NULL;
    uint64_t h = entry_hash(section, key, klen);
    for (size_t j = (size_t)h & (cf->ecap - 1); cf->eslots[j]; j = (j + 1) & (cf->ecap - 1)) {
        config_entry *e = &cf->entries[cf->eslots[j] - 1];
        if (e->hash == h && strcmp(e->section, section) == 0 &&
            strncasecmp(e->key, key, klen) == 0 && e->key[klen] == '\0')
            return e;
    }
    return NULL;
}

/* Set key (lower case, in the arena) in section; returns the entry's index,
 * or -1 when out of memory. */
static long set_entry(config_file *cf, const char *section, const char *key, const char *value)
{
    size_t klen = strlen(key);
    config_entry *e = find_entry(cf, section, key, klen);
    if (e) {
        e->value = value; /* a later value wins */
        return (long)(e - cf->entries);
    }
    if (cf->n >= UINT32_MAX - 1 ||
        grow((void **)&cf->entries, &cf->cap, cf->n + 1, sizeof *cf->entries))
        return -1;
    uint64_t h = entry_hash(section, key, klen);
    cf->entries[cf->n] = (config_entry){section, key, value, h};
    cf->n++;
    size_t had = cf->ecap;
    if (rehash(&cf->eslots, &cf->ecap, cf->n, entry_hash_at, cf)) {
        cf->n--;
        return -1;
    }
    if (had == cf->ecap) { /* not rebuilt: add the new one */
        size_t j = (size_t)h & (cf->ecap - 1);
        while (cf->eslots[j])
            j = (j + 1) & (cf->ecap - 1);
        cf->eslots[j] = (uint32_t)cf->n;
    }
    return (long)(cf->n - 1);
}

static const char *find_section(const config_file *cf, const char *name, size_t n)
{
    if (!cf->scap)
        return NULL;
    uint64_t h = fnv(FNV_OFFSET, name, n, 0);
    for (size_t j = (size_t)h & (cf->scap - 1); cf->sslots[j]; j = (j + 1) & (cf->scap - 1)) {
        const char *s = cf->sections[cf->sslots[j] - 1];
        if (strncmp(s, name, n) == 0 && s[n] == '\0')
            return s;
    }
    return NULL;
}

static const char *add_section(config_file *cf, const char *name, size_t n)
{
    const char *found = find_section(cf, name, n);
    if (found)
        return found;
    char *s = omics_arena_strndup(cf->arena, name, n);
    if (!s || cf->nsections >= UINT32_MAX - 1 ||
        grow((void **)&cf->sections, &cf->sections_cap, cf->nsections + 1,
             sizeof *cf->sections))
        return NULL;
    cf->sections[cf->nsections++] = s;
    size_t had = cf->scap;
    if (rehash(&cf->sslots, &cf->scap, cf->nsections, section_hash_at, cf)) {
        cf->nsections--;
        return NULL;
    }
    if (had == cf->scap) {
        size_t j = (size_t)fnv(FNV_OFFSET, s, n, 0) & (cf->scap - 1);
        while (cf->sslots[j])
            j = (j + 1) & (cf->scap - 1);
        cf->sslots[j] = (uint32_t)cf->nsections;
    }
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

/* Continuation lines of one key gather in a buffer, written to the entry
 * once when the key's block ends: each line costs its own length, not the
 * length of the value so far. */
typedef struct continued {
    long entry; /* the entry being continued, or -1 */
    buf value;
} continued;

static int commit(config_file *cf, continued *c)
{
    if (c->entry < 0)
        return 0;
    long e = c->entry;
    c->entry = -1;
    char *v = c->value.oom ? NULL : omics_arena_strndup(cf->arena, c->value.p, c->value.len);
    if (!v)
        return -1;
    cf->entries[e].value = v;
    return 0;
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
    continued cont = {-1, {0}};
    buf_init(&cont.value);
    const char *section = NULL;
    long last = -1;                /* the entry an indented line continues */
    const char *parent_key = NULL; /* a `key =` opening a sub-section */
    size_t lineno = 0, i = 0;
    const char *problem = NULL;
    while (i < n && !problem) {
        size_t start = i;
        const char *nl = memchr(text + i, '\n', n - i);
        i = nl ? (size_t)(nl - text) : n;
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
            last = -1;
            continue;
        }
        if (s[0] == '#' || s[0] == ';')
            continue;
        if (indented && section && last >= 0) {
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
                if (!key || !val || set_entry(cf, section, key, val) < 0)
                    problem = "out of memory";
                continue;
            }
            if (cont.entry != last) {
                if (commit(cf, &cont))
                    problem = "out of memory";
                cont.entry = last;
                buf_reset(&cont.value);
                buf_adds(&cont.value, cf->entries[last].value);
            }
            buf_addc(&cont.value, '\n');
            buf_add(&cont.value, s, len);
            continue;
        }
        if (commit(cf, &cont)) {
            problem = "out of memory";
            break;
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
            last = -1;
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
        if (!key || !val || (last = set_entry(cf, section, key, val)) < 0) {
            problem = "out of memory";
            break;
        }
        if (!vl)
            parent_key = key;
    }
    if (!problem && commit(cf, &cont))
        problem = "out of memory";
    buf_free(&line);
    buf_free(&cont.value);
    if (problem) {
        omics_error_set(err, OMICS_ECONFIG, "ConfigParseError", "%s, line %zu: %s",
                        name ? name : "config", lineno, problem);
        config_free(cf);
        return NULL;
    }
    return cf;
}

/* ---------------------------------------------------------------- cache
 * The files a client reads are parsed once per process while they stay the
 * same: a later client of the same files (same device, inode, size, and
 * modification and change times to the nanosecond) shares the parsed copy. */

typedef struct cached {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
    config_file *cf;
    unsigned long used;
} cached;

static cached config_cache[CONFIG_CACHE];
static unsigned long config_clock;

static int same_file(const cached *c, const char *path, const struct stat *st)
{
    return c->cf && strcmp(c->path, path) == 0 && c->dev == st->st_dev && c->ino == st->st_ino &&
           c->size == st->st_size && c->mtime.tv_sec == st->st_mtim.tv_sec &&
           c->mtime.tv_nsec == st->st_mtim.tv_nsec && c->ctime.tv_sec == st->st_ctim.tv_sec &&
           c->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

static config_file *cache_get(const char *path, const struct stat *st)
{
    config_file *cf = NULL;
    pthread_mutex_lock(&config_lock);
    for (size_t i = 0; i < CONFIG_CACHE; i++)
        if (same_file(&config_cache[i], path, st)) {
            cf = config_cache[i].cf;
            cf->refs++;
            config_cache[i].used = ++config_clock;
            break;
        }
    pthread_mutex_unlock(&config_lock);
    return cf;
}

static void cache_put(const char *path, const struct stat *st, config_file *cf)
{
    char *copy = strdup(path);
    if (!copy)
        return; /* not cached: nothing lost but time */
    config_file *evicted = NULL;
    char *evicted_path = NULL;
    pthread_mutex_lock(&config_lock);
    size_t slot = 0;
    for (size_t i = 0; i < CONFIG_CACHE; i++) {
        if (config_cache[i].cf && strcmp(config_cache[i].path, path) == 0) {
            slot = i; /* the older copy of the same file goes */
            break;
        }
        if (config_cache[i].used < config_cache[slot].used)
            slot = i;
    }
    cached *c = &config_cache[slot];
    evicted = c->cf;
    evicted_path = c->path;
    *c = (cached){copy, st->st_dev, st->st_ino, st->st_size, st->st_mtim, st->st_ctim, cf,
                  ++config_clock};
    cf->refs++;
    if (evicted && --evicted->refs > 0)
        evicted = NULL;
    pthread_mutex_unlock(&config_lock);
    free(evicted_path);
    if (evicted)
        config_destroy(evicted);
}

/* When the library is unloaded (a Lua state closing dlcloses the module) or
 * the program exits, the cache lets its copies go: their memory would
 * otherwise outlive the only pointers to it. */
#if defined(__GNUC__)
__attribute__((destructor))
#endif
static void cache_clear(void)
{
    pthread_mutex_lock(&config_lock);
    for (size_t i = 0; i < CONFIG_CACHE; i++) {
        cached *c = &config_cache[i];
        if (c->cf && --c->cf->refs == 0)
            config_destroy(c->cf);
        free(c->path);
        memset(c, 0, sizeof *c);
    }
    pthread_mutex_unlock(&config_lock);
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
    struct stat st;
    int regular = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode);
    config_file *cf = regular ? cache_get(path, &st) : NULL;
    if (cf) {
        fclose(f);
        return cf;
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
    if (bad)
        omics_error_set(err, OMICS_ECONFIG, "ConfigFileError", "cannot read %s", path);
    else if (b.len > CONFIG_MAX_BYTES)
        omics_error_set(err, OMICS_ECONFIG, "ConfigFileError", "%s is larger than 16 MB",
                        path);
    else if (b.oom)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory reading %s", path);
    else
        cf = config_parse(b.p ? b.p : "", b.len, path, err);
    int whole = regular && (size_t)st.st_size == b.len; /* (it did not change while read) */
    buf_free(&b);
    if (cf && whole)
        cache_put(path, &st, cf);
    return cf;
}

int config_has_section(const config_file *cf, const char *section)
{
    return cf && find_section(cf, section, strlen(section)) != NULL;
}

const char *config_get(const config_file *cf, const char *section, const char *key)
{
    if (!cf)
        return NULL;
    const config_entry *e = find_entry(cf, section, key, strlen(key));
    return e ? e->value : NULL;
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
