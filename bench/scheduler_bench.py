"""One scheduler tick with 100,000 waiting dossiers of which 100 are due (target: under 1 s on PostgreSQL).

The 100 due dossiers are real: started and driven to the appraisal of bench/licence_bench.bpmn, whose
25-working-day boundary timer then falls due. The 99,900 others are bulk-inserted rows waiting on timers
and milestones weeks to a year away (their engine state is never loaded, so it is left empty). The tick
must find the 100 through the indexes, fire each timer and escalate each milestone, one transaction per
dossier. Also run on SQLite for comparison.

Run: .venv/bin/python bench/scheduler_bench.py [waiting] [due]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Engine

from engine.access.user import seed_demo_users
from engine.legal_time.clock import clock
from engine.oversight import alerts
from engine.oversight.alerts import Alert
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.scheduler import _CLAIMABLE, TimerScheduler
from engine.runtime.schema import upgrade

BENCH = Path(__file__).resolve().parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PROCESS = "licence_demo"
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TARGET_S = 1.0


def _files() -> dict[str, str]:
    return {"bench.bpmn": (BENCH / "licence_bench.bpmn").read_text(encoding="utf-8"),
            "forms/reception.json": (BENCH / "forms" / "reception.json").read_text(encoding="utf-8")}


def _prepare(engine: Engine, waiting: int, due: int) -> datetime:
    """Returns an instant at which exactly `due` dossiers are due."""
    clock.freeze(MONDAY_9AM)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, _files(), actor="bench")
        seed_demo_users(session)  # so that the escalations have people to alert and mail
        session.commit()
    service = DossierService(engine)
    for i in range(due):
        out = service.start(PROCESS, {}, actor="bench", title=f"due {i}")
        for spec, data in (("receive", {"devices": ["ct"]}), ("check", {"dossier_complete": True})):
            task = next(t for t in out.ready if t.spec == spec)
            out = service.complete(out.dossier_id, task.id, data, actor="bench")
    with make_session_factory(engine)() as session:
        template = session.scalars(select(Dossier).limit(1)).one()
        timer_due = session.scalar(select(func.max(Dossier.next_timer_at)))
    rng = random.Random(2026)
    later = timer_due + timedelta(days=3)
    rows = []
    for i in range(waiting):
        timer = later + timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        rows.append({
            "code": None, "process_id": PROCESS, "definition_id": template.definition_id, "status": "running",
            "title": f"waiting {i}", "channel": "desk", "state": "{}", "summary": {}, "next_timer_at": timer,
            "legal_clock": None, "due_at": timer, "total_due_at": timer + timedelta(days=7), "clock_paused": False,
            "next_milestone_at": timer - timedelta(days=2), "milestones_fired": [], "created_at": MONDAY_9AM,
            "created_by": "bench", "updated_at": MONDAY_9AM, "version": 1,
        })
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(Dossier.__table__), rows[start:start + 10_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE dossier"))
    return timer_due + timedelta(hours=9)


def _explain(engine: Engine, now: datetime) -> str:
    if engine.dialect.name != "postgresql":
        return ""
    compiled = _CLAIMABLE.compile(dialect=engine.dialect)
    with engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + str(compiled),
                                    {**compiled.params, "p_now": now, "p_limit": 100}).scalars().all()
        conn.rollback()
    return "\n".join("    " + line for line in plan)


def run(url: str, label: str, waiting: int, due: int) -> float:
    engine = make_engine(url)
    started = time.perf_counter()
    at = _prepare(engine, waiting, due)
    setup = time.perf_counter() - started
    clock.freeze(at)
    scheduler = TimerScheduler(engine, smtp=None)
    with make_session_factory(engine)() as session:
        total = session.scalar(select(func.count()).select_from(Dossier))
    started = time.perf_counter()
    report = scheduler.advance_due()
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    mailed = alerts.deliver(scheduler.service.write_session, None, limit=1000)
    mail_ms = (time.perf_counter() - started) * 1000
    with make_session_factory(engine)() as session:
        fired = session.scalar(select(func.count()).where(AuditEvent.command == "fire_timers"))
    assert report.fired == due == fired, (report, fired)
    with make_session_factory(engine)() as session:
        alerted = session.scalar(select(func.count()).select_from(Alert))
    print(f"{label}: {total} dossiers, {due} due (setup {setup:.0f} s)")
    print(f"  one tick finds and advances them: {elapsed * 1000:.0f} ms — claimed {report.claimed}, "
          f"timers fired {report.fired}, milestones escalated {report.escalated} ({alerted} alerts) "
          f"(target < {TARGET_S:.0f} s: {'ok' if elapsed < TARGET_S else 'TOO SLOW'})")
    print(f"  then the outbox: {mailed.taken} mails taken in {mail_ms:.0f} ms (no SMTP server here; a real one "
          f"adds its own latency per mail)")
    started = time.perf_counter()
    idle = scheduler.tick()
    print(f"  next tick, nothing due: {(time.perf_counter() - started) * 1000:.1f} ms (claimed {idle.claimed})")
    plan = _explain(engine, at)
    if plan:
        print("  claim query plan:\n" + plan)
    engine.dispose()
    return elapsed


def main(waiting: int = 99_900, due: int = 100) -> None:
    schema = f"bench_scheduler_{int(time.time())}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        run(f"{PG_URL}?options=-csearch_path%3D{schema}", "PostgreSQL", waiting, due)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{tmp}/bench.sqlite", "SQLite", waiting, due)
    clock.reset()


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    main(*args)
