"""Statuses on the job clock, and the switch that makes resources fail.

A Timeline is a resource's schedule of statuses: [(when, status)], in time
order. Its status at a moment is the last one due by then, so resources move
as the job clock moves, with no background thread; a change of plan (cancel,
delete) drops what was still to come and schedules new steps from now.

The FailSwitch holds, per kind of resource, how many of the next created
ones must end in FAILED (set through POST /_emulator/fail_next).
"""

import threading

DEFAULT_FAILURE_MESSAGE = "Failed on request of the emulator's fail_next switch."
STEP = 1.0      # seconds of the job clock between one status and the next
CREATING = [(0, "CREATING"), (STEP, "ACTIVE")]
CREATING_FAILS = [(0, "CREATING"), (STEP, "FAILED")]
DELETING = [(0, "DELETING"), (STEP, "DELETED")]


class Timeline:
    def __init__(self, start, steps):
        """steps: [(seconds after start, status)], the first at 0."""
        self.events = [(start + offset, status) for offset, status in steps]

    def _due(self, now):
        return [event for event in self.events if event[0] <= now] or self.events[:1]

    def status(self, now):
        return self._due(now)[-1][1]

    def entered(self, status, now):
        """When the resource last entered status, if it has by now; else None."""
        return max((when for when, name in self._due(now) if name == status), default=None)

    def last_change(self, now):
        """When the status last changed by now (a request's `now` may be a
        moment older than a resource another request has just created)."""
        return self._due(now)[-1][0]

    def reschedule(self, now, steps):
        """Drop the steps not yet due; then [(seconds after now, status)]."""
        self.events = [(when, status) for when, status in self.events if when <= now]
        self.events.extend((now + offset, status) for offset, status in steps)


class FailSwitch:
    def __init__(self, kinds):
        self.kinds = tuple(kinds)
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._armed = {}      # kind -> [message, ...]

    def arm(self, kind, count=1, message=None):
        if kind not in self.kinds:
            raise ValueError(f"unknown kind {kind!r}; one of: " + ", ".join(self.kinds))
        with self._lock:
            self._armed.setdefault(kind, []).extend([message or DEFAULT_FAILURE_MESSAGE] * count)

    def take(self, kind):
        """The failure message if the next resource of this kind must fail, else None."""
        with self._lock:
            queue = self._armed.get(kind)
            return queue.pop(0) if queue else None

    def pending(self):
        with self._lock:
            return {kind: len(queue) for kind, queue in self._armed.items() if queue}

