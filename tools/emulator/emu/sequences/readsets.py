"""Sequence stores, their S3 access policies, read sets and multipart uploads.

Sequence stores are ACTIVE at once. A read set made by
CompleteMultipartReadSetUpload is PROCESSING_UPLOAD for one step, then ACTIVE
(or UPLOAD_FAILED if its files are not of its type); an ACTIVE read set nobody
reads or exports for ARCHIVE_AFTER_SECONDS becomes ARCHIVED.
"""

import json

from ..errors import ServiceError, conflict, not_found, validation
from ..lifecycle import STEP
from ..messages import Blob
from ..model import Problems
from ..files import file_information, read_part, remove
from ..records import Record, clip, created_in, listing, locked, matching, swept
from ..values import ACCOUNT_ID, arn, new_id
from .formats import FormatError, check_sources, etag

ARCHIVE_AFTER_SECONDS = 30 * 24 * 3600
MAX_PART_BYTES = 100 * 1024 * 1024
READ_SET_MESSAGE_MAX = 255
NEEDS_REFERENCE = ("BAM", "CRAM")
# What a caller says about a read set (an import source or an upload).
ATTRIBUTES = ("subjectId", "sampleId", "name", "description", "generatedFrom", "referenceArn")


def needs_reference(source):
    if source["sourceFileType"] in NEEDS_REFERENCE and not source.get("referenceArn"):
        return f"referenceArn is required for {source['sourceFileType']} read sets."
    return None


