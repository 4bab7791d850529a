/* describe_model: the model told through a builder, for what reads it
 * without calling (the command line's arguments and help, the reference
 * pages): the operations by name, and one operation with every shape its
 * input and output reach, each once, by name (shapes may refer to
 * themselves). */
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "model.h"

typedef struct walk {
    const omics_model *m;
    const omics_builder *b;
    unsigned char *seen; /* one per shape of the model */
    omics_arena *a;      /* the command-line names */
} walk;

/* a flag told only when set */
static int flag(const omics_builder *b, const char *k, int v)
{
    return v ? describe_flag(b, k, 1) : 0;
}

static int list(const omics_builder *b, size_t n)
{
    return b->list ? b->list(b->ud, n) : b->table(b->ud, n, 0);
}

int omics_model_describe_ops(const omics_model *m, const omics_builder *b)
{
    size_t n = omics_model_op_count(m);
    if (b->table(b->ud, n, 0))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const omics_op *op = omics_model_op_at(m, i);
        if (b->table(b->ud, 0, 2) || describe_str(b, "name", omics_op_name(op)) ||
            describe_str(b, "method", omics_op_snake(op)) || b->set_index(b->ud, i + 1))
            return -1;
    }
    return 0;
}

/* GetReferenceMetadata -> get-reference-metadata: the command line's name
 * of an operation or a member (the AWS CLI's, botocore's xform_name with
 * '-') */
static const char *kebab(walk *w, const char *name)
{
    char *s = model_snake_case(w->a, name);
    if (!s)
        return NULL;
    for (char *p = s; *p; p++)
        if (*p == '_')
            *p = '-';
    return s;
}

static int shape(walk *w, const model_shape *s);

/* the shape a member refers to, told once in shapes */
static int ref(walk *w, const model_member *mm)
{
    return shape(w, mm->shape);
}

/* where it goes, and its name there (a body member's only when it differs) */
static int member(walk *w, const model_member *mm, size_t index)
{
    const omics_builder *b = w->b;
    const char *cli = kebab(w, mm->name);
    if (!cli)
        return -1;
    return b->table(b->ud, 0, 8) || describe_str(b, "name", mm->name) ||
           describe_str(b, "shape", mm->shape->name) || describe_str(b, "cli", cli) ||
           describe_str(b, "location", model_location_name(mm->location)) ||
           ((mm->location != ML_BODY || strcmp(mm->wire, mm->name)) &&
            describe_str(b, "wire", mm->wire)) ||
           flag(b, "required", mm->required) ||
           flag(b, "idempotency_token", mm->idempotency_token) ||
           flag(b, "host_label", mm->host_label) || flag(b, "jsonvalue", mm->jsonvalue) ||
           b->set_index(b->ud, index + 1);
}

static int shape_fields(walk *w, const model_shape *s)
{
    const omics_builder *b = w->b;
    if (b->table(b->ud, 0, 12) || describe_str(b, "type", model_type_name(s->type)) ||
        (s->has_min && describe_num(b, "min", s->min)) ||
        (s->has_max && describe_num(b, "max", s->max)) || describe_str(b, "pattern", s->pattern) ||
        flag(b, "streaming", s->flags & MF_STREAMING) ||
        flag(b, "sensitive", s->flags & MF_SENSITIVE) || flag(b, "sparse", s->flags & MF_SPARSE) ||
        flag(b, "requires_length", s->flags & MF_REQUIRES_LENGTH) ||
        flag(b, "union", s->flags & MF_UNION) || flag(b, "exception", s->flags & MF_EXCEPTION))
        return -1;
    if (s->nenums) {
        if (list(b, s->nenums))
            return -1;
        for (size_t i = 0; i < s->nenums; i++)
            if (b->string(b->ud, s->enums[i], strlen(s->enums[i])) || b->set_index(b->ud, i + 1))
                return -1;
        if (describe_set(b, "enum"))
            return -1;
    }
    switch (s->type) {
    case MT_STRUCTURE:
        if (list(b, s->nmembers))
            return -1;
        for (size_t i = 0; i < s->nmembers; i++)
            if (member(w, &s->members[i], i))
                return -1;
        if (describe_set(b, "members") ||
            (s->payload >= 0 && describe_str(b, "payload", s->members[s->payload].name)))
            return -1;
        break;
    case MT_LIST:
        if (describe_str(b, "member", s->member.shape->name))
            return -1;
        break;
    case MT_MAP:
        if (describe_str(b, "key", s->key.shape->name) ||
            describe_str(b, "value", s->value.shape->name))
            return -1;
        break;
    default:
        break;
    }
    return describe_set(b, s->name);
}

/* the shape into the shapes table (on top of the stack), then the shapes
 * it refers to */
static int shape(walk *w, const model_shape *s)
{
    size_t i = (size_t)(s - w->m->shapes);
    if (i >= w->m->nshapes || w->seen[i])
        return 0;
    w->seen[i] = 1;
    if (shape_fields(w, s))
        return -1;
    switch (s->type) {
    case MT_STRUCTURE:
        for (size_t k = 0; k < s->nmembers; k++)
            if (ref(w, &s->members[k]))
                return -1;
        return 0;
    case MT_LIST:
        return ref(w, &s->member);
    case MT_MAP:
        return ref(w, &s->key) || ref(w, &s->value);
    default:
        return 0;
    }
}

/* the error answers: the code a caller sees, the status, retried or not */
static int errors(walk *w, const omics_op *op)
{
    const omics_builder *b = w->b;
    if (list(b, op->nerrors))
        return -1;
    for (size_t i = 0; i < op->nerrors; i++) {
        const model_shape *e = op->errors[i];
        if (b->table(b->ud, 0, 4) ||
            describe_str(b, "code", e->error_code ? e->error_code : e->name) ||
            (e->error_status && describe_int(b, "status", e->error_status)) ||
            flag(b, "retryable", e->retryable) || flag(b, "throttling", e->throttling) ||
            b->set_index(b->ud, i + 1))
            return -1;
    }
    return describe_set(b, "errors");
}

static int describe(walk *w, const omics_op *op)
{
    const omics_builder *b = w->b;
    const char *cli = kebab(w, op->name);
    if (!cli || b->table(b->ud, 0, 16) || describe_str(b, "name", op->name) ||
        describe_str(b, "method", op->snake) || describe_str(b, "cli", cli) ||
        describe_str(b, "http_method", op->method) || describe_str(b, "uri", op->uri) ||
        describe_int(b, "response_code", op->response_code) ||
        describe_str(b, "host_prefix", op->host_prefix) ||
        flag(b, "deprecated", op->deprecated) ||
        flag(b, "unsigned_payload", op->unsigned_payload) ||
        (op->input && describe_str(b, "input", op->input->name)) ||
        (op->output && describe_str(b, "output", op->output->name)) ||
        describe_str(b, "service_id", w->m->service_id) ||
        describe_str(b, "api_version", w->m->api_version) || errors(w, op) ||
        b->table(b->ud, 0, 16))
        return -1;
    if ((op->input && shape(w, op->input)) || (op->output && shape(w, op->output)))
        return -1;
    return describe_set(b, "shapes");
}

int omics_model_describe_op(const omics_model *m, const omics_op *op, const omics_builder *b,
                            omics_error *err)
{
    walk w = {m, b, calloc(m->nshapes ? m->nshapes : 1, 1), omics_arena_new(4096)};
    int rc = -1;
    if (!w.seen || !w.a || (rc = describe(&w, op)) != 0)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "%s",
                        "out of memory describing an operation");
    free(w.seen);
    omics_arena_free(w.a);
    return rc;
}
