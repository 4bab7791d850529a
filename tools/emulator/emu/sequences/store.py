"""In-memory sequence stores, read sets, multipart uploads and read set jobs.

Everything that takes time follows the emulator's job clock and happens
lazily, whenever the backend is next used, stamped with the time it was due:

- import, activation and export jobs are SUBMITTED for one step, IN_PROGRESS
  for one more, then done (COMPLETED, COMPLETED_WITH_FAILURES or FAILED);
- a read set made by CompleteMultipartReadSetUpload is PROCESSING_UPLOAD for
  one step, then ACTIVE (or UPLOAD_FAILED if its files are not of its type);
- an ACTIVE read set that nobody downloads or exports for ARCHIVE_AFTER_SECONDS
  becomes ARCHIVED; an activation job makes it ACTIVATING, then ACTIVE.
"""

import hashlib
import itertools
import json
import re
import threading
from dataclasses import dataclass, field

from ..errors import ServiceError, not_found, validation
from ..model import Problems
from ..values import ACCOUNT_ID, arn, new_id
from .formats import Checked, FormatError, check_sources, etag, file_extension

JOB_STEP_SECONDS = 1.0
ARCHIVE_AFTER_SECONDS = 30 * 24 * 3600
MAX_PART_BYTES = 100 * 1024 * 1024
JOB_MESSAGE_MAX = 127
READ_SET_MESSAGE_MAX = 255
NEEDS_REFERENCE = ("BAM", "CRAM")


def conflict(message):
    return ServiceError("ConflictException", message)


def clip(message, limit):
    return message if len(message) <= limit else message[:limit - 3] + "..."


@dataclass
class SequenceStore:
    seq: int
    id: str
    region: str
    arn: str
    name: str
    description: str
    sse_config: dict
    tags: dict
    created: float
    updated: float
    fallback_location: str = None
    etag_family: str = "MD5up"
    propagated_tags: list = None
    access_log_location: str = None
    access_policy: str = None
    access_policy_updated: float = None
    status: str = "ACTIVE"

    @property
    def access_point_arn(self):
        return f"arn:aws:s3:{self.region}:{ACCOUNT_ID}:accesspoint/{ACCOUNT_ID}-{self.id}"

    @property
    def s3_uri(self):
        return f"s3://{ACCOUNT_ID}-{self.id}-s3alias/{ACCOUNT_ID}/sequenceStore/{self.id}/"


@dataclass
class ReadSetAttributes:
    """What the caller says about a read set (import source or upload)."""
    file_type: str
    subject_id: str
    sample_id: str
    name: str = None
    description: str = None
    generated_from: str = None
    reference_arn: str = None
    tags: dict = None

    @classmethod
    def from_params(cls, params):
        return cls(params["sourceFileType"], params["subjectId"], params["sampleId"],
                   params.get("name"), params.get("description"), params.get("generatedFrom"),
                   params.get("referenceArn"), params.get("tags"))


@dataclass
class ReadSet:
    seq: int
    id: str
    arn: str
    store_id: str
    attributes: ReadSetAttributes
    created: float
    creation_type: str
    creation_job_id: str
    source1: bytes
    source2: bytes
    etag: dict
    status: str
    last_access: float = None
    ready_at: float = None
    pending: object = None          # Checked, or a failure message, until ready_at
    status_message: str = None
    index: bytes = None
    index_name: str = None
    sequence_information: dict = None

    def files(self):
        """{'source1': bytes, 'source2': ..., 'index': ...} for the files it has."""
        present = {"source1": self.source1, "source2": self.source2, "index": self.index}
        return {name: data for name, data in present.items() if data is not None}

    def apply(self, checked):
        self.index, self.index_name = checked.index, checked.index_name
        information = {"totalReadCount": checked.total_read_count,
                       "totalBaseCount": checked.total_base_count,
                       "generatedFrom": self.attributes.generated_from,
                       "alignment": checked.alignment}
        self.sequence_information = {k: v for k, v in information.items() if v is not None}


@dataclass
class UploadPart:
    number: int
    source: str
    data: bytes
    checksum: str
    created: float
    updated: float

    @property
    def seq(self):          # pages of parts are ordered by part number
        return self.number


@dataclass
class Upload:
    seq: int
    id: str
    store_id: str
    attributes: ReadSetAttributes
    created: float
    parts: dict = field(default_factory=dict)    # (source, number) -> UploadPart


@dataclass
class ImportItem:
    source1: str
    source2: str
    attributes: ReadSetAttributes
    status: str = "NOT_STARTED"
    status_message: str = None
    read_set_id: str = None


