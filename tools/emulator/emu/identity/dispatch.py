"""The identity endpoints' request pipeline: pick the endpoint, count and log
the call, apply a fault naming its operation, answer."""

import time
import traceback

from ..log import log
from .common import Refusal
from .container import ContainerEndpoint
from .imds import ImdsEndpoint
from .sso import SsoEndpoint
from .sts import StsEndpoint


class IdentityDispatcher:
    def __init__(self, emulator):
        self.emulator = emulator
        self.endpoints = [StsEndpoint(emulator), SsoEndpoint(emulator),
                          ContainerEndpoint(emulator), ImdsEndpoint(emulator)]

    def endpoint_for(self, request):
        return next((endpoint for endpoint in self.endpoints if endpoint.owns(request)), None)

    def owns(self, request):
        return self.endpoint_for(request) is not None

    def handle(self, request):
        emulator = self.emulator
        endpoint = self.endpoint_for(request)
        operation = endpoint.operation(request)
        entry = emulator.request_log.record(request, operation, {})
        emulator.stats.count("identity_requests", operation)
        fault = emulator.faults.take(operation, named_only=True) if operation else None
        if fault is not None:
            if fault.delay_seconds > 0:
                time.sleep(fault.delay_seconds)
            injected = fault.response(endpoint.protocol)
            if injected is not None:
                return injected
        protocol = endpoint.protocol
        try:
            return endpoint.answer(request, operation, entry)
        except Refusal as error:
            return protocol.error(error.status or protocol.status_for(error.code), error.code,
                                  error.message)
        except Exception as exc:  # a bug: answer 500 in the endpoint's shape, keep serving
            log(traceback.format_exc())
            return protocol.error(500, protocol.default_code,
                                  f"Emulator error: {type(exc).__name__}: {exc}")

