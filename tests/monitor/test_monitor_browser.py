"""The monitor in headless Chromium: the supervisor's dashboard and the heatmap drawn by bpmn-js, with no
error in the browser console (the CSP allows no inline script or style). Screenshots go to test-artifacts/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from engine.access import assignment
from engine.access.user import DEMO_PASSWORD
from engine.legal_time.clock import clock
from tests.monitor.conftest import PROCESS

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
VIEWER = ROOT / "webapp" / "static" / "dist" / "bpmn-js" / "bpmn-navigated-viewer.production.min.js"


@pytest.fixture
def page(base_url: str, browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="vi-VN")
    page = context.new_page()
    page.console_errors = []
    # The browser asks every site for /favicon.ico, which the app does not serve: not the monitor's error.
    page.on("console", lambda m: m.type == "error" and "favicon" not in (m.location or {}).get("url", "")
            and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "giamsat")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    yield page
    context.close()


def busy_office(app: Flask) -> None:
    """Seven dossiers received a day apart: four at the check (one claimed), three at the appraisal."""
    service = app.extensions["motcua"].dossiers
    started = []
    for i in range(7):
        out = service.start(PROCESS, {}, actor="tiepnhan", title=f"Cơ sở X-quang số {i + 1}",
                            code=f"000.00.19.H19-2603{i + 2:02d}-{i + 1:04d}")
        started.append(out)
        if i in (0, 1, 2):
            service.complete(out.dossier_id, out.ready[0].id, {}, actor="chuyenvien")
        clock.advance(timedelta(days=1, hours=2))
    clock.advance(timedelta(days=2))  # Wednesday 11 March, 23:00: the first checks are late, the rest near
    with service.command() as db:
        from sqlalchemy import select

        from engine.runtime.work_item import WorkItem
        item = db.scalar(select(WorkItem.id).where(WorkItem.dossier_id == started[5].dossier_id))
        assignment.claim(db, item, "chuyenvien2", {"specialist"})


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_supervisor_dashboard_and_heatmap(app: Flask, base_url: str, page) -> None:  # type: ignore[no-untyped-def]
    assert VIEWER.exists(), "bpmn-js is not copied into webapp/static/dist: run `make assets`"
    busy_office(app)
    page.goto(f"{base_url}/supervisor/")
    assert page.inner_text("#count-total") == "7"
    due_soon, overdue = int(page.inner_text("#count-due_soon")), int(page.inner_text("#count-overdue"))
    assert overdue >= 1 and due_soon >= 1 and page.locator("#at-risk tr.state-overdue").count() == overdue
    assert page.locator("#workload tr[data-officer=chuyenvien2]").count() == 1
    assert page.locator("svg.chart rect.bar").count() >= 3
    shot(page, "supervisor-dashboard")

    page.click(f"#by-procedure a[href$='/heatmap/{PROCESS}']")
    page.wait_for_selector("#heatmap[data-ready=true]", timeout=20000)
    assert page.get_attribute("#heatmap", "data-shown") == "2"
    badges = sorted(page.locator(".heat-badge").all_inner_texts())
    assert page.locator(".heat-wait").count() == 2
    assert badges == ["3", "4"]  # three wait at the appraisal, four at the check
    assert page.locator(".djs-element.heat-4[data-element-id=check]").count() == 1
    shot(page, "supervisor-heatmap")

    page.goto(f"{base_url}/supervisor/")
    page.click("#at-risk tr.state-due_soon >> nth=0 >> a:has-text('Thư xin lỗi')")
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in page.inner_text("#letter .title").upper()
    page.fill("input[name=reason]", "Hồ sơ cần lấy ý kiến của Cục An toàn bức xạ và hạt nhân.")
    shot(page, "supervisor-apology")
    page.click("#sign button.primary")
    assert "Đã ký và phát hành phiếu xin lỗi số" in page.inner_text(".flash-success")
    page.wait_for_load_state()  # the flash comes first in the page: under load the rest may still be parsing
    assert page.locator("#already").count() == 1

    page.goto(f"{base_url}/supervisor/statistics?from=2026-03-01&to=2026-03-31")
    assert page.inner_text("#statistics tr.total td[data-col=received_desk]") == "7"
    shot(page, "supervisor-statistics")
    assert page.console_errors == []
