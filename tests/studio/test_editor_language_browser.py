"""The diagram and table editors speak the page's language: on a Vietnamese page the words of bpmn-js and
dmn-js (palette, context pad, "Change element" menu, decision table header and context menu) come from
webapp/static/diagram-vi.js; on an English page they stay the libraries' own English. Screenshots go to
test-artifacts/studio/."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.studio.conftest import LICENCE
from tests.studio.test_studio_browser import Analyst

pytestmark = pytest.mark.browser
DIAGRAM = f"/studio/procedures/{LICENCE}/diagram"
TABLE = f"/studio/procedures/{LICENCE}/tables/dmn/radiation_fees.dmn"


def in_english(analyst: Analyst, path: str) -> None:
    analyst.page.goto(f"{analyst.base}/language/en?next={path}")


def diagram_words(analyst: Analyst) -> dict[str, Any]:
    """What the diagram editor shows: palette tooltips, the context pad of the user task "receive", and the
    "Change element" menus of that task and of the gateway, each by the library's id of the entry."""
    page = analyst.page
    analyst.ready()
    words: dict[str, Any] = {"palette": page.locator(".djs-palette .entry").evaluate_all(
        "n => Object.fromEntries(n.map(e => [e.dataset.action, e.getAttribute('aria-label')]))")}
    analyst.select("receive")
    words["pad"] = page.locator(".djs-context-pad .entry").evaluate_all(
        "n => Object.fromEntries(n.map(e => [e.dataset.action, e.title]))")
    page.click(".djs-context-pad .entry[data-action=replace]")
    popup = page.locator(".djs-popup")
    words["menu_title"] = popup.locator(".djs-popup-title").inner_text()
    words["task_menu"] = popup.locator(".djs-popup-results .entry").evaluate_all(
        "n => Object.fromEntries(n.map(e => [e.dataset.id, e.innerText.trim()]))")
    words["markers"] = popup.locator(".djs-popup-header .entry").evaluate_all(
        "n => Object.fromEntries(n.map(e => [e.dataset.id, e.title]))")
    page.keyboard.press("Escape")
    analyst.select("gw_result")
    page.click(".djs-context-pad .entry[data-action=replace]")
    words["gateway_menu"] = popup.locator(".djs-popup-results .entry").evaluate_all(
        "n => Object.fromEntries(n.map(e => [e.dataset.id, e.innerText.trim()]))")
    return words


def table_words(analyst: Analyst) -> dict[str, Any]:
    """What the decision table shows: its header and the context menu of a rule's cell."""
    page = analyst.page
    analyst.ready()
    words: dict[str, Any] = {
        "hit_policy": page.inner_text(".hit-policy .dms-label"),
        "policy": page.inner_text(".hit-policy .dms-input"),
        "clauses": page.locator("thead .clause").all_inner_texts(),
        "annotations": page.inner_text("thead .annotation"),
        "type": page.inner_text("[data-col-id=device_fee_output] .output-variable"),
    }
    page.locator("td:has-text('16000000')").first.click(button="right")
    words["menu"] = page.locator(".context-menu .context-menu-group-entry").all_inner_texts()
    return words


