"""Tests for the identity endpoints served beside HealthOmics: STS, the SSO
portal, container credentials and IMDSv2, and the credentials they issue.

python3 -m unittest discover -s tools/emulator -p 'test_*.py'
"""

import http.client
import json
import re
import time
import unittest
import xml.etree.ElementTree as ET
from base64 import urlsafe_b64encode
from datetime import datetime, timezone
from urllib.parse import urlencode

import emulator_testlib as lib
from emulator_testlib import SERVER, call, control, sign

NS = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
ROLE = "arn:aws:iam::123456789012:role/omics-reader"
OTHER_ROLE = "arn:aws:iam::123456789012:role/path/omics-admin"
EXPIRED_MESSAGE = "The security token included in the request is expired"


def setUpModule():
    lib.start_server()


def tearDownModule():
    lib.stop_server()


class Raw:
    def __init__(self, response, body):
        self.status = response.status
        self.headers = response.headers
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def text(self):
        return self.body.decode()

    def xml(self):
        return ET.fromstring(self.body)


def raw(method, path, body=b"", headers=None, timeout=10):
    conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Raw(response, response.read())
    finally:
        conn.close()


def sts(params, credentials=(lib.ACCESS_KEY, lib.SECRET_KEY, None), signed=True,
        service="sts", version="2011-06-15"):
    """A POST / with a form body; signed with credentials (key, secret, token)."""
    fields = dict(params)
    if version is not None:
        fields.setdefault("Version", version)
    body = urlencode(fields).encode()
    headers = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    if signed:
        key, secret, token = credentials
        headers = sign("POST", "/", "", body, f"127.0.0.1:{SERVER.port}", headers,
                       access_key=key, secret=secret, token=token, service=service)
    return raw("POST", "/", body, headers)


def jwt(claims):
    def part(document):
        return urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def parse_iso(text):
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


