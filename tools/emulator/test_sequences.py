"""Tests for the emulator's sequence stores and read sets, against a real server process.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import gzip
import hashlib
import http.client
import json
import os
import struct
import unittest
from urllib.parse import quote

import emulator_testlib as lib
from emulator_testlib import Answer, sign

REGION = "us-west-2"
ACCOUNT = "123456789012"
PART_SIZE = 1024 * 1024
ROLE = "arn:aws:iam::123456789012:role/omics-import"
REFERENCE = "arn:aws:omics:us-west-2:123456789012:referenceStore/1234567890/reference/9876543210"
MONTH = 31 * 24 * 3600

SERVER = lib.SERVER


def setUpModule():
    lib.start_server("--part-size", str(PART_SIZE))


def tearDownModule():
    lib.stop_server()


# --- request helpers ------------------------------------------------------------

def connect():
    return http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=30)


def call(method, path, query="", document=None, body=None, headers=None, conn=None):
    if body is None:
        body = b"" if document is None else json.dumps(document).encode()
    send_headers = sign(method, path, query, body, headers=headers)
    own = conn is None
    conn = conn or connect()
    try:
        conn.request(method, path + ("?" + query if query else ""), body=body, headers=send_headers)
        response = conn.getresponse()
        return Answer(response, response.read())
    finally:
        if own:
            conn.close()


def control(method, name, document=None):
    conn = connect()
    try:
        body = json.dumps(document).encode() if document is not None else None
        conn.request(method, f"/_emulator/{name}", body=body)
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def advance(seconds):
    control("POST", "clock", {"advance": seconds})


def put_s3(uri, data):
    bucket_and_key = uri[len("s3://"):]
    path = os.path.join(SERVER.s3_root, *bucket_and_key.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)


def read_s3(uri):
    with open(os.path.join(SERVER.s3_root, *uri[len("s3://"):].split("/")), "rb") as handle:
        return handle.read()


# --- test files -----------------------------------------------------------------

def fastq(reads, length=100, tag="r"):
    bases = ("ACGTTGCA" * (length // 8 + 1))[:length]
    return "".join(f"@{tag}{i}\n{bases}\n+\n{'I' * length}\n" for i in range(reads)).encode()


def bam(reads, length=50, references=(("chr1", 5000), ("chr2", 4000))):
    text = b"@HD\tVN:1.6\n"
    out = [b"BAM\x01", struct.pack("<i", len(text)), text, struct.pack("<i", len(references))]
    for name, size in references:
        encoded = name.encode() + b"\0"
        out += [struct.pack("<i", len(encoded)), encoded, struct.pack("<i", size)]
    for i in range(reads):
        name = f"read{i}".encode() + b"\0"
        core = struct.pack("<iiBBHHHiiii", 0, i, len(name), 60, 0, 0, 4, length, -1, -1, 0)
        record = core + name + bytes((length + 1) // 2) + b"\xff" * length
        out += [struct.pack("<i", len(record)), record]
    return gzip.compress(b"".join(out), mtime=0)


class SequenceTest(unittest.TestCase):
    def setUp(self):
        control("POST", "reset")

    def assertError(self, answer, status, code, fragment=None):
        self.assertEqual(answer.status, status, answer.body)
        self.assertEqual(answer.error_code, code, answer.body)
        if fragment is not None:
            self.assertIn(fragment, answer.json["message"])

    def ok(self, answer):
        self.assertEqual(answer.status, 200, answer.body)
        return answer.json

    def create_store(self, name="seq-store", **extra):
        return self.ok(call("POST", "/sequencestore", document={"name": name, **extra}))

    def start_import(self, store_id, sources, **extra):
        return self.ok(call("POST", f"/sequencestore/{store_id}/importjob",
                            document={"roleArn": ROLE, "sources": sources, **extra}))

    def import_read_sets(self, store_id, sources):
        """Run an import job to its end; returns the finished job."""
        job = self.start_import(store_id, sources)
        advance(2)
        return self.ok(call("GET", f"/sequencestore/{store_id}/importjob/{job['id']}"))

    def fastq_source(self, key, reads=3, **extra):
        uri = f"s3://reads-bucket/{key}"
        put_s3(uri, fastq(reads))
        return {"sourceFiles": {"source1": uri}, "sourceFileType": "FASTQ",
                "subjectId": "subject-1", "sampleId": "sample-1", "name": key, **extra}

    def collect(self, path, member, page_size=None, document=None):
        """All items of a list operation, following nextToken; also the page count."""
        items, token, pages = [], None, 0
        while True:
            query = [f"maxResults={page_size}"] if page_size else []
            if token:
                query.append("nextToken=" + quote(token, safe=""))
            answer = self.ok(call("POST", path, "&".join(query), document=document or {}))
            items += answer[member]
            pages += 1
            token = answer.get("nextToken")
            if not token:
                return items, pages


class SequenceStoreTest(SequenceTest):
    def test_create_get_update_delete(self):
        created = self.create_store("first", description="reads", clientToken="tok-1",
                                    fallbackLocation="s3://fallback-bucket/prefix/",
                                    eTagAlgorithmFamily="SHA256up",
                                    propagatedSetLevelTags=["project"],
                                    s3AccessConfig={"accessLogLocation": "s3://logs-bucket/seq/"},
                                    tags={"project": "x"})
        store_id = created["id"]
        self.assertRegex(store_id, r"^[0-9]{10}$")
        self.assertEqual(created["arn"], f"arn:aws:omics:{REGION}:{ACCOUNT}:sequenceStore/{store_id}")
        self.assertEqual(created["status"], "ACTIVE")
        self.assertEqual(created["sseConfig"], {"type": "KMS"})
        self.assertEqual(created["eTagAlgorithmFamily"], "SHA256up")
        self.assertEqual(created["propagatedSetLevelTags"], ["project"])
        self.assertEqual(created["s3Access"]["accessLogLocation"], "s3://logs-bucket/seq/")
        self.assertTrue(created["s3Access"]["s3AccessPointArn"].startswith("arn:aws:s3:"))
        self.assertTrue(created["s3Access"]["s3Uri"].startswith("s3://"))
        self.assertNotIn("updateTime", created)
        self.assertEqual(self.create_store("first", clientToken="tok-1")["id"], store_id)

        got = self.ok(call("GET", f"/sequencestore/{store_id}"))
        self.assertEqual((got["name"], got["description"]), ("first", "reads"))
        self.assertEqual(got["fallbackLocation"], "s3://fallback-bucket/prefix/")
        self.assertIn("updateTime", got)

        updated = self.ok(call("PATCH", f"/sequencestore/{store_id}",
                               document={"name": "renamed", "description": "new"}))
        self.assertEqual((updated["name"], updated["description"]), ("renamed", "new"))
        self.assertEqual(updated["eTagAlgorithmFamily"], "SHA256up")
        self.assertEqual(self.ok(call("GET", f"/sequencestore/{store_id}"))["name"], "renamed")

        deleted = call("DELETE", f"/sequencestore/{store_id}")
        self.assertEqual((deleted.status, deleted.json), (200, {}))
        self.assertError(call("GET", f"/sequencestore/{store_id}"), 404, "ResourceNotFoundException")
        self.assertError(call("PATCH", f"/sequencestore/{store_id}", document={"name": "x"}),
                         404, "ResourceNotFoundException")
        self.assertError(call("DELETE", f"/sequencestore/{store_id}"), 404,
                         "ResourceNotFoundException")

    def test_list_pages_and_filters(self):
        for i in range(23):
            self.create_store(f"store-{i:02d}")
        default = self.ok(call("POST", "/sequencestores", document={}))
        self.assertEqual(len(default["sequenceStores"]), 10)
        self.assertIn("nextToken", default)
        detail = default["sequenceStores"][0]
        self.assertNotIn("s3Access", detail)
        self.assertEqual(set(detail) - {"description", "fallbackLocation", "statusMessage"},
                         {"arn", "id", "name", "sseConfig", "creationTime", "eTagAlgorithmFamily",
                          "status", "updateTime"})
        stores, pages = self.collect("/sequencestores", "sequenceStores", page_size=4)
        self.assertEqual([s["name"] for s in stores], [f"store-{i:02d}" for i in range(23)])
        self.assertEqual(pages, 6)
        stores, pages = self.collect("/sequencestores", "sequenceStores")
        self.assertEqual((len(stores), pages), (23, 3))
        named = self.ok(call("POST", "/sequencestores", document={"filter": {"name": "store-07"}}))
        self.assertEqual([s["name"] for s in named["sequenceStores"]], ["store-07"])
        later = self.ok(call("POST", "/sequencestores",
                             document={"filter": {"createdAfter": "2100-01-01T00:00:00Z"}}))
        self.assertEqual(later, {"sequenceStores": []})
        self.assertError(call("POST", "/sequencestores", "nextToken=bogus"), 400,
                         "ValidationException")
        self.assertError(call("POST", "/sequencestores", "maxResults=101"), 400,
                         "ValidationException", "less than or equal to 100")
        self.assertError(call("POST", "/sequencestores", document={"filter": {"status": "GONE"}}),
                         400, "ValidationException", "filter.status")

    def test_validation(self):
        self.assertError(call("POST", "/sequencestore", document={}), 400, "ValidationException",
                         "Value null at 'name' failed to satisfy constraint: Member must not be null")
        answer = call("POST", "/sequencestore", document={
            "name": "x" * 128, "eTagAlgorithmFamily": "CRC32", "fallbackLocation": "http://x"})
        self.assertError(answer, 400, "ValidationException", "3 validation errors detected")
        for member in ("'name'", "'eTagAlgorithmFamily'", "'fallbackLocation'"):
            self.assertIn(member, answer.json["message"])
        self.assertError(call("GET", "/sequencestore/123"), 400, "ValidationException", "at 'id'")
        self.assertError(call("POST", "/sequencestore", document={"name": 5}), 400,
                         "SerializationException")

    def test_delete_store_with_read_sets_conflicts(self):
        store_id = self.create_store()["id"]
        job = self.import_read_sets(store_id, [self.fastq_source("a.fastq")])
        self.assertError(call("DELETE", f"/sequencestore/{store_id}"), 409, "ConflictException")
        read_set_id = job["sources"][0]["readSetId"]
        self.assertEqual(self.ok(call("POST", f"/sequencestore/{store_id}/readset/batch/delete",
                                      document={"ids": [read_set_id]})), {})
        self.assertEqual(call("DELETE", f"/sequencestore/{store_id}").status, 200)


class S3AccessPolicyTest(SequenceTest):
    def test_put_get_delete(self):
        store = self.create_store()
        access_point = store["s3Access"]["s3AccessPointArn"]
        path = "/s3accesspolicy/" + quote(access_point, safe="")
        self.assertError(call("GET", path), 404, "ResourceNotFoundException")
        policy = json.dumps({"Version": "2012-10-17", "Statement": []})
        put = self.ok(call("PUT", path, document={"s3AccessPolicy": policy}))
        self.assertEqual(put, {"s3AccessPointArn": access_point, "storeId": store["id"],
                               "storeType": "SEQUENCE_STORE"})
        got = self.ok(call("GET", path))
        self.assertEqual(got["s3AccessPolicy"], policy)
        self.assertEqual(got["storeId"], store["id"])
        self.assertIn("updateTime", got)
        self.assertEqual(self.ok(call("DELETE", path)), {})
        self.assertError(call("GET", path), 404, "ResourceNotFoundException")
        self.assertError(call("DELETE", path), 404, "ResourceNotFoundException")

    def test_errors(self):
        store = self.create_store()
        path = "/s3accesspolicy/" + quote(store["s3Access"]["s3AccessPointArn"], safe="")
        self.assertError(call("PUT", path, document={"s3AccessPolicy": "{not json"}), 400,
                         "ValidationException")
        self.assertError(call("PUT", path, document={}), 400, "ValidationException",
                         "at 's3AccessPolicy'")
        other = "/s3accesspolicy/" + quote(f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/none", safe="")
        self.assertError(call("PUT", other, document={"s3AccessPolicy": "{}"}), 404,
                         "ResourceNotFoundException")
        self.assertError(call("GET", "/s3accesspolicy/not-an-arn"), 400, "ValidationException",
                         "at 's3AccessPointArn'")


class ImportJobTest(SequenceTest):
    def test_import_progresses_with_the_clock(self):
        store_id = self.create_store()["id"]
        r1, r2 = fastq(5, 80, "left"), fastq(5, 80, "right")
        put_s3("s3://reads-bucket/pair_1.fastq.gz", gzip.compress(r1))
        put_s3("s3://reads-bucket/pair_2.fastq.gz", gzip.compress(r2))
        put_s3("s3://reads-bucket/sample.bam", bam(7))
        job = self.start_import(store_id, [
            {"sourceFiles": {"source1": "s3://reads-bucket/pair_1.fastq.gz",
                             "source2": "s3://reads-bucket/pair_2.fastq.gz"},
             "sourceFileType": "FASTQ", "subjectId": "subj", "sampleId": "samp",
             "generatedFrom": "sequencer", "name": "paired", "description": "pair",
             "tags": {"k": "v"}},
            {"sourceFiles": {"source1": "s3://reads-bucket/sample.bam"}, "sourceFileType": "BAM",
             "subjectId": "subj", "sampleId": "samp", "referenceArn": REFERENCE, "name": "aligned"},
        ], clientToken="import-1")
        self.assertEqual(set(job), {"id", "sequenceStoreId", "roleArn", "status", "creationTime"})
        self.assertEqual(job["status"], "SUBMITTED")
        path = f"/sequencestore/{store_id}/importjob/{job['id']}"

        first = self.ok(call("GET", path))
        self.assertEqual(first["status"], "SUBMITTED")
        self.assertEqual([s["status"] for s in first["sources"]], ["NOT_STARTED"] * 2)
        self.assertNotIn("completionTime", first)
        advance(1)
        second = self.ok(call("GET", path))
        self.assertEqual(second["status"], "IN_PROGRESS")
        self.assertEqual([s["status"] for s in second["sources"]], ["IN_PROGRESS"] * 2)
        advance(1)
        done = self.ok(call("GET", path))
        self.assertEqual(done["status"], "COMPLETED")
        self.assertIn("completionTime", done)
        paired, aligned = done["sources"]
        self.assertEqual(paired["status"], "FINISHED")
        self.assertEqual(paired["sourceFiles"]["source2"], "s3://reads-bucket/pair_2.fastq.gz")
        self.assertEqual(paired["tags"], {"k": "v"})
        again = self.start_import(store_id, [self.fastq_source("again.fastq")],
                                  clientToken="import-1")
        self.assertEqual(again["id"], job["id"])

        listed = self.ok(call("POST", f"/sequencestore/{store_id}/importjobs",
                              document={"filter": {"status": "COMPLETED"}}))
        self.assertEqual([j["id"] for j in listed["importJobs"]], [job["id"]])
        self.assertIn("completionTime", listed["importJobs"][0])

        base = f"/sequencestore/{store_id}/readset/{paired['readSetId']}"
        meta = self.ok(call("GET", base + "/metadata"))
        self.assertEqual(meta["status"], "ACTIVE")
        self.assertEqual(meta["arn"], f"arn:aws:omics:{REGION}:{ACCOUNT}:sequenceStore/{store_id}"
                                      f"/readSet/{paired['readSetId']}")
        self.assertEqual((meta["creationType"], meta["creationJobId"]), ("IMPORT", job["id"]))
        self.assertEqual(meta["fileType"], "FASTQ")
        self.assertEqual(meta["sequenceInformation"],
                         {"totalReadCount": 10, "totalBaseCount": 800, "generatedFrom": "sequencer",
                          "alignment": "UNALIGNED"})
        self.assertEqual(sorted(meta["files"]), ["source1", "source2"])
        self.assertEqual(meta["files"]["source1"]["contentLength"], len(gzip.compress(r1)))
        self.assertEqual(meta["files"]["source1"]["partSize"], PART_SIZE)
        self.assertEqual(meta["etag"]["algorithm"], "FASTQ_MD5up")
        self.assertEqual(meta["etag"]["source1"], hashlib.md5(gzip.compress(r1)).hexdigest())
        second_file = call("GET", base, "partNumber=1&file=SOURCE2")
        self.assertEqual(second_file.headers["Content-Type"], "application/octet-stream")
        self.assertEqual(gzip.decompress(second_file.body), r2)
        self.assertError(call("GET", base, "partNumber=1&file=INDEX"), 404,
                         "ResourceNotFoundException")

        bam_base = f"/sequencestore/{store_id}/readset/{aligned['readSetId']}"
        bam_meta = self.ok(call("GET", bam_base + "/metadata"))
        self.assertEqual(bam_meta["sequenceInformation"]["totalReadCount"], 7)
        self.assertEqual(bam_meta["sequenceInformation"]["totalBaseCount"], 350)
        self.assertEqual(bam_meta["referenceArn"], REFERENCE)
        self.assertEqual(sorted(bam_meta["files"]), ["index", "source1"])
        index = call("GET", bam_base, "partNumber=1&file=INDEX").body
        self.assertEqual(index[:8], b"BAI\x01" + struct.pack("<i", 2))
        self.assertEqual(call("GET", bam_base, "partNumber=1").body, bam(7))

    def test_cram_and_ubam_with_sha512_etags(self):
        store_id = self.create_store(eTagAlgorithmFamily="SHA512up")["id"]
        cram = b"CRAM\x03\x00" + bytes(range(256)) * 8
        put_s3("s3://reads-bucket/a.cram", cram)
        put_s3("s3://reads-bucket/u.bam", bam(5, 20))
        job = self.import_read_sets(store_id, [
            {"sourceFiles": {"source1": "s3://reads-bucket/a.cram"}, "sourceFileType": "CRAM",
             "subjectId": "s", "sampleId": "s", "referenceArn": REFERENCE},
            {"sourceFiles": {"source1": "s3://reads-bucket/u.bam"}, "sourceFileType": "UBAM",
             "subjectId": "s", "sampleId": "s"}])
        self.assertEqual(job["status"], "COMPLETED", job)
        cram_id, ubam_id = (s["readSetId"] for s in job["sources"])
        cram_meta = self.ok(call("GET", f"/sequencestore/{store_id}/readset/{cram_id}/metadata"))
        self.assertEqual(cram_meta["etag"], {"algorithm": "CRAM_SHA512up",
                                             "source1": hashlib.sha512(cram).hexdigest()})
        self.assertEqual(cram_meta["sequenceInformation"], {"alignment": "ALIGNED"})
        self.assertEqual(sorted(cram_meta["files"]), ["index", "source1"])
        index = call("GET", f"/sequencestore/{store_id}/readset/{cram_id}", "partNumber=1&file=INDEX")
        self.assertEqual(gzip.decompress(index.body), b"")
        ubam_meta = self.ok(call("GET", f"/sequencestore/{store_id}/readset/{ubam_id}/metadata"))
        self.assertEqual(ubam_meta["etag"]["algorithm"], "BAM_SHA512up")
        self.assertEqual(ubam_meta["sequenceInformation"],
                         {"totalReadCount": 5, "totalBaseCount": 100, "alignment": "UNALIGNED"})
        self.assertEqual(sorted(ubam_meta["files"]), ["source1"])

    def test_failed_sources(self):
        store_id = self.create_store()["id"]
        put_s3("s3://reads-bucket/not-fastq.txt", b"hello\n")
        put_s3("s3://reads-bucket/ok.bam", bam(2))
        good = self.fastq_source("good.fastq")
        job = self.import_read_sets(store_id, [
            good,
            {**good, "sourceFiles": {"source1": "s3://reads-bucket/absent.fastq"}},
            {**good, "sourceFiles": {"source1": "s3://reads-bucket/not-fastq.txt"}},
            {**good, "sourceFiles": {"source1": "s3://reads-bucket/ok.bam"}, "sourceFileType": "BAM"},
        ])
        self.assertEqual(job["status"], "COMPLETED_WITH_FAILURES")
        self.assertIn("3 of 4", job["statusMessage"])
        statuses = [s["status"] for s in job["sources"]]
        self.assertEqual(statuses, ["FINISHED", "FAILED", "FAILED", "FAILED"])
        self.assertIn("absent.fastq", job["sources"][1]["statusMessage"])
        self.assertIn("FASTQ", job["sources"][2]["statusMessage"])
        self.assertIn("referenceArn", job["sources"][3]["statusMessage"])
        self.assertNotIn("readSetId", job["sources"][1])

        all_failed = self.import_read_sets(store_id, [
            {**good, "sourceFiles": {"source1": "s3://reads-bucket/absent.fastq"}}])
        self.assertEqual(all_failed["status"], "FAILED")

    def test_validation_and_not_found(self):
        store_id = self.create_store()["id"]
        answer = call("POST", f"/sequencestore/{store_id}/importjob", document={
            "roleArn": ROLE, "sources": [{"sourceFiles": {"source1": "not-s3"},
                                          "sourceFileType": "SAM", "sampleId": "s"}]})
        self.assertError(answer, 400, "ValidationException", "3 validation errors detected")
        message = answer.json["message"]
        for member in ("sources.1.member.sourceFiles.source1", "sources.1.member.sourceFileType",
                       "sources.1.member.subjectId"):
            self.assertIn(member, message)
        self.assertError(call("POST", f"/sequencestore/{store_id}/importjob",
                              document={"roleArn": ROLE, "sources": []}),
                         400, "ValidationException", "at 'sources'")
        self.assertError(call("POST", "/sequencestore/9999999999/importjob", document={
            "roleArn": ROLE, "sources": [self.fastq_source("x.fastq")]}), 404,
            "ResourceNotFoundException")
        self.assertError(call("GET", f"/sequencestore/{store_id}/importjob/1111111111"), 404,
                         "ResourceNotFoundException")


class ReadSetTest(SequenceTest):
    def test_list_pages_filters_and_batch_delete(self):
        store_id = self.create_store()["id"]
        sources = [self.fastq_source(f"s{i:02d}.fastq", sampleId="even" if i % 2 == 0 else "odd")
                   for i in range(25)]
        job = self.import_read_sets(store_id, sources)
        self.assertEqual(job["status"], "COMPLETED")
        path = f"/sequencestore/{store_id}/readsets"
        first = self.ok(call("POST", path, document={}))
        self.assertEqual(len(first["readSets"]), 10)
        item = first["readSets"][0]
        self.assertEqual(item["name"], "s00.fastq")
        self.assertNotIn("files", item)
        self.assertEqual(item["creationType"], "IMPORT")
        read_sets, pages = self.collect(path, "readSets")
        self.assertEqual((len(read_sets), pages), (25, 3))
        self.assertEqual([r["name"] for r in read_sets], [f"s{i:02d}.fastq" for i in range(25)])
        read_sets, pages = self.collect(path, "readSets", page_size=7,
                                        document={"filter": {"sampleId": "odd"}})
        self.assertEqual((len(read_sets), pages), (12, 2))
        none = self.ok(call("POST", path, document={"filter": {"creationType": "UPLOAD"}}))
        self.assertEqual(none, {"readSets": []})
        self.assertEqual(len(self.ok(call("POST", path, document={
            "filter": {"referenceArn": ""}}))["readSets"]), 10)
        self.assertError(call("POST", path, "nextToken=" + quote("not a token")), 400,
                         "ValidationException")
        self.assertError(call("POST", path, "maxResults=0"), 400, "ValidationException",
                         "at 'maxResults'")

        ids = [r["id"] for r in read_sets[:3]]
        deleted = self.ok(call("POST", f"/sequencestore/{store_id}/readset/batch/delete",
                               document={"ids": ids + ["5555555555"]}))
        self.assertEqual(deleted["errors"], [{"id": "5555555555", "code": "ResourceNotFoundException",
                                              "message": deleted["errors"][0]["message"]}])
        self.assertError(call("GET", f"/sequencestore/{store_id}/readset/{ids[0]}/metadata"), 404,
                         "ResourceNotFoundException")
        self.assertEqual(len(self.collect(path, "readSets")[0]), 22)
        self.assertError(call("POST", f"/sequencestore/{store_id}/readset/batch/delete",
                              document={"ids": []}), 400, "ValidationException", "at 'ids'")
        self.assertError(call("POST", "/sequencestore/9999999999/readset/batch/delete",
                              document={"ids": ids}), 404, "ResourceNotFoundException")

    def test_get_read_set_errors(self):
        store_id = self.create_store()["id"]
        job = self.import_read_sets(store_id, [self.fastq_source("one.fastq")])
        base = f"/sequencestore/{store_id}/readset/{job['sources'][0]['readSetId']}"
        self.assertError(call("GET", base), 400, "ValidationException", "at 'partNumber'")
        self.assertError(call("GET", base, "partNumber=2"), 416, "RangeNotSatisfiableException")
        self.assertError(call("GET", base, "partNumber=1&file=OTHER"), 400, "ValidationException",
                         "at 'file'")
        self.assertError(call("GET", base, "partNumber=1&file=SOURCE2"), 404,
                         "ResourceNotFoundException")
        self.assertError(call("GET", f"/sequencestore/{store_id}/readset/4444444444",
                              "partNumber=1"), 404, "ResourceNotFoundException")
        self.assertEqual(call("GET", base, "partNumber=1").body, fastq(3))


class MultipartUploadTest(SequenceTest):
    def create_upload(self, store_id, **extra):
        document = {"sourceFileType": "FASTQ", "subjectId": "subj", "sampleId": "samp",
                    "name": "uploaded", **extra}
        return self.ok(call("POST", f"/sequencestore/{store_id}/upload", document=document))

    def upload_part(self, store_id, upload_id, source, number, data, conn=None):
        return call("PUT", f"/sequencestore/{store_id}/upload/{upload_id}/part",
                    f"partSource={source}&partNumber={number}", body=data,
                    headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"}, conn=conn)

    def test_multi_megabyte_upload_and_download_by_parts(self):
        store_id = self.create_store()["id"]
        upload = self.create_upload(store_id, generatedFrom="lab", description="big",
                                    tags={"size": "large"}, clientToken="up-1")
        self.assertEqual(upload["sequenceStoreId"], store_id)
        self.assertEqual(upload["sourceFileType"], "FASTQ")
        self.assertEqual(upload["tags"], {"size": "large"})
        self.assertEqual(self.create_upload(store_id, clientToken="up-1")["uploadId"],
                         upload["uploadId"])
        upload_id = upload["uploadId"]

        data = fastq(25000)                      # about 5.3 MB
        self.assertGreater(len(data), 5 * 1024 * 1024)
        chunk = 2 * 1024 * 1024
        pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        conn = connect()
        checksums = []
        for number, piece in enumerate(pieces, start=1):
            answer = self.upload_part(store_id, upload_id, "SOURCE1", number, piece, conn=conn)
            self.assertEqual(answer.status, 200, answer.body)
            checksums.append(answer.json["checksum"])
        conn.close()
        self.assertEqual(checksums, [hashlib.sha256(p).hexdigest() for p in pieces])
        logged = control("GET", "requests?limit=1")["requests"][0]
        self.assertEqual(logged["operation"], "UploadReadSetPart")
        self.assertTrue(logged["body_truncated"])
        self.assertLess(len(logged["body"]), len(pieces[-1]))

        parts = self.ok(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/parts",
                             document={"partSource": "SOURCE1"}))["parts"]
        self.assertEqual([p["partNumber"] for p in parts], [1, 2, 3])
        self.assertEqual([p["partSize"] for p in parts], [len(p) for p in pieces])
        self.assertEqual([p["checksum"] for p in parts], checksums)
        self.assertEqual(parts[0]["partSource"], "SOURCE1")
        self.assertIn("lastUpdatedTime", parts[0])
        uploads = self.ok(call("POST", f"/sequencestore/{store_id}/uploads"))["uploads"]
        self.assertEqual([u["uploadId"] for u in uploads], [upload_id])

        listed = [{"partNumber": n, "partSource": "SOURCE1", "checksum": c}
                  for n, c in enumerate(checksums, start=1)]
        wrong = [dict(listed[0], checksum="0" * 64)] + listed[1:]
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                              document={"parts": wrong}), 400, "ValidationException", "checksum")
        missing = listed + [{"partNumber": 9, "partSource": "SOURCE1", "checksum": "abc"}]
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                              document={"parts": missing}), 400, "ValidationException",
                         "not uploaded")
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                              document={"parts": listed + listed[:1]}), 400,
                         "ValidationException", "more than once")

        done = self.ok(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                            document={"parts": list(reversed(listed))}))
        read_set_id = done["readSetId"]
        self.assertEqual(self.ok(call("POST", f"/sequencestore/{store_id}/uploads")),
                         {"uploads": []})
        base = f"/sequencestore/{store_id}/readset/{read_set_id}"
        processing = self.ok(call("GET", base + "/metadata"))
        self.assertEqual(processing["status"], "PROCESSING_UPLOAD")
        self.assertEqual(processing["creationType"], "UPLOAD")
        self.assertError(call("GET", base, "partNumber=1"), 409, "ConflictException")

        advance(1)
        meta = self.ok(call("GET", base + "/metadata"))
        self.assertEqual(meta["status"], "ACTIVE")
        self.assertEqual(meta["sequenceInformation"]["totalReadCount"], 25000)
        self.assertEqual(meta["sequenceInformation"]["generatedFrom"], "lab")
        source = meta["files"]["source1"]
        self.assertEqual(source["contentLength"], len(data))
        self.assertEqual(source["totalParts"], -(-len(data) // PART_SIZE))
        self.assertEqual(meta["etag"]["source1"], hashlib.md5(data).hexdigest())

        conn = connect()
        downloaded = []
        for number in range(1, source["totalParts"] + 1):
            answer = call("GET", base, f"partNumber={number}&file=SOURCE1", conn=conn)
            self.assertEqual(answer.status, 200)
            self.assertLessEqual(len(answer.body), PART_SIZE)
            downloaded.append(answer.body)
        conn.close()
        self.assertEqual(b"".join(downloaded), data)

    def test_paired_upload_and_part_paging(self):
        store_id = self.create_store()["id"]
        upload_id = self.create_upload(store_id)["uploadId"]
        reads = fastq(40, 50)
        records = reads.split(b"\n@")
        halves = (b"\n@".join(records[:20]) + b"\n", b"@" + b"\n@".join(records[20:]))
        listed = []
        for source in ("SOURCE1", "SOURCE2"):
            for number, piece in enumerate(halves, start=1):
                answer = self.upload_part(store_id, upload_id, source, number, piece)
                listed.append({"partNumber": number, "partSource": source,
                               "checksum": answer.json["checksum"]})
        for number in range(3, 13):   # more parts, never completed: paging only
            self.upload_part(store_id, upload_id, "SOURCE2", number, b"@extra\nA\n+\nI\n")
        path = f"/sequencestore/{store_id}/upload/{upload_id}/parts"
        parts, pages = self.collect(path, "parts", page_size=5, document={"partSource": "SOURCE2"})
        self.assertEqual([p["partNumber"] for p in parts], list(range(1, 13)))
        self.assertEqual(pages, 3)
        self.assertError(call("POST", path, document={}), 400, "ValidationException",
                         "at 'partSource'")
        replaced = self.upload_part(store_id, upload_id, "SOURCE1", 1, halves[0])
        self.assertEqual(replaced.json["checksum"], listed[0]["checksum"])

        read_set_id = self.ok(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                                   document={"parts": listed}))["readSetId"]
        advance(1)
        meta = self.ok(call("GET", f"/sequencestore/{store_id}/readset/{read_set_id}/metadata"))
        self.assertEqual(meta["status"], "ACTIVE")
        self.assertEqual(sorted(meta["files"]), ["source1", "source2"])
        self.assertEqual(meta["sequenceInformation"]["totalReadCount"], 80)
        self.assertIn("source2", meta["etag"])

    def test_upload_errors_abort_and_failed_upload(self):
        store_id = self.create_store()["id"]
        bam_upload = self.create_upload(store_id, sourceFileType="BAM", referenceArn=REFERENCE)
        self.assertEqual(bam_upload["referenceArn"], REFERENCE)
        self.assertError(self.upload_part(store_id, bam_upload["uploadId"], "SOURCE2", 1, b"x"),
                         400, "ValidationException", "SOURCE2")
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload", document={
            "sourceFileType": "CRAM", "subjectId": "s", "sampleId": "s", "name": "n"}),
            400, "ValidationException", "referenceArn")
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload", document={
            "sourceFileType": "FASTQ"}), 400, "ValidationException", "3 validation errors")

        upload_id = self.create_upload(store_id)["uploadId"]
        self.assertError(self.upload_part(store_id, upload_id, "SOURCE1", 1, b""), 400,
                         "ValidationException", "at 'payload'")
        self.assertError(self.upload_part(store_id, upload_id, "SOURCE3", 1, b"x"), 400,
                         "ValidationException", "at 'partSource'")
        self.assertError(self.upload_part(store_id, upload_id, "SOURCE1", 10001, b"x"), 400,
                         "ValidationException", "at 'partNumber'")
        self.assertError(self.upload_part(store_id, "7777777777", "SOURCE1", 1, b"x"), 404,
                         "ResourceNotFoundException")
        signed = call("PUT", f"/sequencestore/{store_id}/upload/{upload_id}/part",
                      "partSource=SOURCE1&partNumber=1", body=b"not fastq at all")
        self.assertEqual(signed.status, 200, signed.body)
        checksum = signed.json["checksum"]
        self.assertEqual(checksum, hashlib.sha256(b"not fastq at all").hexdigest())
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                              document={"parts": []}), 400, "ValidationException", "SOURCE1")

        read_set_id = self.ok(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                                   document={"parts": [{"partNumber": 1, "partSource": "SOURCE1",
                                                        "checksum": checksum}]}))["readSetId"]
        advance(1)
        meta = self.ok(call("GET", f"/sequencestore/{store_id}/readset/{read_set_id}/metadata"))
        self.assertEqual(meta["status"], "UPLOAD_FAILED")
        self.assertIn("FASTQ", meta["statusMessage"])
        self.assertError(call("POST", f"/sequencestore/{store_id}/upload/{upload_id}/complete",
                              document={"parts": []}), 404, "ResourceNotFoundException")

        abort_path = f"/sequencestore/{store_id}/upload/{bam_upload['uploadId']}/abort"
        self.assertEqual(self.ok(call("DELETE", abort_path)), {})
        self.assertError(call("DELETE", abort_path), 404, "ResourceNotFoundException")
        self.assertError(call("DELETE", f"/sequencestore/{store_id}"), 409, "ConflictException")

    def test_list_uploads_pages(self):
        store_id = self.create_store()["id"]
        created = [self.create_upload(store_id, name=f"u{i}")["uploadId"] for i in range(13)]
        uploads, pages = self.collect(f"/sequencestore/{store_id}/uploads", "uploads")
        self.assertEqual([u["uploadId"] for u in uploads], created)
        self.assertEqual(pages, 2)
        self.assertError(call("DELETE", f"/sequencestore/{store_id}"), 409, "ConflictException")


class ActivationAndExportTest(SequenceTest):
    def imported(self, count=2):
        store_id = self.create_store()["id"]
        job = self.import_read_sets(store_id, [self.fastq_source(f"f{i}.fastq", reads=4 + i)
                                               for i in range(count)])
        return store_id, [s["readSetId"] for s in job["sources"]]

    def status_of(self, store_id, read_set_id):
        return self.ok(call("GET", f"/sequencestore/{store_id}/readset/{read_set_id}/metadata"))["status"]

    def test_archive_and_activation(self):
        store_id, (first, second) = self.imported()
        advance(MONTH)
        self.assertEqual(self.status_of(store_id, first), "ARCHIVED")
        archived = self.ok(call("POST", f"/sequencestore/{store_id}/readsets",
                                document={"filter": {"status": "ARCHIVED"}}))["readSets"]
        self.assertEqual(len(archived), 2)
        self.assertError(call("GET", f"/sequencestore/{store_id}/readset/{first}", "partNumber=1"),
                         409, "ConflictException", "ARCHIVED")

        job = self.ok(call("POST", f"/sequencestore/{store_id}/activationjob", document={
            "sources": [{"readSetId": first}, {"readSetId": "3333333333"}]}))
        self.assertEqual(set(job), {"id", "sequenceStoreId", "status", "creationTime"})
        path = f"/sequencestore/{store_id}/activationjob/{job['id']}"
        advance(1)
        self.assertEqual(self.ok(call("GET", path))["status"], "IN_PROGRESS")
        self.assertEqual(self.status_of(store_id, first), "ACTIVATING")
        advance(1)
        done = self.ok(call("GET", path))
        self.assertEqual(done["status"], "COMPLETED_WITH_FAILURES")
        self.assertEqual([s["status"] for s in done["sources"]], ["FINISHED", "FAILED"])
        self.assertEqual(done["sources"][0]["readSetId"], first)
        self.assertEqual(self.status_of(store_id, first), "ACTIVE")
        self.assertEqual(self.status_of(store_id, second), "ARCHIVED")
        self.assertEqual(call("GET", f"/sequencestore/{store_id}/readset/{first}",
                              "partNumber=1").body, fastq(4))

        jobs = self.ok(call("POST", f"/sequencestore/{store_id}/activationjobs",
                            document={"filter": {"status": "COMPLETED_WITH_FAILURES"}}))
        self.assertEqual([j["id"] for j in jobs["activationJobs"]], [job["id"]])
        self.assertError(call("POST", f"/sequencestore/{store_id}/activationjob", document={
            "sources": [{"readSetId": first}] * 21}), 400, "ValidationException", "at 'sources'")
        self.assertError(call("GET", f"/sequencestore/{store_id}/activationjob/1212121212"), 404,
                         "ResourceNotFoundException")

    def test_export_writes_files_under_the_s3_root(self):
        store_id, (first, second) = self.imported()
        put_s3("s3://reads-bucket/x.bam", bam(3))
        bam_job = self.import_read_sets(store_id, [{
            "sourceFiles": {"source1": "s3://reads-bucket/x.bam"}, "sourceFileType": "BAM",
            "subjectId": "s", "sampleId": "s", "referenceArn": REFERENCE}])
        aligned = bam_job["sources"][0]["readSetId"]
        job = self.ok(call("POST", f"/sequencestore/{store_id}/exportjob", document={
            "destination": "s3://export-bucket/out/", "roleArn": ROLE,
            "sources": [{"readSetId": first}, {"readSetId": aligned}]}))
        self.assertEqual(job["destination"], "s3://export-bucket/out/")
        self.assertEqual(job["status"], "SUBMITTED")
        path = f"/sequencestore/{store_id}/exportjob/{job['id']}"
        advance(1)
        self.assertEqual(self.ok(call("GET", path))["status"], "IN_PROGRESS")
        advance(1)
        done = self.ok(call("GET", path))
        self.assertEqual(done["status"], "COMPLETED", done)
        self.assertEqual([r["status"] for r in done["readSets"]], ["FINISHED", "FINISHED"])
        self.assertEqual(read_s3(f"s3://export-bucket/out/{first}/source1.fastq"), fastq(4))
        self.assertEqual(read_s3(f"s3://export-bucket/out/{aligned}/source1.bam"), bam(3))
        self.assertTrue(read_s3(f"s3://export-bucket/out/{aligned}/source1.bam.bai")
                        .startswith(b"BAI\x01"))
        exports = self.ok(call("POST", f"/sequencestore/{store_id}/exportjobs"))["exportJobs"]
        self.assertEqual([(e["id"], e["destination"]) for e in exports],
                         [(job["id"], "s3://export-bucket/out/")])

        advance(MONTH)
        archived_export = self.ok(call("POST", f"/sequencestore/{store_id}/exportjob", document={
            "destination": "s3://export-bucket", "roleArn": ROLE,
            "sources": [{"readSetId": second}]}))
        advance(2)
        failed = self.ok(call("GET", f"/sequencestore/{store_id}/exportjob/{archived_export['id']}"))
        self.assertEqual(failed["status"], "FAILED")
        self.assertIn("ARCHIVED", failed["readSets"][0]["statusMessage"])
        self.assertError(call("POST", f"/sequencestore/{store_id}/exportjob", document={
            "destination": "ftp://nowhere", "roleArn": ROLE, "sources": [{"readSetId": first}]}),
            400, "ValidationException", "at 'destination'")

    def test_job_lists_page(self):
        store_id, (first,) = self.imported(1)
        for _ in range(12):
            self.ok(call("POST", f"/sequencestore/{store_id}/activationjob",
                         document={"sources": [{"readSetId": first}]}))
        jobs, pages = self.collect(f"/sequencestore/{store_id}/activationjobs", "activationJobs")
        self.assertEqual((len(jobs), pages), (12, 2))
        advance(2)
        finished = self.ok(call("POST", f"/sequencestore/{store_id}/activationjobs",
                                "maxResults=100", document={"filter": {"status": "COMPLETED"}}))
        self.assertEqual(len(finished["activationJobs"]), 12)


if __name__ == "__main__":
    unittest.main()
