"""Route table: (method, URI template) -> operation, and input decoding.

Templates use the model's syntax: {label} matches one path segment and
{label+} (greedy) matches one or more. Label values are percent-decoded.
"""

import json
from urllib.parse import unquote

from .errors import ServiceError
from .shapes import Problems


class Route:
    def __init__(self, method, template, operation, input_shape, handler, status=200):
        self.method = method
        self.status = status              # the model's responseCode
        self.template = template
        self.operation = operation
        self.input_shape = input_shape
        self.handler = handler            # handler(context, params) -> dict or Blob
        self.parts = [self._parse_part(p) for p in template.strip("/").split("/")]
        self.literal_count = sum(1 for kind, _ in self.parts if kind == "literal")

    @staticmethod
    def _parse_part(part):
        if part.startswith("{") and part.endswith("+}"):
            return "greedy", part[1:-2]
        if part.startswith("{") and part.endswith("}"):
            return "label", part[1:-1]
        return "literal", part

    def match_path(self, segments):
        """Label values if the raw path segments fit this template, else None."""
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


class RouteTable:
    def __init__(self, routes):
        # Most literal segments first, so fixed paths win over label captures.
        self.routes = sorted(routes, key=lambda r: -r.literal_count)

    def match(self, method, raw_path):
        """(route, labels) for the request, or None for an unknown operation."""
        if not raw_path.startswith("/") or (raw_path.endswith("/") and raw_path != "/"):
            return None
        segments = raw_path[1:].split("/") if raw_path != "/" else []
        for route in self.routes:
            if route.method != method:
                continue
            labels = route.match_path(segments)
            if labels is not None:
                return route, labels
        return None


def parse_query(raw_query):
    """First value of each query key, percent-decoded ('+' stays a plus)."""
    values = {}
    for pair in filter(None, raw_query.split("&")):
        key, _, value = pair.partition("=")
        values.setdefault(unquote(key), unquote(value))
    return values


def parse_query_lists(raw_query):
    """Every value of each query key, in order (for list members)."""
    values = {}
    for pair in filter(None, raw_query.split("&")):
        key, _, value = pair.partition("=")
        values.setdefault(unquote(key), []).append(unquote(value))
    return values


def parse_json_object(body):
    if not body.strip():
        return {}
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ServiceError("SerializationException", f"Request body is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ServiceError("SerializationException", "Request body must be a JSON object")
    return document


def decode_input(shape, request, labels):
    """Gather every member from its location, convert and validate it."""
    raw = {}
    body_members = [name for name, m in shape.members.items() if m.location == "body"]
    if body_members:
        document = parse_json_object(request.body)
        raw.update({name: document[name] for name in body_members if name in document})
    query = parse_query(request.query)
    for name, member in shape.members.items():
        if member.location == "querystring" and hasattr(member.shape, "from_texts"):
            texts = parse_query_lists(request.query).get(member.name)
            if texts is not None:
                raw[name] = member.shape.from_texts(texts, name)
            continue
        if member.location == "uri":
            text = labels.get(member.name)
        elif member.location == "querystring":
            text = query.get(member.name)
        elif member.location == "header":
            text = request.header(member.name)
        else:
            continue
        if text is not None:
            raw[name] = member.shape.from_text(text, name)
    problems = Problems()
    params = shape.convert(raw, "", problems)
    problems.raise_if_any()
    return params
