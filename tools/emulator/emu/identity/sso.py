"""The AWS IAM Identity Center (SSO) portal's GetRoleCredentials (rest-json):
GET /federation/credentials?role_name=R&account_id=A with x-amz-sso_bearer_token."""

import json

from ..messages import json_response
from .common import Endpoint, Protocol, issue

PATH = "/federation/credentials"
TOKEN_HEADER = "x-amz-sso_bearer_token"
STATUS_BY_CODE = {"InvalidRequestException": 400, "UnauthorizedException": 401,
                  "ForbiddenException": 403, "ResourceNotFoundException": 404,
                  "TooManyRequestsException": 429, "InternalServerException": 500}
UNAUTHORIZED_MESSAGE = "Session token not found or invalid"


class SsoError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def sso_error(status, code, message):
    return json_response(status, {"message": message}, [("x-amzn-ErrorType", code)])


class SsoProtocol(Protocol):
    default_code = "InternalServerException"
    statuses = STATUS_BY_CODE
    coded_error = staticmethod(sso_error)
    sample = ("application/json", json.dumps({"roleCredentials": {
        "accessKeyId": "ASIAEMULATORSAMPLE00",
        "secretAccessKey": "sampleSecretAccessKeyThatIsNotAccepted0",
        "sessionToken": "sampleSessionToken", "expiration": 1893456000000}}).encode())
    malformed = b'{"roleCredentials": {"accessKeyId": "ASIA'


class SsoEndpoint(Endpoint):
    protocol = SsoProtocol()
    prefix = "/federation/"

    @staticmethod
    def operation(request):
        if request.method == "GET" and request.raw_path == PATH:
            return "GetRoleCredentials"
        return None

    def answer(self, request, operation, entry):
        if operation is None:
            return sso_error(404, "UnknownOperationException",
                             f"No operation matches {request.method} {request.raw_path}")
        try:
            return self.get_role_credentials(request)
        except SsoError as error:
            return sso_error(STATUS_BY_CODE[error.code], error.code, error.message)

    def get_role_credentials(self, request):
        query = request.query_args
        token = request.header(TOKEN_HEADER)
        missing = [name for name in ("role_name", "account_id") if not query.get(name)]
        if missing:
            raise SsoError("InvalidRequestException",
                           f"Missing required parameter(s): {', '.join(missing)}")
        config = self.emulator.identity_config
        if not token or config.sso_token(token)[0] != "ok":
            raise SsoError("UnauthorizedException", UNAUTHORIZED_MESSAGE)
        role, account = query["role_name"], query["account_id"]
        if not config.sso_role_known(account, role):
            raise SsoError("ForbiddenException", "No access")
        principal = (f"arn:aws:sts::{account}:assumed-role/"
                     f"AWSReservedSSO_{role}_0123456789abcdef/emulator")
        credential = issue(self.emulator, config.lifetime(), principal, "GetRoleCredentials",
                           "AROAEMULATORSSOROLE00:emulator")
        return json_response(200, {"roleCredentials": {
            "accessKeyId": credential.access_key_id,
            "secretAccessKey": credential.secret,
            "sessionToken": credential.session_token,
            "expiration": credential.expiration * 1000,
        }})
