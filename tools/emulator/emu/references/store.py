"""In-memory reference stores, references and import jobs.

Import jobs advance on the emulator clock: SUBMITTED for one step, then
IN_PROGRESS for one step, then done. The work happens lazily, whenever the
backend is next used, and is stamped with the time it was due.
"""

import hashlib
import itertools
import threading
from dataclasses import dataclass, field

from ..errors import ServiceError, not_found
from ..fasta import demo_genome, fai_index
from ..values import arn, new_id

JOB_STEP_SECONDS = 1.0
STATUS_MESSAGE_MAX = 127
DEMO_REGION = "us-east-1"
DEMO_STORE_ID = "1234567890"
DEMO_REFERENCE_ID = "9876543210"


@dataclass
class ReferenceStore:
    seq: int
    id: str
    region: str
    arn: str
    name: str
    description: str
    sse_config: dict
    tags: dict
    created: float


@dataclass
class Reference:
    seq: int
    id: str
    arn: str
    store_id: str
    name: str
    description: str
    md5: str
    created: float
    source: bytes
    index: bytes
    creation_job_id: str = None
    tags: dict = field(default_factory=dict)
    status: str = "ACTIVE"

    @property
    def updated(self):
        return self.created


@dataclass
class ImportSource:
    source_file: str
    name: str
    description: str = None
    tags: dict = None
    status: str = "NOT_STARTED"
    status_message: str = None
    reference_id: str = None


@dataclass
class ImportJob:
    seq: int
    id: str
    store_id: str
    role_arn: str
    created: float
    sources: list
    status: str = "SUBMITTED"
    status_message: str = None
    completed: float = None

    @property
    def finished(self):
        return self.completed is not None


