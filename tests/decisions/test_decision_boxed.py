"""Boxed expressions, decision services and imports (DMN 1.5 chapters 6 and 8), and decisions that
fail on their own: one bad decision no longer refuses the other decisions of its file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.decisions import DecisionError, load_dmn, validate_dmn_file
from engine.decisions.bpmn_task import BUSINESS_RULE_PARSER_OVERRIDES, DecisionParserMixin
from engine.runtime.problems import ValidationFailed

NS = 'xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"'


def text(expression: str) -> str:
    return f"<literalExpression><text>{expression}</text></literalExpression>"


BOXED = f"""<definitions {NS} id="boxed" name="boxed" namespace="https://motcua.example/boxed">
  <itemDefinition name="tDevice">
    <itemComponent name="purpose"><typeRef>string</typeRef></itemComponent>
    <itemComponent name="count"><typeRef>number</typeRef></itemComponent>
  </itemDefinition>
  <inputData id="i_devices" name="devices"><variable name="devices"/></inputData>
  <businessKnowledgeModel id="bkm_fee" name="unit fee">
    <variable name="unit fee"/>
    <encapsulatedLogic>
      <formalParameter name="purpose" typeRef="string"/>
      <decisionTable hitPolicy="UNIQUE">
        <input><inputExpression typeRef="string"><text>purpose</text></inputExpression></input>
        <output typeRef="number"/>
        <rule><inputEntry><text>"ct"</text></inputEntry><outputEntry><text>8000000</text></outputEntry></rule>
        <rule><inputEntry><text>"dental"</text></inputEntry><outputEntry><text>2000000</text></outputEntry></rule>
      </decisionTable>
    </encapsulatedLogic>
  </businessKnowledgeModel>
  <decision id="fees" name="fees">
    <variable name="fees"/>
    <knowledgeRequirement><requiredKnowledge href="#bkm_fee"/></knowledgeRequirement>
    <context>
      <contextEntry><variable name="priced"/>
        <for iteratorVariable="device">
          <in>{text("devices")}</in>
          <return>
            <invocation>{text("unit fee")}
              <binding><parameter name="purpose"/>{text("device.purpose")}</binding>
            </invocation>
          </return>
        </for>
      </contextEntry>
      <contextEntry><variable name="total"/>{text("sum(priced)")}</contextEntry>
      <contextEntry><variable name="large"/>
        <filter><in>{text("devices")}</in><match>{text("item.count &gt; 1")}</match></filter>
      </contextEntry>
      <contextEntry><variable name="all known"/>
        <every iteratorVariable="p"><in>{text("priced")}</in><satisfies>{text("p != null")}</satisfies></every>
      </contextEntry>
      <contextEntry><variable name="label"/>
        <conditional><if>{text("total &gt; 5000000")}</if><then>{text('"high"')}</then>
          <else>{text('"low"')}</else></conditional>
      </contextEntry>
      <contextEntry><variable name="rates"/>
        <relation><column name="purpose"/><column name="rate"/>
          <row>{text('"ct"')}{text("0.5")}</row><row>{text('"dental"')}{text("0.25")}</row>
        </relation>
      </contextEntry>
      <contextEntry><variable name="double"/>
        <functionDefinition><formalParameter name="x" typeRef="number"/>{text("x * 2")}</functionDefinition>
      </contextEntry>
      <contextEntry><variable name="doubled total"/>{text("double(total)")}</contextEntry>
      <contextEntry><variable name="steps"/><list>{text("1")}{text("1 + 1")}</list></contextEntry>
    </context>
  </decision>
  <decision id="broken" name="broken">
    <decisionTable>
      <input><inputExpression typeRef="number"><text>age</text></inputExpression></input>
      <output typeRef="string"/>
      <rule id="bad_rule"><inputEntry><text>&gt;&gt; 18</text></inputEntry>
        <outputEntry><text>"adult"</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="greeting" name="greeting"><variable name="greeting" typeRef="string"/>{text('"xin chào"')}</decision>
  <decision id="double_fee" name="double fee">
    <informationRequirement><requiredDecision href="#fees"/></informationRequirement>
    {text("fees.total * 2")}
  </decision>
  <decisionService id="ds" name="fee service">
    <outputDecision href="#double_fee"/><inputDecision href="#fees"/>
  </decisionService>
  <decision id="via_service" name="via service">
    <knowledgeRequirement><requiredKnowledge href="#ds"/></knowledgeRequirement>
    {text("fee service({total: 7})")}
  </decision>
