"""Sequence stores, read sets and multipart uploads (readsets.py), read set
jobs (jobs.py) and file checks (formats.py): one SequenceApi holding their
state, under one lock."""

from ..records import Area, Tokens
from .jobs import Jobs
from .readsets import ReadSets


class SequenceApi(Area, ReadSets, Jobs):
    def reset(self):
        with self._lock:
            self._stores, self._read_sets, self._uploads, self._jobs = {}, {}, {}, {}
            self.tokens = Tokens()
