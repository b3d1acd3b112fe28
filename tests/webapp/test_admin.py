"""The administrator: the Government's yearly calendar decisions (deadlines follow at once) and API tokens."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask

from engine.legal_time.business_calendar import load_calendar
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
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


def test_admin_issues_an_api_token_shown_once_and_revokes_it(app: Flask) -> None:
    from engine.access.api_token import ApiToken, authenticate

    client = app.test_client()
    sign_in(client, "quantri")
    page = post(client, "/admin/tokens", {"name": "Cổng DVC tỉnh", "username": "tiepnhan",
                                          "scopes": ["dossiers:submit"]}, token_from="/admin/tokens")
    text = page.get_data(as_text=True)
    clear = re.search(r"<code>(mc_[A-Za-z0-9_-]+)</code>", text)
    assert clear, "the new token is shown once"
    engine = app.extensions["motcua"].engine
    with make_session_factory(engine)() as session:
        holder = authenticate(session, clear.group(1))
        assert holder is not None and holder.scopes == {"dossiers:submit"} and holder.username == "tiepnhan"
        row = session.query(ApiToken).one()
        assert clear.group(1) not in (row.token_hash, row.hint)
    assert clear.group(1) not in client.get("/admin/tokens").get_data(as_text=True)

    post(client, f"/admin/tokens/{row.id}/revoke", token_from="/admin/tokens")
    with make_session_factory(engine)() as session:
        assert authenticate(session, clear.group(1)) is None


def test_a_token_beyond_the_users_roles_is_refused(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "quantri")
    page = post(client, "/admin/tokens", {"name": "x", "username": "giamsat", "scopes": ["work_items:complete"]},
                token_from="/admin/tokens", follow_redirects=True)
    assert "Không tạo được mã truy cập" in page.get_data(as_text=True)
