"""Issue 12 in the officers' workspace: a posted dossier registered with the day it arrived, the dossier page
showing the legal dates and the promised day, and a supervisor correcting a date with a reason. The platform
clock stands on Monday 2/3/2026, 09:00 (conftest)."""

from __future__ import annotations

import io
import re
from datetime import date

from flask import Flask
from sqlalchemy import select

from engine.legal_time.business_calendar import ZONE
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from tests.webapp.conftest import PROCESS, post
from tests.webapp.helpers import DOSSIER_URL, PDF


def registration(channel: str, received_on: str) -> dict:
    return {
        "channel": channel, "received_on": received_on, "applicant_name": "Bệnh viện Đa khoa Đồng Nai",
        "applicant_address": "02 Đồng Khởi, Biên Hòa, Đồng Nai", "applicant_email": "bv@example.vn",
        "delivery": "desk", "form-head_name": "Nguyễn Văn Giám Đốc", "received": ["application", "establishment"],
        "file-application": (io.BytesIO(PDF), "don.pdf"), "form-devices-0-name": "Máy X-quang",
        "form-devices-0-purpose": "general", "form-devices-0-serial": "SN-0001",
    }


def dossier(app: Flask, dossier_id: int) -> Dossier:
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return session.get(Dossier, dossier_id)


def local_day(instant) -> date:  # type: ignore[no-untyped-def]
    return instant.astimezone(ZONE).date()


def test_posted_dossier_keeps_its_day_and_a_supervisor_corrects_it(app: Flask, client_for) -> None:  # type: ignore[no-untyped-def]
    desk = client_for("tiepnhan")
    url = f"/reception/new/{PROCESS}"
    refused = post(desk, url, registration("desk", "2026-02-27"), token_from=url, content_type="multipart/form-data")
    assert refused.status_code == 422
    assert "Hồ sơ nộp trực tiếp được tiếp nhận trong ngày" in refused.get_data(as_text=True)
    future = post(desk, url, registration("post", "2026-03-03"), token_from=url, content_type="multipart/form-data")
    assert future.status_code == 422 and "Ngày này chưa đến" in future.get_data(as_text=True)

    done = post(desk, url, registration("post", "2026-02-27"), token_from=url, content_type="multipart/form-data")
    assert done.status_code == 302, done.get_data(as_text=True)
    dossier_id = int(DOSSIER_URL.search(done.headers["Location"]).group(1))
    before = dossier(app, dossier_id)
    assert local_day(before.received_at) == date(2026, 2, 27) and local_day(before.created_at) == date(2026, 3, 2)

    supervisor = client_for("giamsat")
    page = supervisor.get(f"/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Ngày pháp lý" in page and "27/02/2026" in page and "Hẹn trả kết quả" in page
    form = re.search(r'action="(/supervisor/dossiers/\d+/dates/(\d+))"', page)
    assert form, "no correction form for the supervisor"
    page_url = f"/dossiers/{dossier_id}"

    bad = post(supervisor, form.group(1), {"day": "2026-03-09", "reason": "x"}, token_from=page_url)
    assert bad.status_code == 302
    assert "Ngày này chưa đến" in supervisor.get(page_url).get_data(as_text=True)
    no_reason = post(supervisor, form.group(1), {"day": "2026-02-26", "reason": " "}, token_from=page_url)
    assert no_reason.status_code == 302
    assert "Xin ghi lý do điều chỉnh" in supervisor.get(page_url).get_data(as_text=True)

    fixed = post(supervisor, form.group(1), {"day": "2026-02-26", "reason": "Dấu bưu điện ngày 26/02"},
                 token_from=page_url)
    assert fixed.status_code == 302
    after = dossier(app, dossier_id)
    assert local_day(after.received_at) == date(2026, 2, 26)
    # 30 working days (licence_web's total) from Thu 26/2 end on Thu 9/4, one day earlier than from Fri 27/2.
    assert local_day(before.total_due_at) == date(2026, 4, 11) and local_day(after.total_due_at) == date(2026, 4, 10)
    page = supervisor.get(page_url).get_data(as_text=True)
    assert "Dấu bưu điện ngày 26/02" in page and "2026-02-27" in page and "2026-02-26" in page
    # The dossier waits at the step right after the receipt: no step decided on the old day, nothing runs again
    # (the waiting work item stays), and the page says so.
    assert "Chưa bước tự động nào quyết định theo ngày cũ; các bước sau sẽ dùng ngày mới." in page
    assert "Các bước tự động sau sự kiện đã chạy lại" not in page
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        audited = session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id,
                                                           AuditEvent.command == "correct_event_date")).one()
    assert audited.actor == "giamsat" and audited.data["reason"] == "Dấu bưu điện ngày 26/02"
    # An officer sees the dates but gets no correction form.
    assert "/supervisor/dossiers/" not in desk.get(page_url).get_data(as_text=True)
