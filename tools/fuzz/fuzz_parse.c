/* libFuzzer entry point for src/parse.c (omics_parse: a rest-json response
 * into a builder, driven by the model).
 *
 * Input framing (seeds in tools/fuzz/corpus/parse are written this way):
 *
 *   byte 0       the operation: below 0x40 one of the custom model's below
 *                (byte % count), else one of the built-in HealthOmics model's
 *                ((byte - 0x40) % count, in omics_model_op_at order)
 *   then a head  "<status>[ s]\n" then "name: value\n" lines, up to an empty
 *                line; the status is its leading digits (200 when none), " s"
 *                marks the payload as streamed to a sink; header names are
 *                lower-cased (as omics_response promises)
 *   then         the body: every byte after the empty line
 *
 * The builder builds nothing: it keeps a stack of what was pushed and checks
 * that the calls are well nested (set_field/set_index pop a value that has a
 * table under it; a table is filled by keys or by indexes 1, 2, 3... never
 * both).  Then: a success leaves exactly one table whose last field is
 * ResponseMetadata; a failure has an error with a kind, a code and a message
 * (a service error for a status outside 2xx, with the status, the request id
 * and retryable for 5xx and 429; a parse error for a 2xx); a failure leaves
 * exactly one table, the error's members, when has_data is set, and
 * otherwise nothing (the parser pops back what it pushed).  The same
 * response parsed again with the same parser must give the same calls, so
 * nothing of one parse leaks into the next.
 *
 * The custom model (CUSTOM_MODEL below) has every shape type, timestamps in
 * each format (shape and member level), dense and sparse lists and maps,
 * unions, documents, blobs, header bindings of every kind (lists, JSON
 * values, prefix headers, a shape that cannot be a header), the status code,
 * payloads of each kind and modeled errors, global and per operation. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "omics.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* botocore JSON with ' for " (swapped when loaded), to stay readable here. */
