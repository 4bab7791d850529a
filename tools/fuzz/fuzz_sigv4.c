/* libFuzzer entry point for src/sigv4.c (omics_sign: the SigV4 canonical
 * request, string to sign and Authorization header).
 *
 * Input framing (seeds in tools/fuzz/corpus/sigv4 are written this way):
 *
 *   byte 0   flags: 1 normalize_path, 2 content_sha256_header,
 *            4 omit_session_token, 8 a session token, 16 payload_hash
 *            UNSIGNED-PAYLOAD; the top 3 bits: how many headers follow Host
 *   then     NUL-separated fields: method, path, query, the Host value, then a
 *            name and a value per extra header (any bytes but NUL); missing
 *            fields are empty
 *   then     the body: every byte after the last field (NULs included)
 *
 * Credentials (the test suite's AKIDEXAMPLE), region us-east-1, service
 * "service" and time 20150830T123600Z are fixed.  Checked:
 *   - omics_sign fails (InvalidSignParams) exactly when the method is empty,
 *     the path does not start with '/' or holds a control byte, a header name
 *     is empty, a header value holds a control byte (a tab aside), or the
 *     method or a header name is not an HTTP token;
 *   - without normalize_path the canonical path is the path encoded once more;
 *   - the canonical request is method, path, query, one "name:value" line per
 *     signed header, an empty line, the signed headers and the payload hash:
 *     6 newline-separated parts and the header lines, with the signed headers
 *     those of the input (lower-cased, sorted, once each) less the ones the
 *     signer owns or never signs, plus x-amz-date and the others it adds;
 *   - the string to sign holds the SHA-256 of that canonical request, and the
 *     signature is the HMAC chain computed here, independently of the
 *     signer's key cache;
 *   - Authorization is "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/
 *     us-east-1/service/aws4_request, SignedHeaders=..., Signature=<hex>";
 *   - the headers to send are the input's (less those replaced), X-Amz-Date,
 *     the token, X-Amz-Content-Sha256 and Authorization last; they stay valid
 *     after the credentials are wiped and freed;
 *   - the same input signed again, by the same signer after its key cache was
 *     churned by other regions, services and days, and by a new signer, gives
 *     the same canonical request and signature. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "omics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN                                                                                  \
    "AQoDYXdzEPT//////////"                                                                    \
    "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YU" \
    "uwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDv" \
    "p75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDryp" \
    "NC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
#define SUITE_TIME 1440938160 /* 20150830T123600Z */
#define AUTH_PREFIX                                                                            \
    "AWS4-HMAC-SHA256 Credential=" AKID "/20150830/us-east-1/service/aws4_request, "          \
    "SignedHeaders="
#define STS_PREFIX "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
#define MAX_EXTRA 7
#define UNRESERVED "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_sigv4: property violated: %s\n", what);
        abort();
    }
}

static int ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y)
            return 0;
    }
    return *a == *b;
}

static char *lower(const char *s)
{
    char *d = strdup(s);
    check(d != NULL, "memory");
    for (char *p = d; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p + 32);
    return d;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An HTTP token, from RFC 9110's own list of tchar (the signer spells it as
 * the complement: this oracle must not share its code). */
static int is_token(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c != 0 && strchr("!#$%&'*+-.^_`|~", c))))
            return 0;
    }
    return 1;
}

/* A byte below 32, or DEL: nothing a request line may carry. */
static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 32 || *s == 127)
            return 1;
    return 0;
}

/* The same, a tab allowed: what a header value may not hold. */
static int has_control_but_tab(const char *s)
{
    for (; *s; s++)
        if (((unsigned char)*s < 32 && *s != '\t') || *s == 127)
            return 1;
    return 0;
}

typedef struct request {
    omics_sign_params p;
    omics_header headers[1 + MAX_EXTRA];
    char *fields[4 + 2 * MAX_EXTRA]; /* owned copies */
    size_t nfields;
    int token;
    int valid;  /* a method, a path from '/' and names: what must be signed... */
    int tokens; /* ...when the method and the names are HTTP tokens */
} request;

