"""The emulator's state and its entry point for one parsed HTTP request."""

from .clock import JobClock
from .control import ControlApi
from .credentials import CredentialRegistry
from .faults import FaultQueue
from .files import FileStore
from .identity.config import IdentityConfig
from .identity.dispatch import IdentityDispatcher
from .analytics import FAIL_KINDS as ANALYTICS_FAIL_KINDS, AnalyticsApi
from .lifecycle import FailSwitch
from .model import Model
from .references import ReferenceApi
from .s3 import S3Root
from .sequences import SequenceApi
from .service import ServiceDispatcher
from .shares import FAIL_KINDS as SHARE_FAIL_KINDS, ShareApi
from .stats import RequestLog, Stats
from .tags.registry import TagRegistry
from .workflows import FAIL_KINDS as WORKFLOW_FAIL_KINDS, WorkflowApi


class Emulator:
    def __init__(self, s3_root, part_size, seed_demo=False, credentials=()):
        self.seed_demo = seed_demo
        self.model = Model()
        self.clock = JobClock()
        self.credentials = CredentialRegistry(credentials)
        self.stats = Stats()
        self.request_log = RequestLog()
        self.faults = FaultQueue()
        self.delay_seconds = self.skew_seconds = 0.0
        self.s3 = S3Root(s3_root)
        # read set and reference files, parts, long request bodies: where no S3 URI reaches
        self.files = FileStore(self.s3.root / ".omics-emulator")
        self.tags = TagRegistry(self.clock)
        self.references = ReferenceApi(clock=self.clock, s3=self.s3, tags=self.tags,
                                       files=self.files, part_size=part_size)
        self.sequences = SequenceApi(clock=self.clock, s3=self.s3, tags=self.tags,
                                     files=self.files, part_size=part_size)
        self.failures = FailSwitch(WORKFLOW_FAIL_KINDS + ANALYTICS_FAIL_KINDS + SHARE_FAIL_KINDS)
        self.workflows = WorkflowApi(clock=self.clock, s3=self.s3, tags=self.tags,
                                     failures=self.failures, model=self.model)
        self.analytics = AnalyticsApi(clock=self.clock, s3=self.s3, tags=self.tags,
                                      failures=self.failures)
        self.shares = ShareApi(clock=self.clock, tags=self.tags, failures=self.failures)
        self.service = ServiceDispatcher(self, self.model, [
            self.references, self.sequences, self.workflows, self.analytics, self.shares, self.tags])
        self.identity_config = IdentityConfig(self.clock)
        self.identity = IdentityDispatcher(self)
        self.control = ControlApi(self)
        if seed_demo:
            self.references.seed_demo()

    def reset(self):
        """Back to the state at start (files under the S3 root are kept, stored ones go)."""
        self.delay_seconds = self.skew_seconds = 0.0
        self.faults.clear()
        for part in (self.files, self.stats, self.request_log, self.credentials, self.clock,
                     self.identity_config, self.references, self.sequences,
                     self.tags, self.failures, self.workflows, self.analytics, self.shares):
            part.reset()
        if self.seed_demo:
            self.references.seed_demo()

    def handle(self, request):
        if self.control.owns(request):
            return self.control.handle(request)
        if self.identity.owns(request):
            return self.identity.handle(request)
        self.stats.flight(1)
        try:
            return self.service.handle(request)
        finally:
            self.stats.flight(-1)
