"""What `motcua bench` (webapp.bench) measures in the engine: throughput against the bare-library floor,
storage per dossier, timer lateness, the inbox query; issue 16's targets are printed beside each figure.

The floor is what SpiffWorkflow alone costs for the same diagram: run, serialize, deserialize and one
commit per wait state to the same database as the platform (SQLite or PostgreSQL), no platform. PostgreSQL
figures run in a database the bench creates and drops (never a shared one).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, make_url, select, text
from sqlalchemy.engine import Engine

from engine.decisions.bpmn_task import register_data_types
from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.clock import clock
from engine.onestop.documents import Agency, issue_document
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier_service import DossierService
from engine.runtime.file_store import FileStore, file_store
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.schema import upgrade
from engine.runtime.script_engine import platform_functions
from engine.runtime.serialization import serializer_config
from engine.runtime.validation import parse_bundle
from engine.runtime.work_item import IS_OPEN, WorkItem

DIAGRAM = Path(__file__).resolve().parents[2] / "bench" / "licence_bench.bpmn"
PROCESS = "licence_demo"
# What the officers enter at each user task of the bench diagram, in order.
STEPS = [("receive", {"devices": ["ct", "dental"]}), ("check", {"dossier_complete": True}), ("appraise", {})]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TIMER_DIAGRAM = DIAGRAM.parent / "short_timer.bpmn"


def files() -> dict[str, str]:
    return {"bench.bpmn": DIAGRAM.read_text(encoding="utf-8"),
            "forms/reception.json": (DIAGRAM.parent / "forms" / "reception.json").read_text(encoding="utf-8")}


class _SqliteStates:
    """The floor's store on SQLite: a file of its own, each write committed at once (autocommit)."""

    def __init__(self, folder: str) -> None:
        self._db = sqlite3.connect(Path(folder) / "floor.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE instance (id INTEGER PRIMARY KEY, state TEXT)")

    def write(self, key: int, state: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO instance VALUES (?, ?)", (key, state))

    def close(self) -> None:
        self._db.close()


class _PostgresStates:
    """The floor's store on PostgreSQL: a table of its own in the bench's database, on the driver itself, each
    write committed at once (autocommit, one round trip)."""

    def __init__(self, url: str) -> None:
        import psycopg

        # libpq takes the URL as it is, with its options (a schema of its own: search_path).
        plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._db = psycopg.connect(plain, autocommit=True)
        self._db.execute("DROP TABLE IF EXISTS floor_instance")
        self._db.execute("CREATE TABLE floor_instance (id integer PRIMARY KEY, state text)")

    def write(self, key: int, state: str) -> None:
        self._db.execute("INSERT INTO floor_instance VALUES (%s, %s) ON CONFLICT (id) DO UPDATE SET state = "
                         "excluded.state", (key, state), prepare=True)

    def close(self) -> None:
        self._db.execute("DROP TABLE floor_instance")
        self._db.close()


class Floor:
    """SpiffWorkflow alone on the bench diagram, with one commit per wait state to the database of `url`
    (SQLite: a file of the floor's own; PostgreSQL: a table of its own in that database); set up once, run
    in chunks (compare)."""

    def __init__(self, diagram: dict[str, str] | None = None, process: str = PROCESS,
                 steps: list[tuple[str, dict]] | None = None, url: str = "sqlite://") -> None:
        self._steps = STEPS if steps is None else steps
        self._specs = parse_bundle(diagram or files()).specs(process)
        registry = BpmnWorkflowSerializer.configure(serializer_config())
        register_data_types(registry)
        self._serializer = BpmnWorkflowSerializer(registry)
        self._engine = PythonScriptEngine(TaskDataEnvironment({**platform_functions(BusinessCalendar()),
                                                               "Decimal": Decimal}))
        self._folder = tempfile.TemporaryDirectory()
        self._db = _PostgresStates(url) if url.startswith("postgresql") else _SqliteStates(self._folder.name)
        self._done = 0

    def seconds(self, count: int) -> float:
        """How long the next `count` dossiers took, start to end."""
        serializer, engine, db = self._serializer, self._engine, self._db
        started = time.perf_counter()
        for i in range(self._done, self._done + count):
            workflow = BpmnWorkflow(*self._specs, script_engine=engine)
            workflow.do_engine_steps()
            for _, data in self._steps:
                state = serializer.serialize_json(workflow)
                db.write(i, state)
                workflow = serializer.deserialize_json(state)
                workflow.script_engine = engine
                task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
                task.data.update(data)
                task.run()
                workflow.do_engine_steps()
            db.write(i, serializer.serialize_json(workflow))
        self._done += count
        return time.perf_counter() - started

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


def floor(n: int, diagram: dict[str, str] | None = None, process: str = PROCESS,
          steps: list[tuple[str, dict]] | None = None, url: str = "sqlite://") -> float:
    """Dossiers per second for SpiffWorkflow alone (Floor)."""
    runner = Floor(diagram, process, steps, url)
    try:
        return n / runner.seconds(n)
    finally:
        runner.close()


def _service(url: str) -> DossierService:
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, files(), actor="bench")
        session.commit()
    return DossierService(engine)


