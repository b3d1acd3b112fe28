"""`motcua bench`: platform throughput against the bare-library floor, and the inbox query at scale.

The floor is what SpiffWorkflow alone costs for the same diagram: run, serialize, deserialize and one
SQLite commit per wait state, no platform. The platform must reach at least half of it (issue 2).
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select, text

from engine.decisions.bpmn_task import register_data_types
from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.clock import clock
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier_service import DossierService
from engine.runtime.schema import upgrade
from engine.runtime.script_engine import platform_functions
from engine.runtime.serialization import serializer_config
from engine.runtime.validation import parse_bundle
from engine.runtime.work_item import WorkItem

DIAGRAM = Path(__file__).resolve().parents[2] / "bench" / "licence_bench.bpmn"
PROCESS = "licence_demo"
# What the officers enter at each user task of the bench diagram, in order.
STEPS = [("receive", {"devices": ["ct", "dental"]}), ("check", {"dossier_complete": True}), ("appraise", {})]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _files() -> dict[str, str]:
    return {"bench.bpmn": DIAGRAM.read_text(encoding="utf-8"),
            "forms/reception.json": (DIAGRAM.parent / "forms" / "reception.json").read_text(encoding="utf-8")}


def _floor(n: int) -> float:
    """Dossiers per second for SpiffWorkflow alone, with one SQLite commit per wait state."""
    bundle = parse_bundle(_files())
    spec, subprocess_specs = bundle.specs(PROCESS)
    registry = BpmnWorkflowSerializer.configure(serializer_config())
    register_data_types(registry)
    serializer = BpmnWorkflowSerializer(registry)
    engine = PythonScriptEngine(TaskDataEnvironment({**platform_functions(BusinessCalendar()), "Decimal": Decimal}))
    with tempfile.TemporaryDirectory() as tmp:
        db = sqlite3.connect(Path(tmp) / "floor.sqlite", isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE instance (id INTEGER PRIMARY KEY, state TEXT)")
        started = time.perf_counter()
        for i in range(n):
            workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=engine)
            workflow.do_engine_steps()
            for _, data in STEPS:
                state = serializer.serialize_json(workflow)
                db.execute("INSERT OR REPLACE INTO instance VALUES (?, ?)", (i, state))
                workflow = serializer.deserialize_json(state)
                workflow.script_engine = engine
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.data.update(data)
                task.run()
                workflow.do_engine_steps()
            db.execute("INSERT OR REPLACE INTO instance VALUES (?, ?)", (i, serializer.serialize_json(workflow)))
        elapsed = time.perf_counter() - started
    return n / elapsed


def _service(url: str) -> DossierService:
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, _files(), actor="bench")
        session.commit()
    return DossierService(engine)


def _platform(service: DossierService, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        out = service.start(PROCESS, {}, actor="bench")
        for spec, data in STEPS:
            task = next(t for t in out.ready if t.spec == spec)
            out = service.complete(out.dossier_id, task.id, data, actor="bench")
        assert out.status == "completed"
    return n / (time.perf_counter() - started)


def _compare(url: str, n: int, rounds: int) -> tuple[float, float]:
    """Best rate of each over interleaved rounds, so that load from elsewhere hits both alike."""
    service = _service(url)
    floors, platforms = [], []
    for _ in range(rounds):
        floors.append(_floor(n))
        platforms.append(_platform(service, n))
    service.engine.dispose()
    return max(floors), max(platforms)


def _inbox(url: str, items: int) -> tuple[float, int]:
    """Median milliseconds of one role's inbox page with `items` open work items in the table."""
    service = _service(url)
    engine = service.engine
    dossier_id = service.start(PROCESS, {}, actor="bench").dossier_id
    roles = ["reception", "specialist", "office_head", "leadership", "liaison"]
    now = datetime.now(UTC)
    with engine.begin() as conn:
        present = conn.scalar(select(text("count(*)")).select_from(WorkItem.__table__)
                              .where(WorkItem.status == "open"))
        rows = [
            {"dossier_id": dossier_id, "task_id": f"bench-{i:08d}", "task_spec": "appraise", "name": "Thẩm định",
             "role": roles[i % len(roles)], "status": "open", "created_at": now,
             "due_at": now + timedelta(minutes=i % 50_000)}
            for i in range(max(0, items - present))
        ]
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(WorkItem), rows[start:start + 10_000])
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE work_item"))
    query = (select(WorkItem.id, WorkItem.dossier_id, WorkItem.name, WorkItem.due_at)
             .where(WorkItem.status == "open", WorkItem.role.in_(["specialist"]))
             .order_by(WorkItem.due_at, WorkItem.id).limit(50))
    timings = []
    with engine.connect() as conn:
        for _ in range(30):
            started = time.perf_counter()
            page = conn.execute(query).all()
            timings.append((time.perf_counter() - started) * 1000)
        total = conn.scalar(select(text("count(*)")).select_from(WorkItem.__table__)
                            .where(WorkItem.status == "open"))
    engine.dispose()
    assert len(page) == 50
    return statistics.median(timings), total


def _postgres_reachable() -> bool:
    try:
        with make_engine(PG_URL).connect() as conn:
            conn.execute(text("select 1"))
        return True
    except Exception:
        return False


@click.command()
@click.option("-n", "--dossiers", default=200, show_default=True, help="Dossiers per measurement.")
@click.option("--rounds", default=3, show_default=True, help="Interleaved rounds; the best of each is kept.")
@click.option("--inbox-items", default=100_000, show_default=True)
def bench(dossiers: int, rounds: int, inbox_items: int) -> None:
    """Throughput of the platform vs the bare SpiffWorkflow floor, and the inbox query."""
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    click.echo(f"{dossiers} dossiers of {PROCESS} (start, {len(STEPS)} user tasks, end), best of {rounds} rounds")
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{tmp}/bench.sqlite"
        floor, rate = _compare(sqlite_url, dossiers, rounds)
        click.echo(f"floor (SpiffWorkflow + serialize + SQLite commit): {floor:8.1f} dossiers/s")
        click.echo(f"platform on SQLite:                               {rate:8.1f} dossiers/s"
                   f"  ratio {rate / floor:.2f} (target >= 0.5)")
        ms, total = _inbox(sqlite_url, inbox_items)
        click.echo(f"inbox page on SQLite, {total} open items: {ms:8.2f} ms (target < 50)")
    if not _postgres_reachable():
        click.echo("PostgreSQL not reachable at 127.0.0.1:5432: no PostgreSQL figures")
        clock.reset()
        return
    schema = f"bench_{int(time.time())}"
    with make_engine(PG_URL).begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        floor, rate = _compare(url, dossiers, rounds)
        click.echo(f"platform on PostgreSQL:                           {rate:8.1f} dossiers/s"
                   f"  ratio {rate / floor:.2f} (floor {floor:.1f}, SQLite)")
        ms, total = _inbox(url, inbox_items)
        click.echo(f"inbox page on PostgreSQL, {total} open items: {ms:8.2f} ms (target < 50)")
    finally:
        with make_engine(PG_URL).begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        clock.reset()
