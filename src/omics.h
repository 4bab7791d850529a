/* omics.h: the public C API of the lua-omics core.
 *
 * Plain C11, no Lua.  The core loads a botocore-format rest-json service model,
 * turns parameters into HTTP requests (prepare), signs them with AWS SigV4
 * (sign), sends them with libcurl (send) and turns responses into results
 * (parse).  Results are handed to an omics_builder, a small set of callbacks
 * that a binding (or a C program) implements to make its own data structure.
 *
 * Conventions: functions that can fail return 0 on success and -1 on failure,
 * with the reason in an omics_error the caller passed in. */
#ifndef OMICS_H
#define OMICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The API: exported from libomics.so (the Lua module exports only luaopen_*). */
#pragma GCC visibility push(default)

#define OMICS_VERSION "0.1.0"

/* ------------------------------------------------------------------ errors */

typedef enum omics_err_kind {
    OMICS_OK = 0,
    OMICS_EVALIDATION,  /* parameters the model does not allow; nothing sent */
    OMICS_ESERVICE,     /* the service answered with an error */
    OMICS_ETRANSPORT,   /* no usable HTTP answer (connect, TLS, timeout, reset) */
    OMICS_EPARSE,       /* an answer that cannot be read (bad JSON, bad value) */
    OMICS_ECONFIG,      /* region, profile, endpoint or option problems */
    OMICS_ECREDENTIALS, /* no credentials, or a provider failed */
    OMICS_EMEMORY,      /* out of memory */
    OMICS_EUSAGE,       /* the C API itself was misused */
    OMICS_EWAITER       /* a wait for a state gave up (time out) */
} omics_err_kind;

typedef struct omics_error {
    omics_err_kind kind;
    int status;           /* HTTP status, 0 when there was no answer */
    int retryable;        /* throttling, 5xx and transport failures */
    char code[96];        /* "ParamValidationError", "ResourceNotFoundException", ... */
    char request_id[96];  /* x-amzn-RequestId of the answer, "" if none */
    char *message;        /* owned; NULL when none */
    int attempts;         /* how many times the call was sent, 0 when never */
} omics_error;

void omics_error_init(omics_error *e);
void omics_error_clear(omics_error *e);
/* dst becomes a copy of src, message and all (dst's own message freed);
 * -1 when memory ran out (dst unchanged). */
int omics_error_copy(omics_error *dst, const omics_error *src);
/* Set kind, code and a printf-style message; always returns -1. */
int omics_error_set(omics_error *e, omics_err_kind kind, const char *code,
                    const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
const char *omics_error_kind_name(omics_err_kind kind);
/* The error as one line for people: "Code: message (HTTP 404, request id
 * ...)", line breaks of the message as spaces; never the modeled error's
 * data.  Written to out as snprintf would; returns the full length. */
size_t omics_error_format(const omics_error *e, char *out, size_t n);

/* ---------------------------------------------------------------- arena
 * A bump allocator for data that lives for one call: everything is released
 * at once by reset (which keeps one block for the next call) or free. */

typedef struct omics_arena omics_arena;

omics_arena *omics_arena_new(size_t block_size);
void omics_arena_free(omics_arena *a);
void omics_arena_reset(omics_arena *a);
void *omics_arena_alloc(omics_arena *a, size_t n); /* NULL when out of memory */
char *omics_arena_strndup(omics_arena *a, const char *s, size_t n);
char *omics_arena_strdup(omics_arena *a, const char *s);

/* ------------------------------------------------- input: the value tree
 * Parameters reach the core as a tree of omics_value.  A table holds entries
 * whose keys are strings (structures, maps) or integers 1..n (lists); the
 * shape decides which reading applies.  Strings are not copied: they must
 * outlive the call that uses the tree. */

typedef enum omics_vtype {
    OMICS_V_NIL = 0, /* absent */
    OMICS_V_NULL,    /* an explicit JSON null (sparse collections, documents) */
    OMICS_V_BOOL,
    OMICS_V_INT,
    OMICS_V_NUM,
    OMICS_V_STR,
    OMICS_V_TABLE,
    OMICS_V_READER, /* bytes from a stream (a file): streaming blob payloads only */
    /* a binding's own objects, as options take them (never parameters) */
    OMICS_V_FUNCTION, /* a function of the caller's (a callback) */
    OMICS_V_FILE,     /* an open file (a sink) */
    OMICS_V_PROVIDER  /* a shared credentials provider: u.p */
} omics_vtype;

typedef struct omics_entry omics_entry;
typedef struct omics_provider omics_provider;

/* A source of bytes for a streaming payload (a file, say).  read fills up to
 * n bytes and returns how many, 0 at the end, or -1 on an error (with a
 * reason in errbuf).  rewind goes back to the first byte, so that a request
 * can be sent again; NULL when the source cannot be replayed. */
struct omics_reader {
    long long (*read)(void *ud, char *p, size_t n, char *errbuf, size_t errlen);
    int (*rewind)(void *ud);
    void *ud;
    long long length; /* bytes, -1 when unknown */
};
typedef struct omics_reader omics_reader;

/* Where a streaming payload of a response goes instead of memory.  write
 * returns 0, or -1 to stop the transfer (with a reason in errbuf). */
typedef struct omics_sink {
    int (*write)(void *ud, const char *p, size_t n, char *errbuf, size_t errlen);
    /* Start again from nothing (for a retry after part of a payload arrived);
     * NULL when what was written cannot be taken back. */
    int (*rewind)(void *ud);
    void *ud;
} omics_sink;

typedef struct omics_value {
    omics_vtype type;
    union {
        int b;
        int64_t i;
        double n;
        struct {
            const char *p;
            size_t len;
        } s;
        struct {
            omics_entry *items;
            size_t n;
        } t;
        const struct omics_reader *r;
        omics_provider *p;
    } u;
} omics_value;

struct omics_entry {
    omics_value key; /* OMICS_V_STR or OMICS_V_INT */
    omics_value val;
};

/* The member key of table t (string keys), or NULL when t is not a table
 * or has no such member (or it is nil). */
const omics_value *omics_value_get(const omics_value *t, const char *key);

/* A ParamValidationError for a value refused before the model saw it (a
 * binding's conversion: a cyclic table, a type it cannot send), named by
 * its path: root, then each key (OMICS_V_STR, escaped and cut as messages
 * show keys) or index (OMICS_V_INT): "params.tags[2]: what"; always -1. */
int omics_param_error(omics_error *err, const char *root, const omics_value *path, size_t depth,
                      const char *what);

/* The JSON text of a value read as a document (a table with keys 1..n is an
 * array, any other table an object).  The caller frees *out. */
int omics_value_to_json(const omics_value *v, char **out, size_t *len, omics_error *err);

/* ----------------------------------------------- output: the builder
 * The parser describes a result as stack operations, in the manner of the Lua
 * C API: push values, then store the top value into the table below it.  Each
 * callback returns 0, or -1 to abort the parse. */

typedef struct omics_builder {
    void *ud;
    int (*null)(void *ud); /* only inside sparse collections and documents */
    int (*boolean)(void *ud, int b);
    int (*integer)(void *ud, int64_t i);
    int (*number)(void *ud, double d);
    int (*string)(void *ud, const char *s, size_t len);
    int (*table)(void *ud, size_t narr, size_t nrec);
    /* pop a value and store it as t[key] / t[index] in the table below it;
     * key is NUL-terminated, key[klen] == '\0', with no NUL before it */
    int (*set_field)(void *ud, const char *key, size_t klen);
    int (*set_index)(void *ud, size_t index /* 1-based */);
    /* drop the value on top (a modeled error's members, before a retry) */
    int (*pop)(void *ud);
    /* optional (NULL: table(n, 0)): a list of about n items, to be filled by
     * set_index; tells an empty list from an empty map or structure */
    int (*list)(void *ud, size_t n);
} omics_builder;

/* ------------------------------------------------------------ the model */

typedef struct omics_model omics_model;
typedef struct omics_op omics_op;

/* Load a botocore-format service model (JSON text).  paginators and waiters
 * may be NULL.  The model is immutable once loaded and may be shared. */
omics_model *omics_model_load(const char *service, size_t service_len,
                              const char *paginators, size_t paginators_len,
                              const char *waiters, size_t waiters_len,
                              omics_error *err);
void omics_model_free(omics_model *m);
/* The built-in HealthOmics model, loaded on first use and shared. */
const omics_model *omics_model_builtin(omics_error *err);

/* The model's "paginators" or "waiters" (botocore JSON: the "pagination" and
 * "waiters" objects) described through b; an empty table when the model came
 * without them. */
int omics_model_extra(const omics_model *m, const char *which, const omics_builder *b,
                      omics_error *err);

size_t omics_model_op_count(const omics_model *m);
const omics_op *omics_model_op_at(const omics_model *m, size_t i);
/* By API name ("GetReferenceMetadata") or snake_case ("get_reference_metadata"). */
const omics_op *omics_model_op(const omics_model *m, const char *name);
const omics_op *omics_model_op_snake(const omics_model *m, const char *snake);
const char *omics_op_name(const omics_op *op);
const char *omics_op_snake(const omics_op *op);
const char *omics_model_signing_name(const omics_model *m);
/* The name meant by one the model does not know (a typo of a method, an API
 * name where the snake_case one was wanted): the closest snake_case
 * operation name or one of extra (a binding's own methods), or NULL when
 * none is close enough to be a typo. */
const char *omics_model_suggest(const omics_model *m, const char *name, const char *const *extra,
                                size_t nextra);
const char *omics_model_endpoint_prefix(const omics_model *m);

/* ---------------------------------------------------- requests/responses */

typedef struct omics_header {
    const char *name;
    const char *value;
} omics_header;

typedef struct omics_request {
    const char *method;
    const char *path;  /* percent-encoded, starts with '/' */
    const char *query; /* percent-encoded, without '?', "" when none */
    const char *host;  /* host[:port], as in the Host header */
    const char *url;   /* scheme://host/path?query */
    omics_header *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
    const omics_reader *body_reader; /* instead of body: a streamed payload */
    int unsigned_payload; /* sign with UNSIGNED-PAYLOAD (model: v4-unsigned-body) */
    int streaming_output; /* the answer's payload may go to a sink */
} omics_request;

typedef struct omics_response {
    long status;
    const omics_header *headers; /* names in lower case */
    size_t nheaders;
    const char *body;
    size_t body_len;
    int body_streamed; /* a 2xx payload went to the sink, not into body */
    int retry_attempts;
} omics_response;

/* ----------------------------------------------------------- credentials */

typedef struct omics_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
    double expiration;   /* epoch seconds, 0 for never */
    char provider[40];   /* where they came from: "option", "environment", ... */
} omics_credentials;

