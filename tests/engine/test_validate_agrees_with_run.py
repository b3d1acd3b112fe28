"""`validate` refuses what the run would refuse, in the run's own words: each diagram below passes the
whitelist, and used to deploy and then fail at its first dossier."""

from __future__ import annotations

import re

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.legal_time.business_calendar import BusinessCalendar
from engine.runtime.bpmn_parser import MotcuaParser
from engine.runtime.dossier_service import _task_error, advance
from engine.runtime.script_engine import make_script_engine
from engine.runtime.validation import parse_bundle, validate_paths
from tests.engine.test_validation import MIWG

DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="D" targetNamespace="http://t">
  <bpmn:process id="agree" isExecutable="true">
    <bpmn:laneSet id="L"><bpmn:lane id="Lane" name="reception">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>compute</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>choose</bpmn:flowNodeRef><bpmn:flowNodeRef>wait</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>work</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="compute" name="Compute"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>SCRIPT</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="choose" default="f_other"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f_yes</bpmn:outgoing><bpmn:outgoing>f_other</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:intermediateCatchEvent id="wait" name="Wait"><bpmn:incoming>f_yes</bpmn:incoming>
      <bpmn:incoming>f_other</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="T"><bpmn:timeDuration>TIMER</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="work" name="Work"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="choose" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="choose" targetRef="wait">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">CONDITION</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_other" sourceRef="choose" targetRef="wait" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="work" />
    <bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""
VALID = {"SCRIPT": "fee = 100", "CONDITION": "fee &gt; 50", "TIMER": "'PT1H'"}


def diagram(**changes: str) -> str:
    text = DIAGRAM
    for placeholder, value in {**VALID, **changes}.items():
        text = text.replace(placeholder, value)
    return text


def run_error(text: str) -> str | None:
    """What the run says when the diagram's first dossier starts, with validation skipped."""
    parser = MotcuaParser()
    parser.add_bpmn_str(text.encode(), "agree.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("agree"), parser.get_subprocess_specs("agree"),
                            script_engine=make_script_engine(BusinessCalendar()))
    try:
        advance(workflow)
    except SpiffWorkflowException as err:
        return str(_task_error(err))
    return None


def verdicts(text: str) -> list[str]:
    return [f"{p.element_id}: {p.message}" for p in parse_bundle({"agree.bpmn": text}).problems]


def test_the_valid_diagram_runs_and_validates() -> None:
    assert verdicts(diagram()) == [] and run_error(diagram()) is None


@pytest.mark.parametrize(("change", "element", "words"), [
    ({"SCRIPT": "received = datetime.now()"}, "compute",
     "'datetime.now()' is not allowed (the current date and time come from platform functions)"),
    ({"SCRIPT": "received = date.today()"}, "compute", "'date.today()' is not allowed"),
    ({"SCRIPT": "fee = compute_fee(3)"}, "compute",
     "'compute_fee' is not defined: no task data field or function has that name"),
    ({"CONDITION": "is_complete(fee)"}, "f_yes", "'is_complete' is not defined"),
    ({"TIMER": "'P10X'"}, "wait", "timer: 'P10X' is not an ISO 8601 duration, such as P10D or PT4H"),
], ids=["datetime-now", "date-today", "unknown-function", "unknown-function-in-condition", "bad-duration"])
def test_validate_refuses_what_the_run_refuses(change: dict[str, str], element: str, words: str) -> None:
    text = diagram(**change)
    error = run_error(text)
    assert error is not None and words in error
    found = verdicts(text)
    assert any(v.startswith(f"{element}: ") and words in v for v in found), found


def test_a_name_the_script_assigns_is_its_own_business() -> None:
    # `datetime` is a value here; what the run says about it is the run's, not a refusal seen in the file.
    assert verdicts(diagram(SCRIPT="datetime = 5\nfee = datetime + 1")) == []


def test_a_timer_value_from_the_data_fails_at_run_time_with_the_same_words() -> None:
    text = diagram(SCRIPT="fee = 100\nwait_for = 'soon'", TIMER="wait_for")
    assert verdicts(text) == []  # the value is only known when the dossier runs
    assert "timer: 'soon' is not an ISO 8601 duration, such as P10D or PT4H" in (run_error(text) or "")


RAW = re.compile(r"\b\w+(?:Error|Exception)\(|Traceback|<Element |\bat 0x[0-9a-f]+|\{http://")


def test_an_element_the_library_cannot_read_gets_plain_words() -> None:
    text = diagram().replace(
        '<bpmn:userTask id="work" name="Work">',
        '<bpmn:boundaryEvent id="b" attachedToRef="work"><bpmn:outgoing>fb</bpmn:outgoing></bpmn:boundaryEvent>'
        '<bpmn:sequenceFlow id="fb" sourceRef="b" targetRef="end" /><bpmn:userTask id="work" name="Work">')
    assert verdicts(text) == ["b: a boundary event needs an event definition (timer, message, error, escalation, "
                              "signal, conditional or cancel); this one has none"]


@pytest.mark.parametrize("name", sorted(p.name for p in MIWG.glob("*.bpmn")))
def test_no_verdict_on_a_miwg_reference_diagram_is_raw_exception_text(name: str) -> None:
    problems = validate_paths([MIWG / name])
    assert problems, "every reference diagram has something the engine cannot run"
    raw = [str(p) for p in problems if RAW.search(p.message)]
    assert raw == []
