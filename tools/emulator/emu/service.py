"""The service request pipeline: route, faults, delay, SigV4, input, handler,
output; routes, input and output all follow the model (emu/model.py).

Handlers are found by operation name: CreateReferenceStore is the method
create_reference_store of one of the areas' API objects. A handler is given
the caller's sigv4.Identity (its region, its credential) as its context."""

import re
import time
import traceback

from . import sigv4
from .errors import ServiceError, error_response
from .log import log


def method_name(operation):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()


def find_handlers(model, apis):
    """{operation: handler} for every operation of the model; a missing or
    doubly defined handler stops the emulator at start."""
    handlers = {}
    for route in model.routes:
        found = [getattr(api, method_name(route.operation)) for api in apis
                 if hasattr(api, method_name(route.operation))]
        if len(found) != 1:
            raise RuntimeError(f"{len(found)} handlers for {route.operation}")
        handlers[route.operation] = found[0]
    return handlers


class ServiceDispatcher:
    def __init__(self, emulator, model, apis):
        self.emulator = emulator
        self.model = model
        self.handlers = find_handlers(model, apis)

    def handle(self, request):
        emulator = self.emulator
        found = self.model.match(request.method, request.raw_path)
        route, labels = found if found else (None, {})
        operation = route.operation if route else None
        entry = emulator.request_log.record(request, operation, labels)
        emulator.stats.count("requests", operation)

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
                emulator.stats.count("auth_failures")
            entry.update(getattr(error, "notes", {}))
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
        params = self.model.decode(route, request, labels)
        result = self.handlers[route.operation](identity, params)
        return self.model.answer(route, result)
