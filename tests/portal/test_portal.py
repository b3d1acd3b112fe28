"""The applicants' portal with the test client: what it shows, what it refuses, and what it never tells."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.legal_time.business_calendar import load_calendar
from engine.legal_time.clock import clock
from engine.onestop.reception import Registration
from engine.runtime.attachment import Attachment
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.inbox import inbox_page
from engine.runtime.work_item import WorkItem
from tests.portal.conftest import APPLICANT_EMAIL, PDF, PROCESS, UPLOADED, applicant, licence_form
from tests.portal.helpers import ask_for_supplement, dossier_id_of, receive
from tests.webapp.conftest import csrf_token

SUBMIT = f"/portal/procedures/{PROCESS}/submit"
CSRF_INPUT = re.compile(r'name="csrf_token" value="[^"]+"')


def form_inputs(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A form's values as the browser posts them: tables as `<name>-<row>-<column>`."""
    posted: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, list):
            for index, row in enumerate(value):
                posted |= {f"{prefix}{name}-{index}-{column}": cell for column, cell in row.items()}
        else:
            posted[f"{prefix}{name}"] = value
    return posted


def post_dossier(client: FlaskClient, *, form: dict[str, Any] | None = None, files: dict[str, tuple[bytes, str]]
                 | None = None, **applicant_changes: str):  # type: ignore[no-untyped-def]
    files = {f"file-{item}": (PDF, f"{item}.pdf") for item in UPLOADED} if files is None else files
    data: dict[str, Any] = {**form_inputs({**applicant(), **applicant_changes}),
                            **form_inputs(form or licence_form(), "form-"),
                            "csrf_token": csrf_token(client, SUBMIT)}
    data |= {name: (io.BytesIO(content), filename) for name, (content, filename) in files.items()}
    return client.post(SUBMIT, data=data, content_type="multipart/form-data")


