"""Small value helpers shared by the service modules: ids, ARNs, timestamps."""

import secrets
import time

ACCOUNT_ID = "123456789012"


def new_id(taken):
    """A random 10-digit id not in taken (a container of existing ids)."""
    while True:
        candidate = str(secrets.randbelow(9 * 10**9) + 10**9)
        if candidate not in taken:
            return candidate


def arn(region, resource):
    return f"arn:aws:omics:{region}:{ACCOUNT_ID}:{resource}"


def iso_timestamp(seconds):
    """ISO-8601 UTC with milliseconds, e.g. 2024-03-01T01:00:00.123Z."""
    whole = int(seconds)
    millis = int(round((seconds - whole) * 1000))
    if millis == 1000:
        whole, millis = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"
