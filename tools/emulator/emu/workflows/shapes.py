"""Input shapes of the workflow, run, run group, run cache, batch and
configuration operations, written from the model."""

from ..shapes import (PRINTABLE, Blob, Boolean, Document, Integer, ListOf, MapOf, Member, String,
                      Structure, Union)


def uri(shape, label):
    return Member(shape, "uri", label)


def query(shape, key):
    return Member(shape, "querystring", key)


def printable(min=None, max=None):
    return String(min=min, max=max, pattern=PRINTABLE)


NUMERIC_ID = String(min=1, max=18, pattern="[0-9]+")
NAME_TOKEN = String(min=1, max=128, pattern="[A-Za-z0-9][A-Za-z0-9\\-\\._]*")
VERSION_NAME = String(min=1, max=64, pattern="[A-Za-z0-9][A-Za-z0-9\\-\\._]*")
ARN = String(min=1, max=128, pattern="arn:.+")
ACCOUNT_ID = String(min=12, max=12, pattern="[0-9]+")
OWNER_ID = String(pattern="[0-9]{12}")
REQUEST_ID = printable(1, 128)
LIST_TOKEN = printable(1, 128)
TAGS = MapOf(String(min=1, max=128), String(min=0, max=256))
STORAGE_CAPACITY = Integer(min=0, max=100000)
PRIORITY = Integer(min=0, max=100000)
LIMIT = Integer(min=1, max=100000)
MAX_RESULTS = Integer(min=1, max=100)
S3_BUCKET_OR_OBJECT = String(pattern=r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])(/(.{0,1024}))?")
S3_OBJECT = String(pattern=r"s3://([a-z0-9][a-z0-9-.]{1,61}[a-z0-9])/((.{1,1024}))")

WORKFLOW_TYPE = String(min=1, max=64, enum=["PRIVATE", "READY2RUN"])
ENGINE = String(min=1, max=64, enum=["WDL", "NEXTFLOW", "CWL", "WDL_LENIENT"])
STORAGE_TYPE = String(min=1, max=64, enum=["STATIC", "DYNAMIC"])
ACCELERATORS = String(min=1, max=64, enum=["GPU"])
CACHE_BEHAVIOR = String(min=1, max=64, enum=["CACHE_ON_FAILURE", "CACHE_ALWAYS"])
LOG_LEVEL = String(min=1, max=64, enum=["OFF", "FATAL", "ERROR", "ALL"])
RETENTION_MODE = String(min=1, max=64, enum=["RETAIN", "REMOVE"])
NETWORKING_MODE = String(enum=["RESTRICTED", "VPC"])
SCRATCH_STORAGE_MODE = String(min=1, max=64, enum=["LOCAL", "SHARED"])
RUN_STATUS = String(min=1, max=64, enum=["PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED",
                                         "DELETED", "CANCELLED", "FAILED"])
TASK_STATUS = String(min=1, max=64, enum=["PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED",
                                          "CANCELLED", "FAILED"])
BATCH_STATUS = String(min=1, max=64, enum=["CREATING", "PENDING", "SUBMITTING", "INPROGRESS",
                                           "STOPPING", "CANCELLED", "FAILED", "PROCESSED",
                                           "RUNS_DELETING", "RUNS_DELETED"])
SUBMISSION_STATUS = String(min=1, max=64, enum=["SUCCESS", "FAILED", "CANCEL_SUCCESS",
                                                "CANCEL_FAILED", "DELETE_SUCCESS", "DELETE_FAILED"])

# --- workflows and versions -------------------------------------------------

PARAMETER_TEMPLATE = MapOf(printable(1, 128),
                           Structure({"description": printable(0, 256), "optional": Boolean()}),
                           min=1, max=2000)
