"""Workflows and workflow versions: CREATING, then ACTIVE (or FAILED) one
step later on the job clock; an update of an ACTIVE one is UPDATING for a step.
Nothing given as a definition is fetched or unpacked: `digest` is the SHA-256
of what was given."""

import hashlib
import json

from ..errors import conflict, not_found, validation
from ..lifecycle import CREATING, CREATING_FAILS, STEP, Timeline
from ..records import Record, find, listing, locked, matching, new_uuid, require
from ..tags.registry import check_create_tags
from ..values import ACCOUNT_ID, arn, new_id

DEFAULT_STORAGE_CAPACITY = 1200
README_URL = "https://omics-emulator.invalid/workflow/{id}/README.md"
# The members of a CreateWorkflow(Version) request that the Get operations echo.
ECHOED = ("main", "parameterTemplate", "storageType", "storageCapacity", "accelerators",
          "containerRegistryMap", "readmePath", "workflowBucketOwnerId", "description")


def guess_engine(main):
    name = (main or "").lower()
    return "NEXTFLOW" if name.endswith(".nf") else "CWL" if name.endswith(".cwl") else "WDL"


def definition(params, workflow_id):
    """The members a workflow or version gets from its create request."""
    given = [k for k in ("definitionZip", "definitionUri", "definitionRepository") if k in params]
    if len(given) != 1:
        raise validation("Provide exactly one of definitionZip, definitionUri or "
                         "definitionRepository.")
    repository = params.get("definitionRepository")
    if "definitionZip" in params:
        data = params["definitionZip"]
        if not data:
            raise validation("definitionZip is empty.")
        where = f"s3://omics-emulator-workflows/{workflow_id}/definition.zip"
    elif "definitionUri" in params:
        data, where = params["definitionUri"].encode(), params["definitionUri"]
    else:
        data = json.dumps(repository, sort_keys=True).encode()
        where = repository["fullRepositoryId"]
    members = {k: params[k] for k in ECHOED if k in params}
    members.setdefault("storageType", "STATIC")
    if members["storageType"] == "STATIC":
        members.setdefault("storageCapacity", DEFAULT_STORAGE_CAPACITY)
    details = repository and {"connectionArn": repository["connectionArn"],
                              "fullRepositoryId": repository["fullRepositoryId"],
                              "sourceReference": repository.get("sourceReference"),
                              "providerType": "GitHub"}
    return {**members, "engine": params.get("engine") or guess_engine(params.get("main")),
            "digest": hashlib.sha256(data).hexdigest(), "definition": where,
            "definitionRepositoryDetails": details, "type": "PRIVATE"}


