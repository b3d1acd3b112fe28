"""The service layer's commands: a procedure that is not among the eleven issues its own result paper, papers
and mails go through the outbox (a refused mail is retried until the server takes it), and the same command
driven from the officer's page and from the API leaves the same state."""

from __future__ import annotations

import io
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.api_token import create_token
from engine.legal_time.clock import clock
from engine.onestop.documents import Document
from engine.runtime import audit
from engine.runtime import db as db_module
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.outbox import LEASE, NICENESS, PREPARED_LEASE, OutboxEntry, OutboxStatus, backoff
from engine.runtime.problems import ValidationFailed
from engine.runtime.validation import read_folder
from engine.runtime.work_item import WorkItem
from engine.service.commands import Claimed, Commands, Opened
from engine.service.outbox_process import outbox_runner
from tests.service.conftest import APPLICANT_EMAIL, BPMN_ROOT, PROCESS, office, register
from tests.webapp.conftest import csrf_token, sign_in
from webapp import create_app


def open_item(commands: Commands, dossier_id: int) -> WorkItem:
    with commands.dossiers.read_session() as session:
        return session.scalar(select(WorkItem).where(WorkItem.dossier_id == dossier_id, WorkItem.status == "open"))


def papers(commands: Commands, dossier_id: int) -> list[tuple[str, bytes]]:
    with commands.dossiers.read_session() as session:
        return [(d.kind, d.content) for d in session.scalars(
            select(Document).where(Document.dossier_id == dossier_id).order_by(Document.id))]


def outbox_rows(commands: Commands, dossier_id: int) -> list[OutboxEntry]:
    with commands.dossiers.read_session() as session:
        return list(session.scalars(select(OutboxEntry).where(OutboxEntry.dossier_id == dossier_id)
                                    .order_by(OutboxEntry.id)))


