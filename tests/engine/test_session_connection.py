"""A command's connection (engine.runtime.db.connection) and the transaction SQLite's writers open."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from engine.runtime import db as db_module
from engine.runtime.db import connection, make_engine, make_read_session_factory, make_session_factory
from engine.runtime.definition import ProcessDefinition


def _definitions(db: Engine) -> int:
    with db.connect() as conn:
        return len(conn.execute(select(ProcessDefinition.id)).all())


def _insert(conn: object, name: str) -> None:
    conn.execute(text(  # type: ignore[attr-defined]
        "INSERT INTO process_definition (process_id, name, version, content_hash, spec_json, files, catalogue, "
        "deployed_at, deployed_by) VALUES (:n, :n, 1, 'h', '{}', '{}', '{}', '2026-03-02 02:00:00', 'test')"),
        {"n": name})


def test_the_remembered_connection_is_the_one_of_the_sessions_current_transaction(db: Engine) -> None:
    with make_session_factory(db, write=True)() as session:
        first = connection(session)
        assert connection(session) is first is session.connection()
        _insert(first, "kept")
        session.commit()
        second = connection(session)  # a new transaction: asked of the session again
        assert second is session.connection()
        _insert(second, "dropped")
        session.rollback()
        third = connection(session)
        assert third is session.connection()
        assert third.execute(select(ProcessDefinition.process_id)).scalars().all() == ["kept"]
    assert _definitions(db) == 1


def _notes(tmp_path: Path) -> tuple[Engine, sqlite3.Connection]:
    """A database with a table of notes, and another connection holding its write lock with a note."""
    db = make_engine(f"sqlite:///{tmp_path / 'locked.sqlite'}")
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE note (body TEXT)"))
    holder = sqlite3.connect(db.url.database, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO note VALUES ('held')")
    return db, holder


def test_a_sqlite_writer_that_cannot_get_the_lock_gets_sqlalchemys_error_and_the_holder_keeps_its_write(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT", 0.2)
    db, holder = _notes(tmp_path)
    with make_session_factory(db, write=True)() as session, pytest.raises(OperationalError, match="locked"):
        connection(session)
    holder.execute("COMMIT")
    holder.close()
    with db.connect() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == ["held"]
    db.dispose()


def test_a_sqlite_writer_waits_for_the_lock_and_writes_after_the_holder(tmp_path: Path) -> None:
    """The write lock is waited for in short tries (SQLite's own handler sleeps up to 100 ms between them);
    the connection keeps its busy timeout for everything else."""
    db, holder = _notes(tmp_path)
    release = threading.Timer(0.3, holder.execute, ("COMMIT",))
    release.start()
    with make_session_factory(db, write=True)() as session:
        conn = connection(session)
        assert not holder.in_transaction  # the lock was taken once the holder let it go, not before
        conn.execute(text("INSERT INTO note VALUES ('mine')"))
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db_module.BUSY_TIMEOUT * 1000
        session.commit()
    release.join()
    holder.close()
    with db.connect() as conn:
        assert conn.execute(text("SELECT body FROM note ORDER BY rowid")).scalars().all() == ["held", "mine"]
    db.dispose()


def test_a_read_session_refuses_to_write_and_nothing_lands(db: Engine) -> None:
    """On PostgreSQL a read session runs outside a transaction: a flush there would be committed at once."""
    with make_read_session_factory(db)() as session:
        session.add(ProcessDefinition(process_id="p", name="p", version=1, content_hash="h", spec_json="{}",
                                      files={}, catalogue={}, deployed_at=datetime(2026, 3, 2, 2, tzinfo=UTC),
                                      deployed_by="test"))
        with pytest.raises(RuntimeError, match="a read session does not write"):
            session.execute(select(ProcessDefinition.id))  # the query's autoflush
        session.rollback()
    assert _definitions(db) == 0
