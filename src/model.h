/* model: the in-memory form of a botocore service model, as the serializer
 * and the parser read it.  Everything lives in one arena owned by the model. */
#ifndef OMICS_MODEL_H
#define OMICS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "omics.h"

/* Internal: never exported, whatever the compiler's default visibility. */
#pragma GCC visibility push(hidden)

typedef enum model_type {
    MT_STRUCTURE,
    MT_LIST,
    MT_MAP,
    MT_STRING,
    MT_BYTE,
    MT_SHORT,
    MT_INTEGER,
    MT_LONG,
    MT_FLOAT,
    MT_DOUBLE,
    MT_BIGINT,
    MT_BIGDEC,
    MT_BOOLEAN,
    MT_TIMESTAMP,
    MT_BLOB,
    MT_DOCUMENT
} model_type;

typedef enum model_location {
    ML_BODY,
    ML_URI,
    ML_QUERY,
    ML_HEADER,
    ML_HEADERS, /* prefix headers: a map */
    ML_STATUS
} model_location;

enum {
    MF_UNION = 1,
    MF_STREAMING = 2,
    MF_EXCEPTION = 4,
    MF_SENSITIVE = 8,
    MF_REQUIRES_LENGTH = 16,
    MF_SPARSE = 32,
    MF_EVENT_STREAM = 64
};

enum { MODEL_TS_DEFAULT = -1 }; /* else a TS_* format from ts.h */

typedef struct model_shape model_shape;

typedef struct model_member {
    const char *name; /* as the API spells it: the key in params and results */
    size_t name_len;
    const char *wire; /* locationName (jsonName) or the name */
    size_t wire_len;
    model_shape *shape;
    unsigned char location;
    unsigned char required;
    unsigned char idempotency_token;
    unsigned char host_label;
    unsigned char jsonvalue;
    signed char ts_format; /* member override, MODEL_TS_DEFAULT when none */
} model_member;

struct model_shape {
    const char *name;
    unsigned char type;
    unsigned char flags;
    signed char ts_format;
    unsigned char has_min, has_max;
    double min, max; /* length for strings, blobs, lists, maps; value for numbers */
    /* structure */
    model_member *members;
    size_t nmembers;
    int payload; /* index of the payload member, -1 when none */
    /* list: member; map: key and value */
    model_member member, key, value;
    /* error shapes */
    /* what the model says of a string's values: its enum (NULL-free, n
     * of them) and its pattern (NULL when none); for documentation, never
     * enforced (the service may add values) */
    const char **enums;
    size_t nenums;
    const char *pattern;
    const char *error_code; /* error.code, else the shape name */
    int error_status;
    unsigned char retryable, throttling;
};

typedef struct model_paginator model_paginator;
typedef struct model_waiter model_waiter;

struct omics_op {
    const char *name;
    const char *snake;
    const char *method;
    const char *uri; /* requestUri, may hold a literal query after '?' */
    int response_code;
    const char *host_prefix; /* NULL when none */
    model_shape *input;      /* NULL when the operation takes nothing */
    model_shape *output;
    model_shape **errors;
    size_t nerrors;
    unsigned char unsigned_payload;
    unsigned char checksum_required;
    unsigned char compress_gzip; /* requestcompression lists gzip */
    unsigned char deprecated;
};

struct omics_model {
    omics_arena *arena;
    const char *protocol;
    const char *endpoint_prefix;
    const char *signing_name;
    const char *service_id;
    const char *api_version;
    model_shape *shapes;
    size_t nshapes;
    omics_op *ops;
    size_t nops;
    omics_op **by_name;  /* sorted by name */
    omics_op **by_snake; /* sorted by snake name */
    model_shape **exceptions; /* every shape marked exception */
    size_t nexceptions;
    /* paginators and waiters stay as JSON text for the layers that read them */
    const char *paginators;
    size_t paginators_len;
    const char *waiters;
    size_t waiters_len;
    /* the endpoint rule set (JSON text), or NULL: https://{prefix}.{region}.{suffix} */
    const char *endpoint_rules;
    size_t endpoint_rules_len;
};

/* The member of a structure named name[0..n), or NULL. */
const model_member *model_find_member(const model_shape *s, const char *name, size_t n);
/* The member whose wire name is name[0..n) (JSON key, header name), or NULL. */
const model_member *model_find_wire(const model_shape *s, const char *name, size_t n);
/* The exception shape the error code names, or NULL. */
const model_shape *model_find_error(const omics_model *m, const omics_op *op,
                                    const char *code);
/* botocore's xform_name: GetS3AccessPolicy -> get_s3_access_policy. */
char *model_snake_case(omics_arena *a, const char *name);
const char *model_type_name(int type);
/* The name of a member location: "body", "uri", "querystring", "header",
 * "headers", "statusCode". */
const char *model_location_name(int location);

#pragma GCC visibility pop

#endif
