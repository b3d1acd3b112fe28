"""Sessions end on the server, redirects stay on the platform, limits know the real client (issue 17)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.access.user import find_user, reset_password, set_active
from engine.runtime.db import make_session_factory
from engine.runtime.work_item import WorkItem
from tests.webapp.conftest import csrf_token, sign_in
from tests.webapp.test_inbox import fill
from webapp.rate_limits import MemoryCounts

COOKIE = "motcua_session"


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of the client's session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return thief


def signed_in(client: FlaskClient) -> bool:
    return client.get("/inbox").status_code == 200


def test_signing_out_ends_the_session_on_the_server(app: Flask, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("chuyenvien")
    thief = copy_of(app, client)
    assert signed_in(thief)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    assert response.status_code == 302
    assert not signed_in(client)
    stolen = thief.get("/inbox")
    assert stolen.status_code == 302 and "/login" in stolen.headers["Location"]


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_a_new_password_or_a_deactivated_account_ends_every_session(app: Flask, client_for, change: str) -> None:  # type: ignore[no-untyped-def]
    first, second = client_for("chuyenvien"), client_for("chuyenvien")
    other = client_for("truongphong")
    with make_session_factory(app.extensions["motcua"].engine, write=True)() as session:
        user = find_user(session, "chuyenvien")
        if change == "password":
            reset_password(session, user.username, "mat-khau-moi-2026", "quantri")
        else:
            set_active(session, user.username, False, "quantri")
        session.commit()
    assert not signed_in(first) and not signed_in(second)
    assert signed_in(other)  # other people's sessions are theirs
    if change == "password":
        fresh = app.test_client()
        sign_in(fresh, "chuyenvien", "mat-khau-moi-2026")
        assert signed_in(fresh)


def test_a_forged_cookie_without_a_server_session_is_refused(app: Flask, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("chuyenvien")
    with client.session_transaction() as cookie:
        cookie["sid"] = "guessed"
    assert not signed_in(client)



def test_a_live_session_counts_only_for_its_own_user(app: Flask, client_for) -> None:  # type: ignore[no-untyped-def]
    client, boss = client_for("chuyenvien"), client_for("truongphong")
    with boss.session_transaction() as cookie:
        boss_id = cookie["user_id"]
    with client.session_transaction() as cookie:
        cookie["user_id"] = boss_id  # the cookie names the head of office, the session is the specialist's
    assert not signed_in(client)
    assert "Trưởng phòng" in boss.get("/inbox").get_data(as_text=True)  # and the boss is still themselves


@pytest.mark.parametrize(("back", "lands"), [
    ("https://evil.example/phish", "/inbox"),
    ("//evil.example/phish", "/inbox"),
    ("/\\evil.example/phish", "/inbox"),
    ("/\tevil", "/inbox"),
    ("javascript:alert(1)", "/inbox"),
    ("/no/such/page", "/inbox"),
    ("/inbox?state=overdue", "/inbox?state=overdue"),
])
def test_back_after_claim_and_release_only_goes_to_the_platforms_own_pages(app: Flask, client_for, back: str,  # type: ignore[no-untyped-def]
                                                                           lands: str) -> None:
    fill(app.extensions["motcua"].engine, 1, roles=("specialist",))
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        item = session.scalar(select(WorkItem.id))
    client = client_for("chuyenvien")
    for action in ("claim", "release"):
        response = client.post(f"/inbox/items/{item}/{action}",
                               data={"back": back, "csrf_token": csrf_token(client, "/inbox")})
        assert response.status_code == 302
        assert response.headers["Location"] == lands, action


def test_sign_in_next_only_goes_to_the_platforms_own_pages(app: Flask) -> None:
    client = app.test_client()
    for target, lands in (("//evil.example", "/"), ("/inbox", "/inbox")):
        response = client.post("/login", data={"username": "chuyenvien", "password": "motcua2026", "next": target,
                                               "csrf_token": csrf_token(client)})
        assert response.headers["Location"] == lands
        client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})


def login_attempts(app: Flask, address: str, count: int) -> list[int]:
    client = app.test_client()
    return [client.post("/login", data={"username": "chuyenvien", "password": "wrong",
                                        "csrf_token": csrf_token(client)},
                        headers={"X-Forwarded-For": address}).status_code for _ in range(count)]


def test_limits_key_on_the_client_behind_a_configured_proxy(db, demo_hash) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.conftest import BPMN_ROOT, seed
    from webapp import create_app

    seed(db, demo_hash)
    config = {"DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
              "SECRET_KEY": "test-secret", "BPMN_ROOT": str(BPMN_ROOT), "SMTP": None,
              "LOGIN_LIMITS": ("2 per minute", "2 per minute")}
    behind_proxy = create_app({**config, "PROXY_HOPS": 1})
    assert login_attempts(behind_proxy, "203.0.113.7", 3) == [401, 401, 429]
    assert login_attempts(behind_proxy, "198.51.100.9", 1) == [401]  # another applicant, its own count
    # Without a configured proxy the header is the client's word: ignored, everyone is 127.0.0.1.
    direct = create_app(config)
    assert login_attempts(direct, "203.0.113.7", 2) == [401, 401]
    assert login_attempts(direct, "198.51.100.9", 1) == [429]


def test_rate_limit_counts_start_no_thread_per_hit_and_sweep_what_expired(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    storage = app.extensions["motcua_limits"].storage
    assert isinstance(storage, MemoryCounts)  # the default (MOTCUA_RATELIMIT_STORAGE unset)
    storage.timer.join()  # the one timer its constructor starts
    started: list[threading.Timer] = []
    monkeypatch.setattr(threading.Timer, "start", lambda timer: started.append(timer))
    assert [storage.incr("submit|a", 3600) for _ in range(3)] == [1, 2, 3]
    storage.expirations["login|gone"], storage.storage["login|gone"] = 0.0, 4  # a count nobody asks again
    storage._next_sweep = 0.0  # a minute has passed
    assert storage.incr("submit|b", 3600) == 1
    assert started == [] and "login|gone" not in storage.storage and storage.get("submit|a") == 3
