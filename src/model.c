/* model: load a botocore-format service model (JSON) into model.h's form. */
#include "model.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"

typedef struct model_loader {
    omics_model *m;
    omics_error *err;
    model_shape **sorted; /* shapes by name, for resolving references */
} model_loader;

static const struct {
    const char *name;
    model_type type;
} model_types[] = {
    {"structure", MT_STRUCTURE}, {"list", MT_LIST},       {"map", MT_MAP},
    {"string", MT_STRING},       {"byte", MT_BYTE},       {"short", MT_SHORT},
    {"integer", MT_INTEGER},     {"long", MT_LONG},       {"float", MT_FLOAT},
    {"double", MT_DOUBLE},       {"bigInteger", MT_BIGINT}, {"bigDecimal", MT_BIGDEC},
    {"boolean", MT_BOOLEAN},     {"timestamp", MT_TIMESTAMP}, {"blob", MT_BLOB},
    {"document", MT_DOCUMENT},
};

const char *model_type_name(int type)
{
    for (size_t i = 0; i < sizeof model_types / sizeof *model_types; i++)
        if ((int)model_types[i].type == type)
            return model_types[i].name;
    return "unknown";
}

static const struct {
    const char *name;
    model_location loc;
} model_locations[] = {
    {"uri", ML_URI},         {"querystring", ML_QUERY}, {"header", ML_HEADER},
    {"headers", ML_HEADERS}, {"statusCode", ML_STATUS},
};

const char *model_location_name(int location)
{
    for (size_t i = 0; i < sizeof model_locations / sizeof *model_locations; i++)
        if ((int)model_locations[i].loc == location)
            return model_locations[i].name;
    return "body";
}

/* ------------------------------------------------------------ helpers */

static int fail(model_loader *L, const char *fmt, const char *what)
{
    return omics_error_set(L->err, OMICS_ECONFIG, "InvalidModel", fmt, what);
}

static const char *str_item(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int true_item(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, key));
}

static char *dup(model_loader *L, const char *s)
{
    return s ? omics_arena_strdup(L->m->arena, s) : NULL;
}

static int parse_ts_format(const char *s)
{
    if (!s)
        return MODEL_TS_DEFAULT;
    if (strcmp(s, "iso8601") == 0)
        return TS_ISO8601;
    if (strcmp(s, "rfc822") == 0)
        return TS_HTTP_DATE;
    if (strcmp(s, "unixTimestamp") == 0)
        return TS_EPOCH;
    return -2;
}

static int cmp_shape(const void *a, const void *b)
{
    return strcmp((*(model_shape *const *)a)->name, (*(model_shape *const *)b)->name);
}

