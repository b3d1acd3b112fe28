"""The eleven procedures as deployed: every diagram, table and form checks clean, and the facts agree."""

from __future__ import annotations

import json

from procedure_driver import BPMN, DMN

from engine.legal_time.legal_clock import parse_phase_property
from engine.runtime.validation import validate_paths

PROCESS_IDS = {
    1: "radiation_worker_certificate", 2: "radiation_licence_issue", 3: "radiation_licence_renewal",
    4: "radiation_licence_amendment", 5: "radiation_licence_supplement", 6: "radiation_licence_reissue",
    7: "xray_declaration", 8: "st_staff_admission", 9: "st_special_appointment",
    10: "quantity_mark_declaration", 11: "quantity_mark_adjustment",
}


def test_motcua_validate_finds_no_problem() -> None:
    assert validate_paths([BPMN, DMN]) == []


def test_each_procedure_has_its_diagram_facts_and_forms() -> None:
    for number, process_id in PROCESS_IDS.items():
        folder = BPMN / process_id
        facts = json.loads((folder / "procedure.json").read_text(encoding="utf-8"))
        assert facts["number"] == number and facts["process_id"] == process_id
        assert (folder / f"{process_id}.bpmn").is_file()
        for form in facts["forms"]:
            assert (folder / "forms" / f"{form}.json").is_file(), (process_id, form)
        assert facts["documents"] and all(d["label"]["vi"] and d["copies"] >= 1 for d in facts["documents"])
        assert all(d["requirement"] in ("required", "conditional") for d in facts["documents"])
        assert all("condition" in d for d in facts["documents"] if d["requirement"] == "conditional")


def test_phases_in_the_facts_match_the_diagrams() -> None:
    for process_id in PROCESS_IDS.values():
        facts = json.loads((BPMN / process_id / "procedure.json").read_text(encoding="utf-8"))
        diagram = (BPMN / process_id / f"{process_id}.bpmn").read_text(encoding="utf-8")
        for phase in facts.get("phases", []):
            assert f'"{phase["name"]}:{phase["amount"]}:{phase["unit"]}"' in diagram, (process_id, phase["name"])
            parse_phase_property(f'{phase["name"]}:{phase["amount"]}:{phase["unit"]}')
        if "phases" in facts and "total" in facts and facts["number"] <= 6:
            assert facts["total"]["amount"] == sum(p["amount"] for p in facts["phases"])


def test_radiation_totals_and_fees_as_the_text_says() -> None:
    totals = {1: 15, 2: 30, 3: 30, 4: 15, 5: 30, 6: 15, 7: 5}
    fees = {1: "charge_per_certificate", 2: "appraisal_fee_per_device", 3: "percentage_of_new_licence_fee",
            4: "none", 5: "none", 6: "none", 7: "none"}
    for number, total in totals.items():
        facts = json.loads((BPMN / PROCESS_IDS[number] / "procedure.json").read_text(encoding="utf-8"))
        assert facts["total"]["amount"] == total and facts["total"]["unit"] == "working-days"
        assert facts["fee"]["kind"] == fees[number]