/* One NUL-terminated field from data[*at..), or "" when the input is over. */
static const char *field(request *r, const uint8_t *data, size_t size, size_t *at)
{
    size_t start = *at, end = start;
    while (end < size && data[end] != '\0')
        end++;
    char *s = malloc(end - start + 1);
    check(s != NULL, "memory");
    memcpy(s, data + start, end - start);
    s[end - start] = '\0';
    *at = end < size ? end + 1 : size;
    r->fields[r->nfields++] = s;
    return s;
}

static void carve(request *r, const uint8_t *data, size_t size)
{
    memset(r, 0, sizeof *r);
    unsigned flags = data[0];
    size_t at = 1;
    omics_sign_params *p = &r->p;
    p->normalize_path = flags & 1;
    p->content_sha256_header = (flags >> 1) & 1;
    p->omit_session_token = (flags >> 2) & 1;
    r->token = (flags >> 3) & 1;
    p->payload_hash = flags & 16 ? "UNSIGNED-PAYLOAD" : NULL;
    size_t extra = flags >> 5;

    p->method = field(r, data, size, &at);
    p->path = field(r, data, size, &at);
    p->query = field(r, data, size, &at);
    r->headers[0].name = "Host";
    r->headers[0].value = field(r, data, size, &at);
    r->valid = p->method[0] != '\0' && p->path[0] == '/' && !has_control(p->path) &&
               !has_control_but_tab(r->headers[0].value);
    r->tokens = is_token(p->method);
    for (size_t i = 1; i <= extra; i++) {
        r->headers[i].name = field(r, data, size, &at);
        r->headers[i].value = field(r, data, size, &at);
        if (!r->headers[i].name[0] || has_control_but_tab(r->headers[i].value))
            r->valid = 0;
        if (!is_token(r->headers[i].name))
            r->tokens = 0;
    }
    p->headers = r->headers;
    p->nheaders = 1 + extra;
    p->body = at < size ? (const char *)data + at : NULL;
    p->body_len = size - at;
    p->region = "us-east-1";
    p->service = "service";
    p->time = SUITE_TIME;
}

static void release(request *r)
{
    for (size_t i = 0; i < r->nfields; i++)
        free(r->fields[i]);
}

/* What was signed, copied out of the signer. */
typedef struct signed_copy {
    char *creq, *sts, *sig, *auth;
    size_t nheaders;
    char **names, **values;
} signed_copy;

static int sign(omics_signer *s, request *r, signed_copy *out, omics_error *err)
{
    omics_credentials creds;
    memset(&creds, 0, sizeof creds);
    check(omics_credentials_set(&creds, AKID, SECRET, r->token ? TOKEN : NULL, "fuzz", err) ==
              0,
          "credentials");
    r->p.credentials = &creds;
    omics_signature sig;
    int rc = omics_sign(s, &r->p, &sig, err);
    omics_credentials_clear(&creds); /* wiped and freed: nothing may point into them */
    r->p.credentials = NULL;
    if (rc)
        return rc;
    out->creq = strdup(sig.canonical_request);
    out->sts = strdup(sig.string_to_sign);
    out->sig = strdup(sig.signature);
    out->auth = strdup(sig.authorization);
    out->nheaders = sig.nheaders;
    out->names = calloc(sig.nheaders, sizeof *out->names);
    out->values = calloc(sig.nheaders, sizeof *out->values);
    check(out->creq && out->sts && out->sig && out->auth && out->names && out->values,
          "memory");
    for (size_t i = 0; i < sig.nheaders; i++) {
        out->names[i] = strdup(sig.headers[i].name);
        out->values[i] = strdup(sig.headers[i].value);
        check(out->names[i] && out->values[i], "memory");
    }
    return 0;
}

static void free_copy(signed_copy *c)
{
    free(c->creq);
    free(c->sts);
    free(c->sig);
    free(c->auth);
    for (size_t i = 0; i < c->nheaders; i++) {
        free(c->names[i]);
        free(c->values[i]);
    }
    free(c->names);
    free(c->values);
}

static int is_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

