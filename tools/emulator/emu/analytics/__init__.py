"""Annotation stores and their versions, variant stores, and annotation and
variant import jobs: storage (store.py), operations (api.py)."""