static const char CUSTOM_MODEL[] =
    "{'version':'2.0','metadata':{'apiVersion':'2024-01-01','endpointPrefix':'fuzz',"
    "'protocol':'rest-json','serviceId':'Fuzz','signingName':'fuzz'},"
    "'operations':{"
    "'AllTypes':{'name':'AllTypes','http':{'method':'GET','requestUri':'/all'},"
    "  'output':{'shape':'AllTypesOutput'},"
    "  'errors':[{'shape':'FuzzError'},{'shape':'ThrottleError'}]},"
    "'Headers':{'name':'Headers','http':{'method':'GET','requestUri':'/headers'},"
    "  'output':{'shape':'HeadersOutput'},'errors':[{'shape':'FuzzError'}]},"
    "'BlobPayload':{'name':'BlobPayload','http':{'method':'GET','requestUri':'/blob'},"
    "  'output':{'shape':'BlobPayloadOutput'}},"
    "'StringPayload':{'name':'StringPayload','http':{'method':'GET','requestUri':'/text'},"
    "  'output':{'shape':'StringPayloadOutput'}},"
    "'StructPayload':{'name':'StructPayload','http':{'method':'GET','requestUri':'/struct'},"
    "  'output':{'shape':'StructPayloadOutput'}},"
    "'DocPayload':{'name':'DocPayload','http':{'method':'GET','requestUri':'/doc'},"
    "  'output':{'shape':'DocPayloadOutput'}},"
    "'UnionPayload':{'name':'UnionPayload','http':{'method':'GET','requestUri':'/union'},"
    "  'output':{'shape':'UnionPayloadOutput'}},"
    "'NoOutput':{'name':'NoOutput','http':{'method':'DELETE','requestUri':'/none',"
    "  'responseCode':204},'errors':[{'shape':'FuzzError'}]},"
    "'EmptyOutput':{'name':'EmptyOutput','http':{'method':'POST','requestUri':'/empty'},"
    "  'output':{'shape':'EmptyOutput'}}"
    "},"
    "'shapes':{"
    "'Str':{'type':'string'},'Byte':{'type':'byte'},'Short':{'type':'short'},"
    "'Int':{'type':'integer'},'Long':{'type':'long'},'Float':{'type':'float'},"
    "'Double':{'type':'double'},'BigInt':{'type':'bigInteger'},"
    "'BigDec':{'type':'bigDecimal'},'Bool':{'type':'boolean'},'Blob':{'type':'blob'},"
    "'StreamBlob':{'type':'blob','streaming':true},"
    "'Doc':{'type':'structure','members':{},'document':true},"
    "'Ts':{'type':'timestamp'},"
    "'TsIso':{'type':'timestamp','timestampFormat':'iso8601'},"
    "'TsHttp':{'type':'timestamp','timestampFormat':'rfc822'},"
    "'TsEpoch':{'type':'timestamp','timestampFormat':'unixTimestamp'},"
    "'StrList':{'type':'list','member':{'shape':'Str'}},"
    "'SparseStrList':{'type':'list','member':{'shape':'Str'},'sparse':true},"
    "'IntList':{'type':'list','member':{'shape':'Int'}},"
    "'BoolList':{'type':'list','member':{'shape':'Bool'}},"
    "'TsList':{'type':'list','member':{'shape':'Ts'}},"
    "'TsHttpList':{'type':'list','member':{'shape':'TsHttp'}},"
    "'TsEpochList':{'type':'list','member':{'shape':'Ts','timestampFormat':'unixTimestamp'}},"
    "'DocList':{'type':'list','member':{'shape':'Doc'}},"
    "'NestedList':{'type':'list','member':{'shape':'Nested'}},"
    "'SparseNestedList':{'type':'list','member':{'shape':'Nested'},'sparse':true},"
    "'ListOfLists':{'type':'list','member':{'shape':'StrList'}},"
    "'StrMap':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Str'}},"
    "'SparseStrMap':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Str'},"
    "  'sparse':true},"
    "'IntMap':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Int'}},"
    "'NestedMap':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Nested'}},"
    "'SparseDocMap':{'type':'map','key':{'shape':'Str'},'value':{'shape':'Doc'},"
    "  'sparse':true},"
    "'MapOfLists':{'type':'map','key':{'shape':'Str'},'value':{'shape':'IntList'}},"
    "'Nested':{'type':'structure','members':{"
    "  'name':{'shape':'Str'},'count':{'shape':'Int'},'child':{'shape':'Nested'},"
    "  'children':{'shape':'NestedList'},'choice':{'shape':'Choice'},"
    "  'when':{'shape':'Ts'}}},"
    "'Choice':{'type':'structure','union':true,'members':{"
    "  'text':{'shape':'Str'},'num':{'shape':'Int'},'flag':{'shape':'Bool'},"
    "  'data':{'shape':'Blob'},'at':{'shape':'Ts'},'list':{'shape':'StrList'},"
    "  'map':{'shape':'StrMap'},'nested':{'shape':'Nested'},"
    "  'renamed':{'shape':'Str','jsonName':'RENAMED'}}},"
    "'AllTypesOutput':{'type':'structure','members':{"
    "  'str':{'shape':'Str'},'byte':{'shape':'Byte'},'short':{'shape':'Short'},"
    "  'int':{'shape':'Int'},'long':{'shape':'Long'},'float':{'shape':'Float'},"
    "  'double':{'shape':'Double'},'bigInt':{'shape':'BigInt'},"
    "  'bigDec':{'shape':'BigDec'},'bool':{'shape':'Bool'},'blob':{'shape':'Blob'},"
    "  'doc':{'shape':'Doc'},'ts':{'shape':'Ts'},'tsIso':{'shape':'TsIso'},"
    "  'tsHttp':{'shape':'TsHttp'},'tsEpoch':{'shape':'TsEpoch'},"
    "  'tsMemberHttp':{'shape':'Ts','timestampFormat':'rfc822'},"
    "  'tsMemberIso':{'shape':'TsEpoch','timestampFormat':'iso8601'},"
    "  'renamed':{'shape':'Str','jsonName':'wire_name'},"
    "  'strList':{'shape':'StrList'},'sparseStrList':{'shape':'SparseStrList'},"
    "  'tsList':{'shape':'TsList'},'docList':{'shape':'DocList'},"
    "  'nestedList':{'shape':'NestedList'},'sparseNestedList':{'shape':'SparseNestedList'},"
    "  'listOfLists':{'shape':'ListOfLists'},'strMap':{'shape':'StrMap'},"
    "  'sparseStrMap':{'shape':'SparseStrMap'},'intMap':{'shape':'IntMap'},"
    "  'nestedMap':{'shape':'NestedMap'},'sparseDocMap':{'shape':'SparseDocMap'},"
    "  'mapOfLists':{'shape':'MapOfLists'},'nested':{'shape':'Nested'},"
    "  'choice':{'shape':'Choice'},"
    "  'requestId':{'shape':'Str','location':'header','locationName':'x-amzn-requestid'},"
    "  'status':{'shape':'Int','location':'statusCode'},"
    "  'meta':{'shape':'StrMap','location':'headers','locationName':'x-meta-'}},"
    "  'required':['str']},"
    "'HeadersOutput':{'type':'structure','members':{"
    "  'hStr':{'shape':'Str','location':'header','locationName':'x-str'},"
    "  'hByte':{'shape':'Byte','location':'header','locationName':'x-byte'},"
    "  'hShort':{'shape':'Short','location':'header','locationName':'x-short'},"
    "  'hInt':{'shape':'Int','location':'header','locationName':'x-int'},"
    "  'hLong':{'shape':'Long','location':'header','locationName':'x-long'},"
    "  'hFloat':{'shape':'Float','location':'header','locationName':'x-float'},"
    "  'hDouble':{'shape':'Double','location':'header','locationName':'x-double'},"
    "  'hBigInt':{'shape':'BigInt','location':'header','locationName':'x-bigint'},"
    "  'hBigDec':{'shape':'BigDec','location':'header','locationName':'x-bigdec'},"
    "  'hBool':{'shape':'Bool','location':'header','locationName':'x-bool'},"
    "  'hBlob':{'shape':'Blob','location':'header','locationName':'x-blob'},"
    "  'hTs':{'shape':'Ts','location':'header','locationName':'x-ts'},"
    "  'hTsIso':{'shape':'Ts','location':'header','locationName':'x-ts-iso',"
    "    'timestampFormat':'iso8601'},"
    "  'hTsEpoch':{'shape':'TsEpoch','location':'header','locationName':'x-ts-epoch'},"
    "  'hStrList':{'shape':'StrList','location':'header','locationName':'x-str-list'},"
    "  'hIntList':{'shape':'IntList','location':'header','locationName':'x-int-list'},"
    "  'hBoolList':{'shape':'BoolList','location':'header','locationName':'x-bool-list'},"
    "  'hTsList':{'shape':'TsList','location':'header','locationName':'x-ts-list'},"
    "  'hTsHttpList':{'shape':'TsHttpList','location':'header',"
    "    'locationName':'x-ts-http-list'},"
    "  'hTsEpochList':{'shape':'TsEpochList','location':'header',"
    "    'locationName':'x-ts-epoch-list'},"
    "  'hJson':{'shape':'Str','location':'header','locationName':'x-json',"
    "    'jsonvalue':true},"
    "  'hJsonDoc':{'shape':'Doc','location':'header','locationName':'x-json-doc',"
    "    'jsonvalue':true},"
    "  'hBad':{'shape':'Nested','location':'header','locationName':'x-bad'},"
    "  'prefixed':{'shape':'StrMap','location':'headers','locationName':'x-foo-'},"
    "  'prefixedInts':{'shape':'IntMap','location':'headers','locationName':'x-n-'},"
    "  'everything':{'shape':'StrMap','location':'headers','locationName':''},"
    "  'status':{'shape':'Int','location':'statusCode'},"
    "  'body':{'shape':'Str'}}},"
    "'BlobPayloadOutput':{'type':'structure','payload':'data','members':{"
    "  'data':{'shape':'StreamBlob'},"
    "  'contentType':{'shape':'Str','location':'header','locationName':'content-type'},"
    "  'length':{'shape':'Long','location':'header','locationName':'content-length'}}},"
    "'StringPayloadOutput':{'type':'structure','payload':'text','members':{"
    "  'text':{'shape':'Str'}}},"
    "'StructPayloadOutput':{'type':'structure','payload':'nested','members':{"
    "  'nested':{'shape':'Nested'},"
    "  'etag':{'shape':'Str','location':'header','locationName':'etag'}}},"
    "'DocPayloadOutput':{'type':'structure','payload':'doc','members':{"
    "  'doc':{'shape':'Doc'}}},"
    "'UnionPayloadOutput':{'type':'structure','payload':'choice','members':{"
    "  'choice':{'shape':'Choice'}}},"
    "'EmptyOutput':{'type':'structure','members':{}},"
    "'FuzzError':{'type':'structure','exception':true,"
    "  'error':{'code':'FuzzErrorCode','httpStatusCode':400,'senderFault':true},"
    "  'members':{'message':{'shape':'Str'},"
    "    'reason':{'shape':'Str','location':'header','locationName':'x-reason'},"
    "    'count':{'shape':'Int','location':'header','locationName':'x-count'},"
    "    'when':{'shape':'Ts','location':'header','locationName':'x-when'},"
    "    'detail':{'shape':'Nested'},'tags':{'shape':'StrMap'},"
    "    'list':{'shape':'SparseNestedList'}}},"
    "'ThrottleError':{'type':'structure','exception':true,"
    "  'error':{'httpStatusCode':429},'retryable':{'throttling':true},"
    "  'members':{'message':{'shape':'Str'},"
    "    'retryAfter':{'shape':'Int','location':'header','locationName':'retry-after'}}},"
    "'GlobalError':{'type':'structure','exception':true,"
    "  'error':{'httpStatusCode':500},'retryable':{'throttling':false},"
    "  'members':{'Message':{'shape':'Str'},'at':{'shape':'TsIso'},"
    "    'choice':{'shape':'Choice'}}}"
    "}}";

