"""Tests for the emulator's annotation stores (and versions), variant stores
and import jobs, against a real server.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator_testlib import (ACCOUNT, REGION, EmulatorCase, call, start_server,  # noqa: E402
                              stop_server)

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
UUID = re.compile(r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}")
REFERENCE = {"referenceArn": f"arn:aws:omics:{REGION}:{ACCOUNT}:referenceStore/1234567890/"
                             "reference/9876543210"}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/omics-analytics"
VCF = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t10\t.\tA\tG\t50\tPASS\t.\n"


def setUpModule():
    start_server()


def tearDownModule():
    stop_server()


class AnalyticsCase(EmulatorCase):
    def create_annotation_store(self, name="annotations", **extra):
        document = {"name": name, "storeFormat": "VCF", "reference": REFERENCE, **extra}
        return call("POST", "/annotationStore", document)

    def create_variant_store(self, name="variants", **extra):
        return call("POST", "/variantStore", {"name": name, "reference": REFERENCE, **extra})

    def active_store(self, kind="annotation", name=None):
        if kind == "annotation":
            store = self.ok(self.create_annotation_store(name or "annotations"))
        else:
            store = self.ok(self.create_variant_store(name or "variants"))
        self.advance(1)
        return store

    def start_import(self, kind, store, sources, **extra):
        document = {"destinationName": store, "roleArn": ROLE,
                    "items": [{"source": s} for s in sources], **extra}
        return call("POST", f"/import/{kind}", document)


class AnnotationStoreTest(AnalyticsCase):
    def test_create_get_update_delete(self):
        created = self.ok(self.create_annotation_store(description="mine", tags={"t": "1"}))
        self.assertRegex(created["id"], UUID)
        self.assertEqual((created["status"], created["name"], created["storeFormat"],
                          created["versionName"]), ("CREATING", "annotations", "VCF", "default"))
        self.assertRegex(created["creationTime"], ISO_MS)
        got = self.ok(call("GET", "/annotationStore/annotations"))
        self.assertEqual(got["status"], "CREATING")
        self.advance(1)
        got = self.ok(call("GET", "/annotationStore/annotations"))
        self.assertEqual((got["status"], got["description"], got["tags"], got["numVersions"]),
                         ("ACTIVE", "mine", {"t": "1"}, 1))
        self.assertEqual(got["storeArn"],
                         f"arn:aws:omics:{REGION}:{ACCOUNT}:annotationStore/annotations")
        self.assertEqual((got["reference"], got["sseConfig"], got["storeSizeBytes"]),
                         (REFERENCE, {"type": "KMS"}, 0))
        updated = self.ok(call("POST", "/annotationStore/annotations", {"description": "new"}))
        self.assertEqual((updated["description"], updated["status"]), ("new", "ACTIVE"))
        self.assertNotIn("tags", updated)
        deleted = self.ok(call("DELETE", "/annotationStore/annotations"))
        self.assertEqual(deleted, {"status": "DELETING"})
        self.assertEqual(self.ok(call("GET", "/annotationStore/annotations"))["status"], "DELETING")
        self.assertEqual(self.ok(call("DELETE", "/annotationStore/annotations")),
                         {"status": "DELETING"})
        self.advance(1)
        self.assertError(call("GET", "/annotationStore/annotations"),
                         404, "ResourceNotFoundException")
        self.assertError(call("DELETE", "/annotationStore/annotations"),
                         404, "ResourceNotFoundException")

    def test_tsv_store_options_and_validation(self):
        options = {"tsvStoreOptions": {"annotationType": "CHR_POS",
                                       "formatToHeader": {"CHR": "chrom", "POS": "pos"},
                                       "schema": [{"score": "FLOAT"}]}}
        created = self.ok(call("POST", "/annotationStore", {"name": "tsv_store", "storeFormat": "TSV",
                                                            "storeOptions": options}))
        self.assertEqual(created["storeOptions"], options)
        self.assertNotIn("reference", created)
        self.assertError(self.create_annotation_store("tsv_store"), 409, "ConflictException")
        self.assertError(call("POST", "/annotationStore", {"name": "x_y", "storeFormat": "GFF"}),
                         400, "ValidationException", "reference")
        self.assertError(self.create_annotation_store("Bad-Name"), 400, "ValidationException",
                         "'name' failed to satisfy constraint")
        self.assertError(self.create_annotation_store("ok_name", storeFormat="CSV"),
                         400, "ValidationException", "enum value set")
        self.assertError(call("POST", "/annotationStore", {"name": "abc"}),
                         400, "ValidationException", "storeFormat")
        self.assertError(self.create_annotation_store("two_refs", reference={}),
                         400, "ValidationException", "reference")
        self.assertError(call("POST", "/annotationStore", {
            "name": "schema_bad", "storeFormat": "TSV",
            "storeOptions": {"tsvStoreOptions": {"schema": [{"a": "INT", "b": "INT"}]}}}),
            400, "ValidationException", "length less than or equal to 1")

    def test_fail_next_store(self):
        self.fail_next("annotation_store", message="lake formation says no")
        self.ok(self.create_annotation_store("broken"))
        self.advance(1)
        got = self.ok(call("GET", "/annotationStore/broken"))
        self.assertEqual((got["status"], got["statusMessage"]), ("FAILED", "lake formation says no"))

    def test_list_pages_and_filters(self):
        stores = [self.ok(self.create_annotation_store(f"store_{n:02d}")) for n in range(23)]
        items, pages = self.collect("POST", "/annotationStores", "annotationStores", "nextToken")
        self.assertEqual(([i["name"] for i in items], pages), ([s["name"] for s in stores], 3))
        self.assertNotIn("tags", items[0])
        self.assertEqual(items[0]["storeFormat"], "VCF")
        picked = self.ok(call("POST", "/annotationStores",
                              {"ids": [stores[1]["id"], stores[5]["id"]]}))["annotationStores"]
        self.assertEqual([s["name"] for s in picked], ["store_01", "store_05"])
        self.advance(1)
        self.ok(self.create_annotation_store("late"))
        creating = self.ok(call("POST", "/annotationStores",
                                {"filter": {"status": "CREATING"}}))["annotationStores"]
        self.assertEqual([s["name"] for s in creating], ["late"])
        self.assertError(call("POST", "/annotationStores", query={"nextToken": "###"}),
                         400, "ValidationException")
        self.assertError(call("POST", "/annotationStores", {"ids": []}),
                         400, "ValidationException", "ids")


class AnnotationStoreVersionTest(AnalyticsCase):
    def test_version_lifecycle(self):
        store = self.active_store()
        created = self.ok(call("POST", "/annotationStore/annotations/version",
                               {"versionName": "second", "description": "v2", "tags": {"v": "2"}}))
        self.assertEqual((created["status"], created["storeId"], created["name"],
                          created["versionName"]), ("CREATING", store["id"], "annotations", "second"))
        path = "/annotationStore/annotations/version/second"
        self.assertEqual(self.ok(call("GET", path))["status"], "CREATING")
        self.advance(1)
        got = self.ok(call("GET", path))
        self.assertEqual((got["status"], got["description"], got["tags"]), ("ACTIVE", "v2", {"v": "2"}))
        self.assertEqual(got["versionArn"],
                         f"arn:aws:omics:{REGION}:{ACCOUNT}:annotationStore/annotations/version/second")
        updated = self.ok(call("POST", path, {"description": "changed"}))
        self.assertEqual(updated["description"], "changed")
        self.assertEqual(self.ok(call("GET", "/annotationStore/annotations"))["numVersions"], 2)
        answer = self.ok(call("POST", "/annotationStore/annotations/versions/delete",
                              {"versions": ["second", "missing"]}))
        self.assertEqual(len(answer["errors"]), 1)
        self.assertEqual(answer["errors"][0]["versionName"], "missing")
        self.assertEqual(self.ok(call("GET", path))["status"], "DELETING")
        self.advance(1)
        self.assertError(call("GET", path), 404, "ResourceNotFoundException")

    def test_version_conflicts_failures_and_paging(self):
        self.ok(self.create_annotation_store())
        self.assertError(call("POST", "/annotationStore/annotations/version", {"versionName": "abc"}),
                         409, "ConflictException", "CREATING")
        self.advance(1)
        self.assertError(call("POST", "/annotationStore/annotations/version",
                              {"versionName": "default"}), 409, "ConflictException")
        self.assertError(call("POST", "/annotationStore/nothing/version", {"versionName": "abc"}),
                         404, "ResourceNotFoundException")
        self.fail_next("annotation_store_version")
        for n in range(13):
            self.ok(call("POST", "/annotationStore/annotations/version", {"versionName": f"v{n:02d}"}))
        self.advance(1)
        self.assertEqual(self.ok(call("GET", "/annotationStore/annotations/version/v00"))["status"],
                         "FAILED")
        items, pages = self.collect("POST", "/annotationStore/annotations/versions",
                                    "annotationStoreVersions", "nextToken", size=6)
        self.assertEqual((len(items), pages), (14, 3))
        failed = self.ok(call("POST", "/annotationStore/annotations/versions",
                              {"filter": {"status": "FAILED"}}))["annotationStoreVersions"]
        self.assertEqual([v["versionName"] for v in failed], ["v00"])
        self.assertError(call("POST", "/annotationStore/annotations/versions/delete",
                              {"versions": []}), 400, "ValidationException", "versions")


class VariantStoreTest(AnalyticsCase):
    def test_variant_store_lifecycle(self):
        created = self.ok(self.create_variant_store(tags={"kind": "variant"}))
        self.assertEqual((created["status"], created["reference"]), ("CREATING", REFERENCE))
        self.advance(1)
        got = self.ok(call("GET", "/variantStore/variants"))
        self.assertEqual((got["status"], got["tags"], got["storeSizeBytes"]),
                         ("ACTIVE", {"kind": "variant"}, 0))
        self.assertEqual(got["storeArn"], f"arn:aws:omics:{REGION}:{ACCOUNT}:variantStore/variants")
        self.assertNotIn("storeFormat", got)
        self.assertEqual(self.ok(call("POST", "/variantStore/variants",
                                      {"description": "d"}))["description"], "d")
        self.assertError(self.create_variant_store(), 409, "ConflictException")
        self.assertError(call("POST", "/variantStore", {"name": "no_ref"}),
                         400, "ValidationException", "reference")
        self.assertEqual(self.ok(call("DELETE", "/variantStore/variants"))["status"], "DELETING")
        self.advance(1)
        self.assertError(call("GET", "/variantStore/variants"), 404, "ResourceNotFoundException")

    def test_fail_next_and_paging(self):
        self.fail_next("variant_store")
        for n in range(12):
            self.ok(self.create_variant_store(f"var_{n:02d}"))
        self.advance(1)
        items, pages = self.collect("POST", "/variantStores", "variantStores", "nextToken", size=5)
        self.assertEqual((len(items), pages), (12, 3))
        self.assertEqual([i["status"] for i in items[:2]], ["FAILED", "ACTIVE"])
        failed = self.ok(call("POST", "/variantStores", {"filter": {"status": "FAILED"}}))
        self.assertEqual([s["name"] for s in failed["variantStores"]], ["var_00"])


class ImportJobTest(AnalyticsCase):
    def test_annotation_import_moves_on_the_clock(self):
        self.active_store()
        self.put_s3("s3://vcf-bucket/a.vcf", VCF)
        job = self.ok(self.start_import("annotation", "annotations", ["s3://vcf-bucket/a.vcf"],
                                        formatOptions={"vcfOptions": {"ignoreQualField": True}},
                                        runLeftNormalization=True))
        self.assertRegex(job["jobId"], UUID)
        path = f"/import/annotation/{job['jobId']}"
        got = self.ok(call("GET", path))
        self.assertEqual((got["status"], got["items"][0]["jobStatus"], got["versionName"]),
                         ("SUBMITTED", "SUBMITTED", "default"))
        self.assertNotIn("completionTime", got)
        self.advance(1)
        self.assertEqual(self.ok(call("GET", path))["status"], "IN_PROGRESS")
        self.advance(1)
        got = self.ok(call("GET", path))
        self.assertEqual((got["status"], got["items"][0]["jobStatus"]), ("COMPLETED", "COMPLETED"))
        self.assertRegex(got["completionTime"], ISO_MS)
        self.assertEqual((got["runLeftNormalization"], got["formatOptions"]),
                         (True, {"vcfOptions": {"ignoreQualField": True}}))
        store = self.ok(call("GET", "/annotationStore/annotations"))
        self.assertEqual(store["storeSizeBytes"], len(VCF))
        version = self.ok(call("GET", "/annotationStore/annotations/version/default"))
        self.assertEqual(version["versionSizeBytes"], len(VCF))
        # a finished job cannot be cancelled
        self.assertError(call("DELETE", path), 400, "ValidationException")

    def test_variant_import_missing_source_and_partial_failure(self):
        self.active_store("variant")
        self.put_s3("s3://vcf-bucket/ok.vcf", VCF)
        partial = self.ok(self.start_import("variant", "variants",
                                            ["s3://vcf-bucket/ok.vcf", "s3://vcf-bucket/gone.vcf"]))
        missing = self.ok(self.start_import("variant", "variants", ["s3://vcf-bucket/gone.vcf"]))
        self.advance(2)
        got = self.ok(call("GET", f"/import/variant/{partial['jobId']}"))
        self.assertEqual(got["status"], "COMPLETED_WITH_FAILURES")
        self.assertEqual([i["jobStatus"] for i in got["items"]], ["COMPLETED", "FAILED"])
        self.assertIn("gone.vcf", got["items"][1]["statusMessage"])
        got = self.ok(call("GET", f"/import/variant/{missing['jobId']}"))
        self.assertEqual(got["status"], "FAILED")
        self.assertIn("not found", got["statusMessage"])

    def test_fail_next_import(self):
        self.active_store()
        self.put_s3("s3://vcf-bucket/a.vcf", VCF)
        self.fail_next("annotation_import", message="parse error at line 3")
        job = self.ok(self.start_import("annotation", "annotations", ["s3://vcf-bucket/a.vcf"]))
        self.advance(2)
        got = self.ok(call("GET", f"/import/annotation/{job['jobId']}"))
        self.assertEqual((got["status"], got["statusMessage"]), ("FAILED", "parse error at line 3"))

    def test_cancel_and_errors(self):
        self.active_store()
        job = self.ok(self.start_import("annotation", "annotations", ["s3://vcf-bucket/a.vcf"]))
        self.assertEqual(self.ok(call("DELETE", f"/import/annotation/{job['jobId']}")), {})
        got = self.ok(call("GET", f"/import/annotation/{job['jobId']}"))
        self.assertEqual((got["status"], got["items"][0]["jobStatus"]), ("CANCELLED", "CANCELLED"))
        self.advance(5)
        self.assertEqual(self.ok(call("GET", f"/import/annotation/{job['jobId']}"))["status"],
                         "CANCELLED")
        self.assertEqual(call("DELETE", f"/import/annotation/{job['jobId']}").status, 200)
        # the annotation job is not a variant job
        self.assertError(call("GET", f"/import/variant/{job['jobId']}"),
                         404, "ResourceNotFoundException")
        self.assertError(call("GET", "/import/annotation/not-a-uuid"), 400, "ValidationException")
        self.assertError(self.start_import("annotation", "nothing_here", ["s3://vcf-bucket/k"]),
                         404, "ResourceNotFoundException")
        self.assertError(self.start_import("annotation", "annotations", ["s3://vcf-bucket/k"],
                                           versionName="nope"), 404, "ResourceNotFoundException")
        self.assertError(self.start_import("annotation", "annotations", []),
                         400, "ValidationException", "items")
        self.assertError(call("POST", "/import/annotation", {"destinationName": "annotations",
                                                             "roleArn": "not-an-arn",
                                                             "items": [{"source": "s3://vcf-bucket/k"}]}),
                         400, "ValidationException", "roleArn")
        self.ok(self.create_annotation_store("still_creating"))
        self.assertError(self.start_import("annotation", "still_creating", ["s3://vcf-bucket/k"]),
                         400, "ValidationException", "CREATING")

    def test_store_with_running_import_needs_force(self):
        self.active_store()
        job = self.ok(self.start_import("annotation", "annotations", ["s3://vcf-bucket/a.vcf"]))
        self.assertError(call("DELETE", "/annotationStore/annotations"), 409, "ConflictException")
        self.assertError(call("DELETE", "/annotationStore/annotations", query={"force": "yes"}),
                         400, "SerializationException")
        self.assertEqual(self.ok(call("DELETE", "/annotationStore/annotations",
                                      query={"force": True}))["status"], "DELETING")
        self.assertEqual(self.ok(call("GET", f"/import/annotation/{job['jobId']}"))["status"],
                         "CANCELLED")

    def test_list_jobs_pages_and_filters(self):
        self.active_store()
        self.active_store("variant")
        ids = [self.ok(self.start_import("annotation", "annotations", [f"s3://vcf-bucket/{n}.vcf"]))["jobId"]
               for n in range(21)]
        self.ok(self.start_import("variant", "variants", ["s3://vcf-bucket/v.vcf"]))
        items, pages = self.collect("POST", "/import/annotations", "annotationImportJobs",
                                    "nextToken")
        self.assertEqual(([i["id"] for i in items], pages), (ids, 3))
        self.assertEqual(items[0]["destinationName"], "annotations")
        self.assertNotIn("items", items[0])
        self.advance(2)
        failed = self.ok(call("POST", "/import/annotations", {"filter": {"status": "FAILED"}},
                              query={"maxResults": 100}))["annotationImportJobs"]
        self.assertEqual(len(failed), 21)
        by_store = self.ok(call("POST", "/import/variants",
                                {"filter": {"storeName": "variants"}}))["variantImportJobs"]
        self.assertEqual(len(by_store), 1)
        picked = self.ok(call("POST", "/import/annotations",
                              {"ids": [ids[2]]}))["annotationImportJobs"]
        self.assertEqual([j["id"] for j in picked], [ids[2]])
        self.assertError(call("POST", "/import/variants", query={"maxResults": 500}),
                         400, "ValidationException")


if __name__ == "__main__":
    unittest.main()
