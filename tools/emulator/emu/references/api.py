"""Reference store operations: routes, handlers and response documents."""

from ..messages import Blob
from ..parts import file_information, read_part
from ..values import iso_timestamp, without_none
from ..paging import paginate
from .store import ImportSource


def created_in(item, criteria):
    after, before = criteria.get("createdAfter"), criteria.get("createdBefore")
    return (after is None or item.created >= after) and (before is None or item.created <= before)


def store_document(store):
    return without_none({
        "id": store.id,
        "arn": store.arn,
        "name": store.name,
        "description": store.description,
        "sseConfig": store.sse_config,
        "creationTime": iso_timestamp(store.created),
    })


def reference_item_document(reference):
    return without_none({
        "id": reference.id,
        "arn": reference.arn,
        "referenceStoreId": reference.store_id,
        "md5": reference.md5,
        "status": reference.status,
        "name": reference.name,
        "description": reference.description,
        "creationTime": iso_timestamp(reference.created),
        "updateTime": iso_timestamp(reference.updated),
    })


def job_item_document(job):
    return without_none({
        "id": job.id,
        "referenceStoreId": job.store_id,
        "roleArn": job.role_arn,
        "status": job.status,
        "creationTime": iso_timestamp(job.created),
        "completionTime": iso_timestamp(job.completed) if job.finished else None,
    })


def job_source_document(source):
    return without_none({
        "sourceFile": source.source_file,
        "status": source.status,
        "statusMessage": source.status_message,
        "name": source.name,
        "description": source.description,
        "tags": source.tags,
        "referenceId": source.reference_id,
    })


class ReferenceApi:
    def __init__(self, backend, part_size):
        self.backend = backend
        self.part_size = part_size

    # --- stores -----------------------------------------------------------

    def create_reference_store(self, context, params):
        store = self.backend.create_store(context.region, params["name"], params.get("description"),
                                          params.get("sseConfig"), params.get("tags"),
                                          params.get("clientToken"))
        return store_document(store)

    def get_reference_store(self, context, params):
        return store_document(self.backend.get_store(params["id"]))

    def list_reference_stores(self, context, params):
        criteria = params.get("filter", {})
        stores = [s for s in self.backend.list_stores()
                  if criteria.get("name") in (None, s.name) and created_in(s, criteria)]
        page, token = paginate(stores, params.get("maxResults"), params.get("nextToken"))
        return without_none({"referenceStores": [store_document(s) for s in page], "nextToken": token})

    def delete_reference_store(self, context, params):
        self.backend.delete_store(params["id"])
        return {}

    # --- import jobs ------------------------------------------------------

    def start_reference_import_job(self, context, params):
        sources = [ImportSource(s["sourceFile"], s["name"], s.get("description"), s.get("tags"))
                   for s in params["sources"]]
        job = self.backend.start_import(params["referenceStoreId"], params["roleArn"], sources,
                                        params.get("clientToken"))
        return {"id": job.id, "referenceStoreId": job.store_id, "roleArn": job.role_arn,
                "status": job.status, "creationTime": iso_timestamp(job.created)}

    def get_reference_import_job(self, context, params):
        job = self.backend.get_job(params["referenceStoreId"], params["id"])
        document = job_item_document(job)
        document["sources"] = [job_source_document(s) for s in job.sources]
        if job.status_message:
            document["statusMessage"] = job.status_message
        return document

    def list_reference_import_jobs(self, context, params):
        criteria = params.get("filter", {})
        jobs = [j for j in self.backend.list_jobs(params["referenceStoreId"])
                if criteria.get("status") in (None, j.status) and created_in(j, criteria)]
        page, token = paginate(jobs, params.get("maxResults"), params.get("nextToken"))
        return without_none({"importJobs": [job_item_document(j) for j in page], "nextToken": token})

    # --- references -------------------------------------------------------

    def list_references(self, context, params):
        criteria = params.get("filter", {})
        references = [r for r in self.backend.list_references(params["referenceStoreId"])
                      if criteria.get("name") in (None, r.name)
                      and criteria.get("md5") in (None, r.md5) and created_in(r, criteria)]
        page, token = paginate(references, params.get("maxResults"), params.get("nextToken"))
        return without_none({"references": [reference_item_document(r) for r in page],
                             "nextToken": token})

    def get_reference_metadata(self, context, params):
        reference = self.backend.get_reference(params["referenceStoreId"], params["id"])
        document = reference_item_document(reference)
        document["files"] = {"source": file_information(reference.source, self.part_size),
                             "index": file_information(reference.index, self.part_size)}
        document["creationType"] = "IMPORT"
        if reference.creation_job_id:
            document["creationJobId"] = reference.creation_job_id
        return document

    def get_reference(self, context, params):
        reference = self.backend.get_reference(params["referenceStoreId"], params["id"])
        data = reference.index if params.get("file") == "INDEX" else reference.source
        return Blob(read_part(data, self.part_size, params["partNumber"], params.get("range")))

    def delete_reference(self, context, params):
        self.backend.delete_reference(params["referenceStoreId"], params["id"])
        return {}