@dataclass
class ReadSetItem:
    """One read set of an activation or export job."""
    read_set_id: str
    status: str = "NOT_STARTED"
    status_message: str = None


@dataclass
class Job:
    seq: int
    id: str
    kind: str                       # import, activation or export
    store_id: str
    created: float
    items: list
    role_arn: str = None
    destination: str = None
    status: str = "SUBMITTED"
    status_message: str = None
    completed: float = None

    @property
    def finished(self):
        return self.completed is not None


JOB_NOUNS = {"import": "Import job", "activation": "Activation job", "export": "Export job"}


class SequenceBackend:
    def __init__(self, clock, s3):
        self.clock = clock
        self.s3 = s3
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._seq = itertools.count(1)
            self._stores = {}
            self._read_sets = {}      # id -> ReadSet, across stores
            self._uploads = {}        # id -> Upload
            self._jobs = {}           # id -> Job, all kinds
            self._client_tokens = {}  # (kind, token) -> id

    def _remembered(self, kind, token, table):
        earlier = self._client_tokens.get((kind, token)) if token else None
        return table.get(earlier) if earlier else None

    def _remember(self, kind, token, item_id):
        if token:
            self._client_tokens[(kind, token)] = item_id

    # --- stores -----------------------------------------------------------

    def create_store(self, region, params):
        with self._lock:
            earlier = self._remembered("store", params.get("clientToken"), self._stores)
            if earlier:
                return earlier
            store_id = new_id(self._stores)
            now = self.clock.now()
            store = SequenceStore(
                next(self._seq), store_id, region, arn(region, f"sequenceStore/{store_id}"),
                params["name"], params.get("description"),
                params.get("sseConfig") or {"type": "KMS"}, params.get("tags") or {}, now, now,
                params.get("fallbackLocation"), params.get("eTagAlgorithmFamily") or "MD5up",
                params.get("propagatedSetLevelTags"),
                (params.get("s3AccessConfig") or {}).get("accessLogLocation"))
            self._stores[store_id] = store
            self._remember("store", params.get("clientToken"), store_id)
            return store

    def get_store(self, store_id):
        with self._lock:
            store = self._stores.get(store_id)
            if store is None:
                raise not_found(f"Sequence store {store_id} not found.")
            return store

    def list_stores(self):
        with self._lock:
            return sorted(self._stores.values(), key=lambda s: s.seq)

    def update_store(self, store_id, params):
        with self._lock:
            store = self.get_store(store_id)
            for member, attribute in (("name", "name"), ("description", "description"),
                                      ("fallbackLocation", "fallback_location"),
                                      ("propagatedSetLevelTags", "propagated_tags")):
                if member in params:
                    setattr(store, attribute, params[member])
            if "s3AccessConfig" in params:
                store.access_log_location = params["s3AccessConfig"].get("accessLogLocation")
            store.updated = self.clock.now()
            return store

    def delete_store(self, store_id):
        with self._lock:
            self._advance()
            self.get_store(store_id)
            if any(r.store_id == store_id for r in self._read_sets.values()):
                raise conflict(f"Sequence store {store_id} still contains read sets.")
            if any(u.store_id == store_id for u in self._uploads.values()):
                raise conflict(f"Sequence store {store_id} has multipart uploads in progress.")
            if any(j.store_id == store_id and not j.finished for j in self._jobs.values()):
                raise conflict(f"Sequence store {store_id} has jobs in progress.")
            self._jobs = {k: j for k, j in self._jobs.items() if j.store_id != store_id}
            del self._stores[store_id]

    # --- S3 access policies -----------------------------------------------

    def store_by_access_point(self, access_point_arn):
        with self._lock:
            for store in self._stores.values():
                if store.access_point_arn == access_point_arn:
                    return store
            raise not_found(f"No sequence store has the access point {access_point_arn}.")

    def put_access_policy(self, access_point_arn, policy):
        try:
            document = json.loads(policy)
        except ValueError:
            raise validation("The S3 access policy is not valid JSON.") from None
        if not isinstance(document, dict):
            raise validation("The S3 access policy must be a JSON object.")
        with self._lock:
            store = self.store_by_access_point(access_point_arn)
            store.access_policy = policy
            store.access_policy_updated = self.clock.now()
            return store

    def get_access_policy(self, access_point_arn):
        with self._lock:
            store = self.store_by_access_point(access_point_arn)
            if store.access_policy is None:
                raise not_found(f"The access point {access_point_arn} has no S3 access policy.")
            return store

    def delete_access_policy(self, access_point_arn):
        with self._lock:
            store = self.get_access_policy(access_point_arn)
            store.access_policy = store.access_policy_updated = None

    # --- read sets --------------------------------------------------------

    def _new_read_set(self, store, attributes, created, creation_type, job_id, source1, source2,
                      status):
        read_set_id = new_id(self._read_sets)
        read_set = ReadSet(
            next(self._seq), read_set_id,
            arn(store.region, f"sequenceStore/{store.id}/readSet/{read_set_id}"),
            store.id, attributes, created, creation_type, job_id, source1, source2,
            etag(attributes.file_type, store.etag_family, source1, source2), status,
            last_access=created)
        self._read_sets[read_set_id] = read_set
        return read_set

    def list_read_sets(self, store_id):
        with self._lock:
            self._advance()
            self.get_store(store_id)
            return sorted((r for r in self._read_sets.values() if r.store_id == store_id),
                          key=lambda r: r.seq)

    def get_read_set(self, store_id, read_set_id):
        with self._lock:
            self._advance()
            self.get_store(store_id)
            read_set = self._read_sets.get(read_set_id)
            if read_set is None or read_set.store_id != store_id:
                raise not_found(f"Read set {read_set_id} not found in sequence store {store_id}.")
            return read_set

    def read_set_file(self, store_id, read_set_id, file):
        """The bytes of SOURCE1, SOURCE2 or INDEX of an ACTIVE read set (counts as an access)."""
        with self._lock:
            read_set = self.get_read_set(store_id, read_set_id)
            if read_set.status != "ACTIVE":
                raise conflict(f"Read set {read_set_id} is {read_set.status}; only an ACTIVE "
                               f"read set can be read.")
            data = read_set.files().get(file.lower())
            if data is None:
                raise not_found(f"Read set {read_set_id} has no {file} file.")
            read_set.last_access = self.clock.now()
            return data

    def batch_delete(self, store_id, read_set_ids):
        """[(id, code, message)] for the ids that could not be deleted."""
        with self._lock:
            self._advance()
            self.get_store(store_id)
            errors = []
            for read_set_id in dict.fromkeys(read_set_ids):
                read_set = self._read_sets.get(read_set_id)
                if read_set is None or read_set.store_id != store_id:
                    errors.append((read_set_id, "ResourceNotFoundException",
                                   f"Read set {read_set_id} not found in sequence store {store_id}."))
                elif read_set.status == "ACTIVATING":
                    errors.append((read_set_id, "ConflictException",
                                   f"Read set {read_set_id} is being activated."))
                else:
                    del self._read_sets[read_set_id]
            return errors

    # --- multipart uploads ------------------------------------------------

    def create_upload(self, store_id, params):
        with self._lock:
            self.get_store(store_id)
            earlier = self._remembered("upload", params.get("clientToken"), self._uploads)
            if earlier:
                return earlier
            attributes = ReadSetAttributes.from_params(params)
            if attributes.file_type in NEEDS_REFERENCE and not attributes.reference_arn:
                raise validation(f"referenceArn is required for {attributes.file_type} read sets.")
            upload = Upload(next(self._seq), new_id(self._uploads), store_id, attributes,
                            self.clock.now())
            self._uploads[upload.id] = upload
            self._remember("upload", params.get("clientToken"), upload.id)
            return upload

    def get_upload(self, store_id, upload_id):
        with self._lock:
            self.get_store(store_id)
            upload = self._uploads.get(upload_id)
            if upload is None or upload.store_id != store_id:
                raise not_found(f"Multipart upload {upload_id} not found in sequence store "
                                f"{store_id}.")
            return upload

    def list_uploads(self, store_id):
        with self._lock:
            self.get_store(store_id)
            return sorted((u for u in self._uploads.values() if u.store_id == store_id),
                          key=lambda u: u.seq)

    def upload_part(self, store_id, upload_id, source, number, data):
        if not data:
            problems = Problems()
            problems.add(None, "payload", "Member must not be null")
            problems.raise_if_any()
        if len(data) > MAX_PART_BYTES:
            raise validation(f"A part can hold at most {MAX_PART_BYTES} bytes; "
                             f"this one has {len(data)}.")
        checksum = hashlib.sha256(data).hexdigest()
        with self._lock:
            upload = self.get_upload(store_id, upload_id)
            if source == "SOURCE2" and upload.attributes.file_type != "FASTQ":
                raise validation(f"SOURCE2 parts are only accepted for FASTQ uploads, not "
                                 f"{upload.attributes.file_type}.")
            now = self.clock.now()
            earlier = upload.parts.get((source, number))
            created = earlier.created if earlier else now
            upload.parts[(source, number)] = UploadPart(number, source, data, checksum, created, now)
            return checksum

    def list_parts(self, store_id, upload_id, source):
        with self._lock:
            upload = self.get_upload(store_id, upload_id)
            return sorted((p for (s, _), p in upload.parts.items() if s == source),
                          key=lambda p: p.number)

    def abort_upload(self, store_id, upload_id):
        with self._lock:
            self.get_upload(store_id, upload_id)
            del self._uploads[upload_id]

    def complete_upload(self, store_id, upload_id, listed):
        """listed: [{partNumber, partSource, checksum}]; returns the new ReadSet."""
        with self._lock:
            upload = self.get_upload(store_id, upload_id)
            chosen = {"SOURCE1": [], "SOURCE2": []}
            for entry in listed:
                key = (entry["partSource"], entry["partNumber"])
                part = upload.parts.get(key)
                if part is None:
                    raise validation(f"Part {key[1]} of {key[0]} was not uploaded.")
                if part.checksum != entry["checksum"]:
                    raise validation(f"The checksum of part {key[1]} of {key[0]} does not match "
                                     f"the uploaded part.")
                if any(p.number == part.number for p in chosen[part.source]):
                    raise validation(f"Part {key[1]} of {key[0]} is listed more than once.")
                chosen[part.source].append(part)
            if not chosen["SOURCE1"]:
                raise validation("The parts must include at least one SOURCE1 part.")
            source1 = b"".join(p.data for p in sorted(chosen["SOURCE1"], key=lambda p: p.number))
            source2 = (b"".join(p.data for p in sorted(chosen["SOURCE2"], key=lambda p: p.number))
                       if chosen["SOURCE2"] else None)
            attributes = upload.attributes
            try:
                pending = check_sources(attributes.file_type, source1, source2)
            except FormatError as exc:
                pending = clip(str(exc), READ_SET_MESSAGE_MAX)
            now = self.clock.now()
            store = self._stores[store_id]
            read_set = self._new_read_set(store, attributes, now, "UPLOAD", upload.id, source1,
                                          source2, "PROCESSING_UPLOAD")
            read_set.ready_at = now + JOB_STEP_SECONDS
            read_set.pending = pending
            del self._uploads[upload_id]
            return read_set

    # --- jobs -------------------------------------------------------------

    def start_job(self, store_id, kind, items, client_token=None, role_arn=None,
                  destination=None):
        with self._lock:
            self.get_store(store_id)
            earlier = self._remembered(kind, client_token, self._jobs)
            if earlier and earlier.store_id == store_id:
                return earlier
            job = Job(next(self._seq), new_id(self._jobs), kind, store_id, self.clock.now(),
                      list(items), role_arn, destination)
            self._jobs[job.id] = job
            self._remember(kind, client_token, job.id)
            return job

    def get_job(self, store_id, kind, job_id):
        with self._lock:
            self._advance()
            self.get_store(store_id)
            job = self._jobs.get(job_id)
            if job is None or job.kind != kind or job.store_id != store_id:
                raise not_found(f"{JOB_NOUNS[kind]} {job_id} not found in sequence store {store_id}.")
            return job

    def list_jobs(self, store_id, kind):
        with self._lock:
            self._advance()
            self.get_store(store_id)
            return sorted((j for j in self._jobs.values()
                           if j.kind == kind and j.store_id == store_id), key=lambda j: j.seq)

    # --- the clock --------------------------------------------------------

    def _advance(self):
        now = self.clock.now()
        for job in sorted((j for j in self._jobs.values() if not j.finished), key=lambda j: j.seq):
            started = job.created + JOB_STEP_SECONDS
            if job.status == "SUBMITTED" and now >= started:
                self._begin(job, started)
            done = job.created + 2 * JOB_STEP_SECONDS
            if job.status == "IN_PROGRESS" and now >= done:
                self._finish(job, done)
        for read_set in self._read_sets.values():
            self._refresh(read_set, now)

    @staticmethod
    def _refresh(read_set, when):
        if read_set.status == "PROCESSING_UPLOAD" and when >= read_set.ready_at:
            if isinstance(read_set.pending, Checked):
                read_set.apply(read_set.pending)
                read_set.status = "ACTIVE"
                read_set.last_access = read_set.ready_at
            else:
                read_set.status = "UPLOAD_FAILED"
                read_set.status_message = read_set.pending
            read_set.pending = None
        if read_set.status == "ACTIVE" and when >= read_set.last_access + ARCHIVE_AFTER_SECONDS:
            read_set.status = "ARCHIVED"

    def _job_read_set(self, job, item, when):
        read_set = self._read_sets.get(item.read_set_id)
        if read_set is None or read_set.store_id != job.store_id:
            return None
        self._refresh(read_set, when)
        return read_set

    def _begin(self, job, when):
        job.status = "IN_PROGRESS"
        for item in job.items:
            item.status = "IN_PROGRESS"
            if job.kind == "activation":
                read_set = self._job_read_set(job, item, when)
                if read_set is not None and read_set.status == "ARCHIVED":
                    read_set.status = "ACTIVATING"

    def _finish(self, job, when):
        finish_item = {"import": self._finish_import, "activation": self._finish_activation,
                       "export": self._finish_export}[job.kind]
        for item in job.items:
            try:
                finish_item(job, item, when)
            except FormatError as exc:
                self._fail(item, str(exc))
            else:
                if item.status != "FAILED":
                    item.status = "FINISHED"
        failures = [item for item in job.items if item.status == "FAILED"]
        if not failures:
            job.status = "COMPLETED"
        elif len(failures) == len(job.items):
            job.status = "FAILED"
            job.status_message = failures[0].status_message
        else:
            job.status = "COMPLETED_WITH_FAILURES"
            job.status_message = f"{len(failures)} of {len(job.items)} items failed."
        job.completed = when

    @staticmethod
    def _fail(item, message):
        item.status = "FAILED"
        item.status_message = clip(message, JOB_MESSAGE_MAX)

    def _read_source(self, uri):
        try:
            return self.s3.read(uri)
        except FileNotFoundError:
            raise FormatError(f"Source file not found: {uri}") from None
        except (OSError, ValueError) as exc:
            raise FormatError(f"Cannot read {uri}: {exc}") from None

    def _finish_import(self, job, item, when):
        attributes = item.attributes
        if attributes.file_type in NEEDS_REFERENCE and not attributes.reference_arn:
            raise FormatError(f"referenceArn is required for {attributes.file_type} read sets.")
        source1 = self._read_source(item.source1)
        source2 = self._read_source(item.source2) if item.source2 else None
        checked = check_sources(attributes.file_type, source1, source2)
        store = self._stores[job.store_id]
        read_set = self._new_read_set(store, attributes, when, "IMPORT", job.id, source1, source2,
                                      "ACTIVE")
        read_set.apply(checked)
        item.read_set_id = read_set.id

    def _finish_activation(self, job, item, when):
        read_set = self._job_read_set(job, item, when)
        if read_set is None:
            raise FormatError(f"Read set {item.read_set_id} not found.")
        if read_set.status == "ACTIVATING":
            read_set.status = "ACTIVE"
            read_set.last_access = when
        elif read_set.status != "ACTIVE":
            raise FormatError(f"Read set {item.read_set_id} is {read_set.status}.")

    def _finish_export(self, job, item, when):
        read_set = self._job_read_set(job, item, when)
        if read_set is None:
            raise FormatError(f"Read set {item.read_set_id} not found.")
        if read_set.status != "ACTIVE":
            raise FormatError(f"Read set {item.read_set_id} is {read_set.status}; only ACTIVE "
                              f"read sets can be exported.")
        for uri, data in export_files(job.destination, read_set):
            try:
                self.s3.write(uri, data)
            except (OSError, ValueError) as exc:
                raise FormatError(f"Cannot write {uri}: {exc}") from None
        read_set.last_access = when


DESTINATION = re.compile(r"s3://([^/]+)/?(.*)")


def export_files(destination, read_set):
    """[(s3 uri, bytes)] an export job writes for one read set."""
    bucket, prefix = DESTINATION.fullmatch(destination).groups()
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    base = f"s3://{bucket}/{prefix}{read_set.id}/"
    file_type = read_set.attributes.file_type
    extension = file_extension(file_type, read_set.source1)
    out = [(f"{base}source1.{extension}", read_set.source1)]
    if read_set.source2 is not None:
        out.append((f"{base}source2.{file_extension(file_type, read_set.source2)}",
                    read_set.source2))
    if read_set.index is not None:
        out.append((f"{base}source1.{extension}.{read_set.index_name}", read_set.index))
    return out
