"""What the identity endpoints accept and hand out; set through
POST /_emulator/identity, merged key by key into the current settings."""

import copy
import re
import threading

from ..credentials import ACCOUNT_ID

DEFAULTS = {
    "sts": {
        "duration_seconds": 3600,         # DurationSeconds when a request has none
        "max_session_duration": 43200,    # every role's MaxSessionDuration
        "require_external_id": {},        # role ARN -> the ExternalId it needs
        "deny_roles": [],                 # role ARNs nobody may assume
    },
    "web_identity_tokens": None,          # None: any non-empty token without "invalid"
    "sso_tokens": [],
    "sso_roles": [],
    "container_token": None,              # None: no Authorization check
    "container_role_arn": f"arn:aws:iam::{ACCOUNT_ID}:role/omics-container-role",
    "imds": {"v1_allowed": False, "role": "omics-role", "region": "us-east-1"},
    "expires_in": None,                   # None: STS DurationSeconds, else 3600
}
DEFAULT_LIFETIME = 3600
ACCOUNT_PATTERN = re.compile(r"\d{12}")
ROLE_NAME_PATTERN = re.compile(r"[\w+=,.@-]{1,64}")


class ConfigError(ValueError):
    pass


def _number(value, name, lowest=None, highest=None, integer=True):
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise ConfigError(f"'{name}' must be {'an integer' if integer else 'a number'}")
    if (lowest is not None and value < lowest) or (highest is not None and value > highest):
        raise ConfigError(f"'{name}' must be between {lowest} and {highest}")
    return value


def _string(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"'{name}' must be a non-empty string" + (" or null" if allow_none else ""))
    return value


def _object(value, name):
    if not isinstance(value, dict):
        raise ConfigError(f"'{name}' must be a JSON object")
    return value


