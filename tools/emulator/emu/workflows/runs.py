"""Runs and their tasks, run groups, run caches and configurations.

A run is PENDING, STARTING after one step, RUNNING after two, COMPLETED
after five. Its tasks appear when it is RUNNING and go PENDING, STARTING,
RUNNING, COMPLETED one step apart. CancelRun: STOPPING, then CANCELLED
(unfinished tasks likewise). Configurations are CREATING, then ACTIVE;
deleting one makes it DELETING, then gone.
"""

import hashlib

from ..errors import conflict, not_found, validation
from ..lifecycle import CREATING, CREATING_FAILS, DELETING, STEP, Timeline
from ..records import Record, by_kind, find, listing, locked, matching, new_uuid, require, swept
from ..tags.registry import check_create_tags
from ..values import ACCOUNT_ID, arn, new_id
from .definitions import DEFAULT_STORAGE_CAPACITY

TERMINAL = frozenset({"COMPLETED", "FAILED", "CANCELLED", "DELETED"})
ACTIVE_RUN = frozenset({"PENDING", "STARTING", "RUNNING"})
FORCED_FAILURE_REASON = "EMULATOR_FORCED_FAILURE"
STARTED_BY = f"arn:aws:iam::{ACCOUNT_ID}:user/omics-emulator"
RUN_STEPS = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "RUNNING"), (5 * STEP, "COMPLETED")]
RUN_FAILS_AT_START = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "FAILED")]
RUN_FAILS_IN_TASK = RUN_STEPS[:3] + [(5 * STEP, "FAILED")]
TASK_OFFSET = 2 * STEP        # tasks appear when their run is RUNNING
TASK_STEPS = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "RUNNING"), (3 * STEP, "COMPLETED")]
TASK_FAILS = TASK_STEPS[:3] + [(3 * STEP, "FAILED")]
STOPPING = [(0, "STOPPING"), (STEP, "CANCELLED")]
RUN_GROUP_LIMITS = ("maxCpus", "maxRuns", "maxDuration", "maxGpus")
# Run groups and run caches, by their ARN word: (table, noun, tag kind, members an update sets)
PLAIN = {"runGroup": ("_run_groups", "Run group", "RUN_GROUP", ("name",) + RUN_GROUP_LIMITS),
         "runCache": ("_run_caches", "Run cache", "RUN_CACHE", ("cacheBehavior", "description",
                                                                 "name"))}
# What a rerun (StartRun with runId) copies from the earlier run.
RUN_SETTINGS = ("workflowId", "workflowType", "workflowVersionName", "workflowOwnerId", "roleArn",
                "name", "cacheId", "cacheBehavior", "runGroupId", "priority", "parameters",
                "storageCapacity", "storageType", "outputUri", "logLevel", "retentionMode",
                "networkingMode", "scratchStorageMode", "configurationName", "engineSettings")


def progress(record, now):
    """Status-dependent members of a run or task at now."""
    timeline = record.timeline
    status = timeline.status(now)
    failed = status == "FAILED" and record.failure is not None
    return {"status": status, "startTime": timeline.entered("RUNNING", now),
            "stopTime": timeline.last_change(now) if status in TERMINAL else None,
            "statusMessage": record.failure if failed else None,
            "failureReason": FORCED_FAILURE_REASON if failed else None}


@by_kind({"group": "runGroup", "cache": "runCache"}, "create_run_KIND", "get_run_KIND",
         "list_run_KINDs", "update_run_KIND", "delete_run_KIND")
