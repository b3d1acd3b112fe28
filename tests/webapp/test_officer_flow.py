"""A licence dossier through the web app with the test client: registration, supplement, appraisal,
signature; the papers, the code, the conflicts an officer can meet."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from engine.legal_time.clock import clock
from engine.onestop.documents import Document
from engine.onestop.vietnamese_text import last_day, long_date
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from tests.webapp.conftest import MONDAY_9AM, post
from tests.webapp.helpers import complete, open_item, register


def pdf_text(content: bytes) -> str:
    # Words only: table cells and long lines wrap anywhere.
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def documents(app, dossier_id):  # type: ignore[no-untyped-def]
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return [(d.kind, d.number, d.content) for d in session.scalars(
            select(Document).where(Document.dossier_id == dossier_id).order_by(Document.id))]


def test_registration_gives_a_code_and_a_receipt_slip_with_the_appointment(app, client_for) -> None:
    desk = client_for("tiepnhan")
    dossier_id = register(desk)
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        dossier = session.get(Dossier, dossier_id)
    assert dossier.code == "000.00.19.H19-260302-0001"
    assert dossier.total_due_at is not None and dossier.total_due_at > MONDAY_9AM + timedelta(days=30)
    [(kind, number, content)] = documents(app, dossier_id)
    assert kind == "receipt" and number == "01/TNHS-SKHCN"
    text = pdf_text(content)
    assert dossier.code in text and "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert long_date(last_day(dossier.total_due_at)) in text
    assert "Đơn đề nghị cấp giấy phép" in text  # the checklist of received papers
    page = desk.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert dossier.code in page and "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" in page
    assert "don-de-nghi.pdf" in page


def test_invalid_registration_names_each_field(app, client_for) -> None:
    from tests.webapp.conftest import post

    desk = client_for("tiepnhan")
    response = post(desk, "/reception/new/licence_web", {"channel": "desk", "applicant_email": "not-mail",
                                                         "delivery": "desk",
                                                         "file-other": (io.BytesIO(b"MZ\x90"), "virus.exe")},
                    token_from="/reception/new/licence_web", content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="applicant_name-error"' in page and "Trường này là bắt buộc" in page
    assert "Địa chỉ e-mail không hợp lệ" in page
    assert "Chỉ nhận tệp PDF" in page
    assert 'id="form-head_name-error"' in page
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert session.scalar(select(Dossier.id)) is None


def test_supplement_appraisal_and_signature_issue_the_papers(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    specialist = client_for("chuyenvien")
    check = open_item(app, dossier_id, "check")
    response = complete(specialist, check.id, {"decision": "supplement", "missing_items": ["safety_report"],
                                               "supplement_note": "Bản sao chưa chứng thực"})
    assert response.status_code == 302
    kinds = [k for k, _, _ in documents(app, dossier_id)]
    assert kinds == ["receipt", "supplement_request"]
    request_text = pdf_text(documents(app, dossier_id)[-1][2])
    assert "Báo cáo đánh giá an toàn" in request_text and "Bản sao chưa chứng thực" in request_text

    clock.advance(timedelta(days=3))
    desk = client_for("tiepnhan")
    supplement = open_item(app, dossier_id, "receive_supplement")
    response = complete(desk, supplement.id, {"supplement_received": "on", "file_item": "safety_report",
                                              "files": (io.BytesIO(b"%PDF-1.4 report"), "bao-cao.pdf")},
                        content_type="multipart/form-data")
    assert response.status_code == 302

    response = complete(specialist, open_item(app, dossier_id, "check").id, {"decision": "accept"})
    assert response.status_code == 302
    fee_text = pdf_text(documents(app, dossier_id)[-1][2])
    assert "4.000.000 đồng" in fee_text and "Bốn triệu đồng" in fee_text

    response = complete(specialist, open_item(app, dossier_id, "appraise").id,
                        {"decision": "issue", "valid_until": "2031-03-31"})
    assert response.status_code == 302
    response = complete(client_for("lanhdao"), open_item(app, dossier_id, "sign").id, {"signed": "on"})
    assert response.status_code == 302
    papers = documents(app, dossier_id)
    assert [k for k, _, _ in papers] == ["receipt", "supplement_request", "fee_notice", "licence"]
    licence = pdf_text(papers[-1][2])
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        dossier = session.get(Dossier, dossier_id)
        pauses = dossier.legal_clock["events"]
    assert dossier.status == "completed"
    assert dossier.code in licence and "SN-0002" in licence and "ngày 31 tháng 03 năm 2031" in licence
    assert [e["event"] for e in pauses].count("pause") == 1  # the supplement stopped the clock
    page = specialist.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "bao-cao.pdf" in page and "Giấy phép tiến hành công việc bức xạ" in page
    assert "Thời gian không tính" in page


def test_validation_messages_per_field_and_nothing_saved(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    specialist = client_for("chuyenvien")
    check = open_item(app, dossier_id, "check")
    response = complete(specialist, check.id, {"decision": "maybe"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="decision-error"' in page and "Giá trị không nằm trong danh sách lựa chọn" in page
    assert open_item(app, dossier_id, "check").id == check.id  # still open


def test_task_done_by_someone_else_meanwhile_gets_a_clear_message(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    first, second = client_for("chuyenvien"), client_for("chuyenvien")
    check = open_item(app, dossier_id, "check")
    page_of_second = second.get(f"/tasks/{check.id}").get_data(as_text=True)
    assert complete(first, check.id, {"decision": "accept"}).status_code == 302
    from tests.webapp.conftest import post
    from tests.webapp.helpers import version_on

    response = post(second, f"/tasks/{check.id}", {"version": version_on(page_of_second), "decision": "refuse"},
                    token_from="/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Công việc này không còn chờ xử lý" in page and "Traceback" not in page
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert session.get(Dossier, dossier_id).status == "running"  # the refusal did not go through


def test_stale_version_is_refused_and_keeps_what_was_typed(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    specialist = client_for("chuyenvien")
    check = open_item(app, dossier_id, "check")
    from tests.webapp.conftest import post

    response = post(specialist, f"/tasks/{check.id}", {"version": "999", "decision": "supplement",
                                                       "supplement_note": "ghi chú của tôi"}, token_from="/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "vừa được người khác thay đổi" in page and "ghi chú của tôi" in page


def test_claim_and_release_are_recorded(app, client_for) -> None:
    from tests.webapp.conftest import post

    dossier_id = register(client_for("tiepnhan"))
    specialist, colleague = client_for("chuyenvien"), client_for("chuyenvien2")
    check = open_item(app, dossier_id, "check")
    assert post(specialist, f"/inbox/items/{check.id}/claim").status_code == 302
    assert open_item(app, dossier_id, "check").assignee == "chuyenvien"
    fragment = post(specialist, f"/inbox/items/{check.id}/claim", headers={"HX-Request": "true"})
    assert "Trả lại" in fragment.get_data(as_text=True)
    post(colleague, f"/inbox/items/{check.id}/release")
    assert post(colleague, f"/inbox/items/{check.id}/claim").status_code == 302  # refused, with a message
    assert open_item(app, dossier_id, "check").assignee == "chuyenvien"  # only the claimer can release
    post(specialist, f"/inbox/items/{check.id}/release")
    assert open_item(app, dossier_id, "check").assignee is None
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        commands = session.scalars(select(AuditEvent.command).where(AuditEvent.dossier_id == dossier_id)).all()
    assert commands.count("claim") == 2 and commands.count("release") == 1


def test_an_officer_sees_the_reminders_addressed_to_them(app, client_for) -> None:  # type: ignore[no-untyped-def]
    from engine.oversight import alerts
    from engine.runtime.db import make_session_factory

    engine = app.extensions["motcua"].engine
    with make_session_factory(engine, write=True)() as session:
        people = alerts.people(session, usernames=["chuyenvien"])
        alerts.notify(session, people, kind="reminder", subject="Nhắc việc: hồ sơ thử", body="Xin xử lý sớm.",
                      actor="giamsat", mail=False)
        session.commit()
    officer = client_for("chuyenvien")
    inbox = officer.get("/inbox").get_data(as_text=True)
    assert 'id="alerts-link"' in inbox and '<span class="badge">1</span>' in inbox
    page = officer.get("/alerts").get_data(as_text=True)
    assert "Nhắc việc: hồ sơ thử" in page and "Xin xử lý sớm." in page
    post(officer, "/alerts/read", token_from="/alerts")
    assert '<span class="badge">' not in officer.get("/inbox").get_data(as_text=True)
    assert client_for("tiepnhan").get("/alerts").get_data(as_text=True).count("Nhắc việc: hồ sơ thử") == 0
