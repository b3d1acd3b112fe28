"""`motcua bench`: every figure of issue 16 measured in one run and printed beside its target.

- in-process platform against the SpiffWorkflow floor (engine.cli.bench), on SQLite and PostgreSQL;
- the four-call HTTP sequence (submit, the dossier's work items, the work item, complete) against a server
  the bench starts (waitress with its outbox process, as `motcua serve`), with p50/p95 per call, against the
  floor of the same diagram (bench/http/bench_simple: start → user task → script → end);
- storage per dossier (database and a file store of its own, each dossier with its receipt; on PostgreSQL
  the tables and indexes after VACUUM FULL);
- timer lateness of one-second timers with the scheduler running, and on PostgreSQL with three worker
  processes instead;
- with --scale N: N dossiers loaded by the database, then the inbox, dashboard and statistics pages (one
  month, twelve months) through the web app, a scheduler tick, and the process's peak memory.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import resource
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import click
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from engine.access.api_token import create_token
from engine.access.user import DEMO_PASSWORD, seed_demo_users
from engine.cli import bench as measure
from engine.cli import bench_scale
from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.onestop.documents import Document
from engine.runtime.collector import settle
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.deployment import deploy_files, deploy_folders
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.schema import upgrade

HTTP_ROOT = Path(__file__).resolve().parents[1] / "bench" / "http"
HTTP_PROCESS = "bench_simple"
CALLS = ("submit", "work items of the dossier", "work item", "complete")
RUNS = 21  # the pages' p95 is then the second slowest run, not the slowest
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# -- the HTTP sequence ---------------------------------------------------------------------------------------


@contextmanager
def _server(config: dict[str, Any]) -> Iterator[int]:
    """The app served in a process of its own as `motcua serve` runs it (webapp.server: waitress, 8 threads,
    the timer scheduler, the collector settled after loading), with the outbox process the app starts making
    the receipts and the mails beside it; its port. Served from the bench's process it shared a collector
    with what the in-process phases left behind."""
    spawn = multiprocessing.get_context("spawn")
    ours, theirs = spawn.Pipe()
    process = spawn.Process(target=_serve, args=(config, theirs), name="motcua-bench-server")
    process.start()
    try:
        if not ours.poll(120):
            raise click.ClickException("the bench's server did not start within 120 s")
        port = ours.recv()
        if port is None:
            raise click.ClickException("the bench's server started without its outbox process (60 s)")
        yield port
    finally:
        if process.is_alive():  # a server that died before starting has no end of the pipe to hear it
            ours.send("stop")
        process.join(30)
        if process.is_alive():
            process.terminate()
            raise click.ClickException("the bench's server did not stop within 30 s")


def _serve(config: dict[str, Any], bench: Connection) -> None:
    """In the server's process: serve until the bench says stop, then stop the outbox process too."""
    from webapp import create_app
    from webapp.server import server_for

    app = create_app(config)
    server = server_for(app, "127.0.0.1", 0, 60.0)
    outbox = app.extensions["motcua"].commands.outbox
    # A server takes traffic once started: its outbox process's imports are not part of the figures.
    bench.send(server.effective_port if outbox.process_ready(60) else None)

    def stop() -> None:
        bench.recv()
        server.close()

    threading.Thread(target=stop, daemon=True).start()
    server.run()
    outbox.stop_process()
    app.extensions["motcua"].engine.dispose()


