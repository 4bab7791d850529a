"""Workflows and their versions (definitions.py), runs, run tasks, run
groups, run caches and configurations (runs.py), and run batches
(batches.py): one WorkflowApi holding their state, under one lock."""

from ..records import Area, Tokens
from .batches import Batches
from .definitions import Definitions
from .runs import Runs

FAIL_KINDS = ("workflow", "workflow_version", "run", "task", "run_cache", "configuration", "batch")
DEFAULT_TASKS_PER_RUN = 2


class WorkflowApi(Area, Definitions, Runs, Batches):
    def reset(self):
        with self._lock:
            self._workflows, self._runs, self._task_ids = {}, {}, set()
            self._run_groups, self._run_caches = {}, {}
            self._configurations, self._batches = {}, {}
            self.tokens = Tokens()
            self._sweeping = False
            self.tasks_per_run = DEFAULT_TASKS_PER_RUN

