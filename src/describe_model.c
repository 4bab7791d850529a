/* describe_model: one operation of the model told through a builder, for
 * what reads the model without calling (the command line's arguments and
 * its help): the operation, and every shape its input, output and errors
 * reach, each once, by name (shapes may refer to themselves). */
#include <stdlib.h>
#include <string.h>

#include "model.h"

typedef struct walk {
    const omics_model *m;
    const omics_builder *b;
    unsigned char *seen; /* one per shape of the model */
    omics_arena *a;      /* the members' command-line names */
} walk;

static int set(const omics_builder *b, const char *k)
{
    return b->set_field(b->ud, k, strlen(k));
}

static int str(const omics_builder *b, const char *k, const char *v)
{
    return v ? b->string(b->ud, v, strlen(v)) || set(b, k) : 0;
}

static int num(const omics_builder *b, const char *k, double v)
{
    return b->number(b->ud, v) || set(b, k);
}

static int flag(const omics_builder *b, const char *k, int v)
{
    return v ? b->boolean(b->ud, 1) || set(b, k) : 0;
}

static int list(const omics_builder *b, size_t n)
{
    return b->list ? b->list(b->ud, n) : b->table(b->ud, n, 0);
}

static const char *location_name(int loc)
{
    switch (loc) {
    case ML_URI: return "uri";
    case ML_QUERY: return "querystring";
    case ML_HEADER: return "header";
    case ML_HEADERS: return "headers";
    case ML_STATUS: return "statusCode";
    default: return "body";
    }
}

/* GetReferenceMetadata -> get-reference-metadata, as the AWS CLI names
 * operations and options (botocore's xform_name with '-') */
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

static int member(walk *w, const model_member *mm, size_t index)
{
    const omics_builder *b = w->b;
    const char *cli = kebab(w, mm->name);
    if (!cli)
        return -1;
    return b->table(b->ud, 0, 6) || str(b, "name", mm->name) || str(b, "shape", mm->shape->name) ||
           str(b, "cli", cli) || str(b, "location", location_name(mm->location)) ||
           (mm->location != ML_BODY && str(b, "wire", mm->wire)) ||
           flag(b, "required", mm->required) ||
           flag(b, "idempotency_token", mm->idempotency_token) ||
           b->set_index(b->ud, index + 1);
}

static int shape_fields(walk *w, const model_shape *s)
{
    const omics_builder *b = w->b;
    if (b->table(b->ud, 0, 10) || str(b, "type", model_type_name(s->type)) ||
        (s->has_min && num(b, "min", s->min)) || (s->has_max && num(b, "max", s->max)) ||
        flag(b, "streaming", s->flags & MF_STREAMING) ||
        flag(b, "sensitive", s->flags & MF_SENSITIVE) ||
        flag(b, "union", s->flags & MF_UNION) || flag(b, "exception", s->flags & MF_EXCEPTION))
        return -1;
    if (s->nenums) {
        if (list(b, s->nenums))
            return -1;
        for (size_t i = 0; i < s->nenums; i++)
            if (b->string(b->ud, s->enums[i], strlen(s->enums[i])) || b->set_index(b->ud, i + 1))
                return -1;
        if (set(b, "enum"))
            return -1;
    }
    switch (s->type) {
    case MT_STRUCTURE:
        if (list(b, s->nmembers))
            return -1;
        for (size_t i = 0; i < s->nmembers; i++)
            if (member(w, &s->members[i], i))
                return -1;
        if (set(b, "members") ||
            (s->payload >= 0 && str(b, "payload", s->members[s->payload].name)))
            return -1;
        break;
    case MT_LIST:
        if (str(b, "member", s->member.shape->name))
            return -1;
        break;
    case MT_MAP:
        if (str(b, "key", s->key.shape->name) || str(b, "value", s->value.shape->name))
            return -1;
        break;
    default:
        break;
    }
    return set(b, s->name);
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

static int describe(walk *w, const omics_op *op)
{
    const omics_builder *b = w->b;
    const char *cli = kebab(w, op->name);
    if (!cli || b->table(b->ud, 0, 10) || str(b, "name", op->name) ||
        str(b, "method", op->snake) || str(b, "cli", cli) || str(b, "http_method", op->method) ||
        str(b, "uri", op->uri) || flag(b, "deprecated", op->deprecated) ||
        (op->input && str(b, "input", op->input->name)) ||
        (op->output && str(b, "output", op->output->name)))
        return -1;
    if (list(b, op->nerrors))
        return -1;
    for (size_t i = 0; i < op->nerrors; i++) {
        const model_shape *e = op->errors[i];
        if (b->table(b->ud, 0, 2) || str(b, "code", e->error_code ? e->error_code : e->name) ||
            (e->error_status && num(b, "status", e->error_status)) ||
            b->set_index(b->ud, i + 1))
            return -1;
    }
    if (set(b, "errors") || b->table(b->ud, 0, 16))
        return -1;
    if ((op->input && shape(w, op->input)) || (op->output && shape(w, op->output)))
        return -1;
    return set(b, "shapes");
}

int omics_model_describe_op(const omics_model *m, const omics_op *op, const omics_builder *b,
                            omics_error *err)
{
    walk w = {m, b, calloc(m->nshapes ? m->nshapes : 1, 1), omics_arena_new(4096)};
    int rc = -1;
    if (!w.seen || !w.a)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "%s",
                        "out of memory describing an operation");
    else if ((rc = describe(&w, op)) != 0)
        omics_error_set(err, OMICS_EMEMORY, "MemoryError", "%s",
                        "out of memory describing an operation");
    free(w.seen);
    omics_arena_free(w.a);
    return rc;
}