class IdentityCase(lib.EmulatorCase):
    # --- helpers ---------------------------------------------------------------

    def identity(self, document, status=200):
        got, answer = control("POST", "identity", document)
        self.assertEqual(got, status, answer)
        return answer

    def faults(self, *specs):
        status, answer = control("POST", "faults", {"faults": list(specs)})
        self.assertEqual(status, 200, answer)

    def sts_ok(self, answer, action):
        self.assertEqual(answer.status, 200, answer.body)
        self.assertTrue(answer.headers["Content-Type"].startswith("text/xml"))
        root = answer.xml()
        self.assertEqual(root.tag, f"{{{NS['sts']}}}{action}Response")
        self.assertRegex(root.findtext("sts:ResponseMetadata/sts:RequestId", namespaces=NS),
                         r"^[0-9a-f-]{36}$")
        return root.find(f"sts:{action}Result", NS)

    def sts_error(self, answer, status, code, fragment=None):
        self.assertEqual(answer.status, status, answer.body)
        root = answer.xml()
        self.assertEqual(root.tag, f"{{{NS['sts']}}}ErrorResponse")
        self.assertEqual(root.findtext("sts:Error/sts:Type", namespaces=NS),
                         "Receiver" if status >= 500 else "Sender")
        self.assertEqual(root.findtext("sts:Error/sts:Code", namespaces=NS), code, answer.body)
        self.assertTrue(root.findtext("sts:RequestId", namespaces=NS))
        message = root.findtext("sts:Error/sts:Message", namespaces=NS)
        if fragment is not None:
            self.assertIn(fragment, message)
        return message

    def credentials_of(self, result):
        node = result.find("sts:Credentials", NS)
        return {name: node.findtext(f"sts:{name}", namespaces=NS)
                for name in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}

    def assume_role(self, credentials=(lib.ACCESS_KEY, lib.SECRET_KEY, None), **params):
        fields = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "session-1",
                  **params}
        result = self.sts_ok(sts(fields, credentials), "AssumeRole")
        return result, self.credentials_of(result)

    def assertLifetime(self, expiration, seconds, slack=5):
        self.assertAlmostEqual(expiration - time.time(), seconds, delta=slack)

    def assertTemporaryKey(self, key, secret, token):
        self.assertRegex(key, r"^ASIA[A-Z2-7]{16}$")
        self.assertEqual(len(secret), 40)
        self.assertGreater(len(token), 100)

    def omics_ok(self, key, secret, token):
        """A HealthOmics call signed with these credentials is accepted."""
        answer = call("POST", "/referencestores", {}, credentials=(key, secret, token))
        self.assertEqual(answer.status, 200, answer.body)
        self.assertIn("referenceStores", answer.json)

    def omics_expired(self, key, secret, token):
        answer = call("POST", "/referencestores", {}, credentials=(key, secret, token))
        self.assertError(answer, 403, "ExpiredTokenException")
        self.assertEqual(answer.json["message"], EXPIRED_MESSAGE)

    def imds_token(self, ttl="21600"):
        answer = raw("PUT", "/latest/api/token",
                     headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        self.assertEqual(answer.status, 200, answer.body)
        return answer.text

    def imds_get(self, path, token=None, headers=None):
        headers = dict(headers or {})
        if token is not None:
            headers["X-aws-ec2-metadata-token"] = token
        return raw("GET", path, headers=headers)


class AssumeRoleTests(IdentityCase):
    def test_answer_in_sts_xml_and_credentials_sign_healthomics_calls(self):
        result, creds = self.assume_role()
        self.assertTemporaryKey(creds["AccessKeyId"], creds["SecretAccessKey"],
                                creds["SessionToken"])
        self.assertLifetime(parse_iso(creds["Expiration"]), 3600)
        user = result.find("sts:AssumedRoleUser", NS)
        self.assertEqual(user.findtext("sts:Arn", namespaces=NS),
                         "arn:aws:sts::123456789012:assumed-role/omics-reader/session-1")
        self.assertRegex(user.findtext("sts:AssumedRoleId", namespaces=NS),
                         r"^AROA[A-Z2-7]{17}:session-1$")
        self.omics_ok(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])

    def test_access_keys_are_unique(self):
        keys = {self.assume_role()[1]["AccessKeyId"] for _ in range(5)}
        self.assertEqual(len(keys), 5)

    def test_the_session_token_is_required_with_the_key(self):
        _, creds = self.assume_role()
        answer = call("POST", "/referencestores", {},
                      credentials=(creds["AccessKeyId"], creds["SecretAccessKey"], None))
        self.assertError(answer, 403, "UnrecognizedClientException")
        answer = call("POST", "/referencestores", {},
                      credentials=(creds["AccessKeyId"], creds["SecretAccessKey"], "other"))
        self.assertError(answer, 403, "UnrecognizedClientException")

    def test_duration_seconds_and_the_configured_default(self):
        _, creds = self.assume_role(DurationSeconds="900")
        self.assertLifetime(parse_iso(creds["Expiration"]), 900)
        _, creds = self.assume_role(DurationSeconds="43200")
        self.assertLifetime(parse_iso(creds["Expiration"]), 43200)
        self.identity({"sts": {"duration_seconds": 1800}})
        _, creds = self.assume_role()
        self.assertLifetime(parse_iso(creds["Expiration"]), 1800)

    def test_a_path_in_the_role_arn_and_source_identity(self):
        result, _ = self.assume_role(RoleArn=OTHER_ROLE, RoleSessionName="a@b.c",
                                     SourceIdentity="alice")
        self.assertEqual(result.findtext("sts:AssumedRoleUser/sts:Arn", namespaces=NS),
                         "arn:aws:sts::123456789012:assumed-role/omics-admin/a@b.c")
        self.assertEqual(result.findtext("sts:SourceIdentity", namespaces=NS), "alice")

    def test_validation_errors(self):
        answer = sts({"Action": "AssumeRole"})
        self.sts_error(answer, 400, "ValidationError",
                       "2 validation errors detected: Value null at 'roleArn' failed to satisfy "
                       "constraint: Member must not be null; Value null at 'roleSessionName'")
        cases = [
            ({"RoleSessionName": "x"}, "Member must have length greater than or equal to 2"),
            ({"RoleSessionName": "has space"}, r"regular expression pattern: [\w+=,.@-]*"),
            ({"RoleSessionName": "s" * 65}, "length less than or equal to 64"),
            ({"DurationSeconds": "899"}, "Member must have value greater than or equal to 900"),
            ({"DurationSeconds": "43201"}, "Member must have value less than or equal to 43200"),
            ({"DurationSeconds": "soon"}, "Member must be an integer"),
            ({"RoleArn": "arn:aws:iam::123:role/short-account"}, "is invalid"),
            ({"RoleArn": "arn:aws:iam::123456789012:user/bob"}, "is invalid"),
            ({"ExternalId": "a b"}, "externalId"),
        ]
        for params, fragment in cases:
            with self.subTest(params=params):
                fields = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1",
                          **params}
                self.sts_error(sts(fields), 400, "ValidationError", fragment)

    def test_policy_must_be_a_json_policy(self):
        self.sts_error(sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1",
                            "Policy": "{not json"}), 400, "MalformedPolicyDocument")
        policy = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "omics:*", "Resource": "*"}]})
        result, _ = self.assume_role(Policy=policy)
        self.assertTrue(result.findtext("sts:PackedPolicySize", namespaces=NS).isdigit())

    def test_mfa_is_refused(self):
        answer = sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1",
                      "SerialNumber": "arn:aws:iam::123456789012:mfa/user", "TokenCode": "123456"})
        self.sts_error(answer, 403, "AccessDenied", "MFA is not supported by this emulator")

    def test_required_external_id(self):
        self.identity({"sts": {"require_external_id": {ROLE: "ext-123"}}})
        base = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1"}
        message = self.sts_error(sts(base), 403, "AccessDenied")
        self.assertEqual(message, "User: arn:aws:iam::123456789012:user/emulator is not "
                                  f"authorized to perform: sts:AssumeRole on resource: {ROLE}")
        self.sts_error(sts({**base, "ExternalId": "ext-999"}), 403, "AccessDenied")
        self.sts_ok(sts({**base, "ExternalId": "ext-123"}), "AssumeRole")
        # Other roles need none; null removes the requirement.
        self.sts_ok(sts({**base, "RoleArn": OTHER_ROLE}), "AssumeRole")
        self.identity({"sts": {"require_external_id": {ROLE: None}}})
        self.sts_ok(sts(base), "AssumeRole")

    def test_denied_roles_and_max_session_duration(self):
        self.identity({"sts": {"deny_roles": [ROLE], "max_session_duration": 3600}})
        base = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1"}
        self.sts_error(sts(base), 403, "AccessDenied", "not authorized")
        answer = sts({**base, "RoleArn": OTHER_ROLE, "DurationSeconds": "7200"})
        self.sts_error(answer, 400, "ValidationError", "exceeds the MaxSessionDuration")

    def test_signature_problems_in_sts_words(self):
        base = {"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1"}
        self.sts_error(sts(base, signed=False), 403, "MissingAuthenticationToken",
                       "Request is missing Authentication Token")
        self.sts_error(sts(base, credentials=(lib.ACCESS_KEY, "wrong", None)), 403,
                       "SignatureDoesNotMatch", "does not match")
        self.sts_error(sts(base, credentials=("AKIDUNKNOWN", "x", None)), 403,
                       "InvalidClientTokenId", "The security token included in the request is invalid")
        self.sts_error(sts(base, service="omics"), 403, "SignatureDoesNotMatch",
                       "Credential should be scoped to correct service: 'sts'")
        _, stats = control("GET", "stats")
        self.assertEqual(stats["auth_failures"], 4)

    def test_action_and_version(self):
        self.sts_error(sts({"RoleArn": ROLE}), 400, "MissingAction")
        self.sts_error(sts({"Action": "AssumeRole"}, version=None), 400, "MissingParameter")
        self.sts_error(sts({"Action": "AssumeRole"}, version="2010-01-01"), 400, "InvalidAction",
                       "Could not find operation AssumeRole for version 2010-01-01")
        self.sts_error(sts({"Action": "GetSessionToken"}), 400, "InvalidAction")

    def test_role_chain(self):
        _, first = self.assume_role()
        chained = (first["AccessKeyId"], first["SecretAccessKey"], first["SessionToken"])
        result, second = self.assume_role(credentials=chained, RoleArn=OTHER_ROLE,
                                          RoleSessionName="hop-2")
        self.assertNotEqual(second["AccessKeyId"], first["AccessKeyId"])
        self.omics_ok(second["AccessKeyId"], second["SecretAccessKey"], second["SessionToken"])
        # Who signed: GetCallerIdentity with each credential.
        who = self.sts_ok(sts({"Action": "GetCallerIdentity"}, chained), "GetCallerIdentity")
        self.assertEqual(who.findtext("sts:Arn", namespaces=NS),
                         "arn:aws:sts::123456789012:assumed-role/omics-reader/session-1")
        self.assertEqual(who.findtext("sts:Account", namespaces=NS), "123456789012")
        third = (second["AccessKeyId"], second["SecretAccessKey"], second["SessionToken"])
        who = self.sts_ok(sts({"Action": "GetCallerIdentity"}, third), "GetCallerIdentity")
        self.assertEqual(who.findtext("sts:Arn", namespaces=NS),
                         "arn:aws:sts::123456789012:assumed-role/omics-admin/hop-2")
        # Role chaining limits sessions to one hour, as AWS does.
        answer = sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s3",
                      "DurationSeconds": "7200"}, third)
        self.sts_error(answer, 400, "ValidationError", "1 hour session limit")
        # A chained key without its session token is refused.
        self.sts_error(sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s3"},
                           (second["AccessKeyId"], second["SecretAccessKey"], None)),
                       403, "InvalidClientTokenId")

    def test_expired_credentials_are_refused(self):
        self.identity({"expires_in": 0})
        _, creds = self.assume_role()
        self.assertLessEqual(parse_iso(creds["Expiration"]), time.time())
        triple = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        self.omics_expired(*triple)
        # STS says it its own way: 403 ExpiredToken (as AWS answers).
        self.sts_error(sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s2"},
                           triple), 403, "ExpiredToken", EXPIRED_MESSAGE)
        _, stats = control("GET", "stats")
        self.assertEqual(stats["auth_failures"], 2)

    def test_credentials_expire_on_the_job_clock(self):
        _, creds = self.assume_role(DurationSeconds="900")
        triple = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        self.omics_ok(*triple)
        self.advance(899)
        self.omics_ok(*triple)
        self.advance(2)
        self.omics_expired(*triple)

    def test_expires_in_overrides_duration_seconds(self):
        self.identity({"expires_in": 120})
        _, creds = self.assume_role(DurationSeconds="3600")
        self.assertLifetime(parse_iso(creds["Expiration"]), 120)
        self.identity({"expires_in": None})
        _, creds = self.assume_role(DurationSeconds="900")
        self.assertLifetime(parse_iso(creds["Expiration"]), 900)

    def test_get_query_string_form(self):
        query = urlencode({"Action": "GetCallerIdentity", "Version": "2011-06-15"})
        headers = sign("GET", "/", query, b"", f"127.0.0.1:{SERVER.port}", service="sts")
        answer = raw("GET", "/?" + query, headers=headers)
        who = self.sts_ok(answer, "GetCallerIdentity")
        self.assertEqual(who.findtext("sts:Arn", namespaces=NS),
                         "arn:aws:iam::123456789012:user/emulator")