CONTAINER_REGISTRY_MAP = Structure({
    "registryMappings": ListOf(Structure({
        "upstreamRegistryUrl": printable(1, 750),
        "ecrRepositoryPrefix": printable(1, 256),
        "upstreamRepositoryPrefix": printable(2, 30),
        "ecrAccountId": ACCOUNT_ID,
    })),
    "imageMappings": ListOf(Structure({
        "sourceImage": printable(1, 750),
        "destinationImage": printable(1, 750),
    })),
})
DEFINITION_REPOSITORY = Structure({
    "connectionArn": String(min=1, max=256, pattern=r"arn:aws(-[\w]+)*:.+:.+:[0-9]{12}:.+"),
    "fullRepositoryId": String(pattern=".+/.+"),
    "sourceReference": Structure({"type": String(enum=["BRANCH", "TAG", "COMMIT"]),
                                  "value": String()}, required=["type", "value"]),
    "excludeFilePatterns": ListOf(String(), min=1, max=50),
}, required=["connectionArn", "fullRepositoryId"])

DEFINITION_MEMBERS = {
    "definitionZip": Blob(),
    "definitionUri": printable(1, 256),
    "main": printable(1, 128),
    "parameterTemplate": PARAMETER_TEMPLATE,
    "storageCapacity": STORAGE_CAPACITY,
    "tags": TAGS,
    "requestId": REQUEST_ID,
    "accelerators": ACCELERATORS,
    "storageType": STORAGE_TYPE,
    "engine": ENGINE,
    "containerRegistryMap": CONTAINER_REGISTRY_MAP,
    "containerRegistryMapUri": printable(1, 750),
    "readmeMarkdown": String(),
    "parameterTemplatePath": printable(1, 128),
    "readmePath": printable(1, 128),
    "definitionRepository": DEFINITION_REPOSITORY,
    "workflowBucketOwnerId": OWNER_ID,
    "readmeUri": S3_OBJECT,
}

CREATE_WORKFLOW = Structure({
    "name": printable(1, 128),
    "description": printable(1, 256),
    **DEFINITION_MEMBERS,
}, required=["requestId"])

EXPORT = ListOf(String(min=1, max=64, enum=["DEFINITION", "README"]), min=0, max=32)

GET_WORKFLOW = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "type": query(WORKFLOW_TYPE, "type"),
    "export": query(EXPORT, "export"),
    "workflowOwnerId": query(OWNER_ID, "workflowOwnerId"),
}, required=["id"])

LIST_WORKFLOWS = Structure({
    "type": query(WORKFLOW_TYPE, "type"),
    "name": query(printable(1, 128), "name"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
    "maxResults": query(MAX_RESULTS, "maxResults"),
})

UPDATE_WORKFLOW = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "name": printable(1, 128),
    "description": printable(1, 256),
    "storageType": STORAGE_TYPE,
    "storageCapacity": STORAGE_CAPACITY,
    "readmeMarkdown": String(),
}, required=["id"])

WORKFLOW_BY_ID = Structure({"id": uri(NUMERIC_ID, "id")}, required=["id"])

CREATE_WORKFLOW_VERSION = Structure({
    "workflowId": uri(NUMERIC_ID, "workflowId"),
    "versionName": VERSION_NAME,
    "description": printable(1, 256),
    **DEFINITION_MEMBERS,
}, required=["workflowId", "versionName", "requestId"])

GET_WORKFLOW_VERSION = Structure({
    "workflowId": uri(NUMERIC_ID, "workflowId"),
    "versionName": uri(VERSION_NAME, "versionName"),
    "type": query(WORKFLOW_TYPE, "type"),
    "export": query(EXPORT, "export"),
    "workflowOwnerId": query(OWNER_ID, "workflowOwnerId"),
}, required=["workflowId", "versionName"])

LIST_WORKFLOW_VERSIONS = Structure({
    "workflowId": uri(NUMERIC_ID, "workflowId"),
    "type": query(WORKFLOW_TYPE, "type"),
    "workflowOwnerId": query(OWNER_ID, "workflowOwnerId"),
    "startingToken": query(printable(1, 256), "startingToken"),
    "maxResults": query(MAX_RESULTS, "maxResults"),
}, required=["workflowId"])

UPDATE_WORKFLOW_VERSION = Structure({
    "workflowId": uri(NUMERIC_ID, "workflowId"),
    "versionName": uri(VERSION_NAME, "versionName"),
    "description": printable(1, 256),
    "storageType": STORAGE_TYPE,
    "storageCapacity": STORAGE_CAPACITY,
    "readmeMarkdown": String(),
}, required=["workflowId", "versionName"])

