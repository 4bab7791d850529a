"""AWS STS (query protocol, XML answers) at POST / : AssumeRole,
AssumeRoleWithWebIdentity and GetCallerIdentity."""

import json
import re
import uuid
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .. import sigv4
from ..errors import ServiceError
from ..faults import Protocol
from ..messages import Response
from ..model import Problems
from .common import SAMPLE, Endpoint, Refusal, assume, iso8601, jwt_claims, stable_id

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
XML_TYPE = "text/xml"
ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity")
CHAIN_LIMIT = 3600
ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/"
                      r"((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})")
SESSION_NAME = re.compile(r"[\w+=,.@-]*")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*")
# Parameter: (lowest, highest, pattern); the bounds are of the length, or of
# the value for DurationSeconds. Errors name the member: the parameter, uncapitalised.
LIMITS = {"RoleArn": (20, 2048, None), "RoleSessionName": (2, 64, SESSION_NAME),
          "Policy": (1, 2048, None), "SourceIdentity": (2, 64, SESSION_NAME),
          "DurationSeconds": (900, 43200, None), "ExternalId": (2, 1224, EXTERNAL_ID),
          "SerialNumber": (9, 256, None), "TokenCode": (6, 6, None),
          "WebIdentityToken": (4, 20000, None), "ProviderId": (4, 2048, None)}
REQUIRED = ("RoleArn", "RoleSessionName", "WebIdentityToken")
# The parameters each action checks, in the order their problems are reported.
COMMON = ("RoleArn", "RoleSessionName", "Policy", "SourceIdentity", "DurationSeconds")
CHECKED = {"AssumeRole": COMMON + ("ExternalId", "SerialNumber", "TokenCode"),
           "AssumeRoleWithWebIdentity": COMMON + ("WebIdentityToken", "ProviderId")}
STATUS_BY_CODE = {
    **dict.fromkeys(("AccessDenied", "ExpiredToken", "IDPRejectedClaim", "InvalidClientTokenId",
                     "MissingAuthenticationToken", "RegionDisabledException",
                     "SignatureDoesNotMatch"), 403),
    **dict.fromkeys(("ExpiredTokenException", "IDPCommunicationError", "IncompleteSignature",
                     "InvalidAction", "InvalidIdentityToken", "InvalidParameterValue",
                     "MalformedPolicyDocument", "MissingAction", "MissingParameter",
                     "PackedPolicyTooLarge", "Throttling", "ValidationError"), 400),
    "InternalFailure": 500, "ServiceUnavailable": 503}
# The front end's codes for what sigv4.verify finds wrong, in STS's words
# (any other is InvalidClientTokenId).
SIGV4_CODES = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken",
                                            "Request is missing Authentication Token"),
    "IncompleteSignatureException": ("IncompleteSignature", None),
    "InvalidSignatureException": ("SignatureDoesNotMatch", None),
    "ExpiredTokenException": ("ExpiredToken", None)}
INVALID_TOKEN_MESSAGE = ("The web identity token that was passed could not be validated by AWS. "
                         "Get a new identity token from the identity provider and then retry "
                         "the request.")


def xml_elements(pairs, indent):
    """<Name>text</Name> lines; a list value nests its own pairs."""
    pad = " " * indent
    return "".join(f"{pad}<{name}>\n{xml_elements(value, indent + 2)}{pad}</{name}>\n"
                   if isinstance(value, list) else f"{pad}<{name}>{escape(str(value))}</{name}>\n"
                   for name, value in pairs if value is not None)


def xml_document(root, pairs):
    return f'<{root} xmlns="{NAMESPACE}">\n{xml_elements(pairs, 2)}</{root}>\n'.encode("utf-8")


def xml_response(status, root, pairs, rid):
    return Response(status, [("Content-Type", XML_TYPE), ("x-amzn-RequestId", rid)],
                    xml_document(root, pairs))


def xml_error(status, code, message):
    rid = str(uuid.uuid4())
    error = [("Type", "Receiver" if status >= 500 else "Sender"), ("Code", code),
             ("Message", message)]
    return xml_response(status, "ErrorResponse", [("Error", error), ("RequestId", rid)], rid)


def xml_answer(action, result_pairs):
    rid = str(uuid.uuid4())
    return xml_response(200, f"{action}Response", [
        (f"{action}Result", result_pairs), ("ResponseMetadata", [("RequestId", rid)])], rid)