def text_of(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def test_a_new_procedure_deploys_and_issues_its_own_result_paper(make_commands, smtp) -> None:
    settings, mailbox = smtp
    commands = make_commands(settings)
    opened = register(commands)
    assert opened.receipt.number and opened.receipt.kind == "receipt"
    item = open_item(commands, opened.dossier_id)
    assert item.task_spec == "assess" and item.role == "specialist"

    done = commands.complete_work_item(item.id, {"decision": "issue"}, "chuyenvien", {"specialist"})

    # procedure.json says `result.kind` = declaration_confirmation: `result` in the diagram stands for it.
    assert [(p.kind, p.status) for p in done.papers] == [("declaration_confirmation", OutboxStatus.DONE)]
    kinds = [kind for kind, _ in papers(commands, opened.dossier_id)]
    assert kinds == ["receipt", "declaration_confirmation"]
    assert opened.code in text_of(papers(commands, opened.dossier_id)[-1][1])
    assert done.outcome.status == "completed"
    assert mailbox.subjects() == [f"Tiếp nhận hồ sơ {opened.code}", f"Kết quả giải quyết hồ sơ {opened.code}"]
    assert all(m["To"] == APPLICANT_EMAIL for m in mailbox.messages)


def _files_with(sheet_change: Callable[[dict], None]) -> dict[str, str]:
    files = {f"bpmn/{k}": v for k, v in read_folder(BPMN_ROOT).items()}
    sheet_path = f"bpmn/{PROCESS}/procedure.json"
    sheet = json.loads(files[sheet_path])
    sheet_change(sheet)
    files[sheet_path] = json.dumps(sheet)
    return files


def test_deploy_checks_the_result_paper_the_procedure_names(make_commands) -> None:
    commands = make_commands()
    with pytest.raises(ValidationFailed) as wrong_kind:
        commands.deploy(_files_with(lambda s: s["result"].update(kind="receipt")), "test")
    assert any("result.kind: 'receipt' is not a kind of result paper" in p.message for p in wrong_kind.value.problems)
    with pytest.raises(ValidationFailed) as wrong_entry:
        commands.deploy(_files_with(lambda s: s["result"].update(registry="laboratory")), "test")
    assert any("result.registry: 'laboratory' is not a kind of registry entry" in p.message
               for p in wrong_entry.value.problems)
    with pytest.raises(ValidationFailed) as none:
        commands.deploy(_files_with(lambda s: s.pop("result")), "test")
    assert any(p.element_id == "assess" and "names no result paper" in p.message for p in none.value.problems)


def test_a_refused_mail_is_retried_with_backoff_until_the_server_takes_it(make_commands, smtp) -> None:
    settings, mailbox = smtp
    mailbox.refuse = 2
    commands = make_commands(settings)
    opened = register(commands)
    [paper, mail] = outbox_rows(commands, opened.dossier_id)
    assert (paper.kind, paper.status) == ("paper", OutboxStatus.DONE)
    assert (mail.kind, mail.status, mail.attempts) == ("mail", OutboxStatus.PENDING, 1)
    assert "451" in mail.last_error and mail.available_at == clock.now() + backoff(1)
    assert mailbox.messages == []

    assert commands.outbox.drain() == 0  # not before its time
    clock.advance(backoff(1))
    assert commands.outbox.drain() == 1
    [_, mail] = outbox_rows(commands, opened.dossier_id)
    assert (mail.status, mail.attempts) == (OutboxStatus.PENDING, 2)
    assert mail.available_at == clock.now() + backoff(2) and backoff(2) == 2 * backoff(1)

    clock.advance(backoff(2))
    assert commands.outbox.drain() == 1
    [_, mail] = outbox_rows(commands, opened.dossier_id)
    assert (mail.status, mail.attempts, mail.last_error) == (OutboxStatus.DONE, 3, None)
    assert mailbox.subjects() == [f"Tiếp nhận hồ sơ {opened.code}"]
    assert mail.result["message_id"] == str(mailbox.messages[0]["Message-ID"])
    assert "_secret" not in mail.payload
    with commands.dossiers.read_session() as session:
        tries = session.scalars(select(AuditEvent.data).where(AuditEvent.command == "notify")).all()
    assert [t["error"] is None for t in tries] == [False, False, True]
    assert commands.outbox.drain() == 0  # done stays done


def test_a_command_commits_while_a_mail_is_being_sent(make_commands, smtp, monkeypatch) -> None:
    """The conversation with the mail server holds no writer's lock: on SQLite a runner that read the receipt
    to attach through its own session held the write lock until the server answered, and every command waited."""
    monkeypatch.setattr(db_module, "BUSY_TIMEOUT", 0.5)
    settings, mailbox = smtp
    commands, opened = receipt_waiting(make_commands, settings, monkeypatch)
    assert commands.outbox.drain(internal_only=True) == 1  # the receipt, and its mail queued
    accept = mailbox.handle_DATA
    written: list[str] = []

    async def meanwhile(server, session, envelope):  # type: ignore[no-untyped-def]
        with commands.dossiers.write_session() as other:  # a command of the server's, before the answer
            audit.record(other, actor="tiepnhan", command="note", dossier_id=opened.dossier_id, data={})
            other.commit()
        written.append("note")
        return await accept(server, session, envelope)

    monkeypatch.setattr(mailbox, "handle_DATA", meanwhile)
    assert commands.outbox.drain() == 1
    [_, mail] = outbox_rows(commands, opened.dossier_id)
    assert (mail.status, written) == (OutboxStatus.DONE, ["note"])
    assert mailbox.subjects() == [f"Tiếp nhận hồ sơ {opened.code}"]
    assert len(list(mailbox.messages[0].iter_attachments())) == 1  # the receipt the runner read before


def receipt_waiting(make_commands, settings, monkeypatch) -> tuple[Commands, Opened]:  # type: ignore[no-untyped-def]
    """Commands without an inline outbox, and a dossier registered with them whose receipt waits in the outbox."""
    commands = make_commands(settings, mail_inline=False)
    with monkeypatch.context() as later:
        later.setattr(commands.outbox, "drain", lambda *args, **kwargs: 0)
        opened = register(commands)
    return commands, opened


def test_a_paper_whose_runner_died_while_drawing_it_is_drawn_again_within_a_minute(make_commands, smtp,
                                                                                    monkeypatch) -> None:
    """Drawing a paper is local work: a dead runner's claim on it lasts a minute, not the mail's five."""
    settings, _mailbox = smtp
    commands, opened = receipt_waiting(make_commands, settings, monkeypatch)
    with commands.dossiers.write_session() as session:  # a runner claims the receipt, then dies
        claimed = commands.outbox._claim(session, [opened.dossier_id], ["paper"])
        session.commit()
    [paper] = outbox_rows(commands, opened.dossier_id)
    assert claimed == (paper.id, "paper", 1) and paper.claimed_until == clock.now() + PREPARED_LEASE
    assert PREPARED_LEASE <= timedelta(minutes=1) < LEASE
    clock.advance(PREPARED_LEASE - timedelta(seconds=1))
    assert commands.outbox.drain(internal_only=True) == 0  # still the dead runner's
    clock.advance(timedelta(seconds=1))
    assert commands.outbox.drain(internal_only=True) == 1
    [paper, mail] = outbox_rows(commands, opened.dossier_id)
    assert (paper.status, paper.attempts, mail.kind) == (OutboxStatus.DONE, 2, "mail")
    with commands.dossiers.read_session() as session:
        assert session.scalars(select(Document.kind).where(Document.dossier_id == opened.dossier_id)).all() == [
            "receipt"]


def test_a_paper_rendered_by_a_runner_whose_claim_ran_out_is_recorded_once(make_commands, smtp,
                                                                            monkeypatch) -> None:
    settings, _mailbox = smtp
    commands, opened = receipt_waiting(make_commands, settings, monkeypatch)
    [paper] = outbox_rows(commands, opened.dossier_id)
    assert (paper.status, paper.payload["number"]) == (OutboxStatus.PENDING, "01/TNHS-SKHCN")
    other = make_commands(settings, mail_inline=False)
    effect = commands.outbox.effects["paper"]
    assert effect.prepare is not None

    def slow(session: Session, entry: OutboxEntry) -> object:
        drafted = effect.prepare(session, entry)  # type: ignore[misc]
        # Rendered without a writer's lock: the lease runs out meanwhile and another runner does the row.
        clock.advance(LEASE)
        assert other.outbox.run_next(internal_only=True)
        return drafted

    monkeypatch.setitem(commands.outbox.effects, "paper", replace(effect, prepare=slow))
    assert commands.outbox.run_next(internal_only=True)
    with commands.dossiers.read_session() as session:
        receipts = session.scalars(select(Document).where(Document.dossier_id == opened.dossier_id)).all()
    assert [(d.kind, d.number) for d in receipts] == [("receipt", "01/TNHS-SKHCN")]
    [paper, mail] = outbox_rows(commands, opened.dossier_id)
    assert (paper.status, paper.attempts, paper.result["document_id"]) == (OutboxStatus.DONE, 2, receipts[0].id)
    assert (mail.kind, mail.status) == ("mail", OutboxStatus.PENDING)  # one mail: the undone run queued none


def test_an_officer_retries_a_failed_mail_and_resends_a_sent_one(make_commands, smtp) -> None:
    settings, mailbox = smtp
    commands = make_commands(None)  # no server configured: the mail fails at once, with its reason
    opened = register(commands)
    [_, mail] = outbox_rows(commands, opened.dossier_id)
    assert (mail.status, mail.last_error) == (OutboxStatus.FAILED, "no SMTP server configured (MOTCUA_SMTP_HOST)")
    assert mail.attempts == 0  # failed as it was queued: no runner took it up to find that out
    clock.advance(timedelta(days=1))
    assert commands.outbox.drain() == 0  # failed is for a person to retry

    configured = make_commands(settings)
    configured.retry_effect(opened.dossier_id, mail.id, "tiepnhan")
    [_, mail] = outbox_rows(commands, opened.dossier_id)
    assert mail.status == OutboxStatus.DONE and len(mailbox.messages) == 1

    configured.resend_mail(opened.dossier_id, mail.id, "tiepnhan")
    rows = outbox_rows(commands, opened.dossier_id)
    assert [(r.kind, r.status) for r in rows] == [("paper", "done"), ("mail", "done"), ("mail", "done")]
    assert len(mailbox.messages) == 2 and mailbox.messages[0]["Message-ID"] != mailbox.messages[1]["Message-ID"]


def test_a_claimed_item_is_refused_to_others_and_nothing_is_written(make_commands) -> None:
    commands = make_commands()
    opened = register(commands)
    item = open_item(commands, opened.dossier_id)
    commands.claim(item.id, "chuyenvien", {"specialist"})
    before = len(outbox_rows(commands, opened.dossier_id))
    with pytest.raises(Claimed) as claimed:
        commands.complete_work_item(item.id, {"decision": "issue"}, "someone_else", {"specialist"})
    assert claimed.value.assignee == "chuyenvien"
    assert open_item(commands, opened.dossier_id).id == item.id
    assert len(outbox_rows(commands, opened.dossier_id)) == before


def _state(session: Session, dossier_id: int) -> dict:
    """Everything a completing command leaves, less what differs by nature (ids, codes, who, PDF bytes)."""
    from engine.runtime.dossier import Dossier

    dossier = session.get(Dossier, dossier_id)
    items = session.execute(select(WorkItem.task_spec, WorkItem.status).where(WorkItem.dossier_id == dossier_id)
                            .order_by(WorkItem.id)).all()
    documents = session.scalars(select(Document.kind).where(Document.dossier_id == dossier_id)
                                .order_by(Document.id)).all()
    effects = session.execute(select(OutboxEntry.kind, OutboxEntry.status, OutboxEntry.payload)
                              .where(OutboxEntry.dossier_id == dossier_id).order_by(OutboxEntry.id)).all()
    events = session.execute(select(AuditEvent.command, AuditEvent.task_name, AuditEvent.data)
                             .where(AuditEvent.dossier_id == dossier_id).order_by(AuditEvent.id)).all()
    return {
        "dossier": (dossier.status, dossier.version, dossier.due_at, dossier.finished_at),
        "items": [tuple(r) for r in items], "documents": documents,
        "effects": [(k, s, p.get("kind") or p.get("notice")) for k, s, p in effects],
        "events": [(c, n, d.get("data") if c == "complete" else None) for c, n, d in events],
    }


def test_the_officer_page_and_the_api_run_the_same_command_to_the_same_state(db, demo_hash, make_commands,
                                                                               smtp) -> None:
    settings, _mailbox = smtp
    app = create_app({"DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test", "BPMN_ROOT": str(BPMN_ROOT), "SMTP": settings})
    commands = app.extensions["motcua"].commands
    by_page, by_api = register(commands, "Phòng thử nghiệm A"), register(commands, "Phòng thử nghiệm B")
    reasons = "Phòng thử nghiệm chưa có quy trình kiểm soát chất lượng"

    client = app.test_client()
    sign_in(client, "chuyenvien")
    page_item = open_item(commands, by_page.dossier_id)
    page = client.get(f"/tasks/{page_item.id}").get_data(as_text=True)
    version = page.split('name="version" value="', 1)[1].split('"', 1)[0]
    answer = client.post(f"/tasks/{page_item.id}", data={
        "version": version, "decision": "refuse", "refusal_reasons": reasons,
        "csrf_token": csrf_token(client, f"/tasks/{page_item.id}")})
    assert answer.status_code == 302, answer.get_data(as_text=True)

    with make_session_factory(db, write=True)() as session:
        _row, token = create_token(session, "test", "chuyenvien", "quantri", ["work_items:complete"])
        session.commit()
    api_item = open_item(commands, by_api.dossier_id)
    answer = app.test_client().post(f"/api/v1/work-items/{api_item.id}/complete",
                                    headers={"Authorization": f"Bearer {token}"},
                                    json={"version": int(version), "data": {"decision": "refuse",
                                                                            "refusal_reasons": reasons}})
    assert answer.status_code == 200, answer.json
    assert [d["kind"] for d in answer.json["documents"]] == ["refusal"]

    with make_session_factory(db)() as session:
        page_state, api_state = _state(session, by_page.dossier_id), _state(session, by_api.dossier_id)
    assert page_state == api_state
    assert page_state["documents"] == ["receipt", "refusal"]
    assert page_state["effects"] == [("paper", "done", "receipt"), ("mail", "done", "receipt"),
                                     ("paper", "done", "refusal"), ("mail", "done", "refusal")]
    assert page_state["items"] == [("assess", "completed")]


def test_the_service_tests_procedure_is_not_one_of_the_eleven() -> None:
    eleven = {p.name for p in (Path(__file__).resolve().parents[2] / "bpmn").iterdir() if p.is_dir()}
    assert PROCESS not in eleven


def test_the_web_process_mails_from_its_outbox_thread_right_after_the_commit(make_commands, smtp) -> None:
    settings, mailbox = smtp
    commands = make_commands(settings, mail_inline=False)  # as `motcua serve` runs
    opened = register(commands)
    assert [(r.kind, r.status, r.attempts) for r in outbox_rows(commands, opened.dossier_id)] == [
        ("paper", "done", 1), ("mail", "pending", 0)]  # the answer did not wait for the mail server
    commands.outbox.start_thread(interval=60)  # long: only the kick can make it run in time
    try:
        commands.outbox.kick()
        assert mailbox.arrived.wait(10)
    finally:
        commands.outbox.stop_thread()
    assert mailbox.subjects() == [f"Tiếp nhận hồ sơ {opened.code}"]
    assert outbox_rows(commands, opened.dossier_id)[-1].status == OutboxStatus.DONE


def test_the_outbox_process_beside_the_server_mails_right_after_the_commit(make_commands, smtp, db) -> None:
    settings, mailbox = smtp
    commands = make_commands(settings, mail_inline=False)
    # Spawned: its own interpreter, engine and connections, as `motcua serve` starts it.
    commands.outbox.start_process(outbox_runner, db.url.render_as_string(hide_password=False), office(settings),
                                  interval=60)  # long: only the kick can make it run in time
    try:
        assert commands.outbox.process_ready(60)
        # It yields the CPU to the server's requests.
        niceness = os.getpriority(os.PRIO_PROCESS, commands.outbox._process.pid)
        assert niceness == min(os.getpriority(os.PRIO_PROCESS, 0) + NICENESS, 19) > 0
        opened = register(commands)
        assert mailbox.arrived.wait(60)
        deadline = time.monotonic() + 30  # the row is marked done after the mail server's answer
        while outbox_rows(commands, opened.dossier_id)[-1].status != OutboxStatus.DONE and time.monotonic() < deadline:
            time.sleep(0.05)
        if db.dialect.name == "sqlite":
            # It also copies the WAL into the database file, so that no command pays for that copy.
            deadline = time.monotonic() + 30
            while (copied := _wal_copied(Path(db.url.database)))[0] < copied[1] and time.monotonic() < deadline:
                time.sleep(0.05)
            assert copied[0] == copied[1] > 0
    finally:
        commands.outbox.stop_process()
    assert mailbox.subjects() == [f"Tiếp nhận hồ sơ {opened.code}"]
    assert [r.status for r in outbox_rows(commands, opened.dossier_id)] == [OutboxStatus.DONE] * 2


def _wal_copied(database: Path) -> tuple[int, int]:
    """How many of the WAL's frames are in the database file, and how many it holds, as the WAL index tells
    (sqlite.org/walformat.html: mxFrame at byte 16 of its header, nBackfill at byte 96), read without a
    connection: opening one to ask would copy them itself."""
    index = (database.parent / f"{database.name}-shm").read_bytes()
    return int.from_bytes(index[96:100], sys.byteorder), int.from_bytes(index[16:20], sys.byteorder)


def test_runners_side_by_side_carry_out_each_row_once(make_commands, smtp) -> None:
    settings, mailbox = smtp
    commands = make_commands(settings, mail_inline=False)
    codes = {register(commands, f"Phòng thử nghiệm số {n}").code for n in range(8)}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            make_commands(settings).outbox.drain()
        except BaseException as err:  # reported below: a thread's failure must fail the test
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors
    assert sorted(mailbox.subjects()) == sorted(f"Tiếp nhận hồ sơ {code}" for code in codes)
    with commands.dossiers.read_session() as session:
        statuses = session.scalars(select(OutboxEntry.status).where(OutboxEntry.kind == "mail")).all()
    assert statuses == [OutboxStatus.DONE] * 8


def test_completing_a_work_item_deserializes_the_workflow_once(make_commands, monkeypatch) -> None:
    from engine.runtime import dossier_service

    commands = make_commands()
    kept = open_item(commands, register(commands).dossier_id)
    commands.dossiers.workflows.capacity = 0  # from now on this process keeps no workflow between commands
    item = open_item(commands, register(commands).dossier_id)
    loads = []
    original = dossier_service._serializer.state_from_json
    monkeypatch.setattr(dossier_service._serializer, "state_from_json",
                        lambda *args: loads.append(args[0]) or original(*args))
    commands.complete_work_item(item.id, {"decision": "issue"}, "chuyenvien", {"specialist"})
    assert len(loads) == 1
    # The workflow its last command kept in this process (engine.runtime.workflow_cache): not rebuilt at all.
    commands.complete_work_item(kept.id, {"decision": "issue"}, "chuyenvien", {"specialist"})
    assert len(loads) == 1


def test_a_worker_tick_carries_out_what_the_commands_left(make_commands, smtp) -> None:
    from engine.runtime.scheduler import TimerScheduler

    settings, mailbox = smtp
    commands = make_commands(settings, mail_inline=False)
    opened = register(commands)
    assert mailbox.messages == []
    worker = make_commands(settings)
    report = TimerScheduler(commands.dossiers.engine, smtp=None, outbox=worker.outbox).tick()
    assert report.effects == 1 and "outbox 1" in str(report)
    assert mailbox.subjects() == [f"Tiếp nhận hồ sơ {opened.code}"]
