"""A command on PostgreSQL sends its BEGIN with its first statement (engine.runtime.db): completing a task is
three round trips (BEGIN with the dossier's read, the writes, COMMIT), and so is completing a work item (its
check travels with that read); an online submission is seven; every write is still inside the command's
transaction, whichever way it is run. Completing the last task, which finishes the dossier, is three too."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from pathlib import Path

import pytest
from psycopg import pq
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.onestop.documents import Agency
from engine.onestop.online_submission import Submission
from engine.onestop.paperwork import Office
from engine.onestop.procedure_facts import facts_from_mapping
from engine.onestop.tracking import TrackingSecret
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService, Outcome
from engine.runtime.schema import create_schema
from engine.runtime.work_item import WorkItem
from engine.service.commands import Commands, Done, Opened
from tests.conftest import postgres_schema
from tests.engine.support import demo_files
from tests.engine.test_dossier_service import only


@pytest.fixture
def postgres() -> Iterator[Engine]:
    with postgres_schema() as url:
        engine = make_engine(url)
        create_schema(engine)
        clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
        with make_session_factory(engine, write=True)() as session:
            deploy_files(session, demo_files(), actor="test")
            session.commit()
        yield engine
        engine.dispose()


def test_completing_a_task_is_three_round_trips(postgres: Engine, tmp_path: Path) -> None:
    service = DossierService(postgres)
    first = service.start("licence_demo", {}, actor="tiepnhan")
    # The procedure's form and catalogue are read once per deployed version, by the first command that needs them.
    service.complete(first.dossier_id, only(first.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    out = service.start("licence_demo", {}, actor="tiepnhan")
    receive = only(out.ready, "receive")
    done: list[Outcome] = []
    messages = _messages(postgres, tmp_path / "libpq.trace", lambda: done.append(
        service.complete(out.dossier_id, receive.id, {"devices": ["ct"]}, actor="tiepnhan")))
    sent = [m[2] for m in messages if m[0] == "F"]
    answered = [m[2] for m in messages if m[0] == "B"]
    assert answered.count("ReadyForQuery") == 3, sent
    assert sent.index("Parse") < sent.index("Sync")  # the BEGIN went with the read, not alone
    assert [t.spec for t in done[0].ready] == ["check"]


def test_completing_the_last_task_is_three_round_trips_too(postgres: Engine, tmp_path: Path) -> None:
    # Whether a refusal letter makes the finished dossier count as returned was read with the dossier.
    service = DossierService(postgres)
    for _ in range(2):  # the first run reads the procedure's forms and catalogue once
        out = service.start("licence_demo", {}, actor="tiepnhan")
        for spec, data in (("receive", {"devices": ["ct"]}), ("check", {"dossier_complete": True})):
            out = service.complete(out.dossier_id, only(out.ready, spec).id, data, actor="tiepnhan")
        messages = _messages(postgres, tmp_path / "libpq.trace", partial(
            service.complete, out.dossier_id, only(out.ready, "appraise").id, {}, actor="chuyenvien"))
    assert _waits(messages) == 3, [m[2] for m in messages]
    with make_session_factory(postgres)() as session:
        assert session.scalar(select(Dossier.status).where(Dossier.id == out.dossier_id)) == "completed"


def _messages(engine: Engine, trace: Path, run: Callable[[], object]) -> list[list[str]]:
    """What `run` sent and received on the connection this thread last used (the pool hands it back): libpq's
    trace of it shows each message."""
    raw = engine.raw_connection()
    pgconn = raw.driver_connection.pgconn  # type: ignore[union-attr]
    with trace.open("w") as sink:
        pgconn.trace(sink.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS)
        raw.close()
        run()
        pgconn.untrace()
    return [line.split("\t") for line in trace.read_text().splitlines()]


def _waits(messages: list[list[str]]) -> int:
    """The round trips: each time the client sent and then the server answered (a pipeline's Flush included,
    which has the server answer without a ReadyForQuery)."""
    return sum(1 for sent, answer in pairwise(messages) if sent[0] == "F" and answer[0] == "B")


def test_an_online_submission_is_seven_round_trips(postgres: Engine, tmp_path: Path) -> None:
    # BEGIN with the code's number and the procedure's version, the dossier's row (its id), its other rows with
    # its work items' ids, the tracking secret, the receipt's number, its outbox row (its id), COMMIT. The API's
    # answer reads nothing more: the command hands back the work items it opened.
    commands = Commands.build(postgres, Office(agency=Agency(), agency_code="000.00.19.H19", bpmn_root=tmp_path,
                                               smtp=None))
    submission = Submission("licence_demo", {"applicant_name": "Bệnh viện Đa khoa Đồng Nai",
                                             "applicant_email": "bv@example.vn", "delivery": "email"})
    facts = facts_from_mapping("licence_demo", {})
    commands.submit_online(submission, facts, "api:test", "http://127.0.0.1/track")  # the statements prepared
    opened: list[Opened] = []
    messages = _messages(postgres, tmp_path / "libpq.trace", lambda: opened.append(
        commands.submit_online(submission, facts, "api:test", "http://127.0.0.1/track")))
    assert _waits(messages) == 7, [m[2] for m in messages if len(m) > 2]
    [started] = opened
    with make_session_factory(postgres)() as session:
        items = session.execute(select(WorkItem.id, WorkItem.task_spec)
                                .where(WorkItem.dossier_id == started.dossier_id)).all()
        assert session.scalar(select(TrackingSecret.dossier_id)
                              .where(TrackingSecret.dossier_id == started.dossier_id)) == started.dossier_id
    assert [(started.started.items[t.id], t.spec) for t in started.started.ready] == [tuple(i) for i in items]
    assert started.receipt.number and started.secret


def test_completing_a_work_item_reads_it_with_its_dossier(postgres: Engine, tmp_path: Path) -> None:
    # The officer's and the API's completion: the item's check travels with the dossier's read, so it costs
    # the three round trips of completing a task.
    commands = Commands.build(postgres, Office(agency=Agency(), agency_code="000.00.19.H19", bpmn_root=tmp_path,
                                               smtp=None))
    first = commands.dossiers.start("licence_demo", {}, actor="tiepnhan")
    commands.dossiers.complete(first.dossier_id, only(first.ready, "receive").id, {"devices": ["ct"]},
                               actor="tiepnhan")
    out = commands.dossiers.start("licence_demo", {}, actor="tiepnhan")
    with make_session_factory(postgres)() as session:
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.dossier_id == out.dossier_id))
    done: list[Done] = []
    messages = _messages(postgres, tmp_path / "libpq.trace", lambda: done.append(
        commands.complete_work_item(item_id, {"devices": ["ct"]}, "tiepnhan", {"reception"})))
    assert _waits(messages) == 3, [m[2] for m in messages]
    assert [t.spec for t in done[0].outcome.ready] == ["check"] and done[0].code == _code_of(postgres, out)


def _code_of(engine: Engine, out: Outcome) -> str | None:
    with make_session_factory(engine)() as session:
        return session.scalar(select(Dossier.code).where(Dossier.id == out.dossier_id))


def test_a_write_run_through_sqlalchemy_is_inside_the_command(postgres: Engine) -> None:
    service = DossierService(postgres)
    dossier_id = service.start("licence_demo", {}, actor="tiepnhan", title="BV Đa khoa").dossier_id
    with pytest.raises(RuntimeError), service.command() as session:
        session.execute(update(Dossier).where(Dossier.id == dossier_id).values(title="changed"))
        with postgres.connect() as other:  # not visible outside: the write is in an open transaction
            assert other.scalar(select(Dossier.title).where(Dossier.id == dossier_id)) == "BV Đa khoa"
        raise RuntimeError("the command fails after its write")
    with postgres.connect() as conn:
        assert conn.scalar(select(Dossier.title).where(Dossier.id == dossier_id)) == "BV Đa khoa"