def credential_pairs(credential):
    return [("AccessKeyId", credential.access_key_id), ("SecretAccessKey", credential.secret),
            ("SessionToken", credential.session_token),
            ("Expiration", iso8601(credential.expiration))]


def form_params(request):
    """Query parameters and, for a form body, its fields (the body wins)."""
    params = dict(parse_qsl(request.query, keep_blank_values=True))
    content_type = (request.header("Content-Type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(request.body.decode("utf-8", errors="replace"),
                                keep_blank_values=True))
    return params


def check_params(action, params):
    """The action's parameters checked, their problems gathered into one
    ValidationError as AWS words it; DurationSeconds as a number, or None."""
    problems = Problems()
    problems.error = lambda message: Refusal("ValidationError", message)
    for name in CHECKED[action]:
        (low, high, pattern), member = LIMITS[name], name[0].lower() + name[1:]
        value = params.get(name)
        if value is None:
            if name in REQUIRED:
                problems.add(None, member, "Member must not be null")
            continue
        measure, what = len(value), "length"
        if name == "DurationSeconds":
            try:
                value = measure = int(value)
            except ValueError:
                problems.add(value, member, "Member must be an integer")
                continue
            what = "value"
        if measure < low:
            problems.add(value, member, f"Member must have {what} greater than or equal to {low}")
        elif measure > high:
            problems.add(value, member, f"Member must have {what} less than or equal to {high}")
        elif pattern is not None and not pattern.fullmatch(value):
            problems.add(value, member,
                         f"Member must satisfy regular expression pattern: {pattern.pattern}")
    problems.raise_if_any()
    return None if "DurationSeconds" not in params else int(params["DurationSeconds"])


