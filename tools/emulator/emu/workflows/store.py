"""In-memory workflows, workflow versions, runs and their tasks, run groups,
run caches, configurations and run batches.

Statuses follow the job clock through Timelines (see emu/lifecycle.py):

- workflows and versions: CREATING, then ACTIVE (or FAILED) one step later;
  an update of an ACTIVE one is UPDATING for one step.
- runs: PENDING, STARTING after one step, RUNNING after two, COMPLETED after
  five. Their tasks appear when the run is RUNNING and go PENDING, STARTING,
  RUNNING, COMPLETED one step apart. CancelRun: STOPPING, then CANCELLED one
  step later (unfinished tasks likewise).
- configurations: CREATING, then ACTIVE; deleting: DELETING, then gone.
- batches: CREATING, SUBMITTING after one step (their runs are started then),
  INPROGRESS after two, PROCESSED once every run has finished.

Work that falls due (a batch's submission, its completion, the end of a
deletion) is done lazily, when the backend is next used, stamped with the
time it was due.
"""

import hashlib
import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field

from ..errors import ServiceError, not_found, validation
from ..lifecycle import Timeline
from ..tags.registry import check_create_tags
from ..values import ACCOUNT_ID, arn, new_id

STEP = 1.0
FAIL_KINDS = ("workflow", "workflow_version", "run", "task", "run_cache", "configuration", "batch")
TERMINAL_RUN = frozenset({"COMPLETED", "FAILED", "CANCELLED", "DELETED"})
ACTIVE_RUN = frozenset({"PENDING", "STARTING", "RUNNING"})
DEFAULT_TASKS_PER_RUN = 2
DEFAULT_STORAGE_CAPACITY = 1200
FORCED_FAILURE_REASON = "EMULATOR_FORCED_FAILURE"
RUN_GROUP_LIMITS = ("maxCpus", "maxRuns", "maxDuration", "maxGpus")

WORKFLOW_STEPS = [(0, "CREATING"), (STEP, "ACTIVE")]
WORKFLOW_FAILING = [(0, "CREATING"), (STEP, "FAILED")]
RUN_STEPS = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "RUNNING"), (5 * STEP, "COMPLETED")]
RUN_FAILING_AT_START = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "FAILED")]
RUN_FAILING_IN_TASK = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "RUNNING"), (5 * STEP, "FAILED")]
TASK_OFFSET = 2 * STEP        # tasks appear when their run is RUNNING
TASK_STEPS = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "RUNNING"), (3 * STEP, "COMPLETED")]
TASK_FAILING = [(0, "PENDING"), (STEP, "STARTING"), (2 * STEP, "RUNNING"), (3 * STEP, "FAILED")]
STOPPING_STEPS = [(0, "STOPPING"), (STEP, "CANCELLED")]
BATCH_STEPS = [(0, "CREATING"), (STEP, "SUBMITTING"), (2 * STEP, "INPROGRESS")]
BATCH_FAILING = [(0, "CREATING"), (STEP, "FAILED")]
BATCH_CANCELLABLE = frozenset({"CREATING", "PENDING", "SUBMITTING", "INPROGRESS"})
BATCH_FINISHED = frozenset({"PROCESSED", "CANCELLED", "FAILED"})

# The members of a definition (CreateWorkflow / CreateWorkflowVersion) that
# the Get operations echo.
ECHOED_DEFINITION_MEMBERS = ("main", "parameterTemplate", "storageType", "storageCapacity",
                             "accelerators", "containerRegistryMap", "readmePath",
                             "workflowBucketOwnerId")
# Run members a rerun (StartRun with runId) copies from the earlier run.
RUN_SETTING_MEMBERS = ("workflowId", "workflowType", "workflowVersionName", "workflowOwnerId",
                       "roleArn", "name", "cacheId", "cacheBehavior", "runGroupId", "priority",
                       "parameters", "storageCapacity", "storageType", "outputUri", "logLevel",
                       "retentionMode", "networkingMode", "scratchStorageMode",
                       "configurationName", "engineSettings")


def new_uuid():
    return str(uuid.uuid4())


@dataclass
class Definition:
    """What a workflow or one of its versions runs."""
    engine: str
    digest: str
    definition: str
    echoed: dict
    readme_markdown: str = None
    readme_uri: str = None
    repository: dict = None


