"""Deploy-time checks: a DMN file that loads never fails to understand one of its cells at run time."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from engine.decisions import load_dmn, validate_dmn_file
from engine.runtime.problems import Problem, ValidationFailed

TableBuilder = Callable[..., str]

NAMESPACES = [
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
]


def problems_of(source: str, filename: str = "fees.dmn") -> list[Problem]:
    with pytest.raises(ValidationFailed) as caught:
        load_dmn(source, filename)
    return caught.value.problems


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_dmn_version_loads(build_table: TableBuilder, namespace: str) -> None:
    model = load_dmn(build_table([(['"a","b"'], ['"hit"'])], inputs=[("code", "string")], namespace=namespace), "t")
    assert model.evaluate("decision", {"code": "b"}) == {"result": "hit"}


def test_a_bad_input_entry_names_table_rule_and_column(build_table: TableBuilder) -> None:
    source = build_table(
        [([">= 18", '"High"'], ['"ok"']), (["< 18", "'Low'"], ['"no"'])],
        inputs=[("age", "number"), ("risk", "string")],
        decision_id="approval",
    )
    [problem] = problems_of(source)
    assert problem.file == "fees.dmn"
    assert problem.element_id == "r2"
    assert "decision 'approval'" in problem.message
    assert "rule 2 (id 'r2')" in problem.message
    assert "input 'risk'" in problem.message
    assert "'Low'" in problem.message


def test_a_bad_output_entry_names_the_output_column(build_table: TableBuilder) -> None:
    source = build_table([(["-"], ["2000000 +"])], outputs=[("fee", "number")], decision_id="device_fee")
    [problem] = problems_of(source)
    assert "decision 'device_fee', rule 1 (id 'r1'), output 'fee'" in problem.message
    assert "ends too early" in problem.message


def test_every_problem_is_reported_at_once(build_table: TableBuilder) -> None:
    source = build_table([([">>1"], ['"a"']), (["-"], ['"b" +']), (["[1..2"], ['"c"'])])
    assert [p.element_id for p in problems_of(source)] == ["r1", "r2", "r3"]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"hit_policy": "PRIORITY"}, "ranks rules by the output values"),
        ({"hit_policy": "OUTPUT ORDER"}, "ranks rules by the output values"),
        ({"hit_policy": "SOMETIMES"}, "unknown hit policy 'SOMETIMES'"),
        ({"hit_policy": "FIRST", "aggregation": "SUM"}, "aggregation SUM needs hit policy COLLECT"),
        ({"hit_policy": "COLLECT", "aggregation": "AVG"}, "unknown aggregation 'AVG'"),
        (
            {"hit_policy": "COLLECT", "aggregation": "SUM", "outputs": [("a", "number"), ("b", "number")]},
            "COLLECT SUM needs exactly one output column",
        ),
        ({"outputs": [("", "number"), ("b", "number")]}, "output column 1 has no name"),
        ({"output_values": {"result": '"x","y"'}}, '"hit" is not one of the output values'),
        ({"outputs": [("result", "number")]}, '"hit" is not a number'),
    ],
)
def test_tables_that_cannot_work_are_rejected(build_table: TableBuilder, options: dict, expected: str) -> None:
    outputs = options.get("outputs", [("result", "string")])
    source = build_table([(["-"], ['"hit"'] * len(outputs))], **options)
    assert any(expected in p.message for p in problems_of(source)), problems_of(source)


def test_wrong_number_of_cells_in_a_rule(build_table: TableBuilder) -> None:
    source = build_table([(["-", "-"], ['"a"'])])
    [problem] = problems_of(source)
    assert "has 2 input and 1 output cells, the table has 1 inputs and 1 outputs" in problem.message


def test_malformed_xml_names_the_file() -> None:
    [problem] = problems_of(
        "<definitions xmlns='https://www.omg.org/spec/DMN/20191111/MODEL/'><decision>", "broken.dmn"
    )
    assert problem.file == "broken.dmn"
    assert problem.message.startswith("malformed XML")


def test_a_bpmn_file_is_not_a_dmn_file() -> None:
    [problem] = problems_of('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" />')
    assert "not a DMN file" in problem.message


def test_requirements_must_exist_and_not_form_a_cycle() -> None:
    source = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x" name="x" namespace="x">
      <decision id="a" name="a"><informationRequirement><requiredDecision href="#b"/></informationRequirement>
        <literalExpression><text>b</text></literalExpression></decision>
      <decision id="b" name="b"><informationRequirement><requiredDecision href="#a"/></informationRequirement>
        <literalExpression><text>a</text></literalExpression></decision>
      <decision id="c" name="c"><informationRequirement><requiredDecision href="#zz"/></informationRequirement>
        <literalExpression><text>1</text></literalExpression></decision>
    </definitions>"""
    messages = [p.message for p in problems_of(source)]
    assert any("cycle: a -> b -> a" in m for m in messages)
    assert any("requires decision 'zz', which is not in the file" in m for m in messages)


def test_foreign_functions_and_empty_decisions_are_rejected() -> None:
    source = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x" name="x" namespace="x">
      <decision id="java" name="java"><functionDefinition kind="Java" /></decision>
      <decision id="empty" name="empty" />
    </definitions>"""
    messages = sorted(p.message for p in problems_of(source))
    assert "decision 'empty' has no decision logic" in messages[0]
    assert "decision 'java', <functionDefinition>: Java functions are not supported, only FEEL" in messages[1]


def test_validate_dmn_file(tmp_path: Path, build_table: TableBuilder) -> None:
    good = tmp_path / "good.dmn"
    good.write_text(build_table([(["-"], ['"a"'])]), encoding="utf-8")
    bad = tmp_path / "bad.dmn"
    bad.write_text(build_table([(["=>"], ['"a"'])]), encoding="utf-8")
    assert validate_dmn_file(good) == []
    [problem] = validate_dmn_file(bad)
    assert problem.file == str(bad) and "rule 1" in problem.message
    [missing] = validate_dmn_file(tmp_path / "missing.dmn")
    assert "cannot read the file" in missing.message


def test_an_input_cell_of_the_wrong_type_is_rejected(build_table: TableBuilder) -> None:
    source = build_table(
        [(['"High"'], ['"a"']), (["[1..limit]"], ['"b"']), (['date("2024-01-01")'], ['"c"'])],
        inputs=[("age", "number")],
    )
    problems = problems_of(source)
    assert [p.element_id for p in problems] == ["r1", "r3"]
    assert "rule 1 (id 'r1'), input 'age': \"High\" does not fit the column's type number" in problems[0].message


def test_a_cell_nested_thousands_deep_is_a_problem_of_its_decision(build_table: TableBuilder) -> None:
    [problem] = problems_of(build_table([(["-"], ["-" * 20_000 + "1"])]))
    assert problem.element_id == "r1"
    assert problem.message.endswith("rule 1 (id 'r1'), output 'result': the text is nested too deeply")
