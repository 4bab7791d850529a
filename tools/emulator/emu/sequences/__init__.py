"""Sequence stores, read sets and multipart uploads (readsets.py), read set
jobs (jobs.py) and file checks (formats.py): one SequenceApi holding their
state, under one lock."""

import threading

from ..records import Tokens
from .jobs import Jobs
from .readsets import ReadSets


class SequenceApi(ReadSets, Jobs):
    def __init__(self, clock, s3, part_size):
        self.clock, self.s3, self.part_size = clock, s3, part_size
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._stores, self._read_sets, self._uploads, self._jobs = {}, {}, {}, {}
            self.tokens = Tokens()
