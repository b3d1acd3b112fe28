"""`motcua bench`: platform throughput against the bare-library floor, storage per dossier, timer
lateness, and (with --scale) the daily pages at the size of a province — all measured in one run.

The floor is what SpiffWorkflow alone costs for the same diagram: run, serialize, deserialize and one
SQLite commit per wait state, no platform. Issue 16's targets: platform ≥ 0.8 × floor on SQLite and
≥ 0.6 × on PostgreSQL; storage per dossier < 20 KB; timer lateness p95 < 1 s; at 1,000,000 dossiers
statistics for twelve months < 300 ms, dashboard < 150 ms, inbox < 30 ms, memory < 300 MB.
PostgreSQL figures run in a database the bench creates and drops (never a shared one).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import click
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, make_url, select, text

from engine.access.user import DEMO_PASSWORD, seed_demo_users
from engine.cli import bench_scale
from engine.decisions.bpmn_task import register_data_types
from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.clock import clock
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier_service import DossierService
from engine.runtime.file_store import FileStore, file_store
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.schema import upgrade
from engine.runtime.script_engine import platform_functions
from engine.runtime.serialization import serializer_config
from engine.runtime.validation import parse_bundle
from engine.runtime.work_item import WorkItem

DIAGRAM = Path(__file__).resolve().parents[2] / "bench" / "licence_bench.bpmn"
PROCESS = "licence_demo"
# What the officers enter at each user task of the bench diagram, in order.
STEPS = [("receive", {"devices": ["ct", "dental"]}), ("check", {"dossier_complete": True}), ("appraise", {})]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TIMER_DIAGRAM = DIAGRAM.parent / "short_timer.bpmn"


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


def _reachable(url: str) -> bool:
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def _own_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of this run, dropped at the end."""
    name = f"motcua_bench_{os.getpid()}_{int(time.time())}"
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _storage(url: str, files: Path, dossiers: int) -> float:
    """Bytes per dossier: the database's size plus the file store's, over the dossiers in it."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            database = conn.scalar(text("select pg_database_size(current_database())"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        database = Path(engine.url.database or "").stat().st_size
    engine.dispose()
    return (database + FileStore(files).size_on_disk()) / dossiers


def _timer_lateness(url: str, count: int) -> list[float]:
    """Seconds between when each of `count` one-second timers fell due and when it fired, with the
    scheduler running as in `motcua serve` (real clock)."""
    clock.reset()
    engine = make_engine(url)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, {"short_timer.bpmn": TIMER_DIAGRAM.read_text(encoding="utf-8")}, actor="bench")
        session.commit()
    service = DossierService(engine)
    scheduler = TimerScheduler(engine, smtp=None)
    scheduler.start()
    try:
        ids = []
        for _ in range(count):
            ids.append(service.start("short_timer", {}, actor="bench").dossier_id)
            time.sleep(0.2)  # spread over time, as people start dossiers
        deadline = time.monotonic() + 30
        query = (select(AuditEvent.at, AuditEvent.data).where(AuditEvent.command == "fire_timers",
                                                                AuditEvent.dossier_id.in_(ids)))
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                fired = conn.execute(query).all()
            if len(fired) == count:
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown()
        engine.dispose()
    return sorted((at - datetime.fromisoformat(data["due"])).total_seconds() for at, data in fired)


def _percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(share * len(values)))]


def _report_platform(label: str, url: str, dossiers: int, rounds: int, inbox_items: int, files: Path,
                     target: float) -> None:
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    try:
        floor, rate = _compare(url, dossiers, rounds)
        click.echo(f"{label}: floor {floor:8.1f} dossiers/s, platform {rate:8.1f} dossiers/s, "
                   f"ratio {rate / floor:.2f} (target >= {target})")
        click.echo(f"{label}: storage per dossier (database + file store) "
                   f"{_storage(url, files, rounds * dossiers) / 1024:6.1f} KB (target < 20, no uploads)")
        ms, total = _inbox(url, inbox_items)
        click.echo(f"{label}: inbox query, {total} open items: {ms:8.2f} ms")
    finally:
        clock.reset()
    lateness = _timer_lateness(url, 20)
    if lateness:
        click.echo(f"{label}: timer lateness over {len(lateness)} one-second timers: "
                   f"p50 {_percentile(lateness, 0.5) * 1000:6.0f} ms, p95 {_percentile(lateness, 0.95) * 1000:6.0f} ms"
                   f" (target p95 < 1000)")
    else:
        click.echo(f"{label}: no timer fired within 30 s")


def _report_scale(label: str, url: str, scale: int) -> None:
    from webapp import create_app

    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, _files(), actor="bench")
        seed_demo_users(session)
        session.commit()
        definition_id = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.process_id == PROCESS))
    seconds = bench_scale.load(engine, scale, definition_id, datetime.now(UTC))
    click.echo(f"{label}: loaded {scale} dossiers ({scale // 10} running, with work items) in {seconds:.0f} s")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SMTP": None})
    for name, ms in bench_scale.timings(app, engine, DEMO_PASSWORD).items():
        click.echo(f"{label}, {scale} dossiers: {name:28s} {ms:8.1f} ms")
    click.echo(f"{label}: peak memory of this process {bench_scale.peak_memory_mb():.0f} MB (target < 300)")
    engine.dispose()


@click.command()
@click.option("-n", "--dossiers", default=200, show_default=True, help="Dossiers per measurement.")
@click.option("--rounds", default=3, show_default=True, help="Interleaved rounds; the best of each is kept.")
@click.option("--inbox-items", default=100_000, show_default=True)
@click.option("--pg-url", default=PG_ADMIN_URL, show_default=True,
              help="A PostgreSQL server's URL to create the bench's own database from ('' for none).")
@click.option("--scale", default=0, show_default=True, help="Also load this many dossiers and time the pages.")
def bench(dossiers: int, rounds: int, inbox_items: int, pg_url: str, scale: int) -> None:
    """Platform vs the bare SpiffWorkflow floor, storage, timer lateness, and the pages at scale."""
    click.echo(f"{dossiers} dossiers of {PROCESS} (start, {len(STEPS)} user tasks, end), best of {rounds} rounds")
    previous_store = os.environ.get("MOTCUA_FILE_STORE")
    with tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp) / "files"
        os.environ["MOTCUA_FILE_STORE"] = str(files)
        file_store.cache_clear()
        try:
            _report_platform("SQLite", f"sqlite:///{tmp}/bench.sqlite", dossiers, rounds, inbox_items, files, 0.8)
            if scale:
                _report_scale("SQLite", f"sqlite:///{tmp}/scale.sqlite", scale)
            if not pg_url or not _reachable(pg_url):
                click.echo("PostgreSQL not reachable: no PostgreSQL figures")
                return
            with _own_database(pg_url) as url:
                _report_platform("PostgreSQL", url, dossiers, rounds, inbox_items, files, 0.6)
            if scale:
                with _own_database(pg_url) as url:
                    _report_scale("PostgreSQL", url, scale)
        finally:
            if previous_store is None:
                os.environ.pop("MOTCUA_FILE_STORE", None)
            else:
                os.environ["MOTCUA_FILE_STORE"] = previous_store
            file_store.cache_clear()
