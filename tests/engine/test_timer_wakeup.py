"""Timers on time: the scheduler sleeps until the next due timer and a command that sets an earlier one
wakes it, in the process (the bell) and across processes on PostgreSQL (NOTIFY)."""

from __future__ import annotations

import time
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from engine.runtime import timer_bell
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier_service import DossierService
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.work_item import WorkItem
from tests.engine.support import read


def _open_items(db: Engine, dossier_id: int) -> list[str]:
    with make_session_factory(db)() as session:
        return list(session.scalars(select(WorkItem.task_spec).where(WorkItem.dossier_id == dossier_id,
                                                                     WorkItem.status == "open")))


@pytest.mark.parametrize("path", ["bell", "notify"])
def test_a_sleeping_scheduler_is_woken_by_a_sooner_timer(db: Engine, path: str, monkeypatch) -> None:
    if path == "notify":
        if db.dialect.name != "postgresql":
            pytest.skip("NOTIFY is PostgreSQL's; SQLite deployments run one process")
        # Only the database can tell the scheduler: as if the command ran in another process.
        monkeypatch.setattr(timer_bell, "committed", timer_bell.discarded)
    with make_session_factory(db, write=True)() as session:
        deploy_files(session, {"short_timer.bpmn": read("short_timer.bpmn")}, actor="test")
        session.commit()
    service = DossierService(db)
    scheduler = TimerScheduler(db, smtp=None)
    assert scheduler.interval == 60  # with nothing due it sleeps a minute before looking again
    scheduler.start()
    try:
        time.sleep(0.5)  # it has ticked, found nothing due, and sleeps
        assert scheduler.next_due() is None and scheduler.seconds_to_sleep(None) == 60
        dossier_id = service.start("short_timer", {}, actor="tiepnhan").dossier_id
        assert _open_items(db, dossier_id) == []  # waiting one second
        deadline = time.monotonic() + 30  # far less than the minute it meant to sleep
        while not _open_items(db, dossier_id) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert _open_items(db, dossier_id) == ["after_wait"]
    with make_session_factory(db)() as session:
        started, fired = session.execute(
            select(AuditEvent.at, AuditEvent.data).where(AuditEvent.dossier_id == dossier_id,
                                                         AuditEvent.command.in_(("start", "fire_timers")))
            .order_by(AuditEvent.id)).all()
    # Fired once, and not before the timer was due.
    assert fired.at >= datetime.fromisoformat(fired.data["due"]) > started.at
