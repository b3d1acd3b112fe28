"""Prepared statements (engine.runtime.db.Prepared) write and read the same values as SQLAlchemy's own
execution, on both databases: aware UTC datetimes, JSON, booleans, packed text, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Date, bindparam, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from engine.runtime.db import Prepared, UtcDateTime, pipelined
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier

_DOSSIER = Dossier.__table__
_COLUMNS = ("process_id", "definition_id", "status", "title", "channel", "state", "summary", "legal_clock",
            "due_at", "clock_paused", "milestones_fired", "created_at", "created_by", "updated_at", "version")
_INSERT = Prepared(insert(_DOSSIER).returning(_DOSSIER.c.id), _COLUMNS)
_READ = Prepared(select(*(_DOSSIER.c[c] for c in _COLUMNS)).where(_DOSSIER.c.id == bindparam("p_id")), ("p_id",))


def _definition(db: Engine) -> int:
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with db.begin() as conn:
        return conn.execute(insert(ProcessDefinition).returning(ProcessDefinition.id), {
            "process_id": "p", "name": "p", "version": 1, "content_hash": "h", "spec_json": "{}", "files": {},
            "catalogue": {}, "deployed_at": now, "deployed_by": "test"}).scalar_one()


def _values(definition_id: int) -> dict[str, Any]:
    hanoi = timezone(timedelta(hours=7))
    return {"process_id": "p", "definition_id": definition_id, "status": "running", "title": "Bệnh viện Đồng Nai",
            "channel": "desk", "state": '{"tasks":{"a":"Thẩm định"}}', "summary": {}, "milestones_fired": [],
            "legal_clock": {"events": [{"at": "2026-03-02T02:00:00+00:00", "note": "Tiếp nhận"}], "total": 30},
            "due_at": datetime(2026, 3, 9, 23, 59, 59, 999999, tzinfo=hanoi), "clock_paused": True,
            "created_at": datetime(2026, 3, 2, 2, 0, 0, 123456, tzinfo=UTC), "created_by": "bench",
            "updated_at": datetime(2026, 3, 2, 9, 0, tzinfo=hanoi), "version": 1}


def test_a_prepared_insert_stores_what_sqlalchemy_stores_and_reads_it_back_the_same(db: Engine) -> None:
    definition_id = _definition(db)
    values = _values(definition_id)
    with db.begin() as conn:
        ours = _INSERT.rows(conn, values)[0]["id"]
        theirs = conn.execute(insert(_DOSSIER).returning(_DOSSIER.c.id), values).scalar_one()
    with db.connect() as conn:
        stored = {i: conn.execute(select(*(_DOSSIER.c[c] for c in _COLUMNS)).where(_DOSSIER.c.id == i))
                  .mappings().one() for i in (ours, theirs)}
        raw = {i: conn.exec_driver_sql(f"SELECT due_at, created_at, legal_clock FROM dossier WHERE id = {i}").one()
               for i in (ours, theirs)}
        read = _READ.rows(conn, {"p_id": ours})
    assert dict(stored[ours]) == dict(stored[theirs])
    assert raw[ours] == raw[theirs]  # the very same stored form, not only equal once read
    assert read == [dict(stored[theirs])]
    assert read[0]["due_at"] == values["due_at"] and read[0]["due_at"].tzinfo == UTC
    assert read[0]["state"] == values["state"] and read[0]["clock_paused"] is True


def test_many_rows_at_once_and_a_text_statement_with_typed_binds(db: Engine) -> None:
    upsert = Prepared(text(
        "INSERT INTO daily_figure (process_id, channel, day, measure, count) "
        "VALUES (:process_id, :channel, :day, :measure, :count) "
        "ON CONFLICT (process_id, channel, day, measure) DO UPDATE SET count = daily_figure.count + excluded.count"
    ).bindparams(bindparam("day", type_=Date())), ("process_id", "channel", "day", "measure", "count"))
    rows = [{"process_id": "p", "channel": "desk", "day": date(2026, 3, d), "measure": "received", "count": d}
            for d in (1, 2, 1)]
    with db.begin() as conn:
        upsert.execute(conn, rows)
        upsert.execute(conn, rows[0])
    with db.connect() as conn:
        counts = conn.execute(text("SELECT day, count FROM daily_figure ORDER BY day")).all()
    assert [(str(day), n) for day, n in counts] == [("2026-03-01", 3), ("2026-03-02", 2)]


def test_a_missing_value_is_refused_before_anything_runs(db: Engine) -> None:
    partial = Prepared(insert(_DOSSIER), ("process_id", "definition_id"))
    with db.begin() as conn, pytest.raises(ValueError, match="needs values for"):
        partial.execute(conn, {"process_id": "p", "definition_id": 1})


def test_writes_in_a_pipeline_land_together_and_an_error_is_raised_as_sqlalchemys_with_nothing_landed(
        db: Engine) -> None:
    add = Prepared(text("INSERT INTO calendar_override (date, kind, reason, created_by, created_at) "
                        "VALUES (:day, 'day_off', 'Tết', 'test', :at)")
                   .bindparams(bindparam("day", type_=Date()), bindparam("at", type_=UtcDateTime())), ("day", "at"))
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    with db.begin() as conn, pipelined(conn):
        add.execute(conn, [{"day": date(2027, 2, d), "at": at} for d in (5, 6)])
        add.execute(conn, {"day": date(2027, 2, 7), "at": at})
    # The failing statement last: its error comes back only when the block ends.
    with pytest.raises(IntegrityError), db.begin() as conn, pipelined(conn):
        add.execute(conn, {"day": date(2027, 2, 8), "at": at})
        add.execute(conn, {"day": date(2027, 2, 5), "at": at})
    with db.connect() as conn:
        days = conn.execute(text("SELECT date FROM calendar_override ORDER BY date")).scalars().all()
    assert [str(d) for d in days] == ["2027-02-05", "2027-02-06", "2027-02-07"]


def test_values_the_statement_holds_itself_need_not_be_given(db: Engine) -> None:
    definition_id = _definition(db)
    newest = Prepared(select(_DOSSIER.c.id).where(_DOSSIER.c.status == "running", _DOSSIER.c.title == bindparam("t"))
                      .order_by(_DOSSIER.c.id.desc()).limit(1), ("t",))
    with db.begin() as conn:
        ids = [_INSERT.rows(conn, {**_values(definition_id), "status": status})[0]["id"]
               for status in ("running", "running", "completed")]
        assert newest.rows(conn, {"t": "Bệnh viện Đồng Nai"}) == [{"id": ids[1]}]
        assert newest.rows(conn, {"t": "another"}) == []


def test_the_count_of_an_update_in_a_pipeline_is_there_once_the_pipeline_ends(db: Engine) -> None:
    definition_id = _definition(db)
    bump = Prepared(update(_DOSSIER).where(_DOSSIER.c.version == bindparam("p_version")), ("version", "p_version"))
    with db.begin() as conn:
        for _ in range(3):
            _INSERT.execute(conn, _values(definition_id))
        with pipelined(conn):
            all_three = bump.counted(conn, {"version": 2, "p_version": 1})
            none = bump.counted(conn, {"version": 3, "p_version": 7})
        assert (all_three(), none()) == (3, 0)


def test_a_prepared_write_on_a_fresh_connection_is_in_its_transaction(db: Engine) -> None:
    definition_id = _definition(db)
    with db.connect() as conn:
        _INSERT.execute(conn, _values(definition_id))
        conn.rollback()
        assert conn.execute(select(_DOSSIER.c.id)).all() == []
