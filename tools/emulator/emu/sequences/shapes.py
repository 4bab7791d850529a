"""Input shapes of the sequence store and read set operations, written from the model."""

from ..shapes import PRINTABLE, Integer, ListOf, MapOf, Member, String, Structure, Timestamp

NUMERIC_ID = String(min=10, max=36, pattern="[0-9]+")
STORE_NAME = String(min=1, max=127, pattern=PRINTABLE)
STORE_DESCRIPTION = String(min=1, max=255, pattern=PRINTABLE)
CLIENT_TOKEN = String(min=1, max=127, pattern=PRINTABLE)
NEXT_TOKEN = String(min=1, max=6144, pattern=PRINTABLE)
MAX_RESULTS = Integer(min=1, max=100)
PART_NUMBER = Integer(min=1, max=10000)
ROLE_ARN = String(min=20, max=2048, pattern="arn:.*")
S3_URI = String(pattern=r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/(.{1,1024})")
S3_DESTINATION = String(pattern=r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/?((.{1,1024})/)?")
FALLBACK_LOCATION = String(pattern=r"$|^s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/?((.{1,1024})/)?")
ACCESS_LOG_LOCATION = String(pattern=r"$|^s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/?((.{1,800})/)?")
S3_ACCESS_POINT_ARN = String(min=1, max=1024, pattern="arn:[^:]*:s3:[^:]*:[^:]*:accesspoint/.*")
S3_ACCESS_POLICY = String(min=1, max=100000)
TAG_KEY = String(min=1, max=128)
TAGS = MapOf(TAG_KEY, String(min=0, max=256))
PROPAGATED_TAGS = ListOf(TAG_KEY, min=0, max=50)
FILE_TYPE = String(enum=["FASTQ", "BAM", "CRAM", "UBAM"])
PART_SOURCE = String(enum=["SOURCE1", "SOURCE2"])
SUBJECT_ID = String(min=1, max=127, pattern=PRINTABLE)
SAMPLE_ID = String(min=1, max=127, pattern=PRINTABLE)
GENERATED_FROM = String(min=1, max=127, pattern=PRINTABLE)
REFERENCE_ARN = String(min=1, max=127, pattern="arn:.+")
READ_SET_NAME = String(min=1, max=127, pattern=PRINTABLE)
READ_SET_DESCRIPTION = String(min=1, max=255, pattern=PRINTABLE)
JOB_STATUS = String(enum=["SUBMITTED", "IN_PROGRESS", "CANCELLING", "CANCELLED",
                          "FAILED", "COMPLETED", "COMPLETED_WITH_FAILURES"])
STORE_STATUS = String(enum=["CREATING", "ACTIVE", "UPDATING", "DELETING", "FAILED"])
READ_SET_STATUS = String(enum=["ARCHIVED", "ACTIVATING", "ACTIVE", "DELETING", "DELETED",
                               "PROCESSING_UPLOAD", "UPLOAD_FAILED"])
SSE_CONFIG = Structure({
    "type": String(enum=["KMS"]),
    "keyArn": String(min=20, max=2048,
                     pattern=r".*arn:([^: ]*):([^: ]*):([^: ]*):([0-9]{12}):([^: ]*).*"),
}, required=["type"])
S3_ACCESS_CONFIG = Structure({"accessLogLocation": ACCESS_LOG_LOCATION})


def uri(shape, label):
    return Member(shape, "uri", label)


def query(shape, key):
    return Member(shape, "querystring", key)


PAGING = {"maxResults": query(MAX_RESULTS, "maxResults"),
          "nextToken": query(NEXT_TOKEN, "nextToken")}
CREATED_RANGE = {"createdAfter": Timestamp(), "createdBefore": Timestamp()}

# --- sequence stores --------------------------------------------------------

CREATE_SEQUENCE_STORE = Structure({
    "name": STORE_NAME,
    "description": STORE_DESCRIPTION,
    "sseConfig": SSE_CONFIG,
    "tags": TAGS,
    "clientToken": CLIENT_TOKEN,
    "fallbackLocation": FALLBACK_LOCATION,
    "eTagAlgorithmFamily": String(enum=["MD5up", "SHA256up", "SHA512up"]),
    "propagatedSetLevelTags": PROPAGATED_TAGS,
    "s3AccessConfig": S3_ACCESS_CONFIG,
}, required=["name"])

STORE_BY_ID = Structure({"id": uri(NUMERIC_ID, "id")}, required=["id"])

UPDATE_SEQUENCE_STORE = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "name": STORE_NAME,
    "description": STORE_DESCRIPTION,
    "clientToken": CLIENT_TOKEN,
    "fallbackLocation": FALLBACK_LOCATION,
    "propagatedSetLevelTags": PROPAGATED_TAGS,
    "s3AccessConfig": S3_ACCESS_CONFIG,
}, required=["id"])

LIST_SEQUENCE_STORES = Structure({
    **PAGING,
    "filter": Structure({"name": STORE_NAME, **CREATED_RANGE, "status": STORE_STATUS,
                         "updatedAfter": Timestamp(), "updatedBefore": Timestamp()}),
})

ACCESS_POINT = Structure({"s3AccessPointArn": uri(S3_ACCESS_POINT_ARN, "s3AccessPointArn")},
                         required=["s3AccessPointArn"])