def submitted(client: FlaskClient) -> tuple[str, str]:
    response = post_dossier(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/submitted"), \
        response.get_data(as_text=True)[:3000]
    page = client.get("/portal/submitted").get_data(as_text=True)
    code = re.search(r'id="dossier-code">([^<]+)<', page).group(1)
    secret = re.search(r'id="dossier-secret">([^<]+)<', page).group(1)
    return code, secret


def track(client: FlaskClient, code: str, secret: str):  # type: ignore[no-untyped-def]
    return client.post("/portal/track", data={"code": code, "secret": secret,
                                              "csrf_token": csrf_token(client, "/portal/track")})


def test_the_portal_lists_the_procedures_and_what_each_needs(app: Flask) -> None:
    client = app.test_client()
    index = client.get("/portal/").get_data(as_text=True)
    assert len(re.findall(r'href="/portal/procedures/\w+"', index)) == 11 and "completeness_check" not in index
    page = client.get(f"/portal/procedures/{PROCESS}").get_data(as_text=True)
    assert "30 ngày làm việc" in page and "không tính thời gian thực hiện nghĩa vụ tài chính" in page
    assert "Báo cáo đánh giá an toàn" in page and "PET/CT 16.000.000 đồng" in page
    assert client.get("/portal/procedures/completeness_check").status_code == 404
    form = client.get(SUBMIT).get_data(as_text=True)
    assert 'name="form-devices-0-tube_serial"' in form and 'name="file-safety_report"' in form
    assert 'name="form-submission_channel"' not in form  # online goes without saying
    assert 'name="file-application"' not in form  # filled in as the form itself


def test_the_portal_speaks_english_on_request(app: Flask) -> None:
    client = app.test_client()
    client.get("/language/en")
    page = client.get("/portal/").get_data(as_text=True)
    assert "Submit a dossier online" in page and "Track a dossier" in page


def test_a_wrong_submission_shows_each_message_beside_its_input(app: Flask) -> None:
    client = app.test_client()
    form = licence_form()
    form["devices"][1]["purpose"] = "toaster"
    form["email"] = "not-an-address"
    files = {f"file-{item}": (PDF, f"{item}.pdf") for item in UPLOADED if item != "safety_report"}
    files["file-survey"] = (b"MZ\x90\x00", "survey.pdf")
    files["file-inspection"] = (PDF, "inspection.exe")
    response = post_dossier(client, form=form, files=files, applicant_email="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    expected = {
        "form-devices-1-purpose": "Giá trị không nằm trong danh sách lựa chọn",
        "form-email": "Địa chỉ e-mail không hợp lệ",
        "applicant_email": "Trường này là bắt buộc",
    }
    for name, message in expected.items():
        assert re.search(rf'id="{name}"[^>]*aria-invalid="true"', page, re.S), name
        assert message in page
    assert "Chưa tải lên giấy tờ bắt buộc này" in page  # the safety report
    assert "Nội dung tệp không đúng với phần mở rộng của tên tệp" in page  # a program named .pdf
    assert "Chỉ nhận tệp PDF, JPG, PNG, DOC, DOCX, XLS, XLSX" in page
    assert 'value="Bệnh viện Đa khoa Đồng Nai"' in page  # what was typed stays
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert session.scalar(select(Dossier.id)) is None


def test_the_answer_does_not_wait_for_the_mail_server(make_app, mailbox) -> None:  # type: ignore[no-untyped-def]
    app = make_app(OUTBOX_INLINE=False)  # as `motcua serve`: the mail goes from the outbox process
    client = app.test_client()
    response = post_dossier(client)
    assert response.status_code == 302 and mailbox.messages == []
    page = client.get("/portal/submitted").get_data(as_text=True)
    assert f"đang được gửi đến {APPLICANT_EMAIL}" in page
    # The receipt is made after the answer too, before the mail that carries it: its number is given already.
    assert 'id="receipt-coming"' in page and "Tải bản PDF" not in page
    number = re.search(r'id="receipt-number">([^<]+)<', page)
    assert number is not None and number.group(1) == "01/TNHS-SKHCN"
    code = re.search(r'id="dossier-code">([^<]+)<', page).group(1)  # type: ignore[union-attr]
    tracked = client.get(f"/portal/dossiers/{code}").get_data(as_text=True)
    assert 'id="papers-coming"' in tracked and "01/TNHS-SKHCN" in tracked
    assert app.extensions["motcua"].commands.outbox.drain() == 2  # the receipt, then its mail
    assert [m["To"] for m in mailbox.messages] == [APPLICANT_EMAIL]
    tracked = client.get(f"/portal/dossiers/{code}").get_data(as_text=True)
    assert 'id="papers-coming"' not in tracked and "01/TNHS-SKHCN" in tracked


def test_submitting_gives_the_code_secret_and_slip_once(app: Flask) -> None:
    client = app.test_client()
    code, secret = submitted(client)
    assert re.fullmatch(r"000\.00\.19\.H19-260302-0001", code) and re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){2}", secret)
    assert client.get("/portal/submitted").status_code == 302  # the secret is shown once
    page = client.get(f"/portal/dossiers/{code}").get_data(as_text=True)  # this browser submitted it
    assert "Tiếp nhận hồ sơ, nhập phần mềm egov" in page and "13/04/2026" in page
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        dossier = session.scalar(select(Dossier))
        files = session.scalars(select(Attachment.item).where(Attachment.dossier_id == dossier.id)).all()
    assert dossier.channel == "online" and sorted(files) == sorted(UPLOADED)


def test_tracking_tells_nothing_about_codes_without_their_secret(app: Flask) -> None:
    code, secret = submitted(app.test_client())
    stranger = app.test_client()
    # The dossier page of a code the session has not proven: the tracking form, whether the code exists or not.
    for probe in (code, code[:-4] + "0042"):
        response = stranger.get(f"/portal/dossiers/{probe}")
        assert response.status_code == 302 and "/portal/track?code=" in response.headers["Location"]
        assert stranger.get(f"/portal/dossiers/{probe}/documents/1").status_code == 404
    wrong_secret = track(stranger, code, "AAAA-BBBB-CCCC")
    unknown_code = track(stranger, code[:-4] + "0042", secret)
    assert wrong_secret.status_code == unknown_code.status_code == 404
    bodies = [CSRF_INPUT.sub("", r.get_data(as_text=True)).replace(code[:-4] + "0042", code)
              for r in (wrong_secret, unknown_code)]
    assert bodies[0] == bodies[1] and "Mã hồ sơ hoặc mã tra cứu không đúng." in bodies[0]
    right = track(stranger, code.lower(), secret)
    assert right.status_code == 302 and right.headers["Location"].endswith(f"/portal/dossiers/{code}")
    assert stranger.get(f"/portal/dossiers/{code}").status_code == 200
    # Closing the dossiers on a shared computer.
    stranger.post("/portal/forget", data={"csrf_token": csrf_token(stranger, "/portal/")})
    assert stranger.get(f"/portal/dossiers/{code}").status_code == 302


