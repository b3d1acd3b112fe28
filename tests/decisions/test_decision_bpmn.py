"""Business rule tasks run by our engine inside SpiffWorkflow, across a save and restore."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from engine.decisions.bpmn_task import (
    BUSINESS_RULE_PARSER_OVERRIDES,
    DECISION_SERIALIZER_CONFIG,
    DecisionParserMixin,
    DecisionTask,
    register_data_types,
)
from engine.runtime.problems import ValidationFailed

DATA = Path(__file__).resolve().parent / "data"
FEES = Path(__file__).resolve().parents[2] / "dmn" / "radiation_fees.dmn"


class Parser(DecisionParserMixin, SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES, **BUSINESS_RULE_PARSER_OVERRIDES}


def serializer() -> BpmnWorkflowSerializer:
    registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, **DECISION_SERIALIZER_CONFIG})
    register_data_types(registry)
    return BpmnWorkflowSerializer(registry)


def licence_workflow() -> BpmnWorkflow:
    parser = Parser()
    parser.add_dmn_files([str(FEES), str(DATA / "dossier_charges.dmn")])
    parser.add_bpmn_file(str(DATA / "licence_fees.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("licence_fees"))
    workflow.do_engine_steps()
    return workflow


def ready_user_task(workflow: BpmnWorkflow):  # type: ignore[no-untyped-def]
    [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
    return task


def test_business_rule_tasks_compute_the_fees_across_a_save_and_restore() -> None:
    save = serializer()
    workflow = save.deserialize_json(save.serialize_json(licence_workflow()))
    task = ready_user_task(workflow)
    assert task.task_spec.bpmn_id == "declare_devices"
    assert isinstance(workflow.spec.task_specs["charges_task"], DecisionTask)
    task.data["dossier"] = {
        "devices": [{"purpose": "ct"}, {"purpose": "dental"}, {"purpose": "pet_ct"}],
        "express": True,
        "copies": 2,
    }
    task.run()
    workflow.do_engine_steps()

    restored = save.deserialize_json(save.serialize_json(workflow))
    review = ready_user_task(restored)
    assert review.task_spec.bpmn_id == "review_fees"
    assert review.data["appraisal_fee"] == Decimal(26_000_000)
    assert review.data["dossier_charges"] == Decimal("520001.0")
    assert review.data["renewal_appraisal_fee"] == Decimal(19_500_000)
    assert all(isinstance(review.data[k], Decimal) for k in ("appraisal_fee", "dossier_charges"))


def test_the_spec_keeps_the_tables_it_was_started_with() -> None:
    save = serializer()
    text = save.serialize_json(licence_workflow())
    assert '"dmn_source"' in text and "16000000" in text
    restored = save.deserialize_json(text.replace("16000000", "17000000"))
    task = ready_user_task(restored)
    task.data["dossier"] = {"devices": [{"purpose": "pet_ct"}], "express": False, "copies": 0}
    task.run()
    restored.do_engine_steps()
    assert ready_user_task(restored).data["appraisal_fee"] == Decimal(17_000_000)


def test_a_decision_error_surfaces_as_a_workflow_task_exception() -> None:
    workflow = licence_workflow()
    task = ready_user_task(workflow)
    task.data["dossier"] = {"devices": [{"purpose": "xray"}], "express": False, "copies": 0}
    task.run()
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert "device 1 of 1" in str(caught.value)
    assert '"xray" is not one of the allowed values' in str(caught.value)
    assert caught.value.task.task_spec.bpmn_id == "appraisal_fee_task"


def test_a_missing_decision_is_a_parse_error_naming_the_task() -> None:
    parser = Parser()
    parser.add_dmn_file(str(FEES))
    parser.add_bpmn_file(str(DATA / "missing_decision.bpmn"))
    with pytest.raises(
        ValidationException,
        match="business rule task 'Compute the fee' calls decision "
        "'no_such_decision', which no loaded DMN file defines",
    ):
        parser.get_spec("missing_decision")


def test_two_files_defining_the_same_decision_is_a_problem(tmp_path: Path) -> None:
    copy = tmp_path / "copy_of_fees.dmn"
    copy.write_bytes(FEES.read_bytes())
    parser = Parser()
    parser.add_dmn_file(str(FEES))
    with pytest.raises(ValidationFailed) as caught:
        parser.add_dmn_file(str(copy))
    assert {p.element_id for p in caught.value.problems} == {
        "device_fee",
        "renewal_appraisal_fee",
        "worker_certificate_charge",
    }
    assert all(p.file == str(copy) and str(FEES) in p.message for p in caught.value.problems)
    assert parser.find_decision("device_fee").filename == str(FEES)
    assert parser.find_decision("nothing") is None


def test_a_bad_dmn_file_is_rejected_by_the_parser() -> None:
    parser = Parser()
    with pytest.raises(ValidationFailed, match="malformed XML"):
        parser.add_dmn_str("<definitions", "broken.dmn")
