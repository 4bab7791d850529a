"""Reference stores: storage (store.py), operations (api.py)."""