#define CUSTOM_OPS_BELOW 0x40
#define MAX_HEADERS 32

static omics_model *custom_model;
static const omics_model *builtin_model;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_parse: property violated: %s\n", what);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char *text = strdup(CUSTOM_MODEL);
    check(text != NULL, "memory");
    for (char *p = text; *p; p++)
        if (*p == '\'')
            *p = '"';
    omics_error err;
    omics_error_init(&err);
    custom_model = omics_model_load(text, strlen(text), NULL, 0, NULL, 0, &err);
    if (!custom_model)
        fprintf(stderr, "fuzz_parse: the custom model: %s\n", err.message ? err.message : "?");
    check(custom_model != NULL, "the custom model loads");
    builtin_model = omics_model_builtin(&err);
    check(builtin_model != NULL, "the built-in model loads");
    omics_error_clear(&err);
    free(text);
    return 0;
}

/* ------------------------------------------------------------ the builder */

enum { S_VALUE, S_TABLE };
enum { FILL_NONE, FILL_INDEX, FILL_FIELD };

typedef struct slot {
    unsigned char kind, fill;
    size_t next_index; /* for FILL_INDEX: the index the next set_index must use */
} slot;

typedef struct checker {
    slot *stack;
    size_t top, cap;
    size_t bound;   /* a size hint above this is nonsense */
    uint64_t trace; /* FNV-1a of every call and its arguments */
    size_t calls;
    int root_last_meta; /* the last field set on the bottom table was ResponseMetadata */
} checker;

