"""What a FEEL expression evaluates in: its scope of names, function values, and the notes that explain
why an evaluation gave null (DMN 1.5 §10.3.2.2: an error in FEEL is a null, not an exception)."""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import budget
from .errors import DecisionError
from .values import Range, to_feel

MISSING = object()  # what `Scope.find` gives for a name it does not know
_NOTES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("feel_notes", default=None)


def note(message: str) -> None:
    """Explain a null the evaluation produced (kept only while someone collects notes)."""
    collected = _NOTES.get()
    if collected is not None and len(collected) < 50:
        collected.append(message)


class collect_notes:
    """`with collect_notes() as notes:` gathers the explanations of the nulls of one evaluation."""

    def __enter__(self) -> list[str]:
        self._notes: list[str] = []
        self._token = _NOTES.set(self._notes)
        return self._notes

    def __exit__(self, *exc: object) -> None:
        _NOTES.reset(self._token)


class Scope:
    """Names visible to an expression. Raw Python values (task data) are converted to FEEL values the
    first time a name is read, so a large task data dict costs only what the decision touches."""

    __slots__ = ("_parent", "_raw", "_values")

    def __init__(self, raw: Mapping[str, Any] | None = None, parent: Scope | None = None) -> None:
        self._raw: Mapping[str, Any] = raw if raw is not None else {}
        self._values: dict[str, Any] = {}
        self._parent = parent

    def bind(self, name: str, value: Any) -> None:
        """Bind a value that is already a FEEL value (a decision's result, a parameter)."""
        self._values[name] = value

    def find(self, name: str) -> Any:
        """The value of a name, or `MISSING`."""
        scope: Scope | None = self
        while scope is not None:
            values = scope._values
            if name in values:
                return values[name]
            if name in scope._raw:
                value = values[name] = to_feel(scope._raw[name])
                return value
            scope = scope._parent
        return MISSING


class Function:
    """A FEEL function value: a built-in, a lambda (`function(x) x + 1`), a business knowledge model or
    a decision service. `parameters` is None when the implementation checks its arguments itself.
    Invocation errors give null (with a note), as FEEL says."""

    def __init__(
        self, name: str, parameters: Sequence[str] | None, implementation: Callable[..., Any] | None = None
    ) -> None:
        self.name = name
        self.parameters = parameters
        self.implementation = implementation

    def __repr__(self) -> str:
        return f"function {self.name}"

    def __call__(self, *args: Any) -> Any:
        return self.invoke(list(args), None)

    def invoke(self, args: list[Any], named: dict[str, Any] | None) -> Any:
        if self.implementation is None:
            raise DecisionError(f"function '{self.name}' has no body")
        parameters = self.parameters
        if named is not None:
            if parameters is None:
                note(f"{self.name}() does not take named arguments")
                return None
            unknown = set(named) - set(parameters)
            if unknown:
                note(f"{self.name}() has no parameter {', '.join(sorted(unknown))}")
                return None
            args = [named.get(p) for p in parameters]
        elif parameters is not None and len(args) != len(parameters):
            note(f"{self.name}() takes {len(parameters)} arguments, not {len(args)}")
            return None
        with budget.call(self.name):  # a FEEL function may call itself: each call is charged
            return self.implementation(*args)


def invoke(function: Any, args: list[Any], named: dict[str, Any] | None, label: str) -> Any:
    if isinstance(function, Function):
        return function.invoke(args, named)
    if function is None or not callable(function) or isinstance(function, Range):
        note(f"'{label}' is not a function")
        return None
    return function(*args)
