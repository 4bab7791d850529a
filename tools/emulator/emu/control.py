"""The unsigned control API under /_emulator/ used by tests (JSON in and out)."""

import json

from .messages import json_response

PREFIX = "/_emulator/"


class ControlError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def number(document, name, lowest=0):
    value = document.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < lowest:
        raise ControlError(400, f"'{name}' must be a number >= {lowest}")
    return value


class ControlApi:
    def __init__(self, emulator):
        self.emulator = emulator
        self.handlers = {
            ("POST", "reset"): self.reset,
            ("GET", "stats"): self.stats,
            ("GET", "requests"): self.requests,
            ("POST", "faults"): self.add_faults,
            ("GET", "faults"): self.list_faults,
            ("DELETE", "faults"): self.clear_faults,
            ("POST", "delay"): self.set_delay,
            ("POST", "skew"): self.set_skew,
            ("POST", "credentials"): self.add_credentials,
            ("POST", "clock"): self.move_clock,
            ("POST", "s3"): self.write_s3_object,
            ("GET", "health"): self.health,
        }

    @staticmethod
    def owns(request):
        return request.raw_path.startswith(PREFIX)

    def handle(self, request):
        name = request.raw_path[len(PREFIX):]
        handler = self.handlers.get((request.method, name))
        try:
            if handler is None:
                raise ControlError(404, f"no control endpoint {request.method} {request.raw_path}")
            document = self._parse(request.body)
            return json_response(200, handler(document, request.query_args))
        except ControlError as error:
            return json_response(error.status, {"error": str(error)})

    @staticmethod
    def _parse(body):
        if not body.strip():
            return {}
        try:
            document = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ControlError(400, f"body is not valid JSON: {exc}") from None
        if not isinstance(document, dict):
            raise ControlError(400, "body must be a JSON object")
        return document

    def reset(self, document, query):
        self.emulator.reset()
        return {"ok": True}

    def stats(self, document, query):
        return self.emulator.stats.snapshot()

    def requests(self, document, query):
        try:
            limit = int(query["limit"]) if "limit" in query else None
            if limit is not None and limit < 1:
                raise ValueError(limit)
        except ValueError:
            raise ControlError(400, "limit must be a positive integer") from None
        return {"requests": self.emulator.request_log.last(limit)}

    def add_faults(self, document, query):
        faults = document.get("faults")
        if not isinstance(faults, list):
            raise ControlError(400, "expected {\"faults\": [...]}")
        try:
            self.emulator.faults.add(faults)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return {"pending": len(self.emulator.faults.pending())}

    def list_faults(self, document, query):
        return {"faults": self.emulator.faults.pending()}

    def clear_faults(self, document, query):
        self.emulator.faults.clear()
        return {"ok": True}

    def set_skew(self, document, query):
        """The service's clock runs this many seconds ahead of the real one
        (for signatures and the Date header), to test clock-skew correction."""
        self.emulator.skew_seconds = number(document, "seconds", lowest=-1e9)
        return {"seconds": document["seconds"]}

    def set_delay(self, document, query):
        self.emulator.delay_seconds = number(document, "delay_ms") / 1000.0
        return {"delay_ms": document["delay_ms"]}

    def add_credentials(self, document, query):
        try:
            self.emulator.credentials.add(document)
        except ValueError as exc:
            raise ControlError(400, str(exc)) from None
        return {"ok": True}

    def move_clock(self, document, query):
        clock = self.emulator.clock
        if "advance" not in document and "speed" not in document:
            raise ControlError(400, "expected 'advance' (seconds) and/or 'speed' (factor)")
        if "speed" in document:
            clock.set_speed(number(document, "speed"))
        if "advance" in document:
            clock.advance(number(document, "advance"))
        return {"now": clock.now(), "speed": clock.speed}

    def write_s3_object(self, document, query):
        uri, content = document.get("uri"), document.get("content")
        if not isinstance(uri, str) or not isinstance(content, str):
            raise ControlError(400, "expected string 'uri' and 'content'")
        try:
            self.emulator.s3.write(uri, content.encode("utf-8"))
        except (ValueError, OSError) as exc:
            raise ControlError(400, str(exc)) from None
        return {"uri": uri, "size": len(content.encode("utf-8"))}

    def health(self, document, query):
        return {"ok": True}
