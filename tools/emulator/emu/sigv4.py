"""Server-side verification of AWS Signature Version 4 (Authorization header).

Written from the published SigV4 description, independently of any client.
The canonical URI is built from the path exactly as received, so a label that
the client percent-encoded once is encoded a second time here, as AWS does
for every service except S3.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from urllib.parse import unquote_to_bytes

from .errors import ServiceError

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "omics"
TERMINATOR = "aws4_request"
MAX_SKEW_SECONDS = 15 * 60
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
AMZ_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details.")
BAD_TOKEN_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
# ServiceError(message) of the codes a bad signature gets
incomplete = partial(ServiceError, "IncompleteSignatureException")
invalid = partial(ServiceError, "InvalidSignatureException")
unrecognized = partial(ServiceError, "UnrecognizedClientException", BAD_TOKEN_MESSAGE)


@dataclass
class Identity:
    region: str
    credential: object = None     # the credentials.Credential that signed


class SignatureMismatch(ServiceError):
    """Wrong signature; notes what the server computed, for the request log."""

    def __init__(self, canonical_request, string_to_sign):
        super().__init__("InvalidSignatureException", MISMATCH_MESSAGE)
        self.notes = {"expected_canonical_request": canonical_request,
                      "expected_string_to_sign": string_to_sign}


def percent_encode(data, keep_slash=False):
    return "".join(chr(byte) if byte in UNRESERVED or (keep_slash and byte == 0x2F)
                   else f"%{byte:02X}" for byte in data)


def wire_bytes(text):
    """http.server decodes the request line as latin-1: undo that."""
    return text.encode("latin-1", errors="replace")


def normalize_path(raw_path):
    segments = []
    for segment in raw_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    path = "/" + "/".join(segments)
    if raw_path.endswith("/") and path != "/":
        path += "/"
    return path


def canonical_uri(raw_path):
    return percent_encode(wire_bytes(normalize_path(raw_path)), keep_slash=True)


def canonical_query(raw_query):
    pairs = []
    for item in filter(None, raw_query.split("&")):
        key, _, value = item.partition("=")
        pairs.append((percent_encode(unquote_to_bytes(wire_bytes(key))),
                      percent_encode(unquote_to_bytes(wire_bytes(value)))))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_headers(request, signed_names):
    def values(name):
        return ",".join(" ".join(v.split()) for v in request.header_values(name))
    return "".join(f"{name}:{values(name)}\n" for name in signed_names)


def parse_authorization(value):
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise incomplete(f"Unsupported AWS 'algorithm': '{algorithm}'")
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not fields.get(k)]
    if missing:
        raise incomplete(" ".join(f"Authorization header requires '{k}' parameter."
                                  for k in missing) + f" Authorization={value}")
    return fields


def parse_amz_date(request):
    amz_date = request.header("X-Amz-Date")
    if amz_date is None:
        raise incomplete("Authorization header requires existence of a 'X-Amz-Date' header.")
    try:
        moment = datetime.strptime(amz_date, AMZ_DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise incomplete(f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'.") from None
    return amz_date, moment.timestamp()


def check_clock_skew(amz_date, signed_at, now):
    def fmt(seconds):
        return time.strftime(AMZ_DATE_FORMAT, time.gmtime(seconds))
    if signed_at < now - MAX_SKEW_SECONDS:
        raise invalid(f"Signature expired: {amz_date} is now earlier than "
                      f"{fmt(now - MAX_SKEW_SECONDS)} ({fmt(now)} - 15 min.)")
    if signed_at > now + MAX_SKEW_SECONDS:
        raise invalid(f"Signature not yet current: {amz_date} is still later than "
                      f"{fmt(now + MAX_SKEW_SECONDS)} ({fmt(now)} + 15 min.)")


def payload_hash(request):
    actual = getattr(request.body, "sha256", None) or hashlib.sha256(request.body).hexdigest()
    declared = request.header("X-Amz-Content-Sha256")
    if declared is None:
        return actual
    if declared != UNSIGNED_PAYLOAD and declared.lower() != actual:
        raise invalid("The provided 'x-amz-content-sha256' header does not match what was "
                      "computed.")
    return declared


def signing_key(secret, date, region, service=SERVICE):
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def verify(request, lookup, now=None, service=SERVICE, credential_now=None):
    """Check the request's signature; return its Identity or raise ServiceError.

    lookup(access_key) returns a credentials.Credential or None. A temporary
    credential whose expiration is not after credential_now() (the job clock;
    default: now) is refused with ExpiredTokenException.
    """
    authorization = request.header("Authorization")
    if authorization is None:
        raise ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token")
    fields = parse_authorization(authorization)
    amz_date, signed_at = parse_amz_date(request)

    scope_parts = fields["Credential"].split("/")
    if len(scope_parts) != 5:
        raise incomplete(f"Credential must have exactly 5 slash-delimited elements, "
                         f"e.g. keyid/date/region/service/term, got '{fields['Credential']}'")
    access_key, scope_date, region, scoped_service, terminator = scope_parts
    if scoped_service != service:
        raise invalid(f"Credential should be scoped to correct service: '{service}'. ")
    if terminator != TERMINATOR:
        raise invalid(f"Credential should be scoped with a valid terminator: "
                      f"'{TERMINATOR}', not '{terminator}'.")
    if scope_date != amz_date[:8]:
        raise invalid(f"Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                      f"version of date from HTTP: '{scope_date}' != '{amz_date[:8]}', "
                      f"from '{amz_date}'.")

    known = lookup(access_key)
    if known is None or request.header("X-Amz-Security-Token") != known.session_token:
        raise unrecognized()
    now = time.time() if now is None else now
    if known.expiration is not None and \
            known.expiration <= (credential_now() if credential_now else now):
        raise ServiceError("ExpiredTokenException", EXPIRED_TOKEN_MESSAGE)

    check_clock_skew(amz_date, signed_at, now)

    signed_names = fields["SignedHeaders"].split(";")
    if "host" not in signed_names:
        raise incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS "
                         "Authorization.")
    canonical_request = "\n".join([
        request.method, canonical_uri(request.raw_path), canonical_query(request.query),
        canonical_headers(request, signed_names), fields["SignedHeaders"], payload_hash(request)])
    scope = f"{scope_date}/{region}/{service}/{TERMINATOR}"
    string_to_sign = "\n".join([
        ALGORITHM, amz_date, scope,
        # Header values were decoded as latin-1: encode back to the wire bytes.
        hashlib.sha256(canonical_request.encode("latin-1", errors="replace")).hexdigest(),
    ])
    expected = hmac.new(signing_key(known.secret, scope_date, region, service),
                        string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["Signature"].strip().lower()):
        raise SignatureMismatch(canonical_request, string_to_sign)
    return Identity(region, known)