@dataclass
class Workflow:
    seq: int
    id: str
    arn: str
    uuid: str
    name: str
    description: str
    created: float
    timeline: Timeline
    spec: Definition
    status_message: str = None
    versions: dict = field(default_factory=dict)   # name -> WorkflowVersion
    type: str = "PRIVATE"


@dataclass
class WorkflowVersion:
    seq: int
    workflow_id: str
    name: str
    arn: str
    uuid: str
    description: str
    created: float
    timeline: Timeline
    spec: Definition
    status_message: str = None
    type: str = "PRIVATE"


@dataclass
class Task:
    seq: int
    id: str
    uuid: str
    name: str
    created: float
    timeline: Timeline
    cpus: int = 2
    memory: int = 4
    gpus: int = 0
    instance_type: str = "omics.c.large"
    status_message: str = None
    failure_reason: str = None


@dataclass
class Run:
    seq: int
    id: str
    arn: str
    uuid: str
    created: float
    timeline: Timeline
    settings: dict            # the StartRun members it was started with (after defaults)
    workflow: Workflow
    version: WorkflowVersion
    run_output_uri: str
    configuration: dict
    started_by: str
    batch_id: str = None
    tasks: list = field(default_factory=list)
    status_message: str = None
    failure_reason: str = None


@dataclass
class RunGroup:
    seq: int
    id: str
    arn: str
    created: float
    name: str = None
    limits: dict = field(default_factory=dict)


@dataclass
class RunCache:
    seq: int
    id: str
    arn: str
    created: float
    s3_uri: str
    behavior: str
    bucket_owner_id: str
    name: str = None
    description: str = None
    status: str = "ACTIVE"


@dataclass
class Configuration:
    seq: int
    name: str
    arn: str
    uuid: str
    created: float
    timeline: Timeline
    description: str
    run_configurations: dict


@dataclass
class BatchItem:
    seq: int
    run_setting_id: str
    submission_status: str
    run_id: str = None
    run_arn: str = None
    run_uuid: str = None
    failure_reason: str = None
    failure_message: str = None


@dataclass
class Batch:
    seq: int
    id: str
    arn: str
    uuid: str
    region: str
    name: str
    created: float
    timeline: Timeline
    default: dict
    inline: list
    s3_settings: str
    total_runs: int
    started_by: str
    items: list = field(default_factory=list)
    submitted: bool = False
    cancelled: bool = False
    failure_reason: str = None


def digest_of(data):
    return hashlib.sha256(data).hexdigest()


def guess_engine(main):
    name = (main or "").lower()
    if name.endswith(".nf"):
        return "NEXTFLOW"
    if name.endswith(".cwl"):
        return "CWL"
    return "WDL"


