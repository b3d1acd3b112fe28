"""Fixtures of the service layer's tests: the commands on the test database with a procedure that is not
among the eleven (data/bpmn/lab_recognition), the demo officers, and the web tests' local SMTP server (which
can refuse)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from engine.access.user import DEMO_USERS
from engine.legal_time.clock import clock
from engine.onestop.documents import Agency
from engine.onestop.notifications import SmtpSettings
from engine.onestop.paperwork import Office
from engine.onestop.reception import Registration
from engine.runtime.db import make_session_factory
from engine.service.commands import Commands, Opened
from tests.webapp.conftest import Mailbox, demo_hash, seed_users, smtp_server  # noqa: F401  (shared fixtures)

BPMN_ROOT = Path(__file__).parent / "data" / "bpmn"
PROCESS = "lab_recognition"
# Monday 2 March 2026, 09:00 in Đồng Nai: no holiday in the next weeks.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
APPLICANT_EMAIL = "phongthunghiem@example.vn"


@pytest.fixture
def smtp(smtp_server: tuple[SmtpSettings, Mailbox]) -> tuple[SmtpSettings, Mailbox]:  # noqa: F811
    settings, mailbox = smtp_server
    return replace(settings, timeout=5), mailbox


def office(smtp: SmtpSettings | None) -> Office:
    return Office(agency=Agency(), agency_code="000.00.19.H19", bpmn_root=BPMN_ROOT, smtp=smtp)


@pytest.fixture
def make_commands(db: Engine, demo_hash: str) -> Callable[..., Commands]:  # noqa: F811
    """Commands on the test database, users seeded and the test procedure deployed."""
    clock.freeze(MONDAY_9AM)
    with make_session_factory(db, write=True)() as session:
        seed_users(session, demo_hash, DEMO_USERS)
        session.commit()

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
