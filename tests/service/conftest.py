"""Fixtures of the service layer's tests: the commands on the test database with a procedure that is not
among the eleven (data/bpmn/lab_recognition), the demo officers, and a local SMTP server that can refuse."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import Engine

from engine.access.user import DEMO_USERS, User, UserRole
from engine.legal_time.clock import clock
from engine.onestop.documents import Agency
from engine.onestop.notifications import SmtpSettings
from engine.onestop.paperwork import Office
from engine.onestop.reception import Registration
from engine.runtime.db import make_session_factory
from engine.service.commands import Commands, Opened
from tests.webapp.conftest import demo_hash, free_port  # noqa: F401  (a fixture shared with the web tests)

BPMN_ROOT = Path(__file__).parent / "data" / "bpmn"
PROCESS = "lab_recognition"
# Monday 2 March 2026, 09:00 in Đồng Nai: no holiday in the next weeks.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
APPLICANT_EMAIL = "phongthunghiem@example.vn"


class Mailbox:
    """The test SMTP server's handler: refuses the first `refuse` messages with a temporary error."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = 0
        self.refused = 0
        self.arrived = threading.Event()

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.arrived.set()
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpSettings, Mailbox]]:
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpSettings(host="127.0.0.1", port=port, sender="motcua@skhcn.dongnai.gov.vn", timeout=5), mailbox
    finally:
        controller.stop()


def seed_users(db: Engine, password_hash: str) -> None:
    with make_session_factory(db, write=True)() as session:
        for username, full_name, roles in DEMO_USERS:
            session.add(User(username=username, full_name=full_name, email=f"{username}@motcua.local",
                             password_hash=password_hash, created_at=clock.now(),
                             role_rows=[UserRole(role=r) for r in roles]))
        session.commit()


def office(smtp: SmtpSettings | None) -> Office:
    return Office(agency=Agency(), agency_code="000.00.19.H19", bpmn_root=BPMN_ROOT, smtp=smtp)


@pytest.fixture
def make_commands(db: Engine, demo_hash: str) -> Callable[..., Commands]:  # noqa: F811
    """Commands on the test database, users seeded and the test procedure deployed."""
    clock.freeze(MONDAY_9AM)
    seed_users(db, demo_hash)

    def make(smtp: SmtpSettings | None = None, *, mail_inline: bool = True) -> Commands:
        return Commands.build(db, office(smtp), mail_inline=mail_inline)

    make().deploy_folders([BPMN_ROOT], "test")
    return make


def register(commands: Commands, name: str = "Phòng thử nghiệm Biên Hòa", **extra: Any) -> Opened:
    """A dossier of the test procedure received at the desk, with the applicant's e-mail."""
    return commands.register_at_desk(Registration(
        process_id=PROCESS, applicant={"applicant_name": name, "applicant_address": "Biên Hòa, Đồng Nai",
                                       "applicant_email": APPLICANT_EMAIL, "delivery": "email", **extra},
        received_documents=("application",)), "tiepnhan")