PUT_S3_ACCESS_POLICY = Structure({
    "s3AccessPointArn": uri(S3_ACCESS_POINT_ARN, "s3AccessPointArn"),
    "s3AccessPolicy": S3_ACCESS_POLICY,
}, required=["s3AccessPointArn", "s3AccessPolicy"])

# --- items addressed inside a store -----------------------------------------

ITEM_IN_STORE = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
}, required=["id", "sequenceStoreId"])


def job_list(**filter_members):
    return Structure({
        "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
        **PAGING,
        "filter": Structure({"status": JOB_STATUS, **CREATED_RANGE, **filter_members}),
    }, required=["sequenceStoreId"])


LIST_JOBS = job_list()

# --- import, activation and export jobs -------------------------------------

START_READ_SET_IMPORT_JOB = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "roleArn": ROLE_ARN,
    "clientToken": CLIENT_TOKEN,
    "sources": ListOf(Structure({
        "sourceFiles": Structure({"source1": S3_URI, "source2": S3_URI}, required=["source1"]),
        "sourceFileType": FILE_TYPE,
        "subjectId": SUBJECT_ID,
        "sampleId": SAMPLE_ID,
        "generatedFrom": GENERATED_FROM,
        "referenceArn": REFERENCE_ARN,
        "name": READ_SET_NAME,
        "description": READ_SET_DESCRIPTION,
        "tags": TAGS,
    }, required=["sourceFiles", "sourceFileType", "subjectId", "sampleId"]), min=1, max=100),
}, required=["sequenceStoreId", "roleArn", "sources"])

START_READ_SET_ACTIVATION_JOB = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "clientToken": CLIENT_TOKEN,
    "sources": ListOf(Structure({"readSetId": NUMERIC_ID}, required=["readSetId"]), min=1, max=20),
}, required=["sequenceStoreId", "sources"])

START_READ_SET_EXPORT_JOB = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "destination": S3_DESTINATION,
    "roleArn": ROLE_ARN,
    "clientToken": CLIENT_TOKEN,
    "sources": ListOf(Structure({"readSetId": NUMERIC_ID}, required=["readSetId"]), min=1, max=100),
}, required=["sequenceStoreId", "destination", "roleArn", "sources"])

# --- read sets --------------------------------------------------------------

LIST_READ_SETS = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    **PAGING,
    "filter": Structure({
        "name": READ_SET_NAME,
        "status": READ_SET_STATUS,
        "referenceArn": String(min=0, max=127, pattern="$|^arn:.+"),
        **CREATED_RANGE,
        "sampleId": SAMPLE_ID,
        "subjectId": SUBJECT_ID,
        "generatedFrom": GENERATED_FROM,
        "creationType": String(enum=["IMPORT", "UPLOAD"]),
    }),
}, required=["sequenceStoreId"])

GET_READ_SET = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "file": query(String(enum=["SOURCE1", "SOURCE2", "INDEX"]), "file"),
    "partNumber": query(PART_NUMBER, "partNumber"),
}, required=["id", "sequenceStoreId", "partNumber"])

BATCH_DELETE_READ_SET = Structure({
    "ids": ListOf(NUMERIC_ID, min=1, max=100),
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
}, required=["ids", "sequenceStoreId"])

# --- multipart uploads ------------------------------------------------------

CREATE_MULTIPART_READ_SET_UPLOAD = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "clientToken": CLIENT_TOKEN,
    "sourceFileType": FILE_TYPE,
    "subjectId": SUBJECT_ID,
    "sampleId": SAMPLE_ID,
    "generatedFrom": GENERATED_FROM,
    "referenceArn": REFERENCE_ARN,
    "name": READ_SET_NAME,
    "description": READ_SET_DESCRIPTION,
    "tags": TAGS,
}, required=["sequenceStoreId", "sourceFileType", "subjectId", "sampleId", "name"])

UPLOAD_IN_STORE = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "uploadId": uri(NUMERIC_ID, "uploadId"),
}, required=["sequenceStoreId", "uploadId"])

# The payload member (the raw request body) is checked by the handler: the
# shared input decoder only knows uri, querystring, header and JSON members.
UPLOAD_READ_SET_PART = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "uploadId": uri(NUMERIC_ID, "uploadId"),
    "partSource": query(PART_SOURCE, "partSource"),
    "partNumber": query(PART_NUMBER, "partNumber"),
}, required=["sequenceStoreId", "uploadId", "partSource", "partNumber"])

LIST_READ_SET_UPLOAD_PARTS = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "uploadId": uri(NUMERIC_ID, "uploadId"),
    "partSource": PART_SOURCE,
    **PAGING,
    "filter": Structure(dict(CREATED_RANGE)),
}, required=["sequenceStoreId", "uploadId", "partSource"])

COMPLETE_MULTIPART_READ_SET_UPLOAD = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    "uploadId": uri(NUMERIC_ID, "uploadId"),
    "parts": ListOf(Structure({
        "partNumber": PART_NUMBER,
        "partSource": PART_SOURCE,
        "checksum": String(min=1, max=100, pattern=PRINTABLE),
    }, required=["partNumber", "partSource", "checksum"])),
}, required=["sequenceStoreId", "uploadId", "parts"])

LIST_MULTIPART_READ_SET_UPLOADS = Structure({
    "sequenceStoreId": uri(NUMERIC_ID, "sequenceStoreId"),
    **PAGING,
}, required=["sequenceStoreId"])
