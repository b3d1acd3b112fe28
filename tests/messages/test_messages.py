"""Messages from outside systems reach the catch event, receive task, gateway branch or boundary event that
waits for them: on time, early (kept, then caught), late (after being kept too long: never), twice (taken
once), with no match (refused, nothing stored), and from two senders at once. Every test runs on SQLite
and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import CommandError, InvalidData, NotFound, TaskNotReady
from engine.runtime.inbound_message import KEEP_EARLY, InboundMessage, MessageStatus
from engine.runtime.messages import MessageService
from engine.runtime.scheduler import TimerScheduler

FEE = {"fee_paid": 500000, "fee_paid_on": "2026-03-03"}


def registered(dossiers: DossierService, code: str = "C-1", ppc_ref: str = "UBND/17") -> int:
    """A messages_demo dossier past its reception step: it waits for the registry's acknowledgement."""
    started = dossiers.start("messages_demo", {}, "tiepnhan", code=code)
    dossiers.complete(started.dossier_id, started.ready[0].id, {"ppc_ref": ppc_ref}, "tiepnhan")
    return started.dossier_id


def stored(db: Engine) -> list[InboundMessage]:
    with make_session_factory(db)() as session:
        return list(session.scalars(select(InboundMessage).order_by(InboundMessage.id)))


def ready_specs(dossiers: DossierService, dossier_id: int) -> list[str]:
    return [t.spec for t in dossiers.ready_tasks(dossier_id)]


def test_a_catch_event_gets_the_message_for_its_dossier_code(dossiers: DossierService, messages: MessageService,
                                                             db: Engine) -> None:
    dossier_id = registered(dossiers)
    delivery = messages.send("registry_ack", "C-1", {"registry_number": "QG-889"}, "api:registry")
    assert (delivery.status, delivery.dossier_id, delivery.element_id) == ("delivered", dossier_id, "await_registry")
    # Without a message variable, the payload's fields join the process data.
    assert dossiers.data(dossier_id)["registry_number"] == "QG-889"
    with make_session_factory(db)() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.command == "message")).one()
    assert (event.actor, event.dossier_id, event.data["message"]) == ("message:api:registry", dossier_id,
                                                                      "registry_ack")


def test_a_receive_task_answers_to_the_key_its_diagram_declares(dossiers: DossierService,
                                                                messages: MessageService) -> None:
    dossier_id = registered(dossiers, ppc_ref="UBND/17")
    messages.send("registry_ack", "C-1", {}, "api:registry")
    # The receive task's key is `ppc_ref`, not the dossier code.
    with pytest.raises(NotFound):
        messages.send("ppc_answer", "C-1", {"agrees": True}, "api:lgsp")
    delivery = messages.send("ppc_answer", "UBND/17", {"agrees": True}, "api:lgsp")
    assert (delivery.status, delivery.element_id) == ("delivered", "await_answer")
    # The message variable of bpmn:message holds the payload whole.
    assert dossiers.data(dossier_id)["ppc_answer"] == {"agrees": True}


def test_an_early_message_is_kept_and_caught_when_its_catcher_is_ready(dossiers: DossierService,
                                                                       messages: MessageService, db: Engine) -> None:
    dossier_id = registered(dossiers)
    early = messages.send("ppc_answer", "UBND/17", {"agrees": False}, "api:lgsp")
    assert (early.status, early.dossier_id, early.element_id) == ("kept", dossier_id, None)
    assert early.keep_until == clock.now() + KEEP_EARLY
    assert "ppc_ref" in dossiers.data(dossier_id) and "ppc_answer" not in dossiers.data(dossier_id)
    # The registry's acknowledgement makes the receive task ready: the kept answer is caught in that command.
    messages.send("registry_ack", "C-1", {}, "api:registry")
    assert dossiers.data(dossier_id)["ppc_answer"] == {"agrees": False}
    assert [(m.status, m.element_id) for m in stored(db)] == [("delivered", "await_answer"),
                                                             ("delivered", "await_registry")]


def test_a_message_kept_past_its_time_is_not_caught(dossiers: DossierService, messages: MessageService,
                                                    db: Engine) -> None:
    dossier_id = registered(dossiers)
    messages.send("ppc_answer", "UBND/17", {"agrees": False}, "api:lgsp")
    clock.advance(KEEP_EARLY + timedelta(minutes=1))
    messages.send("registry_ack", "C-1", {}, "api:registry")
    assert "ppc_answer" not in dossiers.data(dossier_id)
    assert [m.status for m in stored(db)] == [MessageStatus.KEPT, MessageStatus.DELIVERED]
    # Sent again now, it is caught at once.
    assert messages.send("ppc_answer", "UBND/17", {"agrees": True}, "api:lgsp").status == "delivered"