class WorkflowBackend:
    def __init__(self, clock, s3, tags, failures, model):
        self.model = model
        self.clock = clock
        self.s3 = s3
        self.tags = tags
        self.failures = failures
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._seq = itertools.count(1)
            self._workflows = {}
            self._runs = {}
            self._task_ids = set()
            self._run_groups = {}
            self._run_caches = {}
            self._configurations = {}
            self._batches = {}
            self._tokens = {}         # (kind, requestId) -> id
            self._sweeping = False
            self.tasks_per_run = DEFAULT_TASKS_PER_RUN

    def now(self):
        return self.clock.now()

    # --- helpers ------------------------------------------------------------

    def _earlier(self, kind, token, table):
        """The resource an earlier create with this idempotency token made, if it still exists."""
        earlier = self._tokens.get((kind, token))
        return table.get(earlier) if earlier is not None else None

    def _remember(self, kind, token, resource_id):
        self._tokens[(kind, token)] = resource_id

    def _new_numeric_id(self, taken):
        return new_id(taken)

    def _register(self, resource_arn, tags, kind, resource_id, exists=None):
        self.tags.register(resource_arn, tags, kind, resource_id, exists)

    def tags_of(self, resource_arn):
        found = self.tags.find(resource_arn)
        return dict(found.tags) if found else {}

    def _sweep(self, now):
        """Do the work that has fallen due by now (not again from inside that work:
        submitting a batch looks workflows up, stamped with an earlier time)."""
        if self._sweeping:
            return
        self._sweeping = True
        try:
            self._sweep_once(now)
        finally:
            self._sweeping = False

    def _sweep_once(self, now):
        for name, configuration in list(self._configurations.items()):
            if configuration.timeline.status(now) == "DELETED":
                del self._configurations[name]
                self.tags.forget(configuration.arn)
        for batch in self._batches.values():
            submitted_at = batch.timeline.entered("SUBMITTING", now)
            if not batch.submitted and not batch.cancelled and submitted_at is not None:
                self._submit_batch(batch, submitted_at)
            if batch.timeline.status(now) == "INPROGRESS":
                self._maybe_processed(batch, now)

    # --- workflows ------------------------------------------------------------

    def _definition(self, params, workflow_id):
        sources = [k for k in ("definitionZip", "definitionUri", "definitionRepository") if k in params]
        if len(sources) != 1:
            raise validation("Provide exactly one of definitionZip, definitionUri or "
                             "definitionRepository.")
        if "definitionZip" in params:
            data = params["definitionZip"]
            if not data:
                raise validation("definitionZip is empty.")
            definition = f"s3://omics-emulator-workflows/{workflow_id}/definition.zip"
        elif "definitionUri" in params:
            data = params["definitionUri"].encode()
            definition = params["definitionUri"]
        else:
            repository = params["definitionRepository"]
            data = json.dumps(repository, sort_keys=True).encode()
            definition = repository["fullRepositoryId"]
        echoed = {k: params[k] for k in ECHOED_DEFINITION_MEMBERS if k in params}
        if echoed.get("storageType", "STATIC") == "STATIC" and "storageCapacity" not in echoed:
            echoed["storageCapacity"] = DEFAULT_STORAGE_CAPACITY
        echoed.setdefault("storageType", "STATIC")
        return Definition(params.get("engine") or guess_engine(params.get("main")), digest_of(data),
                          definition, echoed, params.get("readmeMarkdown"), params.get("readmeUri"),
                          params.get("definitionRepository"))

    def create_workflow(self, region, params, now):
        with self._lock:
            earlier = self._earlier("workflow", params["requestId"], self._workflows)
            if earlier is not None:
                return earlier
            check_create_tags(params.get("tags"))
            workflow_id = self._new_numeric_id(self._workflows)
            spec = self._definition(params, workflow_id)
            failure = self.failures.take("workflow")
            workflow = Workflow(next(self._seq), workflow_id, arn(region, f"workflow/{workflow_id}"),
                                new_uuid(), params.get("name"), params.get("description"), now,
                                Timeline(now, WORKFLOW_FAILING if failure else WORKFLOW_STEPS), spec,
                                failure)
            self._workflows[workflow_id] = workflow
            self._remember("workflow", params["requestId"], workflow_id)
            self._register(workflow.arn, params.get("tags"), "WORKFLOW", workflow_id)
            return workflow

    def get_workflow(self, workflow_id, now, workflow_type=None, owner_id=None):
        with self._lock:
            self._sweep(now)
            workflow = self._workflows.get(workflow_id)
            if (workflow is None or workflow_type not in (None, workflow.type)
                    or owner_id not in (None, ACCOUNT_ID)):
                raise not_found(f"Workflow {workflow_id} not found.")
            return workflow

    def list_workflows(self, now, workflow_type=None, name=None):
        with self._lock:
            self._sweep(now)
            return sorted((w for w in self._workflows.values()
                           if workflow_type in (None, w.type) and name in (None, w.name)),
                          key=lambda w: w.seq)

    @staticmethod
    def _update_definition(item, params, now):
        spec = item.spec
        for key in ("storageType", "storageCapacity"):
            if key in params:
                spec.echoed[key] = params[key]
        if "readmeMarkdown" in params:
            spec.readme_markdown = params["readmeMarkdown"]
        if "description" in params:
            item.description = params["description"]
        if item.timeline.status(now) == "ACTIVE":
            item.timeline.reschedule(now, [(0, "UPDATING"), (STEP, "ACTIVE")])

    def update_workflow(self, workflow_id, params, now):
        with self._lock:
            workflow = self.get_workflow(workflow_id, now)
            if "name" in params:
                workflow.name = params["name"]
            self._update_definition(workflow, params, now)

    def delete_workflow(self, workflow_id, now):
        with self._lock:
            workflow = self.get_workflow(workflow_id, now)
            for version in workflow.versions.values():
                self.tags.forget(version.arn)
            del self._workflows[workflow_id]
            self.tags.forget(workflow.arn)

    # --- workflow versions ------------------------------------------------------

    def create_version(self, region, params, now):
        with self._lock:
            workflow = self.get_workflow(params["workflowId"], now)
            earlier = self._tokens.get(("version", params["requestId"]))   # (workflow id, name)
            if earlier and earlier[0] == workflow.id and earlier[1] in workflow.versions:
                return workflow.versions[earlier[1]]
            name = params["versionName"]
            if name in workflow.versions:
                raise ServiceError("ConflictException",
                                   f"Workflow {workflow.id} already has a version named {name}.")
            if workflow.timeline.status(now) != "ACTIVE":
                raise ServiceError("ConflictException",
                                   f"Workflow {workflow.id} is {workflow.timeline.status(now)}, "
                                   "not ACTIVE.")
            check_create_tags(params.get("tags"))
            spec = self._definition(params, workflow.id)
            failure = self.failures.take("workflow_version")
            version = WorkflowVersion(next(self._seq), workflow.id, name,
                                      arn(region, f"workflow/{workflow.id}/version/{name}"),
                                      new_uuid(), params.get("description"), now,
                                      Timeline(now, WORKFLOW_FAILING if failure else WORKFLOW_STEPS),
                                      spec, failure)
            workflow.versions[name] = version
            self._remember("version", params["requestId"], (workflow.id, name))
            self._register(version.arn, params.get("tags"), "WORKFLOW_VERSION", version.uuid)
            return version

    def get_version(self, workflow_id, name, now, workflow_type=None, owner_id=None):
        with self._lock:
            workflow = self.get_workflow(workflow_id, now, workflow_type, owner_id)
            version = workflow.versions.get(name)
            if version is None:
                raise not_found(f"Version {name} of workflow {workflow_id} not found.")
            return version

    def list_versions(self, workflow_id, now, workflow_type=None, owner_id=None):
        with self._lock:
            workflow = self.get_workflow(workflow_id, now, workflow_type, owner_id)
            return sorted(workflow.versions.values(), key=lambda v: v.seq)

    def update_version(self, workflow_id, name, params, now):
        with self._lock:
            self._update_definition(self.get_version(workflow_id, name, now), params, now)

    def delete_version(self, workflow_id, name, now):
        with self._lock:
            version = self.get_version(workflow_id, name, now)
            del self._workflows[workflow_id].versions[name]
            self.tags.forget(version.arn)

    # --- run groups ---------------------------------------------------------------

    def create_run_group(self, region, params, now):
        with self._lock:
            earlier = self._earlier("runGroup", params["requestId"], self._run_groups)
            if earlier is not None:
                return earlier
            check_create_tags(params.get("tags"))
            group_id = self._new_numeric_id(self._run_groups)
            limits = {k: params[k] for k in RUN_GROUP_LIMITS if k in params}
            group = RunGroup(next(self._seq), group_id, arn(region, f"runGroup/{group_id}"), now,
                             params.get("name"), limits)
            self._run_groups[group_id] = group
            self._remember("runGroup", params["requestId"], group_id)
            self._register(group.arn, params.get("tags"), "RUN_GROUP", group_id)
            return group

    def get_run_group(self, group_id):
        with self._lock:
            group = self._run_groups.get(group_id)
            if group is None:
                raise not_found(f"Run group {group_id} not found.")
            return group

    def list_run_groups(self, name=None):
        with self._lock:
            return sorted((g for g in self._run_groups.values() if name in (None, g.name)),
                          key=lambda g: g.seq)

    def update_run_group(self, group_id, params):
        with self._lock:
            group = self.get_run_group(group_id)
            if "name" in params:
                group.name = params["name"]
            group.limits.update({k: params[k] for k in RUN_GROUP_LIMITS if k in params})

    def delete_run_group(self, group_id, now):
        with self._lock:
            self._sweep(now)
            group = self.get_run_group(group_id)
            busy = [r.id for r in self._runs.values()
                    if r.settings.get("runGroupId") == group_id
                    and r.timeline.status(now) not in TERMINAL_RUN]
            if busy:
                raise ServiceError("ConflictException",
                                   f"Run group {group_id} has runs in progress: {', '.join(busy)}.")
            del self._run_groups[group_id]
            self.tags.forget(group.arn)

    # --- run caches -----------------------------------------------------------------

    def create_run_cache(self, region, params, now):
        with self._lock:
            earlier = self._earlier("runCache", params["requestId"], self._run_caches)
            if earlier is not None:
                return earlier
            check_create_tags(params.get("tags"))
            cache_id = self._new_numeric_id(self._run_caches)
            cache = RunCache(next(self._seq), cache_id, arn(region, f"runCache/{cache_id}"), now,
                             params["cacheS3Location"],
                             params.get("cacheBehavior", "CACHE_ON_FAILURE"),
                             params.get("cacheBucketOwnerId", ACCOUNT_ID),
                             params.get("name"), params.get("description"))
            if self.failures.take("run_cache"):
                cache.status = "FAILED"
            self._run_caches[cache_id] = cache
            self._remember("runCache", params["requestId"], cache_id)
            self._register(cache.arn, params.get("tags"), "RUN_CACHE", cache_id)
            return cache

    def get_run_cache(self, cache_id):
        with self._lock:
            cache = self._run_caches.get(cache_id)
            if cache is None:
                raise not_found(f"Run cache {cache_id} not found.")
            return cache

    def list_run_caches(self):
        with self._lock:
            return sorted(self._run_caches.values(), key=lambda c: c.seq)

    def update_run_cache(self, cache_id, params):
        with self._lock:
            cache = self.get_run_cache(cache_id)
            cache.behavior = params.get("cacheBehavior", cache.behavior)
            cache.description = params.get("description", cache.description)
            cache.name = params.get("name", cache.name)

    def delete_run_cache(self, cache_id):
        with self._lock:
            cache = self.get_run_cache(cache_id)
            del self._run_caches[cache_id]
            self.tags.forget(cache.arn)

    # --- configurations ---------------------------------------------------------------

    def create_configuration(self, region, params, now):
        with self._lock:
            self._sweep(now)
            earlier = self._earlier("configuration", params["requestId"], self._configurations)
            if earlier is not None:
                return earlier
            name = params["name"]
            if name in self._configurations:
                raise ServiceError("ConflictException", f"Configuration {name} already exists.")
            check_create_tags(params.get("tags"))
            run_configurations = {}
            vpc = params["runConfigurations"].get("vpcConfig")
            if vpc is not None:
                subnets = vpc.get("subnetIds", [])
                run_configurations["vpcConfig"] = {
                    "securityGroupIds": list(vpc.get("securityGroupIds", [])),
                    "subnetIds": list(subnets),
                    "vpcId": "vpc-" + hashlib.sha1(",".join(subnets).encode()).hexdigest()[:17],
                }
            failure = self.failures.take("configuration")
            configuration = Configuration(
                next(self._seq), name, arn(region, f"configuration/{name}"), new_uuid(), now,
                Timeline(now, WORKFLOW_FAILING if failure else WORKFLOW_STEPS),
                params.get("description"), run_configurations)
            self._configurations[name] = configuration
            self._remember("configuration", params["requestId"], name)
            self._register(configuration.arn, params.get("tags"), "CONFIGURATION", configuration.uuid,
                           lambda: (self._configurations.get(name) is configuration
                                    and configuration.timeline.status(self.clock.now()) != "DELETED"))
            return configuration

    def get_configuration(self, name, now):
        with self._lock:
            self._sweep(now)
            configuration = self._configurations.get(name)
            if configuration is None:
                raise not_found(f"Configuration {name} not found.")
            return configuration

    def list_configurations(self, now):
        with self._lock:
            self._sweep(now)
            return sorted(self._configurations.values(), key=lambda c: c.seq)

    def delete_configuration(self, name, now):
        with self._lock:
            configuration = self.get_configuration(name, now)
            if configuration.timeline.status(now) == "DELETING":
                return
            busy = [r.id for r in self._runs.values()
                    if r.settings.get("configurationName") == name
                    and r.timeline.status(now) not in TERMINAL_RUN]
            if busy:
                raise ServiceError("ConflictException",
                                   f"Configuration {name} is used by runs in progress: "
                                   + ", ".join(busy) + ".")
            configuration.timeline.reschedule(now, [(0, "DELETING"), (STEP, "DELETED")])

    # --- runs -------------------------------------------------------------------------

    def _resolve(self, settings, now):
        """The workflow, version and configuration a run's settings name; raises if unusable."""
        if settings.get("workflowType", "PRIVATE") != "PRIVATE":
            raise not_found(f"Workflow {settings.get('workflowId')} of type "
                            f"{settings['workflowType']} not found.")
        workflow = self.get_workflow(settings["workflowId"], now, None,
                                     settings.get("workflowOwnerId"))
        version = None
        if settings.get("workflowVersionName"):
            version = self.get_version(workflow.id, settings["workflowVersionName"], now)
        target = version or workflow
        status = target.timeline.status(now)
        if status != "ACTIVE":
            what = f"Version {version.name} of workflow" if version else "Workflow"
            raise ServiceError("ConflictException",
                               f"{what} {workflow.id} is {status}; runs need it ACTIVE.")
        if settings.get("runGroupId"):
            self.get_run_group(settings["runGroupId"])
        if settings.get("cacheId"):
            cache = self.get_run_cache(settings["cacheId"])
            if cache.status != "ACTIVE":
                raise ServiceError("ConflictException", f"Run cache {cache.id} is {cache.status}.")
        configuration = None
        if settings.get("networkingMode") == "VPC" and not settings.get("configurationName"):
            raise validation("networkingMode VPC needs a configurationName.")
        if settings.get("configurationName"):
            configuration = self.get_configuration(settings["configurationName"], now)
            status = configuration.timeline.status(now)
            if status != "ACTIVE":
                raise ServiceError("ConflictException",
                                   f"Configuration {configuration.name} is {status}, not ACTIVE.")
        return workflow, version, configuration

    def _new_run(self, region, settings, tags, now, started_by, batch_id=None):
        workflow, version, configuration = self._resolve(settings, now)
        spec = (version or workflow).spec
        settings = dict(settings)
        settings.setdefault("workflowType", "PRIVATE")
        settings.setdefault("storageType", spec.echoed.get("storageType", "STATIC"))
        if settings["storageType"] == "STATIC":
            settings.setdefault("storageCapacity",
                                spec.echoed.get("storageCapacity", DEFAULT_STORAGE_CAPACITY))
        settings.setdefault("networkingMode", "RESTRICTED")
        settings.setdefault("retentionMode", "RETAIN")
        run_id = self._new_numeric_id(self._runs)
        failure_at_start = self.failures.take("run")
        failure_in_task = None if failure_at_start else self.failures.take("task")
        steps = (RUN_FAILING_AT_START if failure_at_start
                 else RUN_FAILING_IN_TASK if failure_in_task else RUN_STEPS)
        details = None
        if configuration is not None:
            details = {"name": configuration.name, "arn": configuration.arn,
                       "uuid": configuration.uuid}
        run = Run(next(self._seq), run_id, arn(region, f"run/{run_id}"), new_uuid(), now,
                  Timeline(now, steps), settings, workflow, version,
                  settings["outputUri"].rstrip("/") + "/" + run_id, details, started_by, batch_id)
        if failure_at_start:
            run.status_message = failure_at_start
            run.failure_reason = FORCED_FAILURE_REASON
        else:
            count = self.tasks_per_run
            for number in range(1, count + 1):
                failing = failure_in_task is not None and number == count
                task_id = new_id(self._task_ids)
                self._task_ids.add(task_id)
                task = Task(next(self._seq), task_id, new_uuid(), f"task-{number}",
                            now + TASK_OFFSET,
                            Timeline(now + TASK_OFFSET, TASK_FAILING if failing else TASK_STEPS))
                if failing:
                    task.status_message = failure_in_task
                    task.failure_reason = FORCED_FAILURE_REASON
                run.tasks.append(task)
            if failure_in_task:
                run.status_message = f"Task task-{count} failed: {failure_in_task}"
                run.failure_reason = FORCED_FAILURE_REASON
        self._runs[run_id] = run
        self._register(run.arn, tags, "RUN", run_id)
        return run

    def start_run(self, region, params, now, started_by):
        with self._lock:
            self._sweep(now)
            earlier = self._earlier("run", params["requestId"], self._runs)
            if earlier is not None:
                return earlier
            check_create_tags(params.get("tags"))
            settings = {}
            if params.get("runId"):
                settings.update(self.get_run(params["runId"], now).settings)
            elif not params.get("workflowId"):
                raise validation("Either workflowId or runId must be given.")
            settings.update({k: params[k] for k in RUN_SETTING_MEMBERS if k in params})
            run = self._new_run(region, settings, params.get("tags"), now, started_by)
            self._remember("run", params["requestId"], run.id)
            return run

    def get_run(self, run_id, now):
        with self._lock:
            self._sweep(now)
            run = self._runs.get(run_id)
            if run is None:
                raise not_found(f"Run {run_id} not found.")
            return run

    def list_runs(self, now, name=None, group_id=None, batch_id=None, status=None):
        with self._lock:
            self._sweep(now)
            return sorted((r for r in self._runs.values()
                           if name in (None, r.settings.get("name"))
                           and group_id in (None, r.settings.get("runGroupId"))
                           and batch_id in (None, r.batch_id)
                           and status in (None, r.timeline.status(now))),
                          key=lambda r: r.seq)

    def _cancel(self, run, now):
        run.timeline.reschedule(now, STOPPING_STEPS)
        run.tasks = [t for t in run.tasks if t.created <= now]
        for task in run.tasks:
            if task.timeline.status(now) not in TERMINAL_RUN:
                task.timeline.reschedule(now, STOPPING_STEPS)

    def cancel_run(self, run_id, now):
        with self._lock:
            run = self.get_run(run_id, now)
            status = run.timeline.status(now)
            if status not in ACTIVE_RUN:
                raise ServiceError("ConflictException", f"Run {run_id} is {status}; "
                                   "only PENDING, STARTING or RUNNING runs can be cancelled.")
            self._cancel(run, now)

    def _drop_run(self, run):
        del self._runs[run.id]
        self.tags.forget(run.arn)
        for task in run.tasks:
            self._task_ids.discard(task.id)

    def delete_run(self, run_id, now):
        with self._lock:
            run = self.get_run(run_id, now)
            status = run.timeline.status(now)
            if status not in TERMINAL_RUN:
                raise ServiceError("ConflictException",
                                   f"Run {run_id} is {status}; cancel it or let it finish first.")
            self._drop_run(run)
            batch = self._batches.get(run.batch_id)
            for item in batch.items if batch else ():
                if item.run_id == run_id:
                    item.submission_status = "DELETE_SUCCESS"

    def visible_tasks(self, run, now, status=None):
        with self._lock:
            return [t for t in run.tasks
                    if t.created <= now and status in (None, t.timeline.status(now))]

    def get_task(self, run_id, task_id, now):
        with self._lock:
            run = self.get_run(run_id, now)
            for task in self.visible_tasks(run, now):
                if task.id == task_id:
                    return task
            raise not_found(f"Task {task_id} not found in run {run_id}.")

    # --- batches ------------------------------------------------------------------------

    def start_batch(self, region, params, now, started_by):
        with self._lock:
            self._sweep(now)
            earlier = self._earlier("batch", params["requestId"], self._batches)
            if earlier is not None:
                return earlier
            check_create_tags(params.get("tags"))
            default = params["defaultRunSetting"]
            check_create_tags(default.get("runTags"))
            self._resolve(default, now)
            inline = params["batchRunSettings"].get("inlineSettings")
            if inline is not None:
                self._check_unique_settings(inline)
            failure = self.failures.take("batch")
            batch_id = self._new_numeric_id(self._batches)
            batch = Batch(next(self._seq), batch_id, arn(region, f"runBatch/{batch_id}"), new_uuid(),
                          region, params.get("batchName"), now,
                          Timeline(now, BATCH_FAILING if failure else BATCH_STEPS), dict(default),
                          inline, params["batchRunSettings"].get("s3UriSettings"),
                          len(inline) if inline is not None else 0, started_by)
            if failure:
                batch.failure_reason = failure
            self._batches[batch_id] = batch
            self._remember("batch", params["requestId"], batch_id)
            self._register(batch.arn, params.get("tags"), "RUN_BATCH", batch_id)
            return batch

    @staticmethod
    def _check_unique_settings(settings):
        seen = set()
        for setting in settings:
            if setting["runSettingId"] in seen:
                raise validation(f"runSettingId {setting['runSettingId']} is used more than once.")
            seen.add(setting["runSettingId"])

    def _read_s3_settings(self, uri):
        try:
            document = json.loads(self.s3.read(uri).decode("utf-8"))
        except FileNotFoundError:
            raise ValueError(f"Run settings file not found: {uri}") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ValueError(f"Cannot read run settings from {uri}: {exc}") from None
        if isinstance(document, dict) and "inlineSettings" in document:
            document = document["inlineSettings"]
        try:
            settings = self.model.validate("InlineSettings", document, "inlineSettings")
            self._check_unique_settings(settings)
        except ServiceError as error:
            raise ValueError(f"Invalid run settings in {uri}: {error.message}") from None
        return settings

    def _submit_batch(self, batch, when):
        batch.submitted = True
        settings = batch.inline
        if settings is None:
            try:
                settings = self._read_s3_settings(batch.s3_settings)
            except ValueError as exc:
                batch.failure_reason = str(exc)
                batch.timeline.reschedule(when, [(0, "FAILED")])
                return
            batch.total_runs = len(settings)
        default = {k: v for k, v in batch.default.items() if k != "runTags"}
        for setting in settings:
            item = BatchItem(next(self._seq), setting["runSettingId"], "SUCCESS")
            run_settings = dict(default)
            run_settings.update({k: setting[k] for k in ("name", "outputUri", "priority",
                                                         "parameters", "engineSettings")
                                 if k in setting})
            tags = {**batch.default.get("runTags", {}), **setting.get("runTags", {})}
            try:
                if "outputUri" not in run_settings:
                    raise validation("outputUri is required (in defaultRunSetting or the run setting).")
                run = self._new_run(batch.region, run_settings, tags, when, batch.started_by, batch.id)
            except ServiceError as error:
                item.submission_status = "FAILED"
                item.failure_reason = error.code
                item.failure_message = error.message
            else:
                item.run_id, item.run_arn, item.run_uuid = run.id, run.arn, run.uuid
            batch.items.append(item)

    def batch_runs(self, batch):
        return [self._runs[i.run_id] for i in batch.items if i.run_id in self._runs]

    def _maybe_processed(self, batch, now):
        runs = self.batch_runs(batch)
        if any(r.timeline.status(now) not in TERMINAL_RUN for r in runs):
            return
        started = batch.timeline.entered("INPROGRESS", now)
        finished = [r.timeline.last_change(now) for r in runs]
        batch.timeline.events.append((max([started, *finished]), "PROCESSED"))

    def get_batch(self, batch_id, now):
        with self._lock:
            self._sweep(now)
            batch = self._batches.get(batch_id)
            if batch is None:
                raise not_found(f"Batch {batch_id} not found.")
            return batch

    def list_batches(self, now, status=None, name=None, group_id=None):
        with self._lock:
            self._sweep(now)
            return sorted((b for b in self._batches.values()
                           if status in (None, b.timeline.status(now)) and name in (None, b.name)
                           and group_id in (None, b.default.get("runGroupId"))),
                          key=lambda b: b.seq)

    def cancel_batch(self, batch_id, now):
        with self._lock:
            batch = self.get_batch(batch_id, now)
            status = batch.timeline.status(now)
            if status not in BATCH_CANCELLABLE:
                raise ServiceError("ConflictException", f"Batch {batch_id} is {status}; "
                                   "it can no longer be cancelled.")
            batch.cancelled = True
            for item in batch.items:
                run = self._runs.get(item.run_id)
                if run is not None and run.timeline.status(now) in ACTIVE_RUN:
                    self._cancel(run, now)
                    item.submission_status = "CANCEL_SUCCESS"
            batch.timeline.reschedule(now, STOPPING_STEPS)

    def delete_batch_runs(self, batch_id, now):
        with self._lock:
            batch = self.get_batch(batch_id, now)
            status = batch.timeline.status(now)
            runs = self.batch_runs(batch)
            if status not in BATCH_FINISHED or any(
                    r.timeline.status(now) not in TERMINAL_RUN for r in runs):
                raise ServiceError("ConflictException", f"Batch {batch_id} is {status}; "
                                   "its runs can be deleted once it is PROCESSED, CANCELLED or FAILED.")
            for run in runs:
                self._drop_run(run)
            for item in batch.items:
                if item.run_id is not None:
                    item.submission_status = "DELETE_SUCCESS"
            batch.timeline.reschedule(now, [(0, "RUNS_DELETING"), (STEP, "RUNS_DELETED")])

    def delete_batch(self, batch_id, now):
        with self._lock:
            batch = self.get_batch(batch_id, now)
            status = batch.timeline.status(now)
            if status not in BATCH_FINISHED | {"RUNS_DELETED"}:
                raise ServiceError("ConflictException", f"Batch {batch_id} is {status}; "
                                   "only a finished batch can be deleted.")
            del self._batches[batch_id]
            self.tags.forget(batch.arn)

    # --- settings for tests ----------------------------------------------------------------

    def control_handlers(self):
        from ..control import ControlError

        def run_tasks(document, query):
            count = document.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
                raise ControlError(400, "'count' must be an integer from 0 to 1000")
            with self._lock:
                self.tasks_per_run = count
            return {"count": count}

        return {("POST", "run_tasks"): run_tasks}