class _Client:
    """HTTP/1.1 on one keep-alive socket, as load generators speak it (wrk, k6): each request written in one
    send, each answer read by its Content-Length. http.client parses every answer's headers with the email
    package: 0.6 ms of the client's CPU a request on a 2-core machine, beside waitress's own ~0.5 ms, and taken
    from the same cores as the server's."""

    def __init__(self, port: int, token: str) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._answers = self._socket.makefile("rb")
        self._headers = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        content = b"" if body is None else json.dumps(body).encode()
        sent = f"Content-Type: application/json\r\nContent-Length: {len(content)}\r\n" if body is not None else ""
        self._socket.sendall(f"{method} {path} HTTP/1.1\r\n{self._headers}{sent}\r\n".encode() + content)
        status_line = self._answers.readline()
        length = -1
        while (line := self._answers.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length < 0:
            raise click.ClickException(f"{method} {path}: an answer without Content-Length ({status_line!r})")
        answer = self._answers.read(length)
        status = int(status_line.split(b" ", 2)[1])
        if status >= 400:
            raise click.ClickException(f"{method} {path}: {status} {answer[:300]!r}")
        return json.loads(answer)

    def close(self) -> None:
        self._answers.close()
        self._socket.close()


SUBMISSION = {"procedure": HTTP_PROCESS, "form": {}, "documents": [],
              "applicant": {"applicant_name": "Công ty TNHH Ánh Dương", "applicant_phone": "0251 3822 123",
                            "applicant_email": "bench@example.vn", "delivery": "email"}}


def _drive(port: int, token: str, n: int) -> tuple[float, dict[str, list[float]]]:
    """The client: `n` instances, the four calls one after the other on one keep-alive connection; how long
    they took (s), and each call's timings (ms)."""
    timings: dict[str, list[float]] = {call: [] for call in CALLS}
    client = _Client(port, token)
    started = time.perf_counter()
    for _ in range(n):
        marks = [time.perf_counter()]
        code = client.call("POST", "/api/v1/dossiers", SUBMISSION)["code"]
        marks.append(time.perf_counter())
        item = client.call("GET", f"/api/v1/dossiers/{code}/work-items")["items"][0]["id"]
        marks.append(time.perf_counter())
        version = client.call("GET", f"/api/v1/work-items/{item}")["version"]
        marks.append(time.perf_counter())
        done = client.call("POST", f"/api/v1/work-items/{item}/complete", {"data": {}, "version": version})
        marks.append(time.perf_counter())
        if done["status"] != "completed":
            raise click.ClickException(f"the bench dossier did not complete: {done}")
        for call, begin, end in zip(CALLS, marks, marks[1:], strict=False):
            timings[call].append((end - begin) * 1000)
    seconds = time.perf_counter() - started
    client.close()
    return seconds, timings


HTTP_CHUNK = 50  # instances over HTTP between two chunks of the in-process floor
WARM_UP = 5  # instances first driven untimed: the client's imports and connection


@dataclass(frozen=True)
class OverHttp:
    rate: float  # instances per second over HTTP, the calls' time
    with_receipts: float  # instances per second, the calls' time and the wait for their receipts after each chunk
    floor: float  # the in-process floor's dossiers per second, measured between the HTTP chunks
    timings: dict[str, list[float]]  # each call's, ms
    lag: float  # the longest wait for a chunk's last receipt after its last call, s


def http_sequence(url: str, n: int, floor_url: str) -> OverHttp:
    """The four calls done one after the other, `n` instances against one server, in chunks that take turns
    with chunks of the in-process floor (on `floor_url`'s database), so that the ratio of the two is
    measured over the same stretch of the machine's time. After each HTTP chunk the bench waits for its
    receipts (the outbox process makes them in the background): a floor chunk then runs on a quiet machine,
    and the wait gives the rate with the receipts made. The client runs in a process of its own, as clients
    do: in the server's process it would take turns with the server's threads for the interpreter lock; so
    does the floor (run in the server's process it came out 20-40 % below the in-process phase's)."""
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_folders(session, [HTTP_ROOT], actor="bench")
        seed_demo_users(session)
        session.commit()
        _row, token = create_token(session, "bench", "tiepnhan", "bench")
        session.commit()
    config = {"DATABASE_URL": url, "SECRET_KEY": "bench", "SMTP": None, "BPMN_ROOT": str(HTTP_ROOT),
              "API_SUBMIT_LIMIT": "1000000 per hour"}
    timings: dict[str, list[float]] = {call: [] for call in CALLS}
    calls = waits = in_process = lag = 0.0
    floor_count = 0
    spawn = multiprocessing.get_context("spawn")
    with (_server(config) as port, ProcessPoolExecutor(max_workers=1, mp_context=spawn) as client,
          ProcessPoolExecutor(max_workers=1, mp_context=spawn) as floor):
        client.submit(_drive, port, token, WARM_UP).result()
        submitted = WARM_UP
        _receipts_done(engine, submitted)
        for start in range(0, n, HTTP_CHUNK):
            count = min(HTTP_CHUNK, n - start)
            seconds, run = client.submit(_drive, port, token, count).result()
            last_call = time.perf_counter()
            submitted += count
            wait = _receipts_done(engine, submitted) - last_call
            calls, waits, lag = calls + seconds, waits + wait, max(lag, wait)
            for call, values in run.items():
                timings[call].extend(values)
            in_process += floor.submit(_floor_chunk, floor_url, measure.CHUNK).result()
            floor_count += measure.CHUNK
        floor.submit(_floor_closed, floor_url).result()
    engine.dispose()
    return OverHttp(n / calls, n / (calls + waits), floor_count / in_process, timings, lag)


@cache
def _floor_of(url: str) -> measure.Floor:
    settle()
    return measure.Floor(url=url)


def _floor_chunk(url: str, count: int) -> float:
    """In the floor's process: how long its next `count` dossiers took (s)."""
    return _floor_of(url).seconds(count)


def _floor_closed(url: str) -> None:
    """In the floor's process, before it ends (a pool's process runs no exit handlers): its store dropped."""
    _floor_of(url).close()
    _floor_of.cache_clear()


def _receipts_done(engine: Engine, expected: int, timeout: float = 120) -> float:
    """When the outbox process had made `expected` receipts in all (perf_counter), polled every 10 ms."""
    made = select(func.count()).select_from(Document).where(Document.kind == "receipt")
    deadline = time.perf_counter() + timeout
    with engine.connect() as conn:
        while conn.scalar(made) < expected:
            if time.perf_counter() > deadline:
                raise click.ClickException(f"the receipts were not all made within {timeout:.0f} s of the last call")
            conn.rollback()
            time.sleep(0.01)
    return time.perf_counter()


def _http_floor(n: int, url: str) -> float:
    diagram = {f"{HTTP_PROCESS}.bpmn": (HTTP_ROOT / HTTP_PROCESS / f"{HTTP_PROCESS}.bpmn").read_text(encoding="utf-8")}
    return measure.floor(n, diagram, HTTP_PROCESS, [("review", {})], url=url)


# -- pages at scale ------------------------------------------------------------------------------------------


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    if token is None:
        raise click.ClickException("no CSRF token on /login")
    answer = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                         "csrf_token": token.group(1)})
    if answer.status_code != 302:
        raise click.ClickException(f"{username} could not sign in")
    return client


