"""Official statistics on a set of dossiers whose figures are counted by hand (working days of March and
April 2026: no holiday between 23 February and 26 April)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from engine.legal_time.business_calendar import ZONE, Duration, Unit, load_calendar
from engine.legal_time.legal_clock import LegalClock
from engine.onestop.daily_figures import rebuild
from engine.onestop.documents import Document
from engine.onestop.paperwork import signer
from engine.onestop.statistics import Row, compute, report
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.file_store import file_store
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
                             sha256=file_store().put(b"%PDF-")))
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


def test_a_clock_that_starts_after_the_period_is_in_progress_not_an_error(service: DossierService, session) -> None:
    # Received on Monday 30 March, its first phase begins on Thursday 2 April (e.g. the fee was paid then):
    # at the end of March the clock has not started; the report used to fail with "the clock has not started".
    definition_id = session.scalar(select(ProcessDefinition.id))
    legal = LegalClock(TEN)
    legal.start_phase("handling", TEN, at("2026-04-02"))
    session.add(Dossier(process_id=PROCESS, definition_id=definition_id, status="running", title="late start",
                        channel="desk", state="{}", summary={}, legal_clock=legal.to_dict(),
                        created_at=at("2026-03-30"),
                        created_by="test", updated_at=at("2026-04-02")))
    session.commit()
    calendar = load_calendar(session)
    march = compute(session, date(2026, 3, 1), date(2026, 3, 31), at("2026-04-10"), calendar)
    assert counts(march.rows[0]) == {"received_desk": 1, "in_progress_on_time": 1}
    rebuild(session, calendar)
    assert report(session, date(2026, 3, 1), date(2026, 3, 31), at("2026-04-10")).rows == march.rows


def test_the_figures_counted_from_the_dossiers_equal_the_replay(service: DossierService, session) -> None:
    test_march_and_april_by_hand(service, session)
    calendar = load_calendar(session)
    assert rebuild(session, calendar) == 12
    session.commit()
    for start, end, now in ((date(2026, 3, 1), date(2026, 3, 31), at("2026-04-10")),
                            (date(2026, 4, 1), date(2026, 4, 30), at("2026-04-10")),
                            (date(2026, 3, 14), date(2026, 3, 16), at("2026-04-10")),
                            (date(2026, 2, 1), date(2026, 2, 28), at("2026-04-10")),
                            (date(2026, 3, 1), date(2026, 3, 31), at("2026-03-26", 15))):
        assert report(session, start, end, now) == compute(session, start, end, now, calendar), (start, end, now)


def _refuse(command, dossier_id: int) -> None:
    from engine.onestop.documents import Agency, issue_document

    issue_document(command, dossier_id, "refusal", "lanhdao", data={}, agency=Agency(),
                   extra={"reasons": ["Không đủ điều kiện"], "procedure": "Cấp phép thử",
                          "applicant": {"name": "Công ty Ánh Dương"}, "signer": signer(command, {}, Agency())})


def _finish(service: DossierService, refused_before: bool, refused_by_the_last_step: bool) -> tuple[int, int]:
    """A dossier driven to its end (a refusal letter stored while it ran, or in the transaction of the command
    that ends it, before it runs); the month's resolved and returned counts."""
    dossier_id = service.start(PROCESS, {}, "tiepnhan").dossier_id
    while len(ready := service.ready_tasks(dossier_id)) == 1 and ready[0].spec != "sign":
        service.complete(dossier_id, ready[0].id, {}, "chuyenvien")
    last = service.ready_tasks(dossier_id)
    assert [t.spec for t in last] == ["sign"]
    if refused_before:
        with service.command() as command:
            _refuse(command, dossier_id)
    with service.command() as command:
        if refused_by_the_last_step:
            _refuse(command, dossier_id)
        done = service.complete_in(command, dossier_id, last[0].id, {}, "chuyenvien")
    assert done.outcome.status == "completed"
    with service.read_session() as read:
        total = report(read, date(2026, 3, 1), date(2026, 3, 31), at("2026-03-31", 17)).total
    return total.resolved, total.returned


def test_a_dossier_refused_by_a_letter_before_it_finished_counts_as_returned(service: DossierService) -> None:
    # Read with the dossier when the command that finishes it loads it.
    assert _finish(service, refused_before=False, refused_by_the_last_step=False) == (1, 0)
    assert _finish(service, refused_before=True, refused_by_the_last_step=False) == (1, 1)
    assert _finish(service, refused_before=False, refused_by_the_last_step=True) == (1, 2)


def test_figures_kept_by_the_commands_equal_the_replay_on_seeded_data(service: DossierService, session) -> None:
    """Sixty days of a random but seeded office: dossiers received on every channel, tasks done early or
    late, deadline timers firing, withdrawals and refusals; every report read from the figures the commands
    kept equals the replay of every clock, for past periods and for the running one."""
    from engine.legal_time.clock import clock

    rng = random.Random(16)
    open_dossiers: list[int] = []
    pace: dict[int, float] = {}  # how likely each dossier's officer acts on a given day
    periods: list[tuple[date, date]] = []
    checked = 0
    for day in range(60):
        clock.freeze(at("2026-03-02") + timedelta(days=day))
        for _ in range(rng.randint(0, 4)):
            outcome = service.start(PROCESS, {}, "tiepnhan", channel=rng.choice(["desk", "online", "post"]))
            open_dossiers.append(outcome.dossier_id)
            pace[outcome.dossier_id] = rng.choice([0.7, 0.3, 0.2, 0.1])
        clock.advance(timedelta(hours=rng.randint(1, 6)))
        service.fire_due_timers()
        for dossier_id in list(open_dossiers):
            if rng.random() > pace[dossier_id]:
                continue
            ready = service.ready_tasks(dossier_id)
            if not ready:
                open_dossiers.remove(dossier_id)
                continue
            if rng.random() < 0.03:
                service.cancel(dossier_id, "tiepnhan", "withdrawn by the applicant")
                open_dossiers.remove(dossier_id)
                continue
            outcome = service.complete(dossier_id, ready[0].id, {}, "chuyenvien")
            if outcome.status != "running":
                open_dossiers.remove(dossier_id)
                if rng.random() < 0.2:
                    with service.command() as command:
                        _refuse(command, dossier_id)
        if day % 9 == 4:  # the running month, as of now
            today = clock.now().astimezone(ZONE).date()
            periods.append((today.replace(day=1), today))
            with service.read_session() as read:
                now = clock.now()
                assert report(read, today.replace(day=1), today, now) == compute(
                    read, today.replace(day=1), today, now, load_calendar(read))
                checked += 1
    periods += [(date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 4, 1), date(2026, 4, 30)),
                (date(2026, 3, 9), date(2026, 3, 13)), (date(2026, 3, 16), date(2026, 4, 10)),
                (date(2026, 4, 27), date(2026, 4, 27))]
    with service.read_session() as read:
        calendar, now = load_calendar(read), clock.now()
        for start, end in periods:
            figures = report(read, start, end, now)
            assert figures == compute(read, start, end, now, calendar), (start, end)
            checked += 1
        total = report(read, date(2026, 3, 1), date(2026, 4, 30), now).total
        overdue_seen = any(report(read, start, end, now).total.in_progress_overdue for start, end in periods)
    assert checked >= 10
    # The seeded office exercised every column the figures keep.
    assert min(total.received_desk, total.received_online, total.received_post, total.resolved_early,
               total.resolved_on_time, total.resolved_late, total.returned, total.in_progress_on_time) > 0, total
    assert overdue_seen
