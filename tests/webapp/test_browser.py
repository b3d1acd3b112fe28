"""The officers' day in headless Chromium: the desk registers a licence dossier, a specialist asks for a
supplement, the desk receives it, the specialist accepts and appraises, the leadership signs; every
official paper opens as a PDF with the dossier's code and dates. Screenshots go to test-artifacts/."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from engine.access.user import DEMO_PASSWORD
from engine.onestop.vietnamese_text import last_day, long_date
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from tests.webapp.helpers import PDF

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pdf_words(content: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


class Officer:
    def __init__(self, browser, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
        self.page = self.context.new_page()
        self.base = base_url
        self.page.goto(f"{base_url}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("button[type=submit]")

    def open_task(self, name: str) -> None:
        self.page.goto(f"{self.base}/inbox")
        self.page.click(f"a.task-link:has-text('{name}')")

    def pdf(self, link_text: str) -> str:
        href = self.page.locator(f"#documents a:has-text('{link_text}')").last.get_attribute("href")
        response = self.context.request.get(f"{self.base}{href}")
        assert response.ok and response.headers["content-type"] == "application/pdf"
        return pdf_words(response.body())

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def test_licence_dossier_from_desk_to_signed_licence(app: Flask, base_url: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scan = tmp_path / "giay-chung-nhan.pdf"
    scan.write_bytes(PDF)

    desk = Officer(browser, base_url, "tiepnhan")
    assert desk.page.url.endswith("/reception/")
    desk.page.click("text=Cấp giấy phép tiến hành công việc bức xạ (thử)")
    desk.page.fill("#applicant_name", "Bệnh viện Đa khoa Đồng Nai")
    desk.page.fill("#applicant_address", "02 Đồng Khởi, Biên Hòa, Đồng Nai")
    desk.page.fill("#applicant_email", "bv-dongnai@example.vn")
    desk.page.select_option("#delivery", "post")
    desk.page.fill("#form-head_name", "Nguyễn Văn Giám Đốc")
    desk.page.fill("#form-devices-0-name", "Máy X-quang Shimadzu")
    desk.page.select_option("#form-devices-0-purpose", "general")
    desk.page.fill("#form-devices-0-serial", "SH-2026-01")
    desk.page.check("input[name=received][value=application]")
    desk.page.set_input_files("input[name=file-establishment]", str(scan))
    desk.page.click("button[type=submit].primary")
    desk.page.wait_for_url("**/dossiers/*")
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        dossier = session.scalar(select(Dossier))
    code = dossier.code
    assert code == "000.00.19.H19-260302-0001"
    assert code in desk.page.inner_text("h1")
    receipt = desk.pdf("Giấy tiếp nhận hồ sơ")
    assert code in receipt and long_date(dossier.created_at) in receipt
    assert long_date(last_day(dossier.total_due_at)) in receipt  # the appointment
    assert "Qua dịch vụ bưu chính" in receipt
    desk.close()

    specialist = Officer(browser, base_url, "chuyenvien")
    assert specialist.page.url.endswith("/inbox")
    row = specialist.page.locator("table.inbox tbody tr").first
    assert code in row.inner_text() and "Trong hạn" in row.inner_text()
    row.locator("button:has-text('Nhận xử lý')").click()  # htmx swaps the cell in place
    specialist.page.wait_for_selector("table.inbox button:has-text('Trả lại')")
    specialist.shot("inbox")
    specialist.open_task("Kiểm tra hồ sơ")
    specialist.page.select_option("#decision", "supplement")
    specialist.page.check("input[name=missing_items][value=safety_report]")
    specialist.page.fill("#supplement_note", "Bổ sung báo cáo đánh giá an toàn có chữ ký người đứng đầu.")
    specialist.shot("task-form")
    specialist.page.click("button:has-text('Hoàn thành')")
    specialist.page.wait_for_url("**/inbox")
    assert "Đã tạo văn bản Phiếu yêu cầu bổ sung" in specialist.page.inner_text("main")

    desk = Officer(browser, base_url, "tiepnhan")
    desk.open_task("Nhận hồ sơ bổ sung")
    request_paper = desk.pdf("Phiếu yêu cầu bổ sung")
    assert code in request_paper and "Báo cáo đánh giá an toàn" in request_paper
    assert "Tạm dừng" in desk.page.inner_text("#clock")
    desk.page.check("input[name=supplement_received]")
    desk.page.select_option("select[name=file_item]", "safety_report")
    desk.page.set_input_files("input[name=files]", str(scan))
    desk.page.click("button:has-text('Hoàn thành')")
    desk.page.wait_for_url("**/inbox")
    desk.close()

    specialist.open_task("Kiểm tra hồ sơ")
    specialist.page.select_option("#decision", "accept")
    specialist.page.click("button:has-text('Hoàn thành')")
    specialist.page.wait_for_url("**/tasks/*")  # the appraisal is the same officer's next step
    assert "Thẩm định hồ sơ" in specialist.page.inner_text("h1")
    fee = specialist.pdf("Thông báo nộp phí")
    assert code in fee and "2.000.000 đồng" in fee and "Hai triệu đồng" in fee
    specialist.page.select_option("#decision", "issue")
    specialist.page.fill("#valid_until", "2031-03-31")
    specialist.page.click("button:has-text('Hoàn thành')")
    specialist.page.wait_for_url("**/inbox")
    specialist.close()

    leader = Officer(browser, base_url, "lanhdao")
    leader.open_task("Ký cấp giấy phép")
    leader.page.check("input[name=signed]")
    leader.page.click("button:has-text('Hoàn thành')")
    leader.page.wait_for_url("**/inbox")
    leader.page.goto(f"{base_url}/dossiers/{dossier.id}")
    assert "Đã hoàn thành" in leader.page.inner_text(".card-head")
    licence = leader.pdf("Giấy phép tiến hành công việc bức xạ")
    assert code in licence and "SH-2026-01" in licence and "ngày 31 tháng 03 năm 2031" in licence
    leader.shot("dossier-file")
    history = leader.page.inner_text("#history")
    assert "Tạo văn bản" in history and "Hoàn thành bước" in history
    leader.close()


def test_language_switch_shows_english(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    officer = Officer(browser, base_url, "chuyenvien")
    assert "Việc cần xử lý" in officer.page.inner_text("h1")
    officer.page.click("a[lang=en]")
    assert officer.page.inner_text("h1") == "My work"
    assert "Sign out" in officer.page.inner_text("header")
    officer.close()