void omics_credentials_clear(omics_credentials *c); /* wipes and frees */
int omics_credentials_set(omics_credentials *c, const char *akid, const char *secret,
                          const char *token, const char *provider, omics_error *err);

/* The members of a credentials table, as omics_credentials_from_value reads
 * them ("access_key_id", "secret_access_key", "session_token", "expiration"),
 * NULL-terminated. */
const char *const *omics_credentials_members(void);
/* Credentials from a table of those members (strings; expiration in epoch
 * seconds); what names the table in errors ("option credentials"), provider
 * is where they came from ("option", "function"). */
int omics_credentials_from_value(omics_credentials *c, const omics_value *v, const char *what,
                                 const char *provider, omics_error *err);

/* A provider: where credentials come from, with the temporary ones cached and
 * refreshed before they expire (an advisory refresh 15 minutes before, whose
 * failure keeps the old ones; a mandatory one 10 minutes before).  Shared by
 * reference count: several clients may use one (omics_provider is declared
 * with the values above). */

/* A source of the caller's own: fill out (omics_credentials_set, and
 * out->expiration when they expire) and return 0, or -1 with err. */
typedef int (*omics_credentials_fn)(void *ud, omics_credentials *out, omics_error *err);
typedef double (*omics_clock_fn)(void *ud); /* epoch seconds */

typedef struct omics_provider_opts {
    const char *profile;                  /* given explicitly: wins over the environment */
    const char *region;                   /* for STS; NULL: as a client resolves it */
    const omics_credentials *credentials; /* explicit and static */
    omics_credentials_fn fn;              /* or a function */
    void *fn_ud;
    omics_clock_fn clock; /* NULL: the system's clock */
    void *clock_ud;
    double process_timeout; /* seconds for credential_process; 0: 60 */
} omics_provider_opts;

/* Loads the shared files (a profile named by the option or AWS_PROFILE must
 * exist); credentials are looked for at the first omics_provider_credentials. */
omics_provider *omics_provider_new(const omics_provider_opts *o, omics_error *err);
omics_provider *omics_provider_retain(omics_provider *p);
void omics_provider_release(omics_provider *p);
/* The current credentials, fetched or refreshed as needed; valid until the
 * next call.  NULL with err when there are none. */
const omics_credentials *omics_provider_credentials(omics_provider *p, omics_error *err);

/* --------------------------------------------------------------- signer */

typedef struct omics_sign_params {
    const char *method;
    const char *path;  /* as sent on the wire */
    const char *query; /* raw, without '?'; NULL or "" for none */
    const omics_header *headers; /* must hold Host; duplicates allowed */
    size_t nheaders;
    const char *body; /* hashed unless payload_hash is set */
    size_t body_len;
    const char *payload_hash; /* hex digest or "UNSIGNED-PAYLOAD"; NULL: hash body */
    const char *region;
    const char *service;
    const omics_credentials *credentials;
    int64_t time;             /* epoch seconds */
    int normalize_path;       /* remove dot segments and double slashes */
    int no_path_encoding;     /* sign the path as given, not percent-encoded again (S3) */
    int content_sha256_header; /* add a signed X-Amz-Content-Sha256 */
    int omit_session_token;   /* sign without the token, then add it */
} omics_sign_params;

typedef struct omics_signer omics_signer; /* holds the signing-key cache */

omics_signer *omics_signer_new(void);
void omics_signer_free(omics_signer *s);

typedef struct omics_signature {
    const omics_header *headers; /* what to send: input minus replaced, plus added */
    size_t nheaders;
    const char *canonical_request;
    const char *string_to_sign;
    const char *signature;
    const char *authorization;
} omics_signature;

