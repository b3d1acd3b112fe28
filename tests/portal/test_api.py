"""The public API, endpoint by endpoint, with the wrong inputs an integrator or an attacker sends."""

from __future__ import annotations

import base64
import io
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from engine.access.api_token import ApiToken
from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.runtime.attachment import MAX_BYTES, Attachment
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import WorkItem
from engine.service.outbox_process import outbox_runner
from tests.portal.conftest import APPLICANT_EMAIL, PDF, PROCESS, UPLOADED, api_documents, licence_form, submission
from tests.webapp.conftest import Mailbox, csrf_token

CODE = re.compile(r"^000\.00\.19\.H19-260302-\d{4}$")
SECRET = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit(client: FlaskClient, token: str, **changes) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/dossiers", json=submission(**changes), headers=bearer(token))
    assert response.status_code == 201, response.json
    return response.json["code"], response.json["secret"]


def session_of(app: Flask):  # type: ignore[no-untyped-def]
    return make_session_factory(app.extensions["motcua"].engine)()


# -- procedures ---------------------------------------------------------------------------------------------


def test_the_api_neither_reads_nor_sets_the_session_cookie(app: Flask, token_for: Callable[..., str]) -> None:
    # A signed-in officer's browser sends its cookie everywhere: the bearer API answers the token alone, and
    # its answers do not vary with the cookie; /api/me, which the officers' pages call, still reads it.
    from tests.webapp.conftest import sign_in

    browser = app.test_client()
    sign_in(browser, "tiepnhan")
    assert browser.get("/api/me").json["username"] == "tiepnhan"
    token = token_for("congdvc")
    for answer in (browser.get("/api/v1/procedures", headers=bearer(token)),
                   browser.post("/api/v1/dossiers", json=submission(), headers=bearer(token))):
        assert answer.status_code in (200, 201), answer.json
        assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
        assert answer.headers["Cache-Control"] == "no-store"  # what a token reads is kept by no cache
    assert browser.get("/api/v1/procedures").status_code == 200  # no token: what anyone may read, as before
    assert browser.get("/api/me").json["username"] == "tiepnhan"  # the cookie was left as it was


def test_procedures_list_papers_and_form_schema(app: Flask) -> None:
    answer = app.test_client().get("/api/v1/procedures").json
    by_id = {p["id"]: p for p in answer["procedures"]}
    assert "completeness_check" not in by_id  # a shared part is not a procedure people submit
    licence = by_id[PROCESS]
    assert licence["number"] == 2 and licence["total"] == {"amount": 30, "unit": "working-days"}
    papers = {p["key"]: p for p in licence["papers"]}
    assert papers["safety_report"]["required"] and papers["safety_report"]["online_form"] is None
    assert papers["application"]["online_form"] == "licence_application"
    assert papers["officer_certificate"]["required"] is False and papers["officer_certificate"]["condition"]["vi"]
    devices = next(f for f in licence["form"]["fields"] if f["name"] == "devices")
    assert devices["type"] == "table" and devices["min"] == 1
    purpose = next(c for c in devices["columns"] if c["name"] == "purpose")
    assert {"general", "ct", "dental"} <= {o["value"] for o in purpose["options"]}
    assert [f["name"] for f in answer["applicant_form"]["fields"]] == [
        "applicant_name", "applicant_email", "applicant_phone", "delivery"]
    assert app.test_client().get(f"/api/v1/procedures/{PROCESS}").json["name"]["en"].startswith("Licence")


def test_an_unknown_procedure_is_a_json_404(app: Flask) -> None:
    response = app.test_client().get("/api/v1/procedures/no_such_thing")
    assert response.status_code == 404 and response.is_json
    assert response.json["error"] == "not_found" and response.json["message"]


# -- submitting ---------------------------------------------------------------------------------------------


