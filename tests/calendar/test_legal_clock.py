"""Legal clocks: phases counted in working days, stopped while the applicant owes something."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, Duration, Unit, seed_file_overrides
from engine.legal_time.legal_clock import ClockStatus, LegalClock, Pause, PhaseSpec, parse_phase_property

CALENDAR = BusinessCalendar(seed_file_overrides())
SUPPLEMENT = "Yêu cầu bổ sung, hoàn thiện hồ sơ"
FEE = "Thông báo mức phí thẩm định"


def wd(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)


def end_of(year: int, month: int, day: int) -> datetime:
    """24:00 local of that day, in UTC: 17:00 UTC the same day."""
    return datetime(year, month, day, 17, 0, tzinfo=UTC)


def licence_dossier_paused_over_tet() -> LegalClock:
    """Procedure 2 (licence, 30 wd = check 5 wd + appraisal 25 wd), received Mon 2/2/2026."""
    clock = LegalClock(total=wd(30))
    clock.start_phase("check", wd(5), local(2026, 2, 2, 9, 0))
    clock.pause(local(2026, 2, 4, 15, 0), SUPPLEMENT)
    clock.resume(local(2026, 2, 24, 10, 0))
    return clock


def test_a_phase_is_due_at_the_end_of_its_last_working_day() -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    # Received Mon 2/3/2026: 3,4,5,6,9 → due at the end of Mon 9/3.
    assert clock.due_at(CALENDAR) == end_of(2026, 3, 9)
    assert clock.total_due_at(CALENDAR) is None


def test_a_supplement_pause_across_tet_moves_the_due_dates() -> None:
    clock = LegalClock(total=wd(30))
    clock.start_phase("check", wd(5), local(2026, 2, 2, 9, 0))
    # Check: 3,4,5,6,9 → Mon 9/2. Total 30 wd: Feb 3-6 (4), 9-13 (9), Tết 14-22, 23-27 (14),
    # Mar 2-6 (19), 9-13 (24), 16-20 (29), 23 (30) → Mon 23/3/2026.
    assert clock.due_at(CALENDAR) == end_of(2026, 2, 9)
    assert clock.total_due_at(CALENDAR) == end_of(2026, 3, 23)

    # Wed 4/2 the officer asks for a supplement: left of the check (4/2, 9/2] = 5, 6, 9 → 3 wd;
    # left of the total: 30 - 2 (3/2, 4/2 used) = 28 wd.
    clock.pause(local(2026, 2, 4, 15, 0), SUPPLEMENT)
    state = clock.state(local(2026, 2, 10, 9, 0), CALENDAR)  # past the old due date, but stopped
    assert state.status is ClockStatus.PAUSED
    assert state.remaining == wd(3)
    assert state.due_at is None and state.total_due_at is None
    assert state.pause_reason == SUPPLEMENT
    assert clock.due_at(CALENDAR) is None

    # The applicant supplements on Tue 24/2 (after Tết): 24/2 is not counted.
    # Check: 25, 26, 27 → Fri 27/2. Total 28 wd: Feb 25-27 (3), Mar 2-6 (8), 9-13 (13), 16-20 (18),
    # 23-27 (23), 30-31 (25), Apr 1, 2, 3 (28) → Fri 3/4/2026.
    clock.resume(local(2026, 2, 24, 10, 0))
    assert clock.due_at(CALENDAR) == end_of(2026, 2, 27)
    assert clock.total_due_at(CALENDAR) == end_of(2026, 4, 3)
    assert clock.pauses == [
        Pause(SUPPLEMENT, local(2026, 2, 4, 15, 0), local(2026, 2, 24, 10, 0), "check"),
    ]
    assert clock.state(local(2026, 2, 24, 11, 0), CALENDAR).status is ClockStatus.RUNNING


def test_waiting_for_the_fee_between_phases_moves_only_the_total() -> None:
    clock = licence_dossier_paused_over_tet()  # total due Fri 3/4/2026
    clock.finish_phase("check", local(2026, 2, 26, 10, 0))
    # Fee notice Thu 26/2: left of the total (26/2, 3/4] = 27/2 (1) + 22 in March + Apr 1-3 → 26 wd.
    clock.pause(local(2026, 2, 26, 10, 0), FEE)
    assert clock.pauses[-1].phase is None
    # Fee paid Mon 2/3: total 26 wd from 2/3: Mar 3-6 (4), 9-13 (9), 16-20 (14), 23-27 (19),
    # 30-31 (21), Apr 1-3 (24), 6 (25), 7 (26) → Tue 7/4/2026.
    clock.resume(local(2026, 3, 2, 9, 0))
    assert clock.total_due_at(CALENDAR) == end_of(2026, 4, 7)
    # Appraisal 25 wd from Mon 2/3: ... Apr 1-3 (24), 6 (25) → Mon 6/4/2026.
    clock.start_phase("appraisal", wd(25), local(2026, 3, 2, 9, 0))
    assert clock.due_at(CALENDAR) == end_of(2026, 4, 6)
    state = clock.state(local(2026, 3, 3, 12, 0), CALENDAR)
    assert (state.status, state.phase) == (ClockStatus.RUNNING, "appraisal")
    # Left on Tue 3/3: Mar 4-6 (3), 9-13 (8), 16-20 (13), 23-27 (18), 30-31 (20), Apr 1-3 (23), 6 (24).
    assert state.remaining == wd(24)
    assert [p.late for p in clock.phases(CALENDAR)] == [False, None]


def test_a_pause_and_resume_on_the_same_day_changes_nothing() -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))  # due Mon 9/3
    clock.pause(local(2026, 3, 4, 10, 0), SUPPLEMENT)
    clock.resume(local(2026, 3, 4, 16, 0))
    assert clock.due_at(CALENDAR) == end_of(2026, 3, 9)


def test_a_clock_late_when_paused_stays_late() -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))  # due Mon 9/3
    clock.pause(local(2026, 3, 11, 10, 0), SUPPLEMENT)  # Wed 11/3, already 2 wd late
    assert clock.state(local(2026, 3, 12, 9, 0), CALENDAR).remaining == wd(-2)
    clock.resume(local(2026, 3, 16, 9, 0))
    assert clock.due_at(CALENDAR) == end_of(2026, 3, 9)
    assert clock.state(local(2026, 3, 16, 10, 0), CALENDAR).status is ClockStatus.OVERDUE


def test_a_phase_in_calendar_days_pauses_in_calendar_days() -> None:
    clock = LegalClock()
    clock.start_phase("council", Duration(30, Unit.CALENDAR_DAYS), local(2026, 7, 1, 9, 0))
    assert clock.due_at(CALENDAR) == end_of(2026, 7, 31)  # Wed 1/7 + 30 cd = Fri 31/7
    clock.pause(local(2026, 7, 10, 9, 0), SUPPLEMENT)  # left: 31/7 - 10/7 = 21 cd
    assert clock.state(local(2026, 7, 12, 9, 0), CALENDAR).remaining == Duration(21, Unit.CALENDAR_DAYS)
    clock.resume(local(2026, 7, 17, 9, 0))  # Fri 17/7 + 21 cd = Fri 7/8/2026
    assert clock.due_at(CALENDAR) == end_of(2026, 8, 7)


@pytest.mark.parametrize(
    ("now", "status", "left"),
    [
        # Check 5 wd from Mon 2/3/2026, due Mon 9/3. Due soon = due within 2 working days.
        (local(2026, 3, 3, 10, 0), ClockStatus.RUNNING, 4),  # left: 4, 5, 6, 9
        (local(2026, 3, 4, 10, 0), ClockStatus.RUNNING, 3),  # 2 wd from Wed 4/3 is Fri 6/3 < 9/3
        (local(2026, 3, 5, 10, 0), ClockStatus.DUE_SOON, 2),  # 2 wd from Thu 5/3 is Mon 9/3
        (local(2026, 3, 9, 23, 59), ClockStatus.DUE_SOON, 0),  # the last minute of the last day
        (local(2026, 3, 10, 0, 0), ClockStatus.OVERDUE, -1),  # 24:00 on Mon 9/3 has passed
    ],
)
def test_running_due_soon_and_overdue(now: datetime, status: ClockStatus, left: int) -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    state = clock.state(now, CALENDAR)
    assert (state.status, state.phase, state.remaining) == (status, "check", wd(left))
    assert state.due_at == end_of(2026, 3, 9)


def test_due_soon_can_be_set_in_calendar_days() -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))  # due Mon 9/3
    # Wed 4/3 + 5 cd = Mon 9/3: due soon by that measure, not by the default 2 wd.
    now = local(2026, 3, 4, 10, 0)
    assert clock.state(now, CALENDAR).status is ClockStatus.RUNNING
    soon = clock.state(now, CALENDAR, due_soon=Duration(5, Unit.CALENDAR_DAYS))
    assert soon.status is ClockStatus.DUE_SOON


def test_the_total_deadline_counts_too() -> None:
    clock = LegalClock(total=wd(3))  # Mon 2/3 + 3 wd = Thu 5/3
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    state = clock.state(local(2026, 3, 6, 9, 0), CALENDAR)
    assert state.status is ClockStatus.OVERDUE
    assert state.total_due_at == end_of(2026, 3, 5)
    assert state.remaining == wd(1)  # the phase itself still has Mon 9/3


@pytest.mark.parametrize(
    ("finished", "status"),
    [
        (local(2026, 3, 9, 16, 0), ClockStatus.FINISHED_ON_TIME),
        (local(2026, 3, 10, 8, 0), ClockStatus.FINISHED_LATE),
    ],
)
def test_finished_on_time_or_late(finished: datetime, status: ClockStatus) -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    clock.finish_phase("check", finished)
    state = clock.state(local(2026, 3, 20, 9, 0), CALENDAR)
    assert (state.status, state.phase, state.due_at) == (status, "check", end_of(2026, 3, 9))


def test_state_ignores_events_after_now() -> None:
    clock = LegalClock()
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    clock.finish_phase("check", local(2026, 3, 9, 16, 0))
    assert clock.state(local(2026, 3, 3, 9, 0), CALENDAR).status is ClockStatus.RUNNING


def test_the_clock_survives_json() -> None:
    clock = licence_dossier_paused_over_tet()
    clock.finish_phase("check", local(2026, 2, 26, 10, 0))
    clock.pause(local(2026, 2, 26, 10, 0), FEE)
    data = clock.to_dict()
    restored = LegalClock.from_dict(json.loads(json.dumps(data)))
    assert restored.to_dict() == data
    assert restored.pauses == clock.pauses
    now = local(2026, 2, 27, 9, 0)
    assert restored.state(now, CALENDAR) == clock.state(now, CALENDAR)
    assert data["total"] == "30:working-days"
    assert data["events"][0] == {
        "event": "start",
        "at": "2026-02-02T02:00:00+00:00",
        "phase": "check",
        "duration": "5:working-days",
    }


def test_an_unknown_event_is_refused() -> None:
    data = {"total": None, "events": [{"event": "stop", "at": "2026-03-02T02:00:00+00:00"}]}
    with pytest.raises(ValueError, match="unknown clock event 'stop'"):
        LegalClock.from_dict(data)


def test_the_clock_refuses_steps_out_of_order() -> None:
    clock = LegalClock()
    with pytest.raises(ValueError, match="has not started"):
        clock.pause(local(2026, 3, 2, 9, 0), SUPPLEMENT)
    with pytest.raises(ValueError, match="has not started"):
        clock.state(local(2026, 3, 2, 9, 0), CALENDAR)
    with pytest.raises(ValueError, match="aware"):
        clock.start_phase("check", wd(5), datetime(2026, 3, 2, 9, 0))
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    with pytest.raises(ValueError, match="'check' is still running"):
        clock.start_phase("appraisal", wd(25), local(2026, 3, 3, 9, 0))
    with pytest.raises(ValueError, match="cannot finish phase 'appraisal': phase 'check' is running"):
        clock.finish_phase("appraisal", local(2026, 3, 3, 9, 0))
    with pytest.raises(ValueError, match="is not paused"):
        clock.resume(local(2026, 3, 3, 9, 0))
    with pytest.raises(ValueError, match="say why"):
        clock.pause(local(2026, 3, 3, 9, 0), "  ")
    with pytest.raises(ValueError, match="before the clock's last event"):
        clock.pause(local(2026, 3, 1, 9, 0), SUPPLEMENT)
    clock.pause(local(2026, 3, 3, 9, 0), SUPPLEMENT)
    with pytest.raises(ValueError, match="already paused"):
        clock.pause(local(2026, 3, 3, 10, 0), SUPPLEMENT)
    with pytest.raises(ValueError, match="resume it before finishing"):
        clock.finish_phase("check", local(2026, 3, 3, 10, 0))
    assert clock.paused and clock.current_phase == "check"


def test_parse_phase_property() -> None:
    assert parse_phase_property("check:5:working-days") == PhaseSpec("check", wd(5))
    assert parse_phase_property(" appraisal : 25 : calendar-days ") == PhaseSpec(
        "appraisal", Duration(25, Unit.CALENDAR_DAYS)
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("check:5", "has 2 part\\(s\\), not 3: write name:amount:unit, e.g. check:5:working-days"),
        ("check:5:working-days:x", "has 4 part"),
        (":5:working-days", "has no name"),
        ("check:five:working-days", "the amount 'five' is not a whole number of days"),
        ("check:-1:working-days", "the amount '-1' is not a whole number of days"),
        ("check:5:weeks", "the unit 'weeks' is unknown; use working-days or calendar-days"),
        ("check:0:working-days", "lasts 0 days"),
    ],
)
def test_parse_phase_property_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_phase_property(text)


def test_rewound_forgets_what_was_recorded_on_a_date_and_after_it() -> None:
    # Received Mon 2/3/2026 (the check starts), the fee paid Fri 6/3 (the appraisal starts on it); rewound to
    # before the payment, the clock stands as the check left it, with its receipt and its corrections.
    clock = LegalClock(total=wd(30))
    clock.record_receipt("Tiếp nhận", local(2026, 3, 2, 9, 0), local(2026, 3, 2, 9, 0))
    clock.start_phase("check", wd(5), local(2026, 3, 2, 9, 0))
    clock.end_date()
    clock.finish_phase("check", local(2026, 3, 4, 9, 0))
    paid = clock.record_date("fee-paid", "Xác nhận đã nhận phí", local(2026, 3, 6, 0, 0), local(2026, 3, 9, 9, 0))
    clock.start_phase("appraisal", wd(25), local(2026, 3, 6, 0, 0))
    clock.end_date()
    clock.corrections.append({"date": paid, "old": "2026-03-09", "new": "2026-03-06"})
    rewound = clock.rewound(paid)
    assert [p.name for p in rewound.phases(CALENDAR)] == ["check"] and rewound.current_phase is None
    assert [d.event for d in rewound.dates] == ["received"] and rewound.corrections == clock.corrections
    assert clock.rewound(0).started is False and clock.rewound(0).dates == []
