"""Workflow, run, run group, run cache, configuration and batch operations:
routes, handlers and response documents."""

from ..paging import paginate
from ..values import ACCOUNT_ID, iso_timestamp, without_none
from .store import TERMINAL_RUN

PAGE_SIZE = 10          # default page size, so that clients have to page
STARTED_BY = f"arn:aws:iam::{ACCOUNT_ID}:user/omics-emulator"
README_URL = "https://omics-emulator.invalid/workflow/{id}/README.md"


def when(seconds):
    return iso_timestamp(seconds) if seconds is not None else None


def page_of(items, params, size_key="maxResults"):
    return paginate(items, params.get(size_key) or PAGE_SIZE, params.get("startingToken"))


class WorkflowApi:
    def __init__(self, backend):
        self.backend = backend

    # --- documents ------------------------------------------------------------

    def _definition_fields(self, item, now, export):
        spec = item.spec
        readme = None
        if "README" in (export or ()) and (spec.readme_markdown or spec.readme_uri):
            readme = README_URL.format(id=getattr(item, "workflow_id", None) or item.id)
        repository = None
        if spec.repository:
            repository = without_none({
                "connectionArn": spec.repository["connectionArn"],
                "fullRepositoryId": spec.repository["fullRepositoryId"],
                "sourceReference": spec.repository.get("sourceReference"),
                "providerType": "GitHub",
            })
        return {
            "type": item.type,
            "status": item.timeline.status(now),
            "statusMessage": item.status_message,
            "description": item.description,
            "engine": spec.engine,
            "definition": spec.definition,
            "digest": spec.digest,
            **spec.echoed,
            "creationTime": when(item.created),
            "tags": self.backend.tags_of(item.arn),
            "uuid": item.uuid,
            "readme": readme,
            "definitionRepositoryDetails": repository,
        }

    def workflow_document(self, workflow, now, export=None):
        return without_none({"arn": workflow.arn, "id": workflow.id, "name": workflow.name,
                             **self._definition_fields(workflow, now, export)})

    def version_document(self, version, now, export=None):
        return without_none({"arn": version.arn, "workflowId": version.workflow_id,
                             "versionName": version.name,
                             **self._definition_fields(version, now, export)})

    def run_document(self, run, now):
        settings = run.settings
        timeline = run.timeline
        status = timeline.status(now)
        stop = timeline.last_change(now) if status in TERMINAL_RUN else None
        started = timeline.entered("RUNNING", now)
        return without_none({
            "arn": run.arn,
            "id": run.id,
            "uuid": run.uuid,
            "status": status,
            "workflowId": run.workflow.id,
            "workflowType": settings["workflowType"],
            "workflowVersionName": settings.get("workflowVersionName"),
            "workflowOwnerId": settings.get("workflowOwnerId"),
            "workflowUuid": (run.version or run.workflow).uuid,
            "runId": run.id,
            "roleArn": settings["roleArn"],
            "name": settings.get("name"),
            "runGroupId": settings.get("runGroupId"),
            "batchId": run.batch_id,
            "cacheId": settings.get("cacheId"),
            "cacheBehavior": settings.get("cacheBehavior"),
            "priority": settings.get("priority"),
            "definition": (run.version or run.workflow).spec.definition,
            "digest": (run.version or run.workflow).spec.digest,
            "parameters": settings.get("parameters"),
            "storageCapacity": settings.get("storageCapacity"),
            "storageType": settings.get("storageType"),
            "outputUri": settings["outputUri"],
            "runOutputUri": run.run_output_uri,
            "logLevel": settings.get("logLevel"),
            "retentionMode": settings.get("retentionMode"),
            "networkingMode": settings.get("networkingMode"),
            "scratchStorageMode": settings.get("scratchStorageMode"),
            "engineSettings": settings.get("engineSettings"),
            "configuration": run.configuration,
            "startedBy": run.started_by,
            "creationTime": when(run.created),
            "startTime": when(started),
            "stopTime": when(stop),
            "statusMessage": run.status_message if status == "FAILED" else None,
            "failureReason": run.failure_reason if status == "FAILED" else None,
            "logLocation": {"engineLogStream": f"run/{run.id}/engine",
                            "runLogStream": f"run/{run.id}"},
            "tags": self.backend.tags_of(run.arn),
        })

    @staticmethod
    def run_item_document(run, now):
        timeline = run.timeline
        status = timeline.status(now)
        return without_none({
            "arn": run.arn,
            "id": run.id,
            "status": status,
            "workflowId": run.workflow.id,
            "batchId": run.batch_id,
            "name": run.settings.get("name"),
            "priority": run.settings.get("priority"),
            "storageCapacity": run.settings.get("storageCapacity"),
            "storageType": run.settings.get("storageType"),
            "creationTime": when(run.created),
            "startTime": when(timeline.entered("RUNNING", now)),
            "stopTime": when(timeline.last_change(now) if status in TERMINAL_RUN else None),
            "workflowVersionName": run.settings.get("workflowVersionName"),
            "workflowName": run.workflow.name,
        })

    @staticmethod
    def task_document(run, task, now, full=False):
        timeline = task.timeline
        status = timeline.status(now)
        document = {
            "taskId": task.id,
            "status": status,
            "name": task.name,
            "cpus": task.cpus,
            "memory": task.memory,
            "gpus": task.gpus,
            "instanceType": task.instance_type,
            "creationTime": when(task.created),
            "startTime": when(timeline.entered("RUNNING", now)),
            "stopTime": when(timeline.last_change(now) if status in TERMINAL_RUN else None),
            "uuid": task.uuid,
        }
        if run.settings.get("cacheId"):
            document["cacheHit"] = False
        if full:
            document.update({
                "statusMessage": task.status_message if status == "FAILED" else None,
                "failureReason": task.failure_reason if status == "FAILED" else None,
                "logStream": f"run/{run.id}/task/{task.id}",
            })
        return without_none(document)

    def run_group_document(self, group, full=False):
        document = {"arn": group.arn, "id": group.id, "name": group.name, **group.limits,
                    "creationTime": when(group.created)}
        if full:
            document["tags"] = self.backend.tags_of(group.arn)
        return without_none(document)

    def run_cache_document(self, cache, full=False):
        document = {"arn": cache.arn, "id": cache.id, "name": cache.name, "status": cache.status,
                    "cacheBehavior": cache.behavior, "cacheS3Uri": cache.s3_uri,
                    "creationTime": when(cache.created)}
        if full:
            document.update({"description": cache.description,
                             "cacheBucketOwnerId": cache.bucket_owner_id,
                             "tags": self.backend.tags_of(cache.arn)})
        return without_none(document)

    def configuration_document(self, configuration, now, full=True):
        document = {"arn": configuration.arn, "name": configuration.name,
                    "description": configuration.description,
                    "status": configuration.timeline.status(now),
                    "creationTime": when(configuration.created)}
        if full:
            document.update({"uuid": configuration.uuid,
                             "runConfigurations": configuration.run_configurations,
                             "tags": self.backend.tags_of(configuration.arn)})
        return without_none(document)

    def batch_document(self, batch, now):
        timeline = batch.timeline
        status = timeline.status(now)
        items = batch.items
        counts = {}
        for item in items:
            counts[item.submission_status] = counts.get(item.submission_status, 0) + 1
        submitted = [i for i in items if i.run_id is not None]
        run_counts = dict.fromkeys(("PENDING", "STARTING", "RUNNING", "STOPPING", "COMPLETED",
                                    "DELETED", "FAILED", "CANCELLED"), 0)
        runs = {r.id: r for r in self.backend.batch_runs(batch)}
        for item in submitted:
            run = runs.get(item.run_id)
            run_counts["DELETED" if run is None else run.timeline.status(now)] += 1
        default = dict(batch.default)
        return without_none({
            "id": batch.id,
            "arn": batch.arn,
            "uuid": batch.uuid,
            "name": batch.name,
            "status": status,
            "tags": self.backend.tags_of(batch.arn),
            "totalRuns": batch.total_runs,
            "defaultRunSetting": default,
            "submissionSummary": {
                "successfulStartSubmissionCount": len(submitted),
                "failedStartSubmissionCount": counts.get("FAILED", 0),
                "pendingStartSubmissionCount": 0 if batch.submitted else batch.total_runs,
                "successfulCancelSubmissionCount": counts.get("CANCEL_SUCCESS", 0),
                "failedCancelSubmissionCount": counts.get("CANCEL_FAILED", 0),
                "successfulDeleteSubmissionCount": counts.get("DELETE_SUCCESS", 0),
                "failedDeleteSubmissionCount": counts.get("DELETE_FAILED", 0),
            },
            "runSummary": {f"{name.lower()}RunCount": n for name, n in run_counts.items()},
            "creationTime": when(batch.created),
            "submittedTime": when(timeline.entered("SUBMITTING", now)),
            "processedTime": when(timeline.entered("PROCESSED", now)),
            "failedTime": when(timeline.entered("FAILED", now)),
            "failureReason": batch.failure_reason if status == "FAILED" else None,
        })

    # --- workflows --------------------------------------------------------------

    def create_workflow(self, context, params):
        now = self.backend.now()
        workflow = self.backend.create_workflow(context.region, params, now)
        return {"arn": workflow.arn, "id": workflow.id, "status": workflow.timeline.status(now),
                "tags": self.backend.tags_of(workflow.arn), "uuid": workflow.uuid}

    def get_workflow(self, context, params):
        now = self.backend.now()
        workflow = self.backend.get_workflow(params["id"], now, params.get("type"),
                                             params.get("workflowOwnerId"))
        return self.workflow_document(workflow, now, params.get("export"))

    def list_workflows(self, context, params):
        now = self.backend.now()
        workflows = self.backend.list_workflows(now, params.get("type"), params.get("name"))
        page, token = page_of(workflows, params)
        return without_none({"items": [without_none({
            "arn": w.arn, "id": w.id, "name": w.name, "status": w.timeline.status(now),
            "type": w.type, "digest": w.spec.digest, "creationTime": when(w.created),
        }) for w in page], "nextToken": token})

    def update_workflow(self, context, params):
        self.backend.update_workflow(params["id"], params, self.backend.now())

    def delete_workflow(self, context, params):
        self.backend.delete_workflow(params["id"], self.backend.now())

    # --- workflow versions -----------------------------------------------------

    def create_workflow_version(self, context, params):
        now = self.backend.now()
        version = self.backend.create_version(context.region, params, now)
        return {"arn": version.arn, "workflowId": version.workflow_id,
                "versionName": version.name, "status": version.timeline.status(now),
                "tags": self.backend.tags_of(version.arn), "uuid": version.uuid}

    def get_workflow_version(self, context, params):
        now = self.backend.now()
        version = self.backend.get_version(params["workflowId"], params["versionName"], now,
                                           params.get("type"), params.get("workflowOwnerId"))
        return self.version_document(version, now, params.get("export"))

    def list_workflow_versions(self, context, params):
        now = self.backend.now()
        versions = self.backend.list_versions(params["workflowId"], now, params.get("type"),
                                              params.get("workflowOwnerId"))
        page, token = page_of(versions, params)
        return without_none({"items": [without_none({
            "arn": v.arn, "workflowId": v.workflow_id, "versionName": v.name,
            "description": v.description, "status": v.timeline.status(now), "type": v.type,
            "digest": v.spec.digest, "creationTime": when(v.created),
        }) for v in page], "nextToken": token})

    def update_workflow_version(self, context, params):
        self.backend.update_version(params["workflowId"], params["versionName"], params,
                                    self.backend.now())

    def delete_workflow_version(self, context, params):
        self.backend.delete_version(params["workflowId"], params["versionName"],
                                    self.backend.now())

    # --- runs and tasks -----------------------------------------------------------

    def start_run(self, context, params):
        now = self.backend.now()
        run = self.backend.start_run(context.region, params, now, STARTED_BY)
        return without_none({"arn": run.arn, "id": run.id, "status": run.timeline.status(now),
                             "tags": self.backend.tags_of(run.arn), "uuid": run.uuid,
                             "runOutputUri": run.run_output_uri,
                             "configuration": run.configuration,
                             "networkingMode": run.settings.get("networkingMode")})

    def get_run(self, context, params):
        now = self.backend.now()
        return self.run_document(self.backend.get_run(params["id"], now), now)

    def list_runs(self, context, params):
        now = self.backend.now()
        runs = self.backend.list_runs(now, params.get("name"), params.get("runGroupId"),
                                      params.get("batchId"), params.get("status"))
        page, token = page_of(runs, params)
        return without_none({"items": [self.run_item_document(r, now) for r in page],
                             "nextToken": token})

    def cancel_run(self, context, params):
        self.backend.cancel_run(params["id"], self.backend.now())

    def delete_run(self, context, params):
        self.backend.delete_run(params["id"], self.backend.now())

    def get_run_task(self, context, params):
        now = self.backend.now()
        run = self.backend.get_run(params["id"], now)
        task = self.backend.get_task(params["id"], params["taskId"], now)
        return self.task_document(run, task, now, full=True)

    def list_run_tasks(self, context, params):
        now = self.backend.now()
        run = self.backend.get_run(params["id"], now)
        tasks = self.backend.visible_tasks(run, now, params.get("status"))
        page, token = page_of(tasks, params)
        return without_none({"items": [self.task_document(run, t, now) for t in page],
                             "nextToken": token})

    # --- run groups ---------------------------------------------------------------

    def create_run_group(self, context, params):
        group = self.backend.create_run_group(context.region, params, self.backend.now())
        return {"arn": group.arn, "id": group.id, "tags": self.backend.tags_of(group.arn)}

    def get_run_group(self, context, params):
        return self.run_group_document(self.backend.get_run_group(params["id"]), full=True)

    def list_run_groups(self, context, params):
        page, token = page_of(self.backend.list_run_groups(params.get("name")), params)
        return without_none({"items": [self.run_group_document(g) for g in page],
                             "nextToken": token})

    def update_run_group(self, context, params):
        self.backend.update_run_group(params["id"], params)

    def delete_run_group(self, context, params):
        self.backend.delete_run_group(params["id"], self.backend.now())

    # --- run caches -----------------------------------------------------------------

    def create_run_cache(self, context, params):
        cache = self.backend.create_run_cache(context.region, params, self.backend.now())
        return {"arn": cache.arn, "id": cache.id, "status": cache.status,
                "tags": self.backend.tags_of(cache.arn)}

    def get_run_cache(self, context, params):
        return self.run_cache_document(self.backend.get_run_cache(params["id"]), full=True)

    def list_run_caches(self, context, params):
        page, token = page_of(self.backend.list_run_caches(), params)
        return without_none({"items": [self.run_cache_document(c) for c in page],
                             "nextToken": token})

    def update_run_cache(self, context, params):
        self.backend.update_run_cache(params["id"], params)

    def delete_run_cache(self, context, params):
        self.backend.delete_run_cache(params["id"])

    # --- configurations -------------------------------------------------------------

    def create_configuration(self, context, params):
        now = self.backend.now()
        configuration = self.backend.create_configuration(context.region, params, now)
        return self.configuration_document(configuration, now)

    def get_configuration(self, context, params):
        now = self.backend.now()
        return self.configuration_document(self.backend.get_configuration(params["name"], now), now)

    def list_configurations(self, context, params):
        now = self.backend.now()
        page, token = page_of(self.backend.list_configurations(now), params)
        return without_none({"items": [self.configuration_document(c, now, full=False)
                                       for c in page], "nextToken": token})

    def delete_configuration(self, context, params):
        self.backend.delete_configuration(params["name"], self.backend.now())

    # --- batches --------------------------------------------------------------------

    def start_run_batch(self, context, params):
        now = self.backend.now()
        batch = self.backend.start_batch(context.region, params, now, STARTED_BY)
        return {"id": batch.id, "arn": batch.arn, "status": batch.timeline.status(now),
                "uuid": batch.uuid, "tags": self.backend.tags_of(batch.arn)}

    def get_batch(self, context, params):
        now = self.backend.now()
        return self.batch_document(self.backend.get_batch(params["batchId"], now), now)

    def list_batch(self, context, params):
        now = self.backend.now()
        batches = self.backend.list_batches(now, params.get("status"), params.get("name"),
                                            params.get("runGroupId"))
        page, token = page_of(batches, params, "maxItems")
        return without_none({"items": [without_none({
            "id": b.id, "name": b.name, "status": b.timeline.status(now),
            "createdAt": when(b.created), "totalRuns": b.total_runs,
            "workflowId": b.default["workflowId"],
        }) for b in page], "nextToken": token})

    def list_runs_in_batch(self, context, params):
        now = self.backend.now()
        batch = self.backend.get_batch(params["batchId"], now)
        items = [i for i in batch.items
                 if params.get("submissionStatus") in (None, i.submission_status)
                 and params.get("runSettingId") in (None, i.run_setting_id)
                 and params.get("runId") in (None, i.run_id)]
        page, token = page_of(items, params, "maxItems")
        return without_none({"runs": [without_none({
            "runSettingId": i.run_setting_id, "runId": i.run_id, "runInternalUuid": i.run_uuid,
            "runArn": i.run_arn, "submissionStatus": i.submission_status,
            "submissionFailureReason": i.failure_reason,
            "submissionFailureMessage": i.failure_message,
        }) for i in page], "nextToken": token})

    def cancel_run_batch(self, context, params):
        self.backend.cancel_batch(params["batchId"], self.backend.now())
        return {}

    def delete_run_batch(self, context, params):
        self.backend.delete_batch_runs(params["batchId"], self.backend.now())
        return {}

    def delete_batch(self, context, params):
        self.backend.delete_batch(params["batchId"], self.backend.now())
