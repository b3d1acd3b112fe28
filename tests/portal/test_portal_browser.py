"""An applicant's licence dossier in headless Chromium, from the portal's procedure page to the issued
licence: submit online with two devices, get the code, the secret and the slip, answer the supplement
request the specialist sends, send the proof of payment, download the licence. The officers' side runs
through the engine services. Screenshots go to test-artifacts/portal/."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.legal_time.legal_clock import LegalClock
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import WorkItem
from tests.portal.conftest import PDF, PROCESS, UPLOADED, applicant, licence_form
from tests.portal.helpers import accept_and_notify_fee, appraise_and_issue, ask_for_supplement, receive
from tests.webapp.conftest import Mailbox
from tests.webapp.test_browser import pdf_words

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"


class Applicant:
    """One browser context: its own session, as a person at their own computer."""

    def __init__(self, chromium, base: str) -> None:  # type: ignore[no-untyped-def]
        self.context = chromium.new_context(viewport={"width": 1300, "height": 900}, locale="vi-VN")
        self.page = self.context.new_page()
        self.base = base

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def fill(self, selector: str, value: Any) -> None:
        element = self.page.locator(selector)
        if element.evaluate("e => e.tagName") == "SELECT":
            element.select_option(str(value))
        else:
            element.fill(str(value))

    def fill_form(self, prefix: str, values: dict[str, Any]) -> None:
        for name, value in values.items():
            if isinstance(value, list):
                table = self.page.locator(f"fieldset[data-rows={prefix}{name}]")
                for index, row in enumerate(value):
                    if table.locator("tbody tr").count() <= index:  # rows are added as the form grows
                        table.locator("button.add-row").click()
                    for column, cell in row.items():
                        self.fill(f"#{prefix}{name}-{index}-{column}", cell)
            else:
                self.fill(f"#{prefix}{name}", value)

    def pdf(self, link: str) -> str:
        href = self.page.locator(link).first.get_attribute("href")
        response = self.context.request.get(self.base + href)
        assert response.ok and response.headers["content-type"] == "application/pdf"
        return pdf_words(response.body())

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_licence_dossier_submitted_supplemented_and_issued_online(
        app: Flask, base_url: str, browser, mailbox: Mailbox, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scans = {}
    for item in (*UPLOADED, "fee"):
        scans[item] = tmp_path / f"{item}.pdf"
        scans[item].write_bytes(PDF)

    # Reading what the procedure needs, then submitting.
    person = Applicant(browser, base_url)
    person.goto("/portal/")
    assert person.page.locator("table.procedures tbody tr").count() == 11
    person.shot("0-index")
    person.page.click(f"a[href='/portal/procedures/{PROCESS}']")
    facts = person.page.inner_text("#facts")
    assert "30 ngày làm việc" in facts and "3.000.000 đồng" in facts and "CT Scanner 8.000.000 đồng" in facts
    assert "Báo cáo đánh giá an toàn" in person.page.inner_text("#papers")
    person.shot("1-procedure")
    person.page.click("text=Nộp hồ sơ trực tuyến")
    person.fill_form("", applicant())
    person.fill_form("form-", licence_form(devices=2))
    for item in UPLOADED:
        person.page.set_input_files(f"input[name=file-{item}]", str(scans[item]))
    person.shot("2-submit-form")
    person.page.click("button[type=submit].primary")
    person.page.wait_for_url("**/portal/submitted")
    code = person.page.inner_text("#dossier-code")
    secret = person.page.inner_text("#dossier-secret")
    assert re.fullmatch(r"000\.00\.19\.H19-260302-\d{4}", code) and re.fullmatch(r"[A-Z2-9-]{14}", secret)
    assert "13/04/2026" in person.page.inner_text("#appointment")  # 30 working days from Monday 2 March
    slip = person.page.inner_text("#slip")
    assert "Báo cáo đánh giá an toàn" in slip and "Phiếu khai báo thiết bị X-quang" in slip
    person.shot("3-submitted")
    receipt = person.pdf("#slip a.button")
    assert code in receipt and "Bệnh viện Đa khoa Đồng Nai" in receipt and "13 tháng 04 năm 2026" in receipt
    mail = mailbox.messages[-1]
    assert code in mail["Subject"] and secret in mail.get_body(preferencelist=("plain",)).get_content()
    person.context.close()

    dossier_id = _dossier(app, code).id
    assert _dossier(app, code).channel == "online"
    clock.freeze(local(2026, 3, 3, 10))  # Tuesday: the desk takes it in, the specialist asks for more
    receive(app, dossier_id)
    assert ask_for_supplement(app, dossier_id) == ["supplement_request"]
    assert _dossier(app, code).clock_paused

    # Thursday, from another browser: the code and the secret open the dossier.
    clock.freeze(local(2026, 3, 5, 14))
    person = Applicant(browser, base_url)
    person.goto(f"/portal/dossiers/{code}")
    person.page.wait_for_url("**/portal/track?code=*")  # nothing shown on the code alone
    person.page.fill("#secret", secret)
    person.shot("3b-track")
    person.page.click("form.track-form button[type=submit]")
    person.page.wait_for_url(f"**/portal/dossiers/{code}")
    asked = person.page.inner_text("#supplement")
    assert "Báo cáo đánh giá an toàn" in asked and "chưa có chữ ký" in asked
    assert "Tạm dừng" in person.page.inner_text("#clock")
    assert "Phiếu yêu cầu bổ sung" in person.page.inner_text("#documents")
    person.shot("4-supplement-requested")
    person.page.set_input_files("input[name=supplement-safety_report]", str(scans["safety_report"]))
    person.page.fill("#note", "Đã ký và đóng dấu.")
    person.page.click("#supplement button[type=submit]")
    assert "Đã nhận hồ sơ bổ sung" in person.page.inner_text(".flash-success")
    assert "Trong hạn" in person.page.inner_text("#clock")  # the clock runs again
    assert person.page.locator("#supplement").count() == 0
    person.shot("5-supplemented")
    dossier = _dossier(app, code)
    assert not dossier.clock_paused
    pauses = LegalClock.from_dict(dossier.legal_clock).pauses
    assert len(pauses) == 1 and pauses[0].resumed_at is not None
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        answered = session.scalar(select(WorkItem).where(WorkItem.dossier_id == dossier_id,
                                                         WorkItem.task_spec == "await_supplement"))
        answer = session.scalar(select(AuditEvent.data).where(AuditEvent.task_id == answered.task_id))
    assert (answered.status, answered.closed_by) == ("completed", "portal")
    assert answer["supplement_channel"] == "online" and answer["supplement_notes"] == "Đã ký và đóng dấu."

    # Received online on Monday (TT 2 d): counted from receipt, whenever the desk takes it in): 30 working
    # days end on 13/04; paused Tuesday (a day used), resumed Thursday (not counted): 29 more → 15/04.
    assert person.page.inner_text("#appointment") == "15/04/2026"
    clock.freeze(local(2026, 3, 6, 9))
    assert accept_and_notify_fee(app, dossier_id) == ["fee_notice"]
    clock.freeze(local(2026, 3, 6, 15))
    person.page.reload()
    assert "11.000.000 đ" in person.page.inner_text("#fee")  # general 3,000,000 + CT 8,000,000
    person.page.set_input_files("#fee-file", str(scans["fee"]))
    person.page.click("#fee button[type=submit]")
    assert "Đã gửi chứng từ nộp phí" in person.page.inner_text("#fee")

    clock.freeze(local(2026, 3, 10, 10))
    assert appraise_and_issue(app, dossier_id) == ["licence"]
    person.page.reload()
    assert "Đã giải quyết xong" in person.page.inner_text("#status")
    assert "Giấy phép tiến hành công việc bức xạ" in person.page.inner_text("#result")
    steps = person.page.inner_text("#steps")
    assert "Tiếp nhận hồ sơ sửa đổi, bổ sung" in steps and "Phê duyệt, ký kết quả" in steps
    assert "Trần Văn Chuyên" not in steps  # roles, never the officers' names
    person.shot("6-licence-issued")
    licence = person.pdf("#result a")
    assert code in licence and "Máy X-quang 1" in licence and "Máy X-quang 2" in licence
    assert "ngày 10 tháng 03 năm 2031" in licence
    person.context.close()


def local(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE)


def _dossier(app: Flask, code: str) -> Dossier:
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return session.scalar(select(Dossier).where(Dossier.code == code))