def test_a_message_sent_twice_is_taken_once(dossiers: DossierService, messages: MessageService, db: Engine) -> None:
    dossier_id = registered(dossiers)
    first = messages.send("registry_ack", "C-1", {"n": 1}, "api:registry", message_id="ack-1")
    again = messages.send("registry_ack", "C-1", {"n": 2}, "api:registry", message_id="ack-1")
    assert (first.status, again.status) == ("delivered", "duplicate")
    assert (again.dossier_id, again.element_id) == (dossier_id, "await_registry")
    assert dossiers.data(dossier_id)["n"] == 1
    assert len(stored(db)) == 1
    # The same message under another id: its catcher is behind the dossier now, so nothing can take it.
    with pytest.raises(NotFound):
        messages.send("registry_ack", "C-1", {"n": 3}, "api:registry", message_id="ack-2")


def test_a_message_nobody_expects_is_refused_and_nothing_is_stored(dossiers: DossierService,
                                                                   messages: MessageService, db: Engine) -> None:
    dossier_id = registered(dossiers)
    before = _version(db, dossier_id)
    with pytest.raises(NotFound, match="no dossier waits for or expects the message 'registry_ack' with the key 'X'"):
        messages.send("registry_ack", "X", {}, "api:registry")
    with pytest.raises(NotFound):
        messages.send("no_such_message", "C-1", {}, "api:registry")
    assert stored(db) == [] and _version(db, dossier_id) == before


def test_bad_messages_are_refused_field_by_field(dossiers: DossierService, messages: MessageService,
                                                 db: Engine) -> None:
    registered(dossiers)
    with pytest.raises(InvalidData) as refused:
        messages.send("registry ack!", "", {"ok": 1}, "api:registry")
    assert set(refused.value.fields) == {"name", "correlation_key"}
    with pytest.raises(InvalidData) as refused:
        messages.send("registry_ack", "C-1", {"__class__": 1}, "api:registry")
    assert set(refused.value.fields) == {"payload.__class__"}
    assert stored(db) == []


def _to_gateway(dossiers: DossierService, messages: MessageService) -> int:
    dossier_id = registered(dossiers)
    messages.send("registry_ack", "C-1", {}, "api:registry")
    messages.send("ppc_answer", "UBND/17", {"agrees": True}, "api:lgsp")
    return dossier_id


def test_the_message_branch_of_an_event_based_gateway(dossiers: DossierService, messages: MessageService,
                                                      db: Engine) -> None:
    dossier_id = _to_gateway(dossiers, messages)
    # The branch's form checks the payment platform's payload: refused whole, per field, nothing stored.
    with pytest.raises(InvalidData) as refused:
        messages.send("fee_confirmed", "C-1", {"fee_paid": "năm trăm"}, "api:payment")
    assert set(refused.value.fields) == {"payload.fee_paid", "payload.fee_paid_on"}
    delivery = messages.send("fee_confirmed", "C-1", FEE, "api:payment")
    assert (delivery.status, delivery.element_id) == ("delivered", "fee_confirmed")
    assert [t.spec for t in delivery.outcome.ready] == ["appraise"]
    data = dossiers.data(dossier_id)
    assert (data["fee_paid"], data["fee_paid_on"]) == (Decimal(500000), date(2026, 3, 3))
    # The gateway's timer went with the branch it lost to.
    assert _next_timer(db, dossier_id) is None


def test_an_event_based_gateway_whose_timer_wins(dossiers: DossierService, messages: MessageService,
                                                 db: Engine) -> None:
    dossier_id = _to_gateway(dossiers, messages)
    # The gateway's timer is scheduled like any other: 10 working days from Monday 2 March is Monday 16 March.
    due = _next_timer(db, dossier_id)
    assert due is not None and due.date() >= date(2026, 3, 15)
    scheduler = TimerScheduler(dossiers.engine, smtp=None)
    clock.advance(timedelta(days=13))
    assert scheduler.tick().fired == 0
    clock.freeze(due + timedelta(minutes=1))
    assert scheduler.tick().fired == 1
    assert ready_specs(dossiers, dossier_id) == ["lapsed"]
    # The payment confirmed after the deadline finds no branch waiting.
    with pytest.raises(NotFound):
        messages.send("fee_confirmed", "C-1", FEE, "api:payment")