static int owned(const char *name, int content_sha)
{
    return ieq(name, "x-amz-date") || ieq(name, "x-amz-security-token") ||
           ieq(name, "authorization") || (content_sha && ieq(name, "x-amz-content-sha256"));
}

static int never_signed(const char *lname)
{
    return strcmp(lname, "user-agent") == 0 || strcmp(lname, "expect") == 0 ||
           strcmp(lname, "x-amzn-trace-id") == 0 || strcmp(lname, "authorization") == 0;
}

/* Whether got is path with every byte but the unreserved ones and '/' as
 * %XX (upper-case hex): not normalized, still encoded. */
static int encoded_equal(const char *got, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c == '/' || (*c != 0 && strchr(UNRESERVED, *c))) {
            if (*got++ != (char)*c)
                return 0;
        } else if (got[0] != '%' || got[1] != hex[*c >> 4] || got[2] != hex[*c & 15]) {
            return 0;
        } else {
            got += 3;
        }
    }
    return *got == '\0';
}

/* Method, path, query, a "name:value" line per signed header, a blank line,
 * the signed headers and the payload hash: 6 parts and the header lines. */
static void check_parts(const omics_sign_params *p, const char *canonical, char *const *names,
                        size_t distinct, const char *joined, const char *payload)
{
    char *creq = strdup(canonical);
    check(creq != NULL, "memory");
    size_t nlines = 1;
    for (char *q = creq; *q; q++)
        if (*q == '\n')
            nlines++;
    check(nlines == distinct + 6,
          "the canonical request is method, path, query, headers, blank, signed, hash");
    char **line = calloc(nlines, sizeof *line);
    check(line != NULL, "memory");
    line[0] = creq;
    for (size_t i = 1, j = 0; creq[j]; j++)
        if (creq[j] == '\n') {
            creq[j] = '\0';
            line[i++] = creq + j + 1;
        }
    check(strcmp(line[0], p->method) == 0, "part 1 is the method");
    if (p->normalize_path)
        check(line[1][0] == '/' && strspn(line[1], UNRESERVED "%/") == strlen(line[1]),
              "part 2 is a normalised, encoded path");
    else
        check(encoded_equal(line[1], p->path), "part 2 is the path as given, encoded");
    check(strspn(line[2], UNRESERVED "%=&") == strlen(line[2]), "part 3 is an encoded query");
    for (size_t i = 0; i < distinct; i++) {
        size_t nl = strlen(names[i]);
        check(strncmp(line[3 + i], names[i], nl) == 0 && line[3 + i][nl] == ':',
              "part 4 has a line per signed header, sorted");
    }
    check(line[3 + distinct][0] == '\0', "part 5 is empty");
    check(strcmp(line[4 + distinct], joined) == 0, "part 6 lists the signed headers");
    check(strcmp(line[5 + distinct], payload) == 0, "the payload hash ends it");
    free(line);
    free(creq);
}

