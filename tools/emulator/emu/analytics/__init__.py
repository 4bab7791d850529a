"""Annotation stores and their versions, variant stores, and annotation and
variant import jobs: storage (store.py), input shapes (shapes.py), operations (api.py)."""
