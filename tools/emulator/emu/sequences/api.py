"""Sequence store and read set operations: routes, handlers and response documents."""

from ..messages import Blob
from ..paging import paginate
from ..parts import file_information, read_part
from ..values import iso_timestamp, without_none
from .store import ImportItem, ReadSetAttributes, ReadSetItem

# Lists answer this many items when maxResults is not given, so that clients
# have to follow nextToken.
DEFAULT_PAGE_SIZE = 10


def page(items, params):
    return paginate(items, params.get("maxResults") or DEFAULT_PAGE_SIZE, params.get("nextToken"))


def pick(document, keys):
    """The members of an output shape, in its order, leaving out absent ones."""
    return {key: document[key] for key in keys if document.get(key) is not None}


def stamp(seconds):
    return iso_timestamp(seconds) if seconds is not None else None


def within(value, after, before):
    return (after is None or value >= after) and (before is None or value <= before)


def created_in(item, criteria):
    return within(item.created, criteria.get("createdAfter"), criteria.get("createdBefore"))


# --- sequence stores --------------------------------------------------------

STORE_CREATED = ("id", "arn", "name", "description", "sseConfig", "creationTime",
                 "fallbackLocation", "eTagAlgorithmFamily", "status", "statusMessage",
                 "propagatedSetLevelTags", "s3Access")
STORE_FULL = STORE_CREATED + ("updateTime",)
STORE_DETAIL = ("arn", "id", "name", "description", "sseConfig", "creationTime",
                "fallbackLocation", "eTagAlgorithmFamily", "status", "statusMessage", "updateTime")


def store_document(store, keys):
    return pick({
        "id": store.id,
        "arn": store.arn,
        "name": store.name,
        "description": store.description,
        "sseConfig": store.sse_config,
        "creationTime": iso_timestamp(store.created),
        "updateTime": iso_timestamp(store.updated),
        "fallbackLocation": store.fallback_location,
        "eTagAlgorithmFamily": store.etag_family,
        "status": store.status,
        "propagatedSetLevelTags": store.propagated_tags,
        "s3Access": without_none({"s3Uri": store.s3_uri,
                                  "s3AccessPointArn": store.access_point_arn,
                                  "accessLogLocation": store.access_log_location}),
    }, keys)


# --- read sets --------------------------------------------------------------

READ_SET_ITEM = ("id", "arn", "sequenceStoreId", "subjectId", "sampleId", "status", "name",
                 "description", "referenceArn", "fileType", "sequenceInformation",
                 "creationTime", "statusMessage", "creationType", "etag")
READ_SET_METADATA = ("id", "arn", "sequenceStoreId", "subjectId", "sampleId", "status", "name",
                     "description", "fileType", "creationTime", "sequenceInformation",
                     "referenceArn", "files", "statusMessage", "creationType", "etag",
                     "creationJobId")


def read_set_document(read_set, keys, part_size=None, store=None):
    attributes = read_set.attributes
    document = {
        "id": read_set.id,
        "arn": read_set.arn,
        "sequenceStoreId": read_set.store_id,
        "subjectId": attributes.subject_id,
        "sampleId": attributes.sample_id,
        "status": read_set.status,
        "name": attributes.name,
        "description": attributes.description,
        "referenceArn": attributes.reference_arn,
        "fileType": attributes.file_type,
        "sequenceInformation": read_set.sequence_information,
        "creationTime": iso_timestamp(read_set.created),
        "statusMessage": read_set.status_message,
        "creationType": read_set.creation_type,
        "etag": read_set.etag,
        "creationJobId": read_set.creation_job_id,
    }
    if "files" in keys:
        document["files"] = {}
        for name, data in read_set.files().items():
            information = file_information(data, part_size)
            information["s3Access"] = {"s3Uri": f"{store.s3_uri}readSet/{read_set.id}/{name}"}
            document["files"][name] = information
    return pick(document, keys)


def read_set_matches(read_set, criteria):
    attributes = read_set.attributes
    wanted = {"name": attributes.name, "status": read_set.status,
              "sampleId": attributes.sample_id, "subjectId": attributes.subject_id,
              "generatedFrom": attributes.generated_from, "creationType": read_set.creation_type}
    if any(key in criteria and criteria[key] != value for key, value in wanted.items()):
        return False
    if "referenceArn" in criteria and criteria["referenceArn"] != (attributes.reference_arn or ""):
        return False
    return created_in(read_set, criteria)


# --- uploads ----------------------------------------------------------------

UPLOAD_KEYS = ("sequenceStoreId", "uploadId", "sourceFileType", "subjectId", "sampleId",
               "generatedFrom", "referenceArn", "name", "description", "tags", "creationTime")


