"""Milestones of a legal clock: the instants a supervisor must hear of — the deadline comes near (due
soon: DUE_SOON, 2 working days, before it) and the deadline passes (overdue).

The deadline is the earlier of the running phase's and the total's, as in `LegalClock.state`: a dossier
whose total has run out is late even if its phase has days left. Each milestone is escalated once per
phase; the dossier keeps the ones fired as "phase:milestone" and, in an indexed column, when the next one
falls, so that the scheduler finds the due ones with one range read (engine.runtime.scheduler).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, Duration, end_of_day
from engine.legal_time.legal_clock import DUE_SOON


class Milestone(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"



def key(phase: str | None, milestone: Milestone) -> str:
    return f"{phase or 'total'}:{milestone.value}"


def deadline(due_at: datetime | None, total_due_at: datetime | None) -> datetime | None:
    dates = [d for d in (due_at, total_due_at) if d is not None]
    return min(dates) if dates else None


@lru_cache(maxsize=4096)
def due_soon_from(calendar: BusinessCalendar, due: datetime, window: Duration = DUE_SOON) -> datetime:
    """The first instant at which `due` counts as due soon: 00:00 local of the first day whose window
    (`calendar.due_at(day, window)`) reaches it. Calendars are cached per set of overrides, so the
    calendar's identity is a fair cache key."""
    day = (due - timedelta(microseconds=1)).astimezone(ZONE).date()
    while calendar.due_at(end_of_day(day - timedelta(days=2)), window) >= due:
        day -= timedelta(days=1)
    return end_of_day(day - timedelta(days=1))


def instants(calendar: BusinessCalendar, due: datetime) -> dict[Milestone, datetime]:
    return {Milestone.DUE_SOON: due_soon_from(calendar, due), Milestone.OVERDUE: due}


def next_milestone_at(
    phase: str | None, due_at: datetime | None, total_due_at: datetime | None, *, running: bool, paused: bool,
    fired: list[str] | None, calendar: BusinessCalendar,
) -> datetime | None:
    """When the next milestone not yet fired falls; None while the clock is stopped or has no deadline."""
    due = deadline(due_at, total_due_at)
    if not running or paused or due is None:
        return None
    done = set(fired or ())
    for milestone, at in instants(calendar, due).items():
        if key(phase, milestone) not in done:
            return at
    return None


def reached(
    phase: str | None, due: datetime, fired: list[str], now: datetime, calendar: BusinessCalendar,
) -> list[Milestone]:
    """The milestones of `phase` reached at `now` and not fired yet, least severe first."""
    done = set(fired)
    return [m for m, at in instants(calendar, due).items() if at <= now and key(phase, m) not in done]
