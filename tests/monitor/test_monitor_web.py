"""The monitor in the web app: who may open it, what it shows, and the supervisor's actions (audited)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from engine.legal_time.clock import clock
from engine.onestop.apology import DeadlineExtension
from engine.onestop.documents import Document
from engine.oversight.alerts import Alert
from engine.oversight.escalation import EscalationRule
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.scheduler import TimerScheduler
from engine.runtime.work_item import WorkItem
from tests.monitor.conftest import PROCESS
from tests.webapp.conftest import post

PAGES = ["/supervisor/", "/supervisor/statistics", "/supervisor/escalation", "/supervisor/alerts",
         f"/supervisor/heatmap/{PROCESS}", f"/supervisor/heatmap/{PROCESS}/spots.json",
         f"/supervisor/heatmap/{PROCESS}/diagram.bpmn", "/supervisor/statistics?format=csv"]


def start(app: Flask, n: int) -> list[int]:
    service = app.extensions["motcua"].dossiers
    return [service.start(PROCESS, {"applicant_name": f"Công ty {i}"}, actor="tiepnhan", title=f"Công ty TNHH {i}",
                          code=f"000.00.19.H19-260302-{i + 1:04d}").dossier_id for i in range(n)]


def rows(app: Flask, query):  # type: ignore[no-untyped-def]
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return session.execute(query).all()


@pytest.mark.parametrize("username", ["chuyenvien", "tiepnhan", "truongphong", "phantich"])
def test_officers_are_refused_every_monitor_page_and_action(client_for, username: str, app: Flask) -> None:
    [dossier_id] = start(app, 1)
    client = client_for(username)
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    for action in (f"/supervisor/dossiers/{dossier_id}/remind", f"/supervisor/dossiers/{dossier_id}/apology",
                   "/supervisor/items/1/reassign", "/supervisor/officers/chuyenvien/reassign",
                   "/supervisor/escalation"):
        assert post(client, action, {"to": "chuyenvien2"}).status_code == 403, action
    assert rows(app, select(AuditEvent.command).where(AuditEvent.command.in_(["remind", "reassign"]))) == []


def test_supervisors_and_administrators_get_in_and_strangers_sign_in_first(app: Flask, client_for) -> None:
    for username in ("giamsat", "quantri"):
        client = client_for(username)
        for page in PAGES:
            assert client.get(page).status_code == 200, (username, page)
    anonymous = app.test_client().get("/supervisor/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_dashboard_counts_lists_and_workload(app: Flask, client_for) -> None:
    ids = start(app, 3)
    clock.advance(timedelta(days=1))  # Tuesday: the checks are due soon
    client = client_for("giamsat")
    page = client.get("/supervisor/").get_data(as_text=True)
    assert 'id="count-due_soon">3<' in page and 'id="count-overdue">0<' in page
    for dossier_id in ids:
        assert f'data-dossier="{dossier_id}"' in page
    assert "Kiểm tra hồ sơ" in page and "chưa ai nhận" in page
    clock.advance(timedelta(days=3, hours=12))  # Friday 21:00: the checks are late (their timers not yet run)
    page = client.get("/supervisor/").get_data(as_text=True)
    assert 'id="count-overdue">3<' in page
    assert '<svg class="chart"' in page


def test_reassign_an_item_and_a_queue_remind_and_they_are_audited(app: Flask, client_for) -> None:
    ids = start(app, 2)
    items = {i.dossier_id: i.id for i in
             rows(app, select(WorkItem.dossier_id, WorkItem.id).where(WorkItem.task_spec == "check"))}
    client = client_for("giamsat")
    assert post(client, f"/supervisor/items/{items[ids[0]]}/reassign", {"to": "chuyenvien"},
                token_from="/supervisor/").status_code == 302
    assert post(client, f"/supervisor/items/{items[ids[1]]}/reassign", {"to": "chuyenvien"},
                token_from="/supervisor/").status_code == 302
    # A leader does not hold the specialist's role: refused, nothing moves.
    post(client, f"/supervisor/items/{items[ids[0]]}/reassign", {"to": "lanhdao"}, token_from="/supervisor/")
    assert {a for a, in rows(app, select(WorkItem.assignee).where(WorkItem.task_spec == "check"))} == {"chuyenvien"}

    response = post(client, "/supervisor/officers/chuyenvien/reassign", {"to": "chuyenvien2"},
                    token_from="/supervisor/")
    assert response.status_code == 302
    assert {a for a, in rows(app, select(WorkItem.assignee).where(WorkItem.task_spec == "check"))} == {"chuyenvien2"}
    post(client, f"/supervisor/dossiers/{ids[0]}/remind", {"note": "Xin xử lý trong ngày."}, token_from="/supervisor/")

    trail = rows(app, select(AuditEvent.actor, AuditEvent.command, AuditEvent.dossier_id, AuditEvent.data)
                 .where(AuditEvent.command.in_(["reassign", "remind"])).order_by(AuditEvent.id))
    assert [(a, c, d) for a, c, d, _ in trail] == [
        ("giamsat", "reassign", ids[0]), ("giamsat", "reassign", ids[1]),
        ("giamsat", "reassign", ids[0]), ("giamsat", "reassign", ids[1]), ("giamsat", "remind", ids[0])]
    assert trail[2][3] == {"from": "chuyenvien", "to": "chuyenvien2", "reason": ""}
    assert trail[4][3]["to"] == ["chuyenvien2"]
    told = rows(app, select(Alert.recipient, Alert.kind).order_by(Alert.id))
    assert told[-1] == ("chuyenvien2", "reminder") and ("chuyenvien2", "reassigned") in told


def test_the_apology_letter_is_prepared_signed_once_and_audited(app: Flask, client_for) -> None:
    [dossier_id] = start(app, 1)
    clock.advance(timedelta(days=1))
    client = client_for("giamsat")
    draft = client.get(f"/supervisor/dossiers/{dossier_id}/apology").get_data(as_text=True)
    assert "Phiếu xin lỗi và hẹn lại ngày trả kết quả".upper() in draft.upper()
    # The appointment is the total: 10 working days from Monday 2 March, Monday 16 March; proposed 5 more.
    assert "16/03/2026" in draft and 'value="2026-03-23"' in draft

    refused = post(client, f"/supervisor/dossiers/{dossier_id}/apology", {"reason": "", "new_day": "2026-03-23"},
                   token_from=f"/supervisor/dossiers/{dossier_id}/apology")
    assert refused.status_code == 422
    signed = post(client, f"/supervisor/dossiers/{dossier_id}/apology",
                  {"reason": "Cần lấy ý kiến cơ quan chuyên môn.", "new_day": "2026-03-23"},
                  token_from=f"/supervisor/dossiers/{dossier_id}/apology")
    assert signed.status_code == 302
    again = post(client, f"/supervisor/dossiers/{dossier_id}/apology", {"reason": "Lần nữa", "new_day": "2026-03-30"},
                 token_from=f"/supervisor/dossiers/{dossier_id}/apology")
    assert again.status_code == 422 and "một lần" in again.get_data(as_text=True)

    [extension] = rows(app, select(DeadlineExtension.new_appointment_on, DeadlineExtension.before_due,
                                   DeadlineExtension.document_id, DeadlineExtension.recorded_by))
    assert (str(extension[0]), extension[1], extension[3]) == ("2026-03-23", True, "giamsat")
    assert rows(app, select(Document.kind).where(Document.id == extension[2])) == [("apology",)]
    commands = [c for c, in rows(app, select(AuditEvent.command).where(AuditEvent.dossier_id == dossier_id)
                                 .order_by(AuditEvent.id))]
    assert commands.count("extension") == 1 and commands.count("document") == 1
    page = client.get("/supervisor/").get_data(as_text=True)
    assert "Hẹn lại: 23/03/2026" in page


def test_escalation_rules_are_edited_and_used(app: Flask, client_for) -> None:
    client = client_for("giamsat")
    assert "Đang dùng quy tắc mặc định" in client.get("/supervisor/escalation").get_data(as_text=True)
    # For the check phase, at due soon, tell only the office head (in the app).
    post(client, "/supervisor/escalation", {"phase": "check", "milestone": "due_soon", "notify": "office_head"},
         token_from="/supervisor/escalation")
    saved = rows(app, select(EscalationRule.phase, EscalationRule.milestone, EscalationRule.notify,
                             EscalationRule.by_email))
    assert ("check", "due_soon", "office_head", False) in saved and len(saved) == 6  # the defaults, then it
    [dossier_id] = start(app, 1)
    clock.advance(timedelta(days=1))
    TimerScheduler(app.extensions["motcua"].engine, smtp=None).tick()
    assert rows(app, select(Alert.recipient, Alert.mail_status).where(Alert.dossier_id == dossier_id)) == [
        ("truongphong", "none")]
    assert rows(app, select(AuditEvent.actor).where(AuditEvent.command == "escalation_rule_add")) == [("giamsat",)]


def test_statistics_table_and_exports(app: Flask, client_for) -> None:
    start(app, 2)
    client = client_for("giamsat")
    page = client.get("/supervisor/statistics?from=2026-03-01&to=2026-03-31").get_data(as_text=True)
    assert 'data-col="received_desk">2<' in page and '<svg class="chart"' in page
    exported = client.get("/supervisor/statistics?from=2026-03-01&to=2026-03-31&format=csv")
    assert exported.headers["Content-Disposition"] == "attachment; filename=thong-ke-20260301-20260331.csv"
    table = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert table[1][0] == "Thủ tục" and table[1][3] == "Tiếp nhận trực tiếp"
    assert table[2][0] == "Cấp phép thử (giám sát)" and table[2][3] == "2"
    workbook = client.get("/supervisor/statistics?from=2026-03-01&to=2026-03-31&format=xlsx")
    sheet = load_workbook(io.BytesIO(workbook.get_data())).active
    assert (sheet["A3"].value, sheet["D3"].value, sheet["A4"].value) == ("Cấp phép thử (giám sát)", 2, "Tổng cộng")


def test_the_monitor_speaks_english_when_asked(app: Flask, client_for) -> None:
    start(app, 1)
    clock.advance(timedelta(days=1))  # the check is due soon: the dossier is listed with the step it waits at
    client = client_for("giamsat")
    page = client.get("/supervisor/").get_data(as_text=True)
    assert "Hồ sơ sắp đến hạn và quá hạn" in page and "Kiểm tra hồ sơ —" in page
    client.get("/language/en")
    page = client.get("/supervisor/").get_data(as_text=True)
    assert "Dossiers due soon and overdue" in page and "Workload by role and officer" in page
    assert "Check the dossier —" in page  # the step's name-en, not the diagram's Vietnamese name
    assert "Hồ sơ sắp đến hạn" not in page and "Kiểm tra hồ sơ" not in page
    assert "Dossier handling statistics" in client.get("/supervisor/statistics").get_data(as_text=True)
