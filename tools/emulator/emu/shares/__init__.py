"""CreateShare, GetShare, ListShares, AcceptShare and DeleteShare.

A share is PENDING until accepted; AcceptShare makes it ACTIVATING, then
ACTIVE one step later on the job clock (FAILED if the fail_next switch is set
for "share"); DeleteShare makes it DELETING, then DELETED one step later. A
deleted share stays listed, with status DELETED.

The emulator has a single account: ListShares with resourceOwner SELF lists
the shares it created, OTHER those whose principalSubscriber is its account.
"""

from ..errors import conflict, validation
from ..lifecycle import DELETING, STEP, Timeline
from ..paging import paginate
from ..records import Area, Record, find, locked, matching, new_uuid, require
from ..values import ACCOUNT_ID

FAIL_KINDS = ("share",)
PAGE_SIZE = 10
SHAREABLE = ("VARIANT_STORE", "ANNOTATION_STORE", "WORKFLOW")


class ShareApi(Area):
    def reset(self):
        with self._lock:
            self._shares = {}

    def _view(self, share, now):
        status = share.timeline.status(now)
        return {**share, "status": status, "updateTime": share.timeline.last_change(now),
                "statusMessage": share.failure if status == "FAILED" else None}

    @locked
    def create_share(self, context, params, now):
        resource = self.tags.existing(params["resourceArn"])
        if resource.kind not in SHAREABLE:
            raise validation(f"Resource {params['resourceArn']} cannot be shared; only "
                             "annotation stores, variant stores and workflows can.")
        subscriber = params["principalSubscriber"]
        for share in matching(self._shares.values(), resourceArn=resource.arn,
                              principalSubscriber=subscriber):
            if share.timeline.status(now) not in ("DELETING", "DELETED", "FAILED"):
                raise conflict(f"Resource {resource.arn} is already "
                               f"shared with {subscriber} (share {share['shareId']}).")
        share = Record(shareId=new_uuid(), resourceArn=resource.arn, resourceId=resource.id,
                       principalSubscriber=subscriber, ownerId=ACCOUNT_ID, creationTime=now,
                       shareName=params.get("shareName"))
        share.type, share.failure = resource.kind, self.failures.take("share")
        share.timeline = Timeline(now, [(0, "PENDING")])
        self._shares[share["shareId"]] = share
        return self._view(share, now)

    @locked
    def get_share(self, context, params, now):
        return {"share": self._view(find(self._shares, params["shareId"], "Share"), now)}

    @locked
    def list_shares(self, context, params, now):
        criteria, size = params.get("filter", {}), params.get("maxResults")
        if size is not None and size < 1:
            raise validation(f"Value '{size}' at 'maxResults' failed to satisfy constraint: "
                             "Member must have value greater than or equal to 1")
        found = [s for s in matching(self._shares.values())
                 if (params["resourceOwner"] != "OTHER" or s["principalSubscriber"] == ACCOUNT_ID)
                 and s["resourceArn"] in criteria.get("resourceArns", [s["resourceArn"]])
                 and s.timeline.status(now) in criteria.get("status", [s.timeline.status(now)])
                 and s.type in criteria.get("type", [s.type])]
        items, token = paginate(found, min(size or PAGE_SIZE, 100), params.get("nextToken"))
        return {"shares": [self._view(s, now) for s in items], "nextToken": token}

    @locked
    def accept_share(self, context, params, now):
        share = find(self._shares, params["shareId"], "Share")
        require(share, now, f"Share {share['shareId']}", ("PENDING",),
                "; only a PENDING share can be accepted.")
        share.timeline.reschedule(now, [(0, "ACTIVATING"),
                                        (STEP, "FAILED" if share.failure else "ACTIVE")])
        return self._view(share, now)

    @locked
    def delete_share(self, context, params, now):
        share = find(self._shares, params["shareId"], "Share")
        if share.timeline.status(now) not in ("DELETING", "DELETED"):
            share.timeline.reschedule(now, DELETING)
        return self._view(share, now)