def upload_document(upload):
    attributes = upload.attributes
    return pick({
        "sequenceStoreId": upload.store_id,
        "uploadId": upload.id,
        "sourceFileType": attributes.file_type,
        "subjectId": attributes.subject_id,
        "sampleId": attributes.sample_id,
        "generatedFrom": attributes.generated_from,
        "referenceArn": attributes.reference_arn,
        "name": attributes.name,
        "description": attributes.description,
        "tags": attributes.tags,
        "creationTime": iso_timestamp(upload.created),
    }, UPLOAD_KEYS)


def part_document(part):
    return {"partNumber": part.number, "partSize": len(part.data), "partSource": part.source,
            "checksum": part.checksum, "creationTime": iso_timestamp(part.created),
            "lastUpdatedTime": iso_timestamp(part.updated)}


# --- jobs -------------------------------------------------------------------

JOB_LIST_KEYS = {
    "import": ("id", "sequenceStoreId", "roleArn", "status", "creationTime", "completionTime"),
    "activation": ("id", "sequenceStoreId", "status", "creationTime", "completionTime"),
    "export": ("id", "sequenceStoreId", "destination", "status", "creationTime", "completionTime"),
}
JOB_STARTED_KEYS = {
    "import": ("id", "sequenceStoreId", "roleArn", "status", "creationTime"),
    "activation": ("id", "sequenceStoreId", "status", "creationTime"),
    "export": ("id", "sequenceStoreId", "destination", "status", "creationTime"),
}
JOB_LIST_MEMBER = {"import": "importJobs", "activation": "activationJobs", "export": "exportJobs"}


def job_document(job, keys):
    return pick({
        "id": job.id,
        "sequenceStoreId": job.store_id,
        "roleArn": job.role_arn,
        "destination": job.destination,
        "status": job.status,
        "statusMessage": job.status_message,
        "creationTime": iso_timestamp(job.created),
        "completionTime": stamp(job.completed),
    }, keys)


def import_item_document(item):
    attributes = item.attributes
    return pick({
        "sourceFiles": without_none({"source1": item.source1, "source2": item.source2}),
        "sourceFileType": attributes.file_type,
        "status": item.status,
        "statusMessage": item.status_message,
        "subjectId": attributes.subject_id,
        "sampleId": attributes.sample_id,
        "generatedFrom": attributes.generated_from,
        "referenceArn": attributes.reference_arn,
        "name": attributes.name,
        "description": attributes.description,
        "tags": attributes.tags,
        "readSetId": item.read_set_id,
    }, ("sourceFiles", "sourceFileType", "status", "statusMessage", "subjectId", "sampleId",
        "generatedFrom", "referenceArn", "name", "description", "tags", "readSetId"))


def job_details(job):
    """GetReadSet*Job: the list item's members plus statusMessage and the per-item states."""
    keys = JOB_LIST_KEYS[job.kind]
    document = job_document(job, keys[:-2] + ("statusMessage",) + keys[-2:])
    if job.kind == "import":
        document["sources"] = [import_item_document(item) for item in job.items]
    elif job.kind == "activation":
        document["sources"] = [without_none({"readSetId": item.read_set_id, "status": item.status,
                                             "statusMessage": item.status_message})
                               for item in job.items]
    else:
        document["readSets"] = [without_none({"id": item.read_set_id, "status": item.status,
                                              "statusMessage": item.status_message})
                                for item in job.items]
    return document


