"""Official statistics on a set of dossiers whose figures are counted by hand (working days of March and
April 2026: no holiday between 23 February and 26 April)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from engine.legal_time.business_calendar import Duration, Unit, load_calendar
from engine.legal_time.legal_clock import LegalClock
from engine.onestop.documents import Document
from engine.onestop.statistics import Row, compute
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from tests.monitor.conftest import PROCESS

TEN = Duration(10, Unit.WORKING_DAYS)


def at(day: str, hour: int = 9) -> datetime:
    """`hour` o'clock in Đồng Nai (UTC+7) on `day`."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC) - timedelta(hours=7)


def add(session, definition_id: int, created: str, *, channel: str = "desk", finished: str | None = None,
        status: str = "running", paused: str | None = None, process_id: str = PROCESS, refused: bool = False) -> int:
    legal = LegalClock(TEN)
    legal.start_phase("handling", TEN, at(created))
    if paused:
        legal.pause(at(paused), "supplement requested")
    if finished:
        legal.finish_phase("handling", at(finished, 14))
        status = "completed" if status == "running" else status
    dossier = Dossier(process_id=process_id, definition_id=definition_id, status=status, title=created,
                      channel=channel, state="{}", summary={}, legal_clock=legal.to_dict(), clock_paused=bool(paused),
                      created_at=at(created), created_by="test", updated_at=at(created),
                      finished_at=at(finished, 14) if finished else None)
    session.add(dossier)
    session.flush()
    if refused:
        session.add(Document(dossier_id=dossier.id, kind="refusal", number="01/TCHS-SKHCN", title="Phiếu từ chối",
                             created_at=at(finished, 14), created_by="test", filename="x.pdf", size=0, facts={},
                             content=b""))
    return dossier.id


def counts(row: Row) -> dict[str, int]:
    return {k: v for k, v in vars(row).items() if isinstance(v, int) and v}


def test_march_and_april_by_hand(service: DossierService, session) -> None:
    definition_id = session.scalar(select(ProcessDefinition.id))
    add(session, definition_id, "2026-02-27")                            # carried over; last day 13/3: overdue
    add(session, definition_id, "2026-03-02", finished="2026-03-10")     # last day 16/3: early
    add(session, definition_id, "2026-03-02", channel="post", finished="2026-03-16")  # on its last day: on time
    add(session, definition_id, "2026-03-02", channel="online", finished="2026-03-17")  # a day after: late
    add(session, definition_id, "2026-03-20")                            # last day 3/4: on time at 31/3
    add(session, definition_id, "2026-03-05", finished="2026-03-09", status="cancelled")  # withdrawn: returned
    add(session, definition_id, "2026-03-05", finished="2026-03-12", refused=True)  # refused: returned
    add(session, definition_id, "2026-03-25", paused="2026-03-26")       # waiting on the applicant: on time
    add(session, definition_id, "2026-02-23", finished="2026-02-26")     # done before March: not counted
    add(session, definition_id, "2026-04-02")                            # April
    add(session, definition_id, "2026-03-23", finished="2026-04-06")     # in progress at 31/3; last day 6/4
    add(session, definition_id, "2026-03-02", process_id="other_procedure")  # another procedure, overdue
    session.commit()
    calendar = load_calendar(session)
    now = at("2026-04-10")

    march = compute(session, date(2026, 3, 1), date(2026, 3, 31), now, calendar)
    assert march.as_of == at("2026-04-01", 0)  # the end of 31 March, not now
    by_procedure = {r.process_id: counts(r) for r in march.rows}
    assert by_procedure[PROCESS] == {
        "carried_over": 1, "received_online": 1, "received_desk": 6, "received_post": 1,
        "resolved_early": 1, "resolved_on_time": 1, "resolved_late": 1, "returned": 2,
        "in_progress_on_time": 3, "in_progress_overdue": 1,
    }
    assert by_procedure["other_procedure"] == {"received_desk": 1, "in_progress_overdue": 1}
    total = march.total
    assert total.handled == 10 == total.resolved + total.returned + total.in_progress_on_time \
        + total.in_progress_overdue

    only = compute(session, date(2026, 3, 1), date(2026, 3, 31), now, calendar, process_id=PROCESS)
    assert [r.process_id for r in only.rows] == [PROCESS]

    april = compute(session, date(2026, 4, 1), date(2026, 4, 30), now, calendar, process_id=PROCESS)
    assert april.as_of == now  # the period runs: figures as of today
    assert counts(april.rows[0]) == {"carried_over": 4, "received_desk": 1, "resolved_on_time": 1,
                                     "in_progress_on_time": 2, "in_progress_overdue": 2}
