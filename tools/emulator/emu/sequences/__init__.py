"""Sequence stores and read sets: file formats
(formats.py), storage and jobs (store.py), operations (api.py)."""
