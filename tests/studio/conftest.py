"""Fixtures of the studio's tests: the eleven procedures of bpmn/ and the tables of dmn/ deployed as
`motcua deploy` does, the demo users, a web app on the test database, and headless Chromium."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

from engine.access.user import DEMO_PASSWORD, DEMO_USERS, User, UserRole
from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from engine.studio.studio_workspace import Workspace, load_workspace
from tests.webapp.conftest import sign_in
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]
BPMN, DMN = ROOT / "bpmn", ROOT / "dmn"
MIWG = ROOT.parent / "shared" / "conformance" / "miwg"
ARTIFACTS = ROOT / "test-artifacts" / "studio"
# Monday 2 March 2026, 09:00 in Đồng Nai: no public holiday in the weeks the tests run through.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
LICENCE = "radiation_licence_issue"
LICENCE_FILE = f"bpmn/{LICENCE}/{LICENCE}.bpmn"


@pytest.fixture
def deployed(db: Engine) -> Engine:
    """The database with bpmn/ and dmn/ deployed as version 1, the clock on a plain Monday."""
    clock.freeze(MONDAY)
    with make_session_factory(db, write=True)() as session:
        deploy_folders(session, [BPMN, DMN], actor="cli")
        session.commit()
    return db


@pytest.fixture
def workspace(deployed: Engine) -> Workspace:
    with make_session_factory(deployed)() as session:
        return load_workspace(session)


@pytest.fixture(scope="session")
def demo_hash() -> str:
    return PasswordHasher().hash(DEMO_PASSWORD)


@pytest.fixture
def app(deployed: Engine, demo_hash: str) -> Flask:
    with make_session_factory(deployed, write=True)() as session:
        for username, full_name, roles in DEMO_USERS:
            session.add(User(username=username, full_name=full_name, email=f"{username}@motcua.local",
                             password_hash=demo_hash, created_at=clock.now(),
                             role_rows=[UserRole(role=r) for r in roles]))
        session.commit()
    return create_app({"DATABASE_URL": deployed.url.render_as_string(hide_password=False), "TESTING": True,
                       "SECRET_KEY": "test-secret", "BPMN_ROOT": str(BPMN), "SMTP": None})


@pytest.fixture
def analyst(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, "phantich")
    return client


def licence_text(workspace: Workspace) -> str:
    return workspace.files[LICENCE_FILE]
