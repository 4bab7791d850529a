/* sigv4: AWS Signature Version 4 for HTTP headers.
 *
 * The canonical request is built exactly as the AWS test suite defines it:
 * the path normalised (dot segments, repeated slashes) and percent-encoded
 * again (every service but S3), the query decoded, re-encoded and sorted,
 * header names lower-cased, values trimmed with inner whitespace collapsed and
 * duplicates joined with ','.  Signing keys are cached per (secret, day,
 * region, service). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "hash.h"
#include "omics.h"
#include "uri.h"

#define SIGV4_CACHE 4
/* SHA-256 of nothing: the payload hash of every request without a body */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_FIELD 128

typedef struct sigv4_key {
    char secret[SIGV4_FIELD];
    char date[9];
    char region[SIGV4_FIELD];
    char service[SIGV4_FIELD];
    hash_hmac *hmac; /* the signing key, ready to sign with */
    int used;
} sigv4_key;

typedef struct sigv4_hdr {
    const char *lname; /* lower-case name, in hbuf */
    size_t lname_len;
    const char *value;
    size_t order; /* input position, for a stable sort */
} sigv4_hdr;

typedef struct sigv4_qpair {
    const char *k;
    size_t klen;
    const char *v;
    size_t vlen;
} sigv4_qpair;

struct omics_signer {
    sigv4_key cache[SIGV4_CACHE];
    unsigned next_slot;
    buf creq, sts, auth, hbuf, qbuf, tmp;
    buf token; /* a copy: the signature outlives the caller's credentials */
    omics_header *out;
    size_t out_cap;
    sigv4_hdr *hdrs;
    size_t hdrs_cap;
    sigv4_qpair *pairs;
    size_t pairs_cap;
    char amzdate[17];
    int64_t amzdate_time; /* what amzdate says, kept for the next signature */
    int amzdate_set;
    char payload_hash[2 * HASH_LEN + 1];
    char signature[2 * HASH_LEN + 1];
};

/* headers that proxies and clients rewrite; signing them breaks requests */
static const char *const sigv4_unsigned[] = {"user-agent", "expect", "x-amzn-trace-id",
                                             "authorization"};

omics_signer *omics_signer_new(void)
{
    omics_signer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    buf_init(&s->creq);
    buf_init(&s->sts);
    buf_init(&s->auth);
    buf_init(&s->hbuf);
    buf_init(&s->qbuf);
    buf_init(&s->tmp);
    buf_init(&s->token);
    return s;
}

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void omics_signer_free(omics_signer *s)
{
    if (!s)
        return;
    for (int i = 0; i < SIGV4_CACHE; i++)
        hash_hmac_free(s->cache[i].hmac);
    wipe(s->cache, sizeof s->cache);
    buf_free(&s->creq);
    buf_free(&s->sts);
    buf_free(&s->auth);
    buf_free(&s->hbuf);
    buf_free(&s->qbuf);
    buf_free(&s->tmp);
    if (s->token.p)
        wipe(s->token.p, s->token.cap);
    buf_free(&s->token);
    free(s->out);
    free(s->hdrs);
    free(s->pairs);
    free(s);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *q = realloc(*p, n * size);
    if (!q)
        return -1;
    *p = q;
    *cap = n;
    return 0;
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z')
            x = (unsigned char)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (unsigned char)(y + 32);
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static int is_unsigned_header(const char *lname)
{
    for (size_t i = 0; i < sizeof sigv4_unsigned / sizeof *sigv4_unsigned; i++)
        if (strcmp(lname, sigv4_unsigned[i]) == 0)
            return 1;
    return 0;
}

static int format_amzdate(int64_t t, char out[17])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm))
        return -1;
    if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        return -1;
    return 0;
}

/* ------------------------------------------------------- canonical URI */

/* Normalizing (dot and empty segments) and encoding (each byte again, as
 * every service but S3 signs it) are separate steps. */
