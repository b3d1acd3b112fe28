"""A dossier's life through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from engine.legal_time.calendar_override import add_override
from engine.legal_time.clock import clock
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import Conflict, InvalidData, NotFound, TaskNotReady
from engine.runtime.work_item import WorkItem


def only(outcome_ready, spec):  # type: ignore[no-untyped-def]
    matches = [t for t in outcome_ready if t.spec == spec]
    assert len(matches) == 1, f"expected one ready '{spec}', got {[t.spec for t in outcome_ready]}"
    return matches[0]


def run_to_appraisal(service: DossierService, supplements: int = 0) -> int:
    out = service.start("licence_demo", {"received": date(2026, 3, 2)}, actor="tiepnhan", title="BV Đa khoa")
    task = only(out.ready, "receive")
    out = service.complete(out.dossier_id, task.id, {"devices": ["ct", "dental"]}, actor="tiepnhan")
    for _ in range(supplements):
        out = service.complete(out.dossier_id, only(out.ready, "check").id, {"dossier_complete": False},
                               actor="chuyenvien")
        out = service.complete(out.dossier_id, only(out.ready, "request_supplement").id, {}, actor="tiepnhan")
    out = service.complete(out.dossier_id, only(out.ready, "check").id, {"dossier_complete": True},
                           actor="chuyenvien")
    only(out.ready, "appraise")
    return out.dossier_id


def test_dossier_runs_start_to_end_with_dates_and_money(service: DossierService, session) -> None:
    dossier_id = run_to_appraisal(service)
    data = service.data(dossier_id)
    assert data["fee"] == Decimal("4000000") and isinstance(data["fee"], Decimal)
    assert data["received"] == date(2026, 3, 2) and type(data["received"]) is date

    appraise = only(service.ready_tasks(dossier_id), "appraise")
    assert appraise.role == "specialist"
    out = service.complete(dossier_id, appraise.id, {"approved_on": date(2026, 3, 20),
                                                     "deposit": Decimal("0.75")}, actor="chuyenvien")
    assert out.status == "completed" and out.ready == []

    dossier = session.get(Dossier, dossier_id)
    assert dossier.status == "completed" and dossier.next_timer_at is None
    items = session.scalars(select(WorkItem).where(WorkItem.dossier_id == dossier_id).order_by(WorkItem.id)).all()
    assert [(i.task_spec, i.role, i.status, i.closed_by) for i in items] == [
        ("receive", "reception", "completed", "tiepnhan"),
        ("check", "specialist", "completed", "chuyenvien"),
        ("appraise", "specialist", "completed", "chuyenvien"),
    ]
    commands = session.scalars(select(AuditEvent.command).where(AuditEvent.dossier_id == dossier_id)
                               .order_by(AuditEvent.id)).all()
    assert commands == ["start", "complete", "complete", "complete"]
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.actor == "chuyenvien" and last.data["deposit"] == {"value": "0.75", "typename": "Decimal"}


def test_state_is_stored_without_the_definition(service: DossierService, session) -> None:
    dossier_id = run_to_appraisal(service)
    dossier = session.get(Dossier, dossier_id)
    definition = session.get(ProcessDefinition, dossier.definition_id)
    assert '"task_specs"' not in dossier.state and '"task_specs"' in definition.spec_json
    assert '"subprocess_specs"' not in dossier.state


def test_supplement_loop_twenty_times_still_finishes(service: DossierService, session) -> None:
    dossier_id = run_to_appraisal(service, supplements=20)
    out = service.complete(dossier_id, only(service.ready_tasks(dossier_id), "appraise").id, {}, actor="cv")
    assert out.status == "completed"
    completed = session.scalars(select(WorkItem.task_spec).where(
        WorkItem.dossier_id == dossier_id, WorkItem.status == "completed")).all()
    assert completed.count("check") == 21 and completed.count("request_supplement") == 20


def test_stale_version_is_a_conflict_and_changes_nothing(service: DossierService, session) -> None:
    out = service.start("licence_demo", {}, actor="a")
    task = only(out.ready, "receive")
    with pytest.raises(Conflict):
        service.complete(out.dossier_id, task.id, {"devices": []}, actor="b", expected_version=out.version - 1)
    assert only(service.ready_tasks(out.dossier_id), "receive").id == task.id
    assert session.scalar(select(Dossier.version).where(Dossier.id == out.dossier_id)) == out.version


def test_two_officers_complete_the_same_task_at_once(service: DossierService, session) -> None:
    out = service.start("licence_demo", {}, actor="a")
    task = only(out.ready, "receive")
    barrier = threading.Barrier(2)
    results: list[str] = []

    def officer(name: str) -> None:
        barrier.wait()
        try:
            service.complete(out.dossier_id, task.id, {"devices": ["ct"], "note": name}, actor=name)
            results.append("ok")
        except (Conflict, TaskNotReady) as err:
            results.append(type(err).__name__)

    threads = [threading.Thread(target=officer, args=(n,)) for n in ("cv1", "cv2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results)[-1] == "ok" and results.count("ok") == 1, results
    completions = session.scalars(select(AuditEvent).where(AuditEvent.command == "complete")).all()
    assert len(completions) == 1
    assert service.data(out.dossier_id)["note"] == completions[0].actor


def test_the_officer_who_loses_the_race_gets_a_conflict_and_writes_nothing(service: DossierService,
                                                                            session) -> None:
    """PostgreSQL: the second writer read the dossier before the first committed, so it runs the same step
    and waits on the dossier row; then its version check fails (and its work items collide with the
    winner's, in the same round trip): a Conflict, not a database error."""
    if service.engine.dialect.name != "postgresql":
        pytest.skip("SQLite writers queue before they read (BEGIN IMMEDIATE): the second finds the task done")
    out = service.start("licence_demo", {}, actor="a")
    task = only(out.ready, "receive")
    outcome: list[BaseException | str] = []

    def second() -> None:
        try:
            service.complete(out.dossier_id, task.id, {"devices": ["ct"]}, actor="cv2")
            outcome.append("ok")
        except BaseException as err:  # whatever it was, the assertion below shows it
            outcome.append(err)

    with service.command() as first:
        service.complete_in(first, out.dossier_id, task.id, {"devices": ["dental"]}, actor="cv1")
        pid = first.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        racer = threading.Thread(target=second)
        racer.start()
        with service.engine.connect() as watch:
            while racer.is_alive() and not watch.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity WHERE %(pid)s = ANY(pg_blocking_pids(pid))",
                    {"pid": pid}).scalar_one():
                watch.rollback()
    racer.join()
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict), outcome
    assert service.data(out.dossier_id)["devices"] == ["dental"]
    items = session.scalars(select(WorkItem.task_spec).where(WorkItem.dossier_id == out.dossier_id)
                            .order_by(WorkItem.id)).all()
    assert items == ["receive", "check"]