class ReadSets:
    """CreateSequenceStore ... ListMultipartReadSetUploads (mixed into SequenceApi)."""

    # --- stores -------------------------------------------------------------

    @locked
    def create_sequence_store(self, context, params, now):
        return self.tokens.once("store", params.get("clientToken"), self._stores,
                                lambda: self._new_sequence_store(context.region, params))

    def _new_sequence_store(self, region, params):
        store = self._new_store(region, params, more=("fallbackLocation",
                                                      "propagatedSetLevelTags"))
        store_id, alias = store["id"], f"{ACCOUNT_ID}-{store['id']}"
        store.update(eTagAlgorithmFamily=params.get("eTagAlgorithmFamily") or "MD5up",
                     updateTime=store["creationTime"], status="ACTIVE", s3Access={
                         "s3Uri": f"s3://{alias}-s3alias/{ACCOUNT_ID}/sequenceStore/{store_id}/",
                         "s3AccessPointArn": f"arn:aws:s3:{region}:{ACCOUNT_ID}:accesspoint/"
                                             + alias})
        store.policy = store.policy_updated = None
        self._set_access_log(store, params)
        return store

    @staticmethod
    def _set_access_log(store, params):
        if "s3AccessConfig" in params:
            store["s3Access"]["accessLogLocation"] = params["s3AccessConfig"].get("accessLogLocation")

    def get_sequence_store(self, context, params):
        return self.get_store(params["id"])

    def list_sequence_stores(self, context, params):
        return self._list_stores("sequenceStores", params, default=10)

    @locked
    def update_sequence_store(self, context, params, now):
        store = self.get_store(params["id"])
        store.update({k: params[k] for k in ("name", "description", "fallbackLocation",
                                             "propagatedSetLevelTags") if k in params})
        self._set_access_log(store, params)
        store["updateTime"] = now
        return store

    def delete_sequence_store(self, context, params):
        return self._delete_store(params, [
            (self._read_sets.values(), "still contains read sets"),
            (self._uploads.values(), "has multipart uploads in progress"),
            (self._jobs.values(), "has jobs in progress")])

    # --- S3 access policies ----------------------------------------------------

    def _by_access_point(self, access_point_arn, with_policy=True):
        for store in self._stores.values():
            if store["s3Access"]["s3AccessPointArn"] == access_point_arn:
                if with_policy and store.policy is None:
                    raise not_found(f"The access point {access_point_arn} has no S3 access policy.")
                return store
        raise not_found(f"No sequence store has the access point {access_point_arn}.")

    @staticmethod
    def _policy_view(store):
        return {"s3AccessPointArn": store["s3Access"]["s3AccessPointArn"], "storeId": store["id"],
                "storeType": "SEQUENCE_STORE", "updateTime": store.policy_updated,
                "s3AccessPolicy": store.policy}

    @locked
    def put_s3_access_policy(self, context, params, now):
        try:
            document = json.loads(params["s3AccessPolicy"])
        except ValueError:
            raise validation("The S3 access policy is not valid JSON.") from None
        if not isinstance(document, dict):
            raise validation("The S3 access policy must be a JSON object.")
        store = self._by_access_point(params["s3AccessPointArn"], with_policy=False)
        store.policy, store.policy_updated = params["s3AccessPolicy"], now
        return self._policy_view(store)

    @locked
    def get_s3_access_policy(self, context, params, now):
        return self._policy_view(self._by_access_point(params["s3AccessPointArn"]))

    @locked
    def delete_s3_access_policy(self, context, params, now):
        store = self._by_access_point(params["s3AccessPointArn"])
        store.policy = store.policy_updated = None
        return {}

    # --- read sets ----------------------------------------------------------------

    def _new_read_set(self, store, source, created, creation_type, job_id, files, status):
        """A read set of the files {"source1": StoredFile, "source2": one or None}."""
        read_set_id = new_id(self._read_sets)
        read_set = Record(
            {k: source.get(k) for k in ATTRIBUTES}, id=read_set_id, status=status,
            arn=arn(store.region, f"sequenceStore/{store['id']}/readSet/{read_set_id}"),
            sequenceStoreId=store["id"], fileType=source["sourceFileType"], creationTime=created,
            creationType=creation_type, creationJobId=job_id)
        read_set.last_access, read_set.files = created, files
        read_set.index_name = read_set.ready_at = read_set.pending = None
        self._read_sets[read_set_id] = read_set
        self.tags.register(read_set["arn"], source.get("tags"), "READ_SET", read_set_id)
        return read_set

    def _process(self, read_set):
        """The read set's etag, index and sequenceInformation, from its files;
        raises FormatError if they are not of its type."""
        files, file_type = read_set.files, read_set["fileType"]
        family = self._stores[read_set["sequenceStoreId"]]["eTagAlgorithmFamily"]
        read_set["etag"] = etag(file_type, family, files["source1"], files["source2"])
        found, index, read_set.index_name = check_sources(file_type, files["source1"],
                                                          files["source2"])
        files["index"] = index and self.files.keep(index)
        read_set["sequenceInformation"] = {**found, "generatedFrom": read_set.get("generatedFrom")}

    def _drop(self, read_set):
        self.tags.drop(self._read_sets, read_set["id"])
        remove(*read_set.files.values(), *sum((read_set.pending or {}).values(), []))

    def _refresh(self, read_set, when):
        """Uploaded parts become the read set's files (checked) once processed."""
        if read_set["status"] == "PROCESSING_UPLOAD" and when >= read_set.ready_at:
            for name, parts in read_set.pending.items():
                self.files.join(parts, read_set.files[name])
            read_set.pending = None
            try:
                self._process(read_set)
                read_set["status"], read_set.last_access = "ACTIVE", read_set.ready_at
            except FormatError as exc:
                read_set.update(status="UPLOAD_FAILED",
                                statusMessage=clip(str(exc), READ_SET_MESSAGE_MAX))
        if read_set["status"] == "ACTIVE" and when >= read_set.last_access + ARCHIVE_AFTER_SECONDS:
            read_set["status"] = "ARCHIVED"

    @swept
    def get_read_set_record(self, store_id, read_set_id, now):
        return self._in_store(self._read_sets, read_set_id, "Read set", store_id)

    @swept
    def list_read_sets(self, context, params, now):
        return self._list_in_store("readSets", self._read_sets.values(), params, (
            "name", "status", "sampleId", "subjectId", "generatedFrom", "creationType"),
            lambda r, criteria: criteria.get("referenceArn") in (None, r.get("referenceArn", "")))

    def get_read_set_metadata(self, context, params):
        read_set = self.get_read_set_record(params["sequenceStoreId"], params["id"])
        s3_uri = self.get_store(params["sequenceStoreId"])["s3Access"]["s3Uri"]
        files = {name: {**file_information(file, self.part_size),
                        "s3Access": {"s3Uri": f"{s3_uri}readSet/{read_set['id']}/{name}"}}
                 for name, file in read_set.files.items() if file is not None}
        return {**read_set, "files": files}

    def get_read_set(self, context, params):
        with self._lock:
            read_set = self.get_read_set_record(params["sequenceStoreId"], params["id"])
            if read_set["status"] != "ACTIVE":
                raise conflict(f"Read set {read_set['id']} is {read_set['status']}; only an ACTIVE "
                               f"read set can be read.")
            file = params.get("file", "SOURCE1")
            data = read_set.files.get(file.lower())
            if data is None:
                raise not_found(f"Read set {read_set['id']} has no {file} file.")
            read_set.last_access = self.clock.now()
        return Blob(read_part(data, self.part_size, params["partNumber"]))

    @swept
    def batch_delete_read_set(self, context, params, now):
        store_id = params["sequenceStoreId"]
        self.get_store(store_id)
        errors = []
        for read_set_id in dict.fromkeys(params["ids"]):
            try:
                read_set = self._in_store(self._read_sets, read_set_id, "Read set", store_id)
            except ServiceError as error:
                errors.append({"id": read_set_id, "code": error.code, "message": error.message})
                continue
            if read_set["status"] == "ACTIVATING":
                errors.append({"id": read_set_id, "code": "ConflictException",
                               "message": f"Read set {read_set_id} is being activated."})
            else:
                self._drop(read_set)
        return {"errors": errors or None}

    # --- multipart uploads ------------------------------------------------------------

    @locked
    def create_multipart_read_set_upload(self, context, params, now):
        store_id = self.get_store(params["sequenceStoreId"])["id"]

        def make():
            if needs_reference(params):
                raise validation(needs_reference(params))
            upload = Record({k: params.get(k) for k in ATTRIBUTES + ("sourceFileType", "tags")},
                            sequenceStoreId=store_id, uploadId=new_id(self._uploads),
                            creationTime=now)
            upload.parts = {}     # (source, number) -> part, its bytes in part.file
            self._uploads[upload["uploadId"]] = upload
            return upload
        return self.tokens.once("upload", params.get("clientToken"), self._uploads, make,
                                key="uploadId")

    def _upload(self, params):
        return self._in_store(self._uploads, params["uploadId"], "Multipart upload",
                              params["sequenceStoreId"])

    @locked
    def list_multipart_read_set_uploads(self, context, params, now):
        found = self._of_store(self._uploads.values(), params["sequenceStoreId"])
        return listing("uploads", found, params)

    @locked
    def upload_read_set_part(self, context, params, now):
        data = params.get("payload") or b""
        if not data:
            Problems().add(None, "payload", "Member must not be null").raise_if_any()
        if len(data) > MAX_PART_BYTES:
            raise validation(f"A part can hold at most {MAX_PART_BYTES} bytes; "
                             f"this one has {len(data)}.")
        source, number = params["partSource"], params["partNumber"]
        upload = self._upload(params)
        if source == "SOURCE2" and upload["sourceFileType"] != "FASTQ":
            raise validation(f"SOURCE2 parts are only accepted for FASTQ uploads, not "
                             f"{upload['sourceFileType']}.")
        earlier = upload.parts.get((source, number))
        file = self.files.keep(data)
        part = Record(partNumber=number, partSource=source, partSize=len(data),
                      checksum=file.sha256, lastUpdatedTime=now,
                      creationTime=earlier["creationTime"] if earlier else now)
        part.seq, part.file = number, file       # pages of parts go by part number
        upload.parts[(source, number)] = part
        if earlier:
            remove(earlier.file)
        return part

    @locked
    def list_read_set_upload_parts(self, context, params, now):
        found = [p for p in matching(self._upload(params).parts.values(),
                                     partSource=params["partSource"])
                 if created_in(p, params.get("filter", {}))]
        return listing("parts", found, params)

    @locked
    def abort_multipart_read_set_upload(self, context, params, now):
        remove(*(p.file for p in self._uploads.pop(self._upload(params)["uploadId"]).parts.values()))
        return {}

    @locked
    def complete_multipart_read_set_upload(self, context, params, now):
        upload = self._upload(params)
        chosen = {"SOURCE1": {}, "SOURCE2": {}}
        for entry in params["parts"]:
            source, number = entry["partSource"], entry["partNumber"]
            part = upload.parts.get((source, number))
            if part is None:
                raise validation(f"Part {number} of {source} was not uploaded.")
            if part["checksum"] != entry["checksum"]:
                raise validation(f"The checksum of part {number} of {source} does not match "
                                 f"the uploaded part.")
            if number in chosen[source]:
                raise validation(f"Part {number} of {source} is listed more than once.")
            chosen[source][number] = part.file
        if not chosen["SOURCE1"]:
            raise validation("The parts must include at least one SOURCE1 part.")
        # joined (and checked) as the read set is processed, on the job clock
        pending = {name.lower(): [file for _, file in sorted(chosen[name].items())]
                   for name in chosen if chosen[name]}
        read_set = self._new_read_set(self._stores[upload["sequenceStoreId"]], upload, now,
                                      "UPLOAD", upload["uploadId"], {"source2": None, **{
                                          name: self.files.new(sum(map(len, parts)))
                                          for name, parts in pending.items()}},
                                      "PROCESSING_UPLOAD")
        read_set.ready_at, read_set.pending = now + STEP, pending
        listed = sum(pending.values(), [])
        remove(*(p.file for p in upload.parts.values() if p.file not in listed))
        del self._uploads[upload["uploadId"]]
        return {"readSetId": read_set["id"]}
