"""Several scheduler workers in separate processes against one PostgreSQL database: every timer fires
exactly once, and a worker killed mid-tick loses none (another takes its claims over once they expire).
Fire events are counted in the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.schema import create_schema
from tests.conftest import postgres_schema
from tests.monitor.conftest import MONDAY_9AM, PROCESS, add_people, deploy

pytestmark = pytest.mark.postgres_only
ROOT = Path(__file__).resolve().parents[2]
FRIDAY_9AM = MONDAY_9AM + timedelta(days=4)  # the checks' deadline timers fell due overnight


@pytest.fixture
def pg() -> Iterator[Engine]:
    """A PostgreSQL schema of this test's own (the subprocesses reach it through the URL)."""
    with postgres_schema("mon") as url:
        engine = make_engine(url)
        create_schema(engine)
        clock.freeze(MONDAY_9AM)
        deploy(engine)
        add_people(engine)
        try:
            yield engine
        finally:
            engine.dispose()


def waiting_dossiers(engine: Engine, n: int) -> list[int]:
    service = DossierService(engine)
    return [service.start(PROCESS, {}, actor="tiepnhan", title=f"Cơ sở {i}").dossier_id for i in range(n)]


def workers(engine: Engine, now: datetime, count: int, *extra: str) -> list[subprocess.Popen]:
    url = engine.url.render_as_string(hide_password=False)
    procs = [subprocess.Popen([sys.executable, "-m", "tests.monitor.worker_process", url, now.isoformat(), *extra],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(count)]
    for proc in procs:  # every worker is loaded and connected before any starts its tick
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    for proc in procs:
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return procs


def reports(procs: list[subprocess.Popen]) -> list[dict]:
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def fire_events(engine: Engine) -> Counter:
    with make_session_factory(engine)() as session:
        return Counter(session.scalars(select(AuditEvent.dossier_id).where(AuditEvent.command == "fire_timers")))


def test_three_workers_fire_500_due_timers_each_exactly_once(pg: Engine) -> None:
    ids = waiting_dossiers(pg, 500)
    results = reports(workers(pg, FRIDAY_9AM, 3, "--batch", "20"))

    assert fire_events(pg) == Counter(ids)  # each of the 500 once, and nothing else
    assert sum(r["fired"] for r in results) == 500
    assert sum(r["fired"] > 0 for r in results) >= 2, results  # they did share the work
    with make_session_factory(pg)() as session:
        left = session.scalars(select(Dossier.id).where(
            (Dossier.next_timer_at <= FRIDAY_9AM) | Dossier.timer_claimed_by.is_not(None))).all()
    assert left == []


def test_a_worker_killed_mid_tick_loses_no_timer(pg: Engine) -> None:
    ids = waiting_dossiers(pg, 30)
    # Commit 1 claims all 30; commits 2-6 advance five dossiers; it dies just before committing the sixth.
    [doomed] = workers(pg, FRIDAY_9AM, 1, "--batch", "30", "--lease", "120", "--die-at-commit", "7")
    doomed.communicate(timeout=300)
    assert doomed.returncode == -9
    assert sum(fire_events(pg).values()) == 5

    # While its claims live, another worker leaves those dossiers alone ...
    [early] = reports(workers(pg, FRIDAY_9AM + timedelta(seconds=60), 1))
    assert (early["claimed"], early["fired"]) == (0, 0)
    # ... and takes them over once they have expired.
    [late] = reports(workers(pg, FRIDAY_9AM + timedelta(seconds=121), 1))
    assert late["fired"] == 25
    assert fire_events(pg) == Counter(ids)