class WebIdentityTests(IdentityCase):
    def web(self, token="eks-token-1", **params):
        fields = {"Action": "AssumeRoleWithWebIdentity", "RoleArn": ROLE,
                  "RoleSessionName": "web-1", "WebIdentityToken": token, **params}
        return sts({k: v for k, v in fields.items() if v is not None}, signed=False)

    def test_any_token_by_default_and_credentials_sign_healthomics_calls(self):
        result = self.sts_ok(self.web(), "AssumeRoleWithWebIdentity")
        creds = self.credentials_of(result)
        self.assertTemporaryKey(creds["AccessKeyId"], creds["SecretAccessKey"],
                                creds["SessionToken"])
        self.assertLifetime(parse_iso(creds["Expiration"]), 3600)
        self.assertEqual(result.findtext("sts:AssumedRoleUser/sts:Arn", namespaces=NS),
                         "arn:aws:sts::123456789012:assumed-role/omics-reader/web-1")
        for name in ("SubjectFromWebIdentityToken", "Audience", "Provider"):
            self.assertTrue(result.findtext(f"sts:{name}", namespaces=NS), name)
        self.omics_ok(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])

    def test_a_signature_is_not_needed_but_tolerated(self):
        fields = {"Action": "AssumeRoleWithWebIdentity", "RoleArn": ROLE,
                  "RoleSessionName": "web-1", "WebIdentityToken": "token-abc"}
        self.sts_ok(sts(fields, credentials=("AKIDUNKNOWN", "x", None)),
                    "AssumeRoleWithWebIdentity")

    def test_jwt_claims_fill_subject_audience_and_provider(self):
        token = jwt({"iss": "https://oidc.eks.us-west-2.amazonaws.com/id/ABC",
                     "sub": "system:serviceaccount:default:omics", "aud": ["sts.amazonaws.com"],
                     "exp": int(time.time()) + 600})
        result = self.sts_ok(self.web(token, DurationSeconds="1200"), "AssumeRoleWithWebIdentity")
        self.assertEqual(result.findtext("sts:SubjectFromWebIdentityToken", namespaces=NS),
                         "system:serviceaccount:default:omics")
        self.assertEqual(result.findtext("sts:Audience", namespaces=NS), "sts.amazonaws.com")
        self.assertEqual(result.findtext("sts:Provider", namespaces=NS),
                         "arn:aws:iam::123456789012:oidc-provider/"
                         "oidc.eks.us-west-2.amazonaws.com/id/ABC")
        self.assertLifetime(parse_iso(self.credentials_of(result)["Expiration"]), 1200)

    def test_invalid_and_expired_tokens(self):
        self.sts_error(self.web("an-invalid-token"), 400, "InvalidIdentityToken",
                       "could not be validated")
        expired = jwt({"sub": "x", "exp": int(time.time()) - 10})
        self.sts_error(self.web(expired), 400, "ExpiredTokenException", "Token expired")
        self.sts_error(self.web(None), 400, "ValidationError", "webIdentityToken")
        self.sts_error(self.web("abc"), 400, "ValidationError",
                       "length greater than or equal to 4")

    def test_registered_tokens_only(self):
        self.identity({"web_identity_tokens": ["tok-one", {"token": "tok-old", "expires_in": -1}]})
        self.sts_ok(self.web("tok-one"), "AssumeRoleWithWebIdentity")
        self.sts_error(self.web("tok-two"), 400, "InvalidIdentityToken")
        self.sts_error(self.web("tok-old"), 400, "ExpiredTokenException")
        self.identity({"web_identity_tokens": None})
        self.sts_ok(self.web("tok-two"), "AssumeRoleWithWebIdentity")

    def test_validation_and_denied_role(self):
        self.sts_error(self.web(RoleArn="not-an-arn-but-long-enough"), 400, "ValidationError")
        self.sts_error(self.web(DurationSeconds="60"), 400, "ValidationError", "durationSeconds")
        self.identity({"sts": {"deny_roles": [ROLE]}})
        self.sts_error(self.web(), 403, "AccessDenied")

    def test_web_identity_credentials_start_a_chain(self):
        creds = self.credentials_of(self.sts_ok(self.web(), "AssumeRoleWithWebIdentity"))
        triple = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        _, second = self.assume_role(credentials=triple, RoleArn=OTHER_ROLE)
        self.omics_ok(second["AccessKeyId"], second["SecretAccessKey"], second["SessionToken"])

    def test_expired_web_identity_credentials(self):
        self.identity({"expires_in": -60})
        creds = self.credentials_of(self.sts_ok(self.web(), "AssumeRoleWithWebIdentity"))
        self.omics_expired(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])


