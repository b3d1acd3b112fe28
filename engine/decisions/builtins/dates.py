"""Date and time functions (DMN 1.5 §10.3.4.6, §10.3.4.11): `is`, day/week/month of a date, `now`, `today`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ..values import equal, kind
from .registry import define, need

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _a_date(value: Any) -> dt.date:
    return need(value, dt.date, dt.datetime)


def _is(left: Any = None, right: Any = None) -> bool:
    if kind(left) != kind(right):
        return False
    if isinstance(left, dt.datetime | dt.time):
        return left == right and left.tzinfo == right.tzinfo and left.utcoffset() == right.utcoffset()
    return equal(left, right) is True


define("is", (("value1", "value2"), _is), nullable=("value1", "value2"))
define("day of year", (("date",), lambda d: Decimal(_a_date(d).timetuple().tm_yday)))
define("day of week", (("date",), lambda d: _DAYS[_a_date(d).weekday()]))
define("month of year", (("date",), lambda d: _MONTHS[_a_date(d).month - 1]))
define("week of year", (("date",), lambda d: Decimal(_a_date(d).isocalendar()[1])))
define("now", ((), lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)), foldable=False)
define("today", ((), lambda: dt.date.today()), foldable=False)
