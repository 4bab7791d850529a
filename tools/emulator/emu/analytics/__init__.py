"""Annotation stores and their versions, variant stores (stores.py), and
annotation and variant import jobs (imports.py): one AnalyticsApi holding
their state, under one lock."""

from ..records import Area
from .imports import Imports
from .stores import Stores

FAIL_KINDS = ("annotation_store", "annotation_store_version", "variant_store",
              "annotation_import", "variant_import")


class AnalyticsApi(Area, Stores, Imports):
    def reset(self):
        with self._lock:
            self._stores = {"annotation": {}, "variant": {}}   # kind -> name -> store
            self._jobs = {}