def test_submission_and_tracking_are_rate_limited(make_app: Callable[..., Flask]) -> None:
    app = make_app(PORTAL_SUBMIT_LIMIT="2 per hour", TRACKING_LIMIT="2 per minute")
    client = app.test_client()
    code, secret = submitted(client)
    assert track(client, code, secret).status_code == 302  # successes do not count
    assert [track(client, code, "WRONG").status_code for _ in range(3)] == [404, 404, 429]
    limited = track(client, code, secret)
    assert limited.status_code == 429 and "Bạn đã gửi quá nhiều yêu cầu" in limited.get_data(as_text=True)
    assert post_dossier(client).status_code == 302
    blocked = post_dossier(client)
    assert blocked.status_code == 429
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert len(session.scalars(select(Dossier.id)).all()) == 2


def test_a_supplement_needs_an_acceptable_file_and_a_waiting_step(app: Flask) -> None:
    client = app.test_client()
    code, _secret = submitted(client)
    supplement = f"/portal/dossiers/{code}/supplement"
    not_waiting = client.post(supplement, data={"csrf_token": csrf_token(client, f"/portal/dossiers/{code}")})
    assert not_waiting.status_code == 302
    assert "không còn chờ bổ sung" in client.get(f"/portal/dossiers/{code}").get_data(as_text=True)
    dossier_id = dossier_id_of(app, code)
    receive(app, dossier_id)
    ask_for_supplement(app, dossier_id)
    token = csrf_token(client, f"/portal/dossiers/{code}")
    empty = client.post(supplement, data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "Xin tải lên ít nhất một tệp" in empty.get_data(as_text=True)
    wrong = client.post(supplement, data={"csrf_token": token, "supplement-safety_report": (
        io.BytesIO(b"\x7fELF"), "bao-cao.pdf")}, content_type="multipart/form-data")
    assert wrong.status_code == 422
    assert "Nội dung tệp không đúng với phần mở rộng của tên tệp" in wrong.get_data(as_text=True)
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        waiting = session.scalar(select(WorkItem.status).where(WorkItem.dossier_id == dossier_id,
                                                               WorkItem.task_spec == "await_supplement"))
    assert waiting == "open"  # nothing was taken from a refused answer


def test_online_and_post_dossiers_share_the_desks_inbox_with_their_channel(app: Flask) -> None:
    code, _secret = submitted(app.test_client())
    platform = app.extensions["motcua"]
    posted = platform.commands.register_at_desk(Registration(
        process_id="xray_declaration", applicant={"applicant_name": "Phòng khám Nha khoa An Bình",
                                                  "applicant_address": "Biên Hòa", "delivery": "post"},
        channel="post"), "tiepnhan")
    with make_session_factory(platform.engine)() as session:
        page = inbox_page(session, {"reception"}, clock.now(), load_calendar(session))
        channels = dict(session.execute(select(Dossier.code, Dossier.channel)).all())
    assert {row.code for row in page.rows} == {code, posted.code}
    assert channels == {code: "online", posted.code: "post"}


def test_a_receipt_of_a_dossier_filed_on_the_portal_names_the_portal_as_receiver(app: Flask) -> None:
    """No officer received it: the receipt names the portal as the seed does (step 2), never an account's id."""
    client = app.test_client()
    code, _secret = submitted(client)
    page = client.get(f"/portal/dossiers/{code}").get_data(as_text=True)
    link = re.search(rf'href="(/portal/dossiers/{re.escape(code)}/documents/\d+)"', page)
    assert link is not None, page
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(link.group(1)).data)).pages)
                    .split())
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ (Ký, ghi rõ họ tên) Cổng Dịch vụ công trực tuyến tỉnh Đồng Nai" in text, text
    assert "portal" not in text
    # Nothing came on paper: the forms filled in the portal are electronic as the uploaded files are.
    assert "Bản giấy" not in text and "(Mẫu kèm theo) Bản điện tử" in text