static model_shape *find_shape(model_loader *L, const char *name)
{
    size_t lo = 0, hi = L->m->nshapes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(L->sorted[mid]->name, name);
        if (c == 0)
            return L->sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ------------------------------------------------------------- shapes */

static int load_ref(model_loader *L, const cJSON *ref, const char *name, model_member *mm,
                    const char *context)
{
    const char *target = str_item(ref, "shape");
    if (!target)
        return fail(L, "member %s has no shape", context);
    mm->shape = find_shape(L, target);
    if (!mm->shape)
        return fail(L, "shape %s is referenced but not defined", target);
    mm->name = name;
    mm->name_len = strlen(name);
    const char *wire = str_item(ref, "jsonName");
    if (!wire)
        wire = str_item(ref, "locationName");
    mm->wire = wire ? dup(L, wire) : name;
    if (!mm->wire)
        return -1;
    mm->wire_len = strlen(mm->wire);
    mm->location = ML_BODY;
    const char *loc = str_item(ref, "location");
    if (loc) {
        size_t i;
        for (i = 0; i < sizeof model_locations / sizeof *model_locations; i++)
            if (strcmp(loc, model_locations[i].name) == 0)
                break;
        if (i == sizeof model_locations / sizeof *model_locations)
            return fail(L, "unknown member location %s", loc);
        mm->location = (unsigned char)model_locations[i].loc;
    }
    mm->idempotency_token = (unsigned char)true_item(ref, "idempotencyToken");
    mm->host_label = (unsigned char)true_item(ref, "hostLabel");
    mm->jsonvalue = (unsigned char)true_item(ref, "jsonvalue");
    int ts = parse_ts_format(str_item(ref, "timestampFormat"));
    if (ts == -2)
        return fail(L, "unknown timestampFormat on member %s", context);
    mm->ts_format = (signed char)ts;
    return 0;
}

static int load_number(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return 0;
    *out = v->valuedouble;
    return 1;
}

static int load_structure(model_loader *L, model_shape *s, const cJSON *def)
{
    const cJSON *members = cJSON_GetObjectItemCaseSensitive(def, "members");
    int n = cJSON_GetArraySize(members);
    s->payload = -1;
    if (n > 0) {
        s->members = omics_arena_alloc(L->m->arena, (size_t)n * sizeof *s->members);
        if (!s->members)
            return -1;
        memset(s->members, 0, (size_t)n * sizeof *s->members);
    }
    const char *payload = str_item(def, "payload");
    const cJSON *required = cJSON_GetObjectItemCaseSensitive(def, "required");
    const cJSON *mdef;
    size_t i = 0;
    cJSON_ArrayForEach(mdef, members)
    {
        model_member *mm = &s->members[i];
        char *name = dup(L, mdef->string);
        if (!name || load_ref(L, mdef, name, mm, mdef->string))
            return -1;
        const cJSON *r;
        cJSON_ArrayForEach(r, required)
        {
            if (cJSON_IsString(r) && strcmp(r->valuestring, name) == 0)
                mm->required = 1;
        }
        if (payload && strcmp(payload, name) == 0)
            s->payload = (int)i;
        i++;
    }
    s->nmembers = i;
    if (payload && s->payload < 0)
        return fail(L, "payload member %s does not exist", payload);
    return 0;
}

/* A string's enum values: the command line's help tells them (nothing
 * enforces them, so that values the service adds keep working). */
static int load_enums(model_loader *L, model_shape *s, const cJSON *list)
{
    int n = cJSON_GetArraySize(list);
    if (!cJSON_IsArray(list) || n <= 0)
        return 0;
    s->enums = omics_arena_alloc(L->m->arena, (size_t)n * sizeof *s->enums);
    if (!s->enums)
        return fail(L, "out of memory for the enum of %s", s->name);
    const cJSON *v;
    cJSON_ArrayForEach(v, list)
    {
        if (!cJSON_IsString(v))
            return fail(L, "shape %s has an enum value that is not a string", s->name);
        if (!(s->enums[s->nenums++] = dup(L, v->valuestring)))
            return fail(L, "out of memory for the enum of %s", s->name);
    }
    return 0;
}

static int load_shape(model_loader *L, model_shape *s, const cJSON *def)
{
    const char *type = str_item(def, "type");
    if (!type)
        return fail(L, "shape %s has no type", s->name);
    size_t i;
    for (i = 0; i < sizeof model_types / sizeof *model_types; i++)
        if (strcmp(type, model_types[i].name) == 0)
            break;
    if (i == sizeof model_types / sizeof *model_types)
        return fail(L, "shape has an unknown type %s", type);
    s->type = (unsigned char)model_types[i].type;
    if (s->type == MT_STRUCTURE && true_item(def, "document"))
        s->type = MT_DOCUMENT;
    if (true_item(def, "union"))
        s->flags |= MF_UNION;
    if (true_item(def, "streaming"))
        s->flags |= MF_STREAMING;
    if (true_item(def, "exception"))
        s->flags |= MF_EXCEPTION;
    if (true_item(def, "sensitive"))
        s->flags |= MF_SENSITIVE;
    if (true_item(def, "requiresLength"))
        s->flags |= MF_REQUIRES_LENGTH;
    if (true_item(def, "sparse"))
        s->flags |= MF_SPARSE;
    if (true_item(def, "eventstream"))
        s->flags |= MF_EVENT_STREAM;
    int ts = parse_ts_format(str_item(def, "timestampFormat"));
    if (ts == -2)
        return fail(L, "unknown timestampFormat on shape %s", s->name);
    s->ts_format = (signed char)ts;
    s->pattern = dup(L, str_item(def, "pattern"));
    s->has_min = (unsigned char)load_number(def, "min", &s->min);
    s->has_max = (unsigned char)load_number(def, "max", &s->max);
    s->payload = -1;
    if (load_enums(L, s, cJSON_GetObjectItemCaseSensitive(def, "enum")))
        return -1;

    const cJSON *error = cJSON_GetObjectItemCaseSensitive(def, "error");
    if (error) {
        const char *code = str_item(error, "code");
        s->error_code = code ? dup(L, code) : s->name;
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(error, "httpStatusCode");
        s->error_status = cJSON_IsNumber(st) ? st->valueint : 0;
    } else if (s->flags & MF_EXCEPTION) {
        s->error_code = s->name;
    }
    const cJSON *retry = cJSON_GetObjectItemCaseSensitive(def, "retryable");
    if (retry) {
        s->retryable = 1;
        s->throttling = (unsigned char)true_item(retry, "throttling");
    }

    switch (s->type) {
    case MT_STRUCTURE:
        return load_structure(L, s, def);
    case MT_LIST: {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(def, "member");
        if (!m)
            return fail(L, "list %s has no member", s->name);
        return load_ref(L, m, "member", &s->member, s->name);
    }
    case MT_MAP: {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(def, "key");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, "value");
        if (!k || !v)
            return fail(L, "map %s needs a key and a value", s->name);
        if (load_ref(L, k, "key", &s->key, s->name) ||
            load_ref(L, v, "value", &s->value, s->name))
            return -1;
        return 0;
    }
    default:
        return 0;
    }
}

