"""Fixtures of the supervision tests: the sla_demo procedure (a 3-working-day check with a deadline timer,
then a 7-working-day appraisal, 10 working days in all), its officers, and the web app on top."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.engine import Engine

from engine.access.user import DEMO_USERS, User, UserRole
from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from engine.runtime.dossier_service import DossierService
from tests.webapp.conftest import client_for, demo_hash, smtp_server  # noqa: F401  (shared with the web tests)
from webapp import create_app

DATA = Path(__file__).parent / "data"
BPMN_ROOT = DATA / "bpmn"
PROCESS = "sla_demo"
# Monday 2 March 2026, 09:00 in Đồng Nai: the check is due at the end of Thursday 5 March.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
SECOND_SPECIALIST = ("chuyenvien2", "Lý Thị Chuyên Hai", ["specialist"])


def add_people(db: Engine, password_hash: str = "not-for-signing-in") -> None:
    """The demo users (one per role) and a second specialist, each with an e-mail address."""
    with make_session_factory(db, write=True)() as session:
        for username, full_name, roles in (*DEMO_USERS, SECOND_SPECIALIST):
            session.add(User(username=username, full_name=full_name, email=f"{username}@motcua.local",
                             password_hash=password_hash, created_at=clock.now(),
                             role_rows=[UserRole(role=r) for r in roles]))
        session.commit()


def deploy(db: Engine) -> None:
    with make_session_factory(db, write=True)() as session:
        deploy_folders(session, [BPMN_ROOT], actor="test")
        session.commit()


@pytest.fixture
def service(db: Engine) -> DossierService:
    clock.freeze(MONDAY_9AM)
    deploy(db)
    add_people(db)
    return DossierService(db)


@pytest.fixture
def app(db: Engine, demo_hash: str) -> Flask:  # noqa: F811
    clock.freeze(MONDAY_9AM)
    deploy(db)
    add_people(db, demo_hash)
    return create_app({
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "BPMN_ROOT": str(BPMN_ROOT),
        "SMTP": None,
    })
