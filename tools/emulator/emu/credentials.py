"""Access key pairs the emulator accepts."""

import json
import threading

DEFAULT_ACCESS_KEY_ID = "AKIDEXAMPLE"
DEFAULT_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"


def load_credentials_file(path):
    """A JSON list of {access_key_id, secret_access_key, session_token?}."""
    with open(path, encoding="utf-8") as handle:
        entries = json.load(handle)
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of credential objects")
    return entries


class CredentialRegistry:
    def __init__(self, extra=()):
        self._lock = threading.Lock()
        self._initial = [{"access_key_id": DEFAULT_ACCESS_KEY_ID,
                          "secret_access_key": DEFAULT_SECRET_ACCESS_KEY}, *extra]
        self.reset()

    def reset(self):
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
            self._pairs[entry["access_key_id"]] = (entry["secret_access_key"], token or None)

    def lookup(self, access_key_id):
        """(secret, session_token or None), or None for an unknown key."""
        with self._lock:
            return self._pairs.get(access_key_id)