static void mix(checker *k, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        k->trace ^= b[i];
        k->trace *= 1099511628211ULL;
    }
}

static void push(checker *k, unsigned char kind)
{
    if (k->top == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 64;
        k->stack = realloc(k->stack, k->cap * sizeof *k->stack);
        check(k->stack != NULL, "memory");
    }
    slot *s = &k->stack[k->top++];
    s->kind = kind;
    s->fill = FILL_NONE;
    s->next_index = 1;
    k->calls++;
}

static int b_null(void *ud)
{
    checker *k = ud;
    mix(k, "n", 1);
    push(k, S_VALUE);
    return 0;
}

static int b_boolean(void *ud, int b)
{
    checker *k = ud;
    check(b == 0 || b == 1, "a boolean is 0 or 1");
    mix(k, "b", 1);
    mix(k, &b, sizeof b);
    push(k, S_VALUE);
    return 0;
}

static int b_integer(void *ud, int64_t i)
{
    checker *k = ud;
    mix(k, "i", 1);
    mix(k, &i, sizeof i);
    push(k, S_VALUE);
    return 0;
}

static int b_number(void *ud, double d)
{
    checker *k = ud;
    mix(k, "d", 1);
    if (isnan(d))
        d = NAN; /* one NaN for the trace */
    mix(k, &d, sizeof d);
    push(k, S_VALUE);
    return 0;
}

static int b_string(void *ud, const char *s, size_t len)
{
    checker *k = ud;
    check(s != NULL, "a string has bytes");
    mix(k, "s", 1);
    mix(k, &len, sizeof len);
    mix(k, s, len); /* reads every byte: ASan sees a short buffer */
    push(k, S_VALUE);
    return 0;
}

