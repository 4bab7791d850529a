"""Annotation stores and their versions, variant stores (stores.py), and
annotation and variant import jobs (imports.py): one AnalyticsApi holding
their state, under one lock."""

import threading

from .imports import Imports
from .stores import Stores

FAIL_KINDS = ("annotation_store", "annotation_store_version", "variant_store",
              "annotation_import", "variant_import")


class AnalyticsApi(Stores, Imports):
    def __init__(self, clock, s3, tags, failures):
        self.clock, self.s3, self.tags, self.failures = clock, s3, tags, failures
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._stores = {"annotation": {}, "variant": {}}   # kind -> name -> store
            self._jobs = {}
