"""The calendar against the `holidays` package and the Government's published holiday plans."""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import pytest

from engine.legal_time.business_calendar import FIRST_YEAR, LAST_YEAR, BusinessCalendar, seed_file_overrides
from engine.legal_time.calendar_override import OverrideKind

SEED = seed_file_overrides()
PACKAGE = holidays.country_holidays("VN", years=range(FIRST_YEAR, LAST_YEAR + 1))
# Decisions the holidays package (0.109) does not know: the New Year 2026 swap (12729/VPCP-KGVX).
PACKAGE_GAPS = {date(2026, 1, 2), date(2026, 1, 10)}


def test_calendar_agrees_with_the_holidays_package_unless_an_override_says_otherwise() -> None:
    overrides = {o.day: o for o in SEED}
    calendar = BusinessCalendar(SEED)
    day, disagreements = date(FIRST_YEAR, 1, 1), []
    while day <= date(LAST_YEAR, 12, 31):
        expected = (overrides[day].kind is OverrideKind.WORKING_DAY if day in overrides
                    else PACKAGE.is_working_day(day))
        if calendar.is_working(day) != expected:
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


def test_the_seed_agrees_with_the_package_wherever_the_package_knows_the_decision() -> None:
    differing = {o.day for o in SEED if PACKAGE.is_working_day(o.day) != (o.kind is OverrideKind.WORKING_DAY)}
    assert differing <= PACKAGE_GAPS


def test_every_seeded_swap_pairs_a_day_off_with_a_day_worked_in_the_same_year() -> None:
    by_year: dict[int, list[OverrideKind]] = {}
    for override in SEED:
        by_year.setdefault(override.day.year, []).append(override.kind)
        assert override.reason.strip()
    for year, kinds in by_year.items():
        assert kinds.count(OverrideKind.DAY_OFF) == kinds.count(OverrideKind.WORKING_DAY), year


@pytest.mark.parametrize(
    ("first", "last"),
    [
        (date(2021, 2, 10), date(2021, 2, 16)),  # Tết Tân Sửu: Wed 10/2 - Tue 16/2/2021, 7 days
        (date(2022, 1, 29), date(2022, 2, 6)),  # Tết Nhâm Dần: Sat 29/1 - Sun 6/2/2022
        (date(2023, 1, 20), date(2023, 1, 26)),  # Tết Quý Mão: Fri 20/1 - Thu 26/1/2023
        (date(2024, 2, 8), date(2024, 2, 14)),  # Tết Giáp Thìn: Thu 8/2 - Wed 14/2/2024
        (date(2025, 1, 25), date(2025, 2, 2)),  # Tết Ất Tỵ: Sat 25/1 - Sun 2/2/2025 (8726/VPCP-KGVX)
        (date(2026, 2, 14), date(2026, 2, 22)),  # Tết Bính Ngọ: Sat 14/2 - Sun 22/2/2026
        (date(2023, 4, 29), date(2023, 5, 3)),  # Hùng Kings Sat 29/4 + 30/4-1/5, in lieu 2-3/5/2023
        (date(2024, 4, 27), date(2024, 5, 1)),  # 30/4-1/5 2024 with the 29/4 swap (2450/VPCP-KGVX)
        (date(2025, 4, 30), date(2025, 5, 4)),  # 30/4-1/5 2025 with the 2/5 swap
        (date(2026, 1, 1), date(2026, 1, 4)),  # New Year 2026 with the 2/1 swap (12729/VPCP-KGVX)
        (date(2026, 8, 29), date(2026, 9, 2)),  # National Day 2026 with the 31/8 swap
    ],
)
def test_the_governments_holiday_plans_are_what_the_calendar_computes(first: date, last: date) -> None:
    calendar = BusinessCalendar(SEED)
    stretch = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    assert not any(calendar.is_working(d) for d in stretch)
    assert calendar.is_working(first - timedelta(days=1))
    assert calendar.is_working(last + timedelta(days=1))
