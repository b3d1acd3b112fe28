"""Conversion functions (DMN 1.5 §10.3.4.1) and `not` (§10.3.4.2): `date`, `date and time`, `time`,
`number`, `string`, `duration`, `years and months duration`."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from ..temporal import (
    FarDate,
    YearsMonths,
    combine,
    feel_type,
    format_date,
    format_date_and_time,
    format_duration,
    format_time,
    is_date_and_time,
    make_date,
    months_between,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)
from ..values import NUMBER_CONTEXT, plain_number, show
from .registry import define, integer, need


def _parsed(value: Any, what: str) -> Any:
    if value is None:
        raise ValueError(f"not a valid {what}")
    return value


def _date_from(value: Any) -> Any:
    if type(value) is str:
        return _parsed(parse_date(value), "date")
    if feel_type(value) is dt.datetime:
        return value.date()
    if type(value) is FarDate:
        return FarDate(value.base.date(), value.cycles) if is_date_and_time(value) else value
    return need(value, dt.date)


def _date_parts(year: Any, month: Any, day: Any) -> Any:
    return make_date(integer(year), integer(month), integer(day))


def _date_and_time_from(value: Any) -> Any:
    if type(value) is str:
        return _parsed(parse_date_and_time(value), "date and time")
    if feel_type(value) is dt.date or (type(value) is FarDate and not is_date_and_time(value)):
        return combine(value, dt.time(0))
    return need(value, dt.datetime, FarDate)


def _date_and_time_parts(day: Any, clock: Any) -> Any:
    need(day, dt.date, dt.datetime, FarDate)
    need(clock, dt.time)
    if is_date_and_time(day):
        day = _date_from(day)
    return combine(day, clock)


def _time_from(value: Any) -> dt.time | None:
    if type(value) is str:
        return _parsed(parse_time(value), "time")
    if type(value) is FarDate and is_date_and_time(value):
        return value.base.timetz()
    if feel_type(value) is dt.datetime:
        return value.timetz()
    if feel_type(value) is dt.date:
        return dt.time(0, tzinfo=dt.UTC)
    return need(value, dt.time)


def _time_parts(hour: Any, minute: Any, second: Any, offset: Any = None) -> dt.time:
    need(second, Decimal)
    whole = int(second)
    micros = int((second - whole) * 1_000_000)
    zone = None
    if offset is not None:
        need(offset, dt.timedelta)
        zone = dt.timezone(offset)
    return dt.time(integer(hour), integer(minute), whole, micros, tzinfo=zone)


_GROUPING = {" ", ",", ".", None}
_DECIMAL_MARKS = {".", ",", None}


def _number_from(text: Any, grouping: Any = None, decimal_mark: Any = None) -> Decimal | None:
    need(text, str)
    if grouping not in _GROUPING or decimal_mark not in _DECIMAL_MARKS:
        raise ValueError("unknown separators")
    if grouping is not None and grouping == decimal_mark:
        raise ValueError("the grouping and decimal separators are the same")
    if grouping:
        text = text.replace(grouping, "")
    if decimal_mark:
        text = text.replace(decimal_mark, ".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("not a number")
    return NUMBER_CONTEXT.create_decimal(text)


def feel_string(value: Any) -> str | None:
    """`string(from)`: the text of a value (dates and durations in their ISO forms)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dt.datetime) or (isinstance(value, FarDate) and is_date_and_time(value)):
        return format_date_and_time(value)
    if isinstance(value, dt.date | FarDate):
        return format_date(value)
    if isinstance(value, dt.time):
        return format_time(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, YearsMonths):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(feel_string(v) or "null" for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {feel_string(v) or 'null'}" for k, v in value.items()) + "}"
    return show(value)


def _duration_from(value: Any) -> Any:
    need(value, str)
    return _parsed(parse_duration(value), "duration")


def _years_and_months(start: Any, end: Any) -> YearsMonths:
    need(start, dt.date, dt.datetime, FarDate)
    need(end, dt.date, dt.datetime, FarDate)
    return months_between(start, end)


define("date", (("from",), _date_from), (("year", "month", "day"), _date_parts))
define("date and time", (("from",), _date_and_time_from), (("date", "time"), _date_and_time_parts))
define("time", (("from",), _time_from), (("hour", "minute", "second", "offset"), _time_parts), nullable=("offset",))
define(
    "number",
    (("from", "grouping separator", "decimal separator"), _number_from),
    nullable=("grouping separator", "decimal separator"),
)
define("string", (("from",), feel_string))
define("duration", (("from",), _duration_from))
define("years and months duration", (("from", "to"), _years_and_months))


# -- boolean ----------------------------------------------------------------------------------------


def _not(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


define("not", (("negand",), _not))
