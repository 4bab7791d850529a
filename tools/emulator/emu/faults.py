"""Injected faults: a FIFO queue and the misbehaving responses they produce."""

import json
import threading
import time

from .errors import OMICS_NAMESPACE, STATUS_BY_CODE
from .messages import Response, json_response

MODES = ("html", "malformed", "drop", "reset_after_headers", "truncate", "stall",
         "oversize", "body", "bad_utf8", "cut_answer", "flood", "trickle")
# the numeric fields, each with its lowest value
NUMBERS = {"count": 1, "delay_ms": 0, "stall_ms": 0, "size": 0, "interval_ms": 0, "lines": 0,
           "body_bytes": 0}
FIELDS = {"operation", "status", "code", "message", "mode", "body", "headers", "chunked", *NUMBERS}
# flood: at most this many bytes, for at most this long, whatever the client does
FLOOD_MAX_BYTES = 4 * 1024 * 1024 * 1024
FLOOD_MAX_SECONDS = 120
FLOOD_PIECE = b"x" * 65536
DEFAULT_STALL_MS = 30000
DEFAULT_OVERSIZE_BYTES = 8 * 1024 * 1024
HTML_PAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
OVERSIZE_FRAME = b'{"id":"1234567890","name":""}'
BAD_UTF8 = b'{"id":"1234567890","name":"bad \xff\xfe name"}'


def oversized(size):
    """A JSON answer of size bytes, mostly one long name."""
    filler = b"x" * max(0, int(size) - len(OVERSIZE_FRAME))
    return OVERSIZE_FRAME[:-2] + filler + OVERSIZE_FRAME[-2:]


def check_spec(spec):
    if not isinstance(spec, dict):
        raise ValueError("each fault must be a JSON object")
    unknown = set(spec) - FIELDS
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    if spec.get("mode") is not None and spec["mode"] not in MODES:
        raise ValueError(f"unknown fault mode {spec['mode']!r}; known: {', '.join(MODES)}")
    for name, lowest in NUMBERS.items():
        value = spec.get(name)
        if value is not None and (not isinstance(value, (int, float)) or value < lowest):
            raise ValueError(f"{name} must be a number >= {lowest}")
    status = spec.get("status")
    if status is not None and (not isinstance(status, int) or not 100 <= status <= 599):
        raise ValueError("status must be an HTTP status code")
    if spec.get("mode") == "body" and not isinstance(spec.get("body"), str):
        raise ValueError("mode 'body' needs a string 'body'")
    if not isinstance(spec.get("headers", {}), dict):
        raise ValueError("headers must be an object")


class Protocol:
    """How injected faults look on an endpoint: error(status, code, message)
    -> Response (coded_error answers one with a code), status_for(code),
    default_code, sample (content type, a complete valid answer, which the
    cut-short modes send only part of) and malformed (a cut-short body)."""

    def __init__(self, coded_error, sample, malformed, statuses=None,
                 default_code="InternalServerError", empty=("application/json", b"{}")):
        self.coded_error, self.sample, self.malformed = coded_error, sample, malformed
        self.statuses, self.default_code, self.empty = statuses or {}, default_code, empty

    def status_for(self, code):
        return self.statuses.get(code, 500)

    def error(self, status, code, message):
        if code is None:
            return Response(status, [("Content-Type", self.empty[0])], self.empty[1])
        return self.coded_error(status, code, message)


OMICS = Protocol(
    lambda status, code, message: json_response(
        status, {"message": message}, [("X-Amzn-ErrorType", f"{code}:{OMICS_NAMESPACE}")]),
    ("application/json", json.dumps({
        "id": "1234567890",
        "arn": "arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890",
        "name": "fault-injection-sample", "creationTime": "2024-03-01T01:00:00.000Z"}).encode()),
    b'{"id": "12', STATUS_BY_CODE, "InternalServerException")


