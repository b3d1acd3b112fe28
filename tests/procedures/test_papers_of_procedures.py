"""Which official papers the real diagrams ask for, task by task (the `documents` property)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from engine.onestop.paperwork import documents_for
from engine.runtime.validation import parse_bundle, read_folder

ROOT = Path(__file__).resolve().parents[2]


@cache
def catalogue_properties() -> dict[str, dict[str, str]]:
    from engine.runtime.deployment import _catalogue

    bundle = parse_bundle({f"bpmn/{k}": v for k, v in read_folder(ROOT / "bpmn").items()}
                          | {f"dmn/{k}": v for k, v in read_folder(ROOT / "dmn").items()})
    assert bundle.problems == []
    spec, called = bundle.specs("radiation_licence_issue")
    return {f"{t['process']}/{key}": t["properties"] for key, t in _catalogue(bundle, spec, called)["tasks"].items()}


@pytest.mark.parametrize(
    ("task", "process_id", "kinds"),
    [
        ("completeness_check/request_supplement", "radiation_licence_issue", ["supplement_request"]),
        ("completeness_check/notify_fee", "radiation_licence_issue", ["fee_notice"]),
        ("radiation_appraisal/refusal_letter", "radiation_licence_issue", ["refusal"]),
        ("radiation_appraisal/issue_result", "radiation_licence_issue", ["licence"]),
        ("radiation_appraisal/issue_result", "radiation_worker_certificate", ["certificate"]),
        ("radiation_appraisal/issue_result", "xray_declaration", ["declaration_confirmation"]),
    ],
)
def test_each_letter_task_issues_its_paper(task: str, process_id: str, kinds: list[str]) -> None:
    # `result` is the procedure's own result paper, as its procedure.json names it (no table in engine code).
    sheet = json.loads((ROOT / "bpmn" / process_id / "procedure.json").read_text(encoding="utf-8"))
    assert documents_for(catalogue_properties()[task], {}, sheet["result"]["kind"]) == kinds


def test_a_paper_kind_that_does_not_exist_is_refused_at_deploy() -> None:
    text = (ROOT / "tests/engine/data/licence_demo.bpmn").read_text(encoding="utf-8").replace(
        '<spiffworkflow:property name="legal-phase" value="appraisal:25:working-days" />',
        '<spiffworkflow:property name="legal-phase" value="appraisal:25:working-days" />'
        '<spiffworkflow:property name="documents" value="accept:licence, refuse:excuse_note" />')
    form = (ROOT / "tests/engine/data/forms/reception.json").read_text(encoding="utf-8")
    problems = parse_bundle({"p.bpmn": text, "forms/reception.json": form}).problems
    assert [(p.element_id, p.message.split(":")[0]) for p in problems] == [("appraise", "property documents")]
    assert "'excuse_note' is not a kind of official paper" in problems[0].message
