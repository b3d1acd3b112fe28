"""FEEL's temporal values: parsing their ISO texts, writing them back, and their arithmetic.

Representation: `date` is `datetime.date`; `date and time` is `datetime.datetime`, naive (local) or with a
fixed offset (`datetime.timezone`) or a named zone (`zoneinfo.ZoneInfo`, written `@Europe/Paris`); `time`
is `datetime.time`, optionally with an offset; a days and time duration is `datetime.timedelta`; a years
and months duration is `YearsMonths` (a whole number of months, as DMN 1.5 §10.3.2.3.8 defines it).
Every function here returns None for a text or an operation FEEL does not define (FEEL's null).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, order=True)
class YearsMonths:
    """A years and months duration, kept as a signed count of months."""

    months: int

    def __str__(self) -> str:
        sign = "-" if self.months < 0 else ""
        years, months = divmod(abs(self.months), 12)
        if years and months:
            return f"{sign}P{years}Y{months}M"
        if years:
            return f"{sign}P{years}Y"
        return f"{sign}P{months}M"


_CYCLE_YEARS = 400  # the Gregorian calendar repeats itself every 400 years...
_CYCLE_DAYS = 146_097  # ...which are exactly this many days


@dataclass(frozen=True)
class FarDate:
    """A date or date and time whose year Python's datetime cannot hold (FEEL allows years from
    -999,999,999 to 999,999,999): the same day in a year between 2000 and 2399, and the number of
    400-year cycles to add, the calendar being the same in every cycle."""

    base: dt.date  # a date, or a datetime for a date and time
    cycles: int

    @property
    def year(self) -> int:
        return self.base.year + _CYCLE_YEARS * self.cycles

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)

    def key(self) -> tuple[int, Any]:
        return (self.cycles, self.base)


def split(value: Any) -> tuple[Any, int]:
    """(the same day in 2000-2399, cycles) of a date or date and time, far or not."""
    if isinstance(value, FarDate):
        return value.base, value.cycles
    shift = (value.year - 2000) // _CYCLE_YEARS
    return value.replace(year=value.year - _CYCLE_YEARS * shift), shift


def join(base: Any, cycles: int) -> Any:
    """The inverse of `split`: a plain date when its year fits Python's range, else a FarDate."""
    shift = (base.year - 2000) // _CYCLE_YEARS
    moved = with_nanoseconds(base.replace(year=base.year - _CYCLE_YEARS * shift), base)
    cycles += shift
    year = moved.year + _CYCLE_YEARS * cycles
    if 1 <= year <= 9999:
        return with_nanoseconds(moved.replace(year=year), base)
    return FarDate(moved, cycles)


class PreciseTime(dt.time):
    """A time written with more than microseconds (FEEL keeps nanoseconds): the 7th to 9th digits of
    its seconds are kept to be written back; arithmetic and comparison work at the microsecond."""

    nanoseconds = 0


class PreciseDateTime(dt.datetime):
    """A date and time written with more than microseconds; see `PreciseTime`."""

    nanoseconds = 0


def feel_type(value: Any) -> type:
    """The Python type a value stands for in FEEL (the precise temporal classes are their base)."""
    kind = type(value)
    return _PRECISE_BASES.get(kind, kind)


def with_nanoseconds(value: Any, source: Any) -> Any:
    """`value` carrying the sub-microsecond digits of `source`, when it has any."""
    extra = getattr(source, "nanoseconds", 0)
    if not extra or getattr(value, "nanoseconds", 0) == extra:
        return value
    if isinstance(value, dt.datetime):
        precise: Any = PreciseDateTime.combine(value.date(), value.timetz())
    elif isinstance(value, dt.time):
        precise = PreciseTime(value.hour, value.minute, value.second, value.microsecond, value.tzinfo)
    else:
        return value
    precise.nanoseconds = extra
    return precise


_PRECISE_BASES: dict[type, type] = {PreciseTime: dt.time, PreciseDateTime: dt.datetime}