def test_submit_opens_an_online_dossier_in_the_desks_inbox_and_mails_the_secret(
        app: Flask, token_for: Callable[..., str], mailbox: Mailbox) -> None:
    client = app.test_client()
    response = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token_for("congdvc")))
    assert response.status_code == 201, response.json
    answer = response.json
    assert CODE.match(answer["code"]) and SECRET.match(answer["secret"])
    assert answer["receipt"]["kind"] == "receipt" and answer["mail_sent"] is True
    assert answer["appointment_on"] == "2026-04-13"  # 30 working days after Monday 2 March 2026
    with session_of(app) as session:
        dossier = session.scalar(select(Dossier).where(Dossier.code == answer["code"]))
        assert dossier.channel == "online" and dossier.created_by == "api:test congdvc"
        item = session.scalar(select(WorkItem).where(WorkItem.dossier_id == dossier.id))
        assert (item.task_spec, item.role, item.status) == ("receive", "reception", "open")
    # The answer names the work items the submission opened, so that an integration can follow them.
    assert answer["work_items"] == [{"id": item.id, "task": "receive", "name": item.name, "role": "reception"}]
    with session_of(app) as session:
        stored = {a.item for a in session.scalars(select(Attachment).where(Attachment.dossier_id == dossier.id))}
    assert stored == set(UPLOADED)
    data = app.extensions["motcua"].dossiers.data(dossier.id)
    assert data["submission_channel"] == "online" and len(data["devices"]) == 2
    assert set(data["received_documents"]) >= {"application", "device_declaration", "safety_report"}
    message = mailbox.messages[-1]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert message["To"] == APPLICANT_EMAIL and answer["code"] in message["Subject"]
    assert answer["secret"] in body and answer["code"] in body
    attached = [part for part in message.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert attached and answer["code"] in pdf_text(attached[0].get_content())


def test_a_server_answers_the_submission_before_the_receipt_is_made(
        make_app, token_for: Callable[..., str], mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    app = make_app(OUTBOX_INLINE=False)  # as `motcua serve`: its outbox process makes the receipt and the mail
    client = app.test_client()
    answer = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token_for("congdvc"))).json
    assert answer["receipt"] is None and answer["mail_sent"] is False and mailbox.messages == []
    assert answer["receipt_number"] == "01/TNHS-SKHCN"  # numbered in the submission's own transaction
    assert answer["appointment_on"] == "2026-04-13" and answer["status"] == "running"
    assert [w["task"] for w in answer["work_items"]] == ["receive"]
    applicant = {"X-Dossier-Secret": answer["secret"]}  # the integration reads the status as the applicant
    status = client.get(f"/api/v1/dossiers/{answer['code']}", headers=applicant).json
    assert status["documents"] == []
    assert status["documents_coming"] == [{"kind": "receipt", "title": "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
                                           "number": "01/TNHS-SKHCN"}]
    # The receipt, then the mail that carries it.
    assert app.extensions["motcua"].commands.outbox.drain() == 2
    status = client.get(f"/api/v1/dossiers/{answer['code']}", headers=applicant).json
    assert [(d["kind"], d["number"]) for d in status["documents"]] == [("receipt", "01/TNHS-SKHCN")]
    assert status["documents_coming"] == []
    assert [m["To"] for m in mailbox.messages] == [APPLICANT_EMAIL]
    assert answer["secret"] in mailbox.messages[0].get_body(preferencelist=("plain",)).get_content()


def test_a_receipt_drawn_a_day_late_is_dated_when_it_was_numbered(
        make_app, token_for: Callable[..., str], mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    app = make_app(OUTBOX_INLINE=False)
    client = app.test_client()
    answer = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token_for("congdvc"))).json
    numbered = clock.now()
    clock.advance(timedelta(days=1))  # the runner draws it the next day (a crash, a lease that ran out)
    assert app.extensions["motcua"].commands.outbox.drain() == 2
    applicant = {"X-Dossier-Secret": answer["secret"]}
    [receipt] = client.get(f"/api/v1/dossiers/{answer['code']}", headers=applicant).json["documents"]
    assert receipt["number"] == answer["receipt_number"]
    assert datetime.fromisoformat(receipt["issued_at"]) == numbered
    day = numbered.astimezone(ZONE)
    text = pdf_text(client.get(receipt["url"], headers=applicant).get_data())
    assert f"ngày {day:%d} tháng {day:%m} năm {day:%Y}" in text, text
    later = day + timedelta(days=1)
    assert f"ngày {later:%d} tháng {later:%m} năm {later:%Y}" not in text