class ReferenceBackend:
    def __init__(self, clock, s3):
        self.clock = clock
        self.s3 = s3
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._seq = itertools.count(1)
            self._stores = {}
            self._references = {}     # id -> Reference, across stores
            self._jobs = {}           # id -> ImportJob, across stores
            self._client_tokens = {}  # (kind, token) -> id

    # --- stores -----------------------------------------------------------

    def create_store(self, region, name, description=None, sse_config=None, tags=None,
                     client_token=None, store_id=None):
        with self._lock:
            earlier = self._client_tokens.get(("store", client_token))
            if client_token and earlier in self._stores:
                return self._stores[earlier]
            store_id = store_id or new_id(self._stores)
            store = ReferenceStore(next(self._seq), store_id, region,
                                   arn(region, f"referenceStore/{store_id}"),
                                   name, description, sse_config or {"type": "KMS"}, tags or {},
                                   self.clock.now())
            self._stores[store_id] = store
            if client_token:
                self._client_tokens[("store", client_token)] = store_id
            return store

    def get_store(self, store_id):
        with self._lock:
            store = self._stores.get(store_id)
            if store is None:
                raise not_found(f"Reference store {store_id} not found.")
            return store

    def list_stores(self):
        with self._lock:
            return sorted(self._stores.values(), key=lambda s: s.seq)

    def delete_store(self, store_id):
        with self._lock:
            self._advance_jobs()
            self.get_store(store_id)
            if any(r.store_id == store_id for r in self._references.values()):
                raise ServiceError("ConflictException",
                                   f"Reference store {store_id} still contains references.")
            if any(j.store_id == store_id and not j.finished for j in self._jobs.values()):
                raise ServiceError("ConflictException",
                                   f"Reference store {store_id} has import jobs in progress.")
            self._jobs = {k: j for k, j in self._jobs.items() if j.store_id != store_id}
            del self._stores[store_id]

    # --- import jobs ------------------------------------------------------

    def start_import(self, store_id, role_arn, sources, client_token=None):
        """sources: a list of ImportSource."""
        with self._lock:
            self.get_store(store_id)
            earlier = self._client_tokens.get(("import", client_token))
            if client_token and earlier in self._jobs:
                return self._jobs[earlier]
            job = ImportJob(next(self._seq), new_id(self._jobs), store_id, role_arn,
                            self.clock.now(), list(sources))
            self._jobs[job.id] = job
            if client_token:
                self._client_tokens[("import", client_token)] = job.id
            return job

    def get_job(self, store_id, job_id):
        with self._lock:
            self._advance_jobs()
            self.get_store(store_id)
            job = self._jobs.get(job_id)
            if job is None or job.store_id != store_id:
                raise not_found(f"Import job {job_id} not found in reference store {store_id}.")
            return job

    def list_jobs(self, store_id):
        with self._lock:
            self._advance_jobs()
            self.get_store(store_id)
            return sorted((j for j in self._jobs.values() if j.store_id == store_id),
                          key=lambda j: j.seq)

    def _advance_jobs(self):
        now = self.clock.now()
        for job in self._jobs.values():
            if job.status == "SUBMITTED" and now >= job.created + JOB_STEP_SECONDS:
                job.status = "IN_PROGRESS"
                for source in job.sources:
                    source.status = "IN_PROGRESS"
            if job.status == "IN_PROGRESS" and now >= job.created + 2 * JOB_STEP_SECONDS:
                self._finish(job, job.created + 2 * JOB_STEP_SECONDS)

    def _finish(self, job, when):
        region = self._stores[job.store_id].region
        for source in job.sources:
            try:
                data = self.s3.read(source.source_file)
                index = fai_index(data)
            except FileNotFoundError:
                self._fail(source, f"Source file not found: {source.source_file}")
            except (OSError, ValueError) as exc:
                self._fail(source, f"Cannot import {source.source_file}: {exc}")
            else:
                reference = self._add_reference(region, job.store_id, source.name, source.description,
                                                data, index, when, job.id, source.tags)
                source.status, source.reference_id = "FINISHED", reference.id
        failures = sum(1 for s in job.sources if s.status == "FAILED")
        if failures == 0:
            job.status = "COMPLETED"
        elif failures == len(job.sources):
            job.status = "FAILED"
            job.status_message = job.sources[0].status_message
        else:
            job.status = "COMPLETED_WITH_FAILURES"
            job.status_message = f"{failures} of {len(job.sources)} sources failed."
        job.completed = when

    @staticmethod
    def _fail(source, message):
        source.status = "FAILED"
        source.status_message = message[:STATUS_MESSAGE_MAX]

    # --- references -------------------------------------------------------

    def _add_reference(self, region, store_id, name, description, data, index, created,
                       job_id=None, tags=None, reference_id=None):
        reference_id = reference_id or new_id(self._references)
        reference = Reference(next(self._seq), reference_id,
                              arn(region, f"referenceStore/{store_id}/reference/{reference_id}"),
                              store_id, name, description, hashlib.md5(data).hexdigest(),
                              created, data, index, job_id, tags or {})
        self._references[reference_id] = reference
        return reference

    def list_references(self, store_id):
        with self._lock:
            self._advance_jobs()
            self.get_store(store_id)
            return sorted((r for r in self._references.values() if r.store_id == store_id),
                          key=lambda r: r.seq)

    def get_reference(self, store_id, reference_id):
        with self._lock:
            self._advance_jobs()
            self.get_store(store_id)
            reference = self._references.get(reference_id)
            if reference is None or reference.store_id != store_id:
                raise not_found(f"Reference {reference_id} not found in reference store {store_id}.")
            return reference

    def delete_reference(self, store_id, reference_id):
        with self._lock:
            self.get_reference(store_id, reference_id)
            del self._references[reference_id]

    # --- demo data --------------------------------------------------------

    def seed_demo(self):
        with self._lock:
            self.create_store(DEMO_REGION, "demo-store", "Demo reference store",
                              store_id=DEMO_STORE_ID)
            data = demo_genome()
            self._add_reference(DEMO_REGION, DEMO_STORE_ID, "demo-genome", "Generated demo genome",
                                data, fai_index(data), self.clock.now(),
                                reference_id=DEMO_REFERENCE_ID)
