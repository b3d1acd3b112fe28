"""What changed between two versions: elements by id with the aspects the platform reads, other files by text."""

from __future__ import annotations

from pathlib import Path

from engine.studio.diagram_diff import diff_diagrams, diff_files

ROOT = Path(__file__).resolve().parents[2]
LICENCE = (ROOT / "bpmn" / "radiation_licence_issue" / "radiation_licence_issue.bpmn").read_text(encoding="utf-8")
SMALL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    id="d" targetNamespace="t">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane_a" name="reception"><bpmn:flowNodeRef>check</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="lane_b" name="specialist"><bpmn:flowNodeRef>wait</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="check" name="Kiểm tra">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="legal-phase" value="check:5:working-days" />
        <spiffworkflow:property name="form" value="check" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition id="t1">
        <bpmn:timeDate>due_in_working_days(3)</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="wait" />
    <bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="di"><bpmndi:BPMNPlane id="plane" bpmnElement="p">
    <bpmndi:BPMNShape id="check_di" bpmnElement="check">
      <dc:Bounds x="100" y="100" width="100" height="80" />
    </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def by_id(changes):  # type: ignore[no-untyped-def]
    return {c.element_id: c for c in changes}


def test_a_changed_phase_is_one_changed_element_with_before_and_after() -> None:
    after = LICENCE.replace("appraisal:25:working-days", "appraisal:20:working-days")
    changes = diff_diagrams(LICENCE, after)
    assert [(c.element_id, c.kind) for c in changes] == [("appraisal", "changed")]
    assert changes[0].changes == (("property:legal-phase", "appraisal:25:working-days", "appraisal:20:working-days"),)
    assert changes[0].type == "callActivity"


def test_added_removed_and_changed_elements_with_the_aspects_the_platform_reads() -> None:
    after = (SMALL
             .replace('<spiffworkflow:property name="form" value="check" />', "")  # property removed
             .replace("due_in_working_days(3)", "due_in_working_days(10)")
             .replace('<bpmn:flowNodeRef>check</bpmn:flowNodeRef></bpmn:lane>',
                      '</bpmn:lane>')  # the task leaves the reception lane…
             .replace('<bpmn:flowNodeRef>wait</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>wait</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>')
             .replace('<bpmn:endEvent id="end">',
                      '<bpmn:task id="notify" name="Báo kết quả" /><bpmn:endEvent id="end">')
             .replace('<bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="end" />', ""))
    changes = by_id(diff_diagrams(SMALL, after))
    assert changes["notify"].kind == "added" and changes["notify"].name == "Báo kết quả"
    assert changes["f3"].kind == "removed" and changes["f3"].type == "sequenceFlow"
    check = dict((aspect, (before, now)) for aspect, before, now in changes["check"].changes)
    assert check == {"lane": ("reception", "specialist"), "property:form": ("check", None)}
    assert dict((a, (b, n)) for a, b, n in changes["wait"].changes) == {
        "timer": ("timeDate: due_in_working_days(3)", "timeDate: due_in_working_days(10)")}
    assert "start" not in changes and "lane_a" not in changes  # lanes are compared by name, not membership


def test_moving_shapes_is_not_a_change_of_the_procedure() -> None:
    moved = SMALL.replace('x="100" y="100"', 'x="400" y="260"')
    assert diff_diagrams(SMALL, moved) == []
    diff = diff_files({"p.bpmn": SMALL}, {"p.bpmn": moved})
    assert diff.files[0].layout_only


def test_other_files_are_compared_by_their_text_and_new_files_listed() -> None:
    before = {"p.bpmn": SMALL, "forms/check.json": '{\n  "id": "check",\n  "fields": []\n}\n'}
    after = {"p.bpmn": SMALL, "forms/check.json": '{\n  "id": "check",\n  "fields": [1]\n}\n', "dmn/new.dmn": "<x/>"}
    diff = diff_files(before, after)
    assert [(f.path, f.kind) for f in diff.files] == [("dmn/new.dmn", "added"), ("forms/check.json", "changed")]
    form = diff.for_file("forms/check.json")
    assert form is not None and '-  "fields": []' in form.text_diff and '+  "fields": [1]' in form.text_diff
    assert diff.for_file("p.bpmn") is None  # unchanged


def test_a_broken_draft_is_still_compared_as_text() -> None:
    diff = diff_files({"p.bpmn": SMALL}, {"p.bpmn": SMALL.replace("</bpmn:definitions>", "")})
    assert diff.files[0].kind == "changed" and diff.files[0].text_diff
