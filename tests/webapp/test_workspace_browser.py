"""The workspace officers would choose, in headless Chromium (issue 15): tables whose rows grow, a dossier
page that reads like a file and keeps a normal size, reviewers who see what they approve.
Screenshots go to test-artifacts/ (and to MOTCUA_SCREENSHOTS when set, for the issue's note)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engine.access.user import DEMO_PASSWORD
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


def test_the_leader_signs_seeing_the_appraisal_and_the_papers_before_it(
        app: Flask, base_url: str, browser, client_for) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.helpers import complete, open_item, register

    dossier_id = register(client_for("tiepnhan"), devices=3)
    specialist = client_for("chuyenvien")
    complete(specialist, open_item(app, dossier_id, "check").id, {"decision": "accept"})
    complete(specialist, open_item(app, dossier_id, "appraise").id,
             {"decision": "issue", "valid_until": "2031-03-31"})
    leader = Officer(browser, base_url, "lanhdao")
    leader.open_task("Ký cấp giấy phép")
    above = leader.page.locator("#file")
    # the file so far sits above the form, the appraisal first and open
    assert above.bounding_box()["y"] < leader.page.locator("form.task-form").bounding_box()["y"]
    latest = above.locator("details.file-section").first
    assert latest.get_attribute("open") is not None
    assert "Thẩm định hồ sơ" in latest.locator("summary").inner_text()
    words = latest.inner_text()
    assert "Kết quả thẩm định" in words and "Đạt — trình ký cấp phép" in words and "31/03/2031" in words
    check = above.locator("details.file-section").nth(1)
    assert "Kiểm tra hồ sơ" in check.inner_text() and "Thông báo nộp phí" in check.inner_text()  # its paper
    shot(leader, "review-step")
    leader.page.check("input[name=signed]")
    leader.page.click("button:has-text('Hoàn thành')")
    leader.page.wait_for_url("**/inbox")
    leader.close()


def test_admin_adds_an_officer_hands_them_work_in_bulk_then_deactivates_them(
        app: Flask, base_url: str, browser, client_for) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.helpers import register

    desk = client_for("tiepnhan")
    codes = []
    for index in range(3):
        register(desk, email=f"pk{index}@example.vn", name=f"Phòng khám Tân Mai {index + 1}")
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        codes = [d.code for d in session.scalars(select(Dossier).order_by(Dossier.id))]

    admin = Officer(browser, base_url, "quantri")
    admin.page.goto(f"{base_url}/admin/users")
    admin.page.fill("#new-username", "chuyenvien5")
    admin.page.fill("#new-full_name", "Dương Thị Năm")
    admin.page.fill("#new-email", "nam@skhcn.dongnai.gov.vn")
    admin.page.fill("#new-unit", "Phòng Quản lý chuyên ngành")
    admin.page.fill("#new-password", DEMO_PASSWORD)  # so that Officer() signs in as them
    admin.page.check("#new-user input[name=roles][value=specialist]")
    admin.page.click("#new-user button[type=submit]")
    admin.page.wait_for_url("**/admin/users/chuyenvien5")
    admin.page.check("#edit-user input[name=roles][value=office_head]")
    admin.page.click("#edit-user button[type=submit]")
    assert "Đã lưu thông tin của chuyenvien5." in admin.page.inner_text("main")
    admin.page.goto(f"{base_url}/admin/users")
    row = admin.page.locator("tr[data-user=chuyenvien5]").inner_text()
    assert "Chuyên viên" in row and "Trưởng phòng" in row and "Phòng Quản lý chuyên ngành" in row
    shot(admin, "user-admin")

    supervisor = Officer(browser, base_url, "giamsat")
    supervisor.page.goto(f"{base_url}/inbox")
    for code in codes:
        supervisor.page.locator(f"table.inbox tr:has-text('{code}') input[name=items]").check()
    supervisor.page.select_option("#bulk select[name=to]", "chuyenvien5")
    supervisor.page.click("#bulk button[value=reassign]")
    assert "Đã giao 3 việc cho chuyenvien5." in supervisor.page.inner_text("main")
    supervisor.close()

    newcomer = Officer(browser, base_url, "chuyenvien5")
    assert newcomer.page.url.endswith("/inbox")
    newcomer.page.check("input[name=mine]")
    newcomer.page.click("form.filters button[type=submit]")
    assert newcomer.page.locator("table.inbox tbody tr").count() == 3
    assert newcomer.page.locator("table.inbox td.claim").all_inner_texts() == ["chuyenvien5 Trả lại"] * 3
    newcomer.close()

    admin.page.goto(f"{base_url}/admin/users/chuyenvien5")
    admin.page.click("#activation button[type=submit]")
    assert "Đã khoá tài khoản chuyenvien5" in admin.page.inner_text("main")
    admin.close()
    refused = Officer(browser, base_url, "chuyenvien5")  # the right password, a deactivated account
    assert "/login" in refused.page.url and "Tên đăng nhập hoặc mật khẩu không đúng." in refused.page.inner_text("main")
    refused.close()


def test_the_dossier_on_its_diagram_with_the_current_step_and_who_did_the_last(
        app: Flask, base_url: str, browser, client_for) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.helpers import complete, open_item, register

    dossier_id = register(client_for("tiepnhan"))
    complete(client_for("chuyenvien"), open_item(app, dossier_id, "check").id, {"decision": "accept"})
    officer = Officer(browser, base_url, "chuyenvien")
    for path in (f"/dossiers/{dossier_id}", f"/tasks/{open_item(app, dossier_id, 'appraise').id}"):
        officer.page.goto(base_url + path)
        officer.page.wait_for_selector(".dossier-map[data-ready=true]")
        current = officer.page.locator(".djs-element.map-current")
        assert current.evaluate_all("els => els.map(e => e.dataset.elementId)") == ["appraise"]
        check = officer.page.locator(".djs-element.map-done[data-element-id=check]")
        assert "Đã xong: Trần Văn Chuyên" in check.locator("title").text_content()
        assert "Đang chờ Chuyên viên: chưa ai nhận" in current.locator("title").text_content()
        # the colour is on the drawn shape, not only in the markup
        fill = current.locator(".djs-visual > :first-child").evaluate("e => getComputedStyle(e).fill")
        assert fill == "rgb(254, 243, 199)"
    officer.page.goto(f"{base_url}/dossiers/{dossier_id}")
    officer.page.wait_for_selector(".dossier-map[data-ready=true]")
    officer.page.locator("#diagram").screenshot(path=str(shot(officer, "dossier-diagram")))
    officer.close()


VIETNAMESE_NAMES = ("Cấp giấy phép tiến hành công việc bức xạ", "Cấp giấy phép X-quang", "Kiểm tra hồ sơ",
                    "Nhận hồ sơ bổ sung", "Thẩm định hồ sơ", "Ký cấp giấy phép", "Giấy tiếp nhận hồ sơ",
                    "Thông báo nộp phí")


def test_english_mode_names_procedures_steps_phases_and_papers_in_english(
        app: Flask, base_url: str, browser, client_for) -> None:  # type: ignore[no-untyped-def]
    from tests.webapp.helpers import complete, open_item, register

    dossier_id = register(client_for("tiepnhan"))
    complete(client_for("chuyenvien"), open_item(app, dossier_id, "check").id, {"decision": "accept"})
    officer = Officer(browser, base_url, "chuyenvien")
    officer.page.click("a[lang=en]")
    pages = {"inbox": "/inbox", "dossier": f"/dossiers/{dossier_id}",
             "task": f"/tasks/{open_item(app, dossier_id, 'appraise').id}"}
    for name, path in pages.items():
        officer.page.goto(base_url + path)
        if name != "inbox":
            officer.page.wait_for_selector(".dossier-map[data-ready=true]")
        text = officer.page.inner_text("body") + officer.page.locator("svg").all_text_contents().__str__()
        found = [n for n in VIETNAMESE_NAMES if n in text]
        assert not found, f"{name}: {found}"
        assert "Appraise the dossier" in text and "Radiation work licence (test)" in text, name
        if name != "inbox":
            assert "Check the dossier" in text and "Fee notice" in text, name
        shot(officer, f"english-{name}")
    officer.close()
