"""FEEL values in Python, and the conversions at the engine's boundary.

Numbers are `decimal.Decimal` computed in the IEEE 754 decimal128 context FEEL prescribes (34 digits,
half-even): fees are money and a float must never get near them. Python ints and floats coming in are
converted with `Decimal(str(x))`, so `0.1` stays one tenth.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import DecisionError
from .temporal import (
    FarDate,
    YearsMonths,
    format_date,
    format_date_and_time,
    format_duration,
    format_time,
    split,
)

NUMBER_CONTEXT = decimal.Context(
    prec=34,
    rounding=decimal.ROUND_HALF_EVEN,
    Emax=6144,
    Emin=-6143,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


_MAX_INPUT_BITS = 20_000  # about 6,000 digits: Decimal(int) of it is instant, and Emax refuses it anyway


def to_feel(value: Any) -> Any:
    """Convert a Python value from task data or JSON into a FEEL value (deeply)."""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return _bounded(value)
    if value is None or isinstance(
        value, bool | str | dt.date | dt.time | dt.timedelta | YearsMonths | FarDate
    ):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_feel(v) for v in value]
    if isinstance(value, Range) or callable(value):
        return value
    raise DecisionError(f"a value of type {type(value).__name__} cannot be used in a decision: {value!r}")


def _bounded(number: Decimal | int | float) -> Decimal:
    """A number coming in, within what decimal128 can hold: Decimal("1e999999999") from stored data or an
    int of thousands of digits is refused here, before any rule compares, adds or prints it."""
    if isinstance(number, int) and number.bit_length() > _MAX_INPUT_BITS:
        raise DecisionError("a number of more than 6,000 digits cannot be used in a decision")
    value = number if isinstance(number, Decimal) else Decimal(number) if isinstance(number, int) \
        else Decimal(str(number))
    in_range = value.is_zero() or NUMBER_CONTEXT.Etiny() <= value.adjusted() <= NUMBER_CONTEXT.Emax
    if not value.is_finite() or not in_range:
        raise DecisionError(f"the number {value} cannot be used in a decision (not finite, or beyond 1E+"
                            f"{NUMBER_CONTEXT.Emax})")
    return value
@dataclass(frozen=True)
class Range:
    """A FEEL range: `[1..10)`, `< 5` (no start), `>= date("2024-01-01")` (no end)."""

    start: Any
    end: Any
    start_closed: bool = True
    end_closed: bool = True
    unbounded_start: bool = False
    unbounded_end: bool = False
    only: str = ""  # "=" or "!=": the unary comparison `(= x)` / `(!= x)`, x being `start`

    def contains(self, value: Any) -> bool | None:
        if self.only:
            same = equal(value, self.start)
            return None if same is None else same == (self.only == "=")
        if value is None:
            return None
        if not self.unbounded_start:
            order = compare(value, self.start)
            if order is None:
                return None
            if order < 0 or (order == 0 and not self.start_closed):
                return False
        if not self.unbounded_end:
            order = compare(value, self.end)
            if order is None:
                return None
            if order > 0 or (order == 0 and not self.end_closed):
                return False
        return True

    def __str__(self) -> str:
        if self.only:
            return f"{self.only} {show(self.start)}"
        if self.unbounded_start:
            return ("<= " if self.end_closed else "< ") + show(self.end)
        if self.unbounded_end:
            return (">= " if self.start_closed else "> ") + show(self.start)
        return (
            f"{'[' if self.start_closed else '('}{show(self.start)}..{show(self.end)}{']' if self.end_closed else ')'}"
        )


def kind(value: Any) -> str:
    """The FEEL type name of a value, for comparisons and messages."""
    found = _KINDS.get(type(value))
    if found is not None:
        return found
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dt.datetime):
        return "date and time"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, dt.time):
        return "time"
    if isinstance(value, FarDate):
        return "date and time" if isinstance(value.base, dt.datetime) else "date"
    if isinstance(value, dt.timedelta):
        return "days and time duration"
    if isinstance(value, YearsMonths):
        return "years and months duration"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Range):
        return "range"
    if callable(value):
        return "function"
    return type(value).__name__


_KINDS: dict[type, str] = {
    type(None): "null",
    bool: "boolean",
    Decimal: "number",
    str: "string",
    dt.datetime: "date and time",
    dt.date: "date",
    dt.time: "time",
    dt.timedelta: "days and time duration",
    YearsMonths: "years and months duration",
    dict: "context",
    list: "list",
}

ORDERED_KINDS = frozenset(
    {"number", "string", "date", "date and time", "time", "days and time duration", "years and months duration"}
)


def show(value: Any) -> str:
    """A value as an analyst would write it in FEEL."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dt.datetime) or (isinstance(value, FarDate) and isinstance(value.base, dt.datetime)):
        return f'date and time("{format_date_and_time(value)}")'
    if isinstance(value, dt.date | FarDate):
        return f'date("{format_date(value)}")'
    if isinstance(value, dt.time):
        return f'time("{format_time(value)}")'
    if isinstance(value, dt.timedelta):
        return f'duration("{format_duration(value)}")'
    if isinstance(value, YearsMonths):
        return f'duration("{value}")'
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return str(value)


def plain_number(value: Decimal) -> str:
    """A number without exponent and without trailing zeros after the point."""
    if not value.is_finite():
        return str(value)
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _same_zone_kind(left: Any, right: Any) -> bool:
    """Values with and without a time zone cannot be compared (Python refuses, FEEL gives null)."""
    if isinstance(left, dt.datetime | dt.time):
        return (left.tzinfo is None) == (right.tzinfo is None)
    return True


