"""Request and Response values passed between the HTTP layer and the handlers."""

import json
from dataclasses import dataclass, field
from urllib.parse import unquote


@dataclass
class Request:
    method: str
    raw_path: str          # as on the wire, still percent-encoded, no query
    query: str             # raw query string without '?'
    headers: list          # [(name, value)] in received order and case
    body: bytes

    @property
    def path_decoded(self):
        return unquote(self.raw_path)

    def header_values(self, name):
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]

    def header(self, name):
        values = self.header_values(name)
        return values[0] if values else None

    @property
    def query_values(self):
        """Every value of each query key, in order, percent-decoded ('+' stays a plus)."""
        values = {}
        for pair in filter(None, self.query.split("&")):
            key, _, value = pair.partition("=")
            values.setdefault(unquote(key), []).append(unquote(value))
        return values

    @property
    def query_args(self):
        """The first value of each query key."""
        return {key: values[0] for key, values in self.query_values.items()}


@dataclass
class Response:
    """What to send back.

    A misbehaving response (fault injection) can stop after the headers or
    part of the body (send_bytes), pause mid-body (pause_seconds), close the
    connection afterwards (close), or send nothing at all (drop).
    """
    status: int
    headers: list = field(default_factory=list)
    body: bytes = b""
    send_bytes: int = None
    pause_seconds: float = 0.0
    close: bool = False
    drop: bool = False
    # a hostile answer that writes itself: stream(wfile, head_lines) sends
    # the status line, the headers and the body at its own pace
    stream: object = None


def json_response(status, document, headers=()):
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return Response(status, [("Content-Type", "application/json"), *headers], body)


@dataclass
class Blob:
    """A handler result sent as a raw body instead of JSON."""
    data: bytes
    content_type: str = "application/octet-stream"


def json_object(body, error):
    """The JSON object a request body holds ({} for none); raises error(what
    is wrong with the body) otherwise."""
    if not body.strip():
        return {}
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise error(f"is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise error("must be a JSON object")
    return document
