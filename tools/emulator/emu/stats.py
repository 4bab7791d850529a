"""Counters and the log of recent service requests, for the control API."""

import threading
from collections import Counter, deque

REQUEST_LOG_SIZE = 1000
# Longer bodies (read set parts) are logged cut short, marked body_truncated.
LOGGED_BODY_LIMIT = 256 * 1024


class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.requests = 0
            self.connections = 0
            self.auth_failures = 0
            self.identity_requests = 0
            self.by_operation = Counter()

    def connection_opened(self):
        with self._lock:
            self.connections += 1

    def request_served(self, operation):
        with self._lock:
            self.requests += 1
            if operation:
                self.by_operation[operation] += 1

    def identity_request(self, operation):
        """A call to STS, SSO, container credentials or IMDS (not in `requests`)."""
        with self._lock:
            self.identity_requests += 1
            if operation:
                self.by_operation[operation] += 1

    def auth_failed(self):
        with self._lock:
            self.auth_failures += 1

    def snapshot(self):
        with self._lock:
            return {"requests": self.requests, "connections": self.connections,
                    "by_operation": dict(self.by_operation), "auth_failures": self.auth_failures,
                    "identity_requests": self.identity_requests}


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = deque(maxlen=REQUEST_LOG_SIZE)

    def reset(self):
        with self._lock:
            self._entries.clear()

    def record(self, request, operation, labels):
        """Keep the request as received; returns the entry for later notes."""
        entry = {
            "method": request.method,
            "raw_path": request.raw_path,
            "path_decoded": request.path_decoded,
            "query": request.query,
            "headers": [[name, value] for name, value in request.headers],
            "body": request.body[:LOGGED_BODY_LIMIT].decode("utf-8", errors="replace"),
            "operation": operation,
            "labels": labels,
        }
        if len(request.body) > LOGGED_BODY_LIMIT:
            entry["body_truncated"] = True
        with self._lock:
            self._entries.append(entry)
        return entry

    def last(self, limit=None):
        with self._lock:
            entries = list(self._entries)
        return entries[-limit:] if limit else entries