static int load_shapes(model_loader *L, const cJSON *shapes)
{
    omics_model *m = L->m;
    int n = cJSON_GetArraySize(shapes);
    if (n <= 0)
        return 0;
    m->shapes = omics_arena_alloc(m->arena, (size_t)n * sizeof *m->shapes);
    L->sorted = malloc((size_t)n * sizeof *L->sorted);
    if (!m->shapes || !L->sorted)
        return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    memset(m->shapes, 0, (size_t)n * sizeof *m->shapes);
    const cJSON *def;
    size_t i = 0;
    cJSON_ArrayForEach(def, shapes)
    {
        m->shapes[i].name = dup(L, def->string);
        if (!m->shapes[i].name)
            return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
        L->sorted[i] = &m->shapes[i];
        i++;
    }
    m->nshapes = i;
    qsort(L->sorted, m->nshapes, sizeof *L->sorted, cmp_shape);
    i = 0;
    cJSON_ArrayForEach(def, shapes)
    {
        if (load_shape(L, &m->shapes[i], def))
            return -1;
        if (m->shapes[i].flags & MF_EXCEPTION)
            m->nexceptions++;
        i++;
    }
    if (m->nexceptions) {
        m->exceptions = omics_arena_alloc(m->arena, m->nexceptions * sizeof *m->exceptions);
        if (!m->exceptions)
            return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
        size_t k = 0;
        for (i = 0; i < m->nshapes; i++)
            if (m->shapes[i].flags & MF_EXCEPTION)
                m->exceptions[k++] = &m->shapes[i];
    }
    return 0;
}

/* --------------------------------------------------------- operations */

static model_shape *op_shape(model_loader *L, const cJSON *op, const char *key, int *bad)
{
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(op, key);
    if (!ref)
        return NULL;
    const char *name = str_item(ref, "shape");
    model_shape *s = name ? find_shape(L, name) : NULL;
    if (!s || s->type != MT_STRUCTURE) {
        *bad = 1;
        fail(L, "operation shape %s is missing or not a structure", name ? name : key);
    }
    return s;
}

