"""The scheduler fires timers and escalates clock milestones as the platform clock moves, each once."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from engine.legal_time.clock import clock
from engine.oversight.alerts import Alert, MailStatus
from engine.runtime.audit import AuditEvent
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.work_item import WorkItem
from tests.monitor.conftest import PROCESS


def commands(session, command: str) -> Counter:  # type: ignore[no-untyped-def]
    session.rollback()  # a fresh snapshot: the workers committed meanwhile
    return Counter(session.scalars(select(AuditEvent.dossier_id).where(AuditEvent.command == command)).all())


def start(service: DossierService, n: int) -> list[int]:
    return [service.start(PROCESS, {}, actor="tiepnhan", title=f"Công ty {i}").dossier_id for i in range(n)]


def test_timers_and_milestones_fire_once_as_the_clock_moves(service: DossierService, session) -> None:
    ids = start(service, 3)
    scheduler = TimerScheduler(service.engine, smtp=None)
    assert scheduler.tick().claimed == 0  # Monday: the check is due on Thursday, not even due soon

    clock.advance(timedelta(days=1))  # Tuesday 09:00: two working days left, due soon
    report = scheduler.tick()
    assert (report.claimed, report.fired, report.escalated) == (3, 0, 3)
    assert scheduler.tick().claimed == 0
    assert commands(session, "escalate") == Counter(ids)
    alerts = session.execute(select(Alert.dossier_id, Alert.recipient, Alert.kind, Alert.mail_status)
                             .order_by(Alert.id)).all()
    # Nobody has claimed the check: every specialist is told, by mail (no server here, so it failed),
    # and the supervisor in the app.
    assert sorted((r.recipient, r.mail_status) for r in alerts if r.dossier_id == ids[0]) == [
        ("chuyenvien", MailStatus.FAILED), ("chuyenvien2", MailStatus.FAILED), ("giamsat", MailStatus.NONE)]
    assert {r.kind for r in alerts} == {"due_soon"}

    clock.advance(timedelta(days=3))  # Friday 09:00: the check's deadline timer has fired overnight
    report = scheduler.tick()
    assert (report.claimed, report.fired) == (3, 3)
    assert scheduler.tick().claimed == 0
    assert commands(session, "fire_timers") == Counter(ids)
    session.rollback()
    late = session.scalars(select(WorkItem.dossier_id).where(WorkItem.task_spec == "handle_late",
                                                             WorkItem.status == "open")).all()
    assert sorted(late) == ids
    claimed = session.scalar(select(func.count()).where(Dossier.timer_claimed_by.is_not(None)))
    assert claimed == 0


def test_a_dossier_found_late_is_escalated_as_overdue_only(service: DossierService, session) -> None:
    [dossier_id] = start(service, 1)
    check = service.ready_tasks(dossier_id)[0]
    service.complete(dossier_id, check.id, {}, actor="chuyenvien")  # appraisal: 7 working days, to Wed 11 March
    clock.advance(timedelta(days=10))  # Thursday 12 March: never ticked since; due soon and overdue both passed
    report = TimerScheduler(service.engine, smtp=None).tick()
    assert (report.fired, report.escalated) == (0, 1)
    event = session.scalars(select(AuditEvent).where(AuditEvent.command == "escalate")).one()
    assert event.data["milestone"] == "appraisal:overdue"
    assert sorted(event.data["notified"]) == ["chuyenvien", "chuyenvien2", "giamsat", "truongphong"]
    session.rollback()
    dossier = session.get(Dossier, dossier_id)
    assert sorted(dossier.milestones_fired) == ["appraisal:due_soon", "appraisal:overdue"]
    assert dossier.next_milestone_at is None


def test_a_live_claim_is_respected_and_an_expired_one_taken_over(service: DossierService, session) -> None:
    ids = start(service, 2)
    clock.advance(timedelta(days=4))  # Friday: timers due
    first = TimerScheduler(service.engine, smtp=None, lease=timedelta(minutes=2), name="first")
    assert sorted(first.claim()) == ids  # ... and then it stalls
    second = TimerScheduler(service.engine, smtp=None, name="second")
    assert second.tick().claimed == 0
    clock.advance(timedelta(minutes=2, seconds=1))
    assert second.tick().fired == 2
    for dossier_id in ids:  # the first worker wakes up: its claims are gone, it fires nothing
        report = first.tick()
        first.advance(dossier_id, report)
        assert report.fired == 0
    assert commands(session, "fire_timers") == Counter(ids)


def test_an_engine_failure_becomes_an_incident_and_releases_the_claim(service: DossierService, session,
                                                                     monkeypatch) -> None:
    from engine.runtime.errors import ProcessError

    [dossier_id] = start(service, 1)
    clock.advance(timedelta(days=4))

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ProcessError("Hết hạn kiểm tra: the timer's script failed", element_id="check_deadline")

    monkeypatch.setattr(service.__class__, "fire_timers_in", broken)
    report = TimerScheduler(service.engine, smtp=None).tick()
    assert report.incidents == 1
    session.rollback()
    dossier = session.get(Dossier, dossier_id)
    assert "timer's script failed" in dossier.incident
    assert dossier.next_timer_at is None and dossier.timer_claimed_by is None
    assert commands(session, "incident") == Counter([dossier_id])


def test_a_shutdown_during_a_tick_ends_the_scheduler_when_the_tick_ends(service: DossierService) -> None:
    # As Ctrl+C reaches a worker while it fires timers: it must stop then, not after its next sleep.
    class Busy(TimerScheduler):
        ticks = 0

        def tick(self):  # type: ignore[no-untyped-def]
            self.ticks += 1
            ticking.set()
            self._stop.wait(30)  # the tick is still running when shutdown is asked
            return super().tick()

    ticking = threading.Event()
    scheduler = Busy(service.engine, interval=300, smtp=None)
    scheduler.start()
    assert ticking.wait(30)
    scheduler.shutdown()
    assert not any(thread.is_alive() for thread in scheduler._threads)
    assert scheduler.ticks == 1