class Definitions:
    """CreateWorkflow ... DeleteWorkflowVersion (mixed into WorkflowApi)."""

    def _new_definition(self, kind, params, workflow_id, now, **members):
        check_create_tags(params.get("tags"))
        failure = self.failures.take(kind)
        record = Record(definition(params, workflow_id), uuid=new_uuid(), creationTime=now,
                        statusMessage=failure, **members)
        record.timeline = Timeline(now, CREATING_FAILS if failure else CREATING)
        record.readme = bool(params.get("readmeMarkdown") or params.get("readmeUri"))
        return record

    def _definition_view(self, record, now, export=None, workflow_id=None):
        readme = None
        if "README" in (export or ()) and record.readme:
            readme = README_URL.format(id=workflow_id or record["id"])
        return {**record, "status": record.timeline.status(now), "readme": readme,
                "tags": self.tags.tags_of(record["arn"])}

    @staticmethod
    def _update_definition(record, params, now):
        record.update({k: params[k] for k in ("storageType", "storageCapacity", "description",
                                              "name") if k in params})
        if "readmeMarkdown" in params:
            record.readme = bool(params["readmeMarkdown"])
        if record.timeline.status(now) == "ACTIVE":
            record.timeline.reschedule(now, [(0, "UPDATING"), (STEP, "ACTIVE")])

    # --- workflows -----------------------------------------------------------------

    @locked
    def create_workflow(self, context, params, now):
        def make():
            workflow_id = new_id(self._workflows)
            workflow = self._new_definition(
                "workflow", params, workflow_id, now, id=workflow_id, name=params.get("name"),
                arn=arn(context.region, f"workflow/{workflow_id}"))
            workflow.versions = {}
            self._workflows[workflow_id] = workflow
            self.tags.register(workflow["arn"], params.get("tags"), "WORKFLOW", workflow_id)
            return workflow
        return self._definition_view(self.tokens.once("workflow", params["requestId"],
                                                      self._workflows, make), now)

    def _workflow(self, workflow_id, workflow_type=None, owner_id=None):
        workflow = find(self._workflows, workflow_id, "Workflow")
        if workflow_type not in (None, workflow["type"]) or owner_id not in (None, ACCOUNT_ID):
            raise not_found(f"Workflow {workflow_id} not found.")
        return workflow

    @locked
    def get_workflow(self, context, params, now):
        workflow = self._workflow(params["id"], params.get("type"), params.get("workflowOwnerId"))
        return self._definition_view(workflow, now, params.get("export"))

    @locked
    def list_workflows(self, context, params, now):
        found = matching(self._workflows.values(), type=params.get("type"),
                         name=params.get("name"))
        return listing("items", found, params, lambda w: {**w, "status": w.timeline.status(now)},
                       token_key="startingToken")

    @locked
    def update_workflow(self, context, params, now):
        self._update_definition(self._workflow(params["id"]), params, now)

    @locked
    def delete_workflow(self, context, params, now):
        workflow = self._workflow(params["id"])
        for version in workflow.versions.values():
            self.tags.forget(version["arn"])
        self.tags.drop(self._workflows, workflow["id"])

    # --- workflow versions -----------------------------------------------------------

    @locked
    def create_workflow_version(self, context, params, now):
        workflow, name = self._workflow(params["workflowId"]), params["versionName"]

        def make():
            if name in workflow.versions:
                raise conflict(f"Workflow {workflow['id']} already has a version named {name}.")
            require(workflow, now, f"Workflow {workflow['id']}")
            version = workflow.versions[name] = self._new_definition(
                "workflow_version", params, workflow["id"], now, workflowId=workflow["id"],
                versionName=name,
                arn=arn(context.region, f"workflow/{workflow['id']}/version/{name}"))
            self.tags.register(version["arn"], params.get("tags"), "WORKFLOW_VERSION",
                               version["uuid"])
            return version
        # a token names one version per workflow
        return self._definition_view(self.tokens.once(("version", workflow["id"]), params[
            "requestId"], workflow.versions, make, key="versionName"), now)

    def _version(self, workflow_id, name, workflow_type=None, owner_id=None):
        return find(self._workflow(workflow_id, workflow_type, owner_id).versions, name, "Version",
                    f" of workflow {workflow_id}")

    @locked
    def get_workflow_version(self, context, params, now):
        version = self._version(params["workflowId"], params["versionName"], params.get("type"),
                                params.get("workflowOwnerId"))
        return self._definition_view(version, now, params.get("export"), params["workflowId"])

    @locked
    def list_workflow_versions(self, context, params, now):
        workflow = self._workflow(params["workflowId"], params.get("type"),
                                  params.get("workflowOwnerId"))
        return listing("items", matching(workflow.versions.values()), params,
                       lambda v: {**v, "status": v.timeline.status(now)},
                       token_key="startingToken")

    @locked
    def update_workflow_version(self, context, params, now):
        version = self._version(params["workflowId"], params["versionName"])
        self._update_definition(version, params, now)

    @locked
    def delete_workflow_version(self, context, params, now):
        self._version(params["workflowId"], params["versionName"])
        self.tags.drop(self._workflows[params["workflowId"]].versions, params["versionName"])
