"""The service request pipeline: route, faults, delay, SigV4, input, handler."""

import time
import traceback
from dataclasses import dataclass

from . import sigv4
from .errors import ServiceError, error_response
from .log import log
from .messages import Blob, Request, Response, json_response
from .routing import decode_input


@dataclass
class Context:
    """What a handler may know about the caller besides its input."""
    region: str
    request: Request


class ServiceDispatcher:
    def __init__(self, emulator, route_table):
        self.emulator = emulator
        self.route_table = route_table

    def handle(self, request):
        emulator = self.emulator
        found = self.route_table.match(request.method, request.raw_path)
        route, labels = found if found else (None, {})
        operation = route.operation if route else None
        entry = emulator.request_log.record(request, operation, labels)
        emulator.stats.request_served(operation)

        fault = emulator.faults.take(operation)
        delay = (fault.delay_seconds if fault else 0.0) + emulator.delay_seconds
        if delay > 0:
            time.sleep(delay)
        injected = fault.response() if fault else None
        if injected is not None:
            return injected

        try:
            answer = self._answer(request, route, labels)
            return fault.cut(answer) if fault else answer
        except ServiceError as error:
            if error.is_auth_failure:
                emulator.stats.auth_failed()
            if isinstance(error, sigv4.SignatureMismatch):
                entry["expected_canonical_request"] = error.canonical_request
                entry["expected_string_to_sign"] = error.string_to_sign
            return error_response(error)
        except Exception as exc:  # a bug in a handler: answer 500, keep serving
            log(traceback.format_exc())
            return error_response(ServiceError("InternalServerException",
                                               f"Emulator error: {type(exc).__name__}: {exc}"))

    def _answer(self, request, route, labels):
        identity = sigv4.verify(request, self.emulator.credentials.lookup,
                                now=time.time() + self.emulator.skew_seconds,
                                credential_now=self.emulator.clock.now)
        if route is None:
            raise ServiceError("UnknownOperationException",
                               f"No operation matches {request.method} {request.raw_path}")
        params = decode_input(route.input_shape, request, labels)
        result = route.handler(Context(identity.region, request), params)
        if isinstance(result, Blob):
            return Response(route.status, [("Content-Type", result.content_type)], result.data)
        if result is None or route.status == 204:   # no output shape, or No Content
            return Response(route.status)
        return json_response(route.status, result)
