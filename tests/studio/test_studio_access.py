"""Only analysts and administrators reach the studio: every page and every command, for every role."""

from __future__ import annotations

import pytest
from flask import Flask

from engine.access.user import DEMO_USERS
from tests.studio.conftest import LICENCE
from tests.webapp.conftest import csrf_token, sign_in

ROLE_OF = {username: roles[0] for username, _, roles in DEMO_USERS}
STUDIO = {"analyst", "admin"}
BASE = f"/studio/procedures/{LICENCE}"
PAGES = ["/studio/", BASE, f"{BASE}/diagram", f"{BASE}/forms/completeness_check",
         f"{BASE}/tables/dmn/radiation_fees.dmn", f"{BASE}/diff", f"{BASE}/sandbox", "/studio/import"]
COMMANDS = [f"{BASE}/draft", f"{BASE}/check", f"{BASE}/deploy", f"{BASE}/discard", f"{BASE}/sandbox",
            "/studio/forms/preview", "/studio/import"]


@pytest.mark.parametrize("username", sorted(ROLE_OF))
def test_each_role_gets_the_studio_or_403(app: Flask, username: str) -> None:
    client = app.test_client()
    sign_in(client, username)
    token = csrf_token(client)
    allowed = ROLE_OF[username] in STUDIO
    pages = {path: client.get(path).status_code for path in PAGES}
    commands = {path: client.post(path, json={}, headers={"X-CSRFToken": token}).status_code for path in COMMANDS}
    if allowed:
        assert set(pages.values()) == {200}, pages
        # Empty commands are refused as bad requests, not as forbidden.
        assert 403 not in commands.values() and all(code < 500 for code in commands.values()), commands
    else:
        assert set(pages.values()) == {403} and set(commands.values()) == {403}, (pages, commands)


def test_anonymous_visitors_are_sent_to_sign_in(app: Flask) -> None:
    client = app.test_client()
    answers = [client.get(path) for path in PAGES]
    assert all(a.status_code == 302 and "/login" in a.headers["Location"] for a in answers)


def test_an_unknown_procedure_is_not_found(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "phantich")
    assert client.get("/studio/procedures/no_such_thing").status_code == 404
    assert client.get(f"{BASE}/tables/dmn/missing.dmn").status_code == 404
