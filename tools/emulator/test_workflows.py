"""Tests for the emulator's workflows, workflow versions, runs, run tasks, run
groups, run caches, configurations and run batches, against a real server.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import base64
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator_testlib import (ACCOUNT, REGION, ROLE, EmulatorCase, call, control,  # noqa: E402
                              start_server, stop_server)

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ZIP = base64.b64encode(b"PK\x03\x04 pretend this is a zip of main.wdl").decode()
OUTPUT = "s3://results-bucket/runs/"


def setUpModule():
    start_server()


def tearDownModule():
    stop_server()


class WorkflowCase(EmulatorCase):
    def create_workflow(self, name="wf", request_id=None, **extra):
        document = {"name": name, "requestId": request_id or f"req-{name}", "definitionZip": ZIP,
                    "engine": "WDL", **extra}
        return self.ok(call("POST", "/workflow", document), 201)

    def active_workflow(self, name="wf", **extra):
        workflow = self.create_workflow(name, **extra)
        self.advance(1)
        return workflow

    def start_run(self, workflow_id, request_id="run-1", **extra):
        document = {"workflowId": workflow_id, "roleArn": ROLE, "outputUri": OUTPUT,
                    "requestId": request_id, **extra}
        return self.ok(call("POST", "/run", document), 201)

    def run_status(self, run_id):
        return self.ok(call("GET", f"/run/{run_id}"))["status"]

    def tasks(self, run_id, **query):
        return self.ok(call("GET", f"/run/{run_id}/task", query=query))["items"]


class WorkflowTest(WorkflowCase):
    def test_create_is_creating_then_active(self):
        created = self.create_workflow(
            "my-wf", tags={"team": "genomics"}, main="main.wdl",
            parameterTemplate={"sample": {"description": "a sample", "optional": False}},
            storageType="STATIC", storageCapacity=2400)
        self.assertTrue(created["id"].isdigit())
        self.assertEqual(created["arn"], f"arn:aws:omics:{REGION}:{ACCOUNT}:workflow/{created['id']}")
        self.assertEqual(created["status"], "CREATING")
        self.assertEqual(created["tags"], {"team": "genomics"})
        self.assertRegex(created["uuid"], r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        got = self.ok(call("GET", f"/workflow/{created['id']}"))
        self.assertEqual(got["status"], "CREATING")
        self.advance(1)
        got = self.ok(call("GET", f"/workflow/{created['id']}"))
        self.assertEqual(got["status"], "ACTIVE")
        self.assertEqual(got["name"], "my-wf")
        self.assertEqual(got["type"], "PRIVATE")
        self.assertEqual(got["engine"], "WDL")
        self.assertEqual(got["main"], "main.wdl")
        self.assertEqual(len(got["digest"]), 64)
        self.assertEqual(got["storageCapacity"], 2400)
        self.assertEqual(got["parameterTemplate"]["sample"], {"description": "a sample",
                                                              "optional": False})
        self.assertRegex(got["creationTime"], ISO_MS)
        self.assertNotIn("readme", got)

    def test_any_host_reaches_the_operation(self):
        created = self.create_workflow()
        for host in ("workflows-omics.us-west-2.amazonaws.com", "example.test:1234"):
            got = self.ok(call("GET", f"/workflow/{created['id']}", host=host))
            self.assertEqual(got["id"], created["id"])

    def test_export_is_a_repeated_query_key(self):
        created = self.create_workflow(readmeMarkdown="# hello")
        got = self.ok(call("GET", f"/workflow/{created['id']}",
                           query={"export": ["DEFINITION", "README"]}))
        self.assertIn("readme", got)
        self.assertIn("definition", got)
        self.assertError(call("GET", f"/workflow/{created['id']}", query={"export": ["NOPE"]}),
                         400, "ValidationException", "export")

    def test_request_id_makes_create_idempotent(self):
        first = self.create_workflow("a", request_id="same")
        again = self.create_workflow("b", request_id="same")
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(len(self.ok(call("GET", "/workflow"))["items"]), 1)

    def test_fail_next_makes_the_workflow_fail(self):
        status, answer = control("POST", "fail_next", {"kind": "workflow", "message": "bad zip"})
        self.assertEqual((status, answer["pending"]), (200, {"workflow": 1}))
        failing = self.create_workflow("failing")
        fine = self.create_workflow("fine")
        self.advance(1)
        got = self.ok(call("GET", f"/workflow/{failing['id']}"))
        self.assertEqual((got["status"], got["statusMessage"]), ("FAILED", "bad zip"))
        self.assertEqual(self.ok(call("GET", f"/workflow/{fine['id']}"))["status"], "ACTIVE")
        self.assertEqual(control("GET", "fail_next")[1]["pending"], {})

    def test_fail_next_control_errors(self):
        self.assertEqual(control("POST", "fail_next", {"kind": "nonsense"})[0], 400)
        self.assertEqual(control("POST", "fail_next", {"kind": "run", "count": 0})[0], 400)
        self.fail_next("run", 2)
        self.assertEqual(control("DELETE", "fail_next")[0], 200)
        self.assertEqual(control("GET", "fail_next")[1]["pending"], {})

    def test_validation(self):
        self.assertError(call("POST", "/workflow", {"name": "x", "definitionZip": ZIP}),
                         400, "ValidationException", "'requestId' failed to satisfy constraint: "
                         "Member must not be null")
        self.assertError(call("POST", "/workflow", {"requestId": "r"}), 400, "ValidationException",
                         "definitionZip")
        self.assertError(call("POST", "/workflow", {"requestId": "r", "definitionZip": ZIP,
                                                    "engine": "SNAKEMAKE"}),
                         400, "ValidationException", "enum value set")
        self.assertError(call("POST", "/workflow", {"requestId": "r", "definitionZip": "%%%"}),
                         400, "SerializationException")
        self.assertError(call("POST", "/workflow", {"requestId": "r", "definitionZip": ZIP,
                                                    "storageCapacity": 100001}),
                         400, "ValidationException", "less than or equal to 100000")
        self.assertError(call("GET", "/workflow/abc"), 400, "ValidationException", "'id'")
        self.assertError(call("GET", "/workflow/123456"), 404, "ResourceNotFoundException")

    def test_update_is_202_and_goes_through_updating(self):
        created = self.active_workflow()
        answer = call("POST", f"/workflow/{created['id']}", {"name": "renamed",
                                                              "description": "new text"})
        self.assertEqual((answer.status, answer.body), (202, b""))
        got = self.ok(call("GET", f"/workflow/{created['id']}"))
        self.assertEqual((got["status"], got["name"], got["description"]),
                         ("UPDATING", "renamed", "new text"))
        self.advance(1)
        self.assertEqual(self.ok(call("GET", f"/workflow/{created['id']}"))["status"], "ACTIVE")
        self.assertError(call("POST", "/workflow/999999", {"name": "x"}),
                         404, "ResourceNotFoundException")

    def test_delete(self):
        created = self.create_workflow()
        answer = call("DELETE", f"/workflow/{created['id']}")
        self.assertEqual((answer.status, answer.body), (202, b""))
        self.assertError(call("GET", f"/workflow/{created['id']}"), 404, "ResourceNotFoundException")
        self.assertError(call("DELETE", f"/workflow/{created['id']}"), 404,
                         "ResourceNotFoundException")

    def test_list_pages_in_small_pages(self):
        ids = [self.create_workflow(f"wf-{n:02d}")["id"] for n in range(25)]
        items, pages = self.collect("GET", "/workflow", "items", "startingToken")
        self.assertEqual([i["id"] for i in items], ids)
        self.assertEqual(pages, 3)
        items, pages = self.collect("GET", "/workflow", "items", "startingToken", size=7)
        self.assertEqual((len(items), pages), (25, 4))
        self.assertEqual(set(items[0]), {"arn", "id", "name", "status", "type", "digest",
                                         "creationTime"})
        named = self.ok(call("GET", "/workflow", query={"name": "wf-03"}))["items"]
        self.assertEqual([i["id"] for i in named], [ids[3]])
        self.assertEqual(self.ok(call("GET", "/workflow", query={"type": "READY2RUN"}))["items"], [])
        self.assertError(call("GET", "/workflow", query={"startingToken": "garbage"}),
                         400, "ValidationException")
        self.assertError(call("GET", "/workflow", query={"maxResults": 0}),
                         400, "ValidationException", "greater than or equal to 1")


class WorkflowVersionTest(WorkflowCase):
    def create_version(self, workflow_id, name="v1", request_id=None, **extra):
        document = {"versionName": name, "requestId": request_id or f"req-{name}",
                    "definitionUri": "s3://defs/wf.zip", **extra}
        return call("POST", f"/workflow/{workflow_id}/version", document)

    def test_version_lifecycle(self):
        workflow = self.active_workflow()
        created = self.ok(self.create_version(workflow["id"], "v1.0", description="first",
                                              tags={"k": "v"}), 201)
        self.assertEqual(created["arn"], f"{workflow['arn']}/version/v1.0")
        self.assertEqual((created["status"], created["versionName"], created["workflowId"]),
                         ("CREATING", "v1.0", workflow["id"]))
        path = f"/workflow/{workflow['id']}/version/v1.0"
        self.assertEqual(self.ok(call("GET", path))["status"], "CREATING")
        self.advance(1)
        got = self.ok(call("GET", path))
        self.assertEqual((got["status"], got["description"], got["definition"], got["tags"]),
                         ("ACTIVE", "first", "s3://defs/wf.zip", {"k": "v"}))
        answer = call("POST", path, {"description": "changed", "storageType": "DYNAMIC"})
        self.assertEqual(answer.status, 202)
        got = self.ok(call("GET", path))
        self.assertEqual((got["status"], got["description"], got["storageType"]),
                         ("UPDATING", "changed", "DYNAMIC"))
        self.assertEqual(call("DELETE", path).status, 202)
        self.assertError(call("GET", path), 404, "ResourceNotFoundException")

    def test_conflicts_and_idempotency(self):
        creating = self.create_workflow("new")
        self.assertError(self.create_version(creating["id"]), 409, "ConflictException", "CREATING")
        self.advance(1)
        first = self.ok(self.create_version(creating["id"], "v1", request_id="token"), 201)
        again = self.ok(self.create_version(creating["id"], "v1", request_id="token"), 201)
        self.assertEqual(first["uuid"], again["uuid"])
        self.assertError(self.create_version(creating["id"], "v1", request_id="other"),
                         409, "ConflictException")
        self.assertError(self.create_version("424242", "v1"), 404, "ResourceNotFoundException")
        self.assertError(self.create_version(creating["id"], "-bad"), 400, "ValidationException",
                         "versionName")

    def test_fail_next_version(self):
        workflow = self.active_workflow()
        self.fail_next("workflow_version")
        self.create_version(workflow["id"], "broken")
        self.advance(1)
        got = self.ok(call("GET", f"/workflow/{workflow['id']}/version/broken"))
        self.assertEqual(got["status"], "FAILED")
        self.assertTrue(got["statusMessage"])

    def test_list_versions_pages(self):
        workflow = self.active_workflow()
        for n in range(12):
            self.ok(self.create_version(workflow["id"], f"v{n}"), 201)
        items, pages = self.collect("GET", f"/workflow/{workflow['id']}/version", "items",
                                    "startingToken", size=5)
        self.assertEqual(([i["versionName"] for i in items], pages),
                         ([f"v{n}" for n in range(12)], 3))
        self.assertError(call("GET", "/workflow/77/version"), 404, "ResourceNotFoundException")
        self.assertError(call("GET", f"/workflow/{workflow['id']}/version/nope"),
                         404, "ResourceNotFoundException")
        # deleting a workflow takes its versions along
        self.assertEqual(call("DELETE", f"/workflow/{workflow['id']}").status, 202)
        self.assertError(call("GET", f"/workflow/{workflow['id']}/version/v1"),
                         404, "ResourceNotFoundException")


class RunTest(WorkflowCase):
    def test_run_and_tasks_move_on_the_clock(self):
        workflow = self.active_workflow()
        run = self.start_run(workflow["id"], name="my-run", tags={"project": "p1"},
                             parameters={"sample": "s3://in/a.bam", "threads": 4})
        self.assertEqual(run["status"], "PENDING")
        self.assertEqual(run["arn"], f"arn:aws:omics:{REGION}:{ACCOUNT}:run/{run['id']}")
        self.assertEqual(run["runOutputUri"], f"{OUTPUT}{run['id']}")
        self.assertEqual(run["tags"], {"project": "p1"})
        self.assertEqual(self.tasks(run["id"]), [])
        self.advance(1)
        self.assertEqual(self.run_status(run["id"]), "STARTING")
        self.advance(1)
        self.assertEqual(self.run_status(run["id"]), "RUNNING")
        tasks = self.tasks(run["id"])
        self.assertEqual([t["status"] for t in tasks], ["PENDING", "PENDING"])
        for expected in ("STARTING", "RUNNING"):
            self.advance(1)
            self.assertEqual([t["status"] for t in self.tasks(run["id"])], [expected] * 2)
            self.assertEqual(self.run_status(run["id"]), "RUNNING")
        self.advance(1)
        got = self.ok(call("GET", f"/run/{run['id']}"))
        self.assertEqual(got["status"], "COMPLETED")
        self.assertEqual(got["parameters"], {"sample": "s3://in/a.bam", "threads": 4})
        self.assertEqual((got["name"], got["workflowId"], got["roleArn"]),
                         ("my-run", workflow["id"], ROLE))
        for key in ("creationTime", "startTime", "stopTime"):
            self.assertRegex(got[key], ISO_MS)
        self.assertLess(got["startTime"], got["stopTime"])
        task = self.ok(call("GET", f"/run/{run['id']}/task/{tasks[0]['taskId']}"))
        self.assertEqual((task["status"], task["name"]), ("COMPLETED", "task-1"))
        self.assertEqual(task["logStream"], f"run/{run['id']}/task/{task['taskId']}")
        self.assertRegex(task["stopTime"], ISO_MS)

    def test_run_needs_an_active_workflow_and_valid_input(self):
        workflow = self.create_workflow()
        self.assertError(call("POST", "/run", {"workflowId": workflow["id"], "roleArn": ROLE,
                                               "outputUri": OUTPUT, "requestId": "r"}),
                         409, "ConflictException", "ACTIVE")
        self.assertError(call("POST", "/run", {"workflowId": "31337", "roleArn": ROLE,
                                               "outputUri": OUTPUT, "requestId": "r"}),
                         404, "ResourceNotFoundException")
        self.assertError(call("POST", "/run", {"roleArn": ROLE, "outputUri": OUTPUT,
                                               "requestId": "r"}),
                         400, "ValidationException", "workflowId or runId")
        self.assertError(call("POST", "/run", {"workflowId": workflow["id"], "requestId": "r"}),
                         400, "ValidationException", "2 validation errors")
        self.advance(1)
        self.assertError(call("POST", "/run", {"workflowId": workflow["id"], "roleArn": ROLE,
                                               "outputUri": OUTPUT, "requestId": "r",
                                               "runGroupId": "5555"}),
                         404, "ResourceNotFoundException", "Run group")
        self.assertError(call("POST", "/run", {"workflowId": workflow["id"], "roleArn": ROLE,
                                               "outputUri": OUTPUT, "requestId": "r",
                                               "networkingMode": "VPC"}),
                         400, "ValidationException", "configurationName")

    def test_request_id_and_rerun(self):
        workflow = self.active_workflow()
        first = self.start_run(workflow["id"], "same", name="original", priority=5)
        again = self.start_run(workflow["id"], "same")
        self.assertEqual(first["id"], again["id"])
        rerun = self.ok(call("POST", "/run", {"runId": first["id"], "roleArn": ROLE,
                                              "outputUri": OUTPUT, "requestId": "rerun"}), 201)
        self.assertNotEqual(rerun["id"], first["id"])
        got = self.ok(call("GET", f"/run/{rerun['id']}"))
        self.assertEqual((got["workflowId"], got["name"], got["priority"]),
                         (workflow["id"], "original", 5))

    def test_cancel_moves_through_stopping(self):
        workflow = self.active_workflow()
        run = self.start_run(workflow["id"])
        self.advance(3)
        self.assertEqual([t["status"] for t in self.tasks(run["id"])], ["STARTING"] * 2)
        answer = call("POST", f"/run/{run['id']}/cancel")
        self.assertEqual((answer.status, answer.body), (202, b""))
        self.assertEqual(self.run_status(run["id"]), "STOPPING")
        self.assertEqual([t["status"] for t in self.tasks(run["id"])], ["STOPPING"] * 2)
        self.advance(1)
        self.assertEqual(self.run_status(run["id"]), "CANCELLED")
        self.assertEqual([t["status"] for t in self.tasks(run["id"])], ["CANCELLED"] * 2)
        self.assertError(call("POST", f"/run/{run['id']}/cancel"), 409, "ConflictException")
        pending = self.start_run(workflow["id"], "second")
        self.assertEqual(call("POST", f"/run/{pending['id']}/cancel").status, 202)
        self.advance(5)
        self.assertEqual(self.run_status(pending["id"]), "CANCELLED")
        self.assertEqual(self.tasks(pending["id"]), [])

    def test_delete_only_finished_runs(self):
        workflow = self.active_workflow()
        run = self.start_run(workflow["id"])
        self.assertError(call("DELETE", f"/run/{run['id']}"), 409, "ConflictException")
        self.advance(5)
        self.assertEqual(call("DELETE", f"/run/{run['id']}").status, 202)
        self.assertError(call("GET", f"/run/{run['id']}"), 404, "ResourceNotFoundException")
        self.assertError(call("GET", f"/run/{run['id']}/task"), 404, "ResourceNotFoundException")

    def test_fail_next_run_fails_before_running(self):
        workflow = self.active_workflow()
        self.fail_next("run", message="no capacity")
        run = self.start_run(workflow["id"])
        self.advance(1)
        self.assertEqual(self.run_status(run["id"]), "STARTING")
        self.advance(1)
        got = self.ok(call("GET", f"/run/{run['id']}"))
        self.assertEqual((got["status"], got["statusMessage"]), ("FAILED", "no capacity"))
        self.assertTrue(got["failureReason"])
        self.assertEqual(self.tasks(run["id"]), [])

    def test_fail_next_task_fails_the_last_task_and_the_run(self):
        workflow = self.active_workflow()
        self.fail_next("task")
        run = self.start_run(workflow["id"])
        self.advance(4)
        self.assertEqual(self.run_status(run["id"]), "RUNNING")
        self.advance(1)
        statuses = {t["name"]: t["status"] for t in self.tasks(run["id"])}
        self.assertEqual(statuses, {"task-1": "COMPLETED", "task-2": "FAILED"})
        self.assertEqual(self.run_status(run["id"]), "FAILED")
        failed = self.tasks(run["id"], status="FAILED")
        self.assertEqual(len(failed), 1)
        task = self.ok(call("GET", f"/run/{run['id']}/task/{failed[0]['taskId']}"))
        self.assertTrue(task["statusMessage"])

    def test_many_tasks_page(self):
        self.assertEqual(control("POST", "run_tasks", {"count": 23})[0], 200)
        workflow = self.active_workflow()
        run = self.start_run(workflow["id"])
        self.advance(2)
        items, pages = self.collect("GET", f"/run/{run['id']}/task", "items", "startingToken")
        self.assertEqual((len(items), pages), (23, 3))
        self.assertEqual(len({i["taskId"] for i in items}), 23)
        self.assertError(call("GET", f"/run/{run['id']}/task/999999999"),
                         404, "ResourceNotFoundException")
        self.assertEqual(control("POST", "run_tasks", {"count": -1})[0], 400)

    def test_list_runs_filters_and_pages(self):
        workflow = self.active_workflow()
        group = self.ok(call("POST", "/runGroup", {"requestId": "g", "name": "grp"}), 201)
        ids = [self.start_run(workflow["id"], f"r{n}", name=f"run-{n % 3}")["id"] for n in range(14)]
        grouped = self.start_run(workflow["id"], "grouped", runGroupId=group["id"])
        items, pages = self.collect("GET", "/run", "items", "startingToken")
        self.assertEqual(([i["id"] for i in items], pages), (ids + [grouped["id"]], 2))
        self.assertEqual(items[0]["workflowName"], "wf")
        named = self.ok(call("GET", "/run", query={"name": "run-1", "maxResults": 100}))["items"]
        self.assertEqual(len(named), 5)
        in_group = self.ok(call("GET", "/run", query={"runGroupId": group["id"]}))["items"]
        self.assertEqual([i["id"] for i in in_group], [grouped["id"]])
        call("POST", f"/run/{ids[0]}/cancel")
        self.advance(1)
        cancelled = self.ok(call("GET", "/run", query={"status": "CANCELLED"}))["items"]
        self.assertEqual([i["id"] for i in cancelled], [ids[0]])
        self.assertError(call("GET", "/run", query={"status": "WEIRD"}), 400, "ValidationException")
        self.assertError(call("GET", "/run", query={"startingToken": "bm90LWEtdG9rZW4="}),
                         400, "ValidationException")

    def test_run_with_version_cache_and_configuration(self):
        workflow = self.active_workflow()
        self.ok(call("POST", f"/workflow/{workflow['id']}/version",
                     {"versionName": "v2", "requestId": "v", "definitionZip": ZIP}), 201)
        cache = self.ok(call("POST", "/runCache", {"requestId": "c",
                                                   "cacheS3Location": "s3://cache-bucket/x"}), 201)
        self.ok(call("POST", "/configuration", {
            "name": "vpc-conf", "requestId": "cf",
            "runConfigurations": {"vpcConfig": {"subnetIds": ["subnet-0abc1234"],
                                                "securityGroupIds": ["sg-0123"]}}}), 201)
        self.assertError(call("POST", "/run", {"workflowId": workflow["id"], "roleArn": ROLE,
                                               "outputUri": OUTPUT, "requestId": "x",
                                               "workflowVersionName": "v2"}),
                         409, "ConflictException", "v2")
        self.advance(1)
        run = self.start_run(workflow["id"], workflowVersionName="v2", cacheId=cache["id"],
                             cacheBehavior="CACHE_ALWAYS", networkingMode="VPC",
                             configurationName="vpc-conf")
        self.assertEqual(run["configuration"]["name"], "vpc-conf")
        self.assertEqual(run["networkingMode"], "VPC")
        got = self.ok(call("GET", f"/run/{run['id']}"))
        self.assertEqual((got["workflowVersionName"], got["cacheId"], got["cacheBehavior"]),
                         ("v2", cache["id"], "CACHE_ALWAYS"))
        self.advance(2)
        self.assertFalse(self.tasks(run["id"])[0]["cacheHit"])


class RunGroupTest(WorkflowCase):
    def test_run_group_operations(self):
        created = self.ok(call("POST", "/runGroup", {"requestId": "g1", "name": "group",
                                                     "maxCpus": 64, "maxRuns": 5,
                                                     "tags": {"a": "b"}}), 201)
        self.assertEqual(set(created), {"arn", "id", "tags"})
        again = self.ok(call("POST", "/runGroup", {"requestId": "g1", "name": "other"}), 201)
        self.assertEqual(again["id"], created["id"])
        got = self.ok(call("GET", f"/runGroup/{created['id']}"))
        self.assertEqual((got["name"], got["maxCpus"], got["maxRuns"], got["tags"]),
                         ("group", 64, 5, {"a": "b"}))
        self.assertNotIn("maxGpus", got)
        self.assertEqual(call("POST", f"/runGroup/{created['id']}", {"maxGpus": 2,
                                                                     "name": "renamed"}).status, 202)
        got = self.ok(call("GET", f"/runGroup/{created['id']}"))
        self.assertEqual((got["name"], got["maxGpus"], got["maxCpus"]), ("renamed", 2, 64))
        self.assertError(call("POST", "/runGroup", {"requestId": "g2", "maxCpus": 0}),
                         400, "ValidationException", "maxCpus")
        self.assertEqual(call("DELETE", f"/runGroup/{created['id']}").status, 202)
        self.assertError(call("GET", f"/runGroup/{created['id']}"), 404, "ResourceNotFoundException")

    def test_run_group_with_active_run_cannot_be_deleted(self):
        workflow = self.active_workflow()
        group = self.ok(call("POST", "/runGroup", {"requestId": "g"}), 201)
        self.start_run(workflow["id"], runGroupId=group["id"])
        self.assertError(call("DELETE", f"/runGroup/{group['id']}"), 409, "ConflictException")
        self.advance(5)
        self.assertEqual(call("DELETE", f"/runGroup/{group['id']}").status, 202)

    def test_list_run_groups_pages(self):
        for n in range(11):
            self.ok(call("POST", "/runGroup", {"requestId": f"g{n}", "name": f"g{n % 2}"}), 201)
        items, pages = self.collect("GET", "/runGroup", "items", "startingToken")
        self.assertEqual((len(items), pages), (11, 2))
        self.assertEqual(len(self.ok(call("GET", "/runGroup", query={"name": "g1"}))["items"]), 5)


class RunCacheTest(WorkflowCase):
    def test_run_cache_operations(self):
        created = self.ok(call("POST", "/runCache", {
            "requestId": "c1", "cacheS3Location": "s3://cache-bucket/prefix/", "name": "cache",
            "tags": {"x": "y"}}), 201)
        self.assertEqual((created["status"], created["tags"]), ("ACTIVE", {"x": "y"}))
        got = self.ok(call("GET", f"/runCache/{created['id']}"))
        self.assertEqual((got["cacheS3Uri"], got["cacheBehavior"], got["cacheBucketOwnerId"]),
                         ("s3://cache-bucket/prefix/", "CACHE_ON_FAILURE", ACCOUNT))
        self.assertEqual(call("POST", f"/runCache/{created['id']}",
                              {"cacheBehavior": "CACHE_ALWAYS", "description": "d"}).status, 202)
        got = self.ok(call("GET", f"/runCache/{created['id']}"))
        self.assertEqual((got["cacheBehavior"], got["description"]), ("CACHE_ALWAYS", "d"))
        self.assertError(call("POST", "/runCache", {"requestId": "c2",
                                                    "cacheS3Location": "http://nope"}),
                         400, "ValidationException", "cacheS3Location")
        self.assertError(call("POST", "/runCache", {"cacheS3Location": "s3://cache-bucket"}),
                         400, "ValidationException", "requestId")
        self.assertEqual(call("DELETE", f"/runCache/{created['id']}").status, 202)
        self.assertError(call("GET", f"/runCache/{created['id']}"), 404, "ResourceNotFoundException")

    def test_fail_next_cache_and_paging(self):
        self.fail_next("run_cache")
        failed = self.ok(call("POST", "/runCache", {"requestId": "f",
                                                    "cacheS3Location": "s3://cache-bucket"}), 201)
        self.assertEqual(failed["status"], "FAILED")
        for n in range(14):
            self.ok(call("POST", "/runCache", {"requestId": f"c{n}",
                                               "cacheS3Location": "s3://cache-bucket"}), 201)
        items, pages = self.collect("GET", "/runCache", "items", "startingToken", size=5)
        self.assertEqual((len(items), pages), (15, 3))


class ConfigurationTest(WorkflowCase):
    def create(self, name="conf", request_id=None):
        return call("POST", "/configuration", {
            "name": name, "requestId": request_id or name, "description": "d",
            "runConfigurations": {"vpcConfig": {"subnetIds": ["subnet-01234567"]}}})

    def test_configuration_lifecycle(self):
        created = self.ok(self.create(), 201)
        self.assertEqual((created["status"], created["name"]), ("CREATING", "conf"))
        self.assertTrue(created["runConfigurations"]["vpcConfig"]["vpcId"].startswith("vpc-"))
        self.assertEqual(created["arn"], f"arn:aws:omics:{REGION}:{ACCOUNT}:configuration/conf")
        self.assertEqual(self.ok(self.create(), 201)["uuid"], created["uuid"])
        self.assertError(self.create(request_id="other"), 409, "ConflictException")
        self.advance(1)
        self.assertEqual(self.ok(call("GET", "/configuration/conf"))["status"], "ACTIVE")
        self.assertEqual(call("DELETE", "/configuration/conf").status, 202)
        self.assertEqual(self.ok(call("GET", "/configuration/conf"))["status"], "DELETING")
        self.assertEqual(call("DELETE", "/configuration/conf").status, 202)
        self.advance(1)
        self.assertError(call("GET", "/configuration/conf"), 404, "ResourceNotFoundException")

    def test_fail_next_list_and_validation(self):
        self.fail_next("configuration")
        self.ok(self.create("bad"), 201)
        for n in range(12):
            self.ok(self.create(f"c{n:02d}"), 201)
        self.advance(1)
        self.assertEqual(self.ok(call("GET", "/configuration/bad"))["status"], "FAILED")
        items, pages = self.collect("GET", "/configuration", "items", "startingToken")
        self.assertEqual((len(items), pages), (13, 2))
        self.assertError(call("GET", "/configuration", query={"maxResults": 11}),
                         400, "ValidationException", "less than or equal to 10")
        self.assertError(call("POST", "/configuration", {"name": "x", "requestId": "x"}),
                         400, "ValidationException", "runConfigurations")
        self.assertError(call("POST", "/configuration", {
            "name": "x", "requestId": "x",
            "runConfigurations": {"vpcConfig": {"subnetIds": ["net-1"]}}}),
            400, "ValidationException", "subnet-")


class BatchTest(WorkflowCase):
    def start_batch(self, workflow_id, settings=None, request_id="b", **extra):
        document = {
            "requestId": request_id, "batchName": "my-batch", "tags": {"batch": "yes"},
            "defaultRunSetting": {"workflowId": workflow_id, "roleArn": ROLE, "outputUri": OUTPUT,
                                  "runTags": {"from": "default"}},
            "batchRunSettings": {"inlineSettings": settings or [
                {"runSettingId": "s1", "name": "one", "parameters": {"n": 1}},
                {"runSettingId": "s2", "name": "two", "runTags": {"from": "inline"}},
                {"runSettingId": "s3", "priority": 3}]},
            **extra}
        return call("POST", "/runBatch", document)

    def batch(self, batch_id):
        return self.ok(call("GET", f"/runBatch/{batch_id}"))

    def test_batch_runs_to_processed(self):
        workflow = self.active_workflow()
        created = self.ok(self.start_batch(workflow["id"]), 201)
        self.assertEqual((created["status"], created["tags"]), ("CREATING", {"batch": "yes"}))
        got = self.batch(created["id"])
        self.assertEqual((got["totalRuns"], got["submissionSummary"]["pendingStartSubmissionCount"]),
                         (3, 3))
        self.assertEqual(self.ok(call("GET", f"/runBatch/{created['id']}/run"))["runs"], [])
        self.advance(1)
        got = self.batch(created["id"])
        self.assertEqual(got["status"], "SUBMITTING")
        self.assertEqual(got["submissionSummary"]["successfulStartSubmissionCount"], 3)
        self.assertEqual(got["runSummary"]["pendingRunCount"], 3)
        runs = self.ok(call("GET", f"/runBatch/{created['id']}/run"))["runs"]
        self.assertEqual([(r["runSettingId"], r["submissionStatus"]) for r in runs],
                         [("s1", "SUCCESS"), ("s2", "SUCCESS"), ("s3", "SUCCESS")])
        listed = self.ok(call("GET", "/run", query={"batchId": created["id"]}))["items"]
        self.assertEqual(sorted(r["id"] for r in listed), sorted(r["runId"] for r in runs))
        run_two = self.ok(call("GET", f"/run/{runs[1]['runId']}"))
        self.assertEqual((run_two["batchId"], run_two["name"], run_two["tags"]),
                         (created["id"], "two", {"from": "inline"}))
        self.advance(1)
        self.assertEqual(self.batch(created["id"])["status"], "INPROGRESS")
        self.advance(4)
        got = self.batch(created["id"])
        self.assertEqual(got["status"], "PROCESSED")
        self.assertEqual(got["runSummary"]["completedRunCount"], 3)
        self.assertRegex(got["processedTime"], ISO_MS)
        self.assertError(call("POST", "/runBatch/cancel", {"batchId": created["id"]}),
                         409, "ConflictException")
        answer = call("POST", "/runBatch/delete", {"batchId": created["id"]})
        self.assertEqual((answer.status, answer.json), (202, {}))
        self.assertEqual(self.batch(created["id"])["status"], "RUNS_DELETING")
        self.assertError(call("GET", f"/run/{runs[0]['runId']}"), 404, "ResourceNotFoundException")
        self.advance(1)
        self.assertEqual(self.batch(created["id"])["status"], "RUNS_DELETED")
        deleted = self.ok(call("GET", f"/runBatch/{created['id']}/run",
                               query={"submissionStatus": "DELETE_SUCCESS"}))["runs"]
        self.assertEqual(len(deleted), 3)
        self.assertEqual(call("DELETE", f"/runBatch/{created['id']}").status, 202)
        self.assertError(call("GET", f"/runBatch/{created['id']}"), 404,
                         "ResourceNotFoundException")

    def test_cancel_batch(self):
        workflow = self.active_workflow()
        created = self.ok(self.start_batch(workflow["id"]), 201)
        self.advance(2)
        self.assertError(call("DELETE", f"/runBatch/{created['id']}"), 409, "ConflictException")
        self.assertError(call("POST", "/runBatch/delete", {"batchId": created["id"]}),
                         409, "ConflictException")
        self.assertEqual(self.ok(call("POST", "/runBatch/cancel", {"batchId": created["id"]}), 202),
                         {})
        self.assertEqual(self.batch(created["id"])["status"], "STOPPING")
        self.advance(1)
        got = self.batch(created["id"])
        self.assertEqual(got["status"], "CANCELLED")
        self.assertEqual(got["runSummary"]["cancelledRunCount"], 3)
        self.assertEqual(got["submissionSummary"]["successfulCancelSubmissionCount"], 3)
        runs = self.ok(call("GET", f"/runBatch/{created['id']}/run",
                            query={"submissionStatus": "CANCEL_SUCCESS", "runSettingId": "s2"}))
        self.assertEqual([r["runSettingId"] for r in runs["runs"]], ["s2"])

    def test_fail_next_batch_and_s3_settings(self):
        workflow = self.active_workflow()
        self.fail_next("batch", message="quota")
        failed = self.ok(self.start_batch(workflow["id"], request_id="f"), 201)
        self.put_s3("s3://settings-bucket/batch.json",
                    '[{"runSettingId": "a"}, {"runSettingId": "b", "outputUri": "s3://o/b/"}]')
        from_s3 = self.ok(call("POST", "/runBatch", {
            "requestId": "s3", "defaultRunSetting": {"workflowId": workflow["id"], "roleArn": ROLE},
            "batchRunSettings": {"s3UriSettings": "s3://settings-bucket/batch.json"}}), 201)
        missing = self.ok(call("POST", "/runBatch", {
            "requestId": "missing",
            "defaultRunSetting": {"workflowId": workflow["id"], "roleArn": ROLE},
            "batchRunSettings": {"s3UriSettings": "s3://settings-bucket/none.json"}}), 201)
        self.advance(1)
        got = self.batch(failed["id"])
        self.assertEqual((got["status"], got["failureReason"]), ("FAILED", "quota"))
        self.assertRegex(got["failedTime"], ISO_MS)
        got = self.batch(from_s3["id"])
        self.assertEqual(got["totalRuns"], 2)
        self.assertEqual(got["submissionSummary"]["failedStartSubmissionCount"], 1)
        runs = self.ok(call("GET", f"/runBatch/{from_s3['id']}/run"))["runs"]
        self.assertEqual([(r["runSettingId"], r["submissionStatus"]) for r in runs],
                         [("a", "FAILED"), ("b", "SUCCESS")])
        self.assertIn("outputUri", runs[0]["submissionFailureMessage"])
        self.assertEqual(self.batch(missing["id"])["status"], "FAILED")

    def test_batch_validation_and_listing(self):
        workflow = self.active_workflow()
        both = call("POST", "/runBatch", {
            "requestId": "x", "defaultRunSetting": {"workflowId": workflow["id"], "roleArn": ROLE},
            "batchRunSettings": {"inlineSettings": [{"runSettingId": "a"}],
                                 "s3UriSettings": "s3://b/k"}})
        self.assertError(both, 400, "ValidationException", "batchRunSettings")
        self.assertError(self.start_batch(workflow["id"], [{"runSettingId": "a"},
                                                           {"runSettingId": "a"}]),
                         400, "ValidationException", "more than once")
        self.assertError(self.start_batch("8888"), 404, "ResourceNotFoundException")
        self.assertError(call("GET", "/runBatch/123"), 404, "ResourceNotFoundException")
        for n in range(12):
            self.ok(self.start_batch(workflow["id"], request_id=f"b{n}"), 201)
        items, pages = self.collect("GET", "/runBatch", "items", "startingToken",
                                    size_key="maxItems", size=5)
        self.assertEqual((len(items), pages), (12, 3))
        self.assertEqual(items[0]["workflowId"], workflow["id"])
        self.assertEqual(len(self.ok(call("GET", "/runBatch",
                                          query={"status": "CREATING", "maxItems": 50}))["items"]),
                         12)
        self.assertError(call("GET", "/runBatch", query={"maxItems": 101}),
                         400, "ValidationException")
        batch_id = items[0]["id"]
        self.advance(1)
        runs, pages = self.collect("GET", f"/runBatch/{batch_id}/run", "runs", "startingToken",
                                   size_key="maxItems", size=2)
        self.assertEqual((len(runs), pages), (3, 2))


if __name__ == "__main__":
    unittest.main()
