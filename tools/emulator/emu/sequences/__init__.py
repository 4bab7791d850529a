"""Sequence stores, read sets and multipart uploads (readsets.py), read set
jobs (jobs.py) and file checks (formats.py): one SequenceApi holding their
state, under one lock."""

from ..records import StoreArea, Tokens
from .jobs import Jobs
from .readsets import ReadSets


class SequenceApi(StoreArea, ReadSets, Jobs):
    noun, arn_word, store_member = "Sequence store", "sequenceStore", "sequenceStoreId"
    tag_kind = "SEQUENCE_STORE"

    def reset(self):
        with self._lock:
            self._stores, self._read_sets, self._uploads, self._jobs = {}, {}, {}, {}
            self.tokens = Tokens()
