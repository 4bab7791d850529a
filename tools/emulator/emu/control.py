"""The unsigned control API under /_emulator/ used by tests (JSON in and out).
A handler's ValueError is answered 400 with its message."""

from .messages import json_object, json_response

PREFIX = "/_emulator/"
OK = {"ok": True}


def number(document, name, lowest=0, highest=None, integer=False, default=None):
    value = document.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)) \
            or value < lowest or (highest is not None and value > highest):
        bounds = f">= {lowest}" if highest is None else f"from {lowest} to {highest}"
        raise ValueError(f"'{name}' must be {'an integer' if integer else 'a number'} {bounds}")
    return value


class ControlApi:
    def __init__(self, emulator):
        self.emulator = e = emulator
        self.handlers = {
            ("POST", "reset"): lambda document, query: e.reset() or OK,
            ("GET", "health"): lambda document, query: OK,
            ("GET", "stats"): lambda document, query: e.stats.snapshot(),
            ("GET", "requests"): self.requests, ("POST", "faults"): self.add_faults,
            ("GET", "faults"): lambda document, query: {"faults": e.faults.pending()},
            ("DELETE", "faults"): lambda document, query: e.faults.clear() or OK,
            ("POST", "delay"): self.set_delay, ("POST", "skew"): self.set_skew,
            ("POST", "credentials"): lambda document, query: e.credentials.add(document) or OK,
            ("POST", "clock"): self.move_clock, ("POST", "s3"): self.write_s3_object,
            ("POST", "fail_next"): self.fail_next,
            ("GET", "fail_next"): lambda document, query: {"pending": e.failures.pending(),
                                                           "kinds": list(e.failures.kinds)},
            ("DELETE", "fail_next"): lambda document, query: e.failures.reset() or OK,
            ("POST", "run_tasks"): self.run_tasks,
            ("POST", "identity"): self.update_identity,
            ("GET", "identity"): lambda document, query: e.identity_config.get()}

    @staticmethod
    def owns(request):
        return request.raw_path.startswith(PREFIX)

    def handle(self, request):
        handler = self.handlers.get((request.method, request.raw_path[len(PREFIX):]))
        if handler is None:
            return json_response(404, {
                "error": f"no control endpoint {request.method} {request.raw_path}"})
        try:
            document = json_object(request.body, lambda problem: ValueError(f"body {problem}"))
            return json_response(200, handler(document, request.query_args))
        except ValueError as error:
            return json_response(400, {"error": str(error)})

    def requests(self, document, query):
        limit = query.get("limit", "")
        if limit and (not limit.isdigit() or int(limit) < 1):
            raise ValueError("limit must be a positive integer")
        return {"requests": self.emulator.request_log.last(int(limit) if limit else None)}

    def add_faults(self, document, query):
        faults = document.get("faults")
        if not isinstance(faults, list):
            raise ValueError("expected {\"faults\": [...]}")
        self.emulator.faults.add(faults)
        return {"pending": len(self.emulator.faults.pending())}

    def set_skew(self, document, query):
        """The service's clock runs this many seconds ahead of the real one
        (for signatures and the Date header), to test clock-skew correction."""
        self.emulator.skew_seconds = number(document, "seconds", lowest=-1e9)
        return {"seconds": document["seconds"]}

    def set_delay(self, document, query):
        self.emulator.delay_seconds = number(document, "delay_ms") / 1000.0
        return {"delay_ms": document["delay_ms"]}

    def move_clock(self, document, query):
        clock = self.emulator.clock
        if "advance" not in document and "speed" not in document:
            raise ValueError("expected 'advance' (seconds) and/or 'speed' (factor)")
        if "speed" in document:
            clock.set_speed(number(document, "speed"))
        if "advance" in document:
            clock.advance(number(document, "advance"))
        return {"now": clock.now(), "speed": clock.speed}

    def write_s3_object(self, document, query):
        uri, content = document.get("uri"), document.get("content")
        if not isinstance(uri, str) or not isinstance(content, str):
            raise ValueError("expected string 'uri' and 'content'")
        try:
            self.emulator.s3.write(uri, content.encode("utf-8"))
        except OSError as exc:
            raise ValueError(str(exc)) from None
        return {"uri": uri, "size": len(content.encode("utf-8"))}

    def fail_next(self, document, query):
        """The next `count` created resources of a kind end in FAILED."""
        count = number(document, "count", 1, integer=True, default=1)
        message = document.get("message")
        if message is not None and (not isinstance(message, str) or not message):
            raise ValueError("'message' must be a non-empty string")
        self.emulator.failures.arm(document.get("kind"), count, message)
        return {"pending": self.emulator.failures.pending()}

    def run_tasks(self, document, query):
        """The number of tasks of the runs started afterwards."""
        count = number(document, "count", 0, 1000, integer=True)
        self.emulator.workflows.tasks_per_run = count
        return {"count": count}

    def update_identity(self, document, query):
        self.emulator.identity_config.update(document)
        return self.emulator.identity_config.get()