static void check_signature(const request *r, const signed_copy *c)
{
    const omics_sign_params *p = &r->p;
    int token_in = r->token && !p->omit_session_token;

    /* the payload hash */
    char payload[65];
    if (p->payload_hash) {
        snprintf(payload, sizeof payload, "%s", p->payload_hash);
    } else {
        unsigned char h[HASH_LEN];
        check(hash_sha256(p->body ? p->body : "", p->body_len, h) == 0, "sha256");
        hash_hex(h, payload);
    }

    /* the headers to send */
    size_t k = 0;
    for (size_t i = 0; i < p->nheaders; i++) {
        if (owned(p->headers[i].name, p->content_sha256_header))
            continue;
        check(k < c->nheaders && strcmp(c->names[k], p->headers[i].name) == 0 &&
                  strcmp(c->values[k], p->headers[i].value) == 0,
              "the input's headers are sent, in order");
        k++;
    }
    check(k < c->nheaders && strcmp(c->names[k], "X-Amz-Date") == 0 &&
              strcmp(c->values[k], "20150830T123600Z") == 0,
          "X-Amz-Date follows them");
    k++;
    if (token_in) {
        check(k < c->nheaders && strcmp(c->names[k], "X-Amz-Security-Token") == 0 &&
                  strcmp(c->values[k], TOKEN) == 0,
              "the session token is sent");
        k++;
    }
    if (p->content_sha256_header) {
        check(k < c->nheaders && strcmp(c->names[k], "X-Amz-Content-Sha256") == 0 &&
                  strcmp(c->values[k], payload) == 0,
              "X-Amz-Content-Sha256 is the payload hash");
        k++;
    }
    if (r->token && p->omit_session_token) {
        check(k < c->nheaders && strcmp(c->names[k], "X-Amz-Security-Token") == 0 &&
                  strcmp(c->values[k], TOKEN) == 0,
              "the unsigned session token is sent");
        k++;
    }
    check(k + 1 == c->nheaders && strcmp(c->names[k], "Authorization") == 0 &&
              strcmp(c->values[k], c->auth) == 0,
          "Authorization comes last");

    /* the signed header names, as the canonical request must list them */
    char *names[1 + MAX_EXTRA + 3];
    size_t n = 0;
    for (size_t i = 0; i < p->nheaders; i++)
        if (!owned(p->headers[i].name, p->content_sha256_header)) {
            char *l = lower(p->headers[i].name);
            if (never_signed(l))
                free(l);
            else
                names[n++] = l;
        }
    names[n++] = lower("x-amz-date");
    if (token_in)
        names[n++] = lower("x-amz-security-token");
    if (p->content_sha256_header)
        names[n++] = lower("x-amz-content-sha256");
    qsort(names, n, sizeof *names, cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++) {
        if (distinct && strcmp(names[i], names[distinct - 1]) == 0) {
            free(names[i]);
            continue;
        }
        names[distinct++] = names[i];
    }
    size_t joined_len = 0;
    for (size_t i = 0; i < distinct; i++)
        joined_len += strlen(names[i]) + 1;
    char *joined = calloc(1, joined_len + 1);
    check(joined != NULL, "memory");
    for (size_t i = 0; i < distinct; i++) {
        if (i)
            strcat(joined, ";");
        strcat(joined, names[i]);
    }

    /* the canonical request ends with the signed headers and the payload hash */
    size_t tail_len = strlen(joined) + 1 + strlen(payload), creq_len = strlen(c->creq);
    check(creq_len > tail_len + 2 && strncmp(c->creq + creq_len - tail_len - 2, "\n\n", 2) == 0 &&
              strncmp(c->creq + creq_len - tail_len, joined, strlen(joined)) == 0 &&
              c->creq[creq_len - strlen(payload) - 1] == '\n' &&
              strcmp(c->creq + creq_len - strlen(payload), payload) == 0,
          "the canonical request ends with a blank line, the signed headers and the hash");

    /* the canonical request, part by part */
    check_parts(p, c->creq, names, distinct, joined, payload);

    /* the string to sign and the signature, computed here */
    unsigned char h[HASH_LEN];
    char hex[65];
    check(hash_sha256(c->creq, strlen(c->creq), h) == 0, "sha256");
    hash_hex(h, hex);
    check(strncmp(c->sts, STS_PREFIX, strlen(STS_PREFIX)) == 0 &&
              strcmp(c->sts + strlen(STS_PREFIX), hex) == 0,
          "the string to sign holds the canonical request's hash");
    unsigned char k1[HASH_LEN], k2[HASH_LEN], k3[HASH_LEN], k4[HASH_LEN], sig[HASH_LEN];
    const char seed[] = "AWS4" SECRET;
    check(hash_hmac_sha256(seed, strlen(seed), "20150830", 8, k1) == 0 &&
              hash_hmac_sha256(k1, HASH_LEN, "us-east-1", 9, k2) == 0 &&
              hash_hmac_sha256(k2, HASH_LEN, "service", 7, k3) == 0 &&
              hash_hmac_sha256(k3, HASH_LEN, "aws4_request", 12, k4) == 0 &&
              hash_hmac_sha256(k4, HASH_LEN, c->sts, strlen(c->sts), sig) == 0,
          "hmac");
    hash_hex(sig, hex);
    check(is_hex64(c->sig) && strcmp(c->sig, hex) == 0, "the signature is the HMAC chain's");

    /* Authorization */
    size_t pl = strlen(AUTH_PREFIX);
    check(strncmp(c->auth, AUTH_PREFIX, pl) == 0, "Authorization starts as it must");
    check(strncmp(c->auth + pl, joined, strlen(joined)) == 0 &&
              strncmp(c->auth + pl + strlen(joined), ", Signature=", 12) == 0 &&
              strcmp(c->auth + pl + strlen(joined) + 12, c->sig) == 0,
          "Authorization lists the signed headers and the signature");

    free(joined);
    for (size_t i = 0; i < distinct; i++)
        free(names[i]);
}

