"""A command's connection (engine.runtime.db.connection) and the transaction SQLite's writers open."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

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


def test_a_sqlite_writer_that_cannot_get_the_lock_gets_sqlalchemys_error_and_the_holder_keeps_its_write(
        tmp_path: Path) -> None:
    db = make_engine(f"sqlite:///{tmp_path / 'locked.sqlite'}")
    with db.begin() as conn:
        conn.execute(text("CREATE TABLE note (body TEXT)"))
    pooled = db.raw_connection()  # the pool's one connection, which the session below gets back
    pooled.driver_connection.execute("PRAGMA busy_timeout=0")
    pooled.close()
    holder = sqlite3.connect(db.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO note VALUES ('held')")
    with make_session_factory(db, write=True)() as session, pytest.raises(OperationalError, match="locked"):
        connection(session)
    holder.execute("COMMIT")
    holder.close()
    with db.connect() as conn:
        assert conn.execute(text("SELECT body FROM note")).scalars().all() == ["held"]
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
