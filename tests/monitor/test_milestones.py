"""When a deadline becomes due soon: the instant the scheduler escalates must be the instant from which the
clock, the inbox and the dashboard all call the dossier due soon."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, Duration, Unit, end_of_day, seed_file_overrides
from engine.legal_time.legal_clock import DUE_SOON, ClockStatus, LegalClock
from engine.legal_time.milestones import Milestone, due_soon_from, key, next_milestone_at, reached

CALENDAR = BusinessCalendar(seed_file_overrides())


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), ZONE).astimezone(UTC)


@pytest.mark.parametrize(("last_day", "from_day"), [
    (date(2026, 3, 5), date(2026, 3, 3)),    # Thursday: from Tuesday, two working days before
    (date(2026, 3, 9), date(2026, 3, 5)),    # Monday: the weekend does not count
    (date(2026, 2, 24), date(2026, 2, 13)),  # after Tết (14-22 February): from the Friday before it
])
def test_due_soon_starts_two_working_days_before(last_day: date, from_day: date) -> None:
    assert due_soon_from(CALENDAR, end_of_day(last_day)) == local_midnight(from_day)


def test_due_soon_instant_agrees_with_the_dashboard_threshold_all_year() -> None:
    day = date(2026, 1, 5)
    while day < date(2027, 1, 1):
        due = end_of_day(day)
        starts = due_soon_from(CALENDAR, due)
        # The dashboard rule (engine.oversight.monitoring.Thresholds): due soon when due <= due_at(now, 2 wd).
        assert due <= CALENDAR.due_at(starts, DUE_SOON), day
        assert not due <= CALENDAR.due_at(starts - timedelta(minutes=1), DUE_SOON), day
        day += timedelta(days=1)


def test_due_soon_instant_agrees_with_the_legal_clock() -> None:
    clock = LegalClock()
    received = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    clock.start_phase("appraisal", Duration(7, Unit.WORKING_DAYS), received)
    due = clock.due_at(CALENDAR)
    starts = due_soon_from(CALENDAR, due)
    assert clock.state(starts - timedelta(seconds=1), CALENDAR).status is ClockStatus.RUNNING
    assert clock.state(starts, CALENDAR).status is ClockStatus.DUE_SOON
    assert clock.state(due, CALENDAR).status is ClockStatus.OVERDUE


def test_next_milestone_skips_the_fired_and_stops_with_the_clock() -> None:
    due = end_of_day(date(2026, 3, 5))
    args = {"running": True, "paused": False, "calendar": CALENDAR}
    assert next_milestone_at("check", due, None, fired=[], **args) == local_midnight(date(2026, 3, 3))
    assert next_milestone_at("check", due, None, fired=["check:due_soon"], **args) == due
    assert next_milestone_at("check", due, None, fired=["check:due_soon", "check:overdue"], **args) is None
    # The total is earlier than the phase: it decides.
    assert next_milestone_at("check", end_of_day(date(2026, 3, 20)), due, fired=[], **args) == \
        local_midnight(date(2026, 3, 3))
    assert next_milestone_at("check", due, None, fired=[], running=True, paused=True, calendar=CALENDAR) is None
    assert next_milestone_at("check", due, None, fired=[], running=False, paused=False, calendar=CALENDAR) is None
    # A new phase has milestones of its own.
    assert key("appraisal", Milestone.DUE_SOON) not in ["check:due_soon"]
    assert reached("appraisal", due, ["check:due_soon", "check:overdue"], due, CALENDAR) == \
        [Milestone.DUE_SOON, Milestone.OVERDUE]
