"""The script engine every dossier runs with: the safe evaluator plus the platform's functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.expressions import SafeScriptEngine
from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.clock import clock
from engine.runtime.horizon import check_days, check_seconds, check_span


def platform_functions(calendar: BusinessCalendar) -> dict[str, Callable[..., Any]]:
    """Functions a diagram may call. Timers use them so that every deadline follows the same calendar.

    A copy each time: a script engine's globals are its own."""
    return dict(_functions_of(calendar))


@lru_cache(maxsize=16)  # calendars are shared per set of overrides (business_calendar.calendar_of)
def _functions_of(calendar: BusinessCalendar) -> dict[str, Callable[..., Any]]:
    from engine.legal_time.business_calendar import Duration, Unit, add_months, end_of_day

    # Each range is checked against the horizon (engine.runtime.horizon) before any day is counted.
    def due_in(function: str, amount: int, unit: Unit) -> str:
        return calendar.due_at(clock.now(), Duration(check_days(function, amount), unit)).isoformat()

    def due_from(start: date | datetime | str, amount: int, unit: Unit) -> str:
        """A period counted from an event's day (e.g. the notice's publication), not from the click."""
        days = check_days("due_in_working_days_from" if unit == Unit.WORKING_DAYS else "due_in_calendar_days_from",
                          amount)
        return end_of_day(calendar.add(_as_date(start), Duration(days, unit))).isoformat()

    def after(seconds: int | float) -> str:
        return (clock.now() + timedelta(seconds=check_seconds("due_after_seconds", seconds))).isoformat()

    def between(a: date | datetime | str, b: date | datetime | str) -> int:
        first, last = _as_date(a), _as_date(b)
        check_span("working_days_between", first, last)
        return calendar.working_days_between(first, last)

    return {
        "now": clock.now,
        "today": lambda: clock.now().astimezone(calendar.zone).date(),
        "due_in_working_days": lambda n: due_in("due_in_working_days", n, Unit.WORKING_DAYS),
        "due_in_calendar_days": lambda n: due_in("due_in_calendar_days", n, Unit.CALENDAR_DAYS),
        "due_in_working_days_from": lambda d, n: due_from(d, n, Unit.WORKING_DAYS),
        "due_in_calendar_days_from": lambda d, n: due_from(d, n, Unit.CALENDAR_DAYS),
        "due_after_seconds": after,
        "is_working_day": lambda d: calendar.is_working(d if isinstance(d, date) else date.fromisoformat(d)),
        "working_days_between": between,
        "add_months": lambda d, n: add_months(_as_date(d), check_days("add_months", n * 31) // 31),
    }


# The names a diagram may call, for the checks that run before any calendar is loaded (validation).
PLATFORM_FUNCTIONS = frozenset(platform_functions(BusinessCalendar()))


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


def make_script_engine(calendar: BusinessCalendar) -> PythonScriptEngine:
    """Errors name the element ("element check_fee: line 1: …") and keep the evaluator's reason."""
    return SafeScriptEngine(platform_functions(calendar))