WORKFLOW_VERSION = Structure({
    "workflowId": uri(NUMERIC_ID, "workflowId"),
    "versionName": uri(VERSION_NAME, "versionName"),
}, required=["workflowId", "versionName"])

# --- runs and tasks ---------------------------------------------------------

START_RUN = Structure({
    "workflowId": NUMERIC_ID,
    "workflowType": WORKFLOW_TYPE,
    "runId": NUMERIC_ID,
    "roleArn": ARN,
    "name": printable(1, 128),
    "cacheId": NUMERIC_ID,
    "cacheBehavior": CACHE_BEHAVIOR,
    "runGroupId": NUMERIC_ID,
    "priority": PRIORITY,
    "parameters": Document(),
    "storageCapacity": STORAGE_CAPACITY,
    "outputUri": printable(1, 750),
    "logLevel": LOG_LEVEL,
    "tags": TAGS,
    "requestId": REQUEST_ID,
    "retentionMode": RETENTION_MODE,
    "storageType": STORAGE_TYPE,
    "workflowOwnerId": OWNER_ID,
    "workflowVersionName": VERSION_NAME,
    "networkingMode": NETWORKING_MODE,
    "scratchStorageMode": SCRATCH_STORAGE_MODE,
    "configurationName": NAME_TOKEN,
    "engineSettings": Document(),
}, required=["roleArn", "outputUri", "requestId"])

GET_RUN = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "export": query(ListOf(String(min=1, max=64, enum=["DEFINITION"]), min=0, max=32), "export"),
}, required=["id"])

RUN_BY_ID = Structure({"id": uri(NUMERIC_ID, "id")}, required=["id"])

LIST_RUNS = Structure({
    "name": query(printable(1, 128), "name"),
    "runGroupId": query(NUMERIC_ID, "runGroupId"),
    "batchId": query(NUMERIC_ID, "batchId"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
    "maxResults": query(MAX_RESULTS, "maxResults"),
    "status": query(RUN_STATUS, "status"),
})

GET_RUN_TASK = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "taskId": uri(NUMERIC_ID, "taskId"),
}, required=["id", "taskId"])

LIST_RUN_TASKS = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "status": query(TASK_STATUS, "status"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
    "maxResults": query(MAX_RESULTS, "maxResults"),
}, required=["id"])

# --- run groups ---------------------------------------------------------------

RUN_GROUP_LIMITS = {"maxCpus": LIMIT, "maxRuns": LIMIT, "maxDuration": LIMIT, "maxGpus": LIMIT}

CREATE_RUN_GROUP = Structure({
    "name": printable(1, 128),
    **RUN_GROUP_LIMITS,
    "tags": TAGS,
    "requestId": REQUEST_ID,
}, required=["requestId"])

RUN_GROUP_BY_ID = Structure({"id": uri(NUMERIC_ID, "id")}, required=["id"])