def _timed_ms(run: Callable[[], object]) -> tuple[float, float]:
    """p50 and p95 milliseconds of `run`."""
    run()  # warm: statements compiled, pages in memory
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return measure.percentile(timings, 0.5), measure.percentile(timings, 0.95)


def _page(client: FlaskClient, path: str) -> Callable[[], None]:
    def get() -> None:
        answer = client.get(path)
        if answer.status_code != 200:
            raise click.ClickException(f"{path}: {answer.status_code}")
    return get


def _pages(app: Flask, engine: Engine) -> dict[str, tuple[float, float]]:
    officer, supervisor = _signed_in(app, "chuyenvien"), _signed_in(app, "giamsat")
    today = clock.now().astimezone(ZONE).date()
    month, year = today - timedelta(days=30), today - timedelta(days=365)
    scheduler = TimerScheduler(engine, smtp=None)
    return {
        "inbox page (target < 30)": _timed_ms(_page(officer, "/inbox")),
        "dashboard page (target < 150)": _timed_ms(_page(supervisor, "/supervisor/")),
        "statistics page, 1 month": _timed_ms(_page(supervisor, f"/supervisor/statistics?from={month}&to={today}")),
        "statistics, 12 months (< 300)": _timed_ms(_page(supervisor,
                                                         f"/supervisor/statistics?from={year}&to={today}")),
        "scheduler tick": _timed_ms(scheduler.tick),
    }


def _scale(label: str, url: str, scale: int) -> None:
    from webapp import create_app

    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        deploy_files(session, measure.files(), actor="bench")
        seed_demo_users(session)
        session.commit()
        definition_id = session.scalar(select(ProcessDefinition.id))
    seconds = bench_scale.load(engine, scale, definition_id, datetime.now(UTC))
    click.echo(f"{label}: loaded {scale} dossiers ({scale // 10} running, with work items) in {seconds:.0f} s")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "SMTP": None})
    for name, (p50, p95) in _pages(app, engine).items():
        click.echo(f"{label}, {scale} dossiers: {name:32s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms")
    memory = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    click.echo(f"{label}: peak memory of this process (the server and the bench) {memory:.0f} MB (target < 300)")
    app.extensions["motcua"].commands.outbox.stop_process()
    app.extensions["motcua"].engine.dispose()
    engine.dispose()


# -- the command ---------------------------------------------------------------------------------------------


