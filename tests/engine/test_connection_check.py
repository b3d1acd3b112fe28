"""PostgreSQL connections are checked before use only after sitting idle (engine.runtime.db): a busy
server saves the round trip, and a connection lost while idle (a database restart) is replaced, not failed."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from engine.runtime import db as db_module
from engine.runtime.db import make_engine
from tests.conftest import PG_URL


def _lose_pooled_connection() -> tuple[object, int]:
    engine = make_engine(PG_URL)
    with engine.connect() as conn:
        pid = conn.execute(text("select pg_backend_pid()")).scalar_one()
    admin = make_engine(PG_URL)
    with admin.connect() as conn:
        assert conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()
    return engine, pid


def test_a_connection_lost_while_idle_is_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)
    engine, pid = _lose_pooled_connection()
    with engine.connect() as conn:
        assert conn.execute(text("select pg_backend_pid()")).scalar_one() != pid
    engine.dispose()


def test_a_busy_connection_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # Used again within the idle window, the lost connection is not pinged: the first use fails, and the
    # pool, knowing the server went away, gives a fresh one to the next.
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 3600.0)
    engine, pid = _lose_pooled_connection()
    with pytest.raises(OperationalError), engine.connect() as conn:
        conn.execute(text("select 1"))
    with engine.connect() as conn:
        assert conn.execute(text("select pg_backend_pid()")).scalar_one() != pid
    engine.dispose()