class Runs:
    """StartRun ... DeleteConfiguration (mixed into WorkflowApi)."""

    def _resolve(self, settings, now):
        """The workflow, version and configuration a run's settings name; raises if unusable."""
        if settings.get("workflowType", "PRIVATE") != "PRIVATE":
            raise not_found(f"Workflow {settings.get('workflowId')} of type "
                            f"{settings['workflowType']} not found.")
        workflow = self._workflow(settings["workflowId"], None, settings.get("workflowOwnerId"))
        version = None
        if settings.get("workflowVersionName"):
            version = self._version(workflow["id"], settings["workflowVersionName"])
        what = f"Version {version['versionName']} of workflow" if version else "Workflow"
        require(version or workflow, now, f"{what} {workflow['id']}", why="; runs need it ACTIVE.")
        if settings.get("runGroupId"):
            find(self._run_groups, settings["runGroupId"], "Run group")
        if settings.get("cacheId"):
            cache = find(self._run_caches, settings["cacheId"], "Run cache")
            if cache["status"] != "ACTIVE":
                raise conflict(f"Run cache {cache['id']} is {cache['status']}.")
        if settings.get("networkingMode") == "VPC" and not settings.get("configurationName"):
            raise validation("networkingMode VPC needs a configurationName.")
        configuration = None
        if settings.get("configurationName"):
            configuration = self._configuration(settings["configurationName"])
            require(configuration, now, f"Configuration {configuration['name']}")
        return workflow, version, configuration

    def _new_run(self, region, settings, tags, now, batch_id=None):
        workflow, version, configuration = self._resolve(settings, now)
        made_from = version or workflow
        settings = {"workflowType": "PRIVATE", "storageType": made_from["storageType"],
                    "networkingMode": "RESTRICTED", "retentionMode": "RETAIN", **settings}
        if settings["storageType"] == "STATIC":
            settings.setdefault("storageCapacity",
                                made_from.get("storageCapacity", DEFAULT_STORAGE_CAPACITY))
        run_id = new_id(self._runs)
        fails_at_start = self.failures.take("run")
        fails_in_task = None if fails_at_start else self.failures.take("task")
        run = Record(settings, arn=arn(region, f"run/{run_id}"), id=run_id, runId=run_id,
                     uuid=new_uuid(), workflowUuid=made_from["uuid"], workflowName=workflow.get("name"),
                     definition=made_from["definition"], digest=made_from["digest"],
                     runOutputUri=settings["outputUri"].rstrip("/") + "/" + run_id,
                     startedBy=STARTED_BY, creationTime=now, batchId=batch_id,
                     logLocation={"engineLogStream": f"run/{run_id}/engine",
                                  "runLogStream": f"run/{run_id}"},
                     configuration=configuration and {k: configuration[k]
                                                      for k in ("name", "arn", "uuid")})
        run.settings = settings
        run.timeline = Timeline(now, RUN_FAILS_AT_START if fails_at_start
                                else RUN_FAILS_IN_TASK if fails_in_task else RUN_STEPS)
        run.failure, run.tasks = fails_at_start, []
        count = 0 if fails_at_start else self.tasks_per_run
        for number in range(1, count + 1):
            task_id = new_id(self._task_ids)
            self._task_ids.add(task_id)
            task = Record(taskId=task_id, uuid=new_uuid(), name=f"task-{number}", cpus=2, memory=4,
                          gpus=0, instanceType="omics.c.large", creationTime=now + TASK_OFFSET,
                          logStream=f"run/{run_id}/task/{task_id}",
                          cacheHit=False if settings.get("cacheId") else None)
            failing = fails_in_task is not None and number == count
            task.timeline = Timeline(now + TASK_OFFSET, TASK_FAILS if failing else TASK_STEPS)
            task.failure = fails_in_task if failing else None
            run.tasks.append(task)
        if fails_in_task:
            run.failure = f"Task task-{count} failed: {fails_in_task}"
        self._runs[run_id] = run
        self.tags.register(run["arn"], tags, "RUN", run_id)
        return run

    def _run_view(self, run, now, tags=True):
        return {**run, **progress(run, now), "tags": self.tags.tags_of(run["arn"]) if tags else None}

    @swept
    def start_run(self, context, params, now):
        def make():
            check_create_tags(params.get("tags"))
            settings = {}
            if params.get("runId"):
                settings.update(self._run(params["runId"]).settings)
            elif not params.get("workflowId"):
                raise validation("Either workflowId or runId must be given.")
            settings.update({k: params[k] for k in RUN_SETTINGS if k in params})
            return self._new_run(context.region, settings, params.get("tags"), now)
        return self._run_view(self.tokens.once("run", params["requestId"], self._runs, make), now)

    def _run(self, run_id):
        return find(self._runs, run_id, "Run")

    @swept
    def get_run(self, context, params, now):
        return self._run_view(self._run(params["id"]), now)

    @swept
    def list_runs(self, context, params, now):
        found = [r for r in matching(self._runs.values(), name=params.get("name"),
                                     runGroupId=params.get("runGroupId"),
                                     batchId=params.get("batchId"))
                 if params.get("status") in (None, r.timeline.status(now))]
        return listing("items", found, params,
                       lambda r: self._run_view(r, now, tags=False), token_key="startingToken")

    def _cancel(self, run, now):
        run.timeline.reschedule(now, STOPPING)
        run.tasks = [t for t in run.tasks if t["creationTime"] <= now]
        for task in run.tasks:
            if task.timeline.status(now) not in TERMINAL:
                task.timeline.reschedule(now, STOPPING)

    @swept
    def cancel_run(self, context, params, now):
        run = self._run(params["id"])
        require(run, now, f"Run {run['id']}", ACTIVE_RUN,
                "; only PENDING, STARTING or RUNNING runs can be cancelled.")
        self._cancel(run, now)

    def _drop_run(self, run):
        self.tags.drop(self._runs, run["id"])
        for task in run.tasks:
            self._task_ids.discard(task["taskId"])

    @swept
    def delete_run(self, context, params, now):
        run = self._run(params["id"])
        require(run, now, f"Run {run['id']}", TERMINAL, "; cancel it or let it finish first.")
        self._drop_run(run)
        batch = self._batches.get(run.get("batchId"))
        for item in batch.entries if batch else ():
            if item.get("runId") == run["id"]:
                item["submissionStatus"] = "DELETE_SUCCESS"

    def _tasks(self, run_id, now, status=None):
        return [t for t in self._run(run_id).tasks
                if t["creationTime"] <= now and status in (None, t.timeline.status(now))]

    @swept
    def get_run_task(self, context, params, now):
        for task in self._tasks(params["id"], now):
            if task["taskId"] == params["taskId"]:
                return {**task, **progress(task, now)}
        raise not_found(f"Task {params['taskId']} not found in run {params['id']}.")

    @swept
    def list_run_tasks(self, context, params, now):
        return listing("items", self._tasks(params["id"], now, params.get("status")), params,
                       lambda t: {**t, **progress(t, now)}, token_key="startingToken")

    # --- run groups and run caches ------------------------------------------------------

    def _plain_members(self, kind, params):
        """What a new run group or run cache holds."""
        if kind == "runGroup":
            return {k: params.get(k) for k in ("name",) + RUN_GROUP_LIMITS}
        return {"cacheS3Uri": params["cacheS3Location"], "name": params.get("name"),
                "cacheBehavior": params.get("cacheBehavior", "CACHE_ON_FAILURE"),
                "cacheBucketOwnerId": params.get("cacheBucketOwnerId", ACCOUNT_ID),
                "description": params.get("description"),
                "status": "FAILED" if self.failures.take("run_cache") else "ACTIVE"}

    @locked
    def _create_run_kind(self, kind, context, params, now):
        table, _, tag_kind, _ = PLAIN[kind]
        table = getattr(self, table)

        def make():
            check_create_tags(params.get("tags"))
            key = new_id(table)
            record = table[key] = Record(self._plain_members(kind, params), id=key,
                                         arn=arn(context.region, f"{kind}/{key}"), creationTime=now)
            self.tags.register(record["arn"], params.get("tags"), tag_kind, key)
            return record
        record = self.tokens.once(kind, params["requestId"], table, make)
        return {**record, "tags": self.tags.tags_of(record["arn"])}

    def _plain(self, kind, key):
        table, noun, _, _ = PLAIN[kind]
        return find(getattr(self, table), key, noun)

    @locked
    def _get_run_kind(self, kind, context, params, now):
        record = self._plain(kind, params["id"])
        return {**record, "tags": self.tags.tags_of(record["arn"])}

    @locked
    def _list_run_kinds(self, kind, context, params, now):
        found = matching(getattr(self, PLAIN[kind][0]).values(), name=params.get("name"))
        return listing("items", found, params, token_key="startingToken")

    @locked
    def _update_run_kind(self, kind, context, params, now):
        record = self._plain(kind, params["id"])
        record.update({k: params[k] for k in PLAIN[kind][3] if k in params})

    @swept
    def _delete_run_kind(self, kind, context, params, now):
        record = self._plain(kind, params["id"])
        busy = [r["id"] for r in self._runs.values() if r.get("runGroupId") == record["id"]
                and r.timeline.status(now) not in TERMINAL]
        if busy and kind == "runGroup":
            raise conflict(f"Run group {record['id']} has runs in progress: {', '.join(busy)}.")
        self.tags.drop(getattr(self, PLAIN[kind][0]), record["id"])

    # --- configurations ----------------------------------------------------------------

    @swept
    def create_configuration(self, context, params, now):
        name = params["name"]

        def make():
            if name in self._configurations:
                raise conflict(f"Configuration {name} already exists.")
            check_create_tags(params.get("tags"))
            runs = {}
            vpc = params["runConfigurations"].get("vpcConfig")
            if vpc is not None:
                subnets = vpc.get("subnetIds", [])
                runs["vpcConfig"] = {
                    "securityGroupIds": list(vpc.get("securityGroupIds", [])),
                    "subnetIds": list(subnets),
                    "vpcId": "vpc-" + hashlib.sha1(",".join(subnets).encode()).hexdigest()[:17]}
            failure = self.failures.take("configuration")
            configuration = Record(name=name, arn=arn(context.region, f"configuration/{name}"),
                                   uuid=new_uuid(), creationTime=now, runConfigurations=runs,
                                   description=params.get("description"))
            configuration.timeline = Timeline(now, CREATING_FAILS if failure else CREATING)
            self._configurations[name] = configuration
            self.tags.register(configuration["arn"], params.get("tags"), "CONFIGURATION",
                               configuration["uuid"], configuration.timeline)
            return configuration
        return self._configuration_view(self.tokens.once(
            "configuration", params["requestId"], self._configurations, make, key="name"), now)

    def _configuration(self, name):
        return find(self._configurations, name, "Configuration")

    def _configuration_view(self, configuration, now, tags=True):
        return {**configuration, "status": configuration.timeline.status(now),
                "tags": self.tags.tags_of(configuration["arn"]) if tags else None}

    @swept
    def get_configuration(self, context, params, now):
        return self._configuration_view(self._configuration(params["name"]), now)

    @swept
    def list_configurations(self, context, params, now):
        return listing("items", matching(self._configurations.values()), params,
                       lambda c: self._configuration_view(c, now, tags=False),
                       token_key="startingToken")

    @swept
    def delete_configuration(self, context, params, now):
        configuration = self._configuration(params["name"])
        if configuration.timeline.status(now) == "DELETING":
            return
        busy = [r["id"] for r in self._runs.values()
                if r.get("configurationName") == configuration["name"]
                and r.timeline.status(now) not in TERMINAL]
        if busy:
            raise conflict(f"Configuration {configuration['name']} "
                           "is used by runs in progress: " + ", ".join(busy) + ".")
        configuration.timeline.reschedule(now, DELETING)
