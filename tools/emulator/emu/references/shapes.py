"""Input shapes of the reference store operations, written from the model."""

from ..shapes import (LETTERS_AND_DIGITS, PRINTABLE, Integer, ListOf, MapOf, Member,
                      String, Structure, Timestamp)

NUMERIC_ID = String(min=10, max=36, pattern="[0-9]+")
STORE_NAME = String(min=1, max=127, pattern=PRINTABLE)
STORE_DESCRIPTION = String(min=1, max=255, pattern=PRINTABLE)
REFERENCE_NAME = String(min=3, max=255, pattern=PRINTABLE)
REFERENCE_DESCRIPTION = String(min=1, max=255, pattern=PRINTABLE)
CLIENT_TOKEN = String(min=1, max=127, pattern=PRINTABLE)
NEXT_TOKEN = String(min=1, max=6144, pattern=PRINTABLE)
MAX_RESULTS = Integer(min=1, max=100)
ROLE_ARN = String(min=20, max=2048, pattern="arn:.*")
S3_URI = String(pattern=r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/(.{1,1024})")
MD5 = String(min=1, max=255, pattern=LETTERS_AND_DIGITS)
TAGS = MapOf(String(min=1, max=128), String(min=0, max=256))
JOB_STATUS = String(enum=["SUBMITTED", "IN_PROGRESS", "CANCELLING", "CANCELLED",
                          "FAILED", "COMPLETED", "COMPLETED_WITH_FAILURES"])
SSE_CONFIG = Structure({
    "type": String(enum=["KMS"]),
    "keyArn": String(min=20, max=2048,
                     pattern=r".*arn:([^: ]*):([^: ]*):([^: ]*):([0-9]{12}):([^: ]*).*"),
}, required=["type"])
# The model's pattern for Range ([\p{N}||\p{P}]+) would refuse "bytes=0-9",
# the form clients send, so only its length is checked.
RANGE = String(min=1, max=127)


def uri(shape, label):
    return Member(shape, "uri", label)


def query(shape, key):
    return Member(shape, "querystring", key)


PAGING = {"maxResults": query(MAX_RESULTS, "maxResults"),
          "nextToken": query(NEXT_TOKEN, "nextToken")}

CREATE_REFERENCE_STORE = Structure({
    "name": STORE_NAME,
    "description": STORE_DESCRIPTION,
    "sseConfig": SSE_CONFIG,
    "tags": TAGS,
    "clientToken": CLIENT_TOKEN,
}, required=["name"])

STORE_BY_ID = Structure({"id": uri(NUMERIC_ID, "id")}, required=["id"])

LIST_REFERENCE_STORES = Structure({
    **PAGING,
    "filter": Structure({"name": STORE_NAME, "createdAfter": Timestamp(),
                         "createdBefore": Timestamp()}),
})

START_REFERENCE_IMPORT_JOB = Structure({
    "referenceStoreId": uri(NUMERIC_ID, "referenceStoreId"),
    "roleArn": ROLE_ARN,
    "clientToken": CLIENT_TOKEN,
    "sources": ListOf(Structure({
        "sourceFile": S3_URI,
        "name": REFERENCE_NAME,
        "description": REFERENCE_DESCRIPTION,
        "tags": TAGS,
    }, required=["sourceFile", "name"]), min=1, max=100),
}, required=["referenceStoreId", "roleArn", "sources"])

ITEM_IN_STORE = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "referenceStoreId": uri(NUMERIC_ID, "referenceStoreId"),
}, required=["id", "referenceStoreId"])

LIST_REFERENCE_IMPORT_JOBS = Structure({
    **PAGING,
    "referenceStoreId": uri(NUMERIC_ID, "referenceStoreId"),
    "filter": Structure({"status": JOB_STATUS, "createdAfter": Timestamp(),
                         "createdBefore": Timestamp()}),
}, required=["referenceStoreId"])

LIST_REFERENCES = Structure({
    **PAGING,
    "referenceStoreId": uri(NUMERIC_ID, "referenceStoreId"),
    "filter": Structure({"name": REFERENCE_NAME, "md5": MD5, "createdAfter": Timestamp(),
                         "createdBefore": Timestamp()}),
}, required=["referenceStoreId"])

GET_REFERENCE = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "referenceStoreId": uri(NUMERIC_ID, "referenceStoreId"),
    "range": Member(RANGE, "header", "Range"),
    "partNumber": query(Integer(min=1, max=10000), "partNumber"),
    "file": query(String(enum=["SOURCE", "INDEX"]), "file"),
}, required=["id", "referenceStoreId", "partNumber"])
