"""What a diagram may call and read: a whitelist of built-in functions, methods and attributes.

Types are matched along their MRO, so a `dict` subclass or a `datetime` from another library gets the
methods of its safe base class. Nothing here hands out a function or a type as a value: the interpreter
calls them in place, so `x = len` or `sorted(l, key=…)` cannot smuggle one into task data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from engine.expressions.errors import ExpressionError
from engine.expressions.limits import MAX_INT_DIGITS, MAX_LENGTH, too_long
from engine.runtime.bounded_number import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, NumberOutOfBounds, parse_number


@dataclass(frozen=True, slots=True)
class Function:
    call: Callable[..., Any]
    # Whether the function looks inside container arguments (compares, hashes or prints them), so the
    # interpreter must bound those arguments first; len() or list() only count or copy references.
    inspects: bool
    platform: bool = False


def _range(*args: int) -> range:
    numbers = range(*args)
    try:
        length = len(numbers)
    except OverflowError:
        length = MAX_LENGTH + 1
    if length > MAX_LENGTH:
        raise too_long("range(…)", length)
    return numbers


def _check_decimal_to_int(value: Any) -> None:
    # int(Decimal("1e999999")) builds a million-digit integer: 25 s measured, and uninterruptible.
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_DIGITS:
        raise ExpressionError(f"the number has more than {MAX_INT_DIGITS:,} digits")


def _decimal(value: Any = "0", *context: Any) -> Decimal:
    # Decimal("1e999999999") costs nothing, but everything done with it later (int(), f"{x:f}") builds a
    # billion digits: a number written in a diagram or its data is bounded on its text, like a form's.
    if context:
        raise ExpressionError("Decimal(): give only the number")
    if not isinstance(value, str):
        return Decimal(value)  # an int, float or Decimal in hand is already bounded by the evaluator's caps
    try:
        return parse_number(value)
    except NumberOutOfBounds:
        raise ExpressionError(
            f"Decimal(): {str(value)[:40]!r} is not a number within the bounds (at most "
            f"{MAX_INTEGER_DIGITS} digits before the point and {MAX_FRACTION_DIGITS} after)") from None


def _int(value: Any = 0, *base: int) -> int:
    _check_decimal_to_int(value)
    return int(value, *base)


def _round(value: Any, ndigits: int | None = None) -> Any:
    if ndigits is None:
        _check_decimal_to_int(value)
        return round(value)
    # round(5, -10**7) computes 10**10**7 before giving 0.
    if abs(ndigits) > MAX_INT_DIGITS:
        raise ExpressionError(f"round(): ndigits must be between -{MAX_INT_DIGITS} and {MAX_INT_DIGITS}")
    return round(value, ndigits)


def _sum(values: Any, start: Any = 0) -> Any:
    # sum(lists, []) concatenates again and again: quadratic in C. Sums are of numbers.
    if not isinstance(start, int | float | Decimal):
        raise ExpressionError("sum(): the start value must be a number")
    return sum(values, start)


def _enumerate(values: Any, start: int = 0) -> list[tuple[int, Any]]:
    return list(enumerate(values, start))


def _zip(*values: Any) -> list[tuple[Any, ...]]:
    return list(zip(*values, strict=False))


def _reversed(values: Sequence[Any]) -> list[Any]:
    return list(reversed(values))


BUILTINS: dict[str, Function] = {
    "abs": Function(abs, inspects=False),
    "all": Function(all, inspects=False),
    "any": Function(any, inspects=False),
    "bool": Function(bool, inspects=False),
    "date": Function(date, inspects=False),
    "datetime": Function(datetime, inspects=False),
    "Decimal": Function(_decimal, inspects=False),
    "dict": Function(dict, inspects=True),
    "enumerate": Function(_enumerate, inspects=False),
    "float": Function(float, inspects=False),
    "int": Function(_int, inspects=False),
    "len": Function(len, inspects=False),
    "list": Function(list, inspects=False),
    "max": Function(max, inspects=True),
    "min": Function(min, inspects=True),
    "range": Function(_range, inspects=False),
    "reversed": Function(_reversed, inspects=False),
    "round": Function(_round, inspects=False),
    "set": Function(set, inspects=True),
    "sorted": Function(sorted, inspects=True),
    "str": Function(str, inspects=True),
    "sum": Function(_sum, inspects=True),
    "timedelta": Function(timedelta, inspects=False),
    "tuple": Function(tuple, inspects=False),
    "zip": Function(_zip, inspects=False),
}

# Names that must never be called, reported as such rather than as "not defined".
FORBIDDEN_CALLS = frozenset({
    "breakpoint", "callable", "classmethod", "compile", "delattr", "dir", "eval", "exec", "exit", "format",
    "getattr", "globals", "hasattr", "help", "id", "input", "isinstance", "issubclass", "iter", "locals",
    "memoryview", "next", "object", "open", "print", "property", "quit", "setattr", "staticmethod", "super",
    "type", "vars",
})

# Class-level constructors reachable as `date.fromisoformat(…)`; today()/now() are left out on purpose:
# the time of day comes from the platform's clock functions, so that tests can move it.
CLASS_METHODS: dict[str, tuple[type, frozenset[str]]] = {
    "date": (date, frozenset({"fromisoformat"})),
    "datetime": (datetime, frozenset({"fromisoformat", "combine"})),
}

# Asked for on date/datetime, refused with a pointer to the platform's clock functions.
CLOCK_METHODS = frozenset({"now", "today", "utcnow"})

# Methods that change the object they are called on: scripts may use them, conditions may not.
MUTATING_METHODS = frozenset({
    "add", "append", "clear", "discard", "extend", "insert", "pop", "popitem", "remove", "reverse",
    "setdefault", "sort", "update",
})

# Methods that compare the elements of their receiver with each other or with an argument.
COMPARING_METHODS = frozenset({"count", "index", "remove", "sort"})

_STR_METHODS = frozenset({
    "capitalize", "casefold", "center", "count", "endswith", "find", "index", "isalnum", "isalpha",
    "isdecimal", "isdigit", "islower", "isnumeric", "isspace", "istitle", "isupper", "join", "ljust",
    "lower", "lstrip", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust",
    "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title",
    "upper", "zfill",
})
_FROZENSET_METHODS = frozenset({
    "copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset", "symmetric_difference",
    "union",
})
DICT_METHODS = frozenset({
    "clear", "copy", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values",
})
_DATE_METHODS = frozenset({"isocalendar", "isoformat", "isoweekday", "replace", "strftime", "weekday"})
_TIME_FIELDS = frozenset({"hour", "minute", "second", "microsecond"})


@dataclass(frozen=True, slots=True)
class Members:
    base: type
    methods: frozenset[str]
    fields: frozenset[str] = frozenset()


_MEMBERS: dict[type, Members] = {
    str: Members(str, _STR_METHODS),
    list: Members(list, frozenset({
        "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort",
    })),
    tuple: Members(tuple, frozenset({"count", "index"})),
    dict: Members(dict, DICT_METHODS),
    set: Members(set, _FROZENSET_METHODS | {"add", "clear", "discard", "remove", "update"}),
    frozenset: Members(frozenset, _FROZENSET_METHODS),
    Decimal: Members(Decimal, frozenset({"is_signed", "is_zero", "normalize", "quantize", "to_integral_value"})),
    datetime: Members(datetime, _DATE_METHODS | {"date", "time"},
                      frozenset({"year", "month", "day"}) | _TIME_FIELDS),
    date: Members(date, _DATE_METHODS, frozenset({"year", "month", "day"})),
    time: Members(time, frozenset({"isoformat", "replace", "strftime"}), _TIME_FIELDS),
    timedelta: Members(timedelta, frozenset({"total_seconds"}), frozenset({"days", "seconds", "microseconds"})),
    type(date(2000, 1, 1).isocalendar()): Members(tuple, frozenset({"count", "index"}),
                                                  frozenset({"year", "week", "weekday"})),
}


@lru_cache(maxsize=512)
def members(kind: type) -> Members | None:
    """The whitelisted members of a type: those of its nearest whitelisted base class."""
    for base in kind.__mro__:
        found = _MEMBERS.get(base)
        if found is not None:
            return found
    return None


def _replace(text: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    old, new = args[0], args[1]
    count = args[2] if len(args) > 2 else kwargs.get("count", -1)
    hits = text.count(old) if old else len(text) + 1
    if count >= 0:
        hits = min(hits, count)
    length = len(text) + hits * (len(new) - len(old))
    if length > MAX_LENGTH:
        raise too_long(".replace(…)", length)


def _join(separator: str, args: list[Any], _kwargs: dict[str, Any]) -> None:
    items = list(args[0])
    args[0] = items  # the iterable may be a view: read it once, measure it, then join the same items
    length = sum(len(item) for item in items if isinstance(item, str))
    length += len(separator) * max(len(items) - 1, 0)
    if length > MAX_LENGTH:
        raise too_long(".join(…)", length)


def _pad(_text: str, args: list[Any], kwargs: dict[str, Any]) -> None:
    width = args[0] if args else kwargs.get("width", 0)
    if isinstance(width, int) and width > MAX_LENGTH:
        raise too_long("padding", width)


# Checks run before str methods whose result can be far larger than their inputs.
STR_PRECHECKS: dict[str, Callable[[str, list[Any], dict[str, Any]], None]] = {
    "replace": _replace,
    "join": _join,
    "center": _pad,
    "ljust": _pad,
    "rjust": _pad,
    "zfill": _pad,
}