</definitions>"""

DEVICES = [{"purpose": "ct", "count": 2}, {"purpose": "dental", "count": 1}]


def test_boxed_expressions_evaluate() -> None:
    model = load_dmn(BOXED, "boxed.dmn", strict=False)
    fees = model.evaluate_value("fees", {"devices": DEVICES})
    assert fees["priced"] == [Decimal(8_000_000), Decimal(2_000_000)]
    assert fees["total"] == Decimal(10_000_000)
    assert fees["large"] == [{"purpose": "ct", "count": Decimal(2)}]
    assert fees["all known"] is True
    assert fees["label"] == "high"
    assert fees["rates"] == [{"purpose": "ct", "rate": Decimal("0.5")}, {"purpose": "dental", "rate": Decimal("0.25")}]
    assert fees["doubled total"] == Decimal(20_000_000)
    assert fees["steps"] == [Decimal(1), Decimal(2)]


def test_a_decision_service_is_a_function_of_its_inputs() -> None:
    model = load_dmn(BOXED, "boxed.dmn", strict=False)
    assert model.evaluate("via_service", {}) == {"via service": Decimal(14)}
    assert model.invoke_service("fee service", {"fees": {"total": 5}}) == Decimal(10)


def test_a_file_with_one_bad_decision_still_deploys_its_other_decisions() -> None:
    model = load_dmn(BOXED, "boxed.dmn", strict=False)
    [problem] = model.problems
    assert problem.element_id == "bad_rule"
    assert "decision 'broken', rule 1 (id 'bad_rule'), input 'age'" in problem.message
    assert model.broken_ids == ["broken"]
    assert model.evaluate("greeting", {}) == {"greeting": "xin chào"}
    with pytest.raises(DecisionError, match=r"decision 'broken' in boxed.dmn cannot be evaluated: .*rule 1"):
        model.evaluate("broken", {"age": 20})
    with pytest.raises(ValidationFailed):
        load_dmn(BOXED, "boxed.dmn")  # strict, as `validate` reads a file: every problem is reported


class Parser(DecisionParserMixin, SpiffBpmnParser):
    OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES, **BUSINESS_RULE_PARSER_OVERRIDES}


def bpmn_calling(decision_id: str) -> str:
    return f"""<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
      xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
      <bpmn:process id="p" isExecutable="true">
        <bpmn:startEvent id="start"/><bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="rule"/>
        <bpmn:businessRuleTask id="rule" name="Decide">
          <bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision_id}</spiffworkflow:calledDecisionId>
          </bpmn:extensionElements>
        </bpmn:businessRuleTask>
        <bpmn:sequenceFlow id="f2" sourceRef="rule" targetRef="end"/><bpmn:endEvent id="end"/>
      </bpmn:process>
    </bpmn:definitions>"""


def test_a_task_calling_a_good_decision_of_the_file_parses_and_the_bad_one_is_named() -> None:
    parser = Parser()
    with pytest.raises(ValidationFailed) as caught:
        parser.add_dmn_str(BOXED, "boxed.dmn")
    assert [p.element_id for p in caught.value.problems] == ["bad_rule"]  # the deploy error, on its own
    parser.add_bpmn_str(bpmn_calling("greeting"), "good.bpmn")
    assert parser.get_spec("p").task_specs["rule"].decision_id == "greeting"
    other = Parser()
    with pytest.raises(ValidationFailed):
        other.add_dmn_str(BOXED, "boxed.dmn")
    other.add_bpmn_str(bpmn_calling("broken"), "bad.bpmn")
    with pytest.raises(ValidationException, match=r"calls decision 'broken', which cannot be read: .*'bad_rule'"):
        other.get_spec("p")


IMPORTED = f"""<definitions {NS} id="lib" name="lib" namespace="https://motcua.example/lib">
  <inputData id="i_name" name="name"><variable name="name" typeRef="string"/></inputData>
  <businessKnowledgeModel id="hello" name="say hello">
    <encapsulatedLogic><formalParameter name="who"/>{text('"Xin chào " + who')}</encapsulatedLogic>
  </businessKnowledgeModel>
  <decision id="upper" name="upper name">{text("upper case(name)")}</decision>
</definitions>"""

IMPORTING = f"""<definitions {NS} xmlns:lib="https://motcua.example/lib" id="main" name="main"
    namespace="https://motcua.example/main">
  <import namespace="https://motcua.example/lib" name="lib" importType="https://www.omg.org/spec/DMN/20230324/MODEL/"/>
  <decision id="greet" name="greet">{text("lib.say hello(lib.upper name)")}</decision>
