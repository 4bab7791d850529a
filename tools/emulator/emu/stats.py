"""Counters and the log of recent service requests, for the control API."""

import threading
from collections import Counter, deque

REQUEST_LOG_SIZE = 1000
# Longer bodies (read set parts) are logged cut short, marked body_truncated.
LOGGED_BODY_LIMIT = 256 * 1024


class Stats:
    """Counts of requests (service and identity ones apart), connections and
    failed authentications, calls by operation, and the most service requests
    answered at once."""
    COUNTERS = ("requests", "connections", "auth_failures", "identity_requests", "max_in_flight")

    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self.counts = Counter(dict.fromkeys(self.COUNTERS, 0))
            self.by_operation = Counter()
            self.in_flight = 0

    def flight(self, step):
        """A service request starts (1) or ends (-1) being answered."""
        with self._lock:
            self.in_flight += step
            self.counts["max_in_flight"] = max(self.counts["max_in_flight"], self.in_flight)

    def count(self, counter, operation=None):
        """One more of counter (and of operation, if given)."""
        with self._lock:
            self.counts[counter] += 1
            if operation:
                self.by_operation[operation] += 1

    def snapshot(self):
        with self._lock:
            return {**self.counts, "by_operation": dict(self.by_operation)}


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._entries = deque(maxlen=REQUEST_LOG_SIZE)

    def reset(self):
        with self._lock:
            self._entries.clear()

    def record(self, request, operation, labels):
        """Keep the request as received; returns the entry for later notes."""
        entry = {"method": request.method, "raw_path": request.raw_path,
                 "path_decoded": request.path_decoded, "query": request.query,
                 "headers": [[name, value] for name, value in request.headers],
                 "body": request.body[:LOGGED_BODY_LIMIT].decode("utf-8", errors="replace"),
                 "operation": operation, "labels": labels}
        if len(request.body) > LOGGED_BODY_LIMIT:
            entry["body_truncated"] = True
        with self._lock:
            self._entries.append(entry)
        return entry

    def last(self, limit=None):
        with self._lock:
            entries = list(self._entries)
        return entries[-limit:] if limit else entries
