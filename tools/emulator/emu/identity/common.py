"""Helpers shared by the identity endpoints."""

import base64
import json
import hashlib
import time
import uuid

from ..credentials import KEY_ALPHABET

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
    """Temporary credentials living `lifetime` seconds from now on the job clock
    (whole seconds, so that the Expiration handed out is exact); 0 or less gives
    credentials that are already expired."""
    expiration = int(emulator.clock.now()) + int(lifetime)
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