static void append_canonical_path(omics_signer *s, buf *b, const char *path, int normalize,
                                  int encode)
{
    if (!normalize) {
        if (encode)
            uri_encode(b, path, strlen(path), 1);
        else
            buf_adds(b, path);
        return;
    }
    /* remove dot segments and empty segments */
    buf *segs = &s->tmp;
    buf_reset(segs);
    size_t n = strlen(path);
    size_t i = 0;
    while (i < n) {
        while (i < n && path[i] == '/')
            i++;
        size_t start = i;
        while (i < n && path[i] != '/')
            i++;
        size_t len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.'))
            continue;
        if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
            /* drop the last segment written */
            while (segs->len && segs->p[segs->len - 1] != '/')
                segs->len--;
            if (segs->len)
                segs->len--;
            if (segs->p)
                segs->p[segs->len] = '\0';
            continue;
        }
        buf_addc(segs, '/');
        buf_add(segs, path + start, len);
    }
    if (segs->len == 0)
        buf_addc(segs, '/');
    else if (n && path[n - 1] == '/')
        buf_addc(segs, '/');
    if (segs->oom) {
        b->oom = 1;
        return;
    }
    if (encode)
        uri_encode(b, segs->p, segs->len, 1);
    else
        buf_add(b, segs->p, segs->len);
}

/* ----------------------------------------------------- canonical query */

static int cmp_pair(const void *a, const void *b)
{
    const sigv4_qpair *x = a, *y = b;
    size_t n = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->k, y->k, n);
    if (c || x->klen != y->klen)
        return c ? c : (x->klen < y->klen ? -1 : 1);
    n = x->vlen < y->vlen ? x->vlen : y->vlen;
    c = memcmp(x->v, y->v, n);
    if (c || x->vlen != y->vlen)
        return c ? c : (x->vlen < y->vlen ? -1 : 1);
    return 0;
}

/* Decode then encode one query component into qbuf; returns its offset. */
static size_t add_component(omics_signer *s, const char *p, size_t n)
{
    buf_reset(&s->tmp);
    uri_decode(&s->tmp, p, n);
    size_t at = s->qbuf.len;
    if (!s->tmp.oom)
        uri_encode(&s->qbuf, s->tmp.p ? s->tmp.p : "", s->tmp.len, 0);
    else
        s->qbuf.oom = 1;
    return at;
}

static int append_canonical_query(omics_signer *s, buf *b, const char *q)
{
    if (!q || !*q)
        return 0;
    buf_reset(&s->qbuf);
    size_t count = 0;
    /* offsets first (qbuf may move while it grows), pointers after */
    size_t n = strlen(q), i = 0;
    while (i <= n) {
        size_t start = i;
        while (i < n && q[i] != '&')
            i++;
        if (i > start) {
            const char *eq = memchr(q + start, '=', i - start);
            size_t klen = eq ? (size_t)(eq - (q + start)) : i - start;
            if (grow((void **)&s->pairs, &s->pairs_cap, count + 1, sizeof *s->pairs))
                return -1;
            size_t ko = add_component(s, q + start, klen);
            size_t kl = s->qbuf.len - ko;
            size_t vo = s->qbuf.len;
            if (eq)
                add_component(s, eq + 1, i - start - klen - 1);
            size_t vl = s->qbuf.len - vo;
            s->pairs[count].k = (const char *)ko;
            s->pairs[count].klen = kl;
            s->pairs[count].v = (const char *)vo;
            s->pairs[count].vlen = vl;
            count++;
        }
        i++;
    }
    if (s->qbuf.oom)
        return -1;
    for (size_t k = 0; k < count; k++) {
        s->pairs[k].k = s->qbuf.p + (size_t)s->pairs[k].k;
        s->pairs[k].v = s->qbuf.p + (size_t)s->pairs[k].v;
    }
    if (count > 1)
        qsort(s->pairs, count, sizeof *s->pairs, cmp_pair);
    for (size_t k = 0; k < count; k++) {
        if (k)
            buf_addc(b, '&');
        buf_add(b, s->pairs[k].k, s->pairs[k].klen);
        buf_addc(b, '=');
        buf_add(b, s->pairs[k].v, s->pairs[k].vlen);
    }
    return 0;
}

/* --------------------------------------------------- canonical headers */

static int cmp_hdr(const void *a, const void *b)
{
    const sigv4_hdr *x = a, *y = b;
    int c = strcmp(x->lname, y->lname);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A value trimmed, with every run of whitespace inside it made one space. */
static void append_trimmed(buf *b, const char *v)
{
    size_t n = strlen(v);
    char *o = buf_reserve(b, n);
    if (!o)
        return;
    char *start = o;
    int pending_space = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (is_space(c)) {
            pending_space = o > start;
            continue;
        }
        if (pending_space)
            *o++ = ' ';
        pending_space = 0;
        *o++ = (char)c;
    }
    b->len += (size_t)(o - start);
    b->p[b->len] = '\0';
}