static int load_op(model_loader *L, omics_op *op, const cJSON *def, const char *key)
{
    const char *name = str_item(def, "name");
    op->name = dup(L, name ? name : key);
    op->snake = op->name ? model_snake_case(L->m->arena, op->name) : NULL;
    if (!op->snake)
        return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    const cJSON *http = cJSON_GetObjectItemCaseSensitive(def, "http");
    const char *method = str_item(http, "method");
    const char *uri = str_item(http, "requestUri");
    if (!method || !uri || uri[0] != '/')
        return fail(L, "operation %s needs http.method and http.requestUri", op->name);
    op->method = dup(L, method);
    op->uri = dup(L, uri);
    const cJSON *rc = cJSON_GetObjectItemCaseSensitive(http, "responseCode");
    op->response_code = cJSON_IsNumber(rc) ? rc->valueint : 200;
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(def, "endpoint");
    const char *prefix = str_item(ep, "hostPrefix");
    op->host_prefix = prefix && *prefix ? dup(L, prefix) : NULL;
    int bad = 0;
    op->input = op_shape(L, def, "input", &bad);
    op->output = op_shape(L, def, "output", &bad);
    if (bad)
        return -1;
    const char *auth = str_item(def, "authtype");
    op->unsigned_payload = (unsigned char)((auth && strcmp(auth, "v4-unsigned-body") == 0) ||
                                           true_item(def, "unsignedPayload"));
    op->checksum_required = (unsigned char)true_item(def, "httpChecksumRequired");
    const cJSON *rc_def = cJSON_GetObjectItemCaseSensitive(def, "requestcompression");
    const cJSON *enc;
    cJSON_ArrayForEach(enc, cJSON_GetObjectItemCaseSensitive(rc_def, "encodings"))
    {
        if (cJSON_IsString(enc) && strcmp(enc->valuestring, "gzip") == 0)
            op->compress_gzip = 1;
    }
    op->deprecated = (unsigned char)true_item(def, "deprecated");
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(def, "errors");
    int ne = cJSON_GetArraySize(errors);
    if (ne > 0) {
        op->errors = omics_arena_alloc(L->m->arena, (size_t)ne * sizeof *op->errors);
        if (!op->errors)
            return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
        const cJSON *e;
        cJSON_ArrayForEach(e, errors)
        {
            const char *en = str_item(e, "shape");
            model_shape *s = en ? find_shape(L, en) : NULL;
            if (!s)
                return fail(L, "error shape %s is not defined", en ? en : "?");
            op->errors[op->nerrors++] = s;
        }
    }
    return 0;
}

static int cmp_op_name(const void *a, const void *b)
{
    return strcmp((*(omics_op *const *)a)->name, (*(omics_op *const *)b)->name);
}

static int cmp_op_snake(const void *a, const void *b)
{
    return strcmp((*(omics_op *const *)a)->snake, (*(omics_op *const *)b)->snake);
}

static int load_ops(model_loader *L, const cJSON *ops)
{
    omics_model *m = L->m;
    int n = cJSON_GetArraySize(ops);
    if (n <= 0)
        return 0;
    m->ops = omics_arena_alloc(m->arena, (size_t)n * sizeof *m->ops);
    m->by_name = omics_arena_alloc(m->arena, (size_t)n * sizeof *m->by_name);
    m->by_snake = omics_arena_alloc(m->arena, (size_t)n * sizeof *m->by_snake);
    if (!m->ops || !m->by_name || !m->by_snake)
        return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    memset(m->ops, 0, (size_t)n * sizeof *m->ops);
    const cJSON *def;
    size_t i = 0;
    cJSON_ArrayForEach(def, ops)
    {
        if (load_op(L, &m->ops[i], def, def->string))
            return -1;
        m->by_name[i] = m->by_snake[i] = &m->ops[i];
        i++;
    }
    m->nops = i;
    qsort(m->by_name, m->nops, sizeof *m->by_name, cmp_op_name);
    qsort(m->by_snake, m->nops, sizeof *m->by_snake, cmp_op_snake);
    for (i = 1; i < m->nops; i++)
        if (strcmp(m->by_name[i]->name, m->by_name[i - 1]->name) == 0)
            return fail(L, "operation %s is defined twice", m->by_name[i]->name);
    return 0;
}

