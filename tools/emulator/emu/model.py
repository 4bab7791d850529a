"""The committed HealthOmics model (tools/model/2022-11-28/service-2.json):
routes, input decoding and validation, output serialization and checking.

Nothing about the service's operations or shapes is written here by hand.
Input problems are answered as AWS does: a value of the wrong JSON type is a
SerializationException at once; constraint violations (required, lengths,
ranges, patterns, enums, unions) are gathered into one ValidationException.
An answer that does not fit its output shape is the emulator's own bug: it
becomes a 500 InternalServerException naming the member.
"""

import base64
import binascii
import json
import re
import threading
import unicodedata
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from .errors import STATUS_BY_CODE, ServiceError, validation
from .files import StoredFile
from .messages import Blob, Response, json_object, json_response
from .values import iso_timestamp

MODEL_FILE = Path(__file__).resolve().parents[2] / "model" / "2022-11-28" / "service-2.json"


# --- the model's (Java) regular expressions ----------------------------------

_categories = {}
_categories_lock = threading.Lock()


def _category_ranges(letter):
    """Python character-class text for the Unicode general category \\p{letter}."""
    with _categories_lock:
        if not _categories:
            found, start, previous = {}, 0, None
            for code in range(0x110000):
                category = unicodedata.category(chr(code))[0]
                if category != previous:
                    if previous:
                        found.setdefault(previous, []).append((start, code - 1))
                    start, previous = code, category
            found.setdefault(previous, []).append((start, 0x10FFFF))
            _categories.update(found)
    return "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _categories[letter])


@lru_cache(maxsize=None)
def compile_pattern(java):
    """A model pattern as Python `re`: \\p{X} spelled out as ranges, and `||`
    inside a class (a literal bar to Java) escaped."""
    text = java.replace("||", "\\|")
    return re.compile(re.sub(r"\\p\{(\w)\}", lambda m: _category_ranges(m.group(1)), text))


# --- input ---------------------------------------------------------------------

class Problems:
    """Reading input (Model.walk): a value of the wrong JSON type is a
    SerializationException at once; constraint violations are gathered and
    raised together as one error."""
    output, item = False, ".member"

    error = staticmethod(validation)    # the error raised for the problems

    def __init__(self):
        self.messages = []

    def add(self, value, path, constraint):
        shown = "null" if value is None else f"'{value}'"
        self.messages.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")
        return self

    def raise_if_any(self):
        if self.messages:
            count = len(self.messages)
            raise self.error(f"{count} validation error{'' if count == 1 else 's'} detected: "
                             + "; ".join(self.messages))

    @staticmethod
    def wrong(path, expected, value):
        raise wrong_type(path, expected)

    def union(self, path, shape):
        self.messages.append(f"Exactly one member of '{path or 'input'}' must be set: one of "
                             + ", ".join(shape["members"]))


def wrong_type(path, expected):
    return ServiceError("SerializationException", f"Expected {expected} for '{path or 'input'}'")


def parse_timestamp(value, path):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        raise wrong_type(path, "an ISO-8601 timestamp string") from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()


def check_constraints(shape, value, size, path, report):
    """report(constraint) for each of the shape's length, range, enum and
    pattern constraints that value breaks."""
    low, high = shape.get("min"), shape.get("max")
    number = shape["type"] in ("integer", "long")
    what, measure = ("value", value) if number else ("length", size)
    if low is not None and measure < low:
        report(f"Member must have {what} greater than or equal to {low}")
    if high is not None and measure > high:
        report(f"Member must have {what} less than or equal to {high}")
    if number:
        return
    if "enum" in shape and value not in shape["enum"]:
        report("Member must satisfy enum value set: [" + ", ".join(shape["enum"]) + "]")
    if "pattern" in shape and not compile_pattern(shape["pattern"]).fullmatch(value):
        report(f"Member must satisfy regular expression pattern: {shape['pattern']}")


