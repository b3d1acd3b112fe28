"""Deadline functions for BPMN timer expressions.

The script engine exposes them as `due_in_working_days(n)` and `due_in_calendar_days(n)` with the
platform clock's now. A timer then fires at the instant the period ends (24:00 local of its last day,
Civil Code 2015 art. 148), given as ISO 8601 text as a timeDate timer expects.
"""

from __future__ import annotations

from datetime import datetime

from engine.legal_time.business_calendar import BusinessCalendar, Duration, Unit


def working_days_from(now: datetime, n: int, calendar: BusinessCalendar) -> str:
    return calendar.due_at(now, Duration(n, Unit.WORKING_DAYS)).isoformat()


def calendar_days_from(now: datetime, n: int, calendar: BusinessCalendar) -> str:
    return calendar.due_at(now, Duration(n, Unit.CALENDAR_DAYS)).isoformat()
