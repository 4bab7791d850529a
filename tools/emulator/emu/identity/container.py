"""Container credentials as the ECS agent and the EKS Pod Identity agent serve
them: GET /container/<anything>, with an optional Authorization token."""

import json

from ..messages import json_response
from .common import Endpoint, Protocol, issue, iso8601, stable_id

PREFIX = "/container/"


def container_error(status, code, message):
    return json_response(status, {"code": code, "message": message})


class ContainerProtocol(Protocol):
    statuses = {"InvalidRequest": 400, "Unauthorized": 401, "AccessDenied": 403,
                "NotFound": 404, "Throttled": 429}
    coded_error = staticmethod(container_error)
    sample = ("application/json", json.dumps({
        "AccessKeyId": "ASIAEMULATORSAMPLE00",
        "SecretAccessKey": "sampleSecretAccessKeyThatIsNotAccepted0",
        "Token": "sampleSessionToken", "Expiration": "2030-01-01T00:00:00Z",
        "RoleArn": "arn:aws:iam::123456789012:role/sample"}).encode())
    malformed = b'{"AccessKeyId": "ASIA'


class ContainerEndpoint(Endpoint):
    protocol = ContainerProtocol()
    prefix = PREFIX

    @staticmethod
    def operation(request):
        return "ContainerCredentials" if request.method == "GET" else None

    def answer(self, request, operation, entry):
        if operation is None:
            return container_error(405, "MethodNotAllowed",
                                   f"{request.method} is not allowed; use GET")
        config = self.emulator.identity_config
        wanted = config.get("container_token")
        if wanted is not None and request.header("Authorization") != wanted:
            return container_error(401, "Unauthorized",
                                   "The Authorization header is missing or does not match "
                                   "the container's authorization token")
        role_arn = config.get("container_role_arn")
        name = role_arn.rsplit("/", 1)[-1]
        account = (role_arn.split(":") + [""] * 5)[4]
        session = "emulator-container"
        principal = f"arn:aws:sts::{account}:assumed-role/{name}/{session}"
        credential = issue(self.emulator, config.lifetime(), principal, "ContainerCredentials",
                           f"{stable_id('AROA', role_arn)}:{session}")
        return json_response(200, {
            "AccessKeyId": credential.access_key_id,
            "SecretAccessKey": credential.secret,
            "Token": credential.session_token,
            "Expiration": iso8601(credential.expiration),
            "RoleArn": role_arn,
        })