def _report(label: str, url: Callable[[str], str], dossiers: int, target: float, http_n: int) -> None:
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    try:
        floor, rate, sqlite_floor = measure.compare(url("platform"), dossiers)
        click.echo(f"{label}: floor {floor:7.1f} dossiers/s, platform {rate:7.1f} dossiers/s, "
                   f"ratio {rate / floor:.2f} (target >= {target})"
                   + (f"; against the SQLite floor ({sqlite_floor:.1f}/s) {rate / sqlite_floor:.2f}"
                      if sqlite_floor != floor else ""))
        used = measure.storage(url("storage"), max(100, dossiers // 2))
        click.echo(f"{label}: storage per dossier with its receipt {used.total / 1024:6.1f} KB (target < 20): "
                   f"database {used.database / 1024:.1f} KB, file store {used.files / 1024:.1f} KB"
                   + ("" if used.live_rows_only else " (overstated: a transaction open elsewhere on the server "
                                                     "kept dead rows from VACUUM)"))
    finally:
        clock.reset()
    if http_n:
        same = _http_floor(http_n, url("platform"))
        measured = http_sequence(url("http"), http_n, url("platform"))
        # The issue states the target against the in-process floor (~144/s when it was written: 0.5x of it is
        # 15x the peer's 4.44/s); the floor of the HTTP diagram itself, a smaller one, is printed beside it.
        rate = measured.rate
        click.echo(f"{label}: HTTP four calls {rate:6.1f} instances/s: ratio {rate / measured.floor:.2f} "
                   f"to the in-process floor measured between its chunks ({measured.floor:.1f}/s; target >= 0.5), "
                   f"{rate / same:.2f} to the floor of the same diagram ({same:.1f}/s); "
                   f"{http_n} instances in chunks of {HTTP_CHUNK}; server: `motcua serve`'s (waitress, 8 threads, "
                   f"and its outbox process making the receipts and the mails); the client in a process of its own")
        click.echo(f"{label}: HTTP with the receipts made {measured.with_receipts:6.1f} instances/s (ratio "
                   f"{measured.with_receipts / measured.floor:.2f}): a chunk's last receipt at most "
                   f"{measured.lag:.1f} s after its last call")
        for call, values in measured.timings.items():
            click.echo(f"{label}:   {call:26s} p50 {measure.percentile(values, 0.5):6.1f} ms"
                       f"  p95 {measure.percentile(values, 0.95):6.1f} ms")
    runs = [("one process", 0)] + ([("three workers", 3)] if label == "PostgreSQL" else [])
    for how, workers in runs:
        lateness, twice = measure.timer_lateness(url(f"timers{workers}"), 20, workers)
        if lateness:
            click.echo(f"{label}: timer lateness of {len(lateness)} one-second timers, {how}: "
                       f"p50 {measure.percentile(lateness, 0.5) * 1000:5.0f} ms, "
                       f"p95 {measure.percentile(lateness, 0.95) * 1000:5.0f} ms (target p95 < 1000); "
                       f"fired twice: {twice}")
        else:
            click.echo(f"{label}: no timer fired within 30 s, {how}")


@click.command()
@click.option("-n", "--dossiers", default=600, show_default=True,
              help="Dossiers of the floor and of the platform, in turns of 20.")
@click.option("--http", "http_n", default=300, show_default=True, help="Instances driven over HTTP (0: none).")
@click.option("--pg-url", default=measure.PG_ADMIN_URL, show_default=True,
              help="A PostgreSQL server to create the bench's own databases on ('' for none).")
@click.option("--scale", default=0, show_default=True, help="Also load this many dossiers and time the pages.")
def bench(dossiers: int, http_n: int, pg_url: str, scale: int) -> None:
    """Issue 16's figures, measured in one run: platform vs floor, HTTP, storage, timers, pages at scale."""
    # The collector as `motcua serve` and `motcua worker` set it, for the floor and the platform alike.
    settle()
    click.echo(f"in-process: {dossiers} dossiers of {measure.PROCESS} (start, {len(measure.STEPS)} user tasks, "
               f"end) each for the floor and the platform, taking turns of {measure.CHUNK}; HTTP: {http_n} "
               f"instances of {HTTP_PROCESS}")
    with tempfile.TemporaryDirectory() as tmp, measure.own_file_store(Path(tmp) / "files"):
        _report("SQLite", lambda name: f"sqlite:///{tmp}/{name}.sqlite", dossiers, 0.8, http_n)
        if scale:
            _scale("SQLite", f"sqlite:///{tmp}/scale.sqlite", scale)
        if not pg_url or not measure.reachable(pg_url):
            click.echo("PostgreSQL not reachable: no PostgreSQL figures")
            return
        with _databases(pg_url) as url:
            _report("PostgreSQL", url, dossiers, 0.6, http_n)
        if scale:
            with measure.own_database(pg_url) as url:
                _scale("PostgreSQL", url, scale)


@contextmanager
def _databases(admin_url: str) -> Iterator[Callable[[str], str]]:
    """A fresh PostgreSQL database per measurement, all dropped at the end."""
    with (measure.own_database(admin_url) as platform, measure.own_database(admin_url) as storage,
          measure.own_database(admin_url) as over_http, measure.own_database(admin_url) as timers,
          measure.own_database(admin_url) as timers_workers):
        urls = {"platform": platform, "storage": storage, "http": over_http, "timers0": timers,
                "timers3": timers_workers}
        yield urls.__getitem__
