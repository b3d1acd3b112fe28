"""Where a real procedure's dossier stands (issue 15): the licence diagram marks the shared part it waits in
(the completeness check, a call activity); a click opens that part in place with the waiting step marked,
and a button leads back."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.portal.helpers import dossier_id_of, receive
from tests.portal.test_portal import submitted
from tests.webapp.test_browser import Officer
from tests.webapp.test_workspace_browser import shot

pytestmark = pytest.mark.browser


def marked(officer: Officer, state: str) -> list[str]:
    return officer.page.locator(f".djs-element.map-{state}").evaluate_all("els => els.map(e => e.dataset.elementId)")


def test_a_shared_part_opens_in_place_with_its_waiting_step(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    code, _secret = submitted(app.test_client())
    dossier_id = dossier_id_of(app, code)
    receive(app, dossier_id)
    officer = Officer(browser, base_url, "chuyenvien")
    officer.page.goto(f"{base_url}/dossiers/{dossier_id}")
    diagram = officer.page.locator(".dossier-map")
    officer.page.wait_for_selector(".dossier-map[data-ready=true]")
    assert diagram.get_attribute("data-process") == "radiation_licence_issue"
    [calling] = marked(officer, "current")
    assert "receive" in marked(officer, "done")
    shape = officer.page.locator(f".djs-element[data-element-id={calling}]")
    assert "Bấm để mở phần này" in shape.locator("title").text_content()
    shot(officer, "dossier-map-licence")
    shape.click()
    officer.page.wait_for_selector(".dossier-map[data-process=completeness_check][data-ready=true]")
    assert marked(officer, "current") == ["check_dossier"]
    assert "Đang chờ Chuyên viên" in officer.page.locator(
        ".djs-element[data-element-id=check_dossier] title").text_content()
    officer.page.click(".map-crumbs button")
    officer.page.wait_for_selector(".dossier-map[data-process=radiation_licence_issue][data-ready=true]")
    officer.close()