def test_the_diagram_editor_speaks_vietnamese_and_english(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    analyst = Analyst(browser, base_url)
    analyst.page.goto(base_url + DIAGRAM)
    vi = diagram_words(analyst)
    analyst.shot("editor-vi-change-element")
    # The injected translate() fills placeholders (a collapsed sub-process's drill-down button).
    assert analyst.page.evaluate(
        "() => window.studioModeler.get('translate')('Open {element}', {element: 'Thẩm định'})") == "Mở Thẩm định"
    in_english(analyst, DIAGRAM)
    en = diagram_words(analyst)
    analyst.shot("editor-en-change-element")
    analyst.close()

    assert vi["palette"]["create.start-event"] == "Tạo sự kiện bắt đầu"
    assert vi["palette"]["create.exclusive-gateway"] == "Tạo cổng"
    assert vi["palette"]["create.task"] == "Tạo công việc"
    assert vi["palette"]["create.participant-expanded"] == "Tạo bên tham gia (pool)"
    assert vi["palette"]["hand-tool"].startswith("Công cụ bàn tay")
    assert en["palette"]["create.start-event"] == "Create start event"
    assert en["palette"]["create.task"] == "Create task"
    # Every palette entry has a title, and none of the Vietnamese ones is left in English.
    assert vi["palette"].keys() == en["palette"].keys() and len(vi["palette"]) >= 12
    assert all(vi["palette"][action] and vi["palette"][action] != en["palette"][action] for action in vi["palette"])

    assert (vi["pad"]["replace"], en["pad"]["replace"]) == ("Đổi loại phần tử", "Change element")
    assert (vi["pad"]["append.gateway"], en["pad"]["append.gateway"]) == ("Thêm cổng phía sau", "Append gateway")
    assert (vi["pad"]["delete"], en["pad"]["delete"]) == ("Xoá", "Delete")
    assert (vi["menu_title"], en["menu_title"]) == ("Đổi loại phần tử", "Change element")

    assert vi["task_menu"]["replace-with-service-task"] == "Công việc dịch vụ"
    assert vi["task_menu"]["replace-with-rule-task"] == "Công việc quy tắc nghiệp vụ"
    assert vi["task_menu"]["replace-with-call-activity"] == "Gọi quy trình (call activity)"
    assert en["task_menu"]["replace-with-service-task"] == "Service task"
    assert vi["markers"]["toggle-sequential-mi"] == "Lặp nhiều lần tuần tự"
    assert en["markers"]["toggle-sequential-mi"] == "Sequential multi-instance"
    assert vi["gateway_menu"]["replace-with-parallel-gateway"] == "Cổng song song"
    assert en["gateway_menu"]["replace-with-parallel-gateway"] == "Parallel gateway"
    for menu in ("task_menu", "gateway_menu", "markers"):
        assert vi[menu].keys() == en[menu].keys()
        assert all(vi[menu][entry] != en[menu][entry] for entry in vi[menu]), menu


def test_the_decision_table_speaks_vietnamese_and_english(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    analyst = Analyst(browser, base_url)
    analyst.page.goto(base_url + TABLE)
    vi = table_words(analyst)
    analyst.shot("table-vi-context-menu")
    # dmn-js writes "{ sample }" with spaces; the placeholder is filled all the same.
    assert analyst.page.evaluate("""() => window.studioModeler.getActiveViewer().get('translate')(
        'e.g. { sample }', {sample: 'P3D'})""") == "ví dụ: P3D"
    in_english(analyst, TABLE)
    en = table_words(analyst)
    analyst.shot("table-en-context-menu")
    analyst.close()

    assert (vi["hit_policy"], en["hit_policy"]) == ("Chính sách áp dụng (hit policy):", "Hit policy:")
    assert (vi["policy"], en["policy"]) == ("Đầu tiên (First)", "First")
    assert (vi["clauses"], en["clauses"]) == (["Khi", "Và", "Thì"], ["When", "And", "Then"])
    assert (vi["annotations"], en["annotations"]) == ("Ghi chú", "Annotations")
    assert (vi["type"], en["type"]) == ("số (number)", "number")
    assert {"Thêm quy tắc phía trên", "Thêm quy tắc phía dưới", "Xoá quy tắc", "Sao chép quy tắc"} <= set(vi["menu"])
    assert {"Add rule above", "Add rule below", "Remove rule", "Copy rule"} <= set(en["menu"])
    assert len(vi["menu"]) == len(en["menu"]) and not set(vi["menu"]) & set(en["menu"])


def test_the_sandbox_viewer_speaks_vietnamese(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    analyst = Analyst(browser, base_url)
    analyst.page.goto(f"{base_url}/studio/procedures/{LICENCE}/sandbox")
    analyst.ready()
    opened = "() => window.studioViewer.get('translate')('Open {element}', {element: 'Thẩm định'})"
    assert analyst.page.evaluate(opened) == "Mở Thẩm định"
    in_english(analyst, f"/studio/procedures/{LICENCE}/sandbox")
    analyst.ready()
    assert analyst.page.evaluate(opened) == "Open Thẩm định"
    analyst.close()