class IdentityConfig:
    def __init__(self, clock):
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._settings = copy.deepcopy(DEFAULTS)
            self._web_tokens = None       # token -> expires_at (job clock) or None
            self._sso_tokens = {}

    # --- reading ---------------------------------------------------------------

    def get(self, *path):
        with self._lock:
            value = self._settings
            for key in path:
                value = value[key]
            return copy.deepcopy(value)

    def lifetime(self, default=DEFAULT_LIFETIME):
        """Seconds that credentials issued now live ('expires_in' wins)."""
        expires_in = self.get("expires_in")
        return default if expires_in is None else expires_in

    def web_identity_token(self, token):
        """('ok'|'unknown'|'expired', expires_at) for a registered-token check;
        None when no list is registered (the default rule applies)."""
        with self._lock:
            if self._web_tokens is None:
                return None
            return self._token_state(self._web_tokens, token)

    def sso_token(self, token):
        with self._lock:
            return self._token_state(self._sso_tokens, token)

    def _token_state(self, tokens, token):
        if token not in tokens:
            return "unknown", None
        expires_at = tokens[token]
        if expires_at is not None and expires_at <= self.clock.now():
            return "expired", expires_at
        return "ok", expires_at

    def sso_role_known(self, account_id, role_name):
        return {"account_id": account_id, "role_name": role_name} in self.get("sso_roles")

    def snapshot(self):
        with self._lock:
            settings = copy.deepcopy(self._settings)
            settings["web_identity_tokens"] = None if self._web_tokens is None else \
                self._describe_tokens(self._web_tokens)
            settings["sso_tokens"] = self._describe_tokens(self._sso_tokens)
            return settings

    @staticmethod
    def _describe_tokens(tokens):
        return [{"token": token, "expires_at": expires_at} for token, expires_at in tokens.items()]

    # --- changing ----------------------------------------------------------------

    def update(self, document):
        """Merge a control document in; raises ConfigError (changing nothing) when
        any part is invalid."""
        unknown = set(document) - set(DEFAULTS)
        if unknown:
            raise ConfigError(f"unknown identity settings: {sorted(unknown)}; "
                              f"known: {sorted(DEFAULTS)}")
        with self._lock:
            settings = copy.deepcopy(self._settings)
            web_tokens, sso_tokens = self._web_tokens, self._sso_tokens
            if "sts" in document:
                self._merge_sts(settings["sts"], _object(document["sts"], "sts"))
            if "imds" in document:
                self._merge_imds(settings["imds"], _object(document["imds"], "imds"))
            if "web_identity_tokens" in document:
                value = document["web_identity_tokens"]
                web_tokens = None if value is None else self._tokens(value, "web_identity_tokens")
            if "sso_tokens" in document:
                sso_tokens = self._tokens(document["sso_tokens"], "sso_tokens")
            if "sso_roles" in document:
                settings["sso_roles"] = self._sso_roles(document["sso_roles"])
            if "container_token" in document:
                settings["container_token"] = _string(document["container_token"],
                                                       "container_token", allow_none=True)
            if "container_role_arn" in document:
                settings["container_role_arn"] = _string(document["container_role_arn"],
                                                         "container_role_arn")
            if "expires_in" in document:
                value = document["expires_in"]
                settings["expires_in"] = None if value is None else _number(value, "expires_in")
            self._settings, self._web_tokens, self._sso_tokens = settings, web_tokens, sso_tokens

    @staticmethod
    def _merge_sts(sts, changes):
        for key, value in changes.items():
            if key == "duration_seconds":
                sts[key] = _number(value, "sts.duration_seconds", 900, 43200)
            elif key == "max_session_duration":
                sts[key] = _number(value, "sts.max_session_duration", 3600, 43200)
            elif key == "require_external_id":
                for arn, external_id in _object(value, "sts.require_external_id").items():
                    if external_id is None:
                        sts[key].pop(arn, None)
                    else:
                        sts[key][arn] = _string(external_id, f"sts.require_external_id[{arn}]")
            elif key == "deny_roles":
                if not isinstance(value, list):
                    raise ConfigError("'sts.deny_roles' must be a list of role ARNs")
                sts[key] = [_string(arn, "sts.deny_roles[]") for arn in value]
            else:
                raise ConfigError(f"unknown sts setting {key!r}")

    @staticmethod
    def _merge_imds(imds, changes):
        for key, value in changes.items():
            if key == "v1_allowed":
                if not isinstance(value, bool):
                    raise ConfigError("'imds.v1_allowed' must be true or false")
                imds[key] = value
            elif key == "role":
                if value is not None and not (isinstance(value, str)
                                              and ROLE_NAME_PATTERN.fullmatch(value)):
                    raise ConfigError("'imds.role' must be a role name or null")
                imds[key] = value
            elif key == "region":
                imds[key] = _string(value, "imds.region")
            else:
                raise ConfigError(f"unknown imds setting {key!r}")

    def _tokens(self, value, name):
        """Strings, or {"token", "expires_in"?} objects (negative: already expired)."""
        if not isinstance(value, list):
            raise ConfigError(f"'{name}' must be a list")
        tokens = {}
        for item in value:
            if isinstance(item, str) and item:
                tokens[item] = None
                continue
            item = _object(item, f"{name}[]")
            token = _string(item.get("token"), f"{name}[].token")
            expires_in = item.get("expires_in")
            tokens[token] = None if expires_in is None else \
                self.clock.now() + _number(expires_in, f"{name}[].expires_in", integer=False)
        return tokens

    @staticmethod
    def _sso_roles(value):
        if not isinstance(value, list):
            raise ConfigError("'sso_roles' must be a list")
        roles = []
        for item in value:
            item = _object(item, "sso_roles[]")
            account, role = item.get("account_id"), item.get("role_name")
            if not isinstance(account, str) or not ACCOUNT_PATTERN.fullmatch(account):
                raise ConfigError("'sso_roles[].account_id' must be 12 digits")
            if not isinstance(role, str) or not ROLE_NAME_PATTERN.fullmatch(role):
                raise ConfigError("'sso_roles[].role_name' must be a role name")
            roles.append({"account_id": account, "role_name": role})
        return roles
