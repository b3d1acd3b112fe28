"""Fixtures of the web app's tests: an app on the test database with the demo users and a small licence
procedure (data/bpmn/licence_web), a signed-in test client, and a local SMTP server."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.access.user import DEMO_PASSWORD, DEMO_USERS, User, UserRole
from engine.legal_time.clock import clock
from engine.onestop.notifications import SmtpSettings
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from webapp import create_app

DATA = Path(__file__).parent / "data"
BPMN_ROOT = DATA / "bpmn"
PROCESS = "licence_web"
# Monday 2 March 2026, 09:00 in Đồng Nai: no holiday in the next weeks.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SECOND_SPECIALIST = ("chuyenvien2", "Lý Thị Chuyên Hai", ["specialist"])
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def demo_hash() -> str:
    # Argon2 is slow on purpose: hash the demo password once for every test's users.
    return PasswordHasher().hash(DEMO_PASSWORD)


def seed_users(session: Session, demo_hash: str, users: tuple = (*DEMO_USERS, SECOND_SPECIALIST)) -> None:
    for username, full_name, roles in users:
        session.add(User(username=username, full_name=full_name, email=f"{username}@motcua.local",
                         password_hash=demo_hash, created_at=clock.now(), role_rows=[UserRole(role=r) for r in roles]))


def seed(db: Engine, demo_hash: str) -> None:
    with make_session_factory(db, write=True)() as session:
        seed_users(session, demo_hash)
        deploy_folders(session, [BPMN_ROOT], actor="test")
        session.commit()


@pytest.fixture
def app(db: Engine, demo_hash: str) -> Flask:
    clock.freeze(MONDAY_9AM)
    seed(db, demo_hash)
    return create_app({
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "BPMN_ROOT": str(BPMN_ROOT),
        "SMTP": None,
    })


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    match = CSRF.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> None:
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client: FlaskClient, path: str, data: dict | None = None, *, token_from: str = "/login", **kwargs):  # type: ignore[no-untyped-def]
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, token_from)}, **kwargs)


@pytest.fixture
def client_for(app: Flask):  # type: ignore[no-untyped-def]
    """A test client signed in as the given demo user."""
    def make(username: str) -> FlaskClient:
        client = app.test_client()
        sign_in(client, username)
        return client
    return make


class Mailbox:
    """The test SMTP server's handler; it refuses the first `refuse` messages with a temporary error."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived = threading.Event()
        self.refuse = 0
        self.refused = 0

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.arrived.set()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[SmtpSettings, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSettings(host="127.0.0.1", port=port, sender="motcua@skhcn.dongnai.gov.vn"), mailbox
    finally:
        controller.stop()