class Fault:
    def __init__(self, spec):
        check_spec(spec)
        self.spec = spec
        self.remaining = int(spec.get("count", 1))

    @property
    def delay_seconds(self):
        return self.spec.get("delay_ms", 0) / 1000.0

    def describe(self):
        return {**self.spec, "remaining": self.remaining}

    def response(self, protocol=OMICS):
        """The injected answer in the protocol's shape (HealthOmics' rest-json
        unless told), or None to answer normally (after any delay)."""
        spec, mode = self.spec, self.spec.get("mode")
        if mode is None:
            return self._error(protocol) if "status" in spec or "code" in spec else None
        if mode == "drop":
            return Response(0, drop=True)
        if mode == "cut_answer":
            return None  # answered normally, then cut short by cut()
        content_type, sample = protocol.sample
        half = len(sample) // 2
        fixed = {   # mode: (default status, content type, body, how it is sent)
            "html": (502, "text/html", HTML_PAGE, {}),
            "malformed": (200, content_type, protocol.malformed, {}),
            "bad_utf8": (200, "application/json", BAD_UTF8, {}),
            "reset_after_headers": (200, content_type, sample, {"send_bytes": 0, "close": True}),
            "truncate": (200, content_type, sample, {"send_bytes": half, "close": True}),
            "stall": (200, content_type, sample, {"send_bytes": half, "pause_seconds": spec.get(
                "stall_ms", DEFAULT_STALL_MS) / 1000.0})}
        if mode == "oversize":
            size = spec.get("size", DEFAULT_OVERSIZE_BYTES)
            fixed[mode] = (200, "application/json", oversized(size), {})
        if mode in fixed:
            status, content_type, body, how = fixed[mode]
            return Response(self._status(status), [("Content-Type", content_type)], body, **how)
        if mode == "body":
            headers = [(str(k), str(v)) for k, v in spec.get("headers", {}).items()]
            return Response(self._status(200), headers, spec["body"].encode("utf-8"))
        return getattr(self, "_" + mode)(protocol)     # flood, trickle

    def _status(self, default):
        return self.spec.get("status", default)

    def _error(self, protocol):
        code = self.spec.get("code", protocol.default_code)
        status = self.spec.get("status") or (protocol.status_for(code) if code else 500)
        return protocol.error(status, code, self.spec.get("message", "Injected fault"))

    def cut(self, response):
        """For mode cut_answer: the real answer, its body cut in half, then close."""
        if self.spec.get("mode") == "cut_answer" and 200 <= response.status < 300 and response.body:
            response.send_bytes = len(response.body) // 2
            response.close = True
        return response

    def _flood(self, protocol):
        """An answer of `size` bytes (default: as many as a client takes, up to
        FLOOD_MAX_BYTES), sent as fast as the client reads: with a
        Content-Length, or chunked (`chunked`: true) and so of no stated end."""
        size = int(self.spec.get("size", FLOOD_MAX_BYTES))
        chunked = bool(self.spec.get("chunked"))
        headers = [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")
                   if chunked else ("Content-Length", str(size))]

        def stream(wfile, lines):
            wfile.write(b"".join(lines) + b"\r\n")
            left, started = size, time.monotonic()
            while left > 0 and time.monotonic() - started < FLOOD_MAX_SECONDS:
                piece = FLOOD_PIECE[:left]
                wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                left -= len(piece)
            if chunked and left == 0:
                wfile.write(b"0\r\n\r\n")
            wfile.flush()
        return Response(self._status(404), headers, stream=stream)

    def _trickle(self, protocol):
        """The sample answer, slowly: the status line, then `lines` extra header
        lines one every `interval_ms`, then the headers, then the first
        `body_bytes` bytes of the body (default all) one every `interval_ms`."""
        content_type, body = protocol.sample
        interval = self.spec.get("interval_ms", 500) / 1000.0
        extra = int(self.spec.get("lines", 0))
        slow = min(len(body), int(self.spec.get("body_bytes", len(body))))

        def stream(wfile, lines):
            steps = [(0, lines[0])] + [(interval, b"X-Trickle-%d: %d\r\n" % (i, i))
                                       for i in range(extra)]
            steps += [(0, b"".join(lines[1:]) + b"\r\n")]
            steps += [(interval, body[i:i + 1]) for i in range(slow)] + [(0, body[slow:])]
            for pause, piece in steps:
                time.sleep(pause)
                wfile.write(piece)
                wfile.flush()
        return Response(self._status(200), [("Content-Type", content_type),
                                            ("Content-Length", str(len(body)))], stream=stream)


class FaultQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._faults = []

    def add(self, specs):
        """Append faults; raises ValueError (adding none) if any is invalid."""
        faults = [Fault(spec) for spec in specs]
        with self._lock:
            self._faults.extend(faults)

    def take(self, operation, named_only=False):
        """Use up one count of the first fault that applies, if any.

        named_only: only a fault naming this operation applies (the identity
        endpoints are not hit by faults meant for any HealthOmics call).
        """
        with self._lock:
            for fault in self._faults:
                wanted = fault.spec.get("operation")
                if wanted == operation or (wanted is None and not named_only):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self):
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def clear(self):
        with self._lock:
            self._faults.clear()
