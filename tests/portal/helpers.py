"""Driving the officers' side of a dossier through the service layer's commands, as the officers' workspace
does: complete the ready step, which issues the papers it calls for (and mails them to the applicant)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.forms import load_form
from tests.portal.conftest import PROCESS, ROOT

APPLICATION_FORM = load_form(ROOT / "bpmn" / PROCESS / "forms" / "licence_application.json")


def dossier_id_of(app: Flask, code: str) -> int:
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return session.scalar(select(Dossier.id).where(Dossier.code == code))


def step(app: Flask, dossier_id: int, spec: str, data: dict[str, Any], actor: str) -> list[str]:
    """Complete the ready step `spec`; the kinds of paper it issued."""
    platform = app.extensions["motcua"]
    ready = platform.dossiers.ready_tasks(dossier_id)
    task = next((t for t in ready if t.spec == spec), None)
    assert task is not None, f"{spec} is not ready; ready: {[t.spec for t in ready]}"
    done = platform.commands.complete_task(dossier_id, task.id, data, actor)
    assert all(paper.number for paper in done.papers), done.papers
    return [paper.kind for paper in done.papers]


def receive(app: Flask, dossier_id: int) -> None:
    """The desk takes the online dossier in, with the application as the applicant filled it."""
    current = app.extensions["motcua"].dossiers.data(dossier_id)
    step(app, dossier_id, "receive", {f.name: current[f.name] for f in APPLICATION_FORM.fields if f.name in current},
         "tiepnhan")


def ask_for_supplement(app: Flask, dossier_id: int) -> list[str]:
    step(app, dossier_id, "check_dossier", {"dossier_complete": False, "missing_items": [
        {"item": "safety_report", "issue": "Báo cáo chưa có chữ ký của người đứng đầu tổ chức"}]}, "chuyenvien")
    return step(app, dossier_id, "request_supplement", {
        "request_date": "2026-03-03",
        "request_content": "Nộp lại báo cáo đánh giá an toàn có chữ ký và đóng dấu."}, "chuyenvien")


def accept_and_notify_fee(app: Flask, dossier_id: int) -> list[str]:
    step(app, dossier_id, "check_dossier", {"dossier_complete": True}, "chuyenvien")
    fee = app.extensions["motcua"].dossiers.data(dossier_id)["fee_amount"]
    return step(app, dossier_id, "notify_fee", {"fee_notice_date": "2026-03-04",
                                                "fee_notified": fee}, "chuyenvien")


def appraise_and_issue(app: Flask, dossier_id: int) -> list[str]:
    fee = app.extensions["motcua"].dossiers.data(dossier_id)["fee_amount"]
    # Paid on the platform's today: a payment day after it would be refused as still to come.
    paid_on = clock.now().astimezone(ZONE).date().isoformat()
    step(app, dossier_id, "record_payment", {"fee_paid": fee, "fee_paid_on": paid_on,
                                             "fee_receipt_number": "BL-0042", "fee_payment_method": "transfer"},
         "tiepnhan")
    step(app, dossier_id, "appraise", {"recommendation": "issue", "findings": "Đáp ứng các điều kiện."}, "chuyenvien")
    step(app, dossier_id, "review", {"head_agrees": True}, "truongphong")
    step(app, dossier_id, "decide", {"outcome": "issue", "signed_by": "Phạm Văn Lãnh Đạo",
                                     "signed_on": "2026-03-10"}, "lanhdao")
    issued = step(app, dossier_id, "issue_result", {"result_issued_on": "2026-03-10",
                                                    "result_valid_until": "2031-03-10"}, "chuyenvien")
    step(app, dossier_id, "deliver", {"delivery": "email", "delivered_on": "2026-03-10"}, "tiepnhan")
    return issued
