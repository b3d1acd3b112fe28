"""Budgets that keep one expression or script from hanging the server or exhausting its memory.

Three kinds of guard, because one is not enough:

- the *step* and *wall-clock* budgets stop long loops (including a loop whose every step is cheap);
- the *size* caps refuse, before computing it, any single result that would be huge (`'a' * 10**10`,
  `2 ** 10**8`, `range(10**9)`) and the *allocation* budget bounds everything made in one call;
- the *value walk* bounds what C code will traverse: `x = [x, x]` thirty times is a few hundred bytes of
  objects but 2**30 elements to print, compare, hash or serialise, and C code cannot be interrupted.
"""

from __future__ import annotations

import time
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain
from typing import Any

from engine.expressions.errors import ExpressionError, ExpressionTimeout
from engine.runtime.bounded_json import MAX_DEPTH as MAX_JSON_DEPTH

MAX_SOURCE_LENGTH = 10_000  # characters in one expression or script (a long script is ~1,000)
MAX_DEPTH = 100  # nesting of the syntax tree (the interpreter recurses on it)
MAX_STEPS = 100_000  # syntax-tree nodes evaluated in one call, loop bodies counted at every pass
MAX_SECONDS = 0.5  # wall clock for one call
MAX_LENGTH = 100_000  # items or characters in one string, list, dict, set or range a diagram makes
MAX_ALLOCATION = 5_000_000  # items and characters made in one call, all results added up
MAX_INT_BITS = 4096  # an integer of about 1,233 decimal digits
MAX_INT_DIGITS = 1_233  # the same cap for a Decimal turned into an int
MAX_FORMAT_NUMBER = 1_000  # a width or precision in a format spec such as f"{x:>1000}"
MAX_VALUE_NODES = 1_000_000  # parts of one value compared, hashed, printed or stored, shared parts each time
MAX_VALUE_CHARS = 20_000_000  # characters of one such value
MAX_DATA_DEPTH = MAX_JSON_DEPTH  # lists and dicts inside one another in task data, as in a request body

SCALARS = frozenset({int, float, str, bool, type(None), Decimal, date, datetime, timedelta})
_SIZED = (str, list, tuple, dict, set, frozenset)
_VIEWS = (KeysView, ValuesView, ItemsView)
_COLLECTIONS = (list, tuple, set, frozenset, *_VIEWS)
# Values that are fine while a script runs but cannot be kept in task data (it is serialised as JSON).
_TRANSIENT = (range, Iterator, *_VIEWS)
_UNSTORABLE = (*_TRANSIENT, set, frozenset)
_JSON_KEYS = (str, int, float, bool, type(None))


class Run:
    """The state of one call: where names come from, and how much of each budget is spent."""

    __slots__ = ("allocated", "deadline", "functions", "locals", "names", "steps")

    def __init__(self, names: Mapping[str, Any], functions: Mapping[str, Any]):
        self.names = names
        self.functions = functions
        self.locals: dict[str, Any] = {}  # comprehension variables, which never reach task data
        self.steps = 0
        self.allocated = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def tick(self, cost: int) -> None:
        self.steps += cost
        if self.steps > MAX_STEPS:
            raise ExpressionTimeout(f"stopped after {MAX_STEPS:,} steps (the limit for one evaluation)")
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise ExpressionTimeout(f"stopped after {MAX_SECONDS} s (the limit for one evaluation)")

    def charge(self, amount: int) -> None:
        self.allocated += amount
        if self.allocated > MAX_ALLOCATION:
            raise ExpressionError(f"makes more than {MAX_ALLOCATION:,} items or characters in one evaluation")


def too_long(what: str, length: int) -> ExpressionError:
    return ExpressionError(f"{what} would have {length:,} items or characters (the limit is {MAX_LENGTH:,})")


def check_result(run: Run, value: Any) -> Any:
    """Refuse a result over the size caps and charge what it made; returns the value."""
    kind = type(value)
    if kind is int:
        if value.bit_length() > MAX_INT_BITS:
            raise ExpressionError(f"a number would have more than {MAX_INT_BITS:,} bits")
    elif kind is not str and kind in SCALARS:
        pass  # the common case: a number, a date, a flag
    elif isinstance(value, _SIZED):
        length = len(value)
        if length > MAX_LENGTH:
            raise too_long(f"a {kind.__name__}", length)
        run.charge(length)
    return value


def guard(value: Any) -> None:
    """Before C code traverses a value (compare, hash, print), make sure the traversal is bounded."""
    if type(value) not in SCALARS:
        _walk(value, storing=False, what="a value")


def check_assignable(value: Any, name: str) -> None:
    """At each assignment, the value itself: a function, iterator or range cannot become task data."""
    if type(value) not in SCALARS and (callable(value) or isinstance(value, _TRANSIENT)):
        raise _not_storable(value, f"'{name}'")


def check_storable(value: Any, name: str) -> None:
    """Once a script is done, the whole value: JSON-serialisable kinds only, and bounded once expanded.

    Sets are refused here, not at each assignment: a script may use one and keep a sorted list of it.
    """
    if type(value) not in SCALARS:
        _walk(value, storing=True, what=f"'{name}'")
        _check_depth(value, f"'{name}'")


def _check_depth(value: Any, what: str) -> None:
    # Task data is written as JSON and read back by recursive code: x = [x] five thousand times is small but
    # cannot be stored. Run after _walk, which has bounded the parts (and refused a value containing itself).
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            parts: Iterable[Any] = item.values()
        elif isinstance(item, list | tuple):
            parts = item
        else:
            continue
        if depth > MAX_DATA_DEPTH:
            raise ExpressionError(f"{what} is nested more than {MAX_DATA_DEPTH} levels deep")
        stack.extend((part, depth + 1) for part in parts if isinstance(part, dict | list | tuple))


def _not_storable(value: Any, what: str) -> ExpressionError:
    return ExpressionError(
        f"{what} would hold a {type(value).__name__}; task data can hold only values "
        "(numbers, text, dates, lists, dicts): wrap it in list(…) or sorted(…), or call the function"
    )


def _walk(value: Any, storing: bool, what: str) -> None:
    # Counts every part each time it is reached, as printing or JSON would: shared parts count again.
    nodes = 1
    chars = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            chars += len(item)
            if chars > MAX_VALUE_CHARS:
                raise ExpressionError(f"{what} is too large: more than {MAX_VALUE_CHARS:,} characters")
            continue
        if kind in SCALARS:
            continue
        if storing and kind is not dict and kind is not list and (callable(item) or isinstance(item, _UNSTORABLE)):
            raise _not_storable(item, what)
        parts: Iterable[Any]
        if isinstance(item, dict):
            if storing and not all(isinstance(key, _JSON_KEYS) for key in item):
                raise ExpressionError(f"{what} would hold a dict whose keys are not all text or numbers")
            parts, size = chain(item.keys(), item.values()), 2 * len(item)
        elif isinstance(item, _COLLECTIONS):
            parts, size = item, len(item)
        else:
            continue
        nodes += size
        if nodes > MAX_VALUE_NODES:  # checked before pushing, so the stack stays within the cap too
            raise ExpressionError(
                f"{what} is too large: more than {MAX_VALUE_NODES:,} parts once shared parts are counted "
                "(or it contains itself)"
            )
        stack.extend(parts)