def policy_size(policy):
    """PackedPolicySize (in percent) of a session policy, None without one."""
    if policy is None:
        return None
    try:
        document = json.loads(policy)
    except ValueError:
        raise Refusal("MalformedPolicyDocument",
                      "The policy is not in the valid JSON format.") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise Refusal("MalformedPolicyDocument", "Syntax errors in policy.")
    return max(1, len(policy) * 100 // 2048)


class StsEndpoint(Endpoint):
    protocol = Protocol(xml_error, (XML_TYPE, xml_document("AssumeRoleResponse", [
        ("AssumeRoleResult", [("Credentials", credential_pairs(SAMPLE))])])),
        f'<AssumeRoleResponse xmlns="{NAMESPACE}">\n  <AssumeRoleResult>\n'
        '    <Credentials>\n      <AccessKeyId>ASIA'.encode(), STATUS_BY_CODE, "InternalFailure",
        (XML_TYPE, b""))

    @staticmethod
    def owns(request):
        return request.raw_path == "/"

    @staticmethod
    def operation(request):
        action = form_params(request).get("Action")
        return action if action in ACTIONS else None

    def answer(self, request, operation, entry):
        params = form_params(request)
        action, version = params.get("Action"), params.get("Version")
        if not action:
            raise Refusal("MissingAction", "Missing Action")
        if version is None:
            raise Refusal("MissingParameter", "The request must contain the parameter Version")
        if request.method not in ("POST", "GET") or action not in ACTIONS or version != VERSION:
            raise Refusal("InvalidAction",
                          f"Could not find operation {action} for version {version}")
        if action == "AssumeRoleWithWebIdentity":
            return self.assume_role_with_web_identity(params)
        caller = self._verify(request, entry)
        if action == "AssumeRole":
            return self.assume_role(params, caller)
        account = caller.principal_arn.split(":")[4] or "123456789012"
        return xml_answer("GetCallerIdentity", [
            ("Arn", caller.principal_arn), ("UserId", caller.user_id), ("Account", account)])

    def _verify(self, request, entry):
        """The credential that signed the request (for service sts)."""
        emulator = self.emulator
        try:
            identity = sigv4.verify(request, emulator.credentials.lookup, service="sts",
                                    credential_now=emulator.clock.now)
        except ServiceError as error:
            emulator.stats.count("auth_failures")
            entry.update(getattr(error, "notes", {}))
            code, message = SIGV4_CODES.get(error.code, ("InvalidClientTokenId", None))
            raise Refusal(code, message or error.message) from None
        return identity.credential

    def _role(self, action, params):
        """The request checked: (DurationSeconds or None, the role ARN's match,
        PackedPolicySize)."""
        duration = check_params(action, params)
        role = ROLE_ARN.fullmatch(params["RoleArn"])
        if role is None:
            raise Refusal("ValidationError", f"{params['RoleArn']} is invalid")
        return duration, role, policy_size(params.get("Policy"))

    def _session(self, action, params, duration):
        """(credential, assumed-role ARN, assumed role id) of the role session
        asked for, living DurationSeconds or as the settings say."""
        config = self.emulator.identity_config
        sts = config.get("sts")
        if duration is not None and duration > sts["max_session_duration"]:
            raise Refusal("ValidationError", "The requested DurationSeconds exceeds the "
                          "MaxSessionDuration set for this role.")
        lifetime = config.lifetime(duration if duration is not None else sts["duration_seconds"])
        return assume(self.emulator, params["RoleArn"], params["RoleSessionName"], action,
                      lifetime)

    def assume_role(self, params, caller):
        duration, _, packed = self._role("AssumeRole", params)
        if "SerialNumber" in params or "TokenCode" in params:
            raise Refusal("AccessDenied", "MFA is not supported by this emulator "
                          "(SerialNumber and TokenCode are refused).")
        sts, role_arn = self.emulator.identity_config.get("sts"), params["RoleArn"]
        wanted = sts["require_external_id"].get(role_arn)
        if role_arn in sts["deny_roles"] or wanted not in (None, params.get("ExternalId")):
            raise Refusal("AccessDenied", f"User: {caller.principal_arn} is not authorized to "
                          f"perform: sts:AssumeRole on resource: {role_arn}")
        # every credential an identity endpoint issues is a role session: role chaining
        if caller.source != "static" and duration is not None and duration > CHAIN_LIMIT:
            raise Refusal("ValidationError", "The requested DurationSeconds exceeds the "
                          "1 hour session limit for roles assumed by role chaining.")
        credential, assumed_arn, assumed_id = self._session("AssumeRole", params, duration)
        return xml_answer("AssumeRole", [
            ("Credentials", credential_pairs(credential)),
            ("AssumedRoleUser", [("AssumedRoleId", assumed_id), ("Arn", assumed_arn)]),
            ("PackedPolicySize", packed), ("SourceIdentity", params.get("SourceIdentity"))])

    def assume_role_with_web_identity(self, params):
        duration, role, packed = self._role("AssumeRoleWithWebIdentity", params)
        token = params["WebIdentityToken"]
        claims = self._check_web_token(token)
        if params["RoleArn"] in self.emulator.identity_config.get("sts", "deny_roles"):
            raise Refusal("AccessDenied",
                          "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        credential, assumed_arn, assumed_id = self._session("AssumeRoleWithWebIdentity", params,
                                                            duration)
        issuer = str(claims.get("iss") or "https://oidc.emulator.local")
        audience = claims.get("aud") or "sts.amazonaws.com"
        audience = audience[0] if isinstance(audience, list) else audience   # (never empty)
        provider = params.get("ProviderId") or (
            f"arn:{role.group(1)}:iam::{role.group(2)}:oidc-provider/"
            + re.sub(r"^https?://", "", issuer))
        return xml_answer("AssumeRoleWithWebIdentity", [
            ("SubjectFromWebIdentityToken", claims.get("sub") or stable_id("", token, 24).lower()),
            ("Audience", audience),
            ("AssumedRoleUser", [("Arn", assumed_arn), ("AssumedRoleId", assumed_id)]),
            ("Credentials", credential_pairs(credential)), ("Provider", provider),
            ("PackedPolicySize", packed), ("SourceIdentity", params.get("SourceIdentity"))])

    def _check_web_token(self, token):
        """The token's claims, if it is accepted."""
        now, config = self.emulator.clock.now(), self.emulator.identity_config
        state = config.token_state("web_identity_tokens", token)
        if state is None:                    # no list registered: the default rule
            if "invalid" in token.lower():
                raise Refusal("InvalidIdentityToken", INVALID_TOKEN_MESSAGE)
            expires_at = None
        else:
            verdict, expires_at = state
            if verdict == "unknown":
                raise Refusal("InvalidIdentityToken", INVALID_TOKEN_MESSAGE)
        claims = jwt_claims(token)
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            expires_at = exp if expires_at is None else min(exp, expires_at)
        if expires_at is not None and expires_at <= now:
            raise Refusal("ExpiredTokenException",
                          f"Token expired: current date/time {int(now)} must be before the "
                          f"expiration date/time {int(expires_at)}")
        return claims
