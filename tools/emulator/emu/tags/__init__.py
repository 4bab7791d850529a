"""Tags by resource ARN for every resource the emulator creates, and the
operations TagResource, UntagResource and ListTagsForResource (registry.py)."""
