"""The administrator records the Government's yearly calendar decisions; deadlines follow at once."""

from __future__ import annotations

from datetime import date

from flask import Flask

from engine.audit import AuditEvent
from engine.business_calendar import load_calendar
from engine.db import make_session_factory
from tests.webapp.conftest import post, sign_in


def calendar_of(app: Flask):  # type: ignore[no-untyped-def]
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return load_calendar(session)


def test_admin_adds_and_removes_a_bridge_day(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "quantri")
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Lịch làm việc năm 2026" in page and "17/02/2026" in page  # Tết 2026 is listed as a day off
    assert calendar_of(app).is_working(date(2026, 6, 5))

    response = post(client, "/admin/calendar/overrides",
                    {"day": "2026-06-05", "kind": "day_off", "reason": "Công văn thử nghiệm 1/VPCP", "year": "2026"},
                    token_from="/admin/calendar")
    assert response.status_code == 302
    assert not calendar_of(app).is_working(date(2026, 6, 5))
    page = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "Công văn thử nghiệm 1/VPCP" in page and "05/06/2026" in page

    duplicate = post(client, "/admin/calendar/overrides",
                     {"day": "2026-06-05", "kind": "working_day", "reason": "lặp", "year": "2026"},
                     token_from="/admin/calendar", follow_redirects=True)
    assert "đã có điều chỉnh" in duplicate.get_data(as_text=True)

    post(client, "/admin/calendar/overrides/2026-06-05/delete", token_from="/admin/calendar")
    assert calendar_of(app).is_working(date(2026, 6, 5))
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        commands = [e.command for e in session.query(AuditEvent).order_by(AuditEvent.id)]
    assert commands[-2:] == ["calendar_override_add", "calendar_override_remove"]


def test_an_override_without_reason_is_refused(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "quantri")
    response = post(client, "/admin/calendar/overrides", {"day": "2026-06-05", "kind": "day_off", "reason": " "},
                    token_from="/admin/calendar", follow_redirects=True)
    assert "Ghi rõ căn cứ" in response.get_data(as_text=True)
    assert calendar_of(app).is_working(date(2026, 6, 5))


def test_only_administrators_reach_the_calendar(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "giamsat")
    assert client.get("/admin/calendar").status_code == 403
    response = post(client, "/admin/calendar/overrides", {"day": "2026-06-05", "kind": "day_off", "reason": "x"},
                    token_from="/inbox")
    assert response.status_code == 403
    assert calendar_of(app).is_working(date(2026, 6, 5))
