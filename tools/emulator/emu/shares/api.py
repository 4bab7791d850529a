"""CreateShare, GetShare, ListShares, AcceptShare and DeleteShare.

A share is PENDING until accepted; AcceptShare makes it ACTIVATING, then
ACTIVE one step later on the job clock (FAILED if the fail_next switch is set
for "share"); DeleteShare makes it DELETING, then DELETED one step later. A
deleted share stays listed, with status DELETED.

The emulator has a single account: ListShares with resourceOwner SELF lists
the shares it created, OTHER those whose principalSubscriber is its account.
"""

import itertools
import threading
import uuid
from dataclasses import dataclass

from ..errors import ServiceError, not_found, validation
from ..lifecycle import Timeline
from ..paging import paginate
from ..values import ACCOUNT_ID, iso_timestamp, without_none

STEP = 1.0
FAIL_KINDS = ("share",)
PAGE_SIZE = 10
RESOURCE_TYPES = {"VARIANT_STORE": "VARIANT_STORE", "ANNOTATION_STORE": "ANNOTATION_STORE",
                  "WORKFLOW": "WORKFLOW"}


@dataclass
class Share:
    seq: int
    id: str
    resource_arn: str
    resource_id: str
    resource_type: str
    principal_subscriber: str
    name: str
    created: float
    timeline: Timeline
    status_message: str = None
    fails: str = None


class ShareBackend:
    def __init__(self, clock, tags, failures):
        self.clock = clock
        self.tags = tags
        self.failures = failures
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        with self._lock:
            self._seq = itertools.count(1)
            self._shares = {}

    def create(self, params, now):
        with self._lock:
            resource = self.tags.find(params["resourceArn"])
            if resource is None:
                raise not_found(f"Resource {params['resourceArn']} not found.")
            if resource.kind not in RESOURCE_TYPES:
                raise validation(f"Resource {params['resourceArn']} cannot be shared; only "
                                 "annotation stores, variant stores and workflows can.")
            subscriber = params["principalSubscriber"]
            for share in self._shares.values():
                if (share.resource_arn == resource.arn and share.principal_subscriber == subscriber
                        and share.timeline.status(now) not in ("DELETING", "DELETED", "FAILED")):
                    raise ServiceError("ConflictException",
                                       f"Resource {resource.arn} is already shared with "
                                       f"{subscriber} (share {share.id}).")
            share = Share(next(self._seq), str(uuid.uuid4()), resource.arn, resource.id,
                          RESOURCE_TYPES[resource.kind], subscriber, params.get("shareName"), now,
                          Timeline(now, [(0, "PENDING")]), fails=self.failures.take("share"))
            self._shares[share.id] = share
            return share

    def get(self, share_id):
        with self._lock:
            share = self._shares.get(share_id)
            if share is None:
                raise not_found(f"Share {share_id} not found.")
            return share

    def list(self, owner, criteria, now):
        with self._lock:
            def wanted(share):
                if owner == "OTHER" and share.principal_subscriber != ACCOUNT_ID:
                    return False
                return ((criteria.get("resourceArns") is None
                         or share.resource_arn in criteria["resourceArns"])
                        and (criteria.get("status") is None
                             or share.timeline.status(now) in criteria["status"])
                        and (criteria.get("type") is None or share.resource_type in criteria["type"]))
            return sorted(filter(wanted, self._shares.values()), key=lambda s: s.seq)

    def accept(self, share_id, now):
        with self._lock:
            share = self.get(share_id)
            status = share.timeline.status(now)
            if status != "PENDING":
                raise ServiceError("ConflictException",
                                   f"Share {share_id} is {status}; only a PENDING share can be accepted.")
            share.status_message = share.fails
            share.timeline.reschedule(now, [(0, "ACTIVATING"),
                                            (STEP, "FAILED" if share.fails else "ACTIVE")])
            return share

    def delete(self, share_id, now):
        with self._lock:
            share = self.get(share_id)
            if share.timeline.status(now) not in ("DELETING", "DELETED"):
                share.timeline.reschedule(now, [(0, "DELETING"), (STEP, "DELETED")])
            return share


def share_document(share, now):
    status = share.timeline.status(now)
    return without_none({
        "shareId": share.id,
        "resourceArn": share.resource_arn,
        "resourceId": share.resource_id,
        "principalSubscriber": share.principal_subscriber,
        "ownerId": ACCOUNT_ID,
        "status": status,
        "statusMessage": share.status_message if status == "FAILED" else None,
        "shareName": share.name,
        "creationTime": iso_timestamp(share.created),
        "updateTime": iso_timestamp(share.timeline.last_change(now)),
    })


class ShareApi:
    def __init__(self, backend):
        self.backend = backend

    def create_share(self, context, params):
        now = self.backend.clock.now()
        share = self.backend.create(params, now)
        return without_none({"shareId": share.id, "status": share.timeline.status(now),
                             "shareName": share.name})

    def get_share(self, context, params):
        return {"share": share_document(self.backend.get(params["shareId"]),
                                        self.backend.clock.now())}

    def list_shares(self, context, params):
        now = self.backend.clock.now()
        size = params.get("maxResults")
        if size is not None and size < 1:
            raise validation(f"Value '{size}' at 'maxResults' failed to satisfy constraint: "
                             "Member must have value greater than or equal to 1")
        shares = self.backend.list(params["resourceOwner"], params.get("filter", {}), now)
        page, token = paginate(shares, min(size or PAGE_SIZE, 100), params.get("nextToken"))
        return without_none({"shares": [share_document(s, now) for s in page], "nextToken": token})

    def accept_share(self, context, params):
        now = self.backend.clock.now()
        return {"status": self.backend.accept(params["shareId"], now).timeline.status(now)}

    def delete_share(self, context, params):
        now = self.backend.clock.now()
        return {"status": self.backend.delete(params["shareId"], now).timeline.status(now)}
