"""Tests for the HealthOmics emulator, run against a real server process.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import hashlib
import http.client
import json
import socket
import threading
import time
import unittest
from datetime import datetime, timezone
from urllib.parse import quote

import emulator_testlib as lib
from emulator_testlib import Answer, sign

REGION = "us-west-2"
PART_SIZE = 1000
DEMO_STORE = "1234567890"
DEMO_REFERENCE = "9876543210"
MISMATCH = ("The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. "
            "Consult the service documentation for details.")

SERVER = lib.SERVER


def setUpModule():
    lib.start_server("--seed-demo", "--part-size", str(PART_SIZE))


def tearDownModule():
    lib.stop_server()


def connect(timeout=5):
    return http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=timeout)


def call(method, path, query="", document=None, conn=None, headers=None, signed=True, **sign_args):
    """A signed service request; path is the wire (encoded) path."""
    body = b"" if document is None else json.dumps(document).encode()
    send_headers = sign(method, path, query, body, headers=headers, **sign_args) if signed else dict(headers or {})
    own = conn is None
    conn = conn or connect()
    try:
        conn.request(method, path + ("?" + query if query else ""), body=body, headers=send_headers)
        response = conn.getresponse()
        return Answer(response, response.read())
    finally:
        if own:
            conn.close()


def control(method, name, document=None, query=""):
    conn = connect()
    try:
        body = json.dumps(document).encode() if document is not None else None
        conn.request(method, f"/_emulator/{name}" + ("?" + query if query else ""), body=body)
        response = conn.getresponse()
        return json.loads(response.read())
    finally:
        conn.close()


class EmulatorTest(unittest.TestCase):
    def setUp(self):
        control("POST", "reset")

    def assertError(self, answer, status, code, fragment=None):
        self.assertEqual(answer.status, status, answer.body)
        self.assertEqual(answer.error_code, code)
        self.assertTrue(answer.headers["X-Amzn-ErrorType"].startswith(code + ":http://internal.amazon.com/coral/"))
        if fragment is not None:
            self.assertIn(fragment, answer.json["message"])

    def create_store(self, name="store", **extra):
        answer = call("POST", "/referencestore", document={"name": name, **extra})
        self.assertEqual(answer.status, 200, answer.body)
        return answer.json

    def import_fasta(self, store_id, fasta, key="genome.fa"):
        control("POST", "s3", {"uri": f"s3://test-bucket/{key}", "content": fasta})
        answer = call("POST", f"/referencestore/{store_id}/importjob", document={
            "roleArn": "arn:aws:iam::123456789012:role/omics-import",
            "sources": [{"sourceFile": f"s3://test-bucket/{key}", "name": "my-genome"}]})
        self.assertEqual(answer.status, 200, answer.body)
        return answer.json


class SignatureTest(EmulatorTest):
    def test_correctly_signed_request_is_accepted(self):
        answer = call("GET", f"/referencestore/{DEMO_STORE}/reference/{DEMO_REFERENCE}/metadata")
        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.json["id"], DEMO_REFERENCE)
        self.assertTrue(answer.headers["x-amzn-RequestId"])
        self.assertTrue(answer.headers["Date"])
        self.assertEqual(answer.headers["Content-Type"], "application/json")

    def test_tampered_request_is_rejected(self):
        path = f"/referencestore/{DEMO_STORE}"
        headers = sign("GET", path)
        conn = connect()
        conn.request("GET", f"/referencestore/{DEMO_STORE}0", headers=headers)
        response = conn.getresponse()
        answer = Answer(response, response.read())
        conn.close()
        self.assertError(answer, 403, "InvalidSignatureException")
        self.assertEqual(answer.json["message"], MISMATCH)
        logged = control("GET", "requests", query="limit=1")["requests"][0]
        self.assertIn("expected_canonical_request", logged)
        self.assertEqual(control("GET", "stats")["auth_failures"], 1)

    def test_tampered_body_is_rejected(self):
        body = json.dumps({"name": "one"}).encode()
        headers = sign("POST", "/referencestore", body=body)
        conn = connect()
        conn.request("POST", "/referencestore", body=json.dumps({"name": "two"}), headers=headers)
        response = conn.getresponse()
        self.assertError(Answer(response, response.read()), 403, "InvalidSignatureException")
        conn.close()

    def test_payload_hash_header_and_unsigned_payload(self):
        document = {"name": "hashed"}
        body = json.dumps(document).encode()
        answer = call("POST", "/referencestore", document=document,
                      headers={"X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest()})
        self.assertEqual(answer.status, 200, answer.body)
        unsigned = call("POST", "/referencestore", document=document,
                        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
        self.assertEqual(unsigned.status, 200, unsigned.body)
        lying = call("POST", "/referencestore", document=document,
                     headers={"X-Amz-Content-SHA256": hashlib.sha256(b"other").hexdigest()})
        self.assertError(lying, 403, "InvalidSignatureException", "x-amz-content-sha256")

    def test_path_label_is_double_encoded(self):
        wire_path = "/referencestore/a%20b%25c"   # label value: "a b%c"
        single = call("GET", wire_path, signed_path="/referencestore/a b%c")   # signed as sent
        self.assertError(single, 403, "InvalidSignatureException")
        double = call("GET", wire_path)   # botocore encodes the sent path once more
        self.assertError(double, 400, "ValidationException", "at 'id'")
        logged = control("GET", "requests", query="limit=1")["requests"][0]
        self.assertEqual(logged["raw_path"], wire_path)
        self.assertEqual(logged["path_decoded"], "/referencestore/a b%c")
        self.assertEqual(logged["labels"], {"id": "a b%c"})
        self.assertEqual(logged["operation"], "GetReferenceStore")

    def test_query_is_part_of_the_signature(self):
        answer = call("POST", "/referencestores", query="maxResults=5&nextToken=")
        self.assertError(answer, 400, "ValidationException", "at 'nextToken'")
        headers = sign("POST", "/referencestores", query="maxResults=5")
        answer = call("POST", "/referencestores", query="maxResults=6", signed=False, headers=headers)
        self.assertError(answer, 403, "InvalidSignatureException")

    def test_missing_authorization(self):
        answer = call("GET", f"/referencestore/{DEMO_STORE}", signed=False)
        self.assertError(answer, 403, "MissingAuthenticationTokenException")

    def test_unknown_access_key(self):
        answer = call("GET", f"/referencestore/{DEMO_STORE}", access_key="AKIDUNKNOWN")
        self.assertError(answer, 403, "UnrecognizedClientException",
                         "The security token included in the request is invalid.")

    def test_wrong_secret(self):
        answer = call("GET", f"/referencestore/{DEMO_STORE}", secret="not-the-secret")
        self.assertError(answer, 403, "InvalidSignatureException")

    def test_expired_signature(self):
        old = datetime.fromtimestamp(time.time() - 20 * 60, timezone.utc)
        answer = call("GET", f"/referencestore/{DEMO_STORE}", when=old)
        self.assertError(answer, 403, "InvalidSignatureException", "Signature expired")

    def test_wrong_service_in_scope(self):
        headers = sign("GET", f"/referencestore/{DEMO_STORE}")
        headers["authorization"] = headers["authorization"].replace("/omics/", "/s3/")
        answer = call("GET", f"/referencestore/{DEMO_STORE}", signed=False, headers=headers)
        self.assertError(answer, 403, "InvalidSignatureException", "'omics'")

    def test_session_token_pairs(self):
        control("POST", "credentials", {"access_key_id": "ASIATEMP", "secret_access_key": "tmpsecret",
                                        "session_token": "tok3n"})
        path = f"/referencestore/{DEMO_STORE}"
        ok = call("GET", path, access_key="ASIATEMP", secret="tmpsecret", token="tok3n")
        self.assertEqual(ok.status, 200, ok.body)
        missing = call("GET", path, access_key="ASIATEMP", secret="tmpsecret")
        self.assertError(missing, 403, "UnrecognizedClientException", "security token")
        wrong = call("GET", path, access_key="ASIATEMP", secret="tmpsecret", token="other")
        self.assertError(wrong, 403, "UnrecognizedClientException")

    def test_region_is_taken_from_the_scope(self):
        answer = call("POST", "/referencestore", document={"name": "regional"}, region="eu-central-1")
        self.assertTrue(answer.json["arn"].startswith("arn:aws:omics:eu-central-1:123456789012:referenceStore/"))


class ReferenceStoreTest(EmulatorTest):
    def test_create_get_list_delete_store(self):
        created = self.create_store("first", description="a store", clientToken="t-1")
        self.assertRegex(created["id"], r"^[0-9]{10}$")
        self.assertEqual(created["arn"], f"arn:aws:omics:{REGION}:123456789012:referenceStore/{created['id']}")
        self.assertRegex(created["creationTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        self.assertEqual(created["sseConfig"], {"type": "KMS"})
        self.assertEqual(self.create_store("first", clientToken="t-1")["id"], created["id"])

        got = call("GET", f"/referencestore/{created['id']}").json
        self.assertEqual(got["name"], "first")
        self.assertEqual(got["description"], "a store")

        self.create_store("second")
        self.create_store("third")
        page = call("POST", "/referencestores", query="maxResults=2", document={}).json
        self.assertEqual([s["name"] for s in page["referenceStores"]], ["demo-store", "first"])
        rest = call("POST", "/referencestores", query="maxResults=2&nextToken=" + quote(page["nextToken"], safe=""))
        self.assertEqual([s["name"] for s in rest.json["referenceStores"]], ["second", "third"])
        self.assertNotIn("nextToken", rest.json)
        named = call("POST", "/referencestores", document={"filter": {"name": "second"}}).json
        self.assertEqual([s["name"] for s in named["referenceStores"]], ["second"])
        later = call("POST", "/referencestores",
                     document={"filter": {"createdAfter": "2100-01-01T00:00:00Z"}}).json
        self.assertEqual(later["referenceStores"], [])

        deleted = call("DELETE", f"/referencestore/{created['id']}")
        self.assertEqual((deleted.status, deleted.json), (200, {}))
        self.assertError(call("GET", f"/referencestore/{created['id']}"), 404, "ResourceNotFoundException")

    def test_unicode_names_travel_as_utf8(self):
        created = call("POST", "/referencestore", document={"name": "g\u00e9nome \u2713"})
        self.assertIn("g\u00e9nome \u2713".encode("utf-8"), created.body)
        self.assertEqual(created.json["name"], "g\u00e9nome \u2713")

    def test_validation_errors_name_the_field(self):
        self.assertError(call("POST", "/referencestore", document={}), 400, "ValidationException",
                         "Value null at 'name' failed to satisfy constraint: Member must not be null")
        self.assertError(call("POST", "/referencestore", document={"name": "x" * 128}), 400,
                         "ValidationException", "at 'name'")
        self.assertError(call("POST", "/referencestores", query="maxResults=0"), 400,
                         "ValidationException", "at 'maxResults'")
        self.assertError(call("POST", "/referencestores", query="maxResults=101"), 400,
                         "ValidationException", "less than or equal to 100")
        self.assertError(call("GET", "/referencestore/12345"), 400, "ValidationException", "at 'id'")
        self.assertError(call("POST", "/referencestores", query="nextToken=bogus"), 400,
                         "ValidationException")

    def test_malformed_json_and_unknown_route(self):
        headers = sign("POST", "/referencestore", body=b'{"name": ')
        conn = connect()
        conn.request("POST", "/referencestore", body=b'{"name": ', headers=headers)
        response = conn.getresponse()
        self.assertError(Answer(response, response.read()), 400, "SerializationException")
        conn.close()
        self.assertError(call("POST", "/referencestore", document={"name": 5}), 400, "SerializationException")
        self.assertError(call("GET", "/no/such/thing"), 404, "UnknownOperationException")
        self.assertError(call("PUT", "/referencestore"), 404, "UnknownOperationException")

    def test_delete_store_with_references_conflicts(self):
        self.assertError(call("DELETE", f"/referencestore/{DEMO_STORE}"), 409, "ConflictException")
        deleted = call("DELETE", f"/referencestore/{DEMO_STORE}/reference/{DEMO_REFERENCE}")
        self.assertEqual(deleted.status, 200, deleted.body)
        self.assertError(call("GET", f"/referencestore/{DEMO_STORE}/reference/{DEMO_REFERENCE}/metadata"),
                         404, "ResourceNotFoundException")
        self.assertEqual(call("DELETE", f"/referencestore/{DEMO_STORE}").status, 200)

    def test_demo_reference_parts_ranges_and_index(self):
        base = f"/referencestore/{DEMO_STORE}/reference/{DEMO_REFERENCE}"
        meta = call("GET", base + "/metadata").json
        self.assertEqual(meta["status"], "ACTIVE")
        self.assertEqual(meta["name"], "demo-genome")
        self.assertEqual(meta["creationType"], "IMPORT")
        source = meta["files"]["source"]
        self.assertEqual(source["partSize"], PART_SIZE)
        self.assertEqual(source["totalParts"], -(-source["contentLength"] // PART_SIZE))

        parts = []
        for number in range(1, source["totalParts"] + 1):
            answer = call("GET", base, query=f"partNumber={number}")
            self.assertEqual(answer.status, 200)
            self.assertEqual(answer.headers["Content-Type"], "application/octet-stream")
            parts.append(answer.body)
        genome = b"".join(parts)
        self.assertEqual(len(genome), source["contentLength"])
        self.assertEqual(hashlib.md5(genome).hexdigest(), meta["md5"])
        self.assertTrue(genome.startswith(b">chr1\n"))
        self.assertEqual(genome.count(b">"), 3)

        ranged = call("GET", base, query="partNumber=2", headers={"Range": "10-19"})
        self.assertEqual(ranged.body, parts[1][10:20])
        # the model's Range pattern, [\p{N}||\p{P}]+, has no room for "bytes="
        self.assertError(call("GET", base, query="partNumber=2", headers={"Range": "bytes=10-19"}),
                         400, "ValidationException", "at 'range'")
        index = call("GET", base, query="partNumber=1&file=INDEX")
        self.assertEqual(len(index.body), meta["files"]["index"]["contentLength"])
        self.assertTrue(index.body.startswith(b"chr1\t5000\t6\t60\t61\n"), index.body)

        self.assertError(call("GET", base, query=f"partNumber={source['totalParts'] + 1}"),
                         416, "RangeNotSatisfiableException")
        self.assertError(call("GET", base, query="partNumber=1", headers={"Range": "5000-6000"}),
                         416, "RangeNotSatisfiableException")
        self.assertError(call("GET", base), 400, "ValidationException", "at 'partNumber'")
        self.assertError(call("GET", base, query="partNumber=1&file=OTHER"), 400,
                         "ValidationException", "at 'file'")

    def test_import_job_progresses_with_the_clock(self):
        store = self.create_store("imports")
        fasta = ">seq1 first\nACGTACGTAC\nACG\n>seq2\nTTTT\n"
        job = self.import_fasta(store["id"], fasta)
        self.assertEqual(job["status"], "SUBMITTED")
        self.assertEqual(job["referenceStoreId"], store["id"])
        job_path = f"/referencestore/{store['id']}/importjob/{job['id']}"

        first = call("GET", job_path).json
        self.assertEqual(first["status"], "SUBMITTED")
        self.assertEqual(first["sources"][0]["status"], "NOT_STARTED")
        control("POST", "clock", {"advance": 1})
        self.assertEqual(call("GET", job_path).json["status"], "IN_PROGRESS")
        control("POST", "clock", {"advance": 1})
        done = call("GET", job_path).json
        self.assertEqual(done["status"], "COMPLETED")
        self.assertIn("completionTime", done)
        source = done["sources"][0]
        self.assertEqual(source["status"], "FINISHED")

        jobs = call("POST", f"/referencestore/{store['id']}/importjobs",
                    document={"filter": {"status": "COMPLETED"}}).json["importJobs"]
        self.assertEqual([j["id"] for j in jobs], [job["id"]])
        references = call("POST", f"/referencestore/{store['id']}/references").json["references"]
        self.assertEqual([r["id"] for r in references], [source["referenceId"]])
        meta = call("GET", f"/referencestore/{store['id']}/reference/{source['referenceId']}/metadata").json
        self.assertEqual(meta["md5"], hashlib.md5(fasta.encode()).hexdigest())
        self.assertEqual(meta["creationJobId"], job["id"])
        self.assertEqual(meta["arn"], f"arn:aws:omics:{REGION}:123456789012:referenceStore/"
                                      f"{store['id']}/reference/{source['referenceId']}")
        self.assertEqual(meta["files"]["source"],
                         {"totalParts": 1, "partSize": PART_SIZE, "contentLength": len(fasta)})
        index = call("GET", f"/referencestore/{store['id']}/reference/{source['referenceId']}",
                     query="partNumber=1&file=INDEX").body
        self.assertEqual(index, b"seq1\t13\t12\t10\t11\nseq2\t4\t33\t4\t5\n")

    def test_import_of_a_missing_file_fails(self):
        store = self.create_store("failing")
        job = call("POST", f"/referencestore/{store['id']}/importjob", document={
            "roleArn": "arn:aws:iam::123456789012:role/omics-import",
            "sources": [{"sourceFile": "s3://test-bucket/absent.fa", "name": "absent"}]}).json
        control("POST", "clock", {"speed": 1000})
        time.sleep(0.01)
        failed = call("GET", f"/referencestore/{store['id']}/importjob/{job['id']}").json
        self.assertEqual(failed["status"], "FAILED")
        self.assertIn("absent.fa", failed["statusMessage"])
        self.assertEqual(failed["sources"][0]["status"], "FAILED")

    def test_import_validation(self):
        store = self.create_store("checked")
        answer = call("POST", f"/referencestore/{store['id']}/importjob", document={
            "roleArn": "arn:aws:iam::123456789012:role/omics-import",
            "sources": [{"sourceFile": "not-an-s3-uri", "name": "x"}]})
        self.assertError(answer, 400, "ValidationException", "sources.1.member.sourceFile")
        self.assertIn("sources.1.member.name", answer.json["message"])
        self.assertTrue(answer.json["message"].startswith("2 validation errors detected"))


class FaultTest(EmulatorTest):
    PATH = f"/referencestore/{DEMO_STORE}"

    def add_faults(self, *faults):
        control("POST", "faults", {"faults": list(faults)})

    def test_error_fault_then_normal(self):
        self.add_faults({"status": 503, "code": "ThrottlingException", "message": "slow down", "count": 2})
        for _ in range(2):
            self.assertError(call("GET", self.PATH), 503, "ThrottlingException", "slow down")
        self.assertEqual(call("GET", self.PATH).status, 200)

    def test_fault_status_defaults_from_the_code(self):
        self.add_faults({"code": "ThrottlingException"})
        self.assertError(call("GET", self.PATH), 429, "ThrottlingException", "Injected fault")

    def test_fault_without_code(self):
        self.add_faults({"status": 500, "code": None})
        answer = call("GET", self.PATH)
        self.assertEqual((answer.status, answer.body), (500, b"{}"))
        self.assertNotIn("X-Amzn-ErrorType", answer.headers)

    def test_fault_for_one_operation_only(self):
        self.add_faults({"operation": "GetReferenceMetadata", "status": 500, "code": "InternalServerException"})
        self.assertEqual(call("GET", self.PATH).status, 200)
        self.assertEqual(len(control("GET", "faults")["faults"]), 1)
        self.assertEqual(call("GET", self.PATH + f"/reference/{DEMO_REFERENCE}/metadata").status, 500)
        self.assertEqual(control("GET", "faults")["faults"], [])

    def test_list_and_clear_faults(self):
        self.add_faults({"mode": "html"}, {"status": 500, "count": 3})
        pending = control("GET", "faults")["faults"]
        self.assertEqual([f.get("mode") for f in pending], ["html", None])
        self.assertEqual(pending[1]["remaining"], 3)
        control("DELETE", "faults")
        self.assertEqual(control("GET", "faults")["faults"], [])

    def test_invalid_fault_is_refused(self):
        self.assertIn("error", control("POST", "faults", {"faults": [{"mode": "explode"}]}))

    def test_html_fault(self):
        self.add_faults({"mode": "html"})
        answer = call("GET", self.PATH)
        self.assertEqual(answer.status, 502)
        self.assertEqual(answer.headers["Content-Type"], "text/html")
        self.assertEqual(answer.body, b"<html><body><h1>502 Bad Gateway</h1></body></html>")
        self.assertNotIn("X-Amzn-ErrorType", answer.headers)

    def test_malformed_fault(self):
        self.add_faults({"mode": "malformed"})
        answer = call("GET", self.PATH)
        self.assertEqual((answer.status, answer.body), (200, b'{"id": "12'))

    def test_body_fault(self):
        self.add_faults({"mode": "body", "status": 418, "body": "teapot", "headers": {"X-Custom": "1"}})
        answer = call("GET", self.PATH)
        self.assertEqual((answer.status, answer.body, answer.headers["X-Custom"]), (418, b"teapot", "1"))

    def test_oversize_fault(self):
        self.add_faults({"mode": "oversize", "size": 300000})
        answer = call("GET", self.PATH)
        self.assertEqual(len(answer.body), 300000)
        self.assertEqual(len(answer.json["name"]), 300000 - len('{"id":"1234567890","name":""}'))

    def test_bad_utf8_fault(self):
        self.add_faults({"mode": "bad_utf8"})
        answer = call("GET", self.PATH)
        self.assertEqual(answer.status, 200)
        with self.assertRaises(UnicodeDecodeError):
            answer.body.decode("utf-8")

    def test_drop_fault(self):
        self.add_faults({"mode": "drop"})
        with self.assertRaises(http.client.RemoteDisconnected):
            call("GET", self.PATH)
        self.assertEqual(call("GET", self.PATH).status, 200)

    def test_reset_after_headers_and_truncate_faults(self):
        for mode in ("reset_after_headers", "truncate"):
            self.add_faults({"mode": mode})
            with self.assertRaises(http.client.IncompleteRead, msg=mode):
                call("GET", self.PATH)
        self.assertEqual(call("GET", self.PATH).status, 200)

    def test_cut_answer_fault_sends_half_the_real_answer(self):
        whole = call("GET", self.PATH)
        self.assertEqual(whole.status, 200)
        self.add_faults({"mode": "cut_answer"})
        conn = connect()
        conn.request("GET", self.PATH, headers=sign("GET", self.PATH))
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        with self.assertRaises(http.client.IncompleteRead) as cut:
            response.read()
        conn.close()
        self.assertEqual(cut.exception.partial, whole.body[:len(whole.body) // 2])
        self.assertEqual(call("GET", self.PATH).body, whole.body)

    def test_stall_fault(self):
        self.add_faults({"mode": "stall", "stall_ms": 1500})
        conn = connect(timeout=0.3)
        conn.request("GET", self.PATH, headers=sign("GET", self.PATH))
        response = conn.getresponse()
        self.assertEqual(response.status, 200)
        with self.assertRaises(socket.timeout):
            response.read()
        conn.close()
        self.assertEqual(call("GET", self.PATH).status, 200)

    def test_delay_fault_then_normal_answer(self):
        self.add_faults({"delay_ms": 200})
        started = time.monotonic()
        self.assertEqual(call("GET", self.PATH).status, 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.2)


class ServerTest(EmulatorTest):
    def test_counters_over_one_keep_alive_connection(self):
        conn = connect()
        for _ in range(3):
            self.assertEqual(call("GET", f"/referencestore/{DEMO_STORE}", conn=conn).status, 200)
        self.assertEqual(call("GET", "/nope", conn=conn).status, 404)
        conn.request("GET", "/_emulator/stats")
        stats = json.loads(conn.getresponse().read())
        conn.close()
        self.assertEqual(stats["connections"], 1)
        self.assertEqual(stats["requests"], 4)
        self.assertEqual(stats["by_operation"], {"GetReferenceStore": 3})
        self.assertEqual(stats["auth_failures"], 0)

    def test_concurrent_slow_requests(self):
        control("POST", "delay", {"delay_ms": 300})
        statuses = []

        def one():
            conn = connect(timeout=10)
            try:
                statuses.append(call("GET", f"/referencestore/{DEMO_STORE}", conn=conn).status)
            finally:
                conn.close()

        threads = [threading.Thread(target=one) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(statuses, [200] * 50)
        # (served side by side, not one after another: counted by the server
        # itself rather than timed, so a loaded machine cannot fail it)
        stats = control("GET", "stats")
        self.assertGreaterEqual(stats["max_in_flight"], 10, stats)

    def test_chunked_request_body(self):
        body = json.dumps({"name": "chunky"}).encode()
        headers = sign("POST", "/referencestore", body=body)
        headers["Transfer-Encoding"] = "chunked"
        conn = connect()
        conn.request("POST", "/referencestore", body=iter([body[:5], body[5:]]), headers=headers,
                     encode_chunked=True)
        response = conn.getresponse()
        self.assertEqual(json.loads(response.read())["name"], "chunky")
        conn.close()

    def test_client_disconnecting_mid_request(self):
        with socket.create_connection(("127.0.0.1", SERVER.port)) as raw:
            raw.sendall(b"POST /referencestore HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na")
        self.assertEqual(call("GET", f"/referencestore/{DEMO_STORE}").status, 200)

    def test_reset_and_request_log(self):
        self.create_store("to-forget")
        logged = control("GET", "requests")["requests"]
        self.assertEqual(len(logged), 1)
        entry = logged[0]
        self.assertEqual((entry["method"], entry["operation"]), ("POST", "CreateReferenceStore"))
        self.assertEqual(json.loads(entry["body"]), {"name": "to-forget"})
        self.assertIn("authorization", [name.lower() for name, _ in entry["headers"]])
        control("POST", "reset")
        self.assertEqual(control("GET", "requests")["requests"], [])
        names = [s["name"] for s in call("POST", "/referencestores").json["referenceStores"]]
        self.assertEqual(names, ["demo-store"])

    def test_health(self):
        self.assertEqual(control("GET", "health"), {"ok": True})


if __name__ == "__main__":
    unittest.main()
