"""The sandbox: a draft runs in a child process with its own database and clock; the server's clock and
database are untouched; fast-forwarding fires the timers that fall due; a refused step is reported."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.legal_time.clock import clock
from engine.runtime.validation import read_folder
from engine.studio.sandbox import run_sandbox
from tests.procedures import procedure_data as d
from tests.studio.conftest import BPMN, DMN, LICENCE, LICENCE_FILE, MONDAY
from tests.studio.licence_run import LICENCE_DATA

FILES = {f"{root.name}/{path}": text for root in (BPMN, DMN) for path, text in read_folder(root).items()}
START = MONDAY.isoformat()
DECLARATION = {
    "submission_channel": "online", "declaration_number": "01/2026/CB-DL",
    "facility_name": "Công ty TNHH Thực phẩm Đồng Nai Xanh", "facility_kind": "producer", "goods_group": "2",
    "head_office_address": "Lô C5, Khu công nghiệp Amata, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "02513991234", "email": "qa@dongnaixanh.vn",
    "production_or_import_address": "Lô C5, Khu công nghiệp Amata, thành phố Biên Hòa",
    "goods": [{"name": "Hạt điều rang muối", "nominal_quantity": "500 g", "packaging_mass": "12 g"}],
    "head_name": "Lê Hoàng Phúc", "copies": 2,
}


def sandbox(actions: list[dict], files: dict[str, str] = FILES, process_id: str = LICENCE) -> dict:
    return run_sandbox({"files": files, "process_id": process_id, "start_at": START, "overrides": [],
                        "actions": actions})


def test_a_draft_runs_with_its_own_clock_and_the_server_clock_is_untouched() -> None:
    clock.freeze(MONDAY)
    draft = {**FILES, LICENCE_FILE: FILES[LICENCE_FILE].replace("check:5:working-days", "check:3:working-days")}
    report = sandbox([{"do": "start", "data": {}}, {"do": "complete", "task": "receive", "data": LICENCE_DATA},
                      {"do": "advance", "days": 3}], files=draft)
    assert report["error"] is None and report["applied"] == 3
    assert report["now"] == "2026-03-05T02:00:00+00:00" and clock.now() == MONDAY
    assert [t["spec"] for t in report["ready"]] == ["check_dossier"]
    assert report["ready"][0]["role"] == "specialist" and "dossier_complete" in report["ready"][0]["template"]
    # The draft's phase, not the deployed one: 3 working days from Monday 2/3.
    assert [(p["name"], p["duration"], p["last_day"]) for p in report["phases"]] == [
        ("check", "3:working-days", "2026-03-05")]
    assert {"start", "receive", "fee"} <= set(report["completed"]) and report["data"]["fee_amount"] == 17_000_000


def test_fast_forward_fires_the_timers_that_fall_due() -> None:
    steps = [{"do": "start", "data": {}}, {"do": "complete", "task": "receive", "data": DECLARATION},
             {"do": "complete", "task": "check_dossier", "data": d.CHECK_MISSING},
             {"do": "complete", "task": "request_supplement", "data": d.SUPPLEMENT_REQUEST}]
    waiting = sandbox(steps, process_id="quantity_mark_declaration")
    assert [t["spec"] for t in waiting["ready"]] == ["await_supplement"] and waiting["paused"]
    # The 30-day supplement window ends at 24:00 on 1/4 (Đồng Nai time).
    assert datetime.fromisoformat(waiting["next_timer_at"]) == datetime(2026, 4, 1, 17, 0, tzinfo=UTC)
    before = sandbox([*steps, {"do": "advance", "days": 29}], process_id="quantity_mark_declaration")
    assert [t["spec"] for t in before["ready"]] == ["await_supplement"]
    lapsed = sandbox([*steps, {"do": "advance", "days": 31}], process_id="quantity_mark_declaration")
    assert lapsed["data"]["dossier_lapsed"] is True and lapsed["data"]["outcome"] == "lapsed"
    assert "await_supplement" not in [t["spec"] for t in lapsed["ready"]]


def test_a_step_the_engine_refuses_is_reported_and_the_steps_before_it_kept() -> None:
    report = sandbox([{"do": "start", "data": {}},
                      {"do": "complete", "task": "receive", "data": {"applicant_name": "X"}},
                      {"do": "advance", "days": 1}])
    assert report["applied"] == 1 and report["error"]["index"] == 1
    assert report["error"]["fields"]  # the form's own messages, by field
    assert [t["spec"] for t in report["ready"]] == ["receive"] and report["now"] == START
    missing = sandbox([{"do": "start", "data": {}}, {"do": "complete", "task": "sign", "data": {}}])
    assert missing["error"]["index"] == 1 and "sign" in missing["error"]["message"]


def test_an_invalid_draft_reports_its_problems_instead_of_running() -> None:
    broken = FILES[LICENCE_FILE].replace("appraisal:25:working-days", "appraisal:x:working-days")
    draft = {**FILES, LICENCE_FILE: broken}
    report = sandbox([{"do": "start", "data": {}}], files=draft)
    assert report["applied"] == 0 and [p["element_id"] for p in report["problems"]] == ["appraisal"]


@pytest.mark.parametrize("action", [{"do": "advance", "days": 0}, {"do": "fly"}, "start"])
def test_actions_are_checked(action: object) -> None:
    report = sandbox([{"do": "start", "data": {}}, action])
    assert report["applied"] == 1 and report["error"]["index"] == 1

