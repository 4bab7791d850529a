"""Hand-written input shapes: type conversion and AWS-style validation.

convert() turns a decoded JSON value (or, for uri/querystring/header members,
the text from the request) into a Python value. A value of the wrong JSON type
raises SerializationException at once; constraint violations are collected
and reported together as one ValidationException, worded like AWS does.
"""

import base64
import binascii
import re
import unicodedata
from datetime import datetime, timezone

from .errors import ServiceError


class Pattern:
    """A model pattern: the text AWS quotes in messages and a matcher."""

    def __init__(self, text, matches):
        self.text = text
        self.matches = matches

    @classmethod
    def regex(cls, text):
        compiled = re.compile(text)
        return cls(text, lambda value: compiled.fullmatch(value) is not None)

    @classmethod
    def unicode_categories(cls, text, categories):
        """Java-style [\\p{L}||\\p{N}...]+ classes, which Python's re lacks."""
        def matches(value):
            return bool(value) and all(unicodedata.category(c)[0] in categories for c in value)
        return cls(text, matches)


PRINTABLE = Pattern.unicode_categories(
    r"[\p{L}||\p{M}||\p{Z}||\p{S}||\p{N}||\p{P}]+", "LMZSNP")
LETTERS_AND_DIGITS = Pattern.unicode_categories(r"[\p{L}||\p{N}]+", "LN")


class Problems:
    def __init__(self):
        self.messages = []

    def add(self, value, path, constraint):
        self.messages.append(
            f"Value {render_value(value)} at '{path}' failed to satisfy constraint: {constraint}")

    def raise_if_any(self):
        count = len(self.messages)
        if count:
            noun = "error" if count == 1 else "errors"
            raise ServiceError("ValidationException",
                               f"{count} validation {noun} detected: " + "; ".join(self.messages))


def render_value(value):
    if value is None:
        return "null"
    return f"'{value}'"


def wrong_type(path, expected):
    return ServiceError("SerializationException", f"Expected {expected} for '{path}'")


def check_length(value, length, path, lo, hi, problems):
    if lo is not None and length < lo:
        problems.add(value, path, f"Member must have length greater than or equal to {lo}")
    if hi is not None and length > hi:
        problems.add(value, path, f"Member must have length less than or equal to {hi}")


class String:
    def __init__(self, min=None, max=None, pattern=None, enum=None):
        self.min, self.max, self.pattern, self.enum = min, max, pattern, enum
        if isinstance(pattern, str):
            self.pattern = Pattern.regex(pattern)

    def from_text(self, text, path):
        return text

    def convert(self, value, path, problems):
        if not isinstance(value, str):
            raise wrong_type(path, "a string")
        check_length(value, len(value), path, self.min, self.max, problems)
        if self.enum is not None and value not in self.enum:
            problems.add(value, path, "Member must satisfy enum value set: [" + ", ".join(self.enum) + "]")
        if self.pattern is not None and not self.pattern.matches(value):
            problems.add(value, path, f"Member must satisfy regular expression pattern: {self.pattern.text}")
        return value


class Integer:
    def __init__(self, min=None, max=None):
        self.min, self.max = min, max

    def from_text(self, text, path):
        try:
            return int(text, 10)
        except ValueError:
            raise wrong_type(path, "an integer") from None

    def convert(self, value, path, problems):
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong_type(path, "an integer")
        if self.min is not None and value < self.min:
            problems.add(value, path, f"Member must have value greater than or equal to {self.min}")
        if self.max is not None and value > self.max:
            problems.add(value, path, f"Member must have value less than or equal to {self.max}")
        return value


class Timestamp:
    """An ISO-8601 timestamp; converted to seconds since the epoch."""

    def from_text(self, text, path):
        return text

    def convert(self, value, path, problems):
        if not isinstance(value, str):
            raise wrong_type(path, "an ISO-8601 timestamp string")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise wrong_type(path, "an ISO-8601 timestamp string") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.timestamp()


class Member:
    """A structure member and where it travels in the HTTP request."""

    def __init__(self, shape, location="body", name=None):
        self.shape = shape
        self.location = location      # body, uri, querystring or header
        self.name = name              # label, query key or header name


class Structure:
    def __init__(self, members, required=()):
        self.members = {name: m if isinstance(m, Member) else Member(m) for name, m in members.items()}
        self.required = tuple(required)

    def convert(self, value, path, problems):
        if not isinstance(value, dict):
            raise wrong_type(path or "input", "a structure")
        result = {}
        for name, member in self.members.items():
            child_path = f"{path}.{name}" if path else name
            if value.get(name) is None:
                if name in self.required:
                    problems.add(None, child_path, "Member must not be null")
                continue
            result[name] = member.shape.convert(value[name], child_path, problems)
        return result


class ListOf:
    def __init__(self, member, min=None, max=None):
        self.member, self.min, self.max = member, min, max

    def from_texts(self, texts, path):
        """A querystring list: one repeated key per element."""
        return [self.member.from_text(text, path) for text in texts]

    def convert(self, value, path, problems):
        if not isinstance(value, list):
            raise wrong_type(path, "a list")
        check_length(value, len(value), path, self.min, self.max, problems)
        return [self.member.convert(item, f"{path}.{i}.member", problems)
                for i, item in enumerate(value, start=1)]


class MapOf:
    def __init__(self, key, value, min=None, max=None):
        self.key, self.value = key, value
        self.min, self.max = min, max

    def convert(self, value, path, problems):
        if not isinstance(value, dict):
            raise wrong_type(path, "a map")
        check_length(value, len(value), path, self.min, self.max, problems)
        return {self.key.convert(k, f"{path}.key", problems):
                self.value.convert(v, f"{path}.{k}", problems)
                for k, v in value.items()}


class Boolean:
    def from_text(self, text, path):
        if text not in ("true", "false"):
            raise wrong_type(path, "a boolean")
        return text == "true"

    def convert(self, value, path, problems):
        if not isinstance(value, bool):
            raise wrong_type(path, "a boolean")
        return value


class Blob:
    """A blob member of a JSON body: base64 text, converted to bytes."""

    def convert(self, value, path, problems):
        if not isinstance(value, str):
            raise wrong_type(path, "a base64-encoded string")
        try:
            return base64.b64decode(value.encode("ascii"), validate=True)
        except (UnicodeEncodeError, binascii.Error):
            raise wrong_type(path, "a base64-encoded string") from None


class Document:
    """A document member: any JSON value, kept as it came."""

    def convert(self, value, path, problems):
        return value


class Union(Structure):
    """A structure of which exactly one member must be set."""

    def convert(self, value, path, problems):
        result = super().convert(value, path, problems)
        if isinstance(value, dict) and len([v for v in value.values() if v is not None]) != 1:
            problems.messages.append(
                f"Exactly one member of '{path or 'input'}' must be set: one of "
                + ", ".join(self.members))
        return result
