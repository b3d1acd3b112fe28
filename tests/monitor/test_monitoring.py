"""The monitor's queries at the service layer: counts and lists from indexed columns, workload, heatmap."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from engine.access import assignment
from engine.legal_time.business_calendar import load_calendar
from engine.legal_time.clock import clock
from engine.oversight.monitoring import Thresholds, at_risk, clock_counts, heatmap, workload
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.inbox import ClockFilter
from engine.runtime.work_item import WorkItem
from tests.monitor.conftest import PROCESS
from tests.procedures.procedure_driver import BPMN, DMN, Run

APPLICATION = {  # procedure 1's application form, as in tests/procedures
    "submission_channel": "post", "full_name": "Trần Thị Mai", "birth_date": "12/04/1985",
    "id_number": "075185004321", "id_issued_on": "2021-08-20",
    "id_issued_by": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "contact_address": "Số 12 đường Võ Thị Sáu, phường Thống Nhất, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "0913456789", "email": "tranthimai.cdha@gmail.com", "job": "safety_officer",
    "facility_name": "Bệnh viện Đa khoa Thống Nhất Đồng Nai", "health_check_date": "2026-01-15",
    "attachments": [{"title": "Bằng Cử nhân Kỹ thuật hình ảnh y học"}],
}


def test_counts_lists_and_workload_follow_the_clock(service: DossierService, session) -> None:
    ids = [service.start(PROCESS, {}, actor="tiepnhan", title=f"Công ty {i}").dossier_id for i in range(4)]
    with service.command() as db:  # one dossier waits on the applicant: its clock is stopped, nothing is due
        db.execute(update(Dossier).where(Dossier.id == ids[3]).values(clock_paused=True, due_at=None,
                                                                      total_due_at=None))
        db.execute(update(WorkItem).where(WorkItem.dossier_id == ids[3]).values(due_at=None))
    first = service.ready_tasks(ids[0])[0]
    calendar = load_calendar(session)

    t = Thresholds.at(clock.now(), calendar)  # Monday: the checks are due on Thursday
    [counts] = clock_counts(session, t)
    assert (counts.on_track, counts.due_soon, counts.overdue, counts.paused) == (3, 0, 0, 1)
    assert at_risk(session, t) == []

    clock.advance(timedelta(days=1))  # Tuesday: due soon
    t = Thresholds.at(clock.now(), calendar)
    [counts] = clock_counts(session, t)
    assert (counts.on_track, counts.due_soon, counts.overdue, counts.paused) == (0, 3, 0, 1)

    with service.command() as db:
        item_id = db.scalar(select(WorkItem.id).where(WorkItem.task_id == first.id))
        assignment.claim(db, item_id, "chuyenvien2", {"specialist"})
    clock.advance(timedelta(days=3, hours=12))  # Friday 21:00: overdue (no scheduler ran the timers)
    t = Thresholds.at(clock.now(), calendar)
    session.rollback()
    [counts] = clock_counts(session, t)
    assert (counts.due_soon, counts.overdue) == (0, 3)
    risky = at_risk(session, t)
    assert [r.dossier_id for r in risky] == ids[:3] and {r.state for r in risky} == {ClockFilter.OVERDUE}
    assert [(h.step, h.assignee, h.assignee_name) for h in risky[0].holders] == [
        ("Kiểm tra hồ sơ", "chuyenvien2", "Lý Thị Chuyên Hai")]
    assert risky[1].holders[0].assignee is None and risky[1].holders[0].role == "specialist"
    loads = {(w.role, w.assignee): (w.open, w.overdue) for w in workload(session, t)}
    # The paused dossier's item has no due date (it is the applicant's turn): open, not overdue.
    assert loads == {("specialist", "chuyenvien2"): (1, 1), ("specialist", None): (3, 2)}


def test_heatmap_places_a_called_subprocess_task_on_its_call_activity(db: Engine, session) -> None:
    clock.freeze(clock.now().replace(year=2026, month=3, day=2, hour=2, minute=0, second=0, microsecond=0))
    with make_session_factory(db, write=True)() as s:
        deploy_folders(s, [BPMN, DMN], actor="test")
        s.commit()
    service = DossierService(db)
    waiting = Run(service, "radiation_worker_certificate").start("Trần Thị Mai")
    Run(service, "radiation_worker_certificate").start("Nguyễn Văn Bình").do("receive", APPLICATION)
    clock.advance(timedelta(days=2))
    heat = heatmap(session, "radiation_worker_certificate", clock.now())
    spots = {s.element: s for s in heat.spots}
    assert spots["receive"].count == 1 and spots["receive"].tasks == ("receive",)
    [called] = [s for s in heat.spots if s.element != "receive"]
    # check_dossier runs inside the shared completeness check, drawn as a call activity of this diagram.
    assert called.tasks == ("check_dossier",) and called.count == 1
    assert f'<bpmn:callActivity id="{called.element}"' in heat.diagram
    assert 'id="radiation_worker_certificate"' in heat.diagram and heat.elsewhere == []
    assert abs(called.mean_wait_s - 2 * 86400) < 1 and waiting.dossier_id
