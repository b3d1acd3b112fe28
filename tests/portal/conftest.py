"""Fixtures of the portal and API tests: the app on the real procedures (bpmn/ and dmn/), the demo officers,
a local SMTP server catching the applicants' mail, API tokens, and a valid licence application."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.engine import Engine

from engine.access.api_token import create_token
from engine.access.user import DEMO_USERS, User, UserRole
from engine.legal_time.clock import clock
from engine.onestop.notifications import SmtpSettings
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from tests.webapp.conftest import Mailbox, demo_hash, smtp_server  # noqa: F401  (fixtures shared with the web tests)
from webapp import create_app

ROOT = Path(__file__).resolve().parents[2]
PROCESS = "radiation_licence_issue"
# Monday 2 March 2026, 09:00 in Đồng Nai: no holiday in the next weeks.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# The papers of the licence procedure that are uploaded (the others are the online form itself).
UPLOADED = ("establishment", "staff_training", "manufacturer_documents", "inspection", "safety_report", "survey",
            "incident_plan")
APPLICANT_EMAIL = "bv-dongnai@example.vn"


def seed(db: Engine, password_hash: str) -> None:
    with make_session_factory(db, write=True)() as session:
        for username, full_name, roles in DEMO_USERS:
            session.add(User(username=username, full_name=full_name, email=f"{username}@motcua.local",
                             password_hash=password_hash, created_at=clock.now(),
                             role_rows=[UserRole(role=r) for r in roles]))
        session.add(User(username="congdvc", full_name="Cổng Dịch vụ công tỉnh", email="", password_hash="-",
                         created_at=clock.now(), role_rows=[UserRole(role="applicant")]))
        deploy_folders(session, [ROOT / "bpmn", ROOT / "dmn"], actor="test")
        session.commit()


@pytest.fixture
def make_app(db: Engine, demo_hash: str, smtp_server: tuple[SmtpSettings, Mailbox]) -> Callable[..., Flask]:  # noqa: F811
    """The app, with config overrides (e.g. low rate limits); seeded once."""
    clock.freeze(MONDAY_9AM)
    seed(db, demo_hash)

    def make(**config: Any) -> Flask:
        return create_app({
            "DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
            "SECRET_KEY": "test-secret", "BPMN_ROOT": str(ROOT / "bpmn"), "SMTP": smtp_server[0],
            **config,
        })
    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def mailbox(smtp_server: tuple[SmtpSettings, Mailbox]) -> Mailbox:  # noqa: F811
    return smtp_server[1]


@pytest.fixture
def token_for(app: Flask) -> Callable[..., str]:
    """A fresh API token acting as the given user."""
    def make(username: str, *scopes: str) -> str:
        with make_session_factory(app.extensions["motcua"].engine, write=True)() as session:
            _row, token = create_token(session, f"test {username}", username, "quantri", scopes or None)
            session.commit()
        return token
    return make


def device(number: int, purpose: str) -> dict[str, str]:
    return {"name": f"Máy X-quang {number}", "model": f"MX-{number}", "maker": "Shimadzu, Nhật Bản", "year": "2021",
            "max_kv": "150", "max_ma": "500", "purpose": purpose, "mobility": "fixed",
            "tube_model": "0.6/1.2P324DK-85", "tube_serial": f"TB-{number:03d}", "tube_maker": "Shimadzu",
            "tube_year": "2021", "console_model": "UD150B-40", "console_serial": f"CS-{number:03d}",
            "console_maker": "Shimadzu", "console_year": "2021"}


def licence_form(devices: int = 2) -> dict[str, Any]:
    """The licence application (Mẫu) as an applicant fills it: the safety officer holds a certificate."""
    return {
        "applicant_name": "Bệnh viện Đa khoa Đồng Nai", "contact_address": "02 Đồng Khởi, Biên Hòa, Đồng Nai",
        "phone": "0251 3822 123", "email": APPLICANT_EMAIL, "head_name": "Nguyễn Văn Giám Đốc",
        "head_position": "Giám đốc", "head_id_number": "075081000123", "head_id_issued_on": "2021-05-10",
        "head_id_issued_by": "Cục Cảnh sát QLHC về TTXH",
        "works": [{"name": "Sử dụng thiết bị X-quang chẩn đoán trong y tế", "place": "02 Đồng Khởi, Biên Hòa"}],
        "devices": [device(n + 1, purpose) for n, purpose in enumerate(("general", "ct", "dental")[:devices])],
        "so_name": "Trần Thị An Toàn", "so_worker_cert_number": "CC-123/2020",
    }


def applicant() -> dict[str, str]:
    return {"applicant_name": "Bệnh viện Đa khoa Đồng Nai", "applicant_email": APPLICANT_EMAIL,
            "applicant_phone": "0251 3822 123", "delivery": "email"}


def api_documents(items: tuple[str, ...] = UPLOADED) -> list[dict[str, str]]:
    content = base64.b64encode(PDF).decode()
    return [{"item": item, "filename": f"{item}.pdf", "content": content} for item in items]


def submission(**changes: Any) -> dict[str, Any]:
    return {"procedure": PROCESS, "applicant": applicant(), "form": licence_form(), "documents": api_documents(),
            **changes}