class Model:
    def __init__(self, path=MODEL_FILE):
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
        self.shapes = document["shapes"]
        self.operations = document["operations"]
        self.routes = sorted((Route(name, op) for name, op in self.operations.items()),
                             key=lambda r: -r.literal_count)
        STATUS_BY_CODE.update({name: s["error"]["httpStatusCode"]
                               for name, s in self.shapes.items() if s.get("exception")})

    # --- routing ---------------------------------------------------------------

    def match(self, method, raw_path):
        """(route, labels) for a request, or None: an unknown operation."""
        if not raw_path.startswith("/") or (raw_path.endswith("/") and raw_path != "/"):
            return None
        segments = raw_path[1:].split("/") if raw_path != "/" else []
        for route in self.routes:
            labels = route.match(method, segments)
            if labels is not None:
                return route, labels
        return None

    # --- input -----------------------------------------------------------------

    def decode(self, route, request, labels):
        """The operation's input from every location, converted and validated."""
        shape_name = route.input
        if shape_name is None:
            return {}
        shape = self.shapes[shape_name]
        raw, query = {}, request.query_values
        for name, member in shape["members"].items():
            where, wire = member.get("location"), member.get("locationName", name)
            target = self.shapes[member["shape"]]
            texts = {"uri": [labels[wire]] if wire in labels else None,
                     "querystring": query.get(wire),
                     "header": request.header_values(wire) or None}.get(where)
            if name == shape.get("payload"):
                if target["type"] == "blob":
                    raw[name] = request.body
                elif request.body.strip():
                    raw[name] = parse_json_object(request.body)
            elif texts is not None:
                raw[name] = self.from_texts(target, texts, name)
        if any("location" not in m and n != shape.get("payload")
               for n, m in shape["members"].items()):
            document = parse_json_object(request.body)
            raw.update({n: document[n] for n in shape["members"]
                        if n in document and n not in raw})
        return self.validate(shape_name, raw, "")

    def from_texts(self, shape, texts, path):
        """A uri, querystring or header member's text(s) as a JSON-like value."""
        if shape["type"] == "list":
            return [self.from_texts(self.shapes[shape["member"]["shape"]], [t], path) for t in texts]
        text = texts[0]
        if shape["type"] in ("integer", "long"):
            try:
                return int(text, 10)
            except ValueError:
                raise wrong_type(path, "an integer") from None
        if shape["type"] == "boolean":
            if text not in ("true", "false"):
                raise wrong_type(path, "a boolean")
            return text == "true"
        return text

    # --- output ----------------------------------------------------------------

    def answer(self, route, result):
        """The HTTP answer for a handler's result, checked against the output shape."""
        if route.output is None or result is None or route.status == 204:
            return Response(route.status)
        shape = self.shapes[route.output]
        payload = shape.get("payload")
        if payload and self.shapes[shape["members"][payload]["shape"]]["type"] == "blob":
            blob = result if isinstance(result, Blob) else Blob(result[payload])
            return Response(route.status, [("Content-Type", blob.content_type)], blob.data)
        headers = [(m["locationName"], str(result[n])) for n, m in shape["members"].items()
                   if m.get("location") == "header" and result.get(n) is not None]
        body = {n: v for n, v in result.items()
                if shape["members"].get(n, {}).get("location") is None}
        return json_response(route.status, self.render(route.output, body, ""), headers)

    def render(self, shape_name, value, path):
        """value as JSON by the shape: the shape's members only, None left out,
        timestamps in the model's format; anything that does not fit is an
        OutputMismatch naming the member. Members the model marks required
        may be absent, as in the service's own answers (the referenceArn of a
        FASTQ upload, the completionTime of a job still running)."""
        return self.walk(shape_name, value, path, Output())

    def validate(self, shape_name, value, path):
        """value (decoded JSON) checked against a shape as an input: blobs
        become bytes, timestamps seconds since the epoch. Also used for
        documents the emulator reads itself, such as run settings under the
        S3 root."""
        problems = Problems()
        converted = self.walk(shape_name, value, path, problems)
        problems.raise_if_any()
        return converted

    def walk(self, shape_name, value, path, way):
        """value checked against the shape, as input (way: Problems) or output."""
        shape = self.shapes[shape_name]
        kind = shape["type"]
        if shape.get("document"):
            return value

        def need(fits, expected):
            if not fits:
                way.wrong(path, expected, value)

        def check(size):
            check_constraints(shape, value, size, path, lambda c: way.add(value, path, c))

        if kind == "structure":
            need(isinstance(value, dict), "a structure")
            result = {}
            for name, member in shape["members"].items():
                child = f"{path}.{name}" if path else name
                if value.get(name) is not None:
                    result[name] = self.walk(member["shape"], value[name], child, way)
                elif name in shape.get("required", ()) and not way.output:
                    way.add(None, child, "Member must not be null")
            given = result if way.output else [v for v in value.values() if v is not None]
            if shape.get("union") and len(given) != 1:
                way.union(path, shape)
            return result
        if kind == "list":
            need(isinstance(value, (list, tuple)), "a list")
            check(len(value))
            return [self.walk(shape["member"]["shape"], item, f"{path}.{i}{way.item}", way)
                    for i, item in enumerate(value, start=1)]
        if kind == "map":
            need(isinstance(value, dict), "a map")
            check(len(value))
            return {self.walk(shape["key"]["shape"], k, f"{path}.key", way):
                    self.walk(shape["value"]["shape"], v, f"{path}.{k}", way)
                    for k, v in value.items()}
        if kind == "timestamp":
            if way.output and not isinstance(value, str):
                need(isinstance(value, (int, float)) and not isinstance(value, bool),
                     "a timestamp")
                return iso_timestamp(value)
            seconds = parse_timestamp(value, path)
            return value if way.output else seconds
        if kind == "boolean":
            need(isinstance(value, bool), "a boolean")
            return value
        if kind == "blob":
            if way.output:
                need(isinstance(value, bytes), "bytes")
                return base64.b64encode(value).decode("ascii")
            try:
                return value if isinstance(value, (bytes, StoredFile)) else \
                    base64.b64decode(value.encode("ascii"), validate=True)
            except (AttributeError, UnicodeEncodeError, binascii.Error):
                raise wrong_type(path, "a base64-encoded string") from None
        if kind in ("integer", "long"):
            need(isinstance(value, int) and not isinstance(value, bool), "an integer")
        else:
            need(isinstance(value, str), "a string")
        check(len(value) if isinstance(value, str) else 0)
        return value