LIST_RUN_GROUPS = Structure({
    "name": query(printable(1, 128), "name"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
    "maxResults": query(MAX_RESULTS, "maxResults"),
})

UPDATE_RUN_GROUP = Structure({
    "id": uri(NUMERIC_ID, "id"),
    "name": printable(1, 128),
    **RUN_GROUP_LIMITS,
}, required=["id"])

# --- run caches ---------------------------------------------------------------

CREATE_RUN_CACHE = Structure({
    "cacheBehavior": CACHE_BEHAVIOR,
    "cacheS3Location": S3_BUCKET_OR_OBJECT,
    "description": printable(1, 256),
    "name": printable(1, 128),
    "requestId": REQUEST_ID,
    "tags": TAGS,
    "cacheBucketOwnerId": ACCOUNT_ID,
}, required=["cacheS3Location", "requestId"])

RUN_CACHE_BY_ID = Structure({"id": uri(NUMERIC_ID, "id")}, required=["id"])

LIST_RUN_CACHES = Structure({
    "maxResults": query(MAX_RESULTS, "maxResults"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
})

UPDATE_RUN_CACHE = Structure({
    "cacheBehavior": CACHE_BEHAVIOR,
    "description": printable(1, 256),
    "id": uri(NUMERIC_ID, "id"),
    "name": printable(1, 128),
}, required=["id"])

# --- configurations -----------------------------------------------------------

CREATE_CONFIGURATION = Structure({
    "name": NAME_TOKEN,
    "description": printable(1, 256),
    "runConfigurations": Structure({
        "vpcConfig": Structure({
            "securityGroupIds": ListOf(String(min=4, max=128, pattern="sg-[0-9a-f]+"), min=0, max=5),
            "subnetIds": ListOf(String(min=8, max=128, pattern="subnet-[0-9a-f]+"), min=0, max=16),
        }),
    }),
    "tags": TAGS,
    "requestId": REQUEST_ID,
}, required=["name", "runConfigurations", "requestId"])

CONFIGURATION_BY_NAME = Structure({"name": uri(NAME_TOKEN, "name")}, required=["name"])

LIST_CONFIGURATIONS = Structure({
    "maxResults": query(Integer(min=1, max=10), "maxResults"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
})

# --- batches ------------------------------------------------------------------

DEFAULT_RUN_SETTING = Structure({
    "workflowId": NUMERIC_ID,
    "workflowType": WORKFLOW_TYPE,
    "roleArn": ARN,
    "name": printable(1, 128),
    "cacheId": NUMERIC_ID,
    "cacheBehavior": CACHE_BEHAVIOR,
    "runGroupId": NUMERIC_ID,
    "priority": PRIORITY,
    "parameters": Document(),
    "storageCapacity": STORAGE_CAPACITY,
    "outputUri": printable(1, 750),
    "logLevel": LOG_LEVEL,
    "runTags": TAGS,
    "retentionMode": RETENTION_MODE,
    "storageType": STORAGE_TYPE,
    "workflowOwnerId": OWNER_ID,
    "outputBucketOwnerId": ACCOUNT_ID,
    "workflowVersionName": VERSION_NAME,
    "networkingMode": NETWORKING_MODE,
    "configurationName": NAME_TOKEN,
    "engineSettings": Document(),
    "scratchStorageMode": SCRATCH_STORAGE_MODE,
}, required=["workflowId", "roleArn"])

INLINE_SETTING = Structure({
    "runSettingId": printable(1, 128),
    "name": printable(1, 128),
    "outputUri": printable(1, 750),
    "priority": PRIORITY,
    "parameters": Document(),
    "outputBucketOwnerId": ACCOUNT_ID,
    "runTags": TAGS,
    "engineSettings": Document(),
}, required=["runSettingId"])

INLINE_SETTINGS = ListOf(INLINE_SETTING, min=1, max=100)

START_RUN_BATCH = Structure({
    "batchName": printable(1, 64),
    "requestId": REQUEST_ID,
    "tags": TAGS,
    "defaultRunSetting": DEFAULT_RUN_SETTING,
    "batchRunSettings": Union({
        "inlineSettings": INLINE_SETTINGS,
        "s3UriSettings": printable(1, 750),
    }),
}, required=["requestId", "defaultRunSetting", "batchRunSettings"])

BATCH_BY_ID_IN_BODY = Structure({"batchId": NUMERIC_ID}, required=["batchId"])
BATCH_BY_ID = Structure({"batchId": uri(NUMERIC_ID, "batchId")}, required=["batchId"])

LIST_BATCH = Structure({
    "maxItems": query(MAX_RESULTS, "maxItems"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
    "status": query(BATCH_STATUS, "status"),
    "name": query(printable(1, 64), "name"),
    "runGroupId": query(NUMERIC_ID, "runGroupId"),
})

LIST_RUNS_IN_BATCH = Structure({
    "batchId": uri(NUMERIC_ID, "batchId"),
    "maxItems": query(MAX_RESULTS, "maxItems"),
    "startingToken": query(LIST_TOKEN, "startingToken"),
    "submissionStatus": query(SUBMISSION_STATUS, "submissionStatus"),
    "runSettingId": query(String(), "runSettingId"),
    "runId": query(String(), "runId"),
}, required=["batchId"])
