"""Run batches: CREATING, SUBMITTING after one step (their runs are started
then, from inlineSettings or an S3 file of them), INPROGRESS after two,
PROCESSED once every run has finished. CancelRunBatch: STOPPING, then
CANCELLED; DeleteRunBatch: RUNS_DELETING, then RUNS_DELETED.

Work that falls due (a submission, a batch's end, the end of a deletion) is
done lazily by _sweep, when the operations are next used, stamped with the
time it was due."""

import json

from ..errors import ServiceError, conflict
from ..lifecycle import STEP, Timeline
from ..records import Record, find, listing, matching, new_uuid, require, swept
from ..tags.registry import check_create_tags
from ..values import arn, new_id
from .runs import ACTIVE_RUN, STOPPING, TERMINAL

BATCH_STEPS = [(0, "CREATING"), (STEP, "SUBMITTING"), (2 * STEP, "INPROGRESS")]
BATCH_FAILS = [(0, "CREATING"), (STEP, "FAILED")]
CANCELLABLE = frozenset({"CREATING", "PENDING", "SUBMITTING", "INPROGRESS"})
FINISHED = frozenset({"PROCESSED", "CANCELLED", "FAILED"})
RUN_STATES = ("PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED", "DELETED", "FAILED",
              "CANCELLED")
SUBMISSIONS = {"successfulCancel": "CANCEL_SUCCESS", "failedCancel": "CANCEL_FAILED",
               "successfulDelete": "DELETE_SUCCESS", "failedDelete": "DELETE_FAILED",
               "failedStart": "FAILED"}


def unique_settings(settings):
    seen = set()
    for setting in settings:
        if setting["runSettingId"] in seen:
            raise ServiceError("ValidationException",
                               f"runSettingId {setting['runSettingId']} is used more than once.")
        seen.add(setting["runSettingId"])
    return settings


