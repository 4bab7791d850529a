"""Shared test support for the emulator's tests: one emulator process per
test module, requests signed by botocore's SigV4 signer (independent of the
emulator's verifier and of the C signer), service calls and control calls.
"""

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock
from urllib.parse import quote, urlencode

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

HERE = os.path.dirname(os.path.abspath(__file__))
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-west-2"
ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::123456789012:role/omics-service"


class Server:
    """An emulator process on a free port."""

    def __init__(self, *arguments):
        self.arguments = arguments
        self.process = None

    def start(self, *arguments):
        self.arguments = arguments or self.arguments
        self.workdir = tempfile.mkdtemp(prefix="emulator-test-")
        self.s3_root = os.path.join(self.workdir, "s3")
        self.stderr = open(os.path.join(self.workdir, "stderr"), "w+b")
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "omics_emulator.py"), "--port", "0",
             "--s3-root", self.s3_root, *self.arguments],
            stdout=subprocess.PIPE, stderr=self.stderr,
            env={k: v for k, v in os.environ.items() if k != "EMULATOR_LOG"})
        line = self.process.stdout.readline().decode()
        prefix = "omics-emulator listening on http://127.0.0.1:"
        if not line.startswith(prefix):
            self.process.kill()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.port = int(line[len(prefix):])

    def stop(self):
        self.process.terminate()
        code = self.process.wait(timeout=10)
        self.process.stdout.close()
        self.stderr.seek(0)
        noise = self.stderr.read().decode(errors="replace")
        self.stderr.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
        if code != 0:
            raise AssertionError(f"emulator exited with {code} on SIGTERM")
        if noise:
            raise AssertionError(f"emulator wrote to stderr:\n{noise}")


SERVER = Server()


def start_server(*arguments):
    SERVER.start(*arguments)


def stop_server():
    SERVER.stop()


def sign(method, path, query="", body=b"", host=None, headers=None, access_key=ACCESS_KEY,
         secret=SECRET_KEY, token=None, service="omics", region=REGION, when=None,
         signed_path=None):
    """Headers signed by botocore's SigV4 signer for a request whose (already
    encoded) path is sent as is; botocore signs that path encoded once more,
    as AWS does. A session token is sent (and signed) as X-Amz-Security-Token.
    when: the signing time (a datetime in UTC) instead of now; signed_path:
    sign this (decoded) path instead, to send a signature over another one."""
    host = host or f"127.0.0.1:{SERVER.port}"
    url_path = path if signed_path is None else signed_path
    request = AWSRequest(method=method, url=f"http://{host}{url_path}" + (f"?{query}" if query else ""),
                         data=body, headers=dict(headers or {}))
    auth = SigV4Auth(Credentials(access_key, secret, token), service, region)
    if when is None:
        auth.add_auth(request)
    elif hasattr(botocore.auth, "get_current_datetime"):        # botocore >= 1.31
        with mock.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            auth.add_auth(request)
    else:
        with mock.patch("botocore.auth.datetime") as clock:
            clock.datetime.utcnow.return_value = when.replace(tzinfo=None)
            auth.add_auth(request)
    return {"host": host, **{name.lower(): value for name, value in request.headers.items()}}


class Answer:
    def __init__(self, response, body):
        self.status = response.status
        self.headers = response.headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def error_code(self):
        return (self.headers.get("X-Amzn-ErrorType") or "").split(":")[0]


def label(value):
    """A URI label value, encoded the way SDKs do (everything but unreserved)."""
    return quote(value, safe="-_.~")


def query_string(params):
    """Query text from a dict; list values repeat the key; None values are left out."""
    pairs = []
    for key, value in (params or {}).items():
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                pairs.append((key, str(item).lower() if isinstance(item, bool) else str(item)))
    return urlencode(pairs, quote_via=quote, safe="-_.~")


def call(method, path, document=None, query=None, host=None, raw_query=None, credentials=None,
         body=None, headers=None):
    """A signed service request; path is the wire (encoded) path. credentials:
    (access key, secret, session token or None) instead of the default pair."""
    if body is None:
        body = b"" if document is None else json.dumps(document).encode()
    text = raw_query if raw_query is not None else query_string(query)
    host = host or f"127.0.0.1:{SERVER.port}"
    key, secret, token = credentials or (ACCESS_KEY, SECRET_KEY, None)
    headers = dict(headers or {})
    if document is not None:
        headers["content-type"] = "application/json"
    signed = sign(method, path, text, body, host, headers, access_key=key, secret=secret,
                  token=token)
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
    try:
        conn.request(method, path + ("?" + text if text else ""), body=body, headers=signed)
        response = conn.getresponse()
        return Answer(response, response.read())
    finally:
        conn.close()


def control(method, name, document=None):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=10)
    try:
        body = json.dumps(document).encode() if document is not None else None
        conn.request(method, f"/_emulator/{name}", body=body)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


class EmulatorCase(unittest.TestCase):
    def setUp(self):
        status, _ = control("POST", "reset")
        self.assertEqual(status, 200)

    # --- helpers ---------------------------------------------------------------

    def ok(self, answer, status=200):
        self.assertEqual(answer.status, status, answer.body)
        return answer.json if answer.body else None

    def assertError(self, answer, status, code, fragment=None):
        self.assertEqual(answer.status, status, answer.body)
        self.assertEqual(answer.error_code, code, answer.body)
        if fragment is not None:
            self.assertIn(fragment, answer.json["message"])

    def advance(self, seconds):
        status, _ = control("POST", "clock", {"advance": seconds})
        self.assertEqual(status, 200)

    def fail_next(self, kind, count=1, message=None):
        document = {"kind": kind, "count": count}
        if message:
            document["message"] = message
        status, answer = control("POST", "fail_next", document)
        self.assertEqual(status, 200, answer)
        return answer

    def put_s3(self, uri, content):
        status, answer = control("POST", "s3", {"uri": uri, "content": content})
        self.assertEqual(status, 200, answer)

    def collect(self, method, path, result_key, token_in, size_key="maxResults", size=None,
                document=None, query=None):
        """Every item of a paged list operation, and the number of pages it took."""
        items, pages, token = [], 0, None
        while True:
            q = dict(query or {})
            if size is not None:
                q[size_key] = size
            if token is not None:
                q[token_in] = token
            answer = self.ok(call(method, path, document=document, query=q))
            pages += 1
            items.extend(answer.get(result_key, []))
            token = answer.get("nextToken")
            if token is None:
                return items, pages
            self.assertLess(pages, 1000)
