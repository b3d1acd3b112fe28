"""People and handovers (issue 15): the administrator adds, edits, deactivates users and resets passwords in
the browser and with `motcua user`; a deactivated user cannot sign in; every change is audited. Officers
are handed work in bulk, claim and release in bulk, and a colleague acts for them while they are absent."""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select, text

from engine.access.user import find_user
from engine.cli.user_cli import user_group
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from tests.webapp.conftest import csrf_token, post
from tests.webapp.helpers import complete, open_item, register


def audit_trail(app: Flask, prefix: str) -> list[tuple[str, str, dict]]:
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        return [(e.actor, e.command, e.data) for e in session.scalars(
            select(AuditEvent).where(AuditEvent.command.like(f"{prefix}%")).order_by(AuditEvent.id))]


def user(app: Flask, username: str):  # type: ignore[no-untyped-def]
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        found = find_user(session, username)
        return (found.full_name, found.email, found.unit, sorted(found.roles), found.active) if found else None


def sign_in_status(app: Flask, username: str, password: str) -> int:
    client = app.test_client()
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)}).status_code


def test_admin_creates_edits_resets_and_deactivates_a_user(app, client_for) -> None:
    admin = client_for("quantri")
    form = {"username": "chuyenvien3", "full_name": "Hồ Thị Ba", "email": "ba@skhcn.dongnai.gov.vn",
            "unit": "Phòng Quản lý chuyên ngành", "password": "mat-khau-ba", "roles": ["specialist"]}
    response = post(admin, "/admin/users", form, token_from="/admin/users")
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/users/chuyenvien3")
    assert user(app, "chuyenvien3") == ("Hồ Thị Ba", "ba@skhcn.dongnai.gov.vn", "Phòng Quản lý chuyên ngành",
                                        ["specialist"], True)
    assert sign_in_status(app, "chuyenvien3", "mat-khau-ba") == 302

    # a second one with the same name, a short password and no role: one message per field, nothing saved
    response = post(admin, "/admin/users", {**form, "password": "ngan", "roles": [], "email": "x@"},
                    token_from="/admin/users")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for message in ("Tên đăng nhập này đã có người dùng.", "Mật khẩu cần ít nhất 8 ký tự.",
                    "Chọn ít nhất một vai trò.", "Địa chỉ e-mail không hợp lệ."):
        assert message in page, message
    assert 'value="Hồ Thị Ba"' in page  # what was typed is kept

    response = post(admin, "/admin/users/chuyenvien3", {"full_name": "Hồ Thị Ba", "email": "",
                                                        "unit": "Văn phòng Sở",
                                                        "roles": ["specialist", "office_head"]},
                    token_from="/admin/users/chuyenvien3")
    assert response.status_code == 302
    assert user(app, "chuyenvien3")[2:4] == ("Văn phòng Sở", ["office_head", "specialist"])

    assert post(admin, "/admin/users/chuyenvien3/password", {"password": "mat-khau-moi"},
                token_from="/admin/users/chuyenvien3").status_code == 302
    assert sign_in_status(app, "chuyenvien3", "mat-khau-ba") == 401
    assert sign_in_status(app, "chuyenvien3", "mat-khau-moi") == 302

    signed_in = app.test_client()
    signed_in.post("/login", data={"username": "chuyenvien3", "password": "mat-khau-moi",
                                   "csrf_token": csrf_token(signed_in)})
    assert signed_in.get("/inbox").status_code == 200
    assert post(admin, "/admin/users/chuyenvien3/active", {"active": "0"},
                token_from="/admin/users/chuyenvien3").status_code == 302
    assert user(app, "chuyenvien3")[4] is False
    assert sign_in_status(app, "chuyenvien3", "mat-khau-moi") == 401
    assert signed_in.get("/inbox").status_code == 302  # the open session ends at its next request
    # an administrator cannot lock themself out
    post(admin, "/admin/users/quantri/active", {"active": "0"}, token_from="/admin/users/quantri")
    assert user(app, "quantri")[4] is True

    trail = audit_trail(app, "user_")
    assert [(actor, command) for actor, command, _ in trail] == [
        ("quantri", "user_create"), ("quantri", "user_edit"), ("quantri", "user_password_reset"),
        ("quantri", "user_deactivate")]
    assert trail[1][2]["changes"]["unit"] == {"from": "Phòng Quản lý chuyên ngành", "to": "Văn phòng Sở"}
    assert "mat-khau" not in str(trail)
    assert client_for("chuyenvien").get("/admin/users").status_code == 403