/* The signature stays valid until the next omics_sign on the same signer. */
int omics_sign(omics_signer *s, const omics_sign_params *p, omics_signature *out,
               omics_error *err);

/* ---------------------------------------------------------------- client */

typedef struct omics_client_opts {
    const char *region;
    const char *profile;
    const char *endpoint; /* URL */
    const char *ca_file;  /* NULL: AWS_CA_BUNDLE, the profile's ca_bundle, the system's */
    /* http://host:port; NULL: HTTPS_PROXY / HTTP_PROXY unless NO_PROXY names the host */
    const char *proxy;
    const omics_credentials *credentials; /* explicit; NULL to use the chain */
    omics_provider *provider;             /* shared; wins over credentials */
    omics_credentials_fn credentials_fn;  /* a source of the caller's own */
    void *credentials_ud;
    omics_clock_fn clock; /* for credential expiry; NULL: the system's */
    void *clock_ud;
    int inject_host_prefix; /* 1, 0, or -1 for the default (environment, then on) */
    const char *app_id;     /* app/<id> in the User-Agent (else AWS_SDK_UA_APP_ID,
                             * the profile's sdk_ua_app_id) */
    int defer_credentials;  /* 1: do not look for credentials now (a driver of its
                             * own steps the provider before the first call) */
    /* the endpoint rules' UseFIPS and UseDualStack: 1 on, -1 off, 0 the
     * environment (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT), then
     * the profile (use_fips_endpoint, use_dualstack_endpoint), else off */
    int use_fips_endpoint;
    int use_dualstack_endpoint;
    double timeout;         /* seconds for one attempt; 0: none */
    double connect_timeout; /* seconds; 0: default */
    double stall_timeout;   /* seconds without a byte before giving up; 0: 30 */
    size_t max_response_bytes; /* for answers read into memory; 0: 64 MiB */
    const char *retry_mode;    /* "standard" or "adaptive"; NULL: environment, profile */
    int max_attempts;          /* 0: environment, profile, else 3 */
    double max_backoff;        /* the longest wait between attempts, seconds; 0: 20 */
    /* where the client tells what it does: level 1 debug, 2 info, 3 warn;
     * credentials, tokens and signatures are redacted before they get here */
    void (*log)(void *ud, int level, const char *message);
    void *log_ud;
    /* how omics_call waits between attempts (NULL: omics_sleep); a test can
     * run retries in virtual time with one of its own */
    void (*sleep)(void *ud, double seconds);
    void *sleep_ud;
    const char *user_agent_extra; /* e.g. "lua/5.4" */
} omics_client_opts;

typedef struct omics_client omics_client;

/* Resolve region, endpoint and credentials (from options, the environment
 * and the shared config files) and open an HTTP handle. */
omics_client *omics_client_new(const omics_model *model, const omics_client_opts *opts,
                               omics_error *err);
void omics_client_free(omics_client *c);
const char *omics_client_region(const omics_client *c);
const char *omics_client_endpoint(const omics_client *c);
const omics_model *omics_client_model(const omics_client *c);
/* Access key id and provider name only, never the secret. */
int omics_client_identity(omics_client *c, const char **akid, const char **provider,
                          double *expiration, omics_error *err);

/* The stages of a call.  A prepared request lives in the client's scratch
 * space until the next prepare on the same client. */
int omics_prepare(omics_client *c, const omics_op *op, const omics_value *params,
                  omics_request *out, omics_error *err);
/* Add X-Amz-Date, X-Amz-Security-Token and Authorization to a request. */
int omics_sign_request(omics_client *c, omics_request *req, omics_error *err);
/* Send a signed request; the response lives until the next send.  With a
 * sink, the payload of a successful answer to an operation whose output
 * streams goes to the sink (error answers are always read into memory). */
int omics_send(omics_client *c, const omics_request *req, const omics_sink *sink,
               omics_response *out, omics_error *err);
/* A parser keeps the working memory of its last parse (the JSON tree, decoded
 * bytes) until the next parse or omics_parser_free, so that a builder that
 * unwinds (a Lua error) leaks nothing. */
typedef struct omics_parser omics_parser;

omics_parser *omics_parser_new(void);
void omics_parser_free(omics_parser *p);

/* Describe the result through b.  On a service error returns -1 with err set;
 * if the error is modeled, *has_data is set and one table describing its
 * members was pushed through b. */
int omics_parse(omics_parser *p, const omics_model *m, const omics_op *op,
                const omics_response *resp, const omics_builder *b, int *has_data,
                omics_error *err);
/* prepare, sign, send, parse.  sink may be NULL.  While it runs, its
 * callbacks (sink, log, credentials) must not use c: the stages and
 * omics_call return ClientBusy. */
int omics_call(omics_client *c, const omics_op *op, const omics_value *params,
               const omics_sink *sink, const omics_builder *b, int *has_data,
               omics_error *err);
/* 0 when op's answer streams a payload that a sink can take; else -1 with
 * a SinkError (omics_call refuses a sink for any other operation, before
 * anything is sent). */
int omics_op_check_sink(const omics_op *op, omics_error *err);

/* A path sink: a streaming payload written to "<path>.partial.<random>",
 * created exclusively (never through a link planted there) with mode 0666
 * less the umask, started over on a retry, then synced and renamed to path
 * when the call succeeded or removed when it did not: the file is complete
 * or absent.  len is strlen(path): a path holding a NUL byte is refused. */
typedef struct omics_path_sink omics_path_sink;

omics_path_sink *omics_path_sink_open(const char *path, size_t len, omics_error *err);
/* The sink to give omics_call; it belongs to ps. */
const omics_sink *omics_path_sink_sink(omics_path_sink *ps);
/* Complete (ok) or remove the file, and free ps (NULL is fine). */
int omics_path_sink_finish(omics_path_sink *ps, int ok, omics_error *err);

/* An open file as a streaming payload, from where it stands to its end (and
 * back there for a retry): the reader lives in a; NULL with err for a file
 * that cannot seek. */
const omics_reader *omics_file_reader(omics_arena *a, FILE *f, omics_error *err);
/* An open file as a sink (written, never taken back). */
void omics_file_sink(omics_sink *s, FILE *f);

/* omics_call for C programs that want text: the operation by API or
 * snake_case name, the parameters as a JSON object (NULL or empty for none;
 * numbers with an integral value are integers), and the result as JSON text
 * in *out (malloc'd; the caller frees it): members as the service spells
 * them, timestamps as epoch seconds, integers exact, empty lists as [],
 * bytes that are not UTF-8 (a blob) as a base64 string. */
int omics_call_json(omics_client *c, const char *op, const char *params, size_t params_len,
                    const omics_sink *sink, char **out, size_t *out_len, omics_error *err);
/* omics_parse with the result as JSON text, as omics_call_json writes it
 * (for a transport of the caller's own). */
int omics_parse_json(omics_parser *p, const omics_model *m, const omics_op *op,
                     const omics_response *resp, char **out, size_t *out_len, omics_error *err);

/* Results as an omics_value tree (the type of parameters), every node and
 * string in an arena of the caller's: structures and maps are tables of
 * string keys, lists tables of keys 1..n, timestamps epoch seconds.  On an
 * error with modeled members (err->kind OMICS_ESERVICE), *out holds them. */
