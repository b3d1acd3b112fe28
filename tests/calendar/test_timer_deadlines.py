"""The deadline functions BPMN timers call: ISO 8601 instants at the end of the last day."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, seed_file_overrides
from engine.legal_time.deadlines import calendar_days_from, working_days_from

CALENDAR = BusinessCalendar(seed_file_overrides())


def test_working_days_from_gives_the_instant_the_period_ends() -> None:
    # Fri 13/2/2026 09:00 local, 5 wd over Tết → last day Fri 27/2, ends 00:00 +07 on 28/2.
    text = working_days_from(datetime(2026, 2, 13, 9, 0, tzinfo=ZONE), 5, CALENDAR)
    assert text == "2026-02-27T17:00:00+00:00"
    assert datetime.fromisoformat(text) == datetime(2026, 2, 28, 0, 0, tzinfo=ZONE)


def test_calendar_days_from_rolls_off_a_holiday() -> None:
    # Mon 9/2/2026 + 10 cd = Thu 19/2 (Tết) → Mon 23/2.
    now = datetime(2026, 2, 9, 2, 0, tzinfo=UTC)
    assert calendar_days_from(now, 10, CALENDAR) == "2026-02-23T17:00:00+00:00"
