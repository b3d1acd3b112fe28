"""The script engine every dossier runs with: the safe evaluator plus the platform's functions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine

from engine.expressions import SafeScriptEngine
from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.clock import clock


def platform_functions(calendar: BusinessCalendar) -> dict[str, Callable[..., Any]]:
    """Functions a diagram may call. Timers use them so that every deadline follows the same calendar."""
    from engine.legal_time.business_calendar import Duration, Unit

    def due_in(amount: int, unit: Unit) -> str:
        return calendar.due_at(clock.now(), Duration(int(amount), unit)).isoformat()

    def after(seconds: int | float) -> str:
        return (clock.now() + timedelta(seconds=float(seconds))).isoformat()

    return {
        "now": clock.now,
        "today": lambda: clock.now().astimezone(calendar.zone).date(),
        "due_in_working_days": lambda n: due_in(n, Unit.WORKING_DAYS),
        "due_in_calendar_days": lambda n: due_in(n, Unit.CALENDAR_DAYS),
        "due_after_seconds": after,
        "is_working_day": lambda d: calendar.is_working(d if isinstance(d, date) else date.fromisoformat(d)),
        "working_days_between": lambda a, b: calendar.working_days_between(_as_date(a), _as_date(b)),
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
