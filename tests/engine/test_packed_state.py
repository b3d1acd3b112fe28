"""What a dossier keeps, kept small, on both databases: its engine state, its legal clock and the facts of its
papers are stored zlib-compressed (migrations 0010 and 0012 pack the existing rows and unpack them on
downgrade; 0014 repacks them with a preset dictionary), and the inbox's indexes of work items hold only the
open ones (migration 0013)."""

from __future__ import annotations

import json
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select, text

from engine.onestop.documents import Document
from engine.runtime.db import PackedJSON, PackedText, make_engine
from engine.runtime.dossier import Dossier
from engine.runtime.packing import DICTIONARY_1, unpack
from engine.runtime.schema import alembic_config
from engine.runtime.work_item import IS_OPEN, WorkItem
from tests.conftest import postgres_schema

# Shaped like SpiffWorkflow's state: the same keys over and over, task ids, Vietnamese data.
STATE = json.dumps({"data": {"applicant": "Bệnh viện Đa khoa Đồng Nai"}, "tasks": {
    str(uuid.UUID(int=i)): {"id": str(uuid.UUID(int=i)), "parent": None, "children": [], "state": 64,
                            "task_spec": f"task_{i}", "triggered": False, "internal_data": {}, "data": {}}
    for i in range(12)}}, separators=(",", ":"))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite'}"
        return
    with postgres_schema() as url:
        yield url


def _migrate(url: str, step: Callable[..., None], revision: str) -> None:
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)
    engine.dispose()


# Rows as an older schema holds them, written before migrating.
_DEFINITION = text("INSERT INTO process_definition (id, process_id, name, version, content_hash, spec_json, files, "
                   "catalogue, deployed_at, deployed_by) VALUES (1, 'p', 'P', 1, 'h', '{}', '{}', '{}', "
                   "CURRENT_TIMESTAMP, 't')")
_DOSSIER = text("INSERT INTO dossier (id, process_id, definition_id, status, title, channel, state, summary, "
                "legal_clock, clock_paused, milestones_fired, created_at, created_by, updated_at, version) VALUES "
                "(:id, 'p', 1, :status, '', 'desk', :state, '{}', :clock, false, '[]', CURRENT_TIMESTAMP, 't', "
                "CURRENT_TIMESTAMP, 1)")
_DOCUMENT = text("INSERT INTO document (id, dossier_id, kind, number, title, created_at, created_by, filename, "
                 "size, facts, sha256) VALUES (1, 1, 'receipt', '01/TNHS', 'Giấy', CURRENT_TIMESTAMP, 't', 'r.pdf', "
                 "1, :facts, 'h')")
_STATE_OF_ONE = "SELECT state FROM dossier WHERE id = 1"


def _stored(url: str, sql: str) -> list[object]:
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = list(conn.execute(text(sql)).scalars())
    engine.dispose()
    return stored


def test_the_migration_packs_existing_states_and_unpacks_them_on_downgrade(empty_database: str) -> None:
    url = empty_database
    _migrate(url, command.upgrade, "0009")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(_DEFINITION)
        conn.execute(_DOSSIER, {"id": 1, "status": "running", "state": STATE, "clock": None})
    engine.dispose()

    _migrate(url, command.upgrade, "head")
    [packed] = _stored(url, _STATE_OF_ONE)
    assert isinstance(packed, bytes) and unpack(packed).decode("utf-8") == STATE
    assert len(packed) < len(STATE.encode("utf-8")) / 3
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(select(Dossier.state).where(Dossier.id == 1)) == STATE
    engine.dispose()

    _migrate(url, command.downgrade, "0009")
    assert _stored(url, _STATE_OF_ONE) == [STATE]


CLOCK = {"total": None, "events": [{"event": "start", "at": "2026-03-02T02:00:00.123456+00:00", "phase": "check",
                                   "duration": "5:working-days"}], "dates": [], "corrections": [], "others": {}}
