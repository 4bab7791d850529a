"""Reference stores: storage (store.py), input shapes (shapes.py), operations (api.py)."""
