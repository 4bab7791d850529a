"""What the identity endpoints accept and hand out; set through
POST /_emulator/identity, merged key by key into the current settings.

Each setting has a rule: rule(value, name, old value, now) -> the new value,
or ConfigError naming the setting."""

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
    "sso_tokens": [],                     # [{"token", "expires_at" (job clock) or None}]
    "sso_roles": [],
    "container_token": None,              # None: no Authorization check
    "container_role_arn": f"arn:aws:iam::{ACCOUNT_ID}:role/omics-container-role",
    "imds": {"v1_allowed": False, "role": "omics-role", "region": "us-east-1"},
    "expires_in": None}                   # None: STS DurationSeconds, else 3600
DEFAULT_LIFETIME = 3600
ACCOUNT_PATTERN = re.compile(r"\d{12}")
ROLE_NAME_PATTERN = re.compile(r"[\w+=,.@-]{1,64}")


class ConfigError(ValueError):
    pass


def _object(value, name):
    if not isinstance(value, dict):
        raise ConfigError(f"'{name}' must be a JSON object")
    return value


def number(low=None, high=None, integer=True, nullable=False):
    def rule(value, name, old=None, now=None):
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int,) if integer else (int, float)):
            raise ConfigError(f"'{name}' must be {'an integer' if integer else 'a number'}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ConfigError(f"'{name}' must be between {low} and {high}")
        return value
    return rule


def text(nullable=False, pattern=None, what="a non-empty string"):
    def rule(value, name, old=None, now=None):
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value or (pattern and not pattern.fullmatch(value)):
            raise ConfigError(f"'{name}' must be {what}" + (" or null" if nullable else ""))
        return value
    return rule


def flag(value, name, old=None, now=None):
    if not isinstance(value, bool):
        raise ConfigError(f"'{name}' must be true or false")
    return value


def section(rules):
    """An object merged key by key into the old one."""
    def rule(value, name, old, now):
        unknown = set(_object(value, name or "identity")) - set(rules)
        if unknown:
            raise ConfigError(f"unknown {name or 'identity'} settings: {sorted(unknown)}; "
                              f"known: {sorted(rules)}")
        merged = dict(old)
        for key, item in value.items():
            merged[key] = rules[key](item, f"{name}.{key}" if name else key, merged[key], now)
        return merged
    return rule


def listed(item_rule, nullable=False):
    def rule(value, name, old, now):
        if value is None and nullable:
            return None
        if not isinstance(value, list):
            raise ConfigError(f"'{name}' must be a list")
        return [item_rule(item, f"{name}[]", None, now) for item in value]
    return rule


def token(value, name, old, now):
    """A string, or {"token", "expires_in"?} (negative: already expired)."""
    if isinstance(value, str) and value:
        return {"token": value, "expires_at": None}
    value = _object(value, name)
    found = text()(value.get("token"), f"{name}.token")
    expires_in = number(integer=False, nullable=True)(value.get("expires_in"),
                                                      f"{name}.expires_in")
    return {"token": found, "expires_at": None if expires_in is None else now + expires_in}


def sso_role(value, name, old, now):
    value = _object(value, name)
    return {"account_id": text(pattern=ACCOUNT_PATTERN, what="12 digits")(
                value.get("account_id"), f"{name}.account_id"),
            "role_name": text(pattern=ROLE_NAME_PATTERN, what="a role name")(
                value.get("role_name"), f"{name}.role_name")}


def external_ids(value, name, old, now):
    """Role ARN -> ExternalId, merged in; null removes a role's."""
    merged = dict(old)
    for arn, external_id in _object(value, name).items():
        if external_id is None:
            merged.pop(arn, None)
        else:
            merged[arn] = text()(external_id, f"{name}[{arn}]")
    return merged


RULES = section({
    "sts": section({"duration_seconds": number(900, 43200),
                    "max_session_duration": number(3600, 43200),
                    "require_external_id": external_ids,
                    "deny_roles": listed(text())}),
    "imds": section({"v1_allowed": flag,
                     "role": text(nullable=True, pattern=ROLE_NAME_PATTERN, what="a role name"),
                     "region": text()}),
    "web_identity_tokens": listed(token, nullable=True),
    "sso_tokens": listed(token),
    "sso_roles": listed(sso_role),
    "container_token": text(nullable=True),
    "container_role_arn": text(),
    "expires_in": number(nullable=True),
})


class IdentityConfig:
    def __init__(self, clock):
        self.clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._settings = copy.deepcopy(DEFAULTS)
            self.imds_tokens = {}     # IMDS session token -> expires_at (job clock)

    def get(self, *path):
        with self._lock:
            value = self._settings
            for key in path:
                value = value[key]
            return copy.deepcopy(value)

    def update(self, document):
        """Merge a control document in; raises ConfigError (changing nothing)
        when any part is invalid."""
        with self._lock:
            self._settings = RULES(document, "", copy.deepcopy(self._settings), self.clock.now())

    def lifetime(self, default=DEFAULT_LIFETIME):
        """Seconds that credentials issued now live ('expires_in' wins)."""
        expires_in = self.get("expires_in")
        return default if expires_in is None else expires_in

    def token_state(self, setting, value):
        """('ok'|'unknown'|'expired', expires_at) of a token by the list of a
        setting (web_identity_tokens, sso_tokens); None without a list."""
        tokens = self.get(setting)
        if tokens is None:
            return None
        found = [t["expires_at"] for t in tokens if t["token"] == value]
        if not found:
            return "unknown", None
        if found[-1] is not None and found[-1] <= self.clock.now():
            return "expired", found[-1]
        return "ok", found[-1]

    def sso_role_known(self, account_id, role_name):
        return {"account_id": account_id, "role_name": role_name} in self.get("sso_roles")