/* --------------------------------------------------------------- load */

static int load_metadata(model_loader *L, const cJSON *root)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    omics_model *m = L->m;
    const char *protocol = str_item(md, "protocol");
    if (!protocol) {
        const cJSON *protocols = cJSON_GetObjectItemCaseSensitive(md, "protocols");
        const cJSON *first = cJSON_GetArrayItem(protocols, 0);
        protocol = cJSON_IsString(first) ? first->valuestring : NULL;
    }
    if (!protocol || strcmp(protocol, "rest-json") != 0)
        return fail(L, "only rest-json models are supported (metadata.protocol is %s)",
                    protocol ? protocol : "missing");
    m->protocol = dup(L, protocol);
    const char *prefix = str_item(md, "endpointPrefix");
    const char *signing = str_item(md, "signingName");
    m->endpoint_prefix = dup(L, prefix ? prefix : "");
    m->signing_name = dup(L, signing ? signing : prefix ? prefix : "");
    m->service_id = dup(L, str_item(md, "serviceId"));
    m->api_version = dup(L, str_item(md, "apiVersion"));
    if (!m->protocol || !m->endpoint_prefix || !m->signing_name)
        return omics_error_set(L->err, OMICS_EMEMORY, "MemoryError", "out of memory");
    return 0;
}

static const char *keep_text(model_loader *L, const char *text, size_t len, size_t *out_len)
{
    *out_len = 0;
    if (!text || !len)
        return NULL;
    char *p = omics_arena_strndup(L->m->arena, text, len);
    if (p)
        *out_len = len;
    return p;
}

omics_model *omics_model_load(const char *service, size_t service_len, const char *paginators,
                              size_t paginators_len, const char *waiters, size_t waiters_len,
                              omics_error *err)
{
    if (!service)
        return omics_error_set(err, OMICS_EUSAGE, "InvalidModel", "no model text"), NULL;
    cJSON *root = cJSON_ParseWithLength(service, service_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        omics_error_set(err, OMICS_ECONFIG, "InvalidModel", "the model is not a JSON object");
        return NULL;
    }
    omics_model *m = calloc(1, sizeof *m);
    model_loader L = {m, err, NULL};
    if (!m || !(m->arena = omics_arena_new(64 * 1024))) {
        free(m);
        cJSON_Delete(root);
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "out of memory");
        return NULL;
    }
    int rc = load_metadata(&L, root) ||
             load_shapes(&L, cJSON_GetObjectItemCaseSensitive(root, "shapes")) ||
             load_ops(&L, cJSON_GetObjectItemCaseSensitive(root, "operations"));
    free(L.sorted);
    cJSON_Delete(root);
    if (!rc) {
        m->paginators = keep_text(&L, paginators, paginators_len, &m->paginators_len);
        m->waiters = keep_text(&L, waiters, waiters_len, &m->waiters_len);
    }
    if (rc) {
        omics_model_free(m);
        return NULL;
    }
    return m;
}

void omics_model_free(omics_model *m)
{
    if (!m)
        return;
    omics_arena_free(m->arena);
    free(m);
}

/* ------------------------------------------------------------ lookups */

size_t omics_model_op_count(const omics_model *m)
{
    return m->nops;
}

const omics_op *omics_model_op_at(const omics_model *m, size_t i)
{
    return i < m->nops ? m->by_name[i] : NULL;
}