int omics_call_value(omics_client *c, const omics_op *op, const omics_value *params,
                     const omics_sink *sink, omics_arena *a, const omics_value **out,
                     omics_error *err);
/* A list's item by index (from 1; omics_value_get reads a member); NULL
 * when there is none or v is not a table. */
const omics_value *omics_value_at(const omics_value *v, size_t index);
/* The builder behind omics_call_value, for omics_parse, omics_multi and
 * the engine: omics_tree_value is what was built last (NULL before), valid
 * until the tree builds on, is reset or freed (its nodes below the top, and
 * its strings, live in the arena). */
typedef struct omics_tree omics_tree;
omics_tree *omics_tree_new(omics_arena *a);
void omics_tree_free(omics_tree *t);
const omics_builder *omics_tree_builder(omics_tree *t);
const omics_value *omics_tree_value(omics_tree *t);
/* Forget what was built (the arena keeps its memory until its reset). */
void omics_tree_reset(omics_tree *t);

/* ---------------------------------------------------------------- events
 * What a call does, told as it happens by the engine (exchange.c), so that
 * every driver (omics_call, omics_multi, a driver of the caller's own, raw
 * bytes) tells the same: for metrics and tracing.
 *   before_send    an attempt is about to go: its request as signed
 *                  (omics_event_describe leaves the secrets out)
 *   after_attempt  the attempt's answer or failure: status, error code,
 *                  seconds, bytes of the answer's body
 *   after_call     the call's end: attempts made (0 when its parameters
 *                  were refused), the last status, error code, seconds
 *                  (waits between attempts included) */
typedef enum omics_event_type {
    OMICS_EVENT_BEFORE_SEND = 1,
    OMICS_EVENT_AFTER_ATTEMPT,
    OMICS_EVENT_AFTER_CALL
} omics_event_type;

typedef struct omics_event {
    omics_event_type type;
    const char *op;  /* the operation's API name */
    int attempt;     /* before_send, after_attempt: from 1; after_call: attempts made */
    int status;      /* HTTP status of the (last) answer, 0 when there was none */
    const char *code;  /* the error's code; NULL for a success */
    double seconds;  /* after_attempt: the attempt's; after_call: the call's */
    long long bytes; /* after_attempt: the answer's body, in memory or to a sink */
    const omics_request *request; /* before_send; NULL otherwise */
} omics_event;

/* An event handler: 0, or non-zero with why filled in; a failing handler
 * never fails the call (its why goes to the log option, level 3). */
typedef int (*omics_event_fn)(void *ud, const omics_event *ev, char *why, size_t whylen);
/* Set c's handler (fn NULL: none).  It runs inside the engine's steps: it
 * must not use c (its calls return ClientBusy while omics_call runs). */
void omics_client_on_event(omics_client *c, omics_event_fn fn, void *ud);
/* "before_send", "after_attempt", "after_call"; NULL for another value. */
const char *omics_event_name(omics_event_type type);
/* The event as a table through b: event, op, attempt (after_call:
 * attempts), status (when there was one), code (when failed), seconds,
 * bytes (after_attempt), request (before_send: method, url, host, path,
 * query, headers with the secret ones as "[REDACTED]", body_length; never
 * the body or a signature). */
int omics_event_describe(const omics_event *ev, const omics_builder *b);

/* ------------------------------------------------ stubs, for users' tests
 * What a test double answers instead of the service, written as the
 * service writes its answers so that the engine (omics_exchange_answered)
 * parses it as a real one: results, errors, retries and events are then
 * the real ones.  Nothing here sends anything; the response's strings live
 * in a.  A stub the service could never send is a StubError (OMICS_EUSAGE)
 * naming the member. */

/* A result of op: checked against op's output shape (known members, types,
 * limits, required members, timestamps in epoch seconds; a
 * ResponseMetadata member is let through and not sent) and written as the
 * answer: status, headers, a JSON body or the payload's bytes. */
int omics_stub_result(const omics_op *op, const omics_value *result, omics_arena *a,
                      omics_response *out, omics_error *err);
/* An error answer of op: code (x-amzn-ErrorType: letters, digits and
 * . _ : # -), message (NULL: ""), status (0: the modeled error's, else
 * 400; otherwise 400 to 599), data: the modeled error's members, checked
 * against its shape (none for a code the model does not know). */
int omics_stub_error(const omics_model *m, const omics_op *op, const char *code,
                     const char *message, int status, const omics_value *data, omics_arena *a,
                     omics_response *out, omics_error *err);
/* 0 when params hold exactly what expected holds (NULL or nil: anything):
 * numbers by value, tables member by member, no member more or less; else
 * a StubError naming the first member that differs and both values. */
int omics_stub_expect(const omics_op *op, const omics_value *expected, const omics_value *params,
                      omics_error *err);

/* 1 while omics_call or omics_send runs on c (their callbacks see it). */
int omics_client_busy(const omics_client *c);
/* A builder left omics_call by a long jump (a Lua error): c is idle again. */
void omics_client_unwound(omics_client *c);

/* ------------------------------------------------ the engine, for drivers
 * One call as a state machine that does no I/O: it says what to do next,
 * and is told what happened.  omics_call runs it with libcurl; a driver of
 * your own (another event loop, a test double) moves the bytes and gets the
 * whole policy: attempts, signing, retries, the rate limiter, clock skew,
 * sinks that cannot start over, log lines.
 *
 *   step = omics_exchange_next(x, &req, &wait);
 *   loop: SEND  send *req; step = omics_exchange_answered(...) or _failed(...)
 *         WAIT  sleep wait seconds; step = omics_exchange_next(...)
 *         DONE  the result went through the builder; FAILED: omics_exchange_error */

typedef struct omics_exchange omics_exchange;
typedef enum omics_step {
    OMICS_STEP_SEND = 1,
    OMICS_STEP_WAIT,
    OMICS_STEP_DONE,
    OMICS_STEP_FAILED,
    OMICS_STEP_RECV /* (a driver of raw bytes: feed more of the answer) */
} omics_step;

/* The request is prepared (and checked) here.  sink: where the driver puts
 * a 2xx streaming payload (the engine rewinds it for a retry), or NULL.
 * agent: replaces " curl/<version>" at the end of User-Agent (NULL keeps it). */
omics_exchange *omics_exchange_new(omics_client *c, const omics_op *op,
                                   const omics_value *params, const omics_sink *sink,
                                   const omics_builder *b, const char *agent, omics_error *err);
void omics_exchange_free(omics_exchange *x);
/* x (made by omics_exchange_new, its call over) starts again for another
 * call, keeping its memory: what a driver making many calls does instead of
 * a new exchange each time.  -1 with err when the parameters are refused
 * (x may start again after that too). */
int omics_exchange_restart(omics_exchange *x, omics_client *c, const omics_op *op,
                           const omics_value *params, const omics_sink *sink,
                           const omics_builder *b, const char *agent, omics_error *err);
omics_step omics_exchange_next(omics_exchange *x, const omics_request **req, double *wait);
/* After SEND: the answer (sink_bytes: payload bytes that reached the sink). */
omics_step omics_exchange_answered(omics_exchange *x, omics_response *resp, size_t sink_bytes,
                                   double *wait);