_SIMPLE = frozenset({str, Decimal, bool})


def equal(left: Any, right: Any) -> bool | None:
    """FEEL `=`: null equals only null; values of different types give null (DMN 1.5 §10.3.2.2)."""
    left_type = type(left)
    if left_type is type(right) and left_type in _SIMPLE:  # the common case of a table's cells
        return bool(left == right)
    if left is None or right is None:
        return left is None and right is None
    left_kind, right_kind = kind(left), kind(right)
    if left_kind != right_kind:
        return None
    if left_kind == "list":
        if len(left) != len(right):
            return False
        for a, b in zip(left, right, strict=True):
            same = equal(a, b)
            if same is not True:
                return same
        return True
    if left_kind == "context":
        if left.keys() != right.keys():
            return False
        for key, a in left.items():
            same = equal(a, right[key])
            if same is not True:
                return same
        return True
    if left_kind == "time":
        from .temporal import time_seconds

        if (left.tzinfo is None) != (right.tzinfo is None):
            return None
        return time_seconds(left) == time_seconds(right)
    if left_kind == "date and time":
        if not _same_zone_kind(left, right):
            return None
        return _instant(left) == _instant(right)
    if isinstance(left, FarDate) or isinstance(right, FarDate):
        return split(left) == split(right)
    return bool(left == right)


def _instant(value: Any) -> Any:
    """A date and time as FEEL compares it: to the second (DMN 1.5 §10.3.2.3.6, valuedt counts seconds;
    the TCK's 0068 has 00:00:00.0001 = 00:00:00.0000)."""
    base, cycles = split(value)
    return cycles, base.replace(microsecond=0)


def compare(left: Any, right: Any) -> int | None:
    """Order two values: -1, 0 or 1; None when either is null or they cannot be ordered."""
    if left is None or right is None:
        return None
    left_kind = kind(left)
    if left_kind != kind(right) or left_kind not in ORDERED_KINDS or not _same_zone_kind(left, right):
        return None
    if left_kind == "time":
        from .temporal import time_seconds

        left, right = time_seconds(left), time_seconds(right)
    elif left_kind == "date and time":
        left, right = _instant(left), _instant(right)
    elif isinstance(left, FarDate) or isinstance(right, FarDate):
        left, right = split(left), split(right)
    return (left > right) - (left < right)


def _number(value: Any) -> Decimal:
    if isinstance(value, str):
        try:
            return NUMBER_CONTEXT.create_decimal(value.strip())
        except decimal.InvalidOperation:
            raise DecisionError(f"{show(value)} is not a number") from None
    raise DecisionError(f"{kind(value)} {show(value)} is not a number")


def _date(value: Any) -> dt.date:
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise DecisionError(f"{show(value)} is not a date (YYYY-MM-DD)") from None
    raise DecisionError(f"{kind(value)} {show(value)} is not a date")


def _datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            raise DecisionError(f"{show(value)} is not a date and time") from None
    raise DecisionError(f"{kind(value)} {show(value)} is not a date and time")


def _time(value: Any) -> dt.time:
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value)
        except ValueError:
            raise DecisionError(f"{show(value)} is not a time") from None
    raise DecisionError(f"{kind(value)} {show(value)} is not a time")


# typeRef spellings across DMN 1.1-1.5 (DMN 1.1 used feel:/xsd: QNames and XML Schema names).
_BASE_TYPES = {
    "number": "number",
    "decimal": "number",
    "integer": "number",
    "int": "number",
    "long": "number",
    "double": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "dateTime": "date and time",
    "date and time": "date and time",
    "time": "time",
}

_CONVERTERS = {"number": _number, "date": _date, "date and time": _datetime, "time": _time}


def base_type(type_ref: str | None) -> str | None:
    """The FEEL base type of a typeRef, or None when it is not a simple type we check."""
    if not type_ref:
        return None
    name = type_ref.split(":", 1)[1] if ":" in type_ref else type_ref
    return _BASE_TYPES.get(name)


def coerce(value: Any, feel_type: str | None) -> Any:
    """Check a value against a FEEL base type, converting the text forms a web form sends
    ("3", "2024-01-01"). Null conforms to every type. A value that cannot conform is an error."""
    if value is None or feel_type is None:
        return value
    actual = kind(value)
    if actual == feel_type:
        return value
    converter = _CONVERTERS.get(feel_type)
    if converter is None:
        raise DecisionError(f"{actual} {show(value)} is not a {feel_type}")
    return converter(value)


def dumps_json(value: Any, indent: int | None = None) -> str:
    """JSON text of a decision result with Decimals written digit for digit (never through a float):
    integral ones as integers (`2000000`), others in plain notation (`1500000.5`). Dates, times,
    durations and ranges are their FEEL text (`2024-05-06`, `P1Y2M`, `[1..10)`); a function is null."""
    marker = uuid.uuid4().hex
    pattern = re.compile(f'"{marker}([^"]*)"')

    def prepare(item: Any) -> Any:
        if isinstance(item, Decimal):
            text = str(int(item)) if item == item.to_integral_value() else format(item.normalize(), "f")
            return marker + text
        if isinstance(item, dict):
            return {str(k): prepare(v) for k, v in item.items()}
        if isinstance(item, list | tuple):
            return [prepare(v) for v in item]
        if isinstance(item, dt.date | dt.time | dt.timedelta | FarDate | YearsMonths | Range):
            from .builtins import feel_string

            return feel_string(item)
        if callable(item):
            return None
        return item

    text = json.dumps(prepare(value), indent=indent, ensure_ascii=False)
    return pattern.sub(lambda m: m.group(1), text)