class SequenceApi:
    def __init__(self, backend, part_size):
        self.backend = backend
        self.part_size = part_size
        for kind in ("import", "activation", "export"):
            setattr(self, f"get_read_set_{kind}_job", self.job_getter(kind))
            setattr(self, f"list_read_set_{kind}_jobs", self.job_lister(kind))

    # --- stores -----------------------------------------------------------

    def create_sequence_store(self, context, params):
        return store_document(self.backend.create_store(context.region, params), STORE_CREATED)

    def get_sequence_store(self, context, params):
        return store_document(self.backend.get_store(params["id"]), STORE_FULL)

    def list_sequence_stores(self, context, params):
        criteria = params.get("filter", {})
        stores = [s for s in self.backend.list_stores()
                  if criteria.get("name") in (None, s.name)
                  and criteria.get("status") in (None, s.status)
                  and created_in(s, criteria)
                  and within(s.updated, criteria.get("updatedAfter"), criteria.get("updatedBefore"))]
        chosen, token = page(stores, params)
        return without_none({"sequenceStores": [store_document(s, STORE_DETAIL) for s in chosen],
                             "nextToken": token})

    def update_sequence_store(self, context, params):
        return store_document(self.backend.update_store(params["id"], params), STORE_FULL)

    def delete_sequence_store(self, context, params):
        self.backend.delete_store(params["id"])
        return {}

    # --- S3 access policies -----------------------------------------------

    @staticmethod
    def access_point_document(store):
        return {"s3AccessPointArn": store.access_point_arn, "storeId": store.id,
                "storeType": "SEQUENCE_STORE"}

    def get_s3_access_policy(self, context, params):
        store = self.backend.get_access_policy(params["s3AccessPointArn"])
        document = self.access_point_document(store)
        document["updateTime"] = iso_timestamp(store.access_policy_updated)
        document["s3AccessPolicy"] = store.access_policy
        return document

    def put_s3_access_policy(self, context, params):
        store = self.backend.put_access_policy(params["s3AccessPointArn"], params["s3AccessPolicy"])
        return self.access_point_document(store)

    def delete_s3_access_policy(self, context, params):
        self.backend.delete_access_policy(params["s3AccessPointArn"])
        return {}

    # --- jobs -------------------------------------------------------------

    def started(self, job):
        return job_document(job, JOB_STARTED_KEYS[job.kind])

    def start_read_set_import_job(self, context, params):
        items = [ImportItem(source["sourceFiles"]["source1"], source["sourceFiles"].get("source2"),
                            ReadSetAttributes.from_params(source))
                 for source in params["sources"]]
        return self.started(self.backend.start_job(
            params["sequenceStoreId"], "import", items, params.get("clientToken"),
            role_arn=params["roleArn"]))

    def start_read_set_activation_job(self, context, params):
        items = [ReadSetItem(source["readSetId"]) for source in params["sources"]]
        return self.started(self.backend.start_job(
            params["sequenceStoreId"], "activation", items, params.get("clientToken")))

    def start_read_set_export_job(self, context, params):
        items = [ReadSetItem(source["readSetId"]) for source in params["sources"]]
        return self.started(self.backend.start_job(
            params["sequenceStoreId"], "export", items, params.get("clientToken"),
            role_arn=params["roleArn"], destination=params["destination"]))

    def job_getter(self, kind):
        def get_job(context, params):
            return job_details(self.backend.get_job(params["sequenceStoreId"], kind, params["id"]))
        return get_job

    def job_lister(self, kind):
        def list_jobs(context, params):
            criteria = params.get("filter", {})
            jobs = [j for j in self.backend.list_jobs(params["sequenceStoreId"], kind)
                    if criteria.get("status") in (None, j.status) and created_in(j, criteria)]
            chosen, token = page(jobs, params)
            return without_none({
                JOB_LIST_MEMBER[kind]: [job_document(j, JOB_LIST_KEYS[kind]) for j in chosen],
                "nextToken": token})
        return list_jobs

    # --- read sets --------------------------------------------------------

    def list_read_sets(self, context, params):
        criteria = params.get("filter", {})
        read_sets = [r for r in self.backend.list_read_sets(params["sequenceStoreId"])
                     if read_set_matches(r, criteria)]
        chosen, token = page(read_sets, params)
        return without_none({"readSets": [read_set_document(r, READ_SET_ITEM) for r in chosen],
                             "nextToken": token})

    def get_read_set_metadata(self, context, params):
        store_id = params["sequenceStoreId"]
        read_set = self.backend.get_read_set(store_id, params["id"])
        return read_set_document(read_set, READ_SET_METADATA, self.part_size,
                                 self.backend.get_store(store_id))

    def get_read_set(self, context, params):
        data = self.backend.read_set_file(params["sequenceStoreId"], params["id"],
                                          params.get("file", "SOURCE1"))
        return Blob(read_part(data, self.part_size, params["partNumber"]))

    def batch_delete_read_set(self, context, params):
        errors = self.backend.batch_delete(params["sequenceStoreId"], params["ids"])
        if not errors:
            return {}
        return {"errors": [{"id": i, "code": code, "message": message}
                           for i, code, message in errors]}

    # --- multipart uploads ------------------------------------------------

    def create_multipart_read_set_upload(self, context, params):
        return upload_document(self.backend.create_upload(params["sequenceStoreId"], params))

    def upload_read_set_part(self, context, params):
        checksum = self.backend.upload_part(params["sequenceStoreId"], params["uploadId"],
                                            params["partSource"], params["partNumber"],
                                            context.request.body)
        return {"checksum": checksum}

    def list_read_set_upload_parts(self, context, params):
        criteria = params.get("filter", {})
        parts = [p for p in self.backend.list_parts(params["sequenceStoreId"], params["uploadId"],
                                                    params["partSource"])
                 if created_in(p, criteria)]
        chosen, token = page(parts, params)
        return without_none({"parts": [part_document(p) for p in chosen], "nextToken": token})

    def complete_multipart_read_set_upload(self, context, params):
        read_set = self.backend.complete_upload(params["sequenceStoreId"], params["uploadId"],
                                                params["parts"])
        return {"readSetId": read_set.id}

    def abort_multipart_read_set_upload(self, context, params):
        self.backend.abort_upload(params["sequenceStoreId"], params["uploadId"])
        return {}

    def list_multipart_read_set_uploads(self, context, params):
        chosen, token = page(self.backend.list_uploads(params["sequenceStoreId"]), params)
        return without_none({"uploads": [upload_document(u) for u in chosen], "nextToken": token})