static int collect_signed(omics_signer *s, size_t nout, size_t *nsigned)
{
    buf_reset(&s->hbuf);
    size_t offs_count = 0;
    if (grow((void **)&s->hdrs, &s->hdrs_cap, nout ? nout : 1, sizeof *s->hdrs))
        return -1;
    for (size_t i = 0; i < nout; i++) {
        size_t at = s->hbuf.len, len = strlen(s->out[i].name);
        char *o = buf_reserve(&s->hbuf, len + 1);
        if (!o)
            return -1;
        for (size_t k = 0; k < len; k++) {
            char ch = s->out[i].name[k];
            o[k] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
        }
        o[len] = '\0';
        s->hbuf.len += len + 1;
        s->hbuf.p[s->hbuf.len] = '\0';
        s->hdrs[offs_count].lname = (const char *)at;
        s->hdrs[offs_count].lname_len = s->hbuf.len - at - 1;
        s->hdrs[offs_count].value = s->out[i].value;
        s->hdrs[offs_count].order = i;
        offs_count++;
    }
    if (s->hbuf.oom)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < offs_count; i++) {
        s->hdrs[i].lname = s->hbuf.p + (size_t)s->hdrs[i].lname;
        if (!is_unsigned_header(s->hdrs[i].lname))
            s->hdrs[n++] = s->hdrs[i];
    }
    if (n > 1)
        qsort(s->hdrs, n, sizeof *s->hdrs, cmp_hdr);
    *nsigned = n;
    return 0;
}

/* --------------------------------------------------------- signing key */

static int copy_field(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= SIGV4_FIELD)
        return -1;
    memcpy(dst, src, n + 1);
    return 0;
}

static int signing_key(omics_signer *s, const char *secret, const char *date,
                       const char *region, const char *service, hash_hmac **hmac)
{
    for (int i = 0; i < SIGV4_CACHE; i++) {
        sigv4_key *k = &s->cache[i];
        if (k->used && strcmp(k->date, date) == 0 && strcmp(k->region, region) == 0 &&
            strcmp(k->service, service) == 0 && strcmp(k->secret, secret) == 0) {
            *hmac = k->hmac;
            return 0;
        }
    }
    sigv4_key *k = &s->cache[s->next_slot++ % SIGV4_CACHE];
    hash_hmac_free(k->hmac);
    wipe(k, sizeof *k);
    unsigned char kdate[HASH_LEN], kregion[HASH_LEN], kservice[HASH_LEN], key[HASH_LEN];
    char seed[SIGV4_FIELD + 8];
    size_t slen = strlen(secret);
    if (slen + 4 >= sizeof seed)
        return -1; /* refuse absurd secrets rather than truncate them */
    memcpy(seed, "AWS4", 4);
    memcpy(seed + 4, secret, slen);
    int rc = hash_hmac_sha256(seed, 4 + slen, date, 8, kdate) ||
             hash_hmac_sha256(kdate, HASH_LEN, region, strlen(region), kregion) ||
             hash_hmac_sha256(kregion, HASH_LEN, service, strlen(service), kservice) ||
             hash_hmac_sha256(kservice, HASH_LEN, "aws4_request", 12, key);
    if (!rc)
        k->hmac = hash_hmac_new(key, HASH_LEN);
    wipe(seed, sizeof seed);
    wipe(kdate, sizeof kdate);
    wipe(kregion, sizeof kregion);
    wipe(kservice, sizeof kservice);
    wipe(key, sizeof key);
    if (rc || !k->hmac)
        return -1;
    if (copy_field(k->secret, secret) == 0 && copy_field(k->region, region) == 0 &&
        copy_field(k->service, service) == 0) {
        memcpy(k->date, date, 9);
        k->used = 1;
    }
    *hmac = k->hmac;
    return 0;
}

/* ----------------------------------------------------------------- sign */

/* The separators of RFC 9110: visible ASCII that is not a token's. */
static int is_separator(unsigned char c)
{
    switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\':
    case '"': case '/': case '[': case ']': case '?': case '=': case '{': case '}':
        return 1;
    default:
        return 0;
    }
}

/* An HTTP token (RFC 9110): what a method and a header name are made of. */
static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || is_separator(c))
            return 0;
    }
    return 1;
}

