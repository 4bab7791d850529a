"""Container credentials as the ECS agent and the EKS Pod Identity agent serve
them: GET /container/<anything>, with an optional Authorization token."""

import json

from ..faults import Protocol
from ..messages import json_response
from .common import SAMPLE, Endpoint, Refusal, assume, credential_json


def container_error(status, code, message):
    return json_response(status, {"code": code, "message": message})


class ContainerEndpoint(Endpoint):
    prefix = "/container/"
    protocol = Protocol(container_error, ("application/json", json.dumps({
        **credential_json(SAMPLE), "RoleArn": "arn:aws:iam::123456789012:role/sample"}).encode()),
        b'{"AccessKeyId": "ASIA', {"InvalidRequest": 400, "Unauthorized": 401,
                                   "AccessDenied": 403, "NotFound": 404, "Throttled": 429})

    @staticmethod
    def operation(request):
        return "ContainerCredentials" if request.method == "GET" else None

    def answer(self, request, operation, entry):
        if operation is None:
            raise Refusal("MethodNotAllowed", f"{request.method} is not allowed; use GET", 405)
        config = self.emulator.identity_config
        wanted = config.get("container_token")
        if wanted is not None and request.header("Authorization") != wanted:
            raise Refusal("Unauthorized", "The Authorization header is missing or does not "
                          "match the container's authorization token")
        role_arn = config.get("container_role_arn")
        credential, _, _ = assume(self.emulator, role_arn, "emulator-container",
                                  "ContainerCredentials", config.lifetime())
        return json_response(200, {**credential_json(credential), "RoleArn": role_arn})
