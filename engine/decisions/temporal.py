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


_DATE = re.compile(r"(-?\d{4,9})-(\d\d)-(\d\d)")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(\.\d+)?(?:(Z)|([+-])(\d\d):(\d\d)(?::(\d\d))?|@([A-Za-z_][\w/+\-]*))?")
_DURATION = re.compile(
    r"(-)?P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)


def _zone(match: re.Match[str]) -> dt.tzinfo | None | bool:
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


def parse_date(text: str) -> dt.date | None:
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    try:
        return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
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
    return dt.time(hour, minute, second, _microseconds(match.group(4)), tzinfo=zone or None)


def parse_date_and_time(text: str) -> dt.datetime | None:
    if "T" not in text:
        day = parse_date(text)
        return None if day is None else dt.datetime(day.year, day.month, day.day)
    day_text, time_text = text.split("T", 1)
    day = parse_date(day_text)
    if day is None:
        return None
    if time_text.startswith("24:00:00") and _TIME.fullmatch(time_text):
        time_text = "00:00:00" + time_text[8:]
        day = day + dt.timedelta(days=1)
    clock = parse_time(time_text)
    if clock is None:
        return None
    return dt.datetime.combine(day, clock.replace(tzinfo=None), tzinfo=clock.tzinfo)


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
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_time(value: dt.time | dt.datetime) -> str:
    text = f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        text += f".{value.microsecond:06d}".rstrip("0")
    return text + _zone_text(value)


def format_date(value: dt.date) -> str:
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value.year >= 0 else value.isoformat()


def format_date_and_time(value: dt.datetime) -> str:
    return format_date(value) + "T" + format_time(value)


def add_months(value: dt.date, months: int) -> dt.date | None:
    """A date or date and time moved by whole months, the day kept or clamped to the month's end."""
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        return None
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def time_offset(value: dt.time) -> dt.timedelta | None:
    zone = value.tzinfo
    if zone is None:
        return None
    if isinstance(zone, ZoneInfo):
        return zone.utcoffset(dt.datetime(1970, 1, 1))
    return zone.utcoffset(None)


def time_seconds(value: dt.time) -> int:
    """Microseconds since midnight in UTC (local times taken as they are)."""
    micros = ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    offset = time_offset(value)
    if offset is not None:
        micros -= int(offset.total_seconds()) * 1_000_000
    return micros


def months_between(start: dt.date, end: dt.date) -> YearsMonths:
    """`years and months duration(from, to)`: whole months from one date to the other."""
    months = (end.year - start.year) * 12 + end.month - start.month
    start_rest = (start.day, *_clock(start))
    end_rest = (end.day, *_clock(end))
    if months > 0 and end_rest < start_rest:
        months -= 1
    elif months < 0 and end_rest > start_rest:
        months += 1
    return YearsMonths(months)


def _clock(value: dt.date) -> tuple[int, ...]:
    if isinstance(value, dt.datetime):
        return (value.hour, value.minute, value.second, value.microsecond)
    return (0, 0, 0, 0)


def as_datetime(value: Any) -> dt.datetime:
    """A date taken as midnight of that day (UTC), as FEEL does when it meets a date and time."""
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
