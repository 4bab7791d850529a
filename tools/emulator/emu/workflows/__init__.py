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

    def control_handlers(self):
        """POST /_emulator/run_tasks {"count": n}: tasks of the runs started afterwards."""
        from ..control import ControlError

        def run_tasks(document, query):
            count = document.get("count")
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 1000:
                raise ControlError(400, "'count' must be an integer from 0 to 1000")
            with self._lock:
                self.tasks_per_run = count
            return {"count": count}

        return {("POST", "run_tasks"): run_tasks}