class SsoTests(IdentityCase):
    def setUp(self):
        super().setUp()
        self.identity({"sso_tokens": ["sso-token-1", {"token": "sso-old", "expires_in": -1}],
                       "sso_roles": [{"account_id": "123456789012", "role_name": "OmicsUser"}]})

    def get(self, token="sso-token-1", role="OmicsUser", account="123456789012"):
        query = urlencode({k: v for k, v in (("role_name", role), ("account_id", account))
                           if v is not None})
        headers = {} if token is None else {"x-amz-sso_bearer_token": token}
        return raw("GET", "/federation/credentials?" + query, headers=headers)

    def sso_error(self, answer, status, code, message=None):
        self.assertEqual(answer.status, status, answer.body)
        self.assertEqual(answer.headers["x-amzn-ErrorType"], code)
        if message is not None:
            self.assertEqual(answer.json, {"message": message})

    def test_role_credentials_sign_healthomics_calls(self):
        answer = self.get()
        self.assertEqual(answer.status, 200, answer.body)
        creds = answer.json["roleCredentials"]
        self.assertEqual(set(creds), {"accessKeyId", "secretAccessKey", "sessionToken",
                                      "expiration"})
        self.assertIsInstance(creds["expiration"], int)
        self.assertLifetime(creds["expiration"] / 1000, 3600)
        self.assertTemporaryKey(creds["accessKeyId"], creds["secretAccessKey"],
                                creds["sessionToken"])
        self.omics_ok(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"])

    def test_unknown_or_expired_token(self):
        for token in ("sso-token-2", "sso-old", None):
            with self.subTest(token=token):
                self.sso_error(self.get(token), 401, "UnauthorizedException",
                               "Session token not found or invalid")

    def test_unknown_role_or_account(self):
        self.sso_error(self.get(role="Admin"), 403, "ForbiddenException")
        self.sso_error(self.get(account="210987654321"), 403, "ForbiddenException")

    def test_missing_parameters(self):
        self.sso_error(self.get(role=None), 400, "InvalidRequestException")

    def test_expired_role_credentials(self):
        self.identity({"expires_in": 0})
        creds = self.get().json["roleCredentials"]
        self.assertLessEqual(creds["expiration"] / 1000, time.time())
        self.omics_expired(creds["accessKeyId"], creds["secretAccessKey"], creds["sessionToken"])

    def test_tokens_are_replaced_and_reset(self):
        self.identity({"sso_tokens": ["sso-token-2"]})
        self.sso_error(self.get(), 401, "UnauthorizedException")
        self.assertEqual(self.get("sso-token-2").status, 200)
        control("POST", "reset")
        self.sso_error(self.get("sso-token-2"), 401, "UnauthorizedException")


class ContainerTests(IdentityCase):
    def test_credentials_sign_healthomics_calls(self):
        answer = raw("GET", "/container/v2/credentials/abc")
        self.assertEqual(answer.status, 200, answer.body)
        creds = answer.json
        self.assertEqual(set(creds), {"AccessKeyId", "SecretAccessKey", "Token", "Expiration",
                                      "RoleArn"})
        self.assertRegex(creds["Expiration"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertLifetime(parse_iso(creds["Expiration"]), 3600)
        self.assertEqual(creds["RoleArn"], "arn:aws:iam::123456789012:role/omics-container-role")
        self.omics_ok(creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"])

    def test_authorization_token(self):
        self.identity({"container_token": "Bearer abc",
                       "container_role_arn": "arn:aws:iam::123456789012:role/pod"})
        self.assertEqual(raw("GET", "/container/creds").status, 401)
        self.assertEqual(raw("GET", "/container/creds",
                             headers={"Authorization": "Bearer xyz"}).status, 401)
        answer = raw("GET", "/container/creds", headers={"Authorization": "Bearer abc"})
        self.assertEqual(answer.status, 200, answer.body)
        self.assertEqual(answer.json["RoleArn"], "arn:aws:iam::123456789012:role/pod")
        self.identity({"container_token": None})
        self.assertEqual(raw("GET", "/container/creds").status, 200)

    def test_only_get(self):
        self.assertEqual(raw("POST", "/container/creds").status, 405)

    def test_short_lived_credentials(self):
        self.identity({"expires_in": 30})
        creds = raw("GET", "/container/v2/credentials/abc").json
        self.assertLifetime(parse_iso(creds["Expiration"]), 30)
        triple = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"])
        self.omics_ok(*triple)
        self.advance(31)
        self.omics_expired(*triple)


class ImdsTests(IdentityCase):
    CREDS = "/latest/meta-data/iam/security-credentials/"

    def test_token_then_role_then_credentials(self):
        answer = raw("PUT", "/latest/api/token",
                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "300"})
        self.assertEqual(answer.status, 200)
        self.assertEqual(answer.headers["X-aws-ec2-metadata-token-ttl-seconds"], "300")
        token = answer.text
        self.assertTrue(token)
        listing = self.imds_get(self.CREDS, token)
        self.assertEqual((listing.status, listing.text), (200, "omics-role"))
        answer = self.imds_get(self.CREDS + "omics-role", token)
        self.assertEqual(answer.status, 200, answer.body)
        creds = answer.json
        self.assertEqual(creds["Code"], "Success")
        self.assertEqual(creds["Type"], "AWS-HMAC")
        self.assertRegex(creds["LastUpdated"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertLifetime(parse_iso(creds["Expiration"]), 3600)
        self.omics_ok(creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"])

    def test_region(self):
        token = self.imds_token()
        answer = self.imds_get("/latest/meta-data/placement/region", token)
        self.assertEqual((answer.status, answer.text), (200, "us-east-1"))
        self.identity({"imds": {"region": "eu-west-1"}})
        answer = self.imds_get("/latest/meta-data/placement/region", token)
        self.assertEqual(answer.text, "eu-west-1")
        answer = self.imds_get("/latest/meta-data/placement/availability-zone", token)
        self.assertEqual(answer.text, "eu-west-1a")

    def test_token_ttl_header_is_checked(self):
        for headers in ({}, {"X-aws-ec2-metadata-token-ttl-seconds": "0"},
                        {"X-aws-ec2-metadata-token-ttl-seconds": "21601"},
                        {"X-aws-ec2-metadata-token-ttl-seconds": "ten"}):
            with self.subTest(headers=headers):
                self.assertEqual(raw("PUT", "/latest/api/token", headers=headers).status, 400)
        self.imds_token("1")
        self.imds_token("21600")

    def test_v2_is_required_unless_v1_is_allowed(self):
        self.assertEqual(self.imds_get(self.CREDS).status, 401)
        self.assertEqual(self.imds_get(self.CREDS, "not-a-token").status, 401)
        self.identity({"imds": {"v1_allowed": True}})
        answer = self.imds_get(self.CREDS)
        self.assertEqual((answer.status, answer.text), (200, "omics-role"))
        # A token that is sent must still be valid.
        self.assertEqual(self.imds_get(self.CREDS, "not-a-token").status, 401)

    def test_tokens_expire(self):
        token = self.imds_token("60")
        self.assertEqual(self.imds_get(self.CREDS, token).status, 200)
        self.advance(61)
        self.assertEqual(self.imds_get(self.CREDS, token).status, 401)

    def test_forwarded_requests_are_refused(self):
        answer = raw("PUT", "/latest/api/token",
                     headers={"X-aws-ec2-metadata-token-ttl-seconds": "60",
                              "X-Forwarded-For": "10.0.0.1"})
        self.assertEqual(answer.status, 403)
        token = self.imds_token()
        self.assertEqual(self.imds_get(self.CREDS, token, {"X-Forwarded-For": "10.0.0.1"}).status,
                         403)

    def test_unknown_role_no_role_and_unknown_paths(self):
        token = self.imds_token()
        self.assertEqual(self.imds_get(self.CREDS + "other-role", token).status, 404)
        self.assertEqual(self.imds_get("/latest/meta-data/instance-id", token).status, 404)
        self.identity({"imds": {"role": None}})
        self.assertEqual(self.imds_get(self.CREDS, token).status, 404)
        self.identity({"imds": {"role": "instance-role"}})
        self.assertEqual(self.imds_get(self.CREDS, token).text, "instance-role")
        self.assertEqual(self.imds_get(self.CREDS + "instance-role", token).status, 200)

    def test_instance_credentials_start_a_role_chain(self):
        creds = self.imds_get(self.CREDS + "omics-role", self.imds_token()).json
        triple = (creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"])
        who = self.sts_ok(sts({"Action": "GetCallerIdentity"}, triple), "GetCallerIdentity")
        self.assertEqual(who.findtext("sts:Arn", namespaces=NS),
                         "arn:aws:sts::123456789012:assumed-role/omics-role/i-0123456789abcdef0")
        answer = sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1",
                      "DurationSeconds": "7200"}, triple)
        self.sts_error(answer, 400, "ValidationError", "1 hour session limit")
        _, second = self.assume_role(credentials=triple, DurationSeconds="3600")
        self.omics_ok(second["AccessKeyId"], second["SecretAccessKey"], second["SessionToken"])

    def test_expired_instance_credentials(self):
        self.identity({"expires_in": -1})
        creds = self.imds_get(self.CREDS + "omics-role", self.imds_token()).json
        self.omics_expired(creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"])


class FaultTests(IdentityCase):
    def test_sts_faults_are_sts_xml(self):
        self.faults({"operation": "AssumeRole", "code": "Throttling", "message": "Rate exceeded",
                     "count": 2})
        for _ in range(2):
            answer = sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1"})
            self.sts_error(answer, 400, "Throttling", "Rate exceeded")
        self.assume_role()
        self.faults({"operation": "AssumeRoleWithWebIdentity", "status": 503})
        answer = sts({"Action": "AssumeRoleWithWebIdentity", "RoleArn": ROLE,
                      "RoleSessionName": "w", "WebIdentityToken": "token"}, signed=False)
        self.sts_error(answer, 503, "InternalFailure", "Injected fault")

    def test_sts_malformed_and_truncated(self):
        self.faults({"operation": "AssumeRole", "mode": "malformed"},
                    {"operation": "AssumeRole", "mode": "truncate"})
        answer = sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1"})
        self.assertEqual(answer.status, 200)
        self.assertTrue(answer.body.startswith(b"<AssumeRoleResponse"))
        with self.assertRaises(ET.ParseError):
            answer.xml()
        with self.assertRaises(http.client.IncompleteRead):
            sts({"Action": "AssumeRole", "RoleArn": ROLE, "RoleSessionName": "s1"})

    def test_sso_and_container_faults_in_their_shapes(self):
        self.faults({"operation": "GetRoleCredentials", "code": "TooManyRequestsException",
                     "message": "slow down"},
                    {"operation": "ContainerCredentials", "status": 500, "code": "Busy",
                     "message": "agent busy"})
        answer = raw("GET", "/federation/credentials?role_name=R&account_id=123456789012",
                     headers={"x-amz-sso_bearer_token": "t"})
        self.assertEqual(answer.status, 429)
        self.assertEqual(answer.headers["x-amzn-ErrorType"], "TooManyRequestsException")
        self.assertEqual(answer.json, {"message": "slow down"})
        answer = raw("GET", "/container/creds")
        self.assertEqual(answer.status, 500)
        self.assertEqual(answer.json, {"code": "Busy", "message": "agent busy"})
        self.assertEqual(raw("GET", "/container/creds").status, 200)

    def test_imds_can_stall_fail_or_drop(self):
        self.faults({"operation": "ImdsToken", "delay_ms": 300})
        started = time.monotonic()
        token = self.imds_token()
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.faults({"operation": "ImdsCredentials", "status": 500},
                    {"operation": "ImdsCredentials", "mode": "drop"},
                    {"operation": "ImdsRegion", "mode": "stall", "stall_ms": 2000})
        answer = self.imds_get(self.CREDS, token)
        self.assertEqual(answer.status, 500)
        self.assertIn(b"500 - Internal Server Error", answer.body)
        with self.assertRaises(http.client.RemoteDisconnected):
            self.imds_get(self.CREDS, token)
        self.assertEqual(self.imds_get(self.CREDS, token).status, 200)
        conn = http.client.HTTPConnection("127.0.0.1", SERVER.port, timeout=0.5)
        try:
            conn.request("GET", "/latest/meta-data/placement/region",
                         headers={"X-aws-ec2-metadata-token": token})
            response = conn.getresponse()
            with self.assertRaises(TimeoutError):
                response.read()
        finally:
            conn.close()

    CREDS = ImdsTests.CREDS

    def test_faults_without_an_operation_stay_with_healthomics(self):
        self.faults({"status": 503, "code": "ThrottlingException"})
        self.assume_role()
        self.assertEqual(raw("GET", "/container/creds").status, 200)
        self.imds_token()
        answer = call("POST", "/referencestores", {})
        self.assertError(answer, 503, "ThrottlingException")
        _, pending = control("GET", "faults")
        self.assertEqual(pending["faults"], [])


class ControlTests(IdentityCase):
    def test_stats_count_identity_calls_by_operation(self):
        self.assume_role()
        sts({"Action": "AssumeRoleWithWebIdentity", "RoleArn": ROLE, "RoleSessionName": "w",
             "WebIdentityToken": "token"}, signed=False)
        raw("GET", "/federation/credentials?role_name=R&account_id=123456789012")
        raw("GET", "/container/x")
        token = self.imds_token()
        self.imds_get(ImdsTests.CREDS, token)
        self.imds_get(ImdsTests.CREDS + "omics-role", token)
        self.imds_get("/latest/meta-data/placement/region", token)
        _, stats = control("GET", "stats")
        self.assertEqual(stats["by_operation"], {
            "AssumeRole": 1, "AssumeRoleWithWebIdentity": 1, "GetRoleCredentials": 1,
            "ContainerCredentials": 1, "ImdsToken": 1, "ImdsCredentials": 2, "ImdsRegion": 1})
        self.assertEqual(stats["identity_requests"], 8)
        self.assertEqual(stats["requests"], 0)
        _, log = control("GET", "requests")
        self.assertEqual([entry["operation"] for entry in log["requests"]][:2],
                         ["AssumeRole", "AssumeRoleWithWebIdentity"])

    def test_configuration_is_merged_shown_and_reset(self):
        answer = self.identity({"imds": {"region": "eu-west-1"}})
        self.assertEqual(answer["imds"], {"v1_allowed": False, "role": "omics-role",
                                          "region": "eu-west-1"})
        answer = self.identity({"imds": {"v1_allowed": True}, "sts": {"duration_seconds": 900}})
        self.assertEqual(answer["imds"]["region"], "eu-west-1")
        self.assertTrue(answer["imds"]["v1_allowed"])
        self.assertEqual(answer["sts"]["duration_seconds"], 900)
        status, shown = control("GET", "identity")
        self.assertEqual((status, shown), (200, answer))
        control("POST", "reset")
        _, shown = control("GET", "identity")
        self.assertEqual(shown["imds"]["region"], "us-east-1")
        self.assertIsNone(shown["expires_in"])
        self.assertIsNone(shown["web_identity_tokens"])

    def test_bad_configuration_changes_nothing(self):
        for document in ({"nope": 1}, {"sts": {"duration_seconds": 100}},
                         {"imds": {"v1_allowed": "yes"}}, {"sso_roles": [{"account_id": "1"}]},
                         {"expires_in": "soon"}, {"sso_tokens": "t"},
                         {"imds": {"region": "eu-west-1"}, "container_token": 5}):
            with self.subTest(document=document):
                self.identity(document, status=400)
        _, shown = control("GET", "identity")
        self.assertEqual(shown["imds"]["region"], "us-east-1")

    def test_healthomics_routes_are_untouched(self):
        answer = call("POST", "/referencestores", {})
        self.assertEqual(answer.status, 200, answer.body)
        _, stats = control("GET", "stats")
        self.assertEqual(stats["requests"], 1)
        self.assertEqual(stats["identity_requests"], 0)


if __name__ == "__main__":
    unittest.main()