static int b_table(void *ud, size_t narr, size_t nrec)
{
    checker *k = ud;
    check(narr <= k->bound && nrec <= k->bound, "table size hints are plausible");
    mix(k, "t", 1);
    push(k, S_TABLE);
    return 0;
}

/* Pop the value on top into the table below it. */
static slot *store(checker *k, unsigned char fill)
{
    check(k->top >= 2, "a store has a value and a table under it");
    slot *t = &k->stack[k->top - 2];
    check(t->kind == S_TABLE, "a value is stored into a table");
    check(t->fill == FILL_NONE || t->fill == fill, "a table is a list or a record, not both");
    t->fill = fill;
    k->top--;
    k->calls++;
    return t;
}

static int b_set_field(void *ud, const char *key, size_t klen)
{
    checker *k = ud;
    check(key != NULL, "a field has a key");
    check(memchr(key, '\0', klen) == NULL, "a key has no NUL inside");
    check(key[klen] == '\0', "a key is NUL-terminated at its length");
    slot *t = store(k, FILL_FIELD);
    if (t == &k->stack[0])
        k->root_last_meta = klen == 16 && memcmp(key, "ResponseMetadata", 16) == 0;
    mix(k, "f", 1);
    mix(k, &klen, sizeof klen);
    mix(k, key, klen);
    return 0;
}

static int b_pop(void *ud)
{
    checker *k = ud;
    check(k->top >= 1, "pop has a value to drop");
    k->top--;
    k->calls++;
    mix(k, "p", 1);
    return 0;
}

static int b_set_index(void *ud, size_t index)
{
    checker *k = ud;
    slot *t = store(k, FILL_INDEX);
    check(index == t->next_index, "list indexes are 1, 2, 3, ...");
    t->next_index++;
    mix(k, "x", 1);
    mix(k, &index, sizeof index);
    return 0;
}

/* ----------------------------------------------------------- the response */

