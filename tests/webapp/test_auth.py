"""Signing in: hashed passwords, secure cookies, CSRF on every form, a rate limit, the language switch."""

from __future__ import annotations

from engine.access.user import DEMO_PASSWORD
from tests.webapp.conftest import csrf_token, post, sign_in


def test_sign_in_sets_a_secure_session_cookie_and_lands_on_the_role_home(app) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "tiepnhan", "password": DEMO_PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and cookie.startswith("motcua_session=")
    assert client.get("/").headers["Location"].endswith("/reception/")


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(app) -> None:
    client = app.test_client()
    for username in ("tiepnhan", "nobody"):
        response = client.post("/login", data={"username": username, "password": "wrong",
                                               "csrf_token": csrf_token(client)})
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_every_form_post_needs_the_csrf_token(app) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "tiepnhan", "password": DEMO_PASSWORD})
    assert response.status_code == 400 and "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)
    sign_in(client, "chuyenvien")
    for path in ("/logout", "/inbox/items/1/claim", "/tasks/1", "/dossiers/1/attachments"):
        response = client.post(path, data={})
        assert response.status_code == 400, path
    assert client.get("/inbox").status_code == 200  # still signed in: the logout without token was refused


def test_login_is_rate_limited_per_ip_and_user_name(app) -> None:
    client = app.test_client()
    statuses = [client.post("/login", data={"username": "chuyenvien", "password": f"guess{i}",
                                            "csrf_token": csrf_token(client)}).status_code for i in range(6)]
    assert statuses == [401] * 5 + [429]
    refused = client.post("/login", data={"username": "chuyenvien", "password": DEMO_PASSWORD,
                                          "csrf_token": csrf_token(client)})
    assert refused.status_code == 429 and "Quá nhiều lần thử" in refused.get_data(as_text=True)
    # Another user name from the same address is still let through (until the per-IP limit).
    sign_in(client, "tiepnhan")


def test_logout_ends_the_session(app) -> None:
    client = app.test_client()
    sign_in(client, "chuyenvien")
    assert post(client, "/logout").status_code == 302
    assert client.get("/inbox").status_code == 302


def test_open_redirects_are_refused(app) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "chuyenvien", "password": DEMO_PASSWORD,
                                           "next": "//evil.example/x", "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_the_language_switch_keeps_english_through_the_session(app) -> None:
    client = app.test_client()
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)
    client.get("/language/en")
    sign_in(client, "chuyenvien")
    page = client.get("/inbox").get_data(as_text=True)
    assert "My work" in page and "Nothing to do." in page and "Việc cần xử lý" not in page
    client.get("/language/vi")
    assert "Việc cần xử lý" in client.get("/inbox").get_data(as_text=True)