/* After SEND: no usable answer; err says why (its kind and retryable flag count). */
/* Whether a driver's failure with this code may pass on another attempt
 * (ConnectionError, TimeoutError): what a driver sets err->retryable to. */
int omics_transport_retryable(const char *code);
omics_step omics_exchange_failed(omics_exchange *x, const omics_error *err, size_t sink_bytes,
                                 double *wait);
/* After WAIT, when the driver waited in the client's sleep option (a test's
 * virtual time) instead of for real: the client's clock of durations (the
 * rate limiter's) moves on by as much. */
void omics_exchange_waited(omics_exchange *x, double seconds);
const omics_error *omics_exchange_error(const omics_exchange *x);
/* The error moved into out (the exchange keeps none). */
void omics_exchange_take_error(omics_exchange *x, omics_error *out);
/* 1 when a modeled error's members were built through the builder */
int omics_exchange_has_data(const omics_exchange *x);
int omics_exchange_attempts(const omics_exchange *x);

/* ------------------------------------------------ the engine on raw bytes
 * For a driver that moves raw bytes on a socket of its own (nginx
 * cosockets, a C program's event loop): the engine writes the request as
 * HTTP/1.1 bytes and reads the answer from the bytes the driver feeds it,
 * in pieces of any size, under the client's limits (timeout, stall_timeout,
 * max_response_bytes, max_header_bytes).
 *
 *   SEND  omics_exchange_wire(x, sink, &w): connect to w.host:w.port (TLS
 *         when w.https) within w.wait seconds, write w.bytes, then, when
 *         w.has_body, the pieces of omics_exchange_body until it gives 0;
 *   then  step = omics_exchange_receive(x, data, n, &r) for each read:
 *         RECV while more is needed (the next read may wait r.wait seconds);
 *         r.payload holds bytes of a streamed payload for the driver's sink
 *         (with r.wait 0, they were the last: feed nothing, n 0, no read);
 *         a read that fails: omics_exchange_receive_end (the peer closed,
 *         the wait ran out, or another error); otherwise the step after the
 *         answer, as from omics_exchange_answered, with r.keep telling
 *         whether the connection may carry the next request.
 *   A sink that fails: omics_exchange_failed (StreamWriteError). */
typedef struct omics_wire {
    const char *bytes; /* the request's head and in-memory body */
    size_t len;
    char host[256];    /* without brackets for IPv6 */
    int port;
    int https;
    int has_body;      /* a payload follows, from omics_exchange_body */
    double wait;       /* seconds the connection and the sending may take */
    /* through a proxy (the client's): connect to it instead; for https,
     * open a tunnel first (CONNECT host:port), then TLS with host */
    char proxy_host[256]; /* "" when none */
    int proxy_port;
} omics_wire;
typedef struct omics_received {
    double wait;         /* RECV: seconds the next read may wait; WAIT: the wait */
    const char *payload; /* RECV: bytes of a streamed payload, or NULL */
    size_t payload_len;
    int keep;            /* after the answer: the connection may be reused */
} omics_received;
enum { OMICS_WIRE_CLOSED = 1, OMICS_WIRE_TIMEOUT, OMICS_WIRE_ERROR };
/* After SEND.  sink: the driver has a sink for a streamed payload.
 * 0, or -1 with err (an endpoint that is not http(s)://host[:port]): report
 * it with omics_exchange_failed. */
int omics_exchange_wire(omics_exchange *x, int sink, omics_wire *out, omics_error *err);
/* The payload's next bytes (at most n); 0 at its end, -1 with err. */
long long omics_exchange_body(omics_exchange *x, char *p, size_t n, omics_error *err);
omics_step omics_exchange_receive(omics_exchange *x, const char *data, size_t n,
                                  omics_received *r);
/* why: OMICS_WIRE_CLOSED, OMICS_WIRE_TIMEOUT or OMICS_WIRE_ERROR (message:
 * the driver's words for it). */
omics_step omics_exchange_receive_end(omics_exchange *x, int why, const char *message,
                                      omics_received *r);

/* While where is set (a description: "the content phase of nginx"), what
 * would block the calling thread for long (running credential_process) is
 * refused with an error naming it; NULL allows it again.  Per thread. */
void omics_refuse_blocking(const char *where);

/* ------------------------------------------- credentials by a driver's I/O
 * omics_provider_credentials makes the sources' fetches itself, blocking
 * (libcurl; a child process for credential_process).  A driver with an
 * event loop of its own (nginx cosockets) steps the provider instead: it
 * says what to fetch, the driver fetches it and hands the answer back, and
 * the sources go on (run again from the start, their earlier fetches
 * answered from what was handed back).  Every decision stays here: which
 * source applies, refresh windows, the answers' checks.
 *
 *   for (;;) switch (omics_provider_next(p, mode, &f, &err)) {
 *   READY    the credentials are current (omics_provider_credentials
 *            returns them without fetching)
 *   FETCH    an HTTP request (f): omics_provider_answered or _failed, or
 *            the raw bytes of omics_provider_wire/_receive/_receive_end
 *   RUN      a command (f->command, by /bin/sh -c): omics_provider_ran
 *   REFRESH  (mode SHARED) a fetch is due: take the shared cache's lock and
 *            step again with mode ALONE, or step with mode BUSY
 *   WAIT     (mode BUSY) another holds the lock and these credentials may
 *            not be used: wait a little, offer what the cache has, step again
 *   -1       no credentials: err
 *   }
 *
 * Workers sharing a cache (an nginx lua_shared_dict): each offers the
 * cache's credentials (omics_provider_offer) before it steps with mode
 * SHARED; the one holding the lock stores omics_provider_export's text. */
typedef enum omics_creds_step {
    OMICS_CREDS_READY = 1,
    OMICS_CREDS_FETCH,
    OMICS_CREDS_RUN,
    OMICS_CREDS_REFRESH,
    OMICS_CREDS_WAIT
} omics_creds_step;
typedef enum omics_creds_mode {
    OMICS_CREDS_ALONE,  /* fetch when due */
    OMICS_CREDS_SHARED, /* say REFRESH when due, fetch nothing */
    OMICS_CREDS_BUSY    /* another refreshes (another worker, or another coroutine of
                           this one stepping p): READY while these may be used, else WAIT;
                           a refresh under way is left as it is */
} omics_creds_mode;
typedef struct omics_fetch {
    const char *method; /* FETCH */
    const char *url;
    const char *const *headers; /* "Name: value" lines */
    size_t nheaders;
    const char *body;
    size_t body_len;
    const char *command; /* RUN */
    size_t max_output;   /* RUN: bytes of stdout and of stderr at most */
    double timeout;      /* seconds for all of it */
    double connect_timeout;
} omics_fetch;
int omics_provider_next(omics_provider *p, omics_creds_mode mode, const omics_fetch **f,
                        omics_error *err);
/* The answer to FETCH (any status); 0, or -1 when nothing was pending. */
int omics_provider_answered(omics_provider *p, long status, const char *body, size_t len,
                            omics_error *err);
/* FETCH or RUN could not be done: why (its code and message are kept). */
int omics_provider_failed(omics_provider *p, const omics_error *why, omics_error *err);
/* RUN ended: the exit status (128 + a signal's number), stdout, stderr. */
int omics_provider_ran(omics_provider *p, int status, const char *out, size_t out_len,
                       const char *errout, size_t errout_len, omics_error *err);
