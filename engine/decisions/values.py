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
from decimal import Decimal
from typing import Any

from .errors import DecisionError

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
    if value is None or isinstance(value, bool | str | dt.date | dt.time | dt.timedelta):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_feel(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_feel(v) for v in value]
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


def kind(value: Any) -> str:
    """The FEEL type name of a value, for comparisons and messages."""
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
    if isinstance(value, dt.timedelta):
        return "duration"
    if isinstance(value, dict):
        return "context"
    if isinstance(value, list):
        return "list"
    return type(value).__name__


ORDERED_KINDS = frozenset({"number", "string", "date", "date and time", "time", "duration"})


def show(value: Any) -> str:
    """A value as an analyst would write it in FEEL."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime):
        return f'date and time("{value.isoformat()}")'
    if isinstance(value, dt.date):
        return f'date("{value.isoformat()}")'
    if isinstance(value, dt.time):
        return f'time("{value.isoformat()}")'
    if isinstance(value, list):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    return repr(value)


def equal(left: Any, right: Any) -> bool:
    """FEEL `=`; null equals only null. Values of different types are an error rather than FEEL's
    quiet null: a number compared with a string is a modelling mistake, and a fee must not hide it."""
    if left is None or right is None:
        return left is None and right is None
    left_kind, right_kind = kind(left), kind(right)
    if left_kind != right_kind:
        raise DecisionError(f"cannot compare {left_kind} {show(left)} with {right_kind} {show(right)}")
    return bool(left == right)


def compare(left: Any, right: Any) -> int | None:
    """Order two values: -1, 0 or 1; None when either is null (FEEL: the comparison is null)."""
    if left is None or right is None:
        return None
    left_kind, right_kind = kind(left), kind(right)
    if left_kind != right_kind or left_kind not in ORDERED_KINDS:
        raise DecisionError(f"cannot order {left_kind} {show(left)} against {right_kind} {show(right)}")
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
    integral ones as integers (`2000000`), others in plain notation (`1500000.5`). Dates are ISO text."""
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
        if isinstance(item, dt.date | dt.time):
            return item.isoformat()
        if isinstance(item, dt.timedelta):
            return str(item)
        return item

    text = json.dumps(prepare(value), indent=indent, ensure_ascii=False)
    return pattern.sub(lambda m: m.group(1), text)
