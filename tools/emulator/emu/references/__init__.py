"""Reference stores, references and reference import jobs.

Import jobs are SUBMITTED for one step of the job clock, IN_PROGRESS for one
more, then done; each imported reference gets a generated .fai index. The
work happens lazily, whenever the operations are next used, stamped with
the time it was due."""

import hashlib

from ..fasta import demo_genome, fai_index
from ..messages import Blob
from ..files import file_information, read_part, remove
from ..records import JOB_MESSAGE_MAX, Record, StoreArea, Tokens, advance_job, locked, swept
from ..values import arn, new_id

DEMO_REGION, DEMO_STORE_ID, DEMO_REFERENCE_ID = "us-east-1", "1234567890", "9876543210"


def indexed(data):
    """FASTA data and its .fai index; raises ValueError if it is not FASTA."""
    return data, fai_index(data)


class ReferenceApi(StoreArea):
    noun, arn_word, store_member = "Reference store", "referenceStore", "referenceStoreId"
    tag_kind = "REFERENCE_STORE"

    def reset(self):
        with self._lock:
            self._stores, self._references, self._jobs = {}, {}, {}
            self.tokens = Tokens()

    def seed_demo(self):
        with self._lock:
            store = self._new_store(DEMO_REGION, {"name": "demo-store",
                                                  "description": "Demo reference store"},
                                    DEMO_STORE_ID)
            self._new_reference(store, {"name": "demo-genome",
                                        "description": "Generated demo genome"},
                                *indexed(demo_genome()), self.clock.now(),
                                reference_id=DEMO_REFERENCE_ID)

    # --- stores -------------------------------------------------------------------

    @locked
    def create_reference_store(self, context, params, now):
        return self.tokens.once("store", params.get("clientToken"), self._stores,
                                lambda: self._new_store(context.region, params))

    def get_reference_store(self, context, params):
        return self.get_store(params["id"])

    def list_reference_stores(self, context, params):
        return self._list_stores("referenceStores", params, default=100)

    def delete_reference_store(self, context, params):
        return self._delete_store(params, [
            (self._references.values(), "still contains references"),
            (self._jobs.values(), "has import jobs in progress")])

    # --- import jobs ----------------------------------------------------------------

    def start_reference_import_job(self, context, params):
        # a token names one job, whatever its store
        return self._new_job("import", params, params["sources"], "import",
                             roleArn=params["roleArn"])

    @swept
    def get_reference_import_job(self, context, params, now):
        job = self._in_store(self._jobs, params["id"], "Import job", params["referenceStoreId"])
        return {**job, "sources": job.entries}

    @swept
    def list_reference_import_jobs(self, context, params, now):
        return self._list_in_store("importJobs", self._jobs.values(), params, default=100)

    def _sweep(self):
        """Finish what has fallen due; the time of the request."""
        now = self.clock.now()
        for job in self._jobs.values():
            advance_job(job, now, self._import, "sources")
        return now

    def _import(self, job, source, when):
        try:        # (the data, and its index: a file that is not FASTA cannot be imported)
            data, index = self.s3.read(source["sourceFile"], lambda path: indexed(
                path.read_bytes()), doing="import")
        except ValueError as exc:
            raise ValueError(str(exc)[:JOB_MESSAGE_MAX]) from None
        reference = self._new_reference(self._stores[job["referenceStoreId"]], source, data,
                                        index, when, job["id"])
        source["referenceId"] = reference["id"]

    # --- references -------------------------------------------------------------------

    def _new_reference(self, store, source, data, index, created, job_id=None, reference_id=None):
        reference_id = reference_id or new_id(self._references)
        reference = Record({k: source.get(k) for k in ("name", "description")}, id=reference_id,
                           arn=arn(store.region, f"referenceStore/{store['id']}/reference/"
                                                 f"{reference_id}"),
                           referenceStoreId=store["id"], md5=hashlib.md5(data).hexdigest(),
                           status="ACTIVE", creationTime=created, updateTime=created,
                           creationType="IMPORT", creationJobId=job_id)
        reference.source, reference.index = self.files.keep(data), self.files.keep(index)
        self._references[reference_id] = reference
        self.tags.register(reference["arn"], source.get("tags"), "REFERENCE", reference_id)
        return reference

    @swept
    def list_references(self, context, params, now):
        return self._list_in_store("references", self._references.values(), params,
                                   ("name", "md5"), default=100)

    @swept
    def get_reference_record(self, store_id, reference_id, now):
        return self._in_store(self._references, reference_id, "Reference", store_id)

    def get_reference_metadata(self, context, params):
        reference = self.get_reference_record(params["referenceStoreId"], params["id"])
        return {**reference, "files": {"source": file_information(reference.source, self.part_size),
                                       "index": file_information(reference.index, self.part_size)}}

    def get_reference(self, context, params):
        reference = self.get_reference_record(params["referenceStoreId"], params["id"])
        file = reference.index if params.get("file") == "INDEX" else reference.source
        return Blob(read_part(file, self.part_size, params["partNumber"], params.get("range")))

    @locked
    def delete_reference(self, context, params, now):
        reference = self.get_reference_record(params["referenceStoreId"], params["id"])
        self.tags.drop(self._references, reference["id"])
        remove(reference.source, reference.index)
        return {}