def make_date(year: int, month: int, day: int) -> Any:
    """A date of any year FEEL allows; ValueError for a day that does not exist."""
    if not -999_999_999 <= year <= 999_999_999:
        raise ValueError("the year is out of range")
    cycles, rest = divmod(year - 2000, _CYCLE_YEARS)
    return join(dt.date(2000 + rest, month, day), cycles)


_DATE = re.compile(r"(-?(?:[1-9]\d{4,8}|\d{4}))-(\d\d)-(\d\d)")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(\.\d+)?(?:(Z)|([+-])(\d\d):(\d\d)(?::(\d\d))?|@([A-Za-z_][\w/+\-]*))?")
_DURATION = re.compile(
    r"(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


def _zone(match: re.Match[str]) -> dt.tzinfo | bool | None:
    """The time zone of a parsed time; False when it is invalid."""
    if match.group(5):
        return dt.UTC
    if match.group(6):
        hours, minutes = int(match.group(7)), int(match.group(8))
        if hours > 18 or minutes > 59:
            return False
        offset = dt.timedelta(hours=hours, minutes=minutes, seconds=int(match.group(9) or 0))
        return dt.timezone(-offset if match.group(6) == "-" else offset)
    if match.group(10):
        try:
            return ZoneInfo(match.group(10))
        except (ZoneInfoNotFoundError, ValueError):
            return False
    return None


def _microseconds(fraction: str | None) -> int:
    return int((fraction or ".0")[1:7].ljust(6, "0"))


def parse_date(text: str) -> Any:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return make_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def parse_time(text: str) -> dt.time | None:
    match = _TIME.fullmatch(text)
    if match is None:
        return None
    zone = _zone(match)
    hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3))
    if zone is False or hour > 23 or minute > 59 or second > 59:
        return None
    clock = dt.time(hour, minute, second, _microseconds(match.group(4)), tzinfo=zone or None)
    digits = (match.group(4) or ".")[7:10]
    if digits.strip("0"):
        clock = PreciseTime(hour, minute, second, clock.microsecond, tzinfo=zone or None)
        clock.nanoseconds = int(digits.ljust(3, "0"))
    return clock


def parse_date_and_time(text: str) -> Any:
    if "T" not in text:
        day = parse_date(text)
        return None if day is None else combine(day, dt.time(0))
    day_text, time_text = text.split("T", 1)
    day = parse_date(day_text)
    if day is None:
        return None
    if time_text.startswith("24:00:00") and _TIME.fullmatch(time_text):
        time_text = "00:00:00" + time_text[8:]
        base, cycles = split(day)
        day = join(base + dt.timedelta(days=1), cycles)
    clock = parse_time(time_text)
    if clock is None:
        return None
    return combine(day, clock)


def combine(day: Any, clock: dt.time) -> Any:
    """A date and time from a date (far or not) and a time (with its zone)."""
    base, cycles = split(day)
    moment = dt.datetime(base.year, base.month, base.day)
    combined = dt.datetime.combine(moment.date(), clock.replace(tzinfo=None), tzinfo=clock.tzinfo)
    return join(with_nanoseconds(combined, clock), cycles)


def parse_duration(text: str) -> dt.timedelta | YearsMonths | None:
    match = _DURATION.fullmatch(text)
    if match is None:
        return None
    negative, years, months, days, hours, minutes, seconds = match.groups()
    sign = -1 if negative else 1
    if (years or months) and not (days or hours or minutes or seconds):
        return YearsMonths(sign * (int(years or 0) * 12 + int(months or 0)))
    if years or months:
        return None
    seconds_value = Decimal(seconds or 0)
    whole = int(seconds_value)
    delta = dt.timedelta(
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=whole,
        microseconds=int((seconds_value - whole) * 1_000_000),
    )
    return -delta if sign < 0 else delta


def format_duration(delta: dt.timedelta) -> str:
    total = delta.days * 86_400_000_000 + delta.seconds * 1_000_000 + delta.microseconds
    sign = "-" if total < 0 else ""
    total = abs(total)
    days, rest = divmod(total, 86_400_000_000)
    hours, rest = divmod(rest, 3_600_000_000)
    minutes, rest = divmod(rest, 60_000_000)
    seconds, micros = divmod(rest, 1_000_000)
    text = f"{sign}P"
    if days:
        text += f"{days}D"
    if hours or minutes or seconds or micros or not days:
        text += "T"
        if hours:
            text += f"{hours}H"
        if minutes:
            text += f"{minutes}M"
        if seconds or micros or not (hours or minutes):
            text += f"{seconds}.{micros:06d}".rstrip("0").rstrip(".") + "S"
    return text


