"""Tests for the emulator's shares and its tag operations over every kind of
resource, against a real server.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import base64
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator_testlib import (ACCOUNT, REGION, ROLE, EmulatorCase, call, label,  # noqa: E402
                              start_server, stop_server)

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
REFERENCE = {"referenceArn": f"arn:aws:omics:{REGION}:{ACCOUNT}:referenceStore/1234567890/"
                             "reference/9876543210"}
ZIP = base64.b64encode(b"PK\x03\x04 zip").decode()
OTHER_ACCOUNT = "210987654321"


def setUpModule():
    start_server()


def tearDownModule():
    stop_server()


def tags_path(arn):
    return "/tags/" + label(arn)


class TagCase(EmulatorCase):
    def tags(self, arn):
        return self.ok(call("GET", tags_path(arn)))["tags"]

    def workflow(self, name="wf", tags=None):
        document = {"name": name, "requestId": name, "definitionZip": ZIP}
        if tags is not None:
            document["tags"] = tags
        return self.ok(call("POST", "/workflow", document), 201)

    def annotation_store(self, name="annotations", tags=None):
        document = {"name": name, "storeFormat": "VCF", "reference": REFERENCE}
        if tags is not None:
            document["tags"] = tags
        return self.ok(call("POST", "/annotationStore", document))


class TagTest(TagCase):
    def test_tag_list_untag(self):
        workflow = self.workflow(tags={"team": "a", "cost": "1"})
        self.assertEqual(self.tags(workflow["arn"]), {"team": "a", "cost": "1"})
        answer = call("POST", tags_path(workflow["arn"]), {"tags": {"cost": "2", "env": "test"}})
        self.assertEqual((answer.status, answer.body), (204, b""))
        self.assertIsNone(answer.headers.get("Content-Length"))
        self.assertEqual(self.tags(workflow["arn"]), {"team": "a", "cost": "2", "env": "test"})
        answer = call("DELETE", tags_path(workflow["arn"]),
                      query={"tagKeys": ["team", "env", "absent"]})
        self.assertEqual((answer.status, answer.body), (204, b""))
        self.assertEqual(self.tags(workflow["arn"]), {"cost": "2"})
        self.assertEqual(self.ok(call("GET", f"/workflow/{workflow['id']}"))["tags"], {"cost": "2"})
        answer = call("DELETE", tags_path(workflow["arn"]), query={"tagKeys": []})
        self.assertError(answer, 400, "ValidationException", "tagKeys")

    def test_errors(self):
        unknown = f"arn:aws:omics:{REGION}:{ACCOUNT}:workflow/424242"
        self.assertError(call("GET", tags_path(unknown)), 404, "ResourceNotFoundException")
        self.assertError(call("POST", tags_path(unknown), {"tags": {"a": "b"}}),
                         404, "ResourceNotFoundException")
        self.assertError(call("GET", tags_path("not-an-arn")), 400, "ValidationException",
                         "resourceArn")
        workflow = self.workflow()
        self.assertError(call("POST", tags_path(workflow["arn"]), {}),
                         400, "ValidationException", "'tags'")
        self.assertError(call("POST", tags_path(workflow["arn"]), {"tags": {"aws:owner": "x"}}),
                         400, "ValidationException", "reserved")
        self.assertError(call("POST", tags_path(workflow["arn"]),
                              {"tags": {f"k{n}": "v" for n in range(51)}}),
                         400, "ValidationException", "length less than or equal to 50")
        self.ok(call("POST", tags_path(workflow["arn"]), {"tags": {f"k{n}": "v" for n in range(50)}}),
                204)
        self.assertError(call("POST", tags_path(workflow["arn"]), {"tags": {"one-more": "v"}}),
                         400, "ValidationException", "at most 50")
        self.assertError(call("POST", "/workflow", {"requestId": "r", "definitionZip": ZIP,
                                                    "tags": {"aws:x": "y"}}),
                         400, "ValidationException", "reserved")
        self.assertError(call("POST", tags_path(workflow["arn"]), {"tags": {"": "v"}}),
                         400, "ValidationException")

    def test_every_created_kind_is_taggable(self):
        tags = {"created": "with-tags"}
        workflow = self.workflow(tags=tags)
        self.advance(1)
        arns = {"workflow": workflow["arn"]}
        arns["version"] = self.ok(call("POST", f"/workflow/{workflow['id']}/version", {
            "versionName": "v1", "requestId": "v", "definitionZip": ZIP, "tags": tags}), 201)["arn"]
        run = self.ok(call("POST", "/run", {"workflowId": workflow["id"], "roleArn": ROLE,
                                            "outputUri": "s3://out-bucket/", "requestId": "r",
                                            "tags": tags}), 201)
        arns["run"] = run["arn"]
        arns["group"] = self.ok(call("POST", "/runGroup", {"requestId": "g", "tags": tags}),
                                201)["arn"]
        arns["cache"] = self.ok(call("POST", "/runCache", {
            "requestId": "c", "cacheS3Location": "s3://cache-bucket", "tags": tags}), 201)["arn"]
        arns["configuration"] = self.ok(call("POST", "/configuration", {
            "name": "conf", "requestId": "cf", "runConfigurations": {}, "tags": tags}), 201)["arn"]
        arns["batch"] = self.ok(call("POST", "/runBatch", {
            "requestId": "b", "tags": tags,
            "defaultRunSetting": {"workflowId": workflow["id"], "roleArn": ROLE},
            "batchRunSettings": {"inlineSettings": [{"runSettingId": "one"}]}}), 201)["arn"]
        self.annotation_store(tags=tags)
        store = self.ok(call("GET", "/annotationStore/annotations"))
        arns["annotation store"] = store["storeArn"]
        arns["annotation store version"] = f"{store['storeArn']}/version/default"
        self.ok(call("POST", "/variantStore", {"name": "variants", "reference": REFERENCE,
                                               "tags": tags}))
        arns["variant store"] = self.ok(call("GET", "/variantStore/variants"))["storeArn"]
        arns["reference store"] = self.ok(call("POST", "/referencestore",
                                               {"name": "refs", "tags": tags}))["arn"]
        arns["sequence store"] = self.ok(call("POST", "/sequencestore",
                                              {"name": "seqs", "tags": tags}))["arn"]
        for kind, arn in arns.items():
            with self.subTest(kind=kind):
                self.assertTrue(arn.startswith(f"arn:aws:omics:{REGION}:{ACCOUNT}:"), arn)
                self.assertEqual(self.tags(arn), tags)
                self.ok(call("POST", tags_path(arn), {"tags": {"added": kind}}), 204)
                self.assertEqual(self.tags(arn), {**tags, "added": kind})
                self.ok(call("DELETE", tags_path(arn), query={"tagKeys": "created"}), 204)
                self.assertEqual(self.tags(arn), {"added": kind})

    def test_tags_go_with_their_resource(self):
        workflow = self.workflow()
        self.assertEqual(call("DELETE", f"/workflow/{workflow['id']}").status, 202)
        self.assertError(call("GET", tags_path(workflow["arn"])), 404, "ResourceNotFoundException")
        reference_store = self.ok(call("POST", "/referencestore", {"name": "refs",
                                                                   "tags": {"a": "1"}}))
        self.ok(call("POST", tags_path(reference_store["arn"]), {"tags": {"b": "2"}}), 204)
        self.assertEqual(self.tags(reference_store["arn"]), {"a": "1", "b": "2"})
        self.ok(call("DELETE", f"/referencestore/{reference_store['id']}"))
        self.assertError(call("GET", tags_path(reference_store["arn"])),
                         404, "ResourceNotFoundException")
        self.annotation_store()
        self.advance(1)
        self.ok(call("DELETE", "/annotationStore/annotations"))
        arn = f"arn:aws:omics:{REGION}:{ACCOUNT}:annotationStore/annotations"
        self.assertEqual(self.tags(arn), {})        # still DELETING
        self.advance(1)
        self.assertError(call("GET", tags_path(arn)), 404, "ResourceNotFoundException")
        other_region = f"arn:aws:omics:eu-west-1:{ACCOUNT}:referenceStore/{reference_store['id']}"
        self.assertError(call("GET", tags_path(other_region)), 404, "ResourceNotFoundException")

    def test_reset_forgets_tags(self):
        workflow = self.workflow(tags={"a": "b"})
        self.ok(call("POST", tags_path(workflow["arn"]), {"tags": {"c": "d"}}), 204)
        self.setUp()
        self.assertError(call("GET", tags_path(workflow["arn"])), 404, "ResourceNotFoundException")


class ShareTest(TagCase):
    def share(self, resource_arn, subscriber=OTHER_ACCOUNT, name=None):
        document = {"resourceArn": resource_arn, "principalSubscriber": subscriber}
        if name:
            document["shareName"] = name
        return call("POST", "/share", document)

    def test_share_lifecycle(self):
        store = self.annotation_store()
        arn = f"arn:aws:omics:{REGION}:{ACCOUNT}:annotationStore/annotations"
        created = self.ok(self.share(arn, name="to-partner"))
        self.assertEqual((created["status"], created["shareName"]), ("PENDING", "to-partner"))
        share_id = created["shareId"]
        got = self.ok(call("GET", f"/share/{share_id}"))["share"]
        self.assertEqual((got["resourceArn"], got["resourceId"], got["principalSubscriber"],
                          got["ownerId"], got["status"]),
                         (arn, store["id"], OTHER_ACCOUNT, ACCOUNT, "PENDING"))
        self.assertRegex(got["creationTime"], ISO_MS)
        self.assertEqual(self.ok(call("POST", f"/share/{share_id}")), {"status": "ACTIVATING"})
        self.assertError(call("POST", f"/share/{share_id}"), 409, "ConflictException")
        self.advance(1)
        self.assertEqual(self.ok(call("GET", f"/share/{share_id}"))["share"]["status"], "ACTIVE")
        self.assertEqual(self.ok(call("DELETE", f"/share/{share_id}")), {"status": "DELETING"})
        self.assertEqual(self.ok(call("DELETE", f"/share/{share_id}")), {"status": "DELETING"})
        self.advance(1)
        got = self.ok(call("GET", f"/share/{share_id}"))["share"]
        self.assertEqual(got["status"], "DELETED")
        self.assertGreater(got["updateTime"], got["creationTime"])
        # once deleted, the resource can be shared again
        self.ok(self.share(arn))

    def test_share_errors(self):
        workflow = self.workflow()
        self.ok(self.share(workflow["arn"]))
        self.assertError(self.share(workflow["arn"]), 409, "ConflictException")
        self.ok(self.share(workflow["arn"], subscriber="111122223333"))
        self.assertError(self.share(f"arn:aws:omics:{REGION}:{ACCOUNT}:variantStore/none"),
                         404, "ResourceNotFoundException")
        group = self.ok(call("POST", "/runGroup", {"requestId": "g"}), 201)
        self.assertError(self.share(group["arn"]), 400, "ValidationException", "cannot be shared")
        self.assertError(call("POST", "/share", {"resourceArn": workflow["arn"]}),
                         400, "ValidationException", "principalSubscriber")
        self.assertError(self.share(workflow["arn"], name="bad name!"),
                         400, "ValidationException", "shareName")
        self.assertError(call("GET", "/share/nope"), 404, "ResourceNotFoundException")
        self.assertError(call("POST", "/share/nope"), 404, "ResourceNotFoundException")
        self.assertError(call("DELETE", "/share/nope"), 404, "ResourceNotFoundException")

    def test_fail_next_share_fails_on_accept(self):
        self.annotation_store()
        self.fail_next("share", message="subscriber refused")
        share_id = self.ok(self.share(
            f"arn:aws:omics:{REGION}:{ACCOUNT}:annotationStore/annotations"))["shareId"]
        self.ok(call("POST", f"/share/{share_id}"))
        self.advance(1)
        got = self.ok(call("GET", f"/share/{share_id}"))["share"]
        self.assertEqual((got["status"], got["statusMessage"]), ("FAILED", "subscriber refused"))

    def test_list_shares(self):
        workflow = self.workflow()
        self.annotation_store()
        self.ok(call("POST", "/variantStore", {"name": "variants", "reference": REFERENCE}))
        variant_arn = f"arn:aws:omics:{REGION}:{ACCOUNT}:variantStore/variants"
        ids = [self.ok(self.share(workflow["arn"], subscriber=f"1000000000{n:02d}"))["shareId"]
               for n in range(11)]
        ids.append(self.ok(self.share(variant_arn))["shareId"])
        to_self = self.ok(self.share(
            f"arn:aws:omics:{REGION}:{ACCOUNT}:annotationStore/annotations",
            subscriber=ACCOUNT))["shareId"]
        ids.append(to_self)
        items, pages = self.collect("POST", "/shares", "shares", "nextToken", size=5,
                                    document={"resourceOwner": "SELF"})
        self.assertEqual(([s["shareId"] for s in items], pages), (ids, 3))
        default_page = self.ok(call("POST", "/shares", {"resourceOwner": "SELF"}))
        self.assertEqual(len(default_page["shares"]), 10)
        self.assertIn("nextToken", default_page)
        other = self.ok(call("POST", "/shares", {"resourceOwner": "OTHER"}))["shares"]
        self.assertEqual([s["shareId"] for s in other], [to_self])
        by_type = self.ok(call("POST", "/shares", {"resourceOwner": "SELF",
                                                   "filter": {"type": ["VARIANT_STORE"]}}))
        self.assertEqual([s["resourceArn"] for s in by_type["shares"]], [variant_arn])
        by_arn = self.ok(call("POST", "/shares", {"resourceOwner": "SELF",
                                                  "filter": {"resourceArns": [workflow["arn"]]}},
                              query={"maxResults": 50}))
        self.assertEqual(len(by_arn["shares"]), 11)
        self.ok(call("POST", f"/share/{ids[0]}"))
        by_status = self.ok(call("POST", "/shares", {"resourceOwner": "SELF",
                                                     "filter": {"status": ["ACTIVATING"]}}))
        self.assertEqual([s["shareId"] for s in by_status["shares"]], [ids[0]])
        self.assertError(call("POST", "/shares", {}), 400, "ValidationException", "resourceOwner")
        self.assertError(call("POST", "/shares", {"resourceOwner": "EVERYONE"}),
                         400, "ValidationException")
        self.assertError(call("POST", "/shares", {"resourceOwner": "SELF"},
                              query={"nextToken": "xyz"}), 400, "ValidationException")
        self.assertError(call("POST", "/shares", {"resourceOwner": "SELF"},
                              query={"maxResults": 0}), 400, "ValidationException")


if __name__ == "__main__":
    unittest.main()
