"""Shares of annotation stores, variant stores and workflows: storage and
operations (api.py)."""