/* FETCH as raw bytes (see omics_exchange_wire): where to connect, the
 * request's bytes; then the answer's bytes as they arrive: 1 while more are
 * needed (r->wait: seconds the next read may take), 0 once the answer (or
 * its failure) is handed back (r->keep: the connection may be reused). */
int omics_provider_wire(omics_provider *p, omics_wire *out, omics_error *err);
int omics_provider_receive(omics_provider *p, const char *data, size_t n, omics_received *r);
int omics_provider_receive_end(omics_provider *p, int why, const char *message,
                               omics_received *r);
/* Credentials from a shared cache (omics_provider_export's text): 1 taken
 * (they expire later than the provider's own), 0 not, -1 unreadable. */
int omics_provider_offer(omics_provider *p, const char *text, size_t len, omics_error *err);
/* The current credentials as text for a shared cache (it holds the secret:
 * give it only to the cache), malloc'd; NULL when there are none.  *expires:
 * their expiration (0: never). */
char *omics_provider_export(omics_provider *p, double *expires);
/* What identifies the provider's credentials in a shared cache: its
 * profile, and whether options gave them. */
const char *omics_provider_key(const omics_provider *p);

/* ------------------------------------------------ many calls at once
 * The engine driven by curl multi: many calls of one client on one thread,
 * at most `concurrency` in flight, each on a connection of its own (kept
 * alive for the next call in the same slot).  Every call gets the whole
 * policy of omics_call; retries, the quota, the rate limiter and the clock
 * correction are the client's, shared by all of them.  The client is busy
 * (ClientBusy) while omics_multi_run runs.
 *
 *   m = omics_multi_new(c, 16, &err);
 *   omics_multi_add(m, op, params, sink, builder, &err);   (any number)
 *   omics_multi_run(m, done, ud, &err);
 *   omics_multi_free(m);
 *
 * A call's builder gets its result when the call ends, and done(ud, i, err,
 * has_data) follows at once (err NULL on success; has_data as for
 * omics_call): a builder that keeps a stack sees one call's values at a
 * time.  Parameters, sinks and builders must live until the run returns. */
typedef struct omics_multi omics_multi;
typedef void (*omics_multi_done_fn)(void *ud, size_t index, const omics_error *err,
                                    int has_data);
#define OMICS_MULTI_CONCURRENCY 16   /* the default of the bindings */
#define OMICS_MULTI_MAX_CONCURRENCY 1024
/* 0, or -1 with an error naming the option when n is out of range. */
int omics_multi_check_concurrency(long long n, omics_error *err);
/* concurrency: calls in flight at once (1 to OMICS_MULTI_MAX_CONCURRENCY). */
omics_multi *omics_multi_new(omics_client *c, int concurrency, omics_error *err);
/* Queue a call; index is its place in the order of adding (from 0). */
int omics_multi_add(omics_multi *m, const omics_op *op, const omics_value *params,
                    const omics_sink *sink, const omics_builder *b, size_t *index,
                    omics_error *err);
/* Run every queued call to its end: 0, or -1 when the run could not start or
 * go on (the client busy, out of memory, curl multi failing); calls that had
 * not ended then get done with that error. */
int omics_multi_run(omics_multi *m, omics_multi_done_fn done, void *ud, omics_error *err);
/* Safe at any time, a run interrupted by a long jump included. */
void omics_multi_free(omics_multi *m);
/* TCP connections the run's transfers opened so far. */
long omics_multi_connects(const omics_multi *m);

/* ------------------------------------------------ whole files: downloads
 * The files of a read set or a reference, part by part: each part's bytes
 * are written at their offset into a temporary file beside the destination
 * ("<path>.omics-partial"), each part's length is checked, then the file's,
 * and the file is synced and renamed into place: complete or absent.  With
 * resume, "<path>.omics-state" lists the finished parts, so a run killed
 * half way starts again from the parts that are missing.  No I/O on the
 * network here: the caller makes the metadata call, then the part calls
 * (omics_download_run does them with curl multi; another driver asks for
 * each part with omics_download_part and reports it).
 *
 *   d = omics_download_new(c, OMICS_DOWNLOAD_READ_SET, params, metadata, &o, &err);
 *   omics_download_run(d, 8, &err);       (or: the parts by a driver of yours)
 *   omics_download_finish(d, &err);
 *   omics_download_free(d); */
typedef struct omics_download omics_download;
typedef enum omics_download_kind {
    OMICS_DOWNLOAD_READ_SET = 1, /* params: sequenceStoreId, id; GetReadSetMetadata's result */
    OMICS_DOWNLOAD_REFERENCE     /* params: referenceStoreId, id; GetReferenceMetadata's */
} omics_download_kind;
/* Called with the bytes written so far (resumed parts included), the bytes
 * of all files, and the file being written; at most ten times a second, and
 * once at the end.  A non-zero return stops the download (the message goes
 * into why). */
typedef int (*omics_download_progress_fn)(void *ud, long long done, long long total,
                                           const char *file, char *why, size_t whylen);
typedef struct omics_download_opts {
    const char *to;            /* a directory (NULL: "."), or a file's path when one file is asked for */
    const char *const *files;  /* "SOURCE1", "SOURCE2", "INDEX" / "SOURCE", "INDEX"; NULL: all */
    size_t nfiles;
    int resume;                /* keep finished parts for the next run */
    int overwrite;             /* replace a file already at the destination */
    omics_download_progress_fn progress;
    void *progress_ud;
} omics_download_opts;

/* Checks the parameters, the options and the metadata (a lying part count
 * is refused), names the files and opens them; -1-style NULL with err. */
omics_download *omics_download_new(omics_client *c, omics_download_kind kind,
                                   const omics_value *params, const omics_value *metadata,
                                   const omics_download_opts *o, omics_error *err);
/* The part calls still to make (parts a resumed run found done are not). */
size_t omics_download_parts(const omics_download *d);
/* Part i's call: its operation, parameters and sink (writing at the part's
 * offset, starting over for a retry); all owned by d. */
void omics_download_part(omics_download *d, size_t i, const omics_op **op,
                         const omics_value **params, const omics_sink **sink);
/* Part i's call ended (call_err NULL when it succeeded): its length is
 * checked and it is recorded as finished; 0, or -1 with err. */
int omics_download_part_done(omics_download *d, size_t i, const omics_error *call_err,
                             omics_error *err);
/* Every part fetched: checks, syncs and renames each file, removes the
 * state files; 0, or -1 with err (the files stay for a resume). */
int omics_download_finish(omics_download *d, omics_error *err);
/* The parts with curl multi, concurrency at a time; 0, or -1 with the
 * first part's failure (the others still ran to their end). */
int omics_download_run(omics_download *d, int concurrency, omics_error *err);
/* After finish: file k's name ("SOURCE1") and path; NULL past the end. */
const char *omics_download_file(const omics_download *d, size_t k, const char **path);
/* Bytes and parts fetched by this run; parts an earlier run had fetched. */
long long omics_download_fetched(const omics_download *d);
int omics_download_resumed(const omics_download *d);
/* Closes what is open; an unfinished download's files are removed, unless
 * resume keeps them for the next run.  NULL is fine. */
