"""FEEL's operators on values (DMN 1.5 §10.3.2.3 to §10.3.2.7): arithmetic on numbers, strings, dates,
times and both kinds of durations; comparisons; and paths into contexts and temporal values. A
combination FEEL does not define is null, with a note saying which values met."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .scope import MISSING, note
from .temporal import (
    FarDate,
    YearsMonths,
    add_delta,
    add_months,
    as_datetime,
    difference,
    feel_type,
    is_date_and_time,
    time_offset,
    time_seconds,
)
from .values import NUMBER_CONTEXT, Range, compare, equal, kind, show


def _refuse(op: str, a: Any, b: Any) -> None:
    note(f"cannot {op} {kind(a)} {show(a)} and {kind(b)} {show(b)}")


def add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ta, tb = feel_type(a), feel_type(b)
    try:
        if ta is Decimal and tb is Decimal:
            return NUMBER_CONTEXT.add(a, b)
        if ta is str and tb is str:
            return a + b
        if ta is YearsMonths:
            a, b = b, a
            ta, tb = tb, ta
        if tb is YearsMonths:
            if ta is YearsMonths:
                return YearsMonths(a.months + b.months)
            if isinstance(a, dt.date | FarDate):
                return add_months(a, b.months)
        if ta is dt.timedelta and tb is not dt.timedelta:
            a, b = b, a
            ta, tb = tb, ta
        if tb is dt.timedelta:
            if ta is dt.timedelta:
                return a + b
            if ta is dt.datetime or (ta is FarDate and is_date_and_time(a)):
                return add_delta(a, b)
            if ta is dt.date or ta is FarDate:
                moved = add_delta(as_datetime(a).replace(tzinfo=None) if ta is dt.date else a, b)
                return moved.date() if isinstance(moved, dt.datetime) else moved
            if ta is dt.time:
                moved = dt.datetime.combine(dt.date(2000, 1, 1), a) + b
                return moved.timetz()
    except OverflowError:
        pass
    _refuse("add", a, b)
    return None


def _negate(value: Any) -> Any:
    if isinstance(value, Decimal):
        return NUMBER_CONTEXT.minus(value)
    if isinstance(value, dt.timedelta):
        return -value
    if isinstance(value, YearsMonths):
        return YearsMonths(-value.months)
    return MISSING


def subtract(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ta, tb = feel_type(a), feel_type(b)
    if ta is Decimal and tb is Decimal:
        return NUMBER_CONTEXT.subtract(a, b)
    if tb in (dt.timedelta, YearsMonths) and (ta is tb or isinstance(a, dt.date | dt.time | FarDate)):
        return add(a, _negate(b))
    if ta in (dt.date, dt.datetime, FarDate) and tb in (dt.date, dt.datetime, FarDate):
        same_kind = is_date_and_time(a) == is_date_and_time(b)
        left, right = (a, b) if same_kind else (as_datetime(a), as_datetime(b))
        if is_date_and_time(left) and (left.tzinfo is None) != (right.tzinfo is None):
            _refuse("subtract", a, b)  # a local time and a zoned one (a date counts as UTC midnight)
            return None
        try:
            return difference(left, right)
        except OverflowError:
            return None
    if ta is dt.time and tb is dt.time:
        if (a.tzinfo is None) != (b.tzinfo is None):
            _refuse("subtract", a, b)
            return None
        return dt.timedelta(seconds=time_seconds(a) - time_seconds(b), microseconds=a.microsecond - b.microsecond)
    _refuse("subtract", a, b)
    return None


def multiply(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ta, tb = feel_type(a), feel_type(b)
    if ta is Decimal and tb is Decimal:
        return NUMBER_CONTEXT.multiply(a, b)
    if ta is Decimal:
        a, b, ta, tb = b, a, tb, ta
    if tb is Decimal:
        if ta is dt.timedelta:
            return _scale_delta(a, b)
        if ta is YearsMonths:
            return YearsMonths(int(NUMBER_CONTEXT.multiply(Decimal(a.months), b).to_integral_value(decimal.ROUND_DOWN)))
    _refuse("multiply", a, b)
    return None


def _micros(delta: dt.timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _scale_delta(delta: dt.timedelta, factor: Decimal) -> dt.timedelta | None:
    try:
        return dt.timedelta(microseconds=int(NUMBER_CONTEXT.multiply(Decimal(_micros(delta)), factor)))
    except OverflowError:
        return None


def divide(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    ta, tb = feel_type(a), feel_type(b)
    try:
        if ta is Decimal and tb is Decimal:
            if not b:
                return None  # FEEL defines x / 0 as null
            return NUMBER_CONTEXT.divide(a, b)
        if ta is dt.timedelta and tb is Decimal:
            return None if not b else _scale_delta(a, NUMBER_CONTEXT.divide(Decimal(1), b))
        if ta is YearsMonths and tb is Decimal:
            if not b:
                return None
            return YearsMonths(int(NUMBER_CONTEXT.divide(Decimal(a.months), b).to_integral_value(decimal.ROUND_DOWN)))
        if ta is dt.timedelta and tb is dt.timedelta:
            return None if not _micros(b) else NUMBER_CONTEXT.divide(Decimal(_micros(a)), Decimal(_micros(b)))
        if ta is YearsMonths and tb is YearsMonths:
            return None if not b.months else NUMBER_CONTEXT.divide(Decimal(a.months), Decimal(b.months))
    except decimal.DecimalException:
        return None
    _refuse("divide", a, b)
    return None


def power(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if type(a) is not Decimal or type(b) is not Decimal:
        _refuse("raise", a, b)
        return None
    try:
        if b == b.to_integral_value() and abs(b) < 1_000_000:
            return NUMBER_CONTEXT.power(a, int(b))
        return NUMBER_CONTEXT.power(a, b)
    except decimal.DecimalException:
        note(f"{show(a)} ** {show(b)} has no number value")
        return None


def negative(a: Any) -> Any:
    if a is None:
        return None
    value = _negate(a)
    if value is MISSING:
        note(f"cannot negate {kind(a)} {show(a)}")
        return None
    return value


def boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _temporal_property(value: Any, key: str) -> Any:
    if isinstance(value, FarDate):
        return Decimal(value.year) if key == "year" else _temporal_property(value.base, key)
    if isinstance(value, dt.date) and key in ("year", "month", "day"):
        return Decimal(getattr(value, key))
    if isinstance(value, dt.date) and key == "weekday":
        return Decimal(value.isoweekday())
    if isinstance(value, dt.datetime | dt.time) and key in ("hour", "minute", "second"):
        return Decimal(getattr(value, key))
    if isinstance(value, dt.datetime | dt.time) and key in ("time offset", "timezone"):
        if value.tzinfo is None:
            return None
        if key == "timezone":
            return getattr(value.tzinfo, "key", None) or (None if isinstance(value, dt.time) else value.tzname())
        return value.utcoffset() if isinstance(value, dt.datetime) else time_offset(value)
    if isinstance(value, dt.timedelta):
        micros = _micros(value)
        sign = -1 if micros < 0 else 1
        micros = abs(micros)
        parts = {
            "days": micros // 86_400_000_000,
            "hours": micros // 3_600_000_000 % 24,
            "minutes": micros // 60_000_000 % 60,
            "seconds": micros // 1_000_000 % 60,
        }
        if key in parts:
            return Decimal(sign * parts[key])
    if isinstance(value, YearsMonths) and key in ("years", "months"):
        sign = -1 if value.months < 0 else 1
        years, months = divmod(abs(value.months), 12)
        return Decimal(sign * (years if key == "years" else months))
    if isinstance(value, Range):
        fields = {
            "start": value.start,
            "end": value.end,
            "start included": value.start_closed,
            "end included": value.end_closed,
        }
        if key in fields:
            return fields[key]
    return MISSING


def path_of(value: Any, key: str) -> Any:
    """`value.key`: a context entry, the same key of every element of a list, or a temporal property."""
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list):
        return [path_of(item, key) for item in value]
    found = _temporal_property(value, key)
    if found is MISSING:
        note(f"{kind(value)} {show(value)} has no '{key}'")
        return None
    return found


def equal_or_note(a: Any, b: Any) -> bool | None:
    same = equal(a, b)
    if same is None:
        note(f"cannot compare {kind(a)} {show(a)} with {kind(b)} {show(b)}")
    return same


def comparator(op: str) -> Callable[[Any, Any], bool | None]:
    if op == "=":
        return equal_or_note
    if op == "!=":

        def different(a: Any, b: Any) -> bool | None:
            same = equal_or_note(a, b)
            return None if same is None else not same

        return different
    wanted = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}[op]

    def ordered(a: Any, b: Any) -> bool | None:
        order = compare(a, b)
        if order is None:
            if a is not None and b is not None:
                note(f"cannot order {kind(a)} {show(a)} against {kind(b)} {show(b)}")
            return None
        return order in wanted

    return ordered