def test_the_receipt_follows_from_the_servers_outbox_process_within_seconds(
        make_app, token_for: Callable[..., str], mailbox: Mailbox) -> None:  # type: ignore[no-untyped-def]
    app = make_app(OUTBOX_INLINE=False)
    platform = app.extensions["motcua"]
    # As `motcua serve` starts it (create_app does not under TESTING): spawned, its own connections.
    platform.commands.outbox.start_process(outbox_runner, platform.engine.url.render_as_string(hide_password=False),
                                           platform.office)
    try:
        assert platform.commands.outbox.process_ready(60)
        client = app.test_client()
        answer = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token_for("congdvc"))).json
        assert mailbox.arrived.wait(60)  # the receipt's mail, sent once the receipt was made
    finally:
        platform.commands.outbox.stop_process()
    status = client.get(f"/api/v1/dossiers/{answer['code']}", headers={"X-Dossier-Secret": answer["secret"]}).json
    assert [(d["kind"], d["number"]) for d in status["documents"]] == [("receipt", answer["receipt_number"])]
    assert status["documents_coming"] == []
    [pdf] = [p for p in mailbox.messages[0].iter_attachments() if p.get_content_type() == "application/pdf"]
    assert answer["receipt_number"] in pdf_text(pdf.get_content())


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split())


def test_submit_refuses_wrong_fields_one_message_per_field(app: Flask, token_for: Callable[..., str]) -> None:
    form = licence_form()
    form["devices"][1]["purpose"] = "toaster"
    form["phone"] = "12"
    del form["head_id_number"]
    body = submission(form=form, applicant={"applicant_name": "", "delivery": "desk"},
                      documents=api_documents(tuple(i for i in UPLOADED if i != "safety_report")))
    response = app.test_client().post("/api/v1/dossiers", json=body, headers=bearer(token_for("congdvc")))
    assert response.status_code == 422
    fields = response.json["fields"]
    assert fields["form.devices.1.purpose"] == "Giá trị không nằm trong danh sách lựa chọn"
    assert fields["form.phone"] == "Số điện thoại không hợp lệ"
    assert fields["form.head_id_number"] == "Trường này là bắt buộc"
    assert fields["applicant_name"] == fields["applicant_email"] == "Trường này là bắt buộc"
    assert fields["delivery"] == "Giá trị không nằm trong danh sách lựa chọn"  # the desk is not an online choice
    assert fields["documents.safety_report"] == "Chưa tải lên giấy tờ bắt buộc này"
    with session_of(app) as session:
        assert session.scalar(select(Dossier.id)) is None  # nothing half-done


def test_submit_refuses_an_unknown_procedure_and_malformed_requests(app: Flask, token_for: Callable[..., str]) -> None:
    client, headers = app.test_client(), bearer(token_for("congdvc"))
    unknown = client.post("/api/v1/dossiers", json=submission(procedure="completeness_check"), headers=headers)
    assert unknown.status_code == 422 and unknown.json["fields"] == {"procedure": "Không có thủ tục này"}
    not_json = client.post("/api/v1/dossiers", data="code=1", headers=headers, content_type="text/plain")
    assert not_json.status_code == 400 and not_json.json["error"] == "bad_request"
    shape = client.post("/api/v1/dossiers", json={"procedure": 5, "applicant": [], "extra": 1}, headers=headers)
    assert shape.status_code == 422
    assert shape.json["fields"] == {"procedure": "Giá trị phải là chuỗi ký tự",
                                    "applicant": "Phải là một tập các trường (đối tượng JSON)",
                                    "extra": "Trường này không có trong biểu mẫu"}
    nul = client.post("/api/v1/dossiers", json=submission(applicant={**submission()["applicant"],
                                                                     "applicant_name": "Bệnh\x00viện"}),
                      headers=headers)
    assert nul.status_code == 422 and nul.json["fields"] == {"applicant_name": "Có ký tự điều khiển không được phép"}


def test_uploads_are_checked_by_size_and_content(app: Flask, token_for: Callable[..., str]) -> None:
    client, headers = app.test_client(), bearer(token_for("congdvc"))
    documents = api_documents()
    big = base64.b64encode(PDF + b"0" * (MAX_BYTES + 1 - len(PDF))).decode()
    documents[0] = {"item": "establishment", "filename": "big.pdf", "content": big}
    documents[1] = {"item": "staff_training", "filename": "virus.pdf", "content": base64.b64encode(b"MZ\x90").decode()}
    documents[2] = {"item": "manufacturer_documents", "filename": "run.exe", "content": base64.b64encode(PDF).decode()}
    documents[3] = {"item": "inspection", "filename": "a.pdf", "content": "not base64!"}
    documents.append({"item": "no_such_paper", "filename": "x.pdf", "content": base64.b64encode(PDF).decode()})
    response = client.post("/api/v1/dossiers", json=submission(documents=documents), headers=headers)
    assert response.status_code == 422
    fields = response.json["fields"]
    assert fields == {"documents.3.content": "Nội dung tệp phải được mã hoá base64"}  # the shape is checked first
    del documents[3]
    fields = client.post("/api/v1/dossiers", json=submission(documents=documents), headers=headers).json["fields"]
    assert fields["documents.0"] == "Tệp quá lớn (tối đa 20 MB)"
    assert fields["documents.1"] == "Nội dung tệp không đúng với phần mở rộng của tên tệp"
    assert fields["documents.2"] == "Chỉ nhận tệp PDF, JPG, PNG, DOC, DOCX, XLS, XLSX"
    assert fields["documents.6"] == "Thủ tục này không có thành phần hồ sơ này"


