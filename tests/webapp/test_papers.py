"""Dossier codes under concurrency, the official papers' layout, and the e-mail that carries them."""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select

from engine.legal_time.clock import clock
from engine.onestop.documents import KINDS, Agency, Document, Paper, packed, render_pdf
from engine.onestop.dossier_code import CODE, code_taker, format_code
from engine.onestop.vietnamese_text import money_in_words
from engine.runtime.db import connection, make_session_factory
from engine.runtime.dossier_service import DossierService
from tests.webapp.conftest import MONDAY_9AM, post
from tests.webapp.helpers import open_item, register


def words(content: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


def test_code_format_follows_circular_01_2018() -> None:
    late_evening_utc = datetime(2026, 11, 23, 18, 30, tzinfo=UTC)  # already the 24th in Vietnam
    code = format_code("000.00.19.H19", late_evening_utc, 1)
    assert code == "000.00.19.H19-261124-0001" and CODE.match(code)
    with pytest.raises(ValueError, match="not of the form"):
        code_taker("DOST", late_evening_utc)


def test_concurrent_registrations_never_share_a_daily_number(app) -> None:
    service: DossierService = app.extensions["motcua"].dossiers
    codes: list[str] = []
    errors: list[BaseException] = []

    def take(count: int) -> None:
        try:
            for _ in range(count):
                with service.command() as session:
                    codes.append(code_taker("000.00.19.H19", clock.now())(connection(session))())
        except BaseException as err:  # reported below: a thread's failure must fail the test
            errors.append(err)

    threads = [threading.Thread(target=take, args=(25,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, 201))  # unique and gap-free
    clock.advance(timedelta(days=1))
    with service.command() as session:
        taken = code_taker("000.00.19.H19", clock.now())(connection(session))
        assert taken() == "000.00.19.H19-260303-0001"  # a new day


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_paper_has_the_decree_30_header(kind: str) -> None:
    data = {"full_name": "Phạm Quốc Bảo", "birth_date": MONDAY_9AM, "title_kind": "Chức danh công nghệ",
            "rank": "Hạng III", "unit_name": "Trung tâm", "decision_number": "12/QĐ", "decision_date": MONDAY_9AM,
            "decided_by": "Giám đốc Trung tâm", "head_office_address": "Biên Hòa", "phone": "", "email": "",
            "goods_group": "Nhóm 2", "declaration_number": "01/CB"}
    paper = Paper(KINDS[kind], f"07/{KINDS[kind].symbol}-SKHCN", MONDAY_9AM, Agency(),
                  {"code": "000.00.19.H19-260302-0001", "received_at": MONDAY_9AM, "total_due_at": None},
                  data, {"applicant": {"name": "Công ty TNHH Ánh Dương", "address": "Biên Hòa", "phone": "",
                                     "email": "", "id_number": ""},
                       "procedure": "Cấp giấy phép", "checklist": [], "deadline": "30 ngày làm việc",
                       "appointment_at": MONDAY_9AM + timedelta(days=40), "delivery": "Qua bưu chính",
                       "officer": "Nguyễn Thị Tiếp Nhận", "missing": ["Báo cáo an toàn"], "note": "",
                       "fee": Decimal(5_000_000), "fee_lines": [{"label": "Phí thẩm định", "amount": 5_000_000}],
                       "reasons": ["Thiết bị chưa kiểm định"], "devices": [], "goods": [], "valid_until": None,
                       "reception_count": 2, "reason": "Chờ kết quả kiểm định",
                       "new_appointment_at": MONDAY_9AM + timedelta(days=50), "copies": "01 (bộ)",
                       "legal_basis": ["Luật Năng lượng nguyên tử ngày 03/6/2008."], "phases": [],
                       "signer": {"capacity": "GIÁM ĐỐC", "title": "", "name": "Nguyễn Văn A"},
                       "result": {"holder_name": "Công ty TNHH Ánh Dương", "address": "Biên Hòa", "devices": [],
                                  "previous_number": None, "valid_until": None, "birth_date": None,
                                  "id_number": "075123456789", "job": "Người phụ trách an toàn",
                                  "device_name": "X-quang", "model": "M", "purpose": "Chụp răng",
                                  "tube_serial": "T1", "acquired_on": None, "declaration_number": "01/CB",
                                  "facility_name": "Công ty TNHH Ánh Dương", "goods_group": "2", "goods": [],
                                  "reception_count": 1}})
    text = words(render_pdf(paper))
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert "UBND TỈNH ĐỒNG NAI" in text and "SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text
    assert f"Số: 07/{KINDS[kind].symbol}-SKHCN" in text
    assert "Đồng Nai, ngày 02 tháng 03 năm 2026" in text
    assert KINDS[kind].title.upper() in text


def test_money_in_words() -> None:
    assert money_in_words(Decimal(17_500_000)) == "Mười bảy triệu năm trăm nghìn đồng"
    assert money_in_words(2_000_015_000) == "Hai tỷ không trăm mười lăm nghìn đồng"
    assert money_in_words(21) == "Hai mươi mốt đồng" and money_in_words(105) == "Một trăm linh năm đồng"


def test_the_applicant_gets_the_receipt_and_the_supplement_request_by_email(app, client_for, smtp_server) -> None:
    settings, mailbox = smtp_server
    paperwork = app.extensions["motcua"].paperwork
    paperwork.office = replace(paperwork.office, smtp=settings)  # the running app mails to the local server
    dossier_id = register(client_for("tiepnhan"), email="bv-dongnai@example.vn")
    assert mailbox.arrived.wait(10)
    receipt = mailbox.messages[0]
    assert receipt["To"] == "bv-dongnai@example.vn" and "000.00.19.H19-260302-0001" in receipt["Subject"]
    [pdf] = [p for p in receipt.walk() if p.get_content_type() == "application/pdf"]
    assert "000.00.19.H19-260302-0001" in words(pdf.get_payload(decode=True))
    assert "Sở đã tiếp nhận hồ sơ" in receipt.get_body(("plain",)).get_content()

    from tests.webapp.helpers import complete

    mailbox.arrived.clear()
    complete(client_for("chuyenvien"), open_item(app, dossier_id, "check").id,
             {"decision": "supplement", "missing_items": ["safety_report"]})
    assert mailbox.arrived.wait(10)
    assert "Yêu cầu bổ sung" in mailbox.messages[-1]["Subject"]
    page = client_for("tiepnhan").get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert page.count("bv-dongnai@example.vn") >= 2 and "chưa gửi được" not in page


def test_a_failed_email_is_reported_and_the_work_stays_done(app, client_for) -> None:
    from engine.onestop.notifications import SmtpSettings
    from tests.webapp.conftest import free_port

    paperwork = app.extensions["motcua"].paperwork
    paperwork.office = replace(paperwork.office, smtp=SmtpSettings(host="127.0.0.1", port=free_port()))  # nobody there
    desk = client_for("tiepnhan")
    dossier_id = register(desk)
    page = desk.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    # The dossier and its receipt are there; the mail waits in the outbox for its next try, and says why.
    assert "000.00.19.H19-260302-0001" in page and "chưa gửi được" in page
    effects = page.split('id="effects"', 1)[1].split("</section>", 1)[0]
    assert 'class="effect-pending"' in effects and "ConnectionRefusedError" in effects and "thử lại lúc" in effects
    assert "Thử lại" in effects

    # The officer's "retry": tried again at once (still nobody there), each try in the history.
    entry_id = int(effects.split("/effects/", 1)[1].split("/retry", 1)[0])
    assert post(desk, f"/dossiers/{dossier_id}/effects/{entry_id}/retry", token_from=f"/dossiers/{dossier_id}"
                ).status_code == 302
    from engine.runtime.audit import AuditEvent
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        commands = session.scalars(select(AuditEvent.command).where(AuditEvent.dossier_id == dossier_id)).all()
    assert commands.count("notify") == 2 and "outbox_retry" in commands


def test_apology_with_a_new_appointment_date(app, client_for) -> None:
    desk = client_for("tiepnhan")
    dossier_id = register(desk)
    response = post(desk, f"/dossiers/{dossier_id}/apology", {"reason": "Chờ ý kiến Bộ Khoa học và Công nghệ",
                                                              "new_appointment": "2026-05-15"})
    assert response.status_code == 302
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        content = session.scalars(select(Document).where(Document.kind == "apology")).one().content
    text = words(content)
    assert "ngày 15 tháng 05 năm 2026" in text and "Chờ ý kiến Bộ Khoa học và Công nghệ" in text
    # Decree 61/2018 art. 19: a new date only once.
    again = post(desk, f"/dossiers/{dossier_id}/apology", {"reason": "Lần nữa", "new_appointment": "2026-05-29"},
                 follow_redirects=True)
    assert "chỉ cho hẹn lại một lần" in again.get_data(as_text=True)
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert session.scalar(select(func.count()).select_from(Document).where(Document.kind == "apology")) == 1
    refused = post(desk, f"/dossiers/{dossier_id}/apology", {"reason": "", "new_appointment": "2020-01-01"})
    assert refused.status_code == 302
    assert "Xin nêu lý do" in desk.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    specialist = client_for("chuyenvien")
    assert post(specialist, f"/dossiers/{dossier_id}/apology", {"reason": "x",
                                                                "new_appointment": "2026-05-15"}).status_code == 403


def _receipt(agency: Agency) -> Paper:
    return Paper(KINDS["receipt"], "07/TNHS-SKHCN", MONDAY_9AM, agency,
                 {"code": "000.00.19.H19-260302-0001", "received_at": MONDAY_9AM, "total_due_at": None}, {},
                 {"applicant": {"name": "Công ty TNHH Ánh Dương", "address": "Biên Hòa", "phone": "0251 3822 000",
                                "email": "", "id_number": ""},
                  "procedure": "Cấp giấy phép tiến hành công việc bức xạ - sử dụng thiết bị X-quang chẩn đoán",
                  "checklist": [{"label": f"Giấy tờ số {i}: bản sao chứng thực quyết định thành lập",
                                 "form": "bản sao", "note": ""} for i in range(1, 9)],
                  "deadline": "30 ngày làm việc", "appointment_at": MONDAY_9AM + timedelta(days=40),
                  "delivery": "Qua bưu chính", "officer": "Nguyễn Thị Tiếp Nhận", "copies": "01 (bộ)"})


def test_a_receipt_embeds_only_the_glyphs_it_prints() -> None:
    # Issue 16: a receipt under 30 KB, so that a dossier's storage stays small.
    paper = _receipt(Agency())
    content = render_pdf(paper)
    # 29 KB before the header's faces and the object stream, 18.4 KB with the fonts' 2048 units per em,
    # 17.1 KB with 1000 and the fonts' name, OS/2 and post tables
    assert len(content) < 16 * 1024, len(content)
    reader = PdfReader(io.BytesIO(content))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    embedded = [f["/FontDescriptor"]["/FontFile2"].get_object() for f in fonts if "/FontDescriptor" in f]
    assert embedded and all(f["/BaseFont"].startswith("/AAAAAA+") for f in fonts if "/FontDescriptor" in f)
    assert all(len(e.get_data()) < 15_000 for e in embedded)  # the whole DejaVu Serif is ~380 KB
    for program in embedded:
        font = TTFont(io.BytesIO(program.get_data()))
        # ISO 32000-1 §9.9: what a reader needs of an embedded TrueType program, and the codes' cmap
        assert sorted(font.keys()) == ["GlyphOrder", "cmap", "glyf", "head", "hhea", "hmtx", "loca", "maxp"]
        assert program["/Length1"] == len(program.get_data()) and font["head"].unitsPerEm == 500
        assert font.getGlyphSet()[font.getGlyphOrder()[1]].width > 0
    # Regular, bold and italic: the header's narrow lines are the upright faces drawn at 90 % width.
    assert sorted(f["/BaseFont"] for f in fonts if "/FontDescriptor" in f) == [
        "/AAAAAA+DejaVuSerif", "/AAAAAA+DejaVuSerif-Bold", "/AAAAAA+DejaVuSerif-Italic"]
    text = words(content)
    assert "Giấy tờ số 8: bản sao chứng thực quyết định thành lập" in text and "Nguyễn Thị Tiếp Nhận" in text
    assert "UBND TỈNH ĐỒNG NAI SỞ KHOA HỌC VÀ CÔNG NGHỆ" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text


def test_a_long_agency_name_wraps_in_the_header_within_its_column() -> None:
    agency = replace(Agency(), name="BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP VÀ KHU KINH TẾ CỬA KHẨU TỈNH ĐỒNG NAI")
    page = PdfReader(io.BytesIO(render_pdf(_receipt(agency)))).pages[0]
    lines: list[tuple[float, str]] = []
    page.extract_text(visitor_text=lambda text, cm, tm, font, size: lines.append((tm[4] + cm[4], text))
                      if text.strip() else None)
    name = [x for x, text in lines if "KHU" in text or "BAN QUẢN" in text]
    assert len(name) >= 2  # wrapped over two lines or more, each starting inside the left column
    assert all(0 < x < A4[0] * 0.5 for x in name)


def test_compacting_keeps_every_page_and_word_of_a_paper() -> None:
    raw = io.BytesIO()
    pages = Canvas(raw, pageCompression=0)  # as render_pdf writes them
    pages.setTitle("Phiếu thử")
    for number in (1, 2, 3):
        pages.drawString(72, 720, f"Page {number} of the paper")
        pages.showPage()
    pages.save()
    smaller = packed(raw.getvalue())
    assert smaller.startswith(b"%PDF-1.5") and b"/ObjStm" in smaller and b"\nxref" not in smaller
    assert b"/FlateDecode" not in raw.getvalue() and b"/FlateDecode" in smaller
    assert len(smaller) < len(raw.getvalue())
    before, after = PdfReader(io.BytesIO(raw.getvalue())), PdfReader(io.BytesIO(smaller), strict=True)
    texts = [p.extract_text() for p in after.pages]
    assert texts == [p.extract_text() for p in before.pages]
    assert [t.strip() for t in texts] == [f"Page {n} of the paper" for n in (1, 2, 3)]
    assert after.metadata.title == "Phiếu thử"


def test_without_an_smtp_server_no_mail_is_composed(app, client_for, monkeypatch) -> None:
    # Issue 16: composing a mail (reading the PDF, building MIME) cost ~16 ms per submission with no server.
    from engine.onestop import paperwork
    from engine.runtime.outbox import OutboxEntry

    def refuse(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a mail was composed although no SMTP server is configured")

    monkeypatch.setattr(paperwork, "compose", refuse)
    dossier_id = register(client_for("tiepnhan"), email="bv-dongnai@example.vn")
    app.extensions["motcua"].commands.outbox.drain()
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        [mail] = session.scalars(select(OutboxEntry).where(OutboxEntry.dossier_id == dossier_id,
                                                           OutboxEntry.kind == "mail")).all()
    assert (mail.status, mail.last_error) == ("failed", paperwork.NO_SERVER)
