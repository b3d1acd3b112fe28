"""Driving the licence_web procedure through the web app with the test client."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.runtime.db import make_session_factory
from engine.runtime.work_item import WorkItem
from tests.webapp.conftest import PROCESS, post

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOSSIER_URL = re.compile(r"/dossiers/(\d+)$")


def register(client: FlaskClient, *, email: str = "bv-dongnai@example.vn", name: str = "Bệnh viện Đa khoa Đồng Nai",
             devices: int = 2) -> int:
    data: dict = {
        "channel": "desk", "applicant_name": name, "applicant_address": "02 Đồng Khởi, Biên Hòa, Đồng Nai",
        "applicant_phone": "0251 3822 123", "applicant_email": email, "delivery": "desk",
        "form-head_name": "Nguyễn Văn Giám Đốc", "received": ["application", "establishment"],
        "file-application": (io.BytesIO(PDF), "don-de-nghi.pdf"),
    }
    for index in range(devices):
        data[f"form-devices-{index}-name"] = f"Máy X-quang {index + 1}"
        data[f"form-devices-{index}-purpose"] = "general"
        data[f"form-devices-{index}-serial"] = f"SN-{index + 1:04d}"
    response = post(client, f"/reception/new/{PROCESS}", data, token_from=f"/reception/new/{PROCESS}",
                    content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    match = DOSSIER_URL.search(response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def open_item(app: Flask, dossier_id: int, task_spec: str) -> WorkItem:
    engine = app.extensions["motcua"].engine
    with make_session_factory(engine)() as session:
        item = session.scalar(select(WorkItem).where(WorkItem.dossier_id == dossier_id,
                                                     WorkItem.task_spec == task_spec, WorkItem.status == "open"))
    assert item is not None, f"no open {task_spec} in dossier {dossier_id}"
    return item


def version_on(page: str) -> str:
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "no version on the task page"
    return match.group(1)


def complete(client: FlaskClient, item_id: int, data: dict, **kwargs):  # type: ignore[no-untyped-def]
    page = client.get(f"/tasks/{item_id}").get_data(as_text=True)
    return post(client, f"/tasks/{item_id}", {"version": version_on(page), **data}, token_from=f"/tasks/{item_id}",
                **kwargs)
