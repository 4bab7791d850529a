"""Access key pairs the emulator accepts, long-term and temporary."""

import json
import secrets
import threading
from dataclasses import dataclass

DEFAULT_ACCESS_KEY_ID = "AKIDEXAMPLE"
DEFAULT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ACCOUNT_ID = "123456789012"
DEFAULT_PRINCIPAL_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/emulator"
KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def load_credentials_file(path):
    """A JSON list of {access_key_id, secret_access_key, session_token?}."""
    with open(path, encoding="utf-8") as handle:
        entries = json.load(handle)
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of credential objects")
    return entries


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    secret: str
    session_token: str = None
    expiration: float = None          # seconds since the epoch, job clock; None: never
    principal_arn: str = DEFAULT_PRINCIPAL_ARN
    source: str = "static"            # static, AssumeRole, AssumeRoleWithWebIdentity, ...
    user_id: str = "AIDAEMULATOREXAMPLE01"


class CredentialRegistry:
    def __init__(self, extra=()):
        self._lock = threading.Lock()
        self._initial = [{"access_key_id": DEFAULT_ACCESS_KEY_ID,
                          "secret_access_key": DEFAULT_SECRET_ACCESS_KEY}, *extra]
        self.reset()

    def reset(self):
        """Back to the pairs given at start; issued temporary ones are forgotten."""
        with self._lock:
            self._pairs = {}
        for entry in self._initial:
            self.add(entry)

    def add(self, entry):
        """Accept a pair; raises ValueError if the entry is malformed."""
        if not isinstance(entry, dict):
            raise ValueError("credentials must be a JSON object")
        for name in ("access_key_id", "secret_access_key"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                raise ValueError(f"credentials need a non-empty string {name}")
        token = entry.get("session_token")
        if token is not None and not isinstance(token, str):
            raise ValueError("session_token must be a string")
        with self._lock:
            self._pairs[entry["access_key_id"]] = Credential(
                entry["access_key_id"], entry["secret_access_key"], token or None)

    def issue(self, expiration, principal_arn, source, user_id):
        """A new temporary credential (ASIA... key, secret, session token), accepted
        until `expiration` (job clock)."""
        secret = secrets.token_urlsafe(30)[:40].replace("-", "+").replace("_", "/")
        token = "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(270).replace("-", "+").replace("_", "/")
        with self._lock:
            while True:
                key = "ASIA" + "".join(secrets.choice(KEY_ALPHABET) for _ in range(16))
                if key not in self._pairs:
                    break
            credential = Credential(key, secret, token, expiration, principal_arn, source, user_id)
            self._pairs[key] = credential
        return credential

    def lookup(self, access_key_id):
        """The Credential for an access key id, or None for an unknown key."""
        with self._lock:
            return self._pairs.get(access_key_id)
