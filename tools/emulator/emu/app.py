"""The emulator's state and its entry point for one parsed HTTP request."""

from .clock import JobClock
from .control import ControlApi
from .credentials import CredentialRegistry
from .faults import FaultQueue
from .references.api import ReferenceApi
from .references.store import ReferenceBackend
from .routing import RouteTable
from .s3 import S3Root
from .sequences.api import SequenceApi
from .sequences.store import SequenceBackend
from .service import ServiceDispatcher
from .stats import RequestLog, Stats


class Emulator:
    def __init__(self, s3_root, part_size, seed_demo=False, credentials=()):
        self.seed_demo = seed_demo
        self.clock = JobClock()
        self.credentials = CredentialRegistry(credentials)
        self.stats = Stats()
        self.request_log = RequestLog()
        self.faults = FaultQueue()
        self.delay_seconds = 0.0
        self.s3 = S3Root(s3_root)
        self.references = ReferenceBackend(self.clock, self.s3)
        routes = ReferenceApi(self.references, part_size).routes()
        self.sequences = SequenceBackend(self.clock, self.s3)
        routes += SequenceApi(self.sequences, part_size).routes()
        self.service = ServiceDispatcher(self, RouteTable(routes))
        self.control = ControlApi(self)
        if seed_demo:
            self.references.seed_demo()

    def reset(self):
        """Back to the state at start (files under the S3 root are kept)."""
        self.stats.reset()
        self.request_log.reset()
        self.faults.clear()
        self.delay_seconds = 0.0
        self.credentials.reset()
        self.clock.reset()
        self.references.reset()
        self.sequences.reset()
        if self.seed_demo:
            self.references.seed_demo()

    def handle(self, request):
        if self.control.owns(request):
            return self.control.handle(request)
        return self.service.handle(request)
