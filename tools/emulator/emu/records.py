"""Resources kept as records: dicts whose keys are the model's member names
(answers are these records, cut to the output shape by emu/model.py), with
the emulator's own state (timeline, children, ...) as attributes."""

import functools
import itertools
import threading
import uuid

from .errors import conflict, not_found
from .lifecycle import STEP
from .paging import paginate
from .values import arn, new_id

JOB_MESSAGE_MAX = 127
_sequence = itertools.count(1)
_sequence_lock = threading.Lock()


class Record(dict):
    """Members given as None are left out. `seq` orders records by creation."""

    def __init__(self, members=(), **more):
        super().__init__((k, v) for k, v in {**dict(members), **more}.items() if v is not None)
        with _sequence_lock:
            self.seq = next(_sequence)

    def __setattr__(self, name, value):
        if hasattr(dict, name):
            raise AttributeError(f"a record's {name} would hide dict.{name}")
        super().__setattr__(name, value)


def swept(method):
    """A method (mostly a handler) run under its area's lock after the area's
    _sweep (the work that has fallen due), given the request's time as its
    last argument."""
    @functools.wraps(method)
    def handler(self, *args):
        with self._lock:
            return method(self, *args, self._sweep())
    return handler


def locked(method):
    """A handler run under its area's lock, given the job clock's time as its
    last argument (as swept, without the sweep)."""
    @functools.wraps(method)
    def handler(self, *args):
        with self._lock:
            return method(self, *args, self.clock.now())
    return handler


def by_kind(kinds, *names):
    """Class decorator: each handler name, with KIND spelled as each of the
    kinds ({word in the name: kind}, or words that are the kinds), is the
    generic method named with 'kind' for KIND, given the kind first."""
    kinds = kinds if isinstance(kinds, dict) else {kind: kind for kind in kinds}

    def decorate(cls):
        for name in names:
            generic = getattr(cls, "_" + name.replace("KIND", "kind"))
            for word, kind in kinds.items():
                setattr(cls, name.replace("KIND", word), functools.partialmethod(generic, kind))
        return cls
    return decorate


def new_uuid():
    return str(uuid.uuid4())


def find(table, key, noun, where=""):
    record = table.get(key)
    if record is None:
        raise not_found(f"{noun} {key}{where} not found.")
    return record


def require(record, now, what, allowed=("ACTIVE",), why=", not ACTIVE.", error=conflict):
    """record's status at now (by its timeline), which must be one of allowed;
    else error(f"{what} is {status}{why}")."""
    status = record.timeline.status(now)
    if status not in allowed:
        raise error(f"{what} is {status}{why}")
    return status


def matching(records, **criteria):
    """Records whose members equal the criteria (None matches anything), oldest first."""
    return sorted((r for r in records
                   if all(v is None or r.get(k) == v for k, v in criteria.items())),
                  key=lambda r: r.seq)


def listing(member, records, params, view=None, size_key="maxResults", token_key="nextToken",
            default=10):
    """{member: this page of records (in creation order, each through view),
    "nextToken": the next token}."""
    items, token = paginate(records, params.get(size_key) or default, params.get(token_key))
    return {member: [view(r) for r in items] if view else items, "nextToken": token}


def job_outcome(items, noun, status_key="status"):
    """(status, statusMessage or None) of a job whose items have finished."""
    failed = [item for item in items if item[status_key] == "FAILED"]
    if not failed:
        return "COMPLETED", None
    if len(failed) == len(items):
        return "FAILED", failed[0]["statusMessage"]
    return "COMPLETED_WITH_FAILURES", f"{len(failed)} of {len(items)} {noun} failed."


def clip(message, limit):
    return message if len(message) <= limit else message[:limit - 3] + "..."


def advance_job(job, now, finish, noun, begin=None):
    """Move a job of items (job.entries) along the job clock: SUBMITTED for
    one STEP after its creation, IN_PROGRESS for one more (begin(job, item,
    when) for each item then), then done: finish(job, item, when) for each
    item, whose ValueError makes the item FAILED, with the error as its message."""
    started, done = job["creationTime"] + STEP, job["creationTime"] + 2 * STEP
    if job["status"] == "SUBMITTED" and now >= started:
        job["status"] = "IN_PROGRESS"
        for item in job.entries:
            item["status"] = "IN_PROGRESS"
            if begin is not None:
                begin(job, item, started)
    if job["status"] == "IN_PROGRESS" and now >= done:
        for item in job.entries:
            try:
                finish(job, item, done)
                item["status"] = "FINISHED"
            except ValueError as exc:
                item.update(status="FAILED", statusMessage=clip(str(exc), JOB_MESSAGE_MAX))
        job["status"], message = job_outcome(job.entries, noun)
        job.update(statusMessage=message, completionTime=done)     # a None message is not shown


