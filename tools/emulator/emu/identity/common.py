"""Helpers shared by the identity endpoints."""

import base64
import math
import json
import hashlib
import time
import uuid

from ..credentials import KEY_ALPHABET
from ..messages import Response

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def iso8601(seconds):
    return time.strftime(ISO_FORMAT, time.gmtime(seconds))


def stable_id(prefix, text, length=17):
    """An AWS-looking unique id (AROA..., AIDA...) that is the same for the same text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return prefix + "".join(KEY_ALPHABET[byte % 32] for byte in digest[:length])


def request_id():
    return str(uuid.uuid4())


def issue(emulator, lifetime, principal_arn, source, user_id):
    """Temporary credentials living at least `lifetime` seconds from now on the
    job clock (whole seconds, rounded up so that the Expiration handed out is
    exact and never earlier than promised); 0 or less gives credentials that
    are already expired."""
    now = emulator.clock.now()
    lifetime = int(lifetime)
    expiration = (math.ceil(now) if lifetime > 0 else math.floor(now)) + lifetime
    return emulator.credentials.issue(expiration, principal_arn, source, user_id)


def jwt_claims(token):
    """The claims of a JWT (the signature is not checked), or {} for other tokens."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    try:
        payload = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return claims if isinstance(claims, dict) else {}


class Protocol:
    """How injected faults look on an identity endpoint: error(status, code,
    message) -> Response, status_for(code), default_code, sample (content
    type, complete body) and malformed (a cut-short body)."""
    default_code = "InternalServerError"
    statuses = {}                     # code -> HTTP status; others are 500
    empty = ("application/json", b"{}")  # the answer to an error without a code

    def status_for(self, code):
        return self.statuses.get(code, 500)

    def error(self, status, code, message):
        if code is None:
            return Response(status, [("Content-Type", self.empty[0])], self.empty[1])
        return self.coded_error(status, code, message)


class Endpoint:
    """An identity endpoint: the requests whose path starts with prefix."""
    prefix = None

    def __init__(self, emulator):
        self.emulator = emulator

    def owns(self, request):
        return request.raw_path.startswith(self.prefix)
