"""Tags by resource ARN for every resource the emulator creates (registry.py,
resolvers.py), and TagResource, UntagResource and ListTagsForResource (api.py)."""
