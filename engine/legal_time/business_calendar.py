"""The Vietnamese business calendar: which days are working days, and how a legal period is counted.

Working days are Monday to Friday, minus the public holidays, plus the Saturdays swapped into working days.
- Rules: the `holidays` package (country VN) gives the holidays of the Labour Code 2019 art. 112(1) with
  their lunar dates (Tết, Hùng Kings), the day off in lieu when a holiday falls on the weekly rest day
  ("nghỉ bù", art. 111(3)), and the swaps it knows of.
- Decisions: each year the Government fixes the Tết and National Day days and swaps working days
  (art. 112(3)); those are overrides kept in the database (engine.legal_time.calendar_override), seeded from
  engine/data/calendar_overrides.json, and they win over the rules.

Counting a period follows the Civil Code 2015:
- art. 147(2)-(3): the day of receipt (the day of the event) is not counted; counting starts the next day;
- art. 148(1) and (6): a period in days ends at 24:00 of its last day, so the due *instant* is 00:00 local
  time of the following day;
- art. 148(5): when the last day is a weekly rest day or a holiday, the period ends with the next working day.
A dossier that arrives on a day off is taken up when the office reopens: counting then starts from the next
working day, whatever the unit (the day of receipt itself is never counted).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import Text, cast, func, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from engine.legal_time.calendar_override import CalendarOverride, Override, OverrideKind
from engine.legal_time.clock import clock
from engine.runtime.db import Prepared, connection

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# The span precomputed for speed; dates outside it are answered from the rules, more slowly.
FIRST_YEAR, LAST_YEAR = 2020, 2035
SEED_FILE = Path(__file__).parent / "data" / "calendar_overrides.json"
SEED_CREATED_BY = "seed"
SWAPPED_WORKING_DAY = "Ngày làm việc bù (hoán đổi ngày làm việc)"


class Unit(StrEnum):
    WORKING_DAYS = "working-days"
    CALENDAR_DAYS = "calendar-days"


@dataclass(frozen=True)
class Duration:
    """An amount of days with its unit, so that no figure travels without saying what it counts."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"a duration's amount is a whole number of days, not {self.amount!r}")
        object.__setattr__(self, "unit", Unit(self.unit))

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read `5:working-days` or `30:calendar-days`."""
        amount, sep, unit = text.strip().partition(":")
        if not sep:
            raise ValueError(f"{text!r} is not a duration: write amount:unit, e.g. 5:working-days")
        try:
            return cls.from_parts(amount, unit)
        except ValueError as err:
            raise ValueError(f"{text!r}: {err}") from None

    @classmethod
    def from_parts(cls, amount: str, unit: str) -> Duration:
        """Build a duration from its two written parts, saying in plain words what is wrong with them."""
        amount, unit = amount.strip(), unit.strip()
        if not (amount.isascii() and amount.isdigit()):
            raise ValueError(f"the amount {amount!r} is not a whole number of days")
        if unit not in set(Unit):
            units = " or ".join(u.value for u in Unit)
            raise ValueError(f"the unit {unit!r} is unknown; use {units}")
        return cls(int(amount), Unit(unit))

    def __str__(self) -> str:
        return f"{self.amount}:{self.unit.value}"


@dataclass(frozen=True)
class CalendarDay:
    day: date
    reason: str


@cache
def _statutory_rules() -> holidays.HolidayBase:
    # One holidays object for the process: it expands itself when asked about a year outside the span.
    return holidays.country_holidays("VN", years=range(FIRST_YEAR - 1, LAST_YEAR + 2), language="vi")


class BusinessCalendar:
    """Working days and due dates for the province (Asia/Ho_Chi_Minh); pure, no database."""

    zone = ZONE

    def __init__(self, overrides: Iterable[Override] = ()) -> None:
        self._overrides: dict[date, Override] = {}
        for override in overrides:
            if override.day in self._overrides:
                raise ValueError(f"two overrides for {override.day.isoformat()}")
            self._overrides[override.day] = override
        self._rules = _statutory_rules()
        self._first = date(FIRST_YEAR, 1, 1).toordinal()
        self._last = date(LAST_YEAR, 12, 31).toordinal()
        # Precomputed: a flag per day of the span, and the sorted ordinals of its working days (for bisect).
        self._flags = bytearray(
            self._is_working_by_rules(date.fromordinal(o)) for o in range(self._first, self._last + 1)
        )
        self._working = [o for o, flag in enumerate(self._flags, start=self._first) if flag]

    @property
    def overrides(self) -> list[Override]:
        return sorted(self._overrides.values(), key=lambda o: o.day)

    def is_working(self, day: date) -> bool:
        ordinal = day.toordinal()
        if self._first <= ordinal <= self._last:
            return bool(self._flags[ordinal - self._first])
        return self._is_working_by_rules(day)

    def _is_working_by_rules(self, day: date) -> bool:
        override = self._overrides.get(day)
        if override is not None:
            return override.kind is OverrideKind.WORKING_DAY
        return self._rules.is_working_day(day)

    def add(self, start: date, duration: Duration) -> date:
        """The last day of a period that starts with the receipt on `start` (Civil Code arts. 147-148)."""
        if duration.amount < 0:
            raise ValueError(f"a period cannot be negative: {duration}")
        if duration.unit is Unit.WORKING_DAYS:
            if duration.amount == 0:
                return self._working_on_or_after(start)
            return self._nth_working_day_after(start, duration.amount)
        # Calendar days: counting starts the day after receipt, or on the next working day when the
        # dossier arrived on a day off; a last day that is not a working day rolls on (art. 148(5)).
        last_uncounted = start if self.is_working(start) else self._next_working_day(start) - timedelta(1)
        return self._working_on_or_after(last_uncounted + timedelta(days=duration.amount))

    def due_at(self, received: datetime, duration: Duration) -> datetime:
        """The instant (aware, UTC) a period ends: 24:00 local of its last day (Civil Code art. 148(6))."""
        if received.tzinfo is None:
            raise ValueError("the receipt time must be an aware datetime (with its time zone)")
        last_day = self.add(received.astimezone(ZONE).date(), duration)
        return end_of_day(last_day)

    def working_days_between(self, a: date, b: date) -> int:
        """How many working days come after `a` up to and including `b` (negative when b is before a)."""
        if b < a:
            return -self.working_days_between(b, a)
        if self._first <= a.toordinal() and b.toordinal() <= self._last:
            return bisect_right(self._working, b.toordinal()) - bisect_right(self._working, a.toordinal())
        return sum(self.is_working(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))

    def non_working_days(self, year: int) -> list[CalendarDay]:
        """The weekdays (Monday to Friday) that are days off in `year`, with the reason for each."""
        return [
            CalendarDay(day, self.reason(day))
            for day in _days_of(year)
            if day.weekday() < 5 and not self.is_working(day)
        ]

    def working_saturdays(self, year: int) -> list[CalendarDay]:
        """The weekend days worked in `year` (swapped Saturdays), with the reason for each."""
        return [
            CalendarDay(day, self.reason(day))
            for day in _days_of(year)
            if day.weekday() >= 5 and self.is_working(day)
        ]

    def reason(self, day: date) -> str:
        override = self._overrides.get(day)
        if override is not None:
            return override.reason
        if day.weekday() >= 5 and self.is_working(day):
            return SWAPPED_WORKING_DAY
        return self._rules.get(day) or ""

    def _next_working_day(self, day: date) -> date:
        return self._nth_working_day_after(day, 1)

    def _working_on_or_after(self, day: date) -> date:
        return day if self.is_working(day) else self._next_working_day(day)

    def _nth_working_day_after(self, day: date, n: int) -> date:
        ordinal = day.toordinal()
        if self._first <= ordinal <= self._last:
            i = bisect_right(self._working, ordinal) + n - 1
            if i < len(self._working):
                return date.fromordinal(self._working[i])
        while n:
            day += timedelta(days=1)
            n -= self.is_working(day)
        return day


def add_months(day: date, months: int) -> date:
    """The corresponding day `months` later (earlier when negative); the month's last day when it has no such
    day (Civil Code 2015 art. 148: a period in months ends on the corresponding day of its last month)."""
    index = day.year * 12 + day.month - 1 + int(months)
    year, month = divmod(index, 12)
    month += 1
    following = date(year + (month == 12), month % 12 + 1, 1)
    return min(day.replace(year=year, month=month, day=1) + timedelta(days=day.day - 1),
               following - timedelta(days=1))


def end_of_day(day: date) -> datetime:
    """24:00 local of `day`, as an aware UTC instant."""
    return datetime.combine(day + timedelta(days=1), time(), ZONE).astimezone(UTC)


def _days_of(year: int) -> Iterable[date]:
    first = date(year, 1, 1)
    return (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))


def seed_file_overrides() -> list[Override]:
    """The decisions already taken, as shipped in engine/data/calendar_overrides.json."""
    text = SEED_FILE.read_text(encoding="utf-8")
    return [
        Override(date.fromisoformat(item["date"]), OverrideKind(item["kind"]), item["reason"])
        for item in json.loads(text)["overrides"]
    ]


def seed_overrides(session: Session) -> int:
    """Add the seed file's overrides whose dates have none yet; returns how many were added.

    Idempotent, and an administrator's own override on a date is never replaced. The caller commits.
    """
    taken = set(session.scalars(select(CalendarOverride.day)))
    added = 0
    for override in seed_file_overrides():
        if override.day not in taken:
            session.add(
                CalendarOverride(
                    day=override.day,
                    kind=override.kind,
                    reason=override.reason,
                    created_by=SEED_CREATED_BY,
                    created_at=clock.now(),
                )
            )
            added += 1
    session.flush()
    return added


def load_calendar(session: Session) -> BusinessCalendar:
    """The calendar with the overrides now in the database.

    The overrides are read on every call (a few dozen rows) and the built calendar is cached by their
    content, so an edit made by any process or transaction is seen at once, with no version to keep.
    """
    return calendar_of(_OVERRIDES.rows(connection(session), {})[0]["overrides"])


class overrides_json(FunctionElement[str]):
    """Every override now in the database as one JSON text, [[date, kind, reason], …]: a column a
    command's first query carries (engine.runtime.dossier_service), so that reading the calendar takes no
    query of its own."""

    type = Text()
    inherit_cache = True


@compiles(overrides_json, "sqlite")
def _overrides_sqlite(element: overrides_json, compiler: SQLCompiler, **kw: Any) -> str:
    c = CalendarOverride.__table__.c
    return compiler.process(select(func.json_group_array(func.json_array(c.date, c.kind, c.reason)))
                            .scalar_subquery(), **kw)


@compiles(overrides_json, "postgresql")
def _overrides_postgresql(element: overrides_json, compiler: SQLCompiler, **kw: Any) -> str:
    c = CalendarOverride.__table__.c
    overrides = func.coalesce(func.json_agg(func.json_build_array(c.date, c.kind, c.reason)), text("'[]'::json"))
    return compiler.process(select(cast(overrides, Text)).scalar_subquery(), **kw)


_OVERRIDES = Prepared(select(overrides_json().label("overrides")))


@lru_cache(maxsize=8)
def calendar_of(overrides: str) -> BusinessCalendar:
    """The calendar of the overrides read with `overrides_json` (the same text: the same calendar)."""
    days = [Override(date.fromisoformat(d), OverrideKind(kind), reason) for d, kind, reason in json.loads(overrides)]
    return _calendar_for(tuple(sorted(days, key=lambda o: o.day)))


@lru_cache(maxsize=8)
def _calendar_for(overrides: tuple[Override, ...]) -> BusinessCalendar:
    return BusinessCalendar(overrides)
