"""EC2 instance metadata (IMDSv2) under /latest/: session tokens, the instance
profile's role credentials, and the region."""

import json
import re
import secrets
from dataclasses import replace
from http import HTTPStatus

from ..faults import Protocol
from ..messages import Response
from .common import SAMPLE, Endpoint, assume, credential_json, iso8601

PREFIX = "/latest/"
TOKEN_PATH = "/latest/api/token"
CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials"
REGION_PATHS = ("/latest/meta-data/placement/region",
                "/latest/meta-data/placement/availability-zone")
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"
MAX_TTL = 21600
TEXT = "text/plain"
DIGITS = re.compile(r"\d{1,9}")


def html_error(status):
    try:
        title = f"{status} - {HTTPStatus(status).phrase}"
    except ValueError:
        title = str(status)
    body = ('<?xml version="1.0" encoding="iso-8859-1"?>\n'
            '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
            '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
            f' <head>\n  <title>{title}</title>\n </head>\n'
            f' <body>\n  <h1>{title}</h1>\n </body>\n</html>\n')
    return Response(status, [("Content-Type", "text/html")], body.encode("latin-1"))


def text(body, headers=()):
    return Response(200, [("Content-Type", TEXT), *headers], body.encode("utf-8"))


def credentials_text(credential, updated):
    return json.dumps({"Code": "Success", "LastUpdated": iso8601(updated), "Type": "AWS-HMAC",
                       **credential_json(credential)}, indent=2, separators=(",", " : "))


class ImdsEndpoint(Endpoint):
    prefix = PREFIX
    # IMDS has no error codes: an injected error is its HTML page for the status.
    protocol = Protocol(lambda status, code, message: html_error(status), (TEXT, credentials_text(
        replace(SAMPLE, expiration=SAMPLE.expiration + MAX_TTL), SAMPLE.expiration).encode()),
        b'{\n  "Code" : "Success",\n  "AccessKeyId" : "ASIA', empty=(TEXT, b""))

    @staticmethod
    def operation(request):
        path = request.raw_path
        if request.method == "PUT" and path == TOKEN_PATH:
            return "ImdsToken"
        if request.method == "GET":
            if path == CREDENTIALS_PATH or path.startswith(CREDENTIALS_PATH + "/"):
                return "ImdsCredentials"
            if path in REGION_PATHS:
                return "ImdsRegion"
        return None

    def answer(self, request, operation, entry):
        if request.header("X-Forwarded-For") is not None:
            return html_error(403)
        if request.method == "PUT":
            return self.new_token(request) if operation else html_error(404)
        if request.method != "GET":
            return html_error(405)
        refused = self._check_token(request)
        if refused is not None:
            return refused
        if operation == "ImdsCredentials":
            return self.credentials(request.raw_path)
        if operation == "ImdsRegion":
            region = self.emulator.identity_config.get("imds", "region")
            return text(region + "a" if request.raw_path.endswith("zone") else region)
        return html_error(404)

    def new_token(self, request):
        ttl = (request.header(TTL_HEADER) or "").strip()
        if not DIGITS.fullmatch(ttl) or not 1 <= int(ttl) <= MAX_TTL:
            return html_error(400)
        ttl = int(ttl)
        token = "AQAEA" + secrets.token_urlsafe(39)
        self.emulator.identity_config.imds_tokens[token] = self.emulator.clock.now() + ttl
        return text(token, [(TTL_HEADER, str(ttl))])

    def _check_token(self, request):
        token = request.header(TOKEN_HEADER)
        if token is None:
            v1 = self.emulator.identity_config.get("imds", "v1_allowed")
            return None if v1 else html_error(401)
        expires_at = self.emulator.identity_config.imds_tokens.get(token)
        if expires_at is None or expires_at <= self.emulator.clock.now():
            return html_error(401)
        return None

    def credentials(self, path):
        config = self.emulator.identity_config
        role = config.get("imds", "role")
        name = path[len(CREDENTIALS_PATH):].strip("/")
        if role is None:
            return html_error(404)
        if not name:
            return text(role)
        if name != role:
            return html_error(404)
        now = self.emulator.clock.now()
        credential, _, _ = assume(self.emulator, f"arn:aws:iam::123456789012:role/{role}",
                                  "i-0123456789abcdef0", "ImdsCredentials", config.lifetime())
        return text(credentials_text(credential, now))
