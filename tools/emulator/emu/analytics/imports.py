"""Annotation and variant import jobs: SUBMITTED, IN_PROGRESS one step later,
and done one more step later: COMPLETED, or FAILED (COMPLETED_WITH_FAILURES
when only some items fail) when a source is missing under the S3 root or the
fail_next switch says so. A completed job adds the size of what it read to
the store (and version). Cancelling an unfinished job makes it CANCELLED."""

from ..errors import validation
from ..lifecycle import STEP, Timeline
from ..records import (Record, by_kind, find, job_outcome, listing, matching, new_uuid, require,
                       swept)
from .stores import KINDS, UNFINISHED


@by_kind(list(KINDS), "start_KIND_import_job", "get_KIND_import_job", "list_KIND_import_jobs",
         "cancel_KIND_import_job")
class Imports:
    """Start/Get/List/Cancel of both kinds of import job (mixed into AnalyticsApi)."""

    def _advance_job(self, job, now):
        if "completionTime" in job:
            return
        if now >= job["creationTime"] + 2 * STEP:
            self._finish(job, job["creationTime"] + 2 * STEP)
        else:
            for item in job.entries:
                item["jobStatus"] = job.timeline.status(now)

    def _finish(self, job, when):
        added = 0
        for item in job.entries:
            try:
                if job.failure:
                    raise ValueError(job.failure)
                added += len(self.s3.read(item["source"]))
                item["jobStatus"] = "COMPLETED"
            except ValueError as exc:
                item.update(jobStatus="FAILED", statusMessage=str(exc))
        outcome, message = job_outcome(job.entries, "items", "jobStatus")
        job["statusMessage"] = message or job["statusMessage"]
        store = self._stores[job.kind].get(job["destinationName"])
        if store is not None and added:
            version = store.versions.get(job.get("versionName"))
            store.update(storeSizeBytes=store["storeSizeBytes"] + added, updateTime=when)
            if version is not None:
                version.update(versionSizeBytes=version["versionSizeBytes"] + added, updateTime=when)
        job.timeline.events.append((when, outcome))
        job["completionTime"] = when

    @swept
    def _start_kind_import_job(self, kind, context, params, now):
        store = self._store(kind, params["destinationName"])
        require(store, now, f"{KINDS[kind][1]} {store['name']}", error=validation)
        version_name = None
        if kind == "annotation":
            version_name = params.get("versionName", store["versionName"])
            require(self._version(store["name"], version_name), now,
                    f"Version {version_name} of annotation store {store['name']}", error=validation)
        job = Record({k: params.get(k) for k in ("roleArn", "formatOptions", "annotationFields")},
                     id=new_uuid(), destinationName=store["name"], versionName=version_name,
                     runLeftNormalization=params.get("runLeftNormalization", False),
                     creationTime=now, statusMessage="")
        job.kind, job.failure = kind, self.failures.take(f"{kind}_import")
        job.entries = [Record(source=i["source"], jobStatus="SUBMITTED") for i in params["items"]]
        job.timeline = Timeline(now, [(0, "SUBMITTED"), (STEP, "IN_PROGRESS")])
        self._jobs[job["id"]] = job
        return {"jobId": job["id"]}

    def _job_view(self, job, now):
        return {**job, "status": job.timeline.status(now), "items": job.entries,
                "updateTime": job.timeline.last_change(now)}

    def _job(self, kind, job_id):
        jobs = {key: job for key, job in self._jobs.items() if job.kind == kind}
        return find(jobs, job_id, f"{kind.capitalize()} import job")

    @swept
    def _get_kind_import_job(self, kind, context, params, now):
        return self._job_view(self._job(kind, params["jobId"]), now)

    @swept
    def _list_kind_import_jobs(self, kind, context, params, now):
        criteria = params.get("filter", {})
        found = [j for j in matching(self._jobs.values(),
                                     destinationName=criteria.get("storeName"))
                 if j.kind == kind and (params.get("ids") is None or j["id"] in params["ids"])
                 and criteria.get("status") in (None, j.timeline.status(now))]
        return listing(f"{kind}ImportJobs", found, params, lambda j: self._job_view(j, now))

    def _cancel(self, job, now):
        job.timeline.reschedule(now, [(0, "CANCELLED")])
        job["completionTime"] = now
        for item in job.entries:
            item["jobStatus"] = "CANCELLED"

    @swept
    def _cancel_kind_import_job(self, kind, context, params, now):
        job = self._job(kind, params["jobId"])
        status = job.timeline.status(now)
        if status in UNFINISHED:
            self._cancel(job, now)
        elif status != "CANCELLED":
            raise validation(f"Import job {job['id']} is {status}; it can no longer be "
                             "cancelled.")
        return {}