static int check_params(const omics_sign_params *p, omics_error *err)
{
    if (!p->method || !*p->method)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams", "method is required");
    if (!is_token(p->method))
        return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                               "the method is not an HTTP token");
    if (!p->path || p->path[0] != '/')
        return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                               "path is required and must start with '/'");
    for (const char *c = p->path; *c; c++)
        if ((unsigned char)*c < 32 || *c == 127)
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "the path holds a control character");
    if (!p->region || !*p->region || !p->service || !*p->service)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                               "region and service are required");
    const omics_credentials *c = p->credentials;
    if (!c || !c->access_key_id || !*c->access_key_id || !c->secret_access_key ||
        !*c->secret_access_key)
        return omics_error_set(err, OMICS_ECREDENTIALS, "NoCredentialsError",
                               "credentials with an access key id and a secret are required");
    if (text_find_ctl(c->access_key_id, 0) || text_find_ctl(c->secret_access_key, 0) ||
        (c->session_token && text_find_ctl(c->session_token, 0)))
        return omics_error_set(err, OMICS_ECREDENTIALS, "InvalidCredentials",
                               "the credentials hold a control character: refused, as they "
                               "would reach an HTTP header");
    if (strlen(c->secret_access_key) + 4 >= SIGV4_FIELD + 8)
        return omics_error_set(err, OMICS_ECREDENTIALS, "InvalidCredentials",
                               "the secret access key is implausibly long");
    int host = 0;
    for (size_t i = 0; i < p->nheaders; i++) {
        if (!p->headers[i].name || !p->headers[i].value || !*p->headers[i].name)
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "header %zu has no name or no value", i + 1);
        if (!is_token(p->headers[i].name))
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "header %zu: its name is not an HTTP token", i + 1);
        if (text_find_ctl(p->headers[i].value, 1))
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "header %zu: its value holds a control character (CR, LF "
                                   "and the like would split the request)",
                                   i + 1);
        if (ieq(p->headers[i].name, "host"))
            host = 1;
    }
    if (!host)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                               "headers must hold Host");
    return 0;
}

static int push_out(omics_signer *s, size_t *n, const char *name, const char *value)
{
    if (grow((void **)&s->out, &s->out_cap, *n + 1, sizeof *s->out))
        return -1;
    s->out[*n].name = name;
    s->out[*n].value = value;
    (*n)++;
    return 0;
}

