"""Annotation stores (with versions) and variant stores: CREATING, then ACTIVE
(or FAILED) one step later on the job clock; deleting: DELETING, then gone
one step later. Store names are unique across both kinds."""

import secrets

from ..errors import conflict, validation
from ..lifecycle import CREATING, CREATING_FAILS, DELETING, Timeline
from ..records import Record, by_kind, find, listing, matching, new_uuid, require, swept
from ..tags.registry import check_create_tags
from ..values import arn

UNFINISHED = frozenset({"SUBMITTED", "IN_PROGRESS"})
KINDS = {"annotation": ("annotationStore", "Annotation store"),
         "variant": ("variantStore", "Variant store")}


@by_kind(list(KINDS), "create_KIND_store", "get_KIND_store", "list_KIND_stores",
         "update_KIND_store", "delete_KIND_store")
class Stores:
    """Create/Get/List/Update/Delete of both kinds of store, and annotation
    store versions (mixed into AnalyticsApi)."""

    def _sweep(self):
        """Finish what has fallen due; the time of the request."""
        now = self.clock.now()
        for job in self._jobs.values():
            self._advance_job(job, now)
        for kind, stores in self._stores.items():      # (the tag registry sees them gone)
            for store in stores.values():
                store.versions = {name: version for name, version in store.versions.items()
                                  if version.timeline.status(now) != "DELETED"}
            self._stores[kind] = {name: store for name, store in stores.items()
                                  if store.timeline.status(now) != "DELETED"}
        return now

    def _new_version(self, store, name, params, now, failure):
        version = Record(id=new_uuid(), storeId=store["id"], name=store["name"], versionName=name,
                         versionArn=f"{store['storeArn']}/version/{name}", creationTime=now,
                         description=params.get("description", ""), updateTime=now,
                         versionOptions=params.get("versionOptions"), statusMessage=failure or "",
                         versionSizeBytes=0)
        version.timeline = Timeline(now, CREATING_FAILS if failure else CREATING)
        store.versions[name] = version
        self.tags.register(version["versionArn"], params.get("tags"), "ANNOTATION_STORE_VERSION",
                           version["id"], version.timeline)
        return version

    @swept
    def _create_kind_store(self, kind, context, params, now):
        name = params.get("name") or f"{kind}_store_{secrets.token_hex(4)}"
        if any(name in stores for stores in self._stores.values()):
            raise conflict(f"A store named {name} already exists.")
        store_format = params.get("storeFormat", "VCF")
        if store_format != "TSV" and "reference" not in params:
            raise validation(f"A {store_format} store needs a reference.")
        if "storeOptions" in params and store_format != "TSV":
            raise validation("storeOptions apply to TSV stores only.")
        check_create_tags(params.get("tags"))
        failure = self.failures.take(f"{kind}_store")
        store = Record(id=new_uuid(), name=name, storeArn=arn(context.region,
                                                              f"{KINDS[kind][0]}/{name}"),
                       description=params.get("description", ""),
                       reference=params.get("reference"), creationTime=now, updateTime=now,
                       sseConfig=params.get("sseConfig") or {"type": "KMS"},
                       storeFormat=store_format if kind == "annotation" else None,
                       storeOptions=params.get("storeOptions"), statusMessage=failure or "",
                       storeSizeBytes=0)
        store.kind, store.versions = kind, {}
        store.timeline = Timeline(now, CREATING_FAILS if failure else CREATING)
        if kind == "annotation":
            store["versionName"] = params.get("versionName", "default")
            self._new_version(store, store["versionName"], {"tags": params.get("tags")}, now,
                              failure)
        self._stores[kind][name] = store
        self.tags.register(store["storeArn"], params.get("tags"), f"{kind.upper()}_STORE",
                           store["id"], store.timeline)
        return self._store_view(store, now)

    def _store(self, kind, name):
        return find(self._stores[kind], name, KINDS[kind][1])

    @staticmethod
    def _dated(record, now):
        return {**record, "status": record.timeline.status(now),
                "updateTime": max(record["updateTime"], record.timeline.last_change(now))}

    def _store_view(self, store, now):
        return {**self._dated(store, now), "numVersions": len(store.versions),
                "tags": self.tags.tags_of(store["storeArn"])}

    @swept
    def _get_kind_store(self, kind, context, params, now):
        return self._store_view(self._store(kind, params["name"]), now)

    @swept
    def _list_kind_stores(self, kind, context, params, now):
        found = [s for s in matching(self._stores[kind].values())
                 if (params.get("ids") is None or s["id"] in params["ids"])
                 and params.get("filter", {}).get("status") in (None, s.timeline.status(now))]
        return listing(f"{kind}Stores", found, params, lambda s: self._dated(s, now))

    @swept
    def _update_kind_store(self, kind, context, params, now):
        store = self._store(kind, params["name"])
        store.update({k: params[k] for k in ("description",) if k in params}, updateTime=now)
        return self._dated(store, now)

    def _busy_jobs(self, store, now, version_name=None):
        return [j["id"] for j in self._jobs.values()
                if j.kind == store.kind and j["destinationName"] == store["name"]
                and version_name in (None, j.get("versionName"))
                and j.timeline.status(now) in UNFINISHED]

    @swept
    def _delete_kind_store(self, kind, context, params, now):
        store = self._store(kind, params["name"])
        if store.timeline.status(now) != "DELETING":
            busy = self._busy_jobs(store, now)
            if busy and not params.get("force"):
                raise conflict(f"{KINDS[kind][1]} {store['name']} has "
                               f"import jobs in progress ({', '.join(busy)}); use force "
                               "to delete it anyway.")
            for job_id in busy:
                self._cancel(self._jobs[job_id], now)
            for record in [store, *store.versions.values()]:
                record.timeline.reschedule(now, DELETING)
        return {"status": store.timeline.status(now)}

    # --- annotation store versions -----------------------------------------------------

    @swept
    def create_annotation_store_version(self, context, params, now):
        store = self._store("annotation", params["name"])
        require(store, now, f"Annotation store {store['name']}")
        if params["versionName"] in store.versions:
            raise conflict(f"Annotation store {store['name']} "
                           f"already has a version {params['versionName']}.")
        if "versionOptions" in params and store["storeFormat"] != "TSV":
            raise validation("versionOptions apply to TSV stores only.")
        check_create_tags(params.get("tags"))
        version = self._new_version(store, params["versionName"], params, now,
                                    self.failures.take("annotation_store_version"))
        return self._dated(version, now)

    def _version(self, store_name, name):
        return find(self._store("annotation", store_name).versions, name, "Version",
                    f" of annotation store {store_name}")

    @swept
    def get_annotation_store_version(self, context, params, now):
        version = self._version(params["name"], params["versionName"])
        return {**self._dated(version, now), "tags": self.tags.tags_of(version["versionArn"])}

    @swept
    def list_annotation_store_versions(self, context, params, now):
        status = params.get("filter", {}).get("status")
        found = [v for v in matching(self._store("annotation", params["name"]).versions.values())
                 if status in (None, v.timeline.status(now))]
        return listing("annotationStoreVersions", found, params, lambda v: self._dated(v, now))

    @swept
    def update_annotation_store_version(self, context, params, now):
        version = self._version(params["name"], params["versionName"])
        version.update({k: params[k] for k in ("description",) if k in params}, updateTime=now)
        return self._dated(version, now)

    @swept
    def delete_annotation_store_versions(self, context, params, now):
        store = self._store("annotation", params["name"])
        errors = []
        for name in params["versions"]:
            version = store.versions.get(name)
            if version is None:
                errors.append({"versionName": name, "message": f"Version {name} not found."})
                continue
            if version.timeline.status(now) == "DELETING":
                continue
            busy = self._busy_jobs(store, now, name)
            if busy and not params.get("force"):
                errors.append({"versionName": name, "message": f"Version {name} has import "
                               "jobs in progress: " + ", ".join(busy) + "."})
                continue
            for job_id in busy:
                self._cancel(self._jobs[job_id], now)
            version.timeline.reschedule(now, DELETING)
        return {"errors": errors}