FACTS = {"extra": {"applicant": {"name": "Bệnh viện Đa khoa Đồng Nai"}, "officer": "Nguyễn Thị Tiếp Nhận",
                   "checklist": [{"label": f"Thành phần hồ sơ số {i}", "form": "Bản chính"} for i in range(7)]}}


def test_the_migration_packs_legal_clocks_and_paper_facts_and_unpacks_them_on_downgrade(empty_database: str) -> None:
    url = empty_database
    _migrate(url, command.upgrade, "0011_scale")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(_DEFINITION)
        for dossier_id, clock in ((1, json.dumps(CLOCK, ensure_ascii=False)), (2, None)):
            conn.execute(_DOSSIER, {"id": dossier_id, "status": "completed", "state": zlib.compress(b"{}"),
                                    "clock": clock})
        conn.execute(_DOCUMENT, {"facts": json.dumps(FACTS, ensure_ascii=False)})
    engine.dispose()

    _migrate(url, command.upgrade, "head")
    clock, no_clock = _stored(url, "SELECT legal_clock FROM dossier ORDER BY id")
    [facts] = _stored(url, "SELECT facts FROM document")
    assert isinstance(clock, bytes) and json.loads(unpack(clock)) == CLOCK and no_clock is None
    assert isinstance(facts, bytes) and json.loads(unpack(facts)) == FACTS
    assert len(facts) < len(json.dumps(FACTS, ensure_ascii=False).encode("utf-8")) / 2
    engine = make_engine(url)
    with engine.connect() as conn:
        assert list(conn.scalars(select(Dossier.legal_clock).order_by(Dossier.id))) == [CLOCK, None]
        assert conn.scalar(select(Document.facts)) == FACTS
    engine.dispose()

    _migrate(url, command.downgrade, "0011_scale")
    clock, no_clock = _stored(url, "SELECT legal_clock FROM dossier ORDER BY id")
    [facts] = _stored(url, "SELECT facts FROM document")
    # JSON again: text on SQLite, json on PostgreSQL (which the driver reads as the value).
    assert [json.loads(v) if isinstance(v, str) else v for v in (clock, facts)] == [CLOCK, FACTS]
    assert no_clock is None