def _platform(service: DossierService, n: int) -> float:
    """How long `n` dossiers of the bench diagram took through the platform, start to end."""
    started = time.perf_counter()
    for _ in range(n):
        out = service.start(PROCESS, {}, actor="bench")
        for spec, data in STEPS:
            task = next(t for t in out.ready if t.spec == spec)
            out = service.complete(out.dossier_id, task.id, data, actor="bench")
        assert out.status == "completed"
    return time.perf_counter() - started


CHUNK = 20  # dossiers a side runs before the other takes its turn: ~0.1 s, shorter than the machine's swings


def compare(url: str, n: int) -> tuple[float, float, float]:
    """Dossiers per second over `n` each: the floor on the database of `url`, the platform on it, and (for
    PostgreSQL; else the same) the floor on SQLite. They take turns in chunks of CHUNK, the first of each
    pair alternating, so that what slows the machine for a while (a neighbour, the host) slows each alike;
    a rate is then the whole run's, not its luckiest stretch."""
    service = _service(url)
    floors = {"floor": Floor(url=url)} | ({"sqlite": Floor()} if url.startswith("postgresql") else {})
    sides = {name: runner.seconds for name, runner in floors.items()}
    sides["platform"] = lambda count: _platform(service, count)
    spent = dict.fromkeys(sides, 0.0)
    try:
        for turn, start in enumerate(range(0, n, CHUNK)):
            count = min(CHUNK, n - start)
            for name in (list(sides) if turn % 2 == 0 else list(reversed(sides))):
                spent[name] += sides[name](count)
    finally:
        for runner in floors.values():
            runner.close()
        service.engine.dispose()
    return n / spent["floor"], n / spent["platform"], n / spent.get("sqlite", spent["floor"])


def inbox(url: str, items: int) -> tuple[float, int]:
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
             .where(IS_OPEN, WorkItem.role.in_(["specialist"]))
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


def reachable(url: str) -> bool:
    try:
        engine = make_engine(url)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def own_database(admin_url: str) -> Iterator[str]:
    """A PostgreSQL database of this run, dropped at the end."""
    name = f"motcua_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = make_engine(admin_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# The oldest transaction still running anywhere on the server, and a transaction id taken now.
