"""Annotation store, variant store and import job operations: routes,
handlers and response documents."""

from ..paging import paginate
from ..values import iso_timestamp, without_none

PAGE_SIZE = 10          # default page size, so that clients have to page


def when(seconds):
    return iso_timestamp(seconds) if seconds is not None else None


def page_of(items, params):
    return paginate(items, params.get("maxResults") or PAGE_SIZE, params.get("nextToken"))


class AnalyticsApi:
    def __init__(self, backend):
        self.backend = backend

    # --- documents --------------------------------------------------------------

    def store_document(self, store, now, full=True):
        status = store.timeline.status(now)
        document = {
            "id": store.id,
            "reference": store.reference,
            "status": status,
            "storeArn": store.arn,
            "name": store.name,
            "description": store.description,
            "sseConfig": store.sse_config,
            "creationTime": when(store.created),
            "updateTime": when(max(store.updated, store.timeline.last_change(now))),
            "statusMessage": store.status_message,
            "storeSizeBytes": store.size_bytes,
        }
        if store.kind == "annotation":
            document["storeFormat"] = store.store_format
            if full:
                document["storeOptions"] = store.store_options
                document["numVersions"] = len(store.versions)
        if full:
            document["tags"] = self.backend.tags_of(store.arn)
        return without_none(document)

    def version_document(self, version, now, full=True):
        document = {
            "storeId": version.store.id,
            "id": version.id,
            "status": version.timeline.status(now),
            "versionArn": version.arn,
            "name": version.store.name,
            "versionName": version.name,
            "description": version.description,
            "creationTime": when(version.created),
            "updateTime": when(max(version.updated, version.timeline.last_change(now))),
            "statusMessage": version.status_message,
            "versionSizeBytes": version.size_bytes,
        }
        if full:
            document["versionOptions"] = version.options
            document["tags"] = self.backend.tags_of(version.arn)
        return without_none(document)

    @staticmethod
    def job_document(job, now, full=True):
        document = {
            "id": job.id,
            "destinationName": job.destination_name,
            "versionName": job.version_name,
            "roleArn": job.role_arn,
            "status": job.status(now),
            "creationTime": when(job.created),
            "updateTime": when(job.timeline.last_change(now)),
            "completionTime": when(job.completed),
            "runLeftNormalization": job.run_left_normalization,
            "annotationFields": job.annotation_fields,
        }
        if full:
            document["statusMessage"] = job.status_message
            document["formatOptions"] = job.format_options
            document["items"] = [without_none({
                "source": item.source, "jobStatus": item.status,
                "statusMessage": item.status_message if job.kind == "variant" else None,
            }) for item in job.items]
        return without_none(document)

    # --- stores -------------------------------------------------------------------

    def _create_store(self, kind, context, params):
        now = self.backend.now()
        store = self.backend.create_store(kind, context.region, params, now)
        document = {"id": store.id, "reference": store.reference,
                    "status": store.timeline.status(now), "name": store.name,
                    "creationTime": when(store.created)}
        if kind == "annotation":
            document.update({"storeFormat": store.store_format,
                             "storeOptions": store.store_options,
                             "versionName": store.default_version})
        return without_none(document)

    def _get_store(self, kind, params):
        now = self.backend.now()
        return self.store_document(self.backend.get_store(kind, params["name"], now), now)

    def _list_stores(self, kind, key, params):
        now = self.backend.now()
        stores = self.backend.list_stores(kind, now, params.get("ids"),
                                          params.get("filter", {}).get("status"))
        page, token = page_of(stores, params)
        return without_none({key: [self.store_document(s, now, full=False) for s in page],
                             "nextToken": token})

    def _update_store(self, kind, params):
        now = self.backend.now()
        store = self.backend.update_store(kind, params["name"], params, now)
        document = self.store_document(store, now, full=False)
        keep = ("id", "reference", "status", "name", "description", "creationTime", "updateTime",
                "storeOptions", "storeFormat")
        if kind == "annotation":
            document["storeOptions"] = store.store_options
        return without_none({k: document.get(k) for k in keep})

    def _delete_store(self, kind, params):
        now = self.backend.now()
        store = self.backend.delete_store(kind, params["name"], params.get("force", False), now)
        return {"status": store.timeline.status(now)}

    def create_annotation_store(self, context, params):
        return self._create_store("annotation", context, params)

    def get_annotation_store(self, context, params):
        return self._get_store("annotation", params)

    def list_annotation_stores(self, context, params):
        return self._list_stores("annotation", "annotationStores", params)

    def update_annotation_store(self, context, params):
        return self._update_store("annotation", params)

    def delete_annotation_store(self, context, params):
        return self._delete_store("annotation", params)

    def create_variant_store(self, context, params):
        return self._create_store("variant", context, params)

    def get_variant_store(self, context, params):
        return self._get_store("variant", params)

    def list_variant_stores(self, context, params):
        return self._list_stores("variant", "variantStores", params)

    def update_variant_store(self, context, params):
        return self._update_store("variant", params)

    def delete_variant_store(self, context, params):
        return self._delete_store("variant", params)

    # --- annotation store versions ------------------------------------------------------

    def create_annotation_store_version(self, context, params):
        now = self.backend.now()
        version = self.backend.create_version(params, now)
        return without_none({"id": version.id, "versionName": version.name,
                             "storeId": version.store.id, "versionOptions": version.options,
                             "name": version.store.name, "status": version.timeline.status(now),
                             "creationTime": when(version.created)})

    def get_annotation_store_version(self, context, params):
        now = self.backend.now()
        version = self.backend.get_version(params["name"], params["versionName"], now)
        return self.version_document(version, now)

    def list_annotation_store_versions(self, context, params):
        now = self.backend.now()
        versions = self.backend.list_versions(params["name"], now,
                                              params.get("filter", {}).get("status"))
        page, token = page_of(versions, params)
        return without_none({"annotationStoreVersions": [self.version_document(v, now, full=False)
                                                         for v in page], "nextToken": token})

    def update_annotation_store_version(self, context, params):
        now = self.backend.now()
        version = self.backend.update_version(params["name"], params["versionName"], params, now)
        document = self.version_document(version, now, full=False)
        keep = ("storeId", "id", "status", "name", "versionName", "description", "creationTime",
                "updateTime")
        return {k: document[k] for k in keep}

    def delete_annotation_store_versions(self, context, params):
        errors = self.backend.delete_versions(params["name"], params["versions"],
                                              params.get("force", False), self.backend.now())
        return {"errors": [{"versionName": name, "message": message} for name, message in errors]}

    # --- import jobs ----------------------------------------------------------------------

    def _start_import(self, kind, params):
        job = self.backend.start_import(kind, params, self.backend.now())
        return {"jobId": job.id}

    def _get_import(self, kind, params):
        now = self.backend.now()
        return self.job_document(self.backend.get_job(kind, params["jobId"], now), now)

    def _list_imports(self, kind, key, params):
        now = self.backend.now()
        criteria = params.get("filter", {})
        jobs = self.backend.list_jobs(kind, now, params.get("ids"), criteria.get("status"),
                                      criteria.get("storeName"))
        page, token = page_of(jobs, params)
        return without_none({key: [self.job_document(j, now, full=False) for j in page],
                             "nextToken": token})

    def _cancel_import(self, kind, params):
        self.backend.cancel_job(kind, params["jobId"], self.backend.now())
        return {}

    def start_annotation_import_job(self, context, params):
        return self._start_import("annotation", params)

    def get_annotation_import_job(self, context, params):
        return self._get_import("annotation", params)

    def list_annotation_import_jobs(self, context, params):
        return self._list_imports("annotation", "annotationImportJobs", params)

    def cancel_annotation_import_job(self, context, params):
        return self._cancel_import("annotation", params)

    def start_variant_import_job(self, context, params):
        return self._start_import("variant", params)

    def get_variant_import_job(self, context, params):
        return self._get_import("variant", params)

    def list_variant_import_jobs(self, context, params):
        return self._list_imports("variant", "variantImportJobs", params)

    def cancel_variant_import_job(self, context, params):
        return self._cancel_import("variant", params)
