"""The analysts' studio in headless Chromium: edit a phase in the properties panel, see a broken edit and an
unsafe condition on the diagram, fix them, deploy version 2 (running dossiers keep version 1); import every
MIWG reference diagram; try a draft in the sandbox; edit a form and a decision table. Screenshots go to
test-artifacts/studio/."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from engine.access.user import DEMO_PASSWORD
from engine.runtime.db import make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.validation import parse_bundle
from engine.studio.studio_draft import StudioDraft
from tests.studio.conftest import ARTIFACTS, LICENCE, MIWG
from tests.studio.licence_run import LICENCE_DATA, open_licence, to_appraisal

pytestmark = pytest.mark.browser
MIWG_FILES = sorted(MIWG.glob("*.bpmn"))


class Analyst:
    def __init__(self, browser, base_url: str, username: str = "phantich") -> None:  # type: ignore[no-untyped-def]
        self.context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="vi-VN")
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.base = base_url
        self.page.goto(f"{base_url}/login")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", DEMO_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/studio/")

    def ready(self) -> None:
        self.page.wait_for_selector("#studio-editor[data-ready=true]")

    def select(self, element_id: str) -> None:
        """Select a diagram element as a click would (connections are thin to click at their centre)."""
        self.page.evaluate("""id => { const m = window.studioModeler;
            m.get('selection').select(m.get('elementRegistry').get(id)); }""", element_id)

    def set(self, prop: str, value: str) -> None:
        field = self.page.locator(f"#properties [data-prop='{prop}']")
        field.fill(value)
        field.press("Tab")  # the panel applies a value when the field is left, as a change event

    def save(self) -> str:
        self.page.click("#studio-save")
        self.page.wait_for_function(
            "() => !['', 'Đang lưu…'].includes(document.querySelector('#studio-status').textContent)")
        return self.page.inner_text("#studio-status")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"))

    def close(self) -> None:
        assert not self.errors, self.errors
        self.context.close()


def test_analyst_edits_a_phase_fixes_the_problems_and_deploys_version_2(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    service = DossierService(app.extensions["motcua"].engine)
    before = open_licence(service, "Bệnh viện Đa khoa Thống Nhất Đồng Nai")

    analyst = Analyst(browser, base_url)
    analyst.page.click(f"#procedures tr[data-process={LICENCE}] a")
    analyst.page.click("#open-editor")
    analyst.ready()
    # The receipt records its legal date (issue 12): the field and the event, editable in the panel.
    analyst.select("receive")
    assert analyst.page.input_value("#properties [data-prop=event-date]") == "received_on"
    assert analyst.page.input_value("#properties [data-prop=clock-event]") == "received"
    analyst.page.click(".djs-element[data-element-id=appraisal]")
    assert analyst.page.input_value("[data-prop=phase-amount]") == "25"
    assert analyst.page.input_value("[data-prop=phase-name]") == "appraisal"

    analyst.set("phase-amount", "x")  # a broken edit
    assert analyst.save() == "Đã lưu bản nháp (phiên bản nháp 1)."
    problem = analyst.page.locator("#studio-problems .studio-problem[data-element=appraisal]")
    assert "số ngày “x” không phải số nguyên" in problem.inner_text()
    assert analyst.page.locator(".studio-problem-badge[data-element=appraisal]").inner_text() == "1"
    assert analyst.page.locator(".djs-element[data-element-id=appraisal].studio-problem-marker").count() == 1
    assert "Có 1 vấn đề" in analyst.page.inner_text("#studio-summary")
    analyst.shot("editor-broken-phase")

    analyst.set("phase-amount", "20")
    analyst.select("flow_gw_result_end_issued")  # and an unsafe condition, refused at save
    analyst.set("condition", "__import__('os').system('id')")
    assert analyst.save().startswith("Không lưu được")
    refused = analyst.page.locator("#studio-problems .studio-problem.refused")
    assert refused.count() == 1 and refused.get_attribute("data-element") == "flow_gw_result_end_issued"
    analyst.shot("editor-unsafe-condition")
    analyst.set("condition", 'outcome == "issue"')
    assert analyst.save() == "Đã lưu bản nháp (phiên bản nháp 2)."
    assert analyst.page.inner_text("#studio-summary").startswith("Hợp lệ")
    assert analyst.page.locator(".studio-problem-badge").count() == 0

    analyst.page.click("#studio-page-link")
    assert "Bản nháp hợp lệ." in analyst.page.inner_text("#draft")
    analyst.page.click("#deploy")
    assert f"{LICENCE} v2" in analyst.page.inner_text(".flash-success")
    analyst.shot("procedure-deployed")
    analyst.page.click("text=So sánh thay đổi")
    analyst.page.wait_for_selector("#changes[data-ready=true]")
    assert analyst.page.locator("#diff-before .djs-element[data-element-id=appraisal].diff-changed").count() == 1
    assert analyst.page.locator("#diff-after .djs-element[data-element-id=appraisal].diff-changed").count() == 1
    assert "appraisal:20:working-days" in analyst.page.inner_text("tr[data-element=appraisal]")
    analyst.shot("diff-v1-v2")
    analyst.close()

    after = open_licence(service, "Phòng khám Đa khoa Tân Mai")
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        versions = dict(session.execute(select(Dossier.id, ProcessDefinition.version)
                                        .join(ProcessDefinition, Dossier.definition_id == ProcessDefinition.id)).all())
    assert (versions[before.dossier_id], versions[after.dossier_id]) == (1, 2)
    assert (to_appraisal(before), to_appraisal(after)) == (date(2026, 4, 6), date(2026, 3, 30))


@pytest.mark.parametrize("diagram", MIWG_FILES, ids=[p.stem for p in MIWG_FILES])
def test_every_miwg_reference_diagram_imports_renders_and_gets_its_verdict(  # type: ignore[no-untyped-def]
        app: Flask, base_url: str, browser, diagram: Path) -> None:
    analyst = Analyst(browser, base_url)
    analyst.page.goto(f"{base_url}/studio/import")
    analyst.page.set_input_files("#diagram", str(diagram))
    analyst.page.click("#import-form button[type=submit]")
    analyst.ready()
    editor = analyst.page.locator("#studio-editor")
    assert editor.get_attribute("data-import-error") is None
    assert analyst.page.locator("#canvas .djs-element.djs-shape").count() > 1
    # The verdict is the validator's on this file with the deployed procedures (alone it is the same here).
    expected = parse_bundle({"bpmn/x/x.bpmn": diagram.read_text(encoding="utf-8")}).problems
    summary = analyst.page.inner_text("#studio-summary")
    assert summary == (f"Có {len(expected)} vấn đề cần sửa trước khi triển khai." if expected
                       else "Hợp lệ: không có vấn đề nào.")  # the verdict, whichever it is
    assert analyst.page.locator("#studio-problems .studio-problem").count() == len(expected)
    # Each problem about an element of the diagram has a badge on it (the process itself: in the corner).
    on_diagram = {p.element_id for p in expected} & set(analyst.page.evaluate(
        "() => window.studioModeler.get('elementRegistry').getAll().map(e => e.id)"))
    badges = set(analyst.page.locator(".studio-problem-badge").evaluate_all("n => n.map(b => b.dataset.element)"))
    assert on_diagram <= badges
    analyst.page.wait_for_timeout(200)  # let the canvas settle before the picture
    analyst.shot(f"miwg-{diagram.stem}")
    analyst.close()


def test_a_draft_runs_in_the_sandbox(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    analyst = Analyst(browser, base_url)
    analyst.page.goto(f"{base_url}/studio/procedures/{LICENCE}/sandbox")
    analyst.ready()
    analyst.page.click("#sandbox-start")
    analyst.page.wait_for_selector(".sandbox-task[data-task=receive]")
    assert analyst.page.locator(".djs-element[data-element-id=receive].sandbox-ready").count() == 1
    analyst.page.fill("textarea[data-task=receive]", json.dumps(LICENCE_DATA, ensure_ascii=False))
    analyst.page.click("[data-complete=receive]")
    analyst.page.wait_for_selector(".sandbox-task[data-task=check_dossier]")
    assert "17000000" in analyst.page.inner_text("#sandbox-data").replace(" ", "")
    assert analyst.page.inner_text("#sandbox-phases .phase-due") == "09/03/2026"
    analyst.page.fill("#sandbox-days", "3")
    analyst.page.click("#sandbox-advance")
    analyst.page.wait_for_selector("#studio-editor[data-steps='3']")
    assert "05/03/2026" in analyst.page.inner_text("#sandbox-facts")
    assert analyst.page.locator(".djs-element[data-element-id=receive].sandbox-done").count() == 1
    analyst.page.fill("textarea[data-task=check_dossier]", '{"dossier_complete": "perhaps"}')
    analyst.page.click("[data-complete=check_dossier]")
    analyst.page.wait_for_function("() => document.querySelector('#studio-status').textContent.startsWith('Bước 4')")
    assert analyst.page.locator("#sandbox-steps li").count() == 3  # the refused step is not kept
    analyst.shot("sandbox")
    analyst.close()
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        assert session.scalar(select(Dossier.id)) is None  # the sandbox never touched the real database


def test_a_form_and_a_decision_table_are_edited_into_the_draft(app: Flask, base_url: str, browser) -> None:  # type: ignore[no-untyped-def]
    analyst = Analyst(browser, base_url)
    analyst.page.goto(f"{base_url}/studio/procedures/{LICENCE}/forms/completeness_check")
    analyst.ready()
    analyst.page.wait_for_selector("#form-preview [name=preview-check_notes]")
    analyst.page.click("#form-add-field")
    card = analyst.page.locator(".form-field-card").last
    card.locator("[data-field=name]").fill("so_bien_ban")
    card.locator("[data-field=label-vi]").fill("Số biên bản kiểm tra")
    card.locator("[data-field=label-en]").fill("Inspection record number")
    analyst.page.wait_for_selector("#form-preview [name=preview-so_bien_ban]")
    assert "Số biên bản kiểm tra" in analyst.page.inner_text("#form-preview")
    analyst.shot("form-editor")
    assert analyst.save() == "Đã lưu bản nháp (phiên bản nháp 1)."

    analyst.page.goto(f"{base_url}/studio/procedures/{LICENCE}/tables/dmn/radiation_fees.dmn")
    analyst.ready()
    cell = analyst.page.locator("td:has-text('16000000')").first
    cell.click()
    analyst.page.keyboard.press("Control+A")
    analyst.page.keyboard.type("16500000")
    analyst.page.locator("text=Appraisal fee per device").first.click()  # leave the cell
    assert analyst.save() == "Đã lưu bản nháp (phiên bản nháp 2)."
    analyst.shot("table-editor")
    analyst.close()
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        draft = session.scalar(select(StudioDraft).where(StudioDraft.subject == LICENCE))
    assert draft is not None and draft.problems == []
    assert "so_bien_ban" in draft.files["bpmn/shared/forms/completeness_check.json"]
    assert re.search(r"16500000", draft.files["dmn/radiation_fees.dmn"])
