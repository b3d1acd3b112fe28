"""Diagrams that pass `validate` but meet hostile data when a dossier is registered (issue 17): the command
stops within its budget, the desk gets a 4xx with the reason, the supervisor sees an incident, and another
client's /health answers within a second all along (a real server in a thread)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine

from engine.oversight import incidents
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from engine.runtime.dossier import Dossier
from tests.live_server import served, while_healthy
from tests.webapp.conftest import BPMN_ROOT, PROCESS, seed
from tests.webapp.helpers import PDF
from webapp import create_app

SCREEN = """<bpmn:scriptTask id="screen" name="Screen the application">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f_screened</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f_screened" sourceRef="screen" targetRef="check" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="screen" />"""


def hostile_app(db: Engine, demo_hash: str, tmp_path: Path, script: str) -> Flask:
    """The test procedure with a script task that reads the application before the first step."""
    root = tmp_path / "bpmn"
    shutil.copytree(BPMN_ROOT, root)
    diagram = root / PROCESS / f"{PROCESS}.bpmn"
    text = diagram.read_text(encoding="utf-8")
    text = text.replace('<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />',
                        SCREEN.format(script=script))
    text = text.replace("<bpmn:flowNodeRef>check</bpmn:flowNodeRef>",
                        "<bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>screen</bpmn:flowNodeRef>")
    diagram.write_text(text, encoding="utf-8")
    seed(db, demo_hash)
    with make_session_factory(db, write=True)() as session:
        deploy_folders(session, [root], actor="test")  # validate accepts it: the constants are harmless
        session.commit()
    return create_app({"DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
                       "SECRET_KEY": "test-secret", "BPMN_ROOT": str(root), "SMTP": None,
                       "WTF_CSRF_ENABLED": False})


@pytest.mark.parametrize(("script", "serial", "words"), [
    ("text = f\"{Decimal(devices[0]['serial']):f}\"", "1e999999999", "is not a number within the bounds"),
    ("due = due_in_working_days(len(devices[0]['serial']) * 100000)", "x" * 20,
     "due_in_working_days(2000000) lies beyond the 100-year horizon"),
    ("n = working_days_between('2000-01-01', devices[0]['serial'])", "9999-12-31",
     "working_days_between(2000-01-01, 9999-12-31) lies beyond the 100-year horizon"),
])
def test_a_desk_registration_meeting_a_budget_is_refused_while_the_server_answers(
        db: Engine, demo_hash: str, tmp_path: Path, script: str, serial: str, words: str) -> None:
    app = hostile_app(db, demo_hash, tmp_path, script)
    data = {"channel": "desk", "applicant_name": "Bệnh viện Đa khoa Đồng Nai", "applicant_address": "02 Đồng Khởi",
            "applicant_phone": "0251 3822 123", "applicant_email": "bv@example.vn", "delivery": "desk",
            "form-head_name": "Nguyễn Văn Giám Đốc", "received": ["application"],
            "form-devices-0-name": "Máy X-quang", "form-devices-0-purpose": "general", "form-devices-0-serial": serial}
    with served(app) as base_url:
        desk = requests.Session()
        assert desk.post(f"{base_url}/login", data={"username": "tiepnhan", "password": "motcua2026"},
                         allow_redirects=False, timeout=30).status_code == 302
        response = while_healthy(base_url, lambda: desk.post(
            f"{base_url}/reception/new/{PROCESS}", data=data, files={"file-application": ("don.pdf", PDF)},
            allow_redirects=False, timeout=60))
    assert response.status_code == 422 and words in response.text
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert session.scalar(select(Dossier.id)) is None  # nothing half-registered
        [incident] = incidents.recent(session)
    assert incident.process_id == PROCESS and incident.actor == "tiepnhan" and words in incident.message
    giamsat = app.test_client()
    giamsat.post("/login", data={"username": "giamsat", "password": "motcua2026"})
    page = giamsat.get("/supervisor/").get_data(as_text=True)
    assert 'id="incidents"' in page and words in page
