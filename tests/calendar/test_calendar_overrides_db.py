"""Overrides kept in the database (SQLite and PostgreSQL) change the calendar at once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.legal_time.business_calendar import (
    SEED_CREATED_BY,
    Duration,
    Unit,
    load_calendar,
    seed_file_overrides,
    seed_overrides,
)
from engine.legal_time.calendar_override import OverrideKind, add_override, list_overrides, remove_override
from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory

TET_2027 = "Nghỉ Tết Đinh Mùi 2027 (quyết định giả định cho kiểm thử)"


def wd(n: int) -> Duration:
    return Duration(n, Unit.WORKING_DAYS)


def test_overrides_in_the_database_change_the_due_date(session: Session) -> None:
    # From the rules, Tết 2027 is off Thu 4/2 - Wed 10/2. Received Wed 3/2, 3 wd: 11, 12, 15 → Mon 15/2.
    assert load_calendar(session).add(date(2027, 2, 3), wd(3)) == date(2027, 2, 15)

    add_override(session, date(2027, 2, 11), OverrideKind.DAY_OFF, TET_2027, "admin")
    add_override(session, date(2027, 2, 12), "day_off", TET_2027, "admin")
    # 11, 12 off, 13-14 weekend → 15 (1), 16 (2), 17 (3) → Wed 17/2/2027.
    assert load_calendar(session).add(date(2027, 2, 3), wd(3)) == date(2027, 2, 17)

    remove_override(session, date(2027, 2, 12))
    # 12 (1), 15 (2), 16 (3) → Tue 16/2/2027.
    assert load_calendar(session).add(date(2027, 2, 3), wd(3)) == date(2027, 2, 16)


def test_a_saturday_worked_by_decision(session: Session) -> None:
    # Received Fri 19/2/2027, 1 wd: without a decision Mon 22/2; Sat 20/2 worked → Sat 20/2.
    assert load_calendar(session).add(date(2027, 2, 19), wd(1)) == date(2027, 2, 22)
    add_override(session, date(2027, 2, 20), OverrideKind.WORKING_DAY, "Làm bù cho 11/02/2027", "admin")
    assert load_calendar(session).is_working(date(2027, 2, 20))
    assert load_calendar(session).add(date(2027, 2, 19), wd(1)) == date(2027, 2, 20)


def test_another_process_sees_a_committed_change(db: Engine, session: Session) -> None:
    before = load_calendar(session)
    assert load_calendar(session) is before  # nothing changed: the built calendar is reused
    with make_session_factory(db, write=True)() as other:
        add_override(other, date(2028, 3, 3), OverrideKind.DAY_OFF, "Nghỉ thử nghiệm", "admin")
        other.commit()
    session.rollback()  # end the reader's transaction, as each command does
    after = load_calendar(session)
    assert after is not before
    assert before.is_working(date(2028, 3, 3)) and not after.is_working(date(2028, 3, 3))


def test_an_override_records_who_and_when_from_the_platform_clock(db: Engine, session: Session) -> None:
    clock.freeze(datetime(2026, 11, 24, 3, 30, tzinfo=UTC))
    add_override(session, date(2027, 2, 11), OverrideKind.DAY_OFF, TET_2027, "nguyen.van.a")
    session.commit()
    with make_session_factory(db)() as fresh:
        (row,) = list_overrides(fresh, 2027)
    assert (row.day, row.kind, row.reason) == (date(2027, 2, 11), OverrideKind.DAY_OFF, TET_2027)
    assert row.created_by == "nguyen.van.a"
    assert row.created_at == datetime(2026, 11, 24, 3, 30, tzinfo=UTC)
    assert row.created_at.tzinfo is not None


def test_one_override_per_date_and_plain_errors(session: Session) -> None:
    add_override(session, date(2027, 2, 11), OverrideKind.DAY_OFF, TET_2027, "admin")
    with pytest.raises(ValueError, match="2027-02-11 already has an override"):
        add_override(session, date(2027, 2, 11), OverrideKind.WORKING_DAY, "khác", "admin")
    with pytest.raises(ValueError, match="give the reason"):
        add_override(session, date(2027, 2, 12), OverrideKind.DAY_OFF, "   ", "admin")
    with pytest.raises(ValueError):
        add_override(session, date(2027, 2, 12), "holiday", TET_2027, "admin")
    with pytest.raises(LookupError, match="no override on 2027-02-12"):
        remove_override(session, date(2027, 2, 12))


def test_the_database_refuses_an_unknown_kind(session: Session) -> None:
    with pytest.raises(IntegrityError):
        session.execute(
            text(
                "INSERT INTO calendar_override (date, kind, reason, created_by, created_at) "
                "VALUES ('2027-02-12', 'holiday', 'x', 'x', CURRENT_TIMESTAMP)"
            )
        )
        session.flush()


def test_seeding_is_idempotent_and_keeps_an_administrators_decision(session: Session) -> None:
    seed = seed_file_overrides()
    add_override(session, date(2026, 1, 2), OverrideKind.WORKING_DAY, "Quyết định khác của UBND", "admin")
    assert seed_overrides(session) == len(seed) - 1
    assert seed_overrides(session) == 0
    rows = list_overrides(session)
    assert len(rows) == len(seed)
    kept = next(r for r in rows if r.day == date(2026, 1, 2))
    assert (kept.kind, kept.created_by) == (OverrideKind.WORKING_DAY, "admin")
    assert {r.created_by for r in rows if r.day != date(2026, 1, 2)} == {SEED_CREATED_BY}
    assert [r.day for r in list_overrides(session, 2024)] == [date(2024, 4, 29), date(2024, 5, 4)]


def test_a_seeded_database_gives_the_seed_files_calendar(session: Session) -> None:
    seed_overrides(session)
    session.commit()
    calendar = load_calendar(session)
    assert calendar.overrides == seed_file_overrides()
    # Received Wed 31/12/2025, 2 wd: 1/1, 2/1 off (12729/VPCP-KGVX) → Mon 5/1, Tue 6/1.
    assert calendar.add(date(2025, 12, 31), wd(2)) == date(2026, 1, 6)