def test_a_timer_due_before_the_message_wins_even_before_the_scheduler_ran(
        dossiers: DossierService, messages: MessageService, db: Engine) -> None:
    dossier_id = _to_gateway(dossiers, messages)
    clock.freeze(_next_timer(db, dossier_id) + timedelta(seconds=1))
    delivery = messages.send("fee_confirmed", "C-1", FEE, "api:payment")
    # The message found the deadline passed: the dossier went the timer's way and the message is only kept.
    assert delivery.status == "kept"
    assert ready_specs(dossiers, dossier_id) == ["lapsed"]


def test_the_officer_or_the_payment_platform_first_wins(dossiers: DossierService, messages: MessageService) -> None:
    # The platform first: the officer's task to record the fee on paper is withdrawn.
    paid = dossiers.start("paper_or_platform", {}, "tiepnhan", code="P-1")
    record = paid.ready[0]
    assert messages.send("fee_confirmed", "P-1", FEE, "api:payment").element_id == "platform_confirms"
    assert ready_specs(dossiers, paid.dossier_id) == ["appraise"]
    with pytest.raises(TaskNotReady):
        dossiers.complete(paid.dossier_id, record.id, FEE, "tiepnhan")
    # The officer first: the platform's late confirmation is refused, the dossier keeps the officer's figures.
    on_paper = dossiers.start("paper_or_platform", {}, "tiepnhan", code="P-2")
    dossiers.complete(on_paper.dossier_id, on_paper.ready[0].id, {**FEE, "fee_paid": 400000}, "tiepnhan")
    with pytest.raises(NotFound):
        messages.send("fee_confirmed", "P-2", FEE, "api:payment")
    assert dossiers.data(on_paper.dossier_id)["fee_paid"] == Decimal(400000)


def test_a_message_thrown_to_another_pool_reaches_it(dossiers: DossierService, db: Engine) -> None:
    appointment = dossiers.start("appointment_demo", {"case_number": "HD-5"}, "lienthong", code="A-1")
    council = dossiers.start("council_demo", {"case_number": "HD-5"}, "donvi", code="K-1")
    dossiers.complete(council.dossier_id, council.ready[0].id, {"opinion": "đồng ý"}, "donvi")
    assert ready_specs(dossiers, appointment.dossier_id) == ["decide"]
    assert dossiers.data(appointment.dossier_id)["opinion"] == "đồng ý"
    # The council's end event files the opinion: the archive's process starts on that message, linked.
    with make_session_factory(db)() as session:
        archived = session.scalars(select(Dossier).where(Dossier.process_id == "archive_demo")).one()
    assert archived.parent_id == council.dossier_id
    assert ready_specs(dossiers, archived.id) == ["file_opinion"]
    filed = dossiers.data(archived.id)
    assert (filed["case_number"], filed["opinion"]) == ("HD-5", "đồng ý")
    # One for which no pool waits is kept on record as undelivered, not dropped.
    lost = dossiers.start("council_demo", {"case_number": "HD-404"}, "donvi", code="K-2")
    dossiers.complete(lost.dossier_id, lost.ready[0].id, {"opinion": "không"}, "donvi")
    assert [(m.status, m.correlation_key) for m in stored(db)] == [("delivered", "HD-5"), ("undelivered", "HD-404")]


@pytest.mark.parametrize("same_id", [True, False], ids=["same-message", "two-messages"])
def test_two_senders_at_once_deliver_once(dossiers: DossierService, messages: MessageService, db: Engine,
                                          same_id: bool) -> None:
    dossier_id = registered(dossiers)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def send(n: int) -> None:
        barrier.wait()
        try:
            results.append(messages.send("registry_ack", "C-1", {"sender": n}, "api:registry",
                                         message_id="ack" if same_id else f"ack-{n}").status)
        except CommandError as err:
            results.append(type(err).__name__)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == sorted(["delivered", "duplicate" if same_id else "NotFound"])
    assert [m.status for m in stored(db)] == ["delivered"]
    with make_session_factory(db)() as session:
        caught = session.scalar(select(func.count()).where(AuditEvent.command == "message"))
    assert caught == 1
    assert ready_specs(dossiers, dossier_id) == []


def _version(db: Engine, dossier_id: int) -> int:
    with make_session_factory(db)() as session:
        return session.scalar(select(Dossier.version).where(Dossier.id == dossier_id))


def _next_timer(db: Engine, dossier_id: int):  # type: ignore[no-untyped-def]
    with make_session_factory(db)() as session:
        return session.scalar(select(Dossier.next_timer_at).where(Dossier.id == dossier_id))
