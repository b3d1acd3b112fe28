"""Shared fixtures: every database test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.legal_time.clock import clock
from engine.runtime.db import Base, make_engine, make_session_factory
from engine.runtime.schema import create_schema
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS

PG_URL = os.environ.get("MOTCUA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _postgres_available() -> bool:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


@contextmanager
def postgres_schema(prefix: str = "t") -> Iterator[str]:
    """The URL of a PostgreSQL schema of its own, dropped at the end; the schema travels in the URL, so that a
    subprocess given it sees the same tables. Fails when PostgreSQL is not reachable."""
    if not _postgres_available():
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}; start it (see .ci/run)")
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # Papers and uploads of every test go to one store of this run (content-addressed: sharing is harmless).
    if not os.environ.get("MOTCUA_FILE_STORE"):
        config.motcua_files = tempfile.mkdtemp(prefix="motcua-files-")
        os.environ["MOTCUA_FILE_STORE"] = config.motcua_files


def pytest_unconfigure(config):  # type: ignore[no-untyped-def]
    if hasattr(config, "motcua_files"):
        shutil.rmtree(config.motcua_files, ignore_errors=True)


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if os.environ.get("CI") == "true" and not _postgres_available():
        raise pytest.UsageError(f"CI=true but PostgreSQL is not reachable at {PG_URL}")


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The migrated database of one backend (for SQLite: the template each test copies)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "template.sqlite"
        engine = make_engine(f"sqlite:///{path}")
        create_schema(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        yield engine
        return
    with postgres_schema() as url:
        engine = make_engine(url)
        create_schema(engine)
        yield engine
        engine.dispose()


@pytest.fixture
def db(db_engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A clean, migrated database for one test."""
    if db_engine.dialect.name == "sqlite":
        # A fresh copy of the template: the append-only audit trail cannot be emptied, by design.
        path = tmp_path / "motcua.sqlite"
        shutil.copyfile(db_engine.url.database, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
        return
    _truncate(db_engine)
    yield db_engine


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    factory = make_session_factory(db)
    with factory() as s:
        yield s


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


def _truncate(engine: Engine) -> None:
    # TRUNCATE fires no row triggers, so it empties the append-only audit trail between tests.
    present = set(inspect(engine).get_table_names())
    tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in present]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def base_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The `app` of the test's folder, served on a free port of 127.0.0.1 for the browser."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