_OLDEST_RUNNING = text("select pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
_NEW_XID = text("select pg_current_xact_id()::text::bigint")
_TABLES = text("select oid::regclass::text from pg_class where relnamespace = current_schema()::regnamespace "
               "and relkind = 'r'")
# Tables with their indexes and TOAST.
_TABLES_SIZE = text("select sum(pg_total_relation_size(oid)) from pg_class "
                    "where relnamespace = current_schema()::regnamespace and relkind = 'r'")


def _database_size(engine: Engine) -> tuple[int, bool]:
    """Bytes the database takes, and whether that counts only live rows.

    SQLite: the file, after the WAL is checkpointed into it (its free pages are reused in place). PostgreSQL:
    the platform's tables, indexes and TOAST after a VACUUM FULL of them, which drops the dead row versions
    every update leaves (autovacuum makes their space reusable, so a live database holds up to ~20 % more);
    the system catalogs are left out, as the vacuum itself churns them. PostgreSQL can drop dead rows only
    once no transaction older than them is open anywhere on the server (snapshots span databases): this waits
    up to 30 s for those to end, else says the figure still counts dead rows."""
    if engine.dialect.name != "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return Path(engine.url.database or "").stat().st_size, True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        mark, deadline = conn.scalar(_NEW_XID), time.monotonic() + 30
        while conn.scalar(_OLDEST_RUNNING) <= mark and time.monotonic() < deadline:
            time.sleep(0.5)
        clean = conn.scalar(_OLDEST_RUNNING) > mark
        conn.execute(text(f"VACUUM FULL {', '.join(conn.scalars(_TABLES))}"))
        return int(conn.scalar(_TABLES_SIZE)), clean


@contextmanager
def own_file_store(root: Path) -> Iterator[FileStore]:
    """The process's file store (MOTCUA_FILE_STORE) at `root` while the block runs, the previous one after."""
    previous = os.environ.get("MOTCUA_FILE_STORE")
    os.environ["MOTCUA_FILE_STORE"] = str(root)
    file_store.cache_clear()
    try:
        yield file_store()
    finally:
        if previous is None:
            os.environ.pop("MOTCUA_FILE_STORE", None)
        else:
            os.environ["MOTCUA_FILE_STORE"] = previous
        file_store.cache_clear()


@dataclass(frozen=True)
class Storage:
    """Bytes per dossier, in the database and in the file store."""

    database: float
    files: float
    # False when PostgreSQL kept dead row versions because another session's transaction stayed open.
    live_rows_only: bool = True

    @property
    def total(self) -> float:
        return self.database + self.files


# What a desk receipt says of a typical dossier (the paper every dossier gets).
RECEIPT = {"applicant": {"name": "Bệnh viện Đa khoa Đồng Nai", "address": "02 Đồng Khởi, Biên Hòa, Đồng Nai",
                         "phone": "0251 3822 123", "email": "bv-dongnai@example.vn", "id_number": ""},
           "procedure": "Cấp giấy phép tiến hành công việc bức xạ - sử dụng thiết bị X-quang chẩn đoán trong y tế",
           "checklist": [{"label": f"Thành phần hồ sơ số {i}", "form": "Bản chính", "note": ""} for i in range(1, 8)],
           "copies": "01 (bộ)", "deadline": "30 ngày làm việc", "delivery": "Trực tiếp tại Bộ phận một cửa",
           "officer": "Nguyễn Thị Tiếp Nhận"}


def storage(url: str, n: int, warm_up: int = 20) -> Storage:
    """What each of `n` dossiers carried to their end, each with its receipt, adds to the database and to a
    file store of this measurement. `warm_up` dossiers go first, so that the first page of every table and
    index (8 KB each on PostgreSQL) is not counted against the `n`."""
    service = _service(url)
    with tempfile.TemporaryDirectory() as tmp, own_file_store(Path(tmp) / "files") as store:

        def run(count: int) -> None:
            for _ in range(count):
                out = service.start(PROCESS, {}, actor="bench")
                with service.command() as session:
                    issue_document(session, out.dossier_id, "receipt", "bench", data={}, agency=Agency(),
                                   extra={**RECEIPT, "appointment_at": clock.now() + timedelta(days=42)})
                for spec, data in STEPS:
                    task = next(t for t in out.ready if t.spec == spec)
                    out = service.complete(out.dossier_id, task.id, data, actor="bench")

        run(warm_up)
        (database, clean), files = _database_size(service.engine), store.size_on_disk()
        run(n)
        (database_after, clean_after), files_after = _database_size(service.engine), store.size_on_disk()
        added = Storage((database_after - database) / n, (files_after - files) / n, clean and clean_after)
    service.engine.dispose()
    return added


@contextmanager
def _workers(url: str, count: int) -> Iterator[None]:
    """`count` worker processes (`motcua worker`) on the database, each with its own scheduler, as a
    PostgreSQL deployment runs them; stopped with Ctrl+C as an operator would."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(root)}
    with tempfile.TemporaryFile(mode="w+") as errors:
        processes = [subprocess.Popen([sys.executable, "-c", "from engine.cli.main import cli; cli()", "worker"],
                                      env=env, cwd=root, stdout=subprocess.PIPE, stderr=errors, text=True)
                     for _ in range(count)]
        try:
            for process in processes:
                assert process.stdout is not None
                if "worker running" not in process.stdout.readline():
                    process.wait(10)
                    errors.seek(0)
                    raise RuntimeError(f"a bench worker did not start: {errors.read()[-2000:]}")
            yield
        finally:
            for process in processes:
                process.send_signal(signal.SIGINT)
            for process in processes:
                process.wait(10)


def timer_lateness(url: str, count: int, workers: int = 0) -> tuple[list[float], int]:
    """Seconds between when each of `count` one-second timers fell due and when it fired, with the
    scheduler running as in `motcua serve` (real clock), or with `workers` worker processes instead; and
    how many timers fired more than once (none should)."""
    clock.reset()
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, {"short_timer.bpmn": TIMER_DIAGRAM.read_text(encoding="utf-8")}, actor="bench")
        session.commit()
    service = DossierService(engine)
    scheduler = TimerScheduler(engine, smtp=None)
    with ExitStack() as running:
        if workers:
            running.enter_context(_workers(url, workers))
        else:
            scheduler.start()
            running.callback(scheduler.shutdown)
        ids = []
        for _ in range(count):
            ids.append(service.start("short_timer", {}, actor="bench").dossier_id)
            time.sleep(0.2)  # spread over time, as people start dossiers
        deadline = time.monotonic() + 30
        query = (select(AuditEvent.dossier_id, AuditEvent.at, AuditEvent.data)
                 .where(AuditEvent.command == "fire_timers", AuditEvent.dossier_id.in_(ids)))
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                fired = conn.execute(query).all()
            if len({row.dossier_id for row in fired}) == count:
                break
            time.sleep(0.2)
    engine.dispose()
    twice = len(fired) - len({row.dossier_id for row in fired})
    return sorted((at - datetime.fromisoformat(data["due"])).total_seconds() for _, at, data in fired), twice


def percentile(values: list[float], share: float) -> float:
    return sorted(values)[min(len(values) - 1, int(share * len(values)))]