static void same(const signed_copy *a, const signed_copy *b, const char *what)
{
    check(strcmp(a->creq, b->creq) == 0 && strcmp(a->sts, b->sts) == 0 &&
              strcmp(a->sig, b->sig) == 0 && strcmp(a->auth, b->auth) == 0,
          what);
}

/* Sign something else with other keys, to turn the signer's key cache over. */
static void churn(omics_signer *s)
{
    static const char *const regions[] = {"eu-west-1", "us-west-2", "ap-south-1",
                                          "us-east-1", "sa-east-1"};
    omics_credentials creds;
    memset(&creds, 0, sizeof creds);
    omics_error err;
    omics_error_init(&err);
    check(omics_credentials_set(&creds, AKID, SECRET, NULL, "fuzz", &err) == 0, "credentials");
    omics_header h[] = {{"Host", "example.amazonaws.com"}};
    for (size_t i = 0; i < sizeof regions / sizeof *regions; i++) {
        omics_sign_params p;
        memset(&p, 0, sizeof p);
        p.method = "GET";
        p.path = "/";
        p.headers = h;
        p.nheaders = 1;
        p.region = regions[i];
        p.service = i % 2 ? "omics" : "service";
        p.credentials = &creds;
        p.time = SUITE_TIME + (int64_t)i * 86400;
        omics_signature sig;
        check(omics_sign(s, &p, &sig, &err) == 0, "signing the churn requests");
    }
    omics_credentials_clear(&creds);
    omics_error_clear(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    request r;
    carve(&r, data, size);
    omics_error err;
    omics_error_init(&err);
    omics_signer *s = omics_signer_new();
    check(s != NULL, "memory");

    signed_copy a;
    memset(&a, 0, sizeof a);
    int rc = sign(s, &r, &a, &err);
    check(rc == 0 || rc == -1, "omics_sign returns 0 or -1");
    int refused = rc == -1 && err.kind == OMICS_EUSAGE && strcmp(err.code, "InvalidSignParams") == 0;
    if (!r.valid) {
        check(refused, "an empty method or header name, a path without '/' or with a control "
                       "byte, or a header value with one, is refused");
    } else if (!r.tokens) {
        check(refused, "a method or a header name that is not an HTTP token is refused");
    } else {
        if (rc)
            fprintf(stderr, "fuzz_sigv4: %s: %s\n", err.code, err.message ? err.message : "");
        check(rc == 0, "a request with a method, a path and names is signed");
        check_signature(&r, &a);

        signed_copy b, c, d;
        memset(&b, 0, sizeof b);
        memset(&c, 0, sizeof c);
        memset(&d, 0, sizeof d);
        check(sign(s, &r, &b, &err) == 0, "signing again");
        same(&a, &b, "the same request signed twice gives the same signature");
        churn(s);
        check(sign(s, &r, &c, &err) == 0, "signing after the churn");
        same(&a, &c, "the key cache does not change the signature");
        omics_signer *fresh = omics_signer_new();
        check(fresh != NULL, "memory");
        check(sign(fresh, &r, &d, &err) == 0, "signing with a new signer");
        same(&a, &d, "a new signer gives the same signature");
        omics_signer_free(fresh);
        free_copy(&b);
        free_copy(&c);
        free_copy(&d);
    }
    free_copy(&a);
    omics_signer_free(s);
    omics_error_clear(&err);
    release(&r);
    return 0;
}