def test_tokens_bad_revoked_or_without_the_scope_are_refused(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    assert client.post("/api/v1/dossiers", json=submission()).status_code == 401
    for header in ("Bearer mc_not-a-token", "Basic dXNlcjpwYXNz", "Bearer "):
        response = client.post("/api/v1/dossiers", json=submission(), headers={"Authorization": header})
        assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
    specialist = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token_for("chuyenvien")))
    assert specialist.status_code == 403 and "dossiers:submit" in specialist.json["message"]
    narrowed = token_for("tiepnhan", "work_items:read")
    assert client.post("/api/v1/dossiers", json=submission(), headers=bearer(narrowed)).status_code == 403
    token = token_for("congdvc")
    submit(client, token)
    with make_session_factory(app.extensions["motcua"].engine, write=True)() as session:
        from engine.access.api_token import revoke_token

        row = session.scalar(select(ApiToken).where(ApiToken.name == "test congdvc"))
        revoke_token(session, row.id, "quantri")
        session.commit()
    revoked = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token))
    assert revoked.status_code == 401 and revoked.json["error"] == "unauthorised"


def test_tokens_are_stored_hashed(app: Flask, token_for: Callable[..., str]) -> None:
    token = token_for("congdvc")
    with session_of(app) as session:
        row = session.scalar(select(ApiToken))
    assert token not in (row.token_hash, row.hint) and len(row.token_hash) == 64 and token.startswith(row.hint)
    assert row.scopes == ["dossiers:submit"]


# -- tracking -----------------------------------------------------------------------------------------------