static const omics_op *bsearch_op(omics_op *const *ops, size_t n, const char *key, int snake)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(snake ? ops[mid]->snake : ops[mid]->name, key);
        if (c == 0)
            return ops[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const omics_op *omics_model_op(const omics_model *m, const char *name)
{
    return bsearch_op(m->by_name, m->nops, name, 0);
}

const omics_op *omics_model_op_snake(const omics_model *m, const char *snake)
{
    return bsearch_op(m->by_snake, m->nops, snake, 1);
}

const char *omics_op_name(const omics_op *op)
{
    return op->name;
}

const char *omics_op_snake(const omics_op *op)
{
    return op->snake;
}

const char *omics_model_signing_name(const omics_model *m)
{
    return m->signing_name;
}

const char *omics_model_endpoint_prefix(const omics_model *m)
{
    return m->endpoint_prefix;
}

const model_member *model_find_member(const model_shape *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->nmembers; i++) {
        const model_member *mm = &s->members[i];
        if (mm->name_len == n && memcmp(mm->name, name, n) == 0)
            return mm;
    }
    return NULL;
}

const model_member *model_find_wire(const model_shape *s, const char *name, size_t n)
{
    for (size_t i = 0; i < s->nmembers; i++) {
        const model_member *mm = &s->members[i];
        if (mm->wire_len == n && memcmp(mm->wire, name, n) == 0)
            return mm;
    }
    return NULL;
}

const model_shape *model_find_error(const omics_model *m, const omics_op *op, const char *code)
{
    if (op)
        for (size_t i = 0; i < op->nerrors; i++)
            if (op->errors[i]->error_code && strcmp(op->errors[i]->error_code, code) == 0)
                return op->errors[i];
    for (size_t i = 0; i < m->nexceptions; i++)
        if (m->exceptions[i]->error_code && strcmp(m->exceptions[i]->error_code, code) == 0)
            return m->exceptions[i];
    return NULL;
}

/* ---------------------------------------------------------- snake case */

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* botocore's three regular expressions, applied as re.sub applies them:
 * a pluralised acronym at the end ([A-Z]{2,}s$) becomes _acronyms, then
 * (.)([A-Z][a-z]+) and ([a-z0-9])([A-Z]) get a '_' between their groups. */
char *model_snake_case(omics_arena *a, const char *name)
{
    size_t n = strlen(name);
    if (strchr(name, '_'))
        return omics_arena_strndup(a, name, n);
    char *src = omics_arena_alloc(a, n + 2);
    char *mid = omics_arena_alloc(a, 2 * n + 2);
    char *out = omics_arena_alloc(a, 4 * n + 2);
    if (!src || !mid || !out)
        return NULL;
    /* special case: GatewayARNs -> Gateway_arns */
    size_t len = n;
    memcpy(src, name, n + 1);
    if (n >= 3 && name[n - 1] == 's') {
        size_t k = n - 1;
        while (k > 0 && is_upper(name[k - 1]))
            k--;
        if (n - 1 - k >= 2) {
            memcpy(src, name, k);
            src[k] = '_';
            for (size_t i = k; i < n; i++)
                src[i + 1] = (char)(name[i] + (is_upper(name[i]) ? 32 : 0));
            len = n + 1;
            src[len] = '\0';
        }
    }
    size_t j = 0, i = 0;
    while (i < len) {
        if (i + 2 < len && is_upper(src[i + 1]) && is_lower(src[i + 2])) {
            size_t e = i + 2;
            while (e < len && is_lower(src[e]))
                e++;
            mid[j++] = src[i];
            mid[j++] = '_';
            memcpy(mid + j, src + i + 1, e - i - 1);
            j += e - i - 1;
            i = e;
        } else {
            mid[j++] = src[i++];
        }
    }
    mid[j] = '\0';
    size_t o = 0;
    for (i = 0; i < j; i++) {
        char c = mid[i];
        if ((is_lower(c) || is_digit(c)) && i + 1 < j && is_upper(mid[i + 1])) {
            out[o++] = c;
            out[o++] = '_';
            out[o++] = (char)(mid[i + 1] + 32);
            i++;
            continue;
        }
        out[o++] = is_upper(c) ? (char)(c + 32) : c;
    }
    out[o] = '\0';
    return out;
}
