"""Sequence stores and read sets: input shapes (shapes.py), file formats
(formats.py), storage and jobs (store.py), operations (api.py)."""
