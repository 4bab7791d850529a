"""The emulator follows the committed model: every operation is routed and
answered, input is validated by the model's shapes, answers are checked
against the output shapes. Requests are serialized and signed by botocore.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import json
import os
import sys
import unittest
from datetime import datetime, timezone
from urllib.parse import urlencode, quote

from botocore.model import ServiceModel
from botocore.serialize import create_serializer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emulator_testlib import EmulatorCase, call, start_server, stop_server  # noqa: E402
from emu.model import MODEL_FILE, Model, OutputMismatch, compile_pattern  # noqa: E402

with open(MODEL_FILE, encoding="utf-8") as handle:
    SERVICE = ServiceModel(json.load(handle), "omics")
CANDIDATES = ("1234567890", "abcdefghij", "arn:aws:omics:us-west-2:123456789012:runGroup/1234567890",
              "s3://bucket-name/key/", "01234567-89ab-cdef-0123-456789abcdef", "sg-0a", "subnet-0a",
              "vpc-0a", "a_bcdefghij", "sha256abc", "01.02.3", "0-99",
              "arn:aws:s3:us-west-2:123456789012:accesspoint/x")


def sample(shape):
    """A minimal value that satisfies the shape's constraints."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "structure":
        if shape.is_document_type:
            return {}
        names = shape.required_members or (list(shape.members)[:1] if meta.get("union") else [])
        return {n: sample(shape.members[n]) for n in names}
    if kind == "list":
        return [sample(shape.member) for _ in range(max(1, meta.get("min", 0)))]
    if kind == "map":
        return {}
    if kind in ("integer", "long"):
        return max(1, meta.get("min", 1))
    if kind == "boolean":
        return False
    if kind == "timestamp":
        return datetime.now(timezone.utc)
    if kind == "blob":
        return b"x"
    if shape.enum:
        return shape.enum[0]
    low, high = meta.get("min", 1), meta.get("max", 1000)
    for text in CANDIDATES:
        text = text + text[-1] * max(0, low - len(text))
        if len(text) <= high and (
                "pattern" not in meta or compile_pattern(meta["pattern"]).fullmatch(text)):
            return text
    raise AssertionError(f"no sample for {shape.name}")


def send(name, params):
    """The operation called with params, serialized by botocore."""
    operation = SERVICE.operation_model(name)
    request = create_serializer("rest-json", include_validation=False).serialize_to_request(params, operation)
    query = urlencode(request["query_string"], doseq=True, quote_via=quote, safe="-_.~")
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    return call(request["method"], request["url_path"], raw_query=query, body=body,
                headers=request["headers"])


def setUpModule():
    start_server()


def tearDownModule():
    stop_server()


class EveryOperationTest(EmulatorCase):
    def test_every_operation_is_routed_and_answered(self):
        self.assertEqual(len(SERVICE.operation_names), 107)
        for name in SERVICE.operation_names:
            operation = SERVICE.operation_model(name)
            params = sample(operation.input_shape) if operation.input_shape else {}
            answer = send(name, params)
            with self.subTest(operation=name, status=answer.status, body=answer.body[:200]):
                self.assertNotIn(answer.error_code, ("UnknownOperationException",
                                                     "SerializationException"))
                if answer.status >= 300:
                    modeled = {e.name for e in operation.error_shapes}
                    self.assertIn(answer.error_code, modeled)
                    self.assertLess(answer.status, 500)

    def test_input_is_validated_by_the_model(self):
        answer = send("CreateReferenceStore", {"name": ""})
        self.assertError(answer, 400, "ValidationException",
                         "Value '' at 'name' failed to satisfy constraint: Member must have "
                         "length greater than or equal to 1")
        answer = send("ListRuns", {"maxResults": 0, "status": "NOPE"})
        self.assertError(answer, 400, "ValidationException", "2 validation errors detected")
        answer = send("GetReference", {"referenceStoreId": "1234567890", "id": "1234567890",
                                       "partNumber": 1, "range": "bytes=0-9"})
        self.assertError(answer, 400, "ValidationException",
                         "at 'range' failed to satisfy constraint: Member must satisfy regular "
                         "expression pattern: [\\p{N}||\\p{P}]+")


class OutputCheckTest(unittest.TestCase):
    """Answers are cut to and checked against the output shapes."""

    model = Model()

    def test_members_outside_the_shape_are_left_out_and_times_formatted(self):
        rendered = self.model.render("GetReferenceStoreResponse", {
            "id": "1234567890", "arn": "arn:aws:omics:x", "creationTime": 0.5,
            "internal": "state", "description": None}, "")
        self.assertEqual(rendered, {"id": "1234567890", "arn": "arn:aws:omics:x",
                                    "creationTime": "1970-01-01T00:00:00.500Z"})

    def test_a_value_that_does_not_fit_names_the_member(self):
        with self.assertRaises(OutputMismatch) as raised:
            self.model.render("GetRunResponse", {"status": "SLEEPING"}, "")
        self.assertEqual(raised.exception.status, 500)
        self.assertIn("'status'", raised.exception.message)
        self.assertIn("enum value set", raised.exception.message)
        with self.assertRaises(OutputMismatch) as raised:
            self.model.render("ListRunsResponse", {"items": [{"priority": "high"}]}, "")
        self.assertIn("'items.1.priority'", raised.exception.message)

    def test_java_patterns_are_translated(self):
        printable = compile_pattern(r"[\p{L}||\p{M}||\p{Z}||\p{S}||\p{N}||\p{P}]+")
        self.assertTrue(printable.fullmatch("Grüße, 世界 | ok"))
        self.assertFalse(printable.fullmatch("tab\there"))
        self.assertTrue(compile_pattern(r"$|^arn:.+").fullmatch(""))


if __name__ == "__main__":
    unittest.main()
