"""Exceptions of the decision engine."""

from __future__ import annotations


class DecisionError(ValueError):
    """A decision could not be evaluated with the data given (overlapping UNIQUE rules, conflicting ANY
    rules, a value of the wrong type...). The message is plain words and names the decision."""


class FeelSyntaxError(ValueError):
    """A FEEL text the evaluator does not understand; raised at load time, never at run time."""
