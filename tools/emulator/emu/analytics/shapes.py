"""Input shapes of the annotation store, variant store and import job
operations, written from the model."""

from ..shapes import Boolean, Integer, ListOf, MapOf, Member, String, Structure, Union


def uri(shape, label):
    return Member(shape, "uri", label)


def query(shape, key):
    return Member(shape, "querystring", key)


STORE_NAME = String(min=3, max=255, pattern="([a-z]){1}([a-z0-9_]){2,254}")
VERSION_NAME = STORE_NAME
DESCRIPTION = String(min=0, max=500)
RESOURCE_ID = String(pattern="[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")
ROLE_ARN = String(min=20, max=2048, pattern="arn:([^: ]*):([^: ]*):([^: ]*):([0-9]{12}):([^: ]*)")
S3_URI = String(pattern=r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/(.{1,1024})")
TAGS = MapOf(String(min=1, max=128), String(min=0, max=256))
STORE_STATUS = String(enum=["CREATING", "UPDATING", "DELETING", "ACTIVE", "FAILED"])
JOB_STATUS = String(enum=["SUBMITTED", "IN_PROGRESS", "CANCELLED", "COMPLETED", "FAILED",
                          "COMPLETED_WITH_FAILURES"])
MAX_RESULTS = Integer(min=1, max=100)
NEXT_TOKEN = String(min=1, max=10000)
IDS = ListOf(String(min=1, max=50), min=1, max=20)
FORCE = query(Boolean(), "force")

REFERENCE = Union({"referenceArn": String(min=1, max=127, pattern="arn:.+")})
SSE_CONFIG = Structure({
    "type": String(enum=["KMS"]),
    "keyArn": String(min=20, max=2048,
                     pattern=r".*arn:([^: ]*):([^: ]*):([^: ]*):([0-9]{12}):([^: ]*).*"),
}, required=["type"])
ANNOTATION_TYPE = String(enum=["GENERIC", "CHR_POS", "CHR_POS_REF_ALT", "CHR_START_END_ONE_BASE",
                               "CHR_START_END_REF_ALT_ONE_BASE", "CHR_START_END_ZERO_BASE",
                               "CHR_START_END_REF_ALT_ZERO_BASE"])
TSV_OPTIONS = Structure({
    "annotationType": ANNOTATION_TYPE,
    "formatToHeader": MapOf(String(enum=["CHR", "START", "END", "REF", "ALT", "POS"]),
                            String(min=0, max=1000)),
    "schema": ListOf(MapOf(String(pattern="[a-z0-9_]{1,255}"),
                           String(enum=["LONG", "INT", "STRING", "FLOAT", "DOUBLE", "BOOLEAN"]),
                           min=1, max=1), min=1, max=5000),
})
FORMAT_OPTIONS = Union({
    "tsvOptions": Structure({"readOptions": Structure({
        "sep": String(min=1, max=20),
        "encoding": String(min=1, max=20),
        "quote": String(min=1, max=1),
        "quoteAll": Boolean(),
        "escape": String(min=1, max=1),
        "escapeQuotes": Boolean(),
        "comment": String(min=1, max=1),
        "header": Boolean(),
        "lineSep": String(min=1, max=20),
    })}),
    "vcfOptions": Structure({"ignoreQualField": Boolean(), "ignoreFilterField": Boolean()}),
})
ANNOTATION_FIELDS = MapOf(String(min=1, max=21), String(min=1, max=21))

# --- annotation stores and versions ------------------------------------------

CREATE_ANNOTATION_STORE = Structure({
    "reference": REFERENCE,
    "name": STORE_NAME,
    "description": DESCRIPTION,
    "tags": TAGS,
    "versionName": VERSION_NAME,
    "sseConfig": SSE_CONFIG,
    "storeFormat": String(enum=["GFF", "TSV", "VCF"]),
    "storeOptions": Union({"tsvStoreOptions": TSV_OPTIONS}),
}, required=["storeFormat"])

STORE_BY_NAME = Structure({"name": uri(String(), "name")}, required=["name"])
DELETE_STORE = Structure({"name": uri(String(), "name"), "force": FORCE}, required=["name"])
UPDATE_STORE = Structure({"name": uri(String(), "name"), "description": DESCRIPTION},
                         required=["name"])


def list_stores_shape():
    return Structure({
        "ids": IDS,
        "maxResults": query(MAX_RESULTS, "maxResults"),
        "nextToken": query(NEXT_TOKEN, "nextToken"),
        "filter": Structure({"status": STORE_STATUS}),
    })


LIST_ANNOTATION_STORES = list_stores_shape()
LIST_VARIANT_STORES = list_stores_shape()

CREATE_ANNOTATION_STORE_VERSION = Structure({
    "name": uri(STORE_NAME, "name"),
    "versionName": VERSION_NAME,
    "description": DESCRIPTION,
    "versionOptions": Union({"tsvVersionOptions": TSV_OPTIONS}),
    "tags": TAGS,
}, required=["name", "versionName"])

VERSION_BY_NAME = Structure({
    "name": uri(String(), "name"),
    "versionName": uri(String(), "versionName"),
}, required=["name", "versionName"])

UPDATE_VERSION = Structure({
    "name": uri(String(), "name"),
    "versionName": uri(String(), "versionName"),
    "description": DESCRIPTION,
}, required=["name", "versionName"])

LIST_ANNOTATION_STORE_VERSIONS = Structure({
    "name": uri(String(), "name"),
    "maxResults": query(MAX_RESULTS, "maxResults"),
    "nextToken": query(NEXT_TOKEN, "nextToken"),
    "filter": Structure({"status": STORE_STATUS}),
}, required=["name"])

DELETE_ANNOTATION_STORE_VERSIONS = Structure({
    "name": uri(String(), "name"),
    "versions": ListOf(VERSION_NAME, min=1, max=10),
    "force": FORCE,
}, required=["name", "versions"])

# --- variant stores -------------------------------------------------------------

CREATE_VARIANT_STORE = Structure({
    "reference": REFERENCE,
    "name": STORE_NAME,
    "description": DESCRIPTION,
    "tags": TAGS,
    "sseConfig": SSE_CONFIG,
}, required=["reference"])

# --- import jobs ------------------------------------------------------------------

START_ANNOTATION_IMPORT = Structure({
    "destinationName": STORE_NAME,
    "roleArn": ROLE_ARN,
    "items": ListOf(Structure({"source": S3_URI}, required=["source"]), min=1),
    "versionName": VERSION_NAME,
    "formatOptions": FORMAT_OPTIONS,
    "runLeftNormalization": Boolean(),
    "annotationFields": ANNOTATION_FIELDS,
}, required=["destinationName", "roleArn", "items"])

START_VARIANT_IMPORT = Structure({
    "destinationName": STORE_NAME,
    "roleArn": ROLE_ARN,
    "items": ListOf(Structure({"source": S3_URI}, required=["source"]), min=1),
    "runLeftNormalization": Boolean(),
    "annotationFields": ANNOTATION_FIELDS,
}, required=["destinationName", "roleArn", "items"])

JOB_BY_ID = Structure({"jobId": uri(RESOURCE_ID, "jobId")}, required=["jobId"])


def list_jobs_shape():
    return Structure({
        "maxResults": query(MAX_RESULTS, "maxResults"),
        "ids": IDS,
        "nextToken": query(NEXT_TOKEN, "nextToken"),
        "filter": Structure({"status": JOB_STATUS, "storeName": String()}),
    })


LIST_ANNOTATION_IMPORT_JOBS = list_jobs_shape()
LIST_VARIANT_IMPORT_JOBS = list_jobs_shape()
