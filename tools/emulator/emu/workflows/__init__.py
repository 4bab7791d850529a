"""Workflows, workflow versions, runs and run tasks, run groups, run caches,
configurations and run batches: storage (store.py),
operations (api.py)."""
