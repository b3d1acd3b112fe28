"""The budget of one decision evaluation: steps, depth and time, like the expression evaluator's.

A business knowledge model may call itself (FEEL allows it, and the TCK uses it for factorials): a model
that never stops held a web thread for over a minute. The evaluator opens a budget at its entry points
(`evaluation()`), and charges it at its recursion points (`call()` around each invocation of a knowledge
model, `step()` per decision and per table row). The first evaluation on a thread owns the budget; nested
ones (a decision requiring another) spend the same one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .errors import DecisionError

MAX_STEPS = 100_000  # decisions, table rows and knowledge-model calls in one evaluation
MAX_DEPTH = 64  # knowledge-model calls inside one another
MAX_SECONDS = 1.0  # wall clock for one evaluation


class DecisionBudgetExceeded(DecisionError):
    """An evaluation stopped by its budget; the words are the same at validation and at run time."""


@dataclass
class _Budget:
    steps: int = 0
    depth: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise DecisionBudgetExceeded(f"stopped after {MAX_STEPS:,} steps (the limit for one decision)")
        if time.monotonic() > self.deadline:
            raise DecisionBudgetExceeded(f"stopped after {MAX_SECONDS} s (the limit for one decision)")


_current: ContextVar[_Budget | None] = ContextVar("decision_budget", default=None)


@contextmanager
def evaluation() -> Iterator[None]:
    """Around an entry point: a fresh budget unless one is already being spent; deep data is an error."""
    if _current.get() is not None:
        yield
        return
    token = _current.set(_Budget())
    try:
        yield
    except RecursionError:
        raise DecisionError("the data or the decision is nested too deeply") from None
    finally:
        _current.reset(token)


def step() -> None:
    budget = _current.get()
    if budget is not None:
        budget.step()


@contextmanager
def call(label: str) -> Iterator[None]:
    """Around one invocation of a business knowledge model."""
    budget = _current.get()
    if budget is None:
        yield
        return
    budget.step()
    budget.depth += 1
    try:
        if budget.depth > MAX_DEPTH:
            raise DecisionBudgetExceeded(
                f"{label} calls itself more than {MAX_DEPTH} levels deep (the limit for one decision)")
        yield
    finally:
        budget.depth -= 1