void omics_download_free(omics_download *d);

/* ------------------------------------------------ whole files: uploads
 * A read set's files sent part by part: checked before anything is sent
 * (SOURCE1 and, for FASTQ only, SOURCE2; referenceArn for BAM and CRAM;
 * readable files with bytes in them; parts of at most 100 MiB), each part
 * read straight from its file at its offset (again from its start for a
 * retry), the parts' checksums collected for the completing call.  No I/O
 * on the network here: the caller makes CreateMultipartReadSetUpload with
 * omics_upload_create_params (or names an upload to resume and reports the
 * parts it has with omics_upload_have), then the part calls
 * (omics_upload_run, or a driver of its own), then
 * CompleteMultipartReadSetUpload with omics_upload_complete_params. */
typedef struct omics_upload omics_upload;
typedef struct omics_upload_opts {
    long long part_size; /* 0: 100 MiB, the service's largest */
    int no_wait;            /* 1: done once completed, no waiting for ACTIVE */
    long long wait_seconds; /* the longest wait for ACTIVE; 0: 3600 */
    /* bytes read for the parts so far (resumed parts counted), bytes in
     * all, the file: at most ten times a second and once at the end */
    omics_download_progress_fn progress;
    void *progress_ud;
} omics_upload_opts;
/* params: CreateMultipartReadSetUpload's members and files = { SOURCE1 =
 * path, SOURCE2 = path }. */
omics_upload *omics_upload_new(omics_client *c, const omics_value *params,
                               const omics_upload_opts *o, omics_error *err);
/* params without files (owned by u). */
const omics_value *omics_upload_create_params(const omics_upload *u);
/* A part the upload has already (ListReadSetUploadParts): not sent again
 * when its size is the size it has in the file. */
void omics_upload_have(omics_upload *u, const char *source, int number, long long size,
                       const char *checksum);
/* The upload the parts go to; then the part calls are known. */
int omics_upload_started(omics_upload *u, const char *upload_id, omics_error *err);
size_t omics_upload_parts(const omics_upload *u);
/* Part i's call: UploadReadSetPart, its parameters, its payload's reader. */
void omics_upload_part(omics_upload *u, size_t i, const omics_op **op, const omics_value **params,
                       const omics_reader **payload);
/* Part i's call ended, with the checksum the service gave (call_err NULL
 * when it succeeded); 0, or -1 with err. */
int omics_upload_part_done(omics_upload *u, size_t i, const omics_error *call_err,
                           const char *checksum, omics_error *err);
/* The parts with curl multi, concurrency at a time; 0, or -1 with the
 * first part's failure. */
int omics_upload_run(omics_upload *u, int concurrency, omics_error *err);
/* CompleteMultipartReadSetUpload's parameters (every part sent), owned by u. */
const omics_value *omics_upload_complete_params(omics_upload *u, omics_error *err);
/* Bytes and parts sent by this run; the upload's id. */
long long omics_upload_sent(const omics_upload *u, int *parts);
/* The last call of the progress function: everything was sent. */
void omics_upload_progress_end(omics_upload *u);
const char *omics_upload_id(const omics_upload *u);

/* After CompleteMultipartReadSetUpload: the read set it made is polled
 * (GetReadSetMetadata) until ACTIVE, unless opts.no_wait.  The first look
 * at once, then 1 s, 2 s, ... doubling up to 15 s between looks, at most
 * opts.wait_seconds of waiting (then WaiterTimeout); UPLOAD_FAILED or any
 * state other than PROCESSING_UPLOAD and ACTIVATING is an UploadFailed
 * error naming it.  The driver makes the calls and sleeps:
 *   omics_upload_completed(u, read_set_id, err);
 *   for (;;) switch (omics_upload_next(u, &op, &params, &wait, err)) {
 *   case OMICS_UPLOAD_CALL:   call op with params, then
 *                             omics_upload_looked(u, status, message, call_err)
 *   case OMICS_UPLOAD_WAIT:   sleep wait seconds (a test's clock may only move)
 *   case OMICS_UPLOAD_DONE:   omics_upload_status(u): "ACTIVE", or with
 *                             no_wait "" (not looked at)
 *   case OMICS_UPLOAD_FAILED: err (a failed look: that call's error)
 *   } */
typedef enum omics_upload_step {
    OMICS_UPLOAD_CALL,
    OMICS_UPLOAD_WAIT,
    OMICS_UPLOAD_DONE,
    OMICS_UPLOAD_FAILED
} omics_upload_step;
int omics_upload_completed(omics_upload *u, const char *read_set_id, omics_error *err);
omics_upload_step omics_upload_next(omics_upload *u, const omics_op **op,
                                    const omics_value **params, double *wait, omics_error *err);
/* The look's answer: the read set's status and statusMessage (either may
 * be NULL), or call_err when GetReadSetMetadata failed. */
void omics_upload_looked(omics_upload *u, const char *status, const char *message,
                         const omics_error *call_err);
const char *omics_upload_status(const omics_upload *u);
const char *omics_upload_read_set_id(const omics_upload *u);
void omics_upload_free(omics_upload *u);

/* ------------------------------------------------------ the client's settings */

/* The limits every attempt of a call on c runs under, defaults applied:
 * what a driver of the caller's own must honour too. */
typedef struct omics_limits {
    double timeout;            /* one attempt, connection to last byte, s (0: none) */
    double connect_timeout;    /* s */
    double stall_timeout;      /* no byte for this long once the answer started, s */
    size_t max_response_bytes; /* any answer read into memory */
    size_t max_header_bytes;   /* an answer's header section (and its trailers) */
} omics_limits;

void omics_client_limits(const omics_client *c, omics_limits *out);
/* The ResponseTooLarge error of an answer over a limit (headers: its header
 * section, else its body; streaming: the operation's payload could have
 * gone to a sink), as every driver reports it; always -1. */
int omics_too_large(omics_error *err, const omics_limits *l, int headers, int streaming);
/* The StreamWriteError of a sink that refused a payload's bytes (why: the
 * sink's own words, as omics_sink's write gave them), as every driver
 * reports it; never retried; always -1. */
int omics_sink_failed(omics_error *err, const char *why);
/* A function sink's refusal in words: it raised (raised, with the error's
 * text, NULL when it has none) or returned false; for the drivers that call
 * the function themselves (written to out as snprintf would). */
void omics_sink_refusal(int raised, const char *text, char *out, size_t n);
int omics_client_max_attempts(const omics_client *c);
/* "standard" or "adaptive", as chosen from options, environment and profile. */
const char *omics_client_retry_mode(const omics_client *c);
/* The client as one line for people: region, endpoint, where its
 * credentials come from (never a key), retry mode and attempts.  It may
 * fetch credentials (their callbacks run).  As snprintf: the full length. */
size_t omics_client_format(omics_client *c, char *out, size_t n);

/* ---------------------------------------------------------------- options
 * Every option of the module in one table: its name, where it is taken,
 * what it takes, its default and its rule, as errors state it.  A binding
 * converts its values to omics_value (its own functions as
 * OMICS_V_FUNCTION, open files as OMICS_V_FILE, shared providers as
 * OMICS_V_PROVIDER) and asks here; no check or default lives anywhere else. */

