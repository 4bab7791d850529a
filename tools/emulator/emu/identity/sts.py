"""AWS STS (query protocol, XML answers) at POST / : AssumeRole,
AssumeRoleWithWebIdentity and GetCallerIdentity."""

import json
import re
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from .. import sigv4
from ..errors import ServiceError
from ..messages import Response
from ..model import Problems
from .common import Endpoint, Protocol, issue, iso8601, jwt_claims, request_id, stable_id

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"
VERSION = "2011-06-15"
XML_TYPE = "text/xml"
ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity")
MIN_DURATION, MAX_DURATION, CHAIN_LIMIT = 900, 43200, 3600
ROLE_ARN = re.compile(r"arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/"
                      r"((?:[\w+=,.@-]+/)*)([\w+=,.@-]{1,64})")
SESSION_NAME = re.compile(r"[\w+=,.@-]*")
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]*")
STATUS_BY_CODE = {
    **dict.fromkeys(("AccessDenied", "ExpiredToken", "IDPRejectedClaim", "InvalidClientTokenId",
                     "MissingAuthenticationToken", "RegionDisabledException",
                     "SignatureDoesNotMatch"), 403),
    **dict.fromkeys(("ExpiredTokenException", "IDPCommunicationError", "IncompleteSignature",
                     "InvalidAction", "InvalidIdentityToken", "InvalidParameterValue",
                     "MalformedPolicyDocument", "MissingAction", "MissingParameter",
                     "PackedPolicyTooLarge", "Throttling", "ValidationError"), 400),
    "InternalFailure": 500, "ServiceUnavailable": 503,
}
# The front end's codes for what sigv4.verify finds wrong, in STS's words.
SIGV4_CODES = {
    "MissingAuthenticationTokenException": ("MissingAuthenticationToken",
                                            "Request is missing Authentication Token"),
    "IncompleteSignatureException": ("IncompleteSignature", None),
    "InvalidSignatureException": ("SignatureDoesNotMatch", None),
    "UnrecognizedClientException": ("InvalidClientTokenId", None),
    "ExpiredTokenException": ("ExpiredToken", None),
}
INVALID_TOKEN_MESSAGE = ("The web identity token that was passed could not be validated by AWS. "
                         "Get a new identity token from the identity provider and then retry "
                         "the request.")


