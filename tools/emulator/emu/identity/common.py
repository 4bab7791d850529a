"""Helpers shared by the identity endpoints."""

import base64
import hashlib
import json
import math
import time

from ..credentials import KEY_ALPHABET, Credential

# The credentials of the sample answers that faults send (never accepted).
SAMPLE = Credential("ASIAEMULATORSAMPLE00", "sampleSecretAccessKeyThatIsNotAccepted0",
                    "sampleSessionToken", 1893456000)      # 2030-01-01T00:00:00Z


class Refusal(Exception):
    """An error answer in the endpoint's protocol; status None: the
    protocol's status for the code."""

    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class Endpoint:
    """An identity endpoint: the requests whose path starts with prefix."""
    prefix = None

    def __init__(self, emulator):
        self.emulator = emulator

    def owns(self, request):
        return request.raw_path.startswith(self.prefix)


def iso8601(seconds):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def stable_id(prefix, text, length=17):
    """An AWS-looking unique id (AROA..., AIDA...) that is the same for the same text."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return prefix + "".join(KEY_ALPHABET[byte % 32] for byte in digest[:length])


def issue(emulator, lifetime, principal_arn, source, user_id):
    """Temporary credentials living at least `lifetime` seconds from now on the
    job clock (whole seconds, rounded up so that the Expiration handed out is
    exact and never earlier than promised); 0 or less gives credentials that
    are already expired."""
    now = emulator.clock.now()
    lifetime = int(lifetime)
    expiration = (math.ceil(now) if lifetime > 0 else math.floor(now)) + lifetime
    return emulator.credentials.issue(expiration, principal_arn, source, user_id)


def assume(emulator, role_arn, session, source, lifetime):
    """Credentials of a session of the role: (credential, assumed-role ARN,
    assumed role id); the partition and account come from the role's ARN."""
    fields = role_arn.split(":") + [""] * 5
    name = role_arn.rsplit("/", 1)[-1]
    assumed_arn = f"arn:{fields[1] or 'aws'}:sts::{fields[4]}:assumed-role/{name}/{session}"
    assumed_id = f"{stable_id('AROA', role_arn)}:{session}"
    return issue(emulator, lifetime, assumed_arn, source, assumed_id), assumed_arn, assumed_id


def credential_json(credential):
    """The members of credentials as container credentials and IMDS show them."""
    return {"AccessKeyId": credential.access_key_id, "SecretAccessKey": credential.secret,
            "Token": credential.session_token, "Expiration": iso8601(credential.expiration)}


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
