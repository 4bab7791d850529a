"""The AWS IAM Identity Center (SSO) portal's GetRoleCredentials (rest-json):
GET /federation/credentials?role_name=R&account_id=A with x-amz-sso_bearer_token."""

import json

from ..faults import Protocol
from ..messages import json_response
from .common import SAMPLE, Endpoint, Refusal, issue

PATH = "/federation/credentials"
TOKEN_HEADER = "x-amz-sso_bearer_token"
STATUS_BY_CODE = {"InvalidRequestException": 400, "UnauthorizedException": 401,
                  "ForbiddenException": 403, "ResourceNotFoundException": 404,
                  "TooManyRequestsException": 429, "InternalServerException": 500}


def sso_error(status, code, message):
    return json_response(status, {"message": message}, [("x-amzn-ErrorType", code)])


def role_credentials(credential):
    return {"roleCredentials": {
        "accessKeyId": credential.access_key_id, "secretAccessKey": credential.secret,
        "sessionToken": credential.session_token, "expiration": credential.expiration * 1000}}


class SsoEndpoint(Endpoint):
    prefix = "/federation/"
    protocol = Protocol(sso_error, ("application/json", json.dumps(
        role_credentials(SAMPLE)).encode()), b'{"roleCredentials": {"accessKeyId": "ASIA',
        STATUS_BY_CODE, "InternalServerException")

    @staticmethod
    def operation(request):
        if request.method == "GET" and request.raw_path == PATH:
            return "GetRoleCredentials"
        return None

    def answer(self, request, operation, entry):
        if operation is None:
            raise Refusal("UnknownOperationException",
                          f"No operation matches {request.method} {request.raw_path}", 404)
        query = request.query_args
        token = request.header(TOKEN_HEADER)
        missing = [name for name in ("role_name", "account_id") if not query.get(name)]
        if missing:
            raise Refusal("InvalidRequestException",
                          f"Missing required parameter(s): {', '.join(missing)}")
        config = self.emulator.identity_config
        if not token or config.token_state("sso_tokens", token)[0] != "ok":
            raise Refusal("UnauthorizedException", "Session token not found or invalid")
        role, account = query["role_name"], query["account_id"]
        if not config.sso_role_known(account, role):
            raise Refusal("ForbiddenException", "No access")
        principal = (f"arn:aws:sts::{account}:assumed-role/"
                     f"AWSReservedSSO_{role}_0123456789abcdef/emulator")
        credential = issue(self.emulator, config.lifetime(), principal, "GetRoleCredentials",
                           "AROAEMULATORSSOROLE00:emulator")
        return json_response(200, role_credentials(credential))
