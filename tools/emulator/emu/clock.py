"""The emulator's job clock: wall time that tests can advance or speed up.

Only background work (import jobs) and the timestamps it produces follow this
clock; signature checks use the real time.
"""

import threading
import time


class JobClock:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._base_real = time.monotonic()
            self._base_now = time.time()
            self.speed = 1.0

    def now(self):
        """Seconds since the epoch, on the emulator clock."""
        with self._lock:
            return self._now_locked()

    def _now_locked(self):
        return self._base_now + (time.monotonic() - self._base_real) * self.speed

    def advance(self, seconds):
        with self._lock:
            self._base_now += seconds

    def set_speed(self, factor):
        with self._lock:
            self._base_now = self._now_locked()
            self._base_real = time.monotonic()
            self.speed = factor