def _zone_text(value: dt.time | dt.datetime) -> str:
    zone = value.tzinfo
    if zone is None:
        return ""
    if isinstance(zone, ZoneInfo):
        return "@" + zone.key
    offset = value.utcoffset() if isinstance(value, dt.datetime) else zone.utcoffset(None)
    if offset is None:
        return ""
    if offset == dt.timedelta(0):
        return "Z"
    sign = "-" if offset < dt.timedelta(0) else "+"
    seconds = abs(int(offset.total_seconds()))
    text = f"{sign}{seconds // 3600:02d}:{seconds // 60 % 60:02d}"
    return text + f":{seconds % 60:02d}" if seconds % 60 else text


def format_time(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    extra = getattr(value, "nanoseconds", 0)
    if value.microsecond or extra:
        text += f".{value.microsecond:06d}{extra:03d}".rstrip("0")
    return text + _zone_text(value)


def format_date(value: Any) -> str:
    year = value.year
    sign = "-" if year < 0 else ""
    return f"{sign}{abs(year):04d}-{value.month:02d}-{value.day:02d}"


def format_date_and_time(value: Any) -> str:
    base = value.base if isinstance(value, FarDate) else value
    return format_date(value) + "T" + format_time(base)


def add_months(value: Any, months: int) -> Any:
    """A date or date and time moved by whole months, the day kept or clamped to the month's end."""
    base, cycles = split(value)
    index = (base.year - 2000) * 12 + base.month - 1 + months
    years, month = divmod(index, 12)
    more, year = divmod(years, _CYCLE_YEARS)
    day = min(base.day, calendar.monthrange(2000 + year, month + 1)[1])
    return join(base.replace(year=2000 + year, month=month + 1, day=day), cycles + more)


def add_delta(value: Any, delta: dt.timedelta) -> Any:
    """A date and time (or date, counted from its midnight) moved by a days and time duration."""
    base, cycles = split(value)
    return join(base + delta, cycles)


def difference(left: Any, right: Any) -> dt.timedelta:
    """`left - right` for two dates or two dates and times, far ones included."""
    left_base, left_cycles = split(left)
    right_base, right_cycles = split(right)
    return (left_base - right_base) + dt.timedelta(days=_CYCLE_DAYS * (left_cycles - right_cycles))


def time_offset(value: dt.time) -> dt.timedelta | None:
    zone = value.tzinfo
    if zone is None:
        return None
    if isinstance(zone, ZoneInfo):
        return zone.utcoffset(dt.datetime(1970, 1, 1))
    return zone.utcoffset(None)


def time_seconds(value: dt.time) -> int:
    """Seconds since midnight in UTC (local times taken as they are): FEEL's valuet, by which times
    compare (DMN 1.5 §10.3.2.3.4; the TCK's 0068 has 10:30:00.0001 = 10:30:00.0002)."""
    seconds = (value.hour * 60 + value.minute) * 60 + value.second
    offset = time_offset(value)
    if offset is not None:
        seconds -= int(offset.total_seconds())
    return seconds


def months_between(start: Any, end: Any) -> YearsMonths:
    """`years and months duration(from, to)`: whole months from one date to the other."""
    # Whole months between the calendar dates; the times of day do not count (as the TCK's 1121 expects).
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and end.day < start.day:
        months -= 1
    elif months < 0 and end.day > start.day:
        months += 1
    return YearsMonths(months)


def as_datetime(value: Any) -> Any:
    """A date taken as midnight of that day (UTC), as FEEL does when it meets a date and time."""
    if is_date_and_time(value):
        return value
    return combine(value, dt.time(0, tzinfo=dt.UTC))


def is_date_and_time(value: Any) -> bool:
    return isinstance(value.base if isinstance(value, FarDate) else value, dt.datetime)