def _index_definitions(url: str) -> dict[str, str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        sql = ("SELECT name, sql FROM sqlite_master WHERE tbl_name = 'work_item' AND type = 'index'"
               if engine.dialect.name == "sqlite" else
               "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'work_item'")
        found = {name: " ".join(str(definition).split()) for name, definition in conn.execute(text(sql))}
    engine.dispose()
    return {name: found[name] for name in ("ix_work_item_inbox", "ix_work_item_assignee", "ix_work_item_waiting")}


def test_the_inbox_indexes_hold_only_open_items_after_the_migration(empty_database: str) -> None:
    url = empty_database
    _migrate(url, command.upgrade, "0012_packed_json")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(_DEFINITION)
        conn.execute(_DOSSIER, {"id": 1, "status": "running", "state": zlib.compress(b"{}"), "clock": None})
        for item_id, status in ((1, "completed"), (2, "open")):
            conn.execute(text("INSERT INTO work_item (id, dossier_id, task_id, task_spec, name, role, status, "
                              "created_at) VALUES (:id, 1, :task, 't', 'T', 'specialist', :status, CURRENT_TIMESTAMP)"),
                         {"id": item_id, "task": f"task-{item_id}", "status": status})
    engine.dispose()
    assert not any("WHERE" in d for d in _index_definitions(url).values())

    _migrate(url, command.upgrade, "head")
    definitions = _index_definitions(url)
    assert all("WHERE" in d and "status" in d.split("WHERE")[1] and "'open'" in d for d in definitions.values())
    assert all("status" not in d.split("WHERE")[0] for d in definitions.values())
    engine = make_engine(url)
    with engine.connect() as conn:
        inbox = select(WorkItem.id).where(IS_OPEN, WorkItem.role == "specialist").order_by(WorkItem.due_at)
        assert list(conn.scalars(inbox)) == [2]
    engine.dispose()

    _migrate(url, command.downgrade, "0012_packed_json")
    assert not any("WHERE" in d for d in _index_definitions(url).values())


@pytest.mark.parametrize("size", [0, 1, 511, 512, 1024, 5_000, 40_000, 200_000])
def test_packed_values_read_back_whatever_their_size(size: int) -> None:
    # The window is sized to each value (engine.runtime.db._pack): both ends of the range and its steps.
    value = ("Thẩm định hồ sơ tiếp nhận " * (size // 20 + 1))[:size]
    packed = PackedText().process_bind_param(value, None)
    # At most 4 bytes more than zlib alone: the dictionary's id in the header.
    assert packed is not None and len(packed) <= len(zlib.compress(value.encode("utf-8"), 6)) * 1.03 + 5
    assert zlib.decompressobj(zdict=DICTIONARY_1).decompress(packed).decode("utf-8") == value
    assert PackedText().process_result_value(packed, None) == value
    facts = {"extra": {"checklist": [value]}}
    assert PackedJSON().process_result_value(PackedJSON().process_bind_param(facts, None), None) == facts


def test_the_migration_repacks_values_with_the_dictionary_and_without_it_on_downgrade(empty_database: str) -> None:
    url = empty_database
    _migrate(url, command.upgrade, "0013_open_item_indexes")
    plain = {"state": zlib.compress(STATE.encode("utf-8"), 6),
             "clock": zlib.compress(json.dumps(CLOCK, ensure_ascii=False).encode("utf-8"), 6),
             "facts": zlib.compress(json.dumps(FACTS, ensure_ascii=False).encode("utf-8"), 6)}
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(_DEFINITION)
        conn.execute(_DOSSIER, {"id": 1, "status": "running", "state": plain["state"], "clock": plain["clock"]})
        conn.execute(_DOSSIER, {"id": 2, "status": "running", "state": plain["state"], "clock": None})
        conn.execute(_DOCUMENT, {"facts": plain["facts"]})
    engine.dispose()

    _migrate(url, command.upgrade, "head")
    [state, _], [clock, no_clock] = (_stored(url, f"SELECT {c} FROM dossier ORDER BY id")
                                     for c in ("state", "legal_clock"))
    [facts] = _stored(url, "SELECT facts FROM document")
    repacked = {"state": bytes(state), "clock": bytes(clock), "facts": bytes(facts)}
    for name, value in repacked.items():
        assert value[1] & 0x20 and int.from_bytes(value[2:6], "big") == zlib.adler32(DICTIONARY_1), name
        assert len(value) < len(plain[name]) and unpack(value) == zlib.decompress(plain[name]), name
    assert no_clock is None
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(select(Dossier.state, Dossier.legal_clock).where(Dossier.id == 1)).one() == (STATE, CLOCK)
        assert conn.scalar(select(Document.facts)) == FACTS
    engine.dispose()

    _migrate(url, command.downgrade, "0013_open_item_indexes")
    [state, _], [clock, _] = (_stored(url, f"SELECT {c} FROM dossier ORDER BY id") for c in ("state", "legal_clock"))
    [facts] = _stored(url, "SELECT facts FROM document")
    assert [zlib.decompress(v) for v in (state, clock, facts)] == [zlib.decompress(v) for v in plain.values()]


def test_a_value_packed_with_an_unknown_dictionary_is_refused_clearly() -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zdict=b'{"a later dictionary":""}')
    value = packer.compress(b'{"a later dictionary":"x"}') + packer.flush()
    with pytest.raises(ValueError, match="dictionary this version does not know"):
        unpack(value)
    assert unpack(zlib.compress(STATE.encode("utf-8"))) == STATE.encode("utf-8")  # written before 0014