</definitions>"""


def test_imports_between_models() -> None:
    library = load_dmn(IMPORTED, "lib.dmn").definitions
    model = load_dmn(IMPORTING, "main.dmn", imported={"https://motcua.example/lib": library})
    assert model.evaluate("greet", {"lib": {"name": "an"}}) == {"greet": "Xin chào AN"}


def test_validate_names_the_bad_decision_only(tmp_path: Path) -> None:
    path = tmp_path / "boxed.dmn"
    path.write_text(BOXED, encoding="utf-8")
    [problem] = validate_dmn_file(path)
    assert problem.element_id == "bad_rule" and "decision 'broken'" in problem.message


def test_a_null_verdict_stays_in_the_data_with_its_reason() -> None:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    source = f"""<definitions {NS} id="v" name="v" namespace="https://motcua.example/v">
      <decision id="fee" name="fee">{text("copies * 5000")}</decision>
    </definitions>"""
    parser = Parser()
    parser.add_dmn_str(source, "v.dmn")
    parser.add_bpmn_str(bpmn_calling("fee"), "p.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("p"))
    workflow.get_tasks()[0].data["copies"] = "two"
    workflow.do_engine_steps()
    data = workflow.last_task.data
    assert "fee" in data and data["fee"] is None
    assert data["decision_notes"] == {"fee": ['cannot multiply string "two" and number 5000']}


def test_feel_values_in_task_data_survive_a_save_and_restore() -> None:
    import datetime as dt

    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    from engine.decisions.bpmn_task import DECISION_SERIALIZER_CONFIG, register_data_types
    from engine.decisions.temporal import YearsMonths
    from engine.decisions.values import Range

    source = f"""<definitions {NS} id="v" name="v" namespace="https://motcua.example/v">
      <decision id="values" name="values">{
        text('''{
        wait: @"P2Y3M", span: @"PT1H30M", opening: @"07:30:00+07:00", ancient: @"-0044-03-15",
        band: [1..10), rule: function(x) x + 1, when: @"2024-05-06T07:08:09.123456789Z"}''')
    }</decision>
    </definitions>"""
    parser = Parser()
    parser.add_dmn_str(source, "v.dmn")
    parser.add_bpmn_str(bpmn_calling("values"), "p.bpmn")
    workflow = BpmnWorkflow(parser.get_spec("p"))
    workflow.do_engine_steps()
    registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, **DECISION_SERIALIZER_CONFIG})
    register_data_types(registry)
    save = BpmnWorkflowSerializer(registry)
    restored = save.deserialize_json(save.serialize_json(workflow))
    values = restored.last_task.data["values"]
    assert values["wait"] == YearsMonths(27)
    assert values["span"] == dt.timedelta(hours=1, minutes=30)
    assert values["opening"] == dt.time(7, 30, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert str(values["ancient"].year) == "-44"
    assert values["band"] == Range(Decimal(1), Decimal(10), True, False)
    assert values["rule"] is None
    assert values["when"] == dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
    assert restored.last_task.data["decision_notes"]["values"] == [
        "function function is a function, which the dossier's data cannot keep"
    ]


def test_a_process_calls_a_decision_that_imports_another_model(tmp_path: Path) -> None:
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    from engine.decisions.bpmn_task import DECISION_SERIALIZER_CONFIG, register_data_types

    (tmp_path / "a_main.dmn").write_text(IMPORTING, encoding="utf-8")  # named to sort before what it imports
    (tmp_path / "b_lib.dmn").write_text(IMPORTED, encoding="utf-8")
    parser = Parser()
    parser.add_dmn_files([str(tmp_path / "a_main.dmn"), str(tmp_path / "b_lib.dmn")])
    parser.add_bpmn_str(bpmn_calling("greet"), "p.bpmn")
    registry = BpmnWorkflowSerializer.configure({**SPIFF_CONFIG, **DECISION_SERIALIZER_CONFIG})
    register_data_types(registry)
    save = BpmnWorkflowSerializer(registry)
    workflow = save.deserialize_json(save.serialize_json(BpmnWorkflow(parser.get_spec("p"))))
    workflow.get_tasks()[0].data["lib"] = {"name": "bình"}
    workflow.do_engine_steps()
    assert workflow.last_task.data["greet"] == "Xin chào BÌNH"

    alone = Parser()
    with pytest.raises(ValidationFailed, match=r"imports the model https://motcua\.example/lib, which no DMN file"):
        alone.add_dmn_str(IMPORTING, "a_main.dmn")