def test_user_command_line(app, db) -> None:  # type: ignore[no-untyped-def]
    url = db.url
    if db.dialect.name == "postgresql":
        with db.connect() as conn:
            url = url.update_query_dict({"options": f"-csearch_path={conn.scalar(text('select current_schema()'))}"})
    env = {"DATABASE_URL": url.render_as_string(hide_password=False)}

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(user_group, list(args), env=env)

    result = run("create", "lienthong3", "--name", "Phan Văn Ba", "--role", "liaison", "--unit", "Văn phòng",
                 "--password", "mot-hai-ba-bon")
    assert result.exit_code == 0, result.output
    assert run("create", "lienthong3", "--name", "X", "--role", "liaison", "--password", "mot-hai-ba-bon"
               ).exit_code == 1
    refused = run("create", "x", "--name", "X", "--role", "nobody", "--password", "1")
    assert refused.exit_code == 1 and sorted(refused.output.splitlines()) == [
        "password: too short (at least 8 characters)", "roles: unknown", "username: not valid"]
    assert run("edit", "lienthong3", "--role", "liaison", "--role", "specialist").exit_code == 0
    assert run("reset-password", "lienthong3", "--password", "nam-sau-bay-tam").exit_code == 0
    assert run("deactivate", "lienthong3").exit_code == 0
    listing = [line.split("\t") for line in run("list").output.splitlines()]
    assert ["lienthong3", "Phan Văn Ba", "liaison,specialist", "Văn phòng", "deactivated"] in listing
    assert sign_in_status(app, "lienthong3", "nam-sau-bay-tam") == 401
    assert [c for _, c, _ in audit_trail(app, "user_")] == [
        "user_create", "user_edit", "user_password_reset", "user_deactivate"]


def test_bulk_claim_release_and_bulk_reassign(app, client_for) -> None:
    desk = client_for("tiepnhan")
    dossiers = [register(desk, email=f"a{i}@example.vn", name=f"Phòng khám {i}") for i in range(3)]
    items = [open_item(app, d, "check").id for d in dossiers]
    specialist = client_for("chuyenvien")
    response = post(specialist, "/inbox/bulk", {"action": "claim", "items": [str(i) for i in items]},
                    token_from="/inbox")
    assert response.status_code == 302
    assert {open_item(app, d, "check").assignee for d in dossiers} == {"chuyenvien"}
    post(specialist, "/inbox/bulk", {"action": "release", "items": [str(items[0])]}, token_from="/inbox")
    assert open_item(app, dossiers[0], "check").assignee is None

    supervisor = client_for("giamsat")
    inbox = supervisor.get("/inbox").get_data(as_text=True)
    assert all(f'data-item="{i}"' in inbox for i in items) and 'value="reassign"' in inbox
    # to someone without the role: refused in words, nothing moves
    response = post(supervisor, "/inbox/bulk", {"action": "reassign", "to": "tiepnhan",
                                                "items": [str(i) for i in items]}, token_from="/inbox")
    assert {open_item(app, d, "check").assignee for d in dossiers[1:]} == {"chuyenvien"}
    response = post(supervisor, "/inbox/bulk", {"action": "reassign", "to": "chuyenvien2",
                                                "items": [str(i) for i in items]}, token_from="/inbox",
                    follow_redirects=True)
    assert "Đã giao 3 việc cho chuyenvien2." in response.get_data(as_text=True)
    assert {open_item(app, d, "check").assignee for d in dossiers} == {"chuyenvien2"}
    assert [e[2]["to"] for e in audit_trail(app, "reassign")] == ["chuyenvien2"] * 3
    # an officer cannot hand work over
    assert post(specialist, "/inbox/bulk", {"action": "reassign", "to": "chuyenvien",
                                            "items": [str(items[0])]}, token_from="/inbox").status_code == 403


def test_an_absent_officers_colleague_acts_for_them(app, client_for) -> None:
    dossier_id = register(client_for("tiepnhan"))
    item = open_item(app, dossier_id, "check")
    holder, colleague = client_for("chuyenvien"), client_for("chuyenvien2")
    post(holder, f"/inbox/items/{item.id}/claim")
    # before the absence the colleague cannot finish what the officer holds
    assert complete(colleague, item.id, {"decision": "accept"}).status_code == 409
    today = date(2026, 3, 2)
    response = post(holder, "/absences", {"delegate": "chuyenvien2", "starts_on": today.isoformat(),
                                          "ends_on": (today + timedelta(days=4)).isoformat(),
                                          "reason": "Đi công tác"}, token_from="/absences",
                    follow_redirects=True)
    assert "Đã ghi lịch vắng mặt từ 02/03/2026 đến 06/03/2026." in response.get_data(as_text=True)
    assert "Bạn đang được uỷ quyền xử lý thay: chuyenvien." in colleague.get("/inbox").get_data(as_text=True)
    # nobody hands new work to the absent officer
    response = post(client_for("giamsat"), f"/supervisor/items/{item.id}/reassign", {"to": "chuyenvien"},
                    token_from="/supervisor/", follow_redirects=True)
    assert "người này đang vắng mặt" in response.get_data(as_text=True)
    # a delegate of another role is refused
    response = post(holder, "/absences", {"delegate": "tiepnhan", "starts_on": "2026-03-10",
                                          "ends_on": "2026-03-11"}, token_from="/absences", follow_redirects=True)
    assert "phải có mọi vai trò xử lý hồ sơ" in response.get_data(as_text=True)
    assert complete(colleague, item.id, {"decision": "accept"}).status_code == 302
    assert [c for _, c, _ in audit_trail(app, "absence")] == ["absence"]