def created_in(record, criteria, member="creationTime", word="created"):
    """Whether record[member] is within the criteria's createdAfter and
    createdBefore (or another word's After and Before)."""
    after, before = criteria.get(word + "After"), criteria.get(word + "Before")
    return ((after is None or record[member] >= after)
            and (before is None or record[member] <= before))


class Area:
    """One part of the service: the objects it uses (clock=..., s3=..., ...)
    as attributes, and its state, set by reset(), under one lock."""

    def __init__(self, **uses):
        self.__dict__.update(uses)
        self._lock = threading.RLock()
        self.reset()


class Tokens:
    """Idempotency tokens of create requests: (kind, token) -> key."""

    def __init__(self):
        self.keys = {}

    def once(self, kind, token, table, make, key="id"):
        """What an earlier create with this token made, if it still exists;
        else make()'s record (make keeps it in table), remembered for the token."""
        record = table.get(self.keys.get((kind, token))) if token else None
        if record is None:
            record = make()
            if token:
                self.keys[(kind, token)] = record[key]
        return record


class StoreArea(Area):
    """An Area of stores named by 10-digit ids, ACTIVE once created and kept
    until deleted while empty (reference and sequence stores), and of the
    records in them, which name their store in store_member. Its state:
    _stores, _jobs and tokens, besides what the subclass keeps."""
    # e.g. "Reference store", "referenceStore", "referenceStoreId", "REFERENCE_STORE"
    noun = arn_word = store_member = tag_kind = None

    def _new_store(self, region, params, store_id=None, more=()):
        """A store with the create request's name, description and `more` members."""
        store_id = store_id or new_id(self._stores)
        store = Record({k: params.get(k) for k in ("name", "description", *more)}, id=store_id,
                       arn=arn(region, f"{self.arn_word}/{store_id}"),
                       creationTime=self.clock.now(),
                       sseConfig=params.get("sseConfig") or {"type": "KMS"})
        store.region = region
        self._stores[store_id] = store
        self.tags.register(store["arn"], params.get("tags"), self.tag_kind, store_id)
        return store

    def get_store(self, store_id):
        with self._lock:
            return find(self._stores, store_id, self.noun)

    def _in_store(self, table, key, noun, store_id):
        """table[key] if it is in the store (which must exist), else not found."""
        self.get_store(store_id)
        record = table.get(key)
        if record is None or record[self.store_member] != store_id:
            raise not_found(f"{noun} {key} not found in {self.noun.lower()} {store_id}.")
        return record

    def _of_store(self, records, store_id, **criteria):
        """The records in the store (which must exist) that match, oldest first."""
        self.get_store(store_id)
        return matching(records, **{self.store_member: store_id}, **criteria)

    def _new_job(self, kind, params, items, token_kind, **members):
        """A SUBMITTED job of the items in the request's store (made once per
        token_kind and client token), with members besides."""
        with self._lock:
            store_id = self.get_store(params[self.store_member])["id"]

            def make():
                job = Record(members, id=new_id(self._jobs), **{self.store_member: store_id},
                             status="SUBMITTED", creationTime=self.clock.now())
                job.kind, job.entries = kind, [Record(i, status="NOT_STARTED") for i in items]
                self._jobs[job["id"]] = job
                return job
            return self.tokens.once(token_kind or (kind, store_id), params.get("clientToken"),
                                    self._jobs, make)

    def _list_in_store(self, member, records, params, keys=("status",), also=None, default=10):
        """A listing of the request's store's records that match its filter: the
        members named in keys, created in range and (if given) also(record, filter)."""
        criteria = params.get("filter", {})
        found = [r for r in self._of_store(records, params[self.store_member],
                                           **{k: criteria.get(k) for k in keys})
                 if created_in(r, criteria) and (also is None or also(r, criteria))]
        return listing(member, found, params, default=default)

    def _list_stores(self, member, params, default):
        criteria = params.get("filter", {})
        with self._lock:
            found = [s for s in matching(self._stores.values(), name=criteria.get("name"),
                                         status=criteria.get("status"))
                     if created_in(s, criteria)
                     and created_in(s, criteria, "updateTime", "updated")]
            return listing(member, found, params, default=default)

    @swept
    def _delete_store(self, params, holdings, now):
        """Delete a store that holds nothing: holdings [(records, what holding
        one makes it)]; jobs count while unfinished, and go with the store."""
        store_id = self.get_store(params["id"])["id"]
        for records, what in holdings:
            if [r for r in self._of_store(records, store_id) if "completionTime" not in r]:
                raise conflict(f"{self.noun} {store_id} {what}.")
        self._jobs = {k: j for k, j in self._jobs.items() if j[self.store_member] != store_id}
        self.tags.drop(self._stores, store_id)
        return {}
