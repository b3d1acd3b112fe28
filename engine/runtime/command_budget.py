"""The budget of one command's engine steps: a diagram looping through script tasks and gateways without
ever waiting on a person or a timer is stopped, instead of holding the dossier's write lock (on SQLite, the
whole database's) while everyone else waits.

Each script is already bounded by the expression evaluator (0.5 s, 100,000 steps) and each decision by its
own budget; this bounds how many of them one command may run, and for how long in all.
"""

from __future__ import annotations

import time
from typing import Any

from engine.runtime.errors import ProcessError

MAX_ENGINE_STEPS = 1_000  # engine tasks (scripts, gateways, events) completed in one command
MAX_COMMAND_SECONDS = 2.0  # wall clock of one command's engine steps


class BudgetExceeded(ProcessError):
    """The command stopped by its budget: rolled back whole, recorded as an incident of the dossier."""


class CommandBudget:
    def __init__(self) -> None:
        self.steps = 0
        self.deadline = time.monotonic() + MAX_COMMAND_SECONDS

    def before_step(self, task: Any) -> None:
        """SpiffWorkflow's will_complete_task callback: refuses the step over the budget."""
        self.steps += 1
        element = getattr(task.task_spec, "bpmn_id", "") or ""
        if self.steps > MAX_ENGINE_STEPS:
            raise BudgetExceeded(f"{element}: stopped after {MAX_ENGINE_STEPS:,} engine steps in one command "
                                 "(a loop in the diagram that never waits?)", element_id=element)
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"{element}: stopped after {MAX_COMMAND_SECONDS} s of engine steps in one "
                                 "command", element_id=element)