typedef enum omics_opt_type {
    OMICS_OPT_STRING = 1,  /* text without NUL bytes */
    OMICS_OPT_NUMBER,      /* a number from min to max (seconds, sizes) */
    OMICS_OPT_INTEGER,     /* an integral number from min to max */
    OMICS_OPT_BOOLEAN,
    OMICS_OPT_CHOICE,      /* one of the words of choices; a function too when fn_ok */
    OMICS_OPT_FUNCTION,    /* a function of the caller's */
    OMICS_OPT_CREDENTIALS, /* a table of keys, a function returning one, or a provider */
    OMICS_OPT_SINK,        /* a function, an open file or a path */
    OMICS_OPT_DOCUMENT     /* JSON text, or a table to be written as JSON */
} omics_opt_type;

/* Where an option is taken (a mask). */
enum {
    OMICS_OPT_CLIENT = 1,   /* a client's own (omics_client_opts) */
    OMICS_OPT_DRIVER = 2,   /* a binding's drivers: which moves the bytes, keep-alive */
    OMICS_OPT_PROVIDER = 4, /* a credentials provider's (omics_provider_opts) */
    OMICS_OPT_CALL = 8,     /* one call's */
    OMICS_OPT_MODEL = 16,   /* a model's own, beside a client's (paginators, waiters) */
    OMICS_OPT_WAIT = 32     /* a waiter's (delay, max_attempts, sleep) */
};

typedef struct omics_option {
    const char *name;
    omics_opt_type type;
    unsigned scope;
    double min, max;       /* NUMBER, INTEGER */
    double dflt;           /* a number's default; 0 when it has none */
    const char *choices;   /* CHOICE: the words, "|" between them */
    const char *dflt_text; /* CHOICE: the default word; NULL when none */
    int fn_ok;             /* CHOICE: a function is taken too */
    const char *rule;      /* what the option takes, as its error says */
} omics_option;

size_t omics_option_count(void);
const omics_option *omics_option_at(size_t i); /* NULL past the end */
/* The option called name that scope (a mask) takes, or NULL. */
const omics_option *omics_option_find(const char *name, unsigned scope);
/* 0 when v (not nil) follows o's rule; else -1 with "option <name>: <rule>"
 * (InvalidOption; a call option's: ParamValidationError, "<name>: <rule>"). */
int omics_option_check(const omics_option *o, const omics_value *v, omics_error *err);

/* What an options table says, defaults applied. */
typedef struct omics_options {
    omics_client_opts client;
    omics_provider_opts provider;
    omics_credentials credentials; /* a credentials table's (client.credentials) */
    const char *transport;         /* "auto", "curl" or "ngx"; NULL: a function */
    double keepalive_pool_size;    /* connections kept per endpoint */
    double keepalive_timeout;      /* seconds one is kept idle */
} omics_options;

/* The defaults: a client times out an attempt after 60 s (a zeroed
 * omics_client_opts has no timeout), connects within 10 s, and so on. */
void omics_options_init(omics_options *o);
/* Check the options table v (OMICS_V_TABLE with string keys; OMICS_V_NIL for
 * none) as scope takes it: every name known there, every value by its
 * rule, then the rules between options; store what o has a place for
 * (strings are v's, not copied).  Functions are checked, not stored: the
 * caller wires its own callbacks after.  InvalidOption, naming the option. */
int omics_options_read(omics_options *o, const omics_value *v, unsigned scope, omics_error *err);
/* The same checks, nothing stored: for options a binding applies itself
 * (a waiter's), with the table's defaults (omics_option_find). */
int omics_options_check(const omics_value *v, unsigned scope, omics_error *err);
void omics_options_clear(omics_options *o); /* wipes the credentials */
/* A call's options (OMICS_V_TABLE or OMICS_V_NIL) for op: known names, a
 * sink of a type that can take bytes, and only for an operation whose
 * answer streams a payload; ParamValidationError or SinkError. */
int omics_call_options_check(const omics_op *op, const omics_value *v, omics_error *err);

/* A random (version 4) UUID, as text. */
void omics_uuid4(char out[37]);

/* ------------------------------------------- records as values, for bindings
 * A binding turns its tables into value trees and back with one converter
 * and one builder; what each record's table holds is said here. */

/* A request as client:prepare gives it (method, path, query, body, headers as
 * a map or a list of { name, value }, unsigned_payload), to sign; the
 * header array lives in a, the strings stay v's. */
int omics_request_from_value(omics_request *out, const omics_value *v, omics_arena *a,
                             omics_error *err);
/* An answer (status, headers, body, body_streamed), header names in lower case. */
int omics_response_from_value(omics_response *out, const omics_value *v, omics_arena *a,
                              omics_error *err);
/* What omics_sign takes, from a table of the same names (normalize_path and
 * encode_path default to true, time to now) and credentials (a table, read
 * into creds: the caller clears it). */
int omics_sign_params_from_value(omics_sign_params *p, omics_credentials *creds,
                                 const omics_value *v, omics_arena *a, omics_error *err);

/* Tables through b: an error (code, message, kind, status, request_id,
 * retryable, attempts), a request (as above, with host, url and, for a file
 * payload, body_length), a signature (headers as { name, value } pairs,
 * canonical_request, string_to_sign, signature, authorization), an identity
 * (access_key_id, provider, expiration: never the secret), the limits, the
 * operations ({ name = "GetReferenceMetadata", method = "get_reference_metadata" }).
 * Each returns 0, or -1 when b refused. */
int omics_error_describe(const omics_error *e, const omics_builder *b);
int omics_request_describe(const omics_request *r, const omics_builder *b);
int omics_signature_describe(const omics_signature *s, const omics_builder *b);
int omics_identity_describe(const char *akid, const char *provider, double expiration,
                            const omics_builder *b);
int omics_limits_describe(const omics_limits *l, const omics_builder *b);
int omics_model_describe_ops(const omics_model *m, const omics_builder *b);
/* One operation with every shape its input and output reach, for what
 * reads the model without calling (the command line, its help, the
 * reference pages): { name, method (snake_case), cli (kebab-case),
 * http_method, uri, response_code, host_prefix, deprecated,
 * unsigned_payload, input, output (shape names), service_id, api_version,
 * errors = { { code, status, retryable, throttling }, ... }, shapes = {
 * [name] = { type, min, max, pattern, enum = { ... }, streaming,
 * sensitive, sparse, requires_length, union, exception, members = { {
 * name, shape, cli, location, wire, required, idempotency_token,
 * host_label, jsonvalue }, ... } (in the model's order), payload, member
 * (a list's), key, value (a map's) } } }; wire: the name where it goes,
 * told for a body member only when it differs.  0, or -1 with err set. */
int omics_model_describe_op(const omics_model *m, const omics_op *op, const omics_builder *b,
                            omics_error *err);

/* ----------------------------------------------------------------- time */

double omics_now(void);           /* epoch seconds, with microseconds */
/* seconds on a clock that never jumps (for durations, not dates) */
double omics_monotonic(void);
void omics_sleep(double seconds); /* blocking; resumes after signals */

#pragma GCC visibility pop

#endif
