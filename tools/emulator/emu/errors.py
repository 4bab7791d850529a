"""AWS-style service errors: code, HTTP status and the X-Amzn-ErrorType namespace."""

from functools import partial

from .messages import json_response

OMICS_NAMESPACE = "http://internal.amazon.com/coral/com.amazonaws.omics/"
# Errors raised by the AWS request front end (auth, routing, parsing) carry the
# generic Coral namespace instead of the service's own.
FRAMEWORK_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.coral.service/"

# Errors of the AWS request front end (auth, routing, parsing); the statuses
# of the service's own errors come from the model (Model.__init__ adds them).
FRONT_END_STATUS = {
    **dict.fromkeys(("SerializationException", "IncompleteSignatureException"), 400),
    **dict.fromkeys(("MissingAuthenticationTokenException", "InvalidSignatureException",
                     "UnrecognizedClientException", "ExpiredTokenException"), 403),
    "UnknownOperationException": 404}
STATUS_BY_CODE = dict(FRONT_END_STATUS)

AUTH_CODES = frozenset(FRONT_END_STATUS) - {"SerializationException", "UnknownOperationException"}


class ServiceError(Exception):
    """An error answered to the client as an AWS rest-json error."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = STATUS_BY_CODE[code]

    @property
    def error_type(self):
        namespace = FRAMEWORK_NAMESPACE if self.code in FRONT_END_STATUS else OMICS_NAMESPACE
        return f"{self.code}:{namespace}"

    @property
    def is_auth_failure(self):
        return self.code in AUTH_CODES


# ServiceError(message) of the common codes
not_found = partial(ServiceError, "ResourceNotFoundException")
conflict = partial(ServiceError, "ConflictException")
validation = partial(ServiceError, "ValidationException")


def error_response(error):
    return json_response(error.status, {"message": error.message},
                         [("X-Amzn-ErrorType", error.error_type)])