int omics_sign(omics_signer *s, const omics_sign_params *p, omics_signature *out,
               omics_error *err)
{
    if (check_params(p, err))
        return -1;
    const omics_credentials *cred = p->credentials;
    const char *token = NULL;
    if (cred->session_token && *cred->session_token) {
        /* the headers handed back must not point into the credentials, which
         * the caller may wipe as soon as omics_sign returns */
        buf_reset(&s->token);
        buf_adds(&s->token, cred->session_token);
        token = buf_str(&s->token);
        if (!token)
            goto oom;
    }

    if (!s->amzdate_set || s->amzdate_time != p->time) {
        s->amzdate_set = 0;
        if (format_amzdate(p->time, s->amzdate))
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "time is out of range");
        s->amzdate_time = p->time;
        s->amzdate_set = 1;
    }
    char datestamp[9];
    memcpy(datestamp, s->amzdate, 8);
    datestamp[8] = '\0';

    if (p->payload_hash) {
        size_t n = strlen(p->payload_hash);
        if (n >= sizeof s->payload_hash)
            return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                                   "payload_hash is too long");
        memcpy(s->payload_hash, p->payload_hash, n + 1);
    } else if (!p->body || !p->body_len) {
        memcpy(s->payload_hash, EMPTY_SHA256, sizeof EMPTY_SHA256);
    } else {
        unsigned char h[HASH_LEN];
        if (hash_sha256(p->body, p->body_len, h))
            return omics_error_set(err, OMICS_EMEMORY, "SigningError", "SHA-256 failed");
        hash_hex(h, s->payload_hash);
    }

    /* the headers to send: input minus the ones the signer owns */
    size_t nout = 0;
    for (size_t i = 0; i < p->nheaders; i++) {
        const char *name = p->headers[i].name;
        if (ieq(name, "x-amz-date") || ieq(name, "x-amz-security-token") ||
            ieq(name, "authorization") ||
            (p->content_sha256_header && ieq(name, "x-amz-content-sha256")))
            continue;
        if (push_out(s, &nout, name, p->headers[i].value))
            goto oom;
    }
    if (push_out(s, &nout, "X-Amz-Date", s->amzdate))
        goto oom;
    if (token && !p->omit_session_token && push_out(s, &nout, "X-Amz-Security-Token", token))
        goto oom;
    if (p->content_sha256_header &&
        push_out(s, &nout, "X-Amz-Content-Sha256", s->payload_hash))
        goto oom;

    size_t nsigned;
    if (collect_signed(s, nout, &nsigned))
        goto oom;

    /* canonical request */
    buf *c = &s->creq;
    buf_reset(c);
    buf_adds(c, p->method);
    buf_addc(c, '\n');
    append_canonical_path(s, c, p->path, p->normalize_path, !p->no_path_encoding);
    buf_addc(c, '\n');
    if (append_canonical_query(s, c, p->query))
        goto oom;
    buf_addc(c, '\n');
    for (size_t i = 0; i < nsigned; i++) {
        if (i && strcmp(s->hdrs[i].lname, s->hdrs[i - 1].lname) == 0) {
            /* a repeated header: its values are joined with ',' */
            c->len--; /* drop the '\n' */
            buf_addc(c, ',');
        } else {
            buf_add(c, s->hdrs[i].lname, s->hdrs[i].lname_len);
            buf_addc(c, ':');
        }
        append_trimmed(c, s->hdrs[i].value);
        buf_addc(c, '\n');
    }
    buf_addc(c, '\n');
    size_t signed_at = c->len;
    for (size_t i = 0; i < nsigned; i++) {
        if (i && strcmp(s->hdrs[i].lname, s->hdrs[i - 1].lname) == 0)
            continue;
        if (c->len > signed_at)
            buf_addc(c, ';');
        buf_add(c, s->hdrs[i].lname, s->hdrs[i].lname_len);
    }
    size_t signed_len = c->len - signed_at;
    buf_addc(c, '\n');
    buf_adds(c, s->payload_hash);
    if (c->oom)
        goto oom;

    /* string to sign */
    unsigned char h[HASH_LEN];
    char hhex[2 * HASH_LEN + 1];
    if (hash_sha256(c->p, c->len, h))
        goto oom;
    hash_hex(h, hhex);
    buf *t = &s->sts;
    buf_reset(t);
    buf_add(t, "AWS4-HMAC-SHA256\n", 17);
    buf_add(t, s->amzdate, 16);
    buf_addc(t, '\n');
    size_t scope_at = t->len;
    buf_add(t, datestamp, 8);
    buf_addc(t, '/');
    buf_adds(t, p->region);
    buf_addc(t, '/');
    buf_adds(t, p->service);
    buf_add(t, "/aws4_request", 13);
    size_t scope_len = t->len - scope_at;
    buf_addc(t, '\n');
    buf_add(t, hhex, 2 * HASH_LEN);
    if (t->oom)
        goto oom;

    hash_hmac *key;
    if (signing_key(s, cred->secret_access_key, datestamp, p->region, p->service, &key))
        return omics_error_set(err, OMICS_EUSAGE, "InvalidSignParams",
                               "region or service is too long to sign with");
    unsigned char sig[HASH_LEN];
    if (hash_hmac_run(key, t->p, t->len, sig))
        goto oom;
    hash_hex(sig, s->signature);

    buf *a = &s->auth;
    buf_reset(a);
    buf_add(a, "AWS4-HMAC-SHA256 Credential=", 28);
    buf_adds(a, cred->access_key_id);
    buf_addc(a, '/');
    buf_add(a, t->p + scope_at, scope_len);
    buf_add(a, ", SignedHeaders=", 16);
    buf_add(a, c->p + signed_at, signed_len);
    buf_add(a, ", Signature=", 12);
    buf_add(a, s->signature, 2 * HASH_LEN);
    if (a->oom)
        goto oom;

    if (token && p->omit_session_token &&
        push_out(s, &nout, "X-Amz-Security-Token", token))
        goto oom;
    if (push_out(s, &nout, "Authorization", a->p))
        goto oom;

    out->headers = s->out;
    out->nheaders = nout;
    out->canonical_request = c->p;
    out->string_to_sign = t->p;
    out->signature = s->signature;
    out->authorization = a->p;
    return 0;
oom:
    return omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory while signing");
}