def test_status_by_code_and_secret(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    code, secret = submit(client, token_for("congdvc"))
    # Typed by hand: lower case, no dashes.
    answer = client.get(f"/api/v1/dossiers/{code}", headers={"X-Dossier-Secret": secret.lower().replace("-", "")})
    assert answer.status_code == 200, answer.json
    status = answer.json
    assert status["code"] == code and status["status"] == "running" and status["channel"] == "online"
    assert status["under_way"] == [{"name": "Tiếp nhận hồ sơ, nhập phần mềm egov", "role": "reception",
                                    "done_at": None}]
    assert status["appointment_on"] == "2026-04-13" and status["clock"] is None  # the desk has not taken it yet
    assert [d["kind"] for d in status["documents"]] == ["receipt"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_unknown_code_and_wrong_secret_are_indistinguishable(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    code, secret = submit(client, token_for("congdvc"))
    unknown_code = code[:-4] + "0099"
    answers = [
        client.get(f"/api/v1/dossiers/{code}", headers={"X-Dossier-Secret": "AAAA-BBBB-CCCC"}),
        client.get(f"/api/v1/dossiers/{unknown_code}", headers={"X-Dossier-Secret": secret}),
        client.get(f"/api/v1/dossiers/{code}"),
        client.get(f"/api/v1/dossiers/{code}/documents/1", headers={"X-Dossier-Secret": "AAAA-BBBB-CCCC"}),
        client.get(f"/api/v1/dossiers/{unknown_code}/documents/1", headers={"X-Dossier-Secret": secret}),
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
    # The same headers too, but for the rate limit's countdown.
    headers = [{k: v for k, v in a.headers.items() if not k.startswith("X-RateLimit")} for a in answers]
    assert all(h == headers[0] for h in headers)


def test_officer_tokens_read_any_dossier_they_may_see(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    code, _secret = submit(client, token_for("congdvc"))
    assert client.get(f"/api/v1/dossiers/{code}", headers=bearer(token_for("giamsat"))).status_code == 200
    # The leadership has had no step of this dossier yet: as in the officers' workspace, it does not exist.
    assert client.get(f"/api/v1/dossiers/{code}", headers=bearer(token_for("lanhdao"))).status_code == 404
    # An integration filing for applicants reads a dossier only with its secret.
    refused = client.get(f"/api/v1/dossiers/{code}", headers=bearer(token_for("congdvc")))
    assert refused.status_code == 403 and "dossiers:read" in refused.json["message"]


def test_documents_download_as_pdf_with_the_code(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    code, secret = submit(client, token_for("congdvc"))
    url = client.get(f"/api/v1/dossiers/{code}", headers={"X-Dossier-Secret": secret}).json["documents"][0]["url"]
    response = client.get(url, headers={"X-Dossier-Secret": secret})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert code in pdf_text(response.data)
    assert client.get(url, headers=bearer(token_for("tiepnhan"))).status_code == 200
    assert client.get(url, headers=bearer(token_for("tiepnhan", "work_items:read"))).status_code == 403
    other_code, other_secret = submit(client, token_for("congdvc"))
    # A document of one dossier is not served through another's code.
    assert client.get(url.replace(code, other_code), headers={"X-Dossier-Secret": other_secret}).status_code == 404


def test_failed_lookups_are_rate_limited_and_successful_ones_are_not(
        make_app: Callable[..., Flask], token_for: Callable[..., str]) -> None:
    app = make_app(TRACKING_LIMIT="3 per minute")
    client = app.test_client()
    code, secret = submit(client, token_for("congdvc"))
    for _ in range(5):
        assert client.get(f"/api/v1/dossiers/{code}", headers={"X-Dossier-Secret": secret}).status_code == 200
    wrong = [client.get(f"/api/v1/dossiers/{code}", headers={"X-Dossier-Secret": "WRONG"}).status_code
             for _ in range(4)]
    assert wrong == [404, 404, 404, 429]
    limited = client.get(f"/api/v1/dossiers/{code}", headers={"X-Dossier-Secret": secret})
    assert limited.status_code == 429 and limited.json["error"] == "too_many_requests"
    # The portal's tracking form shares the limit: guessing cannot switch between the two.
    page = client.post("/portal/track", data={"code": code, "secret": secret,
                                              "csrf_token": csrf_token(client, "/portal/track")})
    assert page.status_code == 429


# -- work items ---------------------------------------------------------------------------------------------


def test_officers_list_and_complete_their_work_items(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    code, _secret = submit(client, token_for("congdvc"))
    desk = bearer(token_for("tiepnhan"))
    page = client.get("/api/v1/work-items", headers=desk).json
    assert [(i["dossier_code"], i["name"]) for i in page["items"]] == [(code, "Tiếp nhận hồ sơ, nhập phần mềm egov")]
    item = page["items"][0]
    detail = client.get(f"/api/v1/work-items/{item['id']}", headers=desk).json
    assert detail["ready"] and detail["form"]["id"] == "licence_application"
    assert detail["data"]["devices"][1]["max_kv"] == 150  # the applicant's form, as numbers
    data = {k: v for k, v in detail["data"].items() if k in {f["name"] for f in detail["form"]["fields"]}}

    broken = dict(data, devices=[dict(data["devices"][0], year="xưa")])
    refused = client.post(f"/api/v1/work-items/{item['id']}/complete", json={"data": broken}, headers=desk)
    assert refused.status_code == 422 and refused.json["fields"] == {"devices.0.year": "Giá trị phải là số nguyên"}
    stale = client.post(f"/api/v1/work-items/{item['id']}/complete", json={"data": data, "version": 0},
                        headers=desk)
    assert stale.status_code == 409
    done = client.post(f"/api/v1/work-items/{item['id']}/complete",
                       json={"data": data, "version": detail["version"]}, headers=desk)
    assert done.status_code == 200, done.json
    assert done.json["next"] == [{"name": "Kiểm tra tính đầy đủ, hợp lệ", "role": "specialist"}]
    assert done.json["dossier_code"] == code
    again = client.post(f"/api/v1/work-items/{item['id']}/complete", json={"data": data}, headers=desk)
    assert again.status_code == 409 and again.json["error"] == "not_ready"
    closed = client.get(f"/api/v1/work-items/{item['id']}", headers=desk).json
    assert (closed["status"], closed["ready"], closed["data"], closed["dossier_code"], closed["task"]) == (
        "completed", False, {}, code, detail["task"])
    assert closed["version"] == detail["version"] + 1 and closed["form"]["id"] == "licence_application"

    specialist = bearer(token_for("chuyenvien"))
    # The dossier's items as each token sees them: those of its own roles only.
    for token, seen in ((desk, [("reception", "completed")]), (specialist, [("specialist", "open")])):
        listed = client.get(f"/api/v1/dossiers/{code}/work-items", headers=token).json["items"]
        assert [(i["role"], i["status"]) for i in listed] == seen
    check = client.get("/api/v1/work-items?state=on_track", headers=specialist).json["items"][0]
    assert check["due_at"] and check["clock_state"] == "on_track"
    # Another role's item does not exist for this token.
    assert client.get(f"/api/v1/work-items/{check['id']}", headers=desk).status_code == 404
    assert client.post(f"/api/v1/work-items/{check['id']}/complete", json={"data": {}},
                       headers=desk).status_code == 404


def test_the_work_items_of_one_dossier_that_the_token_may_see(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    code, secret = submit(client, token_for("congdvc"))
    other, _ = submit(client, token_for("congdvc"))
    desk = bearer(token_for("tiepnhan"))
    listed = client.get(f"/api/v1/dossiers/{code}/work-items", headers=desk)
    assert listed.status_code == 200, listed.json
    [item] = listed.json["items"]
    assert listed.json["dossier_code"] == code
    assert (item["task"], item["role"], item["status"], item["closed_at"]) == ("receive", "reception", "open", None)
    page = client.get("/api/v1/work-items", headers=desk).json["items"]
    assert item["id"] in [i["id"] for i in page if i["dossier_code"] == code]
    assert item["id"] not in [i["id"] for i in page if i["dossier_code"] == other]
    # The dossier has not reached the specialist yet: for that token it does not exist; without the scope or a
    # token: refused.
    assert client.get(f"/api/v1/dossiers/{code}/work-items",
                      headers=bearer(token_for("chuyenvien"))).status_code == 404
    assert client.get(f"/api/v1/dossiers/{code}/work-items", headers=bearer(token_for("giamsat"))).status_code == 403
    assert client.get(f"/api/v1/dossiers/{code}/work-items",
                      headers={"X-Motcua-Secret": secret}).status_code == 401
    assert client.get("/api/v1/dossiers/000.00.19.H19-260302-9999/work-items", headers=desk).status_code == 404


def test_rate_limits_come_from_the_environment() -> None:
    from webapp import limits_from_env

    login = ("5 per minute", "30 per minute")
    assert limits_from_env({}, login) == {"LOGIN_LIMITS": login}
    settings = limits_from_env({"MOTCUA_LIMIT_API_SUBMIT": "2 per minute", "MOTCUA_LIMIT_LOGIN_IP": "10 per hour",
                                "MOTCUA_RATELIMIT_STORAGE": "redis://cache:6379"}, login)
    assert settings == {"API_SUBMIT_LIMIT": "2 per minute", "LOGIN_LIMITS": ("5 per minute", "10 per hour"),
                        "RATELIMIT_STORAGE_URI": "redis://cache:6379"}
    with pytest.raises(RuntimeError, match="MOTCUA_LIMIT_TRACKING: 'lots' is not a rate limit"):
        limits_from_env({"MOTCUA_LIMIT_TRACKING": "lots"}, login)


def test_the_submission_limit_set_in_the_environment_holds(make_app, token_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MOTCUA_LIMIT_API_SUBMIT", "2 per hour")
    client = make_app().test_client()
    token = token_for("congdvc")
    answers = [client.post("/api/v1/dossiers", json=submission(), headers=bearer(token)).status_code
               for _ in range(3)]
    assert answers == [201, 201, 429]


def test_a_limited_route_tells_its_count_and_when_to_come_back_and_others_say_nothing(
        make_app, token_for) -> None:  # type: ignore[no-untyped-def]
    client = make_app(API_SUBMIT_LIMIT="2 per minute;100 per hour").test_client()
    desk = bearer(token_for("congdvc"))
    answers = [client.post("/api/v1/dossiers", json=submission(), headers=desk) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    # The tightest of the two limits is the one told.
    assert [(a.headers["X-RateLimit-Limit"], a.headers["X-RateLimit-Remaining"]) for a in answers] == \
        [("2", "1"), ("2", "0"), ("2", "0")]
    refused = answers[2]
    assert refused.json["error"] == "too_many_requests"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    assert abs(int(refused.headers["X-RateLimit-Reset"]) - time.time() - int(refused.headers["Retry-After"])) <= 2
    assert "Retry-After" not in answers[0].headers
    # Routes without a limit neither count nor carry the headers.
    listed = client.get("/api/v1/work-items", headers=bearer(token_for("tiepnhan")))
    assert listed.status_code == 200 and not [k for k, _v in listed.headers.items() if k.startswith("X-RateLimit")]


def test_work_items_refuse_without_token_scope_or_with_bad_query(app: Flask, token_for: Callable[..., str]) -> None:
    client = app.test_client()
    assert client.get("/api/v1/work-items").status_code == 401
    assert client.get("/api/v1/work-items", headers=bearer(token_for("giamsat"))).status_code == 403
    bad = client.get("/api/v1/work-items?state=late&limit=0&after=%00", headers=bearer(token_for("tiepnhan")))
    assert bad.status_code == 422 and set(bad.json["fields"]) == {"state", "limit", "after"}
    assert client.get("/api/v1/work-items/99999999999", headers=bearer(token_for("tiepnhan"))).status_code == 404


# -- the document and the command line ----------------------------------------------------------------------


def test_openapi_document_describes_every_endpoint_from_the_schemas(app: Flask) -> None:
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/procedures", "/api/v1/procedures/{process_id}", "/api/v1/dossiers", "/api/v1/dossiers/{code}",
        "/api/v1/dossiers/{code}/documents/{document_id}", "/api/v1/dossiers/{code}/work-items",
        "/api/v1/work-items", "/api/v1/work-items/{item_id}", "/api/v1/work-items/{item_id}/complete",
        "/api/v1/messages"}
    schemas = document["components"]["schemas"]
    assert {"Submission", "Upload", "DossierStatus", "Error", "WorkItemPage", "Completion"} <= set(schemas)
    assert schemas["Upload"]["properties"]["content"]["format"] == "byte"
    submit_op = document["paths"]["/api/v1/dossiers"]["post"]
    assert submit_op["security"] == [{"bearer": []}] and {"201", "401", "403", "413", "422", "429"} <= set(
        submit_op["responses"])
    assert document["paths"]["/api/v1/dossiers/{code}"]["get"]["security"] == [{"bearer": []}, {}]


def test_token_command_creates_lists_and_revokes(app: Flask, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from engine.cli.main import cli

    monkeypatch.setenv("DATABASE_URL", app.extensions["motcua"].engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    created = runner.invoke(cli, ["token", "create", "Cổng DVC tỉnh", "--user", "congdvc", "--actor", "quantri"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    client = app.test_client()
    submit(client, token)
    listed = runner.invoke(cli, ["token", "list"])
    assert "Cổng DVC tỉnh" in listed.output and "active" in listed.output and token not in listed.output
    token_id = listed.output.split("\t", 1)[0]
    assert runner.invoke(cli, ["token", "revoke", token_id]).exit_code == 0
    assert client.post("/api/v1/dossiers", json=submission(), headers=bearer(token)).status_code == 401
    refused = runner.invoke(cli, ["token", "create", "x", "--user", "phantich"])
    assert refused.exit_code == 1 and "give no API scope" in refused.output
    refused = runner.invoke(cli, ["token", "create", "x", "--user", "congdvc", "--scope", "work_items:read"])
    assert refused.exit_code == 1 and "do not allow" in refused.output


def test_a_receipt_filed_through_the_api_names_the_tokens_user_as_receiver(
        app: Flask, token_for: Callable[..., str]) -> None:
    """The token acts as its user, who answers for what it files: the receipt names that user, not the token."""
    client = app.test_client()
    answer = client.post("/api/v1/dossiers", json=submission(), headers=bearer(token_for("congdvc"))).json
    applicant = {"X-Dossier-Secret": answer["secret"]}
    [receipt] = client.get(f"/api/v1/dossiers/{answer['code']}", headers=applicant).json["documents"]
    text = pdf_text(client.get(receipt["url"], headers=applicant).get_data())
    assert "NGƯỜI TIẾP NHẬN HỒ SƠ (Ký, ghi rõ họ tên) Cổng Dịch vụ công tỉnh" in text, text  # congdvc's full name
    assert "api:" not in text and "test congdvc" not in text
