"""In-memory annotation stores (with versions), variant stores and their import jobs.

On the job clock (see emu/lifecycle.py):

- stores and versions: CREATING, then ACTIVE (or FAILED) one step later;
  deleting: DELETING, then gone one step later.
- import jobs: SUBMITTED, IN_PROGRESS one step later, and done one more step
  later: COMPLETED, or FAILED (COMPLETED_WITH_FAILURES when only some items
  fail) when a source is missing under the S3 root or the fail_next switch
  says so. A completed job adds the size of its sources to the store (and
  version). Cancelling a job that has not finished makes it CANCELLED at once.

Work that falls due is done when the backend is next used, stamped with the
time it was due.
"""

import itertools
import secrets
import threading
import uuid
from dataclasses import dataclass, field

from ..errors import ServiceError, not_found, validation
from ..lifecycle import Timeline
from ..tags.registry import check_create_tags
from ..values import arn

STEP = 1.0
FAIL_KINDS = ("annotation_store", "annotation_store_version", "variant_store",
              "annotation_import", "variant_import")
DEFAULT_VERSION_NAME = "default"
STORE_STEPS = [(0, "CREATING"), (STEP, "ACTIVE")]
STORE_FAILING = [(0, "CREATING"), (STEP, "FAILED")]
DELETE_STEPS = [(0, "DELETING"), (STEP, "DELETED")]
JOB_STEPS = [(0, "SUBMITTED"), (STEP, "IN_PROGRESS")]
JOB_DONE_AFTER = 2 * STEP
JOB_UNFINISHED = frozenset({"SUBMITTED", "IN_PROGRESS"})
KIND_WORDS = {"annotation": ("annotationStore", "Annotation store"),
              "variant": ("variantStore", "Variant store")}


def new_resource_id():
    return str(uuid.uuid4())


@dataclass
class StoreVersion:
    seq: int
    id: str
    store: "AnalyticsStore"
    name: str
    arn: str
    description: str
    options: dict
    created: float
    updated: float
    timeline: Timeline
    status_message: str = ""
    size_bytes: int = 0


@dataclass
class AnalyticsStore:
    seq: int
    kind: str                 # "annotation" or "variant"
    id: str
    name: str
    arn: str
    description: str
    reference: dict
    sse_config: dict
    store_format: str
    store_options: dict
    created: float
    updated: float
    timeline: Timeline
    status_message: str = ""
    size_bytes: int = 0
    default_version: str = None
    versions: dict = field(default_factory=dict)   # name -> StoreVersion (annotation stores)


@dataclass
class ImportItem:
    source: str
    status: str = "SUBMITTED"
    status_message: str = None


@dataclass
class ImportJob:
    seq: int
    kind: str
    id: str
    destination_name: str
    version_name: str
    role_arn: str
    items: list
    run_left_normalization: bool
    format_options: dict
    annotation_fields: dict
    created: float
    timeline: Timeline
    forced_failure: str = None
    status_message: str = ""
    completed: float = None

    def status(self, now):
        return self.timeline.status(now)


