"""Read set import, activation and export jobs: SUBMITTED for one step,
IN_PROGRESS for one more, then COMPLETED, COMPLETED_WITH_FAILURES or FAILED,
each source with its own NOT_STARTED, IN_PROGRESS, FINISHED or FAILED.
Everything that takes time happens lazily (_sweep), whenever the
operations are next used, stamped with the time it was due."""

import re

from ..records import advance_job, by_kind, matching, swept
from .formats import FormatError, file_extension
from .readsets import needs_reference

NOUNS = {"import": "Import job", "activation": "Activation job", "export": "Export job"}
ITEMS = {"import": "sources", "activation": "sources", "export": "readSets"}
KEPT = {"import": ("roleArn",), "activation": (), "export": ("roleArn", "destination")}
DESTINATION = re.compile(r"s3://([^/]+)/?(.*)")


@by_kind(list(NOUNS), "start_read_set_KIND_job", "get_read_set_KIND_job", "list_read_set_KIND_jobs")
class Jobs:
    """StartReadSet*Job, GetReadSet*Job, ListReadSet*Jobs (mixed into SequenceApi)."""

    def _start_read_set_kind_job(self, kind, context, params):
        members = {key: params[key] for key in KEPT[kind]}
        items = [{"id": s["readSetId"], **s} if kind == "export" else s for s in params["sources"]]
        # a token names one job of a kind per store
        return self._new_job(kind, params, items, None, **members)

    @swept
    def _get_read_set_kind_job(self, kind, context, params, now):
        jobs = {key: job for key, job in self._jobs.items() if job.kind == kind}
        job = self._in_store(jobs, params["id"], NOUNS[kind], params["sequenceStoreId"])
        return {**job, ITEMS[kind]: job.entries}

    @swept
    def _list_read_set_kind_jobs(self, kind, context, params, now):
        jobs = [j for j in self._jobs.values() if j.kind == kind]
        return self._list_in_store(f"{kind}Jobs", jobs, params)

    # --- the clock -----------------------------------------------------------------

    def _sweep(self):
        """Finish what has fallen due; the time of the request."""
        now = self.clock.now()
        for job in matching(self._jobs.values()):
            advance_job(job, now, getattr(self, "_finish_" + job.kind), "items",
                        self._begin_activation if job.kind == "activation" else None)
        for read_set in self._read_sets.values():
            self._refresh(read_set, now)
        return now

    def _job_read_set(self, job, item, when):
        read_set = self._read_sets.get(item["readSetId"])
        if read_set is None or read_set["sequenceStoreId"] != job["sequenceStoreId"]:
            raise FormatError(f"Read set {item['readSetId']} not found.")
        self._refresh(read_set, when)
        return read_set

    def _begin_activation(self, job, item, when):
        try:
            read_set = self._job_read_set(job, item, when)
        except FormatError:
            return
        if read_set["status"] == "ARCHIVED":
            read_set["status"] = "ACTIVATING"

    def _finish_import(self, job, item, when):
        if needs_reference(item):
            raise FormatError(needs_reference(item))
        files = item["sourceFiles"]
        source1 = self.s3.read(files["source1"], self.files.copy)
        source2 = self.s3.read(files["source2"], self.files.copy) if files.get("source2") else None
        read_set = self._new_read_set(self._stores[job["sequenceStoreId"]], item, when, "IMPORT",
                                      job["id"], {"source1": source1, "source2": source2}, "ACTIVE")
        try:
            self._process(read_set)
        except FormatError:
            self._drop(read_set)
            raise
        item["readSetId"] = read_set["id"]

    def _finish_activation(self, job, item, when):
        read_set = self._job_read_set(job, item, when)
        if read_set["status"] == "ACTIVATING":
            read_set["status"], read_set.last_access = "ACTIVE", when
        elif read_set["status"] != "ACTIVE":
            raise FormatError(f"Read set {item['readSetId']} is {read_set['status']}.")

    def _finish_export(self, job, item, when):
        read_set = self._job_read_set(job, item, when)
        if read_set["status"] != "ACTIVE":
            raise FormatError(f"Read set {item['readSetId']} is {read_set['status']}; only "
                              f"ACTIVE read sets can be exported.")
        for uri, data in export_files(job["destination"], read_set):
            try:
                self.s3.write(uri, data)
            except (OSError, ValueError) as exc:
                raise FormatError(f"Cannot write {uri}: {exc}") from None
        read_set.last_access = when


def export_files(destination, read_set):
    """[(s3 uri, StoredFile)] an export job writes for one read set."""
    bucket, prefix = DESTINATION.fullmatch(destination).groups()
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    base = f"s3://{bucket}/{prefix}{read_set['id']}/"
    files, file_type = read_set.files, read_set["fileType"]
    extension = file_extension(file_type, files["source1"])
    out = [(f"{base}source1.{extension}", files["source1"])]
    if files["source2"] is not None:
        out.append((f"{base}source2.{file_extension(file_type, files['source2'])}",
                    files["source2"]))
    if files.get("index") is not None:
        out.append((f"{base}source1.{extension}.{read_set.index_name}", files["index"]))
    return out