class Output:
    """Writing an answer: anything that does not fit is the emulator's bug."""
    output, item = True, ""

    @staticmethod
    def fail(path, reason):
        raise OutputMismatch(f"the emulator's answer does not fit the model at "
                             f"'{path or 'output'}': {reason}")

    def wrong(self, path, expected, value):
        self.fail(path, f"{value!r} is not {expected}")

    def add(self, value, path, constraint):
        shown = f"{value!r}: " if isinstance(value, (str, int)) else ""
        self.fail(path, shown + constraint)

    def union(self, path, shape):
        self.fail(path, "a union must have exactly one member set")


class OutputMismatch(ServiceError):
    def __init__(self, message):
        super().__init__("InternalServerException", message)


class Route:
    """One operation: its HTTP method, URI template, status and shapes."""

    def __init__(self, name, operation):
        http = operation["http"]
        self.operation, self.method = name, http["method"]
        self.status = http.get("responseCode", 200)
        self.input, self.output = (operation.get(k, {}).get("shape") for k in ("input", "output"))
        self.parts = [("greedy", part[1:-2]) if part.startswith("{") and part.endswith("+}")
                      else ("label", part[1:-1]) if part.startswith("{") else ("literal", part)
                      for part in http["requestUri"].partition("?")[0].strip("/").split("/")]
        self.literal_count = sum(1 for kind, _ in self.parts if kind == "literal")

    def match(self, method, segments):
        """Label values (percent-decoded) if the request fits, else None."""
        if method != self.method:
            return None
        labels = {}
        for index, (kind, name) in enumerate(self.parts):
            if kind == "greedy":
                rest = segments[index:]
                if not rest or not all(rest):
                    return None
                labels[name] = unquote("/".join(rest))
                return labels
            if index >= len(segments) or not segments[index]:
                return None
            value = unquote(segments[index])
            if kind == "literal" and value != name:
                return None
            if kind == "label":
                labels[name] = value
        return labels if len(segments) == len(self.parts) else None


def parse_json_object(body):
    return json_object(body, lambda problem: ServiceError("SerializationException",
                                                          f"Request body {problem}"))