def test_timer_cancels_the_task_and_late_completion_is_refused(service: DossierService, session) -> None:
    dossier_id = run_to_appraisal(service)
    appraise = only(service.ready_tasks(dossier_id), "appraise")
    dossier = session.get(Dossier, dossier_id)
    # Started Mon 2026-03-02 (not counted): 3–6/3 (4), 9–13 (9), 16–20 (14), 23–27 (19), 30–31/3 (21),
    # 1–3/4 (24), Mon 6/4 (25) → due at 24:00 on 6/4 in Hà Nội = 17:00 UTC.
    due = dossier.next_timer_at
    assert due == datetime(2026, 4, 6, 17, 0, tzinfo=UTC)
    session.rollback()  # end the read snapshot (SQLite WAL) before the commands below

    clock.freeze(due - timedelta(minutes=1))
    assert service.fire_due_timers() == 0
    clock.freeze(due + timedelta(seconds=1))
    assert service.fire_due_timers() == 1

    ready = service.ready_tasks(dossier_id)
    assert [t.spec for t in ready] == ["escalate"] and ready[0].role == "office_head"
    with pytest.raises(TaskNotReady):
        service.complete(dossier_id, appraise.id, {}, actor="chuyenvien")
    statuses = dict(session.execute(select(WorkItem.task_spec, WorkItem.status)
                                    .where(WorkItem.dossier_id == dossier_id)).all())
    assert statuses["appraise"] == "cancelled" and statuses["escalate"] == "open"


def test_completion_after_deadline_without_scheduler_tick_is_refused(service: DossierService, session) -> None:
    dossier_id = run_to_appraisal(service)
    appraise = only(service.ready_tasks(dossier_id), "appraise")
    clock.advance(timedelta(days=60))
    with pytest.raises(TaskNotReady):
        service.complete(dossier_id, appraise.id, {}, actor="chuyenvien")
    # The timer's effect was kept even though the completion was refused.
    assert [t.spec for t in service.ready_tasks(dossier_id)] == ["escalate"]


def test_a_calendar_decision_committed_meanwhile_counts_in_the_next_command(service: DossierService) -> None:
    def due_at(dossier_id: int) -> datetime:
        with service.read_session() as read:
            return read.get(Dossier, dossier_id).due_at

    before = due_at(run_to_appraisal(service))
    with make_session_factory(service.engine, write=True)() as other:
        add_override(other, date(2026, 3, 10), "day_off", "Quyết định nghỉ bù", "admin")
        other.commit()
    # The same steps at the same instants: the appraisal's 25 working days end a working day later.
    assert due_at(run_to_appraisal(service)) - before == timedelta(days=1)


def test_cancelled_dossier_refuses_tasks(service: DossierService, session) -> None:
    out = service.start("licence_demo", {}, actor="a")
    service.cancel(out.dossier_id, actor="giamsat", reason="applicant withdrew")
    with pytest.raises(TaskNotReady):
        service.complete(out.dossier_id, out.ready[0].id, {}, actor="a")
    assert session.scalar(select(WorkItem.status).where(WorkItem.dossier_id == out.dossier_id)) == "cancelled"


def test_bad_input_is_refused_whole(service: DossierService) -> None:
    out = service.start("licence_demo", {}, actor="a")
    with pytest.raises(InvalidData) as err:
        service.complete(out.dossier_id, out.ready[0].id, {"__class__": 1, "ok": 2}, actor="a")
    assert "__class__" in err.value.fields
    with pytest.raises(InvalidData) as err:
        service.complete(out.dossier_id, out.ready[0].id, {"devices": ["submarine"], "received_on": "31/02/2026",
                                                           "colour": "red"}, actor="a")
    assert set(err.value.fields) == {"devices", "received_on", "colour"}
    cleaned = service.complete(out.dossier_id, out.ready[0].id, {"devices": ["ct"], "received_on": "02/03/2026"},
                               actor="a")
    assert service.data(cleaned.dossier_id)["received_on"] == date(2026, 3, 2)
    with pytest.raises(TaskNotReady):
        service.complete(out.dossier_id, "not-a-uuid", {}, actor="a")
    with pytest.raises(NotFound):
        service.start("no_such_procedure", {}, actor="a")