typedef struct framed {
    omics_response resp;
    omics_header headers[MAX_HEADERS];
    char *head; /* the head's text, split into NUL-terminated names and values */
} framed;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void frame(framed *f, const uint8_t *data, size_t size)
{
    memset(&f->resp, 0, sizeof f->resp);
    const char *s = (const char *)data;
    size_t head_len = size, body_at = size;
    for (size_t i = 0; i + 1 < size; i++)
        if (s[i] == '\n' && (s[i + 1] == '\n' || (s[i + 1] == '\r' && i + 2 < size &&
                                                   s[i + 2] == '\n'))) {
            head_len = i;
            body_at = i + (s[i + 1] == '\n' ? 2 : 3);
            break;
        }
    f->head = malloc(head_len + 1);
    check(f->head != NULL, "memory");
    memcpy(f->head, s, head_len);
    f->head[head_len] = '\0';

    char *line = f->head, *end = f->head + head_len;
    char *nl = memchr(line, '\n', head_len);
    char *status_end = nl ? nl : end;
    long status = 0;
    int digits = 0;
    for (char *p = line; p < status_end && is_digit(*p) && digits < 3; p++, digits++)
        status = status * 10 + (*p - '0');
    f->resp.status = digits ? status : 200;
    for (char *p = line; p + 1 < status_end; p++)
        if (p[0] == ' ' && p[1] == 's')
            f->resp.body_streamed = 1;

    line = nl ? nl + 1 : end;
    while (line < end && f->resp.nheaders < MAX_HEADERS) {
        nl = memchr(line, '\n', (size_t)(end - line));
        char *stop = nl ? nl : end;
        *stop = '\0';
        if (stop > line && stop[-1] == '\r')
            stop[-1] = '\0';
        char *colon = strchr(line, ':');
        if (colon && colon > line) {
            *colon = '\0';
            for (char *p = line; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                    *p = (char)(*p + 32);
            char *v = colon + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            f->headers[f->resp.nheaders].name = line;
            f->headers[f->resp.nheaders].value = v;
            f->resp.nheaders++;
        }
        line = stop + 1;
    }
    f->resp.headers = f->headers;
    f->resp.body = body_at < size ? s + body_at : NULL;
    f->resp.body_len = size - body_at;
}

/* ------------------------------------------------------------------ a run */

static const char *header(const omics_response *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

typedef struct outcome {
    int rc, has_data;
    uint64_t trace;
    size_t calls;
    omics_error err;
} outcome;

static void run(omics_parser *p, const omics_model *m, const omics_op *op,
                const omics_response *r, size_t size, outcome *o)
{
    checker k;
    memset(&k, 0, sizeof k);
    k.trace = 1469598103934665603ULL;
    k.bound = size + 256;
    omics_builder b = {
        .ud = &k,
        .null = b_null,
        .boolean = b_boolean,
        .integer = b_integer,
        .number = b_number,
        .string = b_string,
        .table = b_table,
        .set_field = b_set_field,
        .set_index = b_set_index,
        .pop = b_pop,
    };
    omics_error_init(&o->err);
    o->has_data = -1;
    o->rc = omics_parse(p, m, op, r, &b, &o->has_data, &o->err);
    int ok2xx = r->status >= 200 && r->status < 300;

    check(o->rc == 0 || o->rc == -1, "omics_parse returns 0 or -1");
    check(o->has_data == 0 || o->has_data == 1, "has_data is set");
    if (o->rc == 0) {
        check(ok2xx, "only a 2xx answer is a success");
        check(o->has_data == 0, "a success has no error data");
        check(k.top == 1 && k.stack[0].kind == S_TABLE, "a success leaves exactly one table");
        check(k.root_last_meta, "a result ends with ResponseMetadata");
    } else {
        const omics_error *e = &o->err;
        check(e->kind != OMICS_OK, "a failure has a kind");
        check(memchr(e->code, '\0', sizeof e->code) != NULL && e->code[0] != '\0',
              "a failure has a code");
        check(e->message != NULL, "a failure has a message");
        if (ok2xx) {
            check(e->kind == OMICS_EPARSE && strcmp(e->code, "ResponseParseError") == 0,
                  "a 2xx answer fails only as a ResponseParseError");
            check(o->has_data == 0, "a parse error has no error data");
            check(k.top == 0, "a failed parse leaves nothing on the stack");
        } else {
            check(e->kind == OMICS_ESERVICE, "a non-2xx answer is a service error");
            check(e->status == (int)r->status, "a service error keeps the status");
            check(e->retryable || (r->status < 500 && r->status != 429),
                  "a 5xx or 429 answer is retryable");
            const char *id = header(r, "x-amzn-requestid");
            if (!id)
                id = header(r, "x-amz-request-id");
            size_t idlen = id ? strlen(id) : 0;
            if (idlen >= sizeof e->request_id)
                idlen = sizeof e->request_id - 1;
            check(strlen(e->request_id) == idlen && (!id || memcmp(e->request_id, id, idlen) == 0),
                  "a service error keeps the request id");
            if (o->has_data)
                check(k.top == 1 && k.stack[0].kind == S_TABLE,
                      "error data is exactly one table");
            else
                check(k.top == 0, "an error without data leaves nothing on the stack");
        }
    }
    o->trace = k.trace;
    o->calls = k.calls;
    free(k.stack);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const omics_model *m;
    size_t n, sel = data[0];
    if (sel < CUSTOM_OPS_BELOW) {
        m = custom_model;
        n = omics_model_op_count(m);
        sel %= n;
    } else {
        m = builtin_model;
        n = omics_model_op_count(m);
        sel = (sel - CUSTOM_OPS_BELOW) % n;
    }
    const omics_op *op = omics_model_op_at(m, sel);
    check(op != NULL, "every index below the count names an operation");

    framed f;
    frame(&f, data + 1, size - 1);
    omics_parser *p = omics_parser_new();
    check(p != NULL, "memory");

    outcome a, b;
    run(p, m, op, &f.resp, size, &a);
    run(p, m, op, &f.resp, size, &b); /* the same parser again: the same calls */
    check(a.rc == b.rc && a.has_data == b.has_data && a.trace == b.trace &&
              a.calls == b.calls && strcmp(a.err.code, b.err.code) == 0 &&
              (a.err.message == NULL) == (b.err.message == NULL) &&
              (!a.err.message || strcmp(a.err.message, b.err.message) == 0),
          "a second parse of the same response gives the same result");

    omics_error_clear(&a.err);
    omics_error_clear(&b.err);
    omics_parser_free(p);
    free(f.head);
    return 0;
}