class StsError(Exception):
    def __init__(self, code, message, status=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS_BY_CODE.get(code, 400)


def xml_error(status, code, message, rid=None):
    rid = rid or request_id()
    kind = "Receiver" if status >= 500 else "Sender"
    body = (f'<ErrorResponse xmlns="{NAMESPACE}">\n  <Error>\n    <Type>{kind}</Type>\n'
            f'    <Code>{escape(code)}</Code>\n    <Message>{escape(message)}</Message>\n'
            f'  </Error>\n  <RequestId>{rid}</RequestId>\n</ErrorResponse>\n')
    return Response(status, [("Content-Type", XML_TYPE), ("x-amzn-RequestId", rid)],
                    body.encode("utf-8"))


def xml_elements(pairs, indent):
    """<Name>text</Name> lines; a list value nests its own pairs."""
    pad = " " * indent
    return "".join(f"{pad}<{name}>\n{xml_elements(value, indent + 2)}{pad}</{name}>\n"
                   if isinstance(value, list) else f"{pad}<{name}>{escape(str(value))}</{name}>\n"
                   for name, value in pairs if value is not None)


def xml_answer(action, result_pairs):
    rid = request_id()
    body = (f'<{action}Response xmlns="{NAMESPACE}">\n  <{action}Result>\n'
            f'{xml_elements(result_pairs, 4)}  </{action}Result>\n'
            f'  <ResponseMetadata>\n    <RequestId>{rid}</RequestId>\n  </ResponseMetadata>\n'
            f'</{action}Response>\n')
    return Response(200, [("Content-Type", XML_TYPE), ("x-amzn-RequestId", rid)],
                    body.encode("utf-8"))


class StsProtocol(Protocol):
    default_code = "InternalFailure"
    statuses = STATUS_BY_CODE
    empty = (XML_TYPE, b"")
    coded_error = staticmethod(xml_error)
    sample = (XML_TYPE, (
        f'<AssumeRoleResponse xmlns="{NAMESPACE}">\n  <AssumeRoleResult>\n    <Credentials>\n'
        '      <AccessKeyId>ASIAEMULATORSAMPLE00</AccessKeyId>\n'
        '      <SecretAccessKey>sampleSecretAccessKeyThatIsNotAccepted0</SecretAccessKey>\n'
        '      <SessionToken>sampleSessionToken</SessionToken>\n'
        '      <Expiration>2030-01-01T00:00:00Z</Expiration>\n    </Credentials>\n'
        '  </AssumeRoleResult>\n</AssumeRoleResponse>\n').encode())
    malformed = (f'<AssumeRoleResponse xmlns="{NAMESPACE}">\n  <AssumeRoleResult>\n'
                 '    <Credentials>\n      <AccessKeyId>ASIA').encode()


class Validation(Problems):
    """Constraint violations gathered into one ValidationError, as AWS words it."""

    @staticmethod
    def error(message):
        return StsError("ValidationError", message)

    def text(self, params, name, member, low, high, pattern=None, required=False):
        value = params.get(name)
        if value is None:
            if required:
                self.add(None, member, "Member must not be null")
            return value
        if len(value) < low:
            self.add(value, member, f"Member must have length greater than or equal to {low}")
        elif len(value) > high:
            self.add(value, member, f"Member must have length less than or equal to {high}")
        elif pattern is not None and not pattern.fullmatch(value):
            self.add(value, member,
                     f"Member must satisfy regular expression pattern: {pattern.pattern}")
        return value

    def duration(self, params, highest=MAX_DURATION):
        text = params.get("DurationSeconds")
        if text is None:
            return None
        try:
            value = int(text)
        except ValueError:
            self.add(text, "durationSeconds", "Member must be an integer")
            return None
        if value < MIN_DURATION:
            self.add(value, "durationSeconds",
                     f"Member must have value greater than or equal to {MIN_DURATION}")
        elif value > highest:
            self.add(value, "durationSeconds",
                     f"Member must have value less than or equal to {highest}")
        return value


def form_params(request):
    """Query parameters and, for a form body, its fields (the body wins)."""
    params = dict(parse_qsl(request.query, keep_blank_values=True))
    content_type = (request.header("Content-Type") or "").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        params.update(parse_qsl(request.body.decode("utf-8", errors="replace"),
                                keep_blank_values=True))
    return params


class StsEndpoint(Endpoint):
    protocol = StsProtocol()

    @staticmethod
    def owns(request):
        return request.raw_path == "/"

    @staticmethod
    def operation(request):
        action = form_params(request).get("Action")
        return action if action in ACTIONS else None

    def answer(self, request, operation, entry):
        rid = request_id()
        try:
            params = form_params(request)
            action, version = params.get("Action"), params.get("Version")
            if not action:
                raise StsError("MissingAction", "Missing Action")
            if version is None:
                raise StsError("MissingParameter",
                               "The request must contain the parameter Version")
            if request.method not in ("POST", "GET") or action not in ACTIONS \
                    or version != VERSION:
                raise StsError("InvalidAction",
                               f"Could not find operation {action} for version {version}")
            if action == "AssumeRoleWithWebIdentity":
                return self.assume_role_with_web_identity(params)
            caller = self._verify(request, entry)
            if action == "AssumeRole":
                return self.assume_role(params, caller)
            return self.get_caller_identity(caller)
        except StsError as error:
            return xml_error(error.status, error.code, error.message, rid)

    # --- signature ---------------------------------------------------------------

    def _verify(self, request, entry):
        emulator = self.emulator
        try:
            identity = sigv4.verify(request, emulator.credentials.lookup, service="sts",
                                    credential_now=emulator.clock.now)
        except ServiceError as error:
            emulator.stats.auth_failed()
            if isinstance(error, sigv4.SignatureMismatch):
                entry["expected_canonical_request"] = error.canonical_request
                entry["expected_string_to_sign"] = error.string_to_sign
            code, message = SIGV4_CODES.get(error.code, ("InvalidClientTokenId", None))
            raise StsError(code, message or error.message) from None
        return identity.credential

    # --- actions -------------------------------------------------------------------

    def _common(self, params, problems):
        role_arn = problems.text(params, "RoleArn", "roleArn", 20, 2048, required=True)
        session = problems.text(params, "RoleSessionName", "roleSessionName", 2, 64,
                                SESSION_NAME, required=True)
        policy = problems.text(params, "Policy", "policy", 1, 2048)
        problems.text(params, "SourceIdentity", "sourceIdentity", 2, 64, SESSION_NAME)
        return role_arn, session, policy

    @staticmethod
    def _role(role_arn):
        match = ROLE_ARN.fullmatch(role_arn)
        if match is None:
            raise StsError("ValidationError", f"{role_arn} is invalid")
        partition, account, _path, name = match.groups()
        return partition, account, name

    @staticmethod
    def _check_policy(policy):
        if policy is None:
            return None
        try:
            document = json.loads(policy)
        except ValueError:
            raise StsError("MalformedPolicyDocument", "The policy is not in the valid JSON format.") \
                from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise StsError("MalformedPolicyDocument", "Syntax errors in policy.")
        return max(1, len(policy) * 100 // 2048)      # PackedPolicySize, in percent

    def _duration(self, requested):
        sts = self.emulator.identity_config.get("sts")
        if requested is not None and requested > sts["max_session_duration"]:
            raise StsError("ValidationError", "The requested DurationSeconds exceeds the "
                           "MaxSessionDuration set for this role.")
        return self.emulator.identity_config.lifetime(
            requested if requested is not None else sts["duration_seconds"])

    def _assumed(self, role_arn, session):
        """The assumed-role ARN and AssumedRoleId of a role session."""
        partition, account, name = self._role(role_arn)
        role_id = stable_id("AROA", role_arn)
        assumed_arn = f"arn:{partition}:sts::{account}:assumed-role/{name}/{session}"
        return assumed_arn, f"{role_id}:{session}"

    @staticmethod
    def _credentials_xml(credential):
        return [("AccessKeyId", credential.access_key_id),
                ("SecretAccessKey", credential.secret),
                ("SessionToken", credential.session_token),
                ("Expiration", iso8601(credential.expiration))]

    def assume_role(self, params, caller):
        problems = Validation()
        role_arn, session, policy = self._common(params, problems)
        duration = problems.duration(params)
        external_id = problems.text(params, "ExternalId", "externalId", 2, 1224, EXTERNAL_ID)
        problems.text(params, "SerialNumber", "serialNumber", 9, 256)
        problems.text(params, "TokenCode", "tokenCode", 6, 6)
        problems.raise_if_any()
        self._role(role_arn)
        packed = self._check_policy(policy)
        if "SerialNumber" in params or "TokenCode" in params:
            raise StsError("AccessDenied", "MFA is not supported by this emulator "
                           "(SerialNumber and TokenCode are refused).")
        sts = self.emulator.identity_config.get("sts")
        refused = (f"User: {caller.principal_arn} is not authorized to perform: "
                   f"sts:AssumeRole on resource: {role_arn}")
        if role_arn in sts["deny_roles"]:
            raise StsError("AccessDenied", refused)
        wanted = sts["require_external_id"].get(role_arn)
        if wanted is not None and external_id != wanted:
            raise StsError("AccessDenied", refused)
        if caller.is_role_session and duration is not None and duration > CHAIN_LIMIT:
            raise StsError("ValidationError", "The requested DurationSeconds exceeds the "
                           "1 hour session limit for roles assumed by role chaining.")
        lifetime = self._duration(duration)
        assumed_arn, assumed_id = self._assumed(role_arn, session)
        credential = issue(self.emulator, lifetime, assumed_arn, "AssumeRole", assumed_id)
        return xml_answer("AssumeRole", [
            ("Credentials", self._credentials_xml(credential)),
            ("AssumedRoleUser", [("AssumedRoleId", assumed_id), ("Arn", assumed_arn)]),
            ("PackedPolicySize", packed),
            ("SourceIdentity", params.get("SourceIdentity")),
        ])

    def assume_role_with_web_identity(self, params):
        problems = Validation()
        role_arn, session, policy = self._common(params, problems)
        duration = problems.duration(params)
        token = problems.text(params, "WebIdentityToken", "webIdentityToken", 4, 20000,
                              required=True)
        provider_id = problems.text(params, "ProviderId", "providerId", 4, 2048)
        problems.raise_if_any()
        partition, account, _ = self._role(role_arn)
        packed = self._check_policy(policy)
        claims = self._check_web_token(token)
        if role_arn in self.emulator.identity_config.get("sts", "deny_roles"):
            raise StsError("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        lifetime = self._duration(duration)
        assumed_arn, assumed_id = self._assumed(role_arn, session)
        credential = issue(self.emulator, lifetime, assumed_arn, "AssumeRoleWithWebIdentity",
                           assumed_id)
        issuer = str(claims.get("iss") or "https://oidc.emulator.local")
        audience = claims.get("aud") or "sts.amazonaws.com"
        if isinstance(audience, list):
            audience = audience[0] if audience else "sts.amazonaws.com"
        subject = claims.get("sub") or stable_id("", token, 24).lower()
        provider = provider_id or (f"arn:{partition}:iam::{account}:oidc-provider/"
                                   + re.sub(r"^https?://", "", issuer))
        return xml_answer("AssumeRoleWithWebIdentity", [
            ("SubjectFromWebIdentityToken", subject),
            ("Audience", audience),
            ("AssumedRoleUser", [("Arn", assumed_arn), ("AssumedRoleId", assumed_id)]),
            ("Credentials", self._credentials_xml(credential)),
            ("Provider", provider),
            ("PackedPolicySize", packed),
            ("SourceIdentity", params.get("SourceIdentity")),
        ])

    def _check_web_token(self, token):
        now = self.emulator.clock.now()
        state = self.emulator.identity_config.web_identity_token(token)
        if state is None:                    # no list registered: the default rule
            if "invalid" in token.lower():
                raise StsError("InvalidIdentityToken", INVALID_TOKEN_MESSAGE)
            expires_at = None
        else:
            verdict, expires_at = state
            if verdict == "unknown":
                raise StsError("InvalidIdentityToken", INVALID_TOKEN_MESSAGE)
        claims = jwt_claims(token)
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            expires_at = exp if expires_at is None else min(exp, expires_at)
        if expires_at is not None and expires_at <= now:
            raise StsError("ExpiredTokenException",
                           f"Token expired: current date/time {int(now)} must be before the "
                           f"expiration date/time {int(expires_at)}")
        return claims

    @staticmethod
    def get_caller_identity(caller):
        account = caller.principal_arn.split(":")[4] or "123456789012"
        return xml_answer("GetCallerIdentity", [
            ("Arn", caller.principal_arn), ("UserId", caller.user_id), ("Account", account)])