class Batches:
    """StartRunBatch ... DeleteBatch (mixed into WorkflowApi)."""

    def _sweep(self):
        """Do the work that has fallen due; the time of the request. Not again
        from inside that work (a submission starts runs, which sweep)."""
        now = self.clock.now()
        if self._sweeping:
            return now
        self._sweeping = True
        try:
            self._configurations = {name: c for name, c in self._configurations.items()
                                    if c.timeline.status(now) != "DELETED"}
            for batch in self._batches.values():
                submitted_at = batch.timeline.entered("SUBMITTING", now)
                if not batch.submitted and not batch.cancelled and submitted_at is not None:
                    self._submit(batch, submitted_at)
                if batch.timeline.status(now) == "INPROGRESS":
                    self._maybe_processed(batch, now)
        finally:
            self._sweeping = False
        return now

    @swept
    def start_run_batch(self, context, params, now):
        def make():
            check_create_tags(params.get("tags"))
            default = params["defaultRunSetting"]
            check_create_tags(default.get("runTags"))
            self._resolve(default, now)
            inline = params["batchRunSettings"].get("inlineSettings")
            if inline is not None:
                unique_settings(inline)
            failure = self.failures.take("batch")
            batch_id = new_id(self._batches)
            batch = Record(id=batch_id, arn=arn(context.region, f"runBatch/{batch_id}"),
                           uuid=new_uuid(), name=params.get("batchName"), creationTime=now,
                           defaultRunSetting=dict(default), workflowId=default["workflowId"],
                           totalRuns=len(inline) if inline is not None else 0,
                           failureReason=failure)
            batch.timeline = Timeline(now, BATCH_FAILS if failure else BATCH_STEPS)
            batch.region, batch.inline = context.region, inline
            batch.s3_settings = params["batchRunSettings"].get("s3UriSettings")
            batch.entries, batch.submitted, batch.cancelled = [], False, False
            self._batches[batch_id] = batch
            self.tags.register(batch["arn"], params.get("tags"), "RUN_BATCH", batch_id)
            return batch
        return self._batch_view(self.tokens.once("batch", params["requestId"], self._batches,
                                                 make), now)

    def _read_s3_settings(self, uri):
        document = self.s3.read(uri, lambda path: json.loads(path.read_bytes().decode("utf-8")),
                                "Run settings file", "read run settings from")
        if isinstance(document, dict) and "inlineSettings" in document:
            document = document["inlineSettings"]
        try:
            return unique_settings(self.model.validate("InlineSettings", document, "inlineSettings"))
        except ServiceError as error:
            raise ValueError(f"Invalid run settings in {uri}: {error.message}") from None

    def _submit(self, batch, when):
        batch.submitted = True
        settings = batch.inline
        if settings is None:
            try:
                settings = self._read_s3_settings(batch.s3_settings)
            except ValueError as exc:
                batch["failureReason"] = str(exc)
                batch.timeline.reschedule(when, [(0, "FAILED")])
                return
            batch["totalRuns"] = len(settings)
        default = {k: v for k, v in batch["defaultRunSetting"].items() if k != "runTags"}
        for setting in settings:
            item = Record(runSettingId=setting["runSettingId"], submissionStatus="SUCCESS")
            run_settings = {**default, **{k: setting[k] for k in (
                "name", "outputUri", "priority", "parameters", "engineSettings") if k in setting}}
            tags = {**batch["defaultRunSetting"].get("runTags", {}), **setting.get("runTags", {})}
            try:
                if "outputUri" not in run_settings:
                    raise ServiceError("ValidationException", "outputUri is required (in "
                                       "defaultRunSetting or the run setting).")
                run = self._new_run(batch.region, run_settings, tags, when, batch["id"])
            except ServiceError as error:
                item.update(submissionStatus="FAILED", submissionFailureReason=error.code,
                            submissionFailureMessage=error.message)
            else:
                item.update(runId=run["id"], runArn=run["arn"], runInternalUuid=run["uuid"])
            batch.entries.append(item)

    def _batch_runs(self, batch):
        return [self._runs[i["runId"]] for i in batch.entries if i.get("runId") in self._runs]

    def _maybe_processed(self, batch, now):
        runs = self._batch_runs(batch)
        if all(r.timeline.status(now) in TERMINAL for r in runs):
            finished = [r.timeline.last_change(now) for r in runs]
            started = batch.timeline.entered("INPROGRESS", now)
            batch.timeline.events.append((max([started, *finished]), "PROCESSED"))

    def _batch_view(self, batch, now, full=True):
        status = batch.timeline.status(now)
        view = {**batch, "status": status, "createdAt": batch["creationTime"],
                "failureReason": batch.get("failureReason") if status == "FAILED" else None}
        if not full:
            return view
        submitted = [i for i in batch.entries if i.get("runId") is not None]
        statuses = [i["submissionStatus"] for i in batch.entries]
        summary = {f"{name}SubmissionCount": statuses.count(code)
                   for name, code in SUBMISSIONS.items()}
        summary["successfulStartSubmissionCount"] = len(submitted)
        summary["pendingStartSubmissionCount"] = 0 if batch.submitted else batch["totalRuns"]
        runs = {r["id"]: r.timeline.status(now) for r in self._batch_runs(batch)}
        states = [runs.get(i["runId"], "DELETED") for i in submitted]
        return {**view, "tags": self.tags.tags_of(batch["arn"]), "submissionSummary": summary,
                "runSummary": {f"{s.lower()}RunCount": states.count(s) for s in RUN_STATES},
                "submittedTime": batch.timeline.entered("SUBMITTING", now),
                "processedTime": batch.timeline.entered("PROCESSED", now),
                "failedTime": batch.timeline.entered("FAILED", now)}

    def _batch(self, batch_id):
        return find(self._batches, batch_id, "Batch")

    @swept
    def get_batch(self, context, params, now):
        return self._batch_view(self._batch(params["batchId"]), now)

    @swept
    def list_batch(self, context, params, now):
        found = [b for b in matching(self._batches.values(), name=params.get("name"))
                 if params.get("status") in (None, b.timeline.status(now))
                 and params.get("runGroupId") in (None, b["defaultRunSetting"].get("runGroupId"))]
        return listing("items", found, params,
                       lambda b: self._batch_view(b, now, full=False), size_key="maxItems",
                       token_key="startingToken")

    @swept
    def list_runs_in_batch(self, context, params, now):
        found = matching(self._batch(params["batchId"]).entries,
                         submissionStatus=params.get("submissionStatus"),
                         runSettingId=params.get("runSettingId"), runId=params.get("runId"))
        return listing("runs", found, params, size_key="maxItems", token_key="startingToken")

    @swept
    def cancel_run_batch(self, context, params, now):
        batch = self._batch(params["batchId"])
        require(batch, now, f"Batch {batch['id']}", CANCELLABLE, "; it can no longer be cancelled.")
        batch.cancelled = True
        for item in batch.entries:
            run = self._runs.get(item.get("runId"))
            if run is not None and run.timeline.status(now) in ACTIVE_RUN:
                self._cancel(run, now)
                item["submissionStatus"] = "CANCEL_SUCCESS"
        batch.timeline.reschedule(now, STOPPING)
        return {}

    @swept
    def delete_run_batch(self, context, params, now):
        batch = self._batch(params["batchId"])
        status = batch.timeline.status(now)
        runs = self._batch_runs(batch)
        if status not in FINISHED or any(r.timeline.status(now) not in TERMINAL for r in runs):
            raise conflict(f"Batch {batch['id']} is {status}; its runs "
                           "can be deleted once it is PROCESSED, CANCELLED or FAILED.")
        for run in runs:
            self._drop_run(run)
        for item in batch.entries:
            if item.get("runId") is not None:
                item["submissionStatus"] = "DELETE_SUCCESS"
        batch.timeline.reschedule(now, [(0, "RUNS_DELETING"), (STEP, "RUNS_DELETED")])
        return {}

    @swept
    def delete_batch(self, context, params, now):
        batch = self._batch(params["batchId"])
        require(batch, now, f"Batch {batch['id']}", FINISHED | {"RUNS_DELETED"},
                "; only a finished batch can be deleted.")
        self.tags.drop(self._batches, batch["id"])
