"""One place that knows every taggable resource ARN and its tags.

Packages whose backends create resources call register(arn, tags, kind, id)
when they create one (with the create request's `tags`) and forget(arn) when
it is gone. The registry also serves other packages as a directory (shares
check that a shared ARN names a store or workflow).
"""

import threading
from dataclasses import dataclass, field

from ..errors import not_found, validation

MAX_TAGS = 50
RESERVED_PREFIX = "aws:"


@dataclass
class Resource:
    arn: str
    kind: str
    id: str
    tags: dict = field(default_factory=dict)
    timeline: object = None   # for resources that go away on the job clock (DELETED)


class TagRegistry:
    def __init__(self, clock):
        self.clock = clock
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._owned = {}      # arn -> Resource, registered by their creators

    # --- for the packages that create resources ---------------------------

    def register(self, arn, tags=None, kind=None, resource_id=None, timeline=None):
        with self._lock:
            self._owned[arn] = Resource(arn, kind, resource_id, dict(tags or {}), timeline)

    def forget(self, arn):
        with self._lock:
            self._owned.pop(arn, None)

    def drop(self, table, key):
        """Delete table[key], a record with an arn, and forget that arn."""
        self.forget(table.pop(key)["arn"])

    def find(self, arn):
        """The Resource named by arn, or None if no such resource exists (now)."""
        with self._lock:
            resource = self._owned.get(arn)
            if resource is not None and resource.timeline is not None \
                    and resource.timeline.status(self.clock.now()) == "DELETED":
                self.forget(arn)
                return None
            return resource

    # --- the tag operations -------------------------------------------------

    def existing(self, arn):
        resource = self.find(arn)
        if resource is None:
            raise not_found(f"Resource {arn} not found.")
        return resource

    def tags_of(self, arn):
        resource = self.existing(arn)
        with self._lock:
            return dict(resource.tags)

    # --- the operations TagResource, UntagResource, ListTagsForResource --------

    def list_tags_for_resource(self, context, params):
        return {"tags": self.tags_of(params["resourceArn"])}

    def tag_resource(self, context, params):
        resource = self.existing(params["resourceArn"])
        check_reserved(params["tags"])
        with self._lock:
            merged = {**resource.tags, **params["tags"]}
            if len(merged) > MAX_TAGS:
                raise validation(f"A resource can have at most {MAX_TAGS} tags; "
                                 f"this request would leave {len(merged)}.")
            resource.tags = merged

    def untag_resource(self, context, params):
        resource = self.existing(params["resourceArn"])
        with self._lock:
            for key in params["tagKeys"]:
                resource.tags.pop(key, None)


def check_reserved(tags):
    reserved = sorted(k for k in tags if k.lower().startswith(RESERVED_PREFIX))
    if reserved:
        raise validation(f"Tag keys starting with '{RESERVED_PREFIX}' are reserved: "
                         + ", ".join(reserved))


def check_create_tags(tags):
    """Validate the `tags` of a create request the way TagResource would."""
    if not tags:
        return
    check_reserved(tags)
    if len(tags) > MAX_TAGS:
        raise validation(f"A resource can have at most {MAX_TAGS} tags.")

