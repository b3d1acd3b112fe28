"""The workspace officers would choose, in headless Chromium (issue 15): tables whose rows grow, a dossier
page that reads like a file and keeps a normal size, reviewers who see what they approve.
Screenshots go to test-artifacts/ (and to MOTCUA_SCREENSHOTS when set, for the issue's note)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from tests.webapp.test_browser import ARTIFACTS, Officer

pytestmark = pytest.mark.browser


def shot(officer: Officer, name: str) -> Path:
    officer.shot(name)
    extra = os.environ.get("MOTCUA_SCREENSHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        officer.page.screenshot(path=str(Path(extra) / f"{name}.png"), full_page=True)
    return ARTIFACTS / f"{name}.png"


def register_five_devices(desk: Officer) -> None:
    desk.page.click("text=Cấp giấy phép tiến hành công việc bức xạ (thử)")
    desk.page.fill("#applicant_name", "Bệnh viện Đa khoa Đồng Nai — Cơ sở 2 (khoa Chẩn đoán hình ảnh, tầng 3)")
    desk.page.fill("#applicant_address", "02 Đồng Khởi, phường Tam Hòa, thành phố Biên Hòa, tỉnh Đồng Nai")
    desk.page.select_option("#delivery", "desk")
    desk.page.fill("#form-head_name", "Nguyễn Văn Giám Đốc")
    devices = desk.page.locator("fieldset[data-rows=form-devices]")
    assert devices.locator("tbody tr").count() == 1  # the form asks for at least one
    for index in range(5):
        if index:
            devices.locator("button.add-row").click()
        desk.page.fill(f"#form-devices-{index}-name", f"Máy X-quang kỹ thuật số DigitalDiagnost C{index + 1}0")
        desk.page.select_option(f"#form-devices-{index}-purpose", "ct" if index == 4 else "general")
        desk.page.fill(f"#form-devices-{index}-serial", f"PHILIPS-DDC-2026-{index + 1:05d}-" + "X" * 30)
    # a row added by mistake goes away again, and the numbering stays 1..5
    devices.locator("button.add-row").click()
    assert devices.locator("tbody tr").count() == 6
    devices.locator("tbody tr").nth(2).locator("button.remove-row").click()
    assert [devices.locator(".row-number").nth(i).inner_text() for i in range(5)] == ["1", "2", "3", "4", "5"]
    assert desk.page.input_value("#form-devices-2-serial").startswith("PHILIPS-DDC-2026-00004")
    desk.page.fill("#form-devices-4-name", "Máy CT 64 lát cắt")
    desk.page.select_option("#form-devices-4-purpose", "dental")
    desk.page.fill("#form-devices-4-serial", "CT-64-0003")
    desk.page.check("input[name=received][value=application]")
    desk.page.click("button[type=submit].primary")
    desk.page.wait_for_url("**/dossiers/*")


def test_desk_registers_a_licence_with_five_devices_and_the_file_keeps_a_normal_size(
        app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    desk = Officer(browser, base_url, "tiepnhan")
    register_five_devices(desk)
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        dossier = session.scalar(select(Dossier))
    table = desk.page.locator("#data table").first
    assert table.locator("tbody tr").count() == 5
    assert "Chẩn đoán thông thường" in table.inner_text() and "CT-64-0003" in table.inner_text()
    text = desk.page.inner_text("#data")
    assert "devices" not in text and "received_documents" not in text
    size = desk.page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    assert size[0] <= 1400 and size[1] <= 3000, size  # the viewport is 1400 wide: no sideways scroll
    path = shot(desk, "dossier-five-devices")
    assert path.stat().st_size > 10_000
    assert dossier.code in desk.page.inner_text("h1")
    desk.close()
