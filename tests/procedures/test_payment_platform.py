"""The fee of procedures 1–3 confirmed by the payment platform (message `fee_confirmed`, key: the dossier
code) instead of the desk: whichever comes first counts, once; the desk's step stays for fees paid on paper."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import procedure_data as d
import pytest
from procedure_driver import Run, at
from sqlalchemy import select
from test_certificate_and_declaration import APPLICATION

from engine.onestop.fees import FeeEntry
from engine.runtime.db import make_session_factory
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData, NotFound, TaskNotReady
from engine.runtime.inbound_message import InboundMessage, MessageStatus
from engine.runtime.messages import MessageService

ONLINE = {"fee_paid": 200_000, "fee_paid_on": "2026-03-06", "fee_receipt_number": "VNPAY-88120",
          "fee_payment_method": "online"}


def at_fee_payment(service: DossierService, code: str) -> Run:
    started = service.start("radiation_worker_certificate", {}, actor="portal", code=code)
    run = Run(service, "radiation_worker_certificate", dossier_id=started.dossier_id)
    run.do("receive", APPLICATION).do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000))
    assert run.ready == ["record_payment"] and run.dossier().clock_paused
    return run


def test_the_payment_platform_confirms_the_fee_and_the_desk_step_is_withdrawn(service: DossierService) -> None:
    run = at_fee_payment(service, "000.00.19.H19-260302-0101")
    desk_task = run.task("record_payment")
    at(date(2026, 3, 6))
    delivery = MessageService(service).send("fee_confirmed", "000.00.19.H19-260302-0101", ONLINE, "api:vnpay")
    assert (delivery.status, delivery.element_id) == ("delivered", "payment_confirmed")
    assert run.ready == ["appraise"] and not run.dossier().clock_paused
    data = run.data()
    assert (data["fee_paid"], data["fee_paid_on"], data["fee_payment_method"]) == (
        Decimal(200_000), date(2026, 3, 6), "online")
    with pytest.raises(TaskNotReady):
        service.complete(run.dossier_id, desk_task.id, d.paid(200_000), actor="tiepnhan")
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued()).do("deliver", d.DELIVERED)
    assert run.status == "completed"


def test_a_fee_recorded_at_the_desk_first_refuses_the_platform_later(service: DossierService) -> None:
    run = at_fee_payment(service, "000.00.19.H19-260302-0102")
    run.do("record_payment", d.paid(200_000))
    with pytest.raises(NotFound):
        MessageService(service).send("fee_confirmed", "000.00.19.H19-260302-0102", ONLINE, "api:vnpay")
    assert run.data()["fee_payment_method"] == "transfer"


def test_a_confirmation_before_the_fee_step_waits_for_it(service: DossierService) -> None:
    started = service.start("radiation_worker_certificate", {}, actor="portal", code="000.00.19.H19-260302-0103")
    run = Run(service, "radiation_worker_certificate", dossier_id=started.dossier_id)
    run.do("receive", APPLICATION)
    # Paid online before the notice is recorded: kept, and caught as soon as the fee step opens.
    early = MessageService(service).send("fee_confirmed", "000.00.19.H19-260302-0103", ONLINE, "api:vnpay")
    assert early.status == "kept"
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000))
    assert run.ready == ["appraise"] and run.data()["fee_receipt_number"] == "VNPAY-88120"


def _ledger(service: DossierService, dossier_id: int) -> list[FeeEntry]:
    with make_session_factory(service.engine)() as session:
        return list(session.scalars(select(FeeEntry).where(FeeEntry.dossier_id == dossier_id)
                                    .order_by(FeeEntry.id)))


def test_a_payment_confirmed_by_the_platform_enters_the_fee_ledger(service: DossierService) -> None:
    run = at_fee_payment(service, "000.00.19.H19-260302-0104")
    at(date(2026, 3, 6))
    MessageService(service).send("fee_confirmed", "000.00.19.H19-260302-0104", ONLINE, "api:vnpay")
    notice, payment = _ledger(service, run.dossier_id)
    assert (notice.kind, notice.amount) == ("notified", Decimal(200_000))
    assert (payment.kind, payment.amount, payment.on, payment.receipt_number, payment.method,
            payment.recorded_by) == ("paid", Decimal(200_000), date(2026, 3, 6), "VNPAY-88120", "online",
                                     "message:api:vnpay")


def test_an_underpayment_confirmed_by_the_platform_is_refused_and_the_dossier_keeps_waiting(
        service: DossierService) -> None:
    run = at_fee_payment(service, "000.00.19.H19-260302-0105")
    with pytest.raises(InvalidData) as refused:
        MessageService(service).send("fee_confirmed", "000.00.19.H19-260302-0105",
                                     {**ONLINE, "fee_paid": 150_000}, "api:vnpay")
    assert "còn thiếu 50.000" in refused.value.fields["payload.fee_paid"]
    assert run.ready == ["record_payment"] and run.dossier().clock_paused
    assert [e.kind for e in _ledger(service, run.dossier_id)] == ["notified"]
    # The rest paid at the desk completes the step.
    run.do("record_payment", d.paid(200_000))
    assert run.ready == ["appraise"]


def test_an_early_confirmation_below_the_notice_is_set_aside_not_caught(service: DossierService) -> None:
    started = service.start("radiation_worker_certificate", {}, actor="portal", code="000.00.19.H19-260302-0106")
    run = Run(service, "radiation_worker_certificate", dossier_id=started.dossier_id)
    run.do("receive", APPLICATION)
    early = MessageService(service).send("fee_confirmed", "000.00.19.H19-260302-0106",
                                         {**ONLINE, "fee_paid": 150_000}, "api:vnpay")
    assert early.status == "kept"  # no notice yet to hold it to
    # The notice asks for more than was paid online: that payment does not complete the fee step.
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000))
    assert run.ready == ["record_payment"]
    with make_session_factory(service.engine)() as session:
        kept = session.scalars(select(InboundMessage).where(InboundMessage.dossier_id == run.dossier_id)).one()
    assert kept.status == MessageStatus.UNDELIVERED
    assert [e.kind for e in _ledger(service, run.dossier_id)] == ["notified"]
