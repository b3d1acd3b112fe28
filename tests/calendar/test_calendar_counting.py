"""Counting legal periods on the Vietnamese calendar (Civil Code 2015 arts. 147-148).

Expected dates are worked out by hand in the comments: "wd" is a working day, "cd" a calendar day.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, Duration, Unit, seed_file_overrides
from engine.legal_time.calendar_override import Override, OverrideKind

CALENDAR = BusinessCalendar(seed_file_overrides())


def wd(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


def cd(n: int) -> Duration:
    return Duration(n, Unit.CALENDAR_DAYS)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.mark.parametrize(
    ("received", "duration", "due"),
    [
        # Tết 2025 (Ất Tỵ, 1st day Wed 29/1): off Sat 25/1 - Sun 2/2. Received Fri 24/1, 5 wd:
        # 25-26 weekend, 27-31 Tết, 1-2/2 weekend → 3,4,5,6,7/2 → due Fri 7/2/2025.
        (date(2025, 1, 24), wd(5), date(2025, 2, 7)),
        # Tết 2026 (Bính Ngọ, 1st day Tue 17/2): off Sat 14/2 - Sun 22/2. Received Fri 13/2, 5 wd:
        # 23,24,25,26,27 → due Fri 27/2/2026.
        (date(2026, 2, 13), wd(5), date(2026, 2, 27)),
        # Tết 2027 (Đinh Mùi, 1st day Sat 6/2), from the rules: off Thu 4/2 - Wed 10/2
        # (29 Tết, eve, 1st-4th day; the Saturday's day moves back to Thu 4/2, the Sunday's on to Wed 10/2).
        # Received Wed 3/2, 3 wd: 11 (1), 12 (2), 15 (3) → due Mon 15/2/2027.
        (date(2027, 2, 3), wd(3), date(2027, 2, 15)),
        # 30/4-1/5 2025: Fri 2/5 off, swapped with Sat 26/4. Received Tue 29/4, 1 wd:
        # 30/4, 1/5, 2/5 off, 3-4 weekend → due Mon 5/5/2025.
        (date(2025, 4, 29), wd(1), date(2025, 5, 5)),
        # 30/4-1/5 2024: Mon 29/4 off, swapped with Sat 4/5. Received Fri 26/4, 1 wd:
        # 27-28 weekend, 29/4 swap, 30/4, 1/5 → due Thu 2/5/2024.
        (date(2024, 4, 26), wd(1), date(2024, 5, 2)),
        # National Day 2025: 2/9 Tue with its bridge Mon 1/9. Received Fri 29/8, 1 wd → due Wed 3/9/2025.
        (date(2025, 8, 29), wd(1), date(2025, 9, 3)),
        # National Day 2026: off Sat 29/8 - Wed 2/9 (Mon 31/8 swapped with Sat 22/8, bridge Tue 1/9).
        # Received Fri 28/8, 2 wd: Thu 3/9 (1), Fri 4/9 (2) → due 4/9/2026.
        (date(2026, 8, 28), wd(2), date(2026, 9, 4)),
        # National Day 2027 from the rules: Thu 2/9 and its bridge Fri 3/9. Received Wed 1/9, 1 wd
        # → due Mon 6/9/2027.
        (date(2027, 9, 1), wd(1), date(2027, 9, 6)),
        # Hùng Kings 2025 (10/3 lunar = Mon 7/4). Received Fri 4/4, 1 wd → due Tue 8/4/2025.
        (date(2025, 4, 4), wd(1), date(2025, 4, 8)),
        # Hùng Kings 2026 falls on Sun 26/4: day off in lieu Mon 27/4. Received Fri 24/4, 3 wd:
        # 27 off, 28 (1), 29 (2), 30/4-1/5 off, 2-3 weekend, Mon 4/5 (3) → due 4/5/2026.
        (date(2026, 4, 24), wd(3), date(2026, 5, 4)),
        # A swapped Saturday is worked: received Fri 21/8/2026, 1 wd → due Sat 22/8/2026.
        (date(2026, 8, 21), wd(1), date(2026, 8, 22)),
        # And another: received Thu 24/4/2025, 2 wd: Fri 25 (1), Sat 26 swapped (2) → due Sat 26/4/2025.
        (date(2025, 4, 24), wd(2), date(2025, 4, 26)),
        # New Year 2026: Fri 2/1 off, swapped with Sat 10/1 (12729/VPCP-KGVX, seed file only).
        # Received Wed 31/12/2025, 2 wd: 1/1, 2/1 off, 3-4 weekend → 5 (1), 6 (2) → due Tue 6/1/2026.
        (date(2025, 12, 31), wd(2), date(2026, 1, 6)),
        (date(2026, 1, 9), wd(1), date(2026, 1, 10)),
    ],
)
def test_due_date_in_working_days(received: date, duration: Duration, due: date) -> None:
    assert CALENDAR.add(received, duration) == due


def test_tet_2026_is_off_from_14_to_22_february() -> None:
    assert CALENDAR.is_working(date(2026, 2, 13))
    assert not any(CALENDAR.is_working(d) for d in days(date(2026, 2, 14), date(2026, 2, 22)))
    assert CALENDAR.is_working(date(2026, 2, 23))


def test_national_day_2026_is_off_from_29_august_with_saturday_22_worked() -> None:
    assert CALENDAR.is_working(date(2026, 8, 22))  # a Saturday
    assert CALENDAR.is_working(date(2026, 8, 28))
    assert not any(CALENDAR.is_working(d) for d in days(date(2026, 8, 29), date(2026, 9, 2)))
    assert CALENDAR.is_working(date(2026, 9, 3))


def test_the_new_year_2026_swap_comes_from_the_overrides() -> None:
    rules_only = BusinessCalendar()
    # Without the decision: received Wed 31/12/2025, 2 wd: Fri 2/1 (1), Mon 5/1 (2).
    assert rules_only.add(date(2025, 12, 31), wd(2)) == date(2026, 1, 5)
    assert not rules_only.is_working(date(2026, 1, 10))
    assert CALENDAR.add(date(2025, 12, 31), wd(2)) == date(2026, 1, 6)


def test_an_override_beats_the_rules_both_ways() -> None:
    calendar = BusinessCalendar(
        [
            Override(date(2030, 6, 14), OverrideKind.DAY_OFF, "thử nghiệm"),  # a Friday
            Override(date(2030, 6, 15), OverrideKind.WORKING_DAY, "thử nghiệm"),  # a Saturday
            Override(date(2040, 6, 15), OverrideKind.WORKING_DAY, "ngoài khoảng tính sẵn"),  # a Friday
        ]
    )
    assert not calendar.is_working(date(2030, 6, 14))
    assert calendar.is_working(date(2030, 6, 15))
    # Received Thu 13/6/2030, 1 wd: Fri 14 off → Sat 15 worked.
    assert calendar.add(date(2030, 6, 13), wd(1)) == date(2030, 6, 15)
    assert calendar.is_working(date(2040, 6, 15))
    assert not calendar.is_working(date(2040, 6, 16))  # Saturday, outside the precomputed span


def test_two_overrides_for_one_date_are_refused() -> None:
    same_day = [
        Override(date(2030, 6, 14), OverrideKind.DAY_OFF, "a"),
        Override(date(2030, 6, 14), OverrideKind.WORKING_DAY, "b"),
    ]
    with pytest.raises(ValueError, match="two overrides for 2030-06-14"):
        BusinessCalendar(same_day)


def test_receipt_on_friday_afternoon() -> None:
    # Received Fri 13/3/2026 at 16:30 in Đồng Nai, 5 wd: Mon 16,17,18,19, Fri 20/3 → due 20/3;
    # the period ends at 24:00 that day = 00:00 +07 on 21/3 = 17:00 UTC on 20/3.
    due = CALENDAR.due_at(local(2026, 3, 13, 16, 30), wd(5))
    assert due == datetime(2026, 3, 20, 17, 0, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)


def test_receipt_time_is_read_in_local_time() -> None:
    # 18:00 UTC on Thu 12/3/2026 is 01:00 on Fri 13/3 in Đồng Nai: 1 wd → Mon 16/3
    # (read in UTC it would have been Thursday, and the due date Friday).
    due = CALENDAR.due_at(datetime(2026, 3, 12, 18, 0, tzinfo=UTC), wd(1))
    assert due == datetime(2026, 3, 16, 17, 0, tzinfo=UTC)


def test_receipt_on_a_holiday_counts_from_the_next_working_day() -> None:
    # Received on the 1st day of Tết, Tue 17/2/2026: counting starts Mon 23/2 → 23..27 → due Fri 27/2.
    assert CALENDAR.due_at(local(2026, 2, 17, 10, 0), wd(5)) == datetime(2026, 2, 27, 17, 0, tzinfo=UTC)
    # Received Sat 2/5/2026 (after 30/4-1/5): 1 wd → Mon 4/5.
    assert CALENDAR.add(date(2026, 5, 2), wd(1)) == date(2026, 5, 4)
    # In calendar days too: received Sat 14/2/2026, 10 cd: day 1 is Mon 23/2 → day 10 is Wed 4/3.
    assert CALENDAR.add(date(2026, 2, 14), cd(10)) == date(2026, 3, 4)


def test_calendar_days_against_working_days() -> None:
    # Received Mon 9/2/2026. 10 cd → Thu 19/2, 3rd day of Tết; 20/2 Tết, 21-22 weekend → Mon 23/2.
    assert CALENDAR.add(date(2026, 2, 9), cd(10)) == date(2026, 2, 23)
    # 10 wd: 10,11,12,13 (4), Tết, 23,24,25,26,27 (9), Mon 2/3 (10) → 2/3/2026.
    assert CALENDAR.add(date(2026, 2, 9), wd(10)) == date(2026, 3, 2)
    # Received Wed 1/4/2026, 30 cd → Fri 1/5, a holiday; 2-3 weekend → Mon 4/5 (Civil Code art. 148(5)).
    assert CALENDAR.add(date(2026, 4, 1), cd(30)) == date(2026, 5, 4)
    # Received Wed 1/7/2026, 30 cd → Fri 31/7, a working day.
    assert CALENDAR.add(date(2026, 7, 1), cd(30)) == date(2026, 7, 31)


def test_zero_days_is_the_first_working_day_and_negative_is_refused() -> None:
    assert CALENDAR.add(date(2026, 3, 2), wd(0)) == date(2026, 3, 2)
    assert CALENDAR.add(date(2026, 2, 14), wd(0)) == date(2026, 2, 23)
    with pytest.raises(ValueError, match="cannot be negative"):
        CALENDAR.add(date(2026, 3, 2), wd(-1))


def test_due_at_refuses_a_naive_receipt_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        CALENDAR.due_at(datetime(2026, 3, 2, 9, 0), wd(5))


def test_working_days_between() -> None:
    # (Fri 13/2/2026, Fri 27/2/2026]: Tết week off, then 23..27 → 5.
    assert CALENDAR.working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5
    assert CALENDAR.working_days_between(date(2026, 2, 27), date(2026, 2, 13)) == -5
    assert CALENDAR.working_days_between(date(2026, 3, 4), date(2026, 3, 4)) == 0
    # Across the end of the precomputed span: Fri 28/12/2035 → Mon 31 (1), 1/1/2036 off, 2, 3, 4 (4).
    assert CALENDAR.working_days_between(date(2035, 12, 28), date(2036, 1, 4)) == 4
    assert CALENDAR.add(date(2035, 12, 28), wd(4)) == date(2036, 1, 4)


def _reference_add(calendar: BusinessCalendar, start: date, duration: Duration) -> date:
    """The counting rules written the slow, obvious way, day by day."""
    is_working = calendar.is_working
    if duration.unit is Unit.WORKING_DAYS:
        day, left = start, duration.amount
        while left:
            day += timedelta(days=1)
            left -= is_working(day)
        return day
    anchor = start
    if not is_working(start):
        while not is_working(anchor + timedelta(days=1)):
            anchor += timedelta(days=1)
    day = anchor + timedelta(days=duration.amount)
    while not is_working(day):
        day += timedelta(days=1)
    return day


def test_fast_counting_matches_the_day_by_day_rule() -> None:
    rng = random.Random(2026)
    for _ in range(3000):
        start = date(2019, 6, 1) + timedelta(days=rng.randrange(365 * 18))  # spills past both ends
        duration = Duration(rng.randrange(1, 60), rng.choice(list(Unit)))
        assert CALENDAR.add(start, duration) == _reference_add(CALENDAR, start, duration), (start, duration)


def test_listing_a_year() -> None:
    off = {d.day: d.reason for d in CALENDAR.non_working_days(2026)}
    assert all(day.weekday() < 5 for day in off)
    assert "12729/VPCP-KGVX" in off[date(2026, 1, 2)]
    assert off[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert off[date(2026, 4, 27)] == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"
    assert len(off) == 14
    assert [d.day for d in CALENDAR.working_saturdays(2026)] == [date(2026, 1, 10), date(2026, 8, 22)]
    assert [d.day for d in CALENDAR.working_saturdays(2025)] == [date(2025, 4, 26)]
    assert [d.day for d in CALENDAR.working_saturdays(2024)] == [date(2024, 5, 4)]
    assert CALENDAR.working_saturdays(2023) == []


def test_duration_reads_and_writes_its_unit() -> None:
    assert Duration.parse("5:working-days") == Duration(5, Unit.WORKING_DAYS)
    assert Duration.parse(" 30 : calendar-days ") == Duration(30, Unit.CALENDAR_DAYS)
    assert str(Duration(25, Unit.WORKING_DAYS)) == "25:working-days"
    assert Duration(3, "calendar-days").unit is Unit.CALENDAR_DAYS  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5", "write amount:unit"),
        ("five:working-days", "amount 'five' is not a whole number"),
        ("-1:working-days", "amount '-1' is not a whole number"),
        ("5:weeks", "unit 'weeks' is unknown; use working-days or calendar-days"),
        ("5:", "unit '' is unknown"),
    ],
)
def test_duration_says_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Duration.parse(text)