class AnalyticsBackend:
    def __init__(self, clock, s3, tags, failures):
        self.clock = clock
        self.s3 = s3
        self.tags = tags
        self.failures = failures
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._seq = itertools.count(1)
            self._stores = {"annotation": {}, "variant": {}}   # kind -> name -> store
            self._jobs = {}                                      # id -> ImportJob

    def now(self):
        return self.clock.now()

    def tags_of(self, resource_arn):
        found = self.tags.find(resource_arn)
        return dict(found.tags) if found else {}

    # --- the clock's work -------------------------------------------------------

    def _sweep(self, now):
        for job in self._jobs.values():
            if job.completed is None and now >= job.created + JOB_DONE_AFTER:
                self._finish(job, job.created + JOB_DONE_AFTER)
            elif job.completed is None:
                for item in job.items:
                    item.status = job.status(now)
        for stores in self._stores.values():
            for name, store in list(stores.items()):
                for version_name, version in list(store.versions.items()):
                    if version.timeline.status(now) == "DELETED":
                        del store.versions[version_name]
                        self.tags.forget(version.arn)
                if store.timeline.status(now) == "DELETED":
                    del stores[name]
                    self.tags.forget(store.arn)
                    for version in store.versions.values():
                        self.tags.forget(version.arn)

    def _finish(self, job, when):
        store = self._stores[job.kind].get(job.destination_name)
        added = 0
        for item in job.items:
            if job.forced_failure:
                item.status, item.status_message = "FAILED", job.forced_failure
                continue
            try:
                added += len(self.s3.read(item.source))
            except FileNotFoundError:
                item.status, item.status_message = "FAILED", f"Source file not found: {item.source}"
            except (OSError, ValueError) as exc:
                item.status, item.status_message = "FAILED", f"Cannot read {item.source}: {exc}"
            else:
                item.status = "COMPLETED"
        failures = [item for item in job.items if item.status == "FAILED"]
        if not failures:
            outcome = "COMPLETED"
        elif len(failures) == len(job.items):
            outcome = "FAILED"
            job.status_message = failures[0].status_message
        else:
            outcome = "COMPLETED_WITH_FAILURES"
            job.status_message = f"{len(failures)} of {len(job.items)} items failed."
        if store is not None and added:
            store.size_bytes += added
            store.updated = when
            version = store.versions.get(job.version_name)
            if version is not None:
                version.size_bytes += added
                version.updated = when
        job.timeline.events.append((when, outcome))
        job.completed = when

    # --- stores ---------------------------------------------------------------------

    def _taken(self, name):
        return any(name in stores for stores in self._stores.values())

    def create_store(self, kind, region, params, now):
        with self._lock:
            self._sweep(now)
            name = params.get("name") or f"{kind}_store_{secrets.token_hex(4)}"
            if self._taken(name):
                raise ServiceError("ConflictException", f"A store named {name} already exists.")
            store_format = params.get("storeFormat", "VCF")
            if store_format != "TSV" and "reference" not in params:
                raise validation(f"A {store_format} store needs a reference.")
            if "storeOptions" in params and store_format != "TSV":
                raise validation("storeOptions apply to TSV stores only.")
            check_create_tags(params.get("tags"))
            word, _ = KIND_WORDS[kind]
            failure = self.failures.take(f"{kind}_store")
            store = AnalyticsStore(next(self._seq), kind, new_resource_id(), name,
                                   arn(region, f"{word}/{name}"), params.get("description", ""),
                                   params.get("reference"), params.get("sseConfig") or {"type": "KMS"},
                                   store_format if kind == "annotation" else None,
                                   params.get("storeOptions"), now, now,
                                   Timeline(now, STORE_FAILING if failure else STORE_STEPS),
                                   failure or "")
            if kind == "annotation":
                store.default_version = params.get("versionName", DEFAULT_VERSION_NAME)
                version = self._new_version(store, store.default_version, "", None, now,
                                            Timeline(now, STORE_FAILING if failure else STORE_STEPS),
                                            failure or "")
                self.tags.register(version.arn, params.get("tags"), "ANNOTATION_STORE_VERSION",
                                   version.id, self._exists(store, version))
            self._stores[kind][name] = store
            self.tags.register(store.arn, params.get("tags"), f"{kind.upper()}_STORE", store.id,
                               self._exists(store))
            return store

    def _exists(self, store, version=None):
        """For the tag registry: whether the store (or version) is still there.
        Called without the backend's lock; it only reads."""
        def exists():
            now = self.clock.now()
            if (self._stores[store.kind].get(store.name) is not store
                    or store.timeline.status(now) == "DELETED"):
                return False
            return version is None or (store.versions.get(version.name) is version
                                       and version.timeline.status(now) != "DELETED")
        return exists

    def get_store(self, kind, name, now):
        with self._lock:
            self._sweep(now)
            store = self._stores[kind].get(name)
            if store is None:
                raise not_found(f"{KIND_WORDS[kind][1]} {name} not found.")
            return store

    def list_stores(self, kind, now, ids=None, status=None):
        with self._lock:
            self._sweep(now)
            return sorted((s for s in self._stores[kind].values()
                           if (ids is None or s.id in ids)
                           and status in (None, s.timeline.status(now))),
                          key=lambda s: s.seq)

    def update_store(self, kind, name, params, now):
        with self._lock:
            store = self.get_store(kind, name, now)
            if "description" in params:
                store.description = params["description"]
            store.updated = now
            return store

    def _busy_jobs(self, store, now, version_name=None):
        return [j.id for j in self._jobs.values()
                if j.kind == store.kind and j.destination_name == store.name
                and version_name in (None, j.version_name) and j.status(now) in JOB_UNFINISHED]

    def delete_store(self, kind, name, force, now):
        with self._lock:
            store = self.get_store(kind, name, now)
            if store.timeline.status(now) == "DELETING":
                return store
            busy = self._busy_jobs(store, now)
            if busy and not force:
                raise ServiceError("ConflictException",
                                   f"{KIND_WORDS[kind][1]} {name} has import jobs in progress "
                                   f"({', '.join(busy)}); use force to delete it anyway.")
            for job_id in busy:
                self._cancel(self._jobs[job_id], now)
            store.timeline.reschedule(now, DELETE_STEPS)
            for version in store.versions.values():
                version.timeline.reschedule(now, DELETE_STEPS)
            return store

    # --- annotation store versions ------------------------------------------------------

    def _new_version(self, store, name, description, options, now, timeline, message=""):
        version = StoreVersion(next(self._seq), new_resource_id(), store, name,
                               f"{store.arn}/version/{name}", description, options, now, now,
                               timeline, message)
        store.versions[name] = version
        return version

    def create_version(self, params, now):
        with self._lock:
            store = self.get_store("annotation", params["name"], now)
            status = store.timeline.status(now)
            if status != "ACTIVE":
                raise ServiceError("ConflictException",
                                   f"Annotation store {store.name} is {status}, not ACTIVE.")
            name = params["versionName"]
            if name in store.versions:
                raise ServiceError("ConflictException",
                                   f"Annotation store {store.name} already has a version {name}.")
            if "versionOptions" in params and store.store_format != "TSV":
                raise validation("versionOptions apply to TSV stores only.")
            check_create_tags(params.get("tags"))
            failure = self.failures.take("annotation_store_version")
            version = self._new_version(store, name, params.get("description", ""),
                                        params.get("versionOptions"), now,
                                        Timeline(now, STORE_FAILING if failure else STORE_STEPS),
                                        failure or "")
            self.tags.register(version.arn, params.get("tags"), "ANNOTATION_STORE_VERSION",
                               version.id, self._exists(store, version))
            return version

    def get_version(self, store_name, name, now):
        with self._lock:
            store = self.get_store("annotation", store_name, now)
            version = store.versions.get(name)
            if version is None:
                raise not_found(f"Version {name} of annotation store {store_name} not found.")
            return version

    def list_versions(self, store_name, now, status=None):
        with self._lock:
            store = self.get_store("annotation", store_name, now)
            return sorted((v for v in store.versions.values()
                           if status in (None, v.timeline.status(now))), key=lambda v: v.seq)

    def update_version(self, store_name, name, params, now):
        with self._lock:
            version = self.get_version(store_name, name, now)
            if "description" in params:
                version.description = params["description"]
            version.updated = now
            return version

    def delete_versions(self, store_name, names, force, now):
        """[(version name, message)] for the versions that could not be deleted."""
        with self._lock:
            store = self.get_store("annotation", store_name, now)
            errors = []
            for name in names:
                version = store.versions.get(name)
                if version is None:
                    errors.append((name, f"Version {name} not found."))
                    continue
                if version.timeline.status(now) == "DELETING":
                    continue
                busy = self._busy_jobs(store, now, name)
                if busy and not force:
                    errors.append((name, f"Version {name} has import jobs in progress: "
                                   + ", ".join(busy) + "."))
                    continue
                for job_id in busy:
                    self._cancel(self._jobs[job_id], now)
                version.timeline.reschedule(now, DELETE_STEPS)
            return errors

    # --- import jobs ----------------------------------------------------------------------

    def start_import(self, kind, params, now):
        with self._lock:
            store = self.get_store(kind, params["destinationName"], now)
            status = store.timeline.status(now)
            if status != "ACTIVE":
                raise validation(f"{KIND_WORDS[kind][1]} {store.name} is {status}, not ACTIVE.")
            version_name = None
            if kind == "annotation":
                version_name = params.get("versionName", store.default_version)
                version = self.get_version(store.name, version_name, now)
                status = version.timeline.status(now)
                if status != "ACTIVE":
                    raise validation(f"Version {version_name} of annotation store {store.name} "
                                     f"is {status}, not ACTIVE.")
            failure = self.failures.take(f"{kind}_import")
            job = ImportJob(next(self._seq), kind, new_resource_id(), store.name, version_name,
                            params["roleArn"], [ImportItem(i["source"]) for i in params["items"]],
                            params.get("runLeftNormalization", False), params.get("formatOptions"),
                            params.get("annotationFields"), now, Timeline(now, JOB_STEPS), failure)
            self._jobs[job.id] = job
            return job

    def get_job(self, kind, job_id, now):
        with self._lock:
            self._sweep(now)
            job = self._jobs.get(job_id)
            if job is None or job.kind != kind:
                raise not_found(f"{kind.capitalize()} import job {job_id} not found.")
            return job

    def list_jobs(self, kind, now, ids=None, status=None, store_name=None):
        with self._lock:
            self._sweep(now)
            return sorted((j for j in self._jobs.values()
                           if j.kind == kind and (ids is None or j.id in ids)
                           and status in (None, j.status(now))
                           and store_name in (None, j.destination_name)),
                          key=lambda j: j.seq)

    def _cancel(self, job, now):
        job.timeline.reschedule(now, [(0, "CANCELLED")])
        job.completed = now
        for item in job.items:
            item.status = "CANCELLED"

    def cancel_job(self, kind, job_id, now):
        with self._lock:
            job = self.get_job(kind, job_id, now)
            status = job.status(now)
            if status == "CANCELLED":
                return
            if status not in JOB_UNFINISHED:
                raise validation(f"Import job {job_id} is {status}; it can no longer be cancelled.")
            self._cancel(job, now)
