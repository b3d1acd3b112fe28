"""Decision tables: every hit policy and aggregation, no-match outcomes, result shapes, types,
required decisions and literal-expression decisions."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from engine.decisions import DecisionError, DecisionModel, load_dmn

Loader = Callable[..., DecisionModel]

# Overlapping age bands: 20 falls in rules 1, 2 and 3; 5 in rule 4 only; 100 in none.
BANDS = [([">= 18"], ['"adult"']), (["[13..30]"], ['"young"']), (["> 0"], ['"person"']), (["< 13"], ['"child"'])]
AMOUNTS = [([">= 18"], ["100"]), (["[13..30]"], ["20.5"]), (["> 0"], ["3"]), (["< 13"], ["7"])]


def test_unique_returns_the_one_matching_rule(load_table: Loader) -> None:
    model = load_table([(["< 18"], ['"minor"']), ([">= 18"], ['"adult"'])])
    assert model.evaluate("decision", {"age": 17}) == {"result": "minor"}
    assert model.evaluate("decision", {"age": 18}) == {"result": "adult"}


def test_unique_overlap_is_an_error_naming_the_decision_and_the_rules(load_table: Loader) -> None:
    model = load_table(BANDS)
    with pytest.raises(DecisionError) as caught:
        model.evaluate("decision", {"age": 20})
    message = str(caught.value)
    assert "decision 'decision'" in message
    assert "UNIQUE" in message
    assert "rule 1 (id 'r1')" in message and "rule 2 (id 'r2')" in message and "rule 3 (id 'r3')" in message
    assert isinstance(caught.value, ValueError)


def test_first_returns_the_first_match_in_rule_order(load_table: Loader) -> None:
    model = load_table(BANDS, hit_policy="FIRST")
    assert model.evaluate("decision", {"age": 20}) == {"result": "adult"}
    assert model.evaluate("decision", {"age": 5}) == {"result": "person"}


def test_any_accepts_overlaps_that_agree(load_table: Loader) -> None:
    model = load_table([(["> 10"], ['"yes"']), (["> 5"], ['"yes"'])], hit_policy="ANY")
    assert model.evaluate("decision", {"age": 20}) == {"result": "yes"}


def test_any_conflict_is_an_error_naming_the_rules_and_outputs(load_table: Loader) -> None:
    model = load_table([(["> 10"], ['"yes"']), (["> 5"], ['"no"'])], hit_policy="ANY")
    with pytest.raises(DecisionError, match=r"ANY.*rule 1 \(id 'r1'\) gives \"yes\".*rule 2 \(id 'r2'\) gives \"no\""):
        model.evaluate("decision", {"age": 20})


def test_priority_ranks_by_the_output_values_not_by_rule_order(load_table: Loader) -> None:
    model = load_table(BANDS, hit_policy="PRIORITY", output_values={"result": '"child","young","adult","person"'})
    assert model.evaluate("decision", {"age": 20}) == {"result": "young"}
    assert model.evaluate("decision", {"age": 40}) == {"result": "adult"}
    assert model.evaluate("decision", {"age": 5}) == {"result": "child"}


def test_priority_with_several_outputs_ranks_by_the_first_then_the_next(load_table: Loader) -> None:
    model = load_table(
        [
            ([">= 18"], ['"Approved"', '"Basic"']),
            (["> 0"], ['"Approved"', '"Best"']),
            (["-"], ['"Declined"', '"Best"']),
        ],
        hit_policy="PRIORITY",
        outputs=[("status", "string"), ("rate", "string")],
        output_values={"status": '"Approved","Declined"', "rate": '"Best","Basic"'},
    )
    assert model.evaluate("decision", {"age": 20}) == {"status": "Approved", "rate": "Best"}
    assert model.evaluate("decision", {"age": -1}) == {"status": "Declined", "rate": "Best"}


def test_rule_order_lists_every_match_in_rule_order(load_table: Loader) -> None:
    model = load_table(BANDS, hit_policy="RULE ORDER")
    assert model.evaluate("decision", {"age": 20}) == {"result": ["adult", "young", "person"]}


def test_output_order_lists_every_match_by_output_priority(load_table: Loader) -> None:
    model = load_table(BANDS, hit_policy="OUTPUT ORDER", output_values={"result": '"person","young","child","adult"'})
    assert model.evaluate("decision", {"age": 20}) == {"result": ["person", "young", "adult"]}


def test_collect_lists_every_match(load_table: Loader) -> None:
    model = load_table(BANDS, hit_policy="COLLECT")
    assert model.evaluate("decision", {"age": 5}) == {"result": ["person", "child"]}


@pytest.mark.parametrize(
    ("aggregation", "age", "expected"),
    [
        ("SUM", 20, Decimal("123.5")),
        ("SUM", 5, Decimal(10)),
        ("MIN", 20, Decimal(3)),
        ("MAX", 20, Decimal(100)),
        ("MAX", 5, Decimal(7)),
        ("COUNT", 20, Decimal(3)),
        ("COUNT", 5, Decimal(2)),
    ],
)
def test_collect_aggregations(load_table: Loader, aggregation: str, age: int, expected: Decimal) -> None:
    model = load_table(AMOUNTS, hit_policy="COLLECT", aggregation=aggregation, outputs=[("amount", "number")])
    result = model.evaluate("decision", {"age": age})
    assert result == {"amount": expected}
    assert isinstance(result["amount"], Decimal)


def test_collect_sum_of_a_null_output_is_an_error(load_table: Loader) -> None:
    model = load_table(
        [(["> 0"], ["1"]), (["> 10"], ["null"])], hit_policy="COLLECT", aggregation="SUM", outputs=[("n", "number")]
    )
    assert model.evaluate("decision", {"age": 5}) == {"n": Decimal(1)}
    with pytest.raises(DecisionError, match="cannot SUM null"):
        model.evaluate("decision", {"age": 20})


@pytest.mark.parametrize(
    ("hit_policy", "aggregation", "expected"),
    [
        ("UNIQUE", None, None),
        ("FIRST", None, None),
        ("ANY", None, None),
        ("PRIORITY", None, None),
        ("RULE ORDER", None, []),
        ("OUTPUT ORDER", None, []),
        ("COLLECT", None, []),
        ("COLLECT", "SUM", None),
        ("COLLECT", "MIN", None),
        ("COLLECT", "MAX", None),
        ("COLLECT", "COUNT", Decimal(0)),
    ],
)
def test_no_rule_matching_without_defaults(
    load_table: Loader, hit_policy: str, aggregation: str | None, expected: object
) -> None:
    model = load_table(
        [(["< 0"], ["1"])],
        hit_policy=hit_policy,
        aggregation=aggregation,
        outputs=[("amount", "number")],
        output_values={"amount": "1, 2"},
    )
    assert model.evaluate("decision", {"age": 30}) == {"amount": expected}


def test_no_rule_matching_uses_the_default_output_entries(load_table: Loader) -> None:
    options = {
        "outputs": [("status", "string"), ("rate", "string")],
        "defaults": {"status": '"Declined"', "rate": '"Standard"'},
    }
    single = load_table([(["< 0"], ['"Approved"', '"Best"'])], **options)
    assert single.evaluate("decision", {"age": 30}) == {"status": "Declined", "rate": "Standard"}
    listed = load_table([(["< 0"], ['"Approved"', '"Best"'])], hit_policy="RULE ORDER", **options)
    assert listed.evaluate("decision", {"age": 30}) == {"decision": [{"status": "Declined", "rate": "Standard"}]}


def test_several_outputs_without_match_or_defaults_are_all_null(load_table: Loader) -> None:
    model = load_table([(["< 0"], ['"a"', "1"])], outputs=[("label", "string"), ("amount", "number")])
    assert model.evaluate("decision", {"age": 30}) == {"label": None, "amount": None}
    assert model.evaluate_value("decision", {"age": 30}) is None


def test_multi_output_shapes(load_table: Loader) -> None:
    rules = [([">= 18"], ['"adult"', "2"]), (["> 0"], ['"person"', "1"])]
    outputs = [("label", "string"), ("weight", "number")]
    single = load_table(rules, outputs=outputs, hit_policy="FIRST")
    assert single.evaluate("decision", {"age": 20}) == {"label": "adult", "weight": Decimal(2)}
    listed = load_table(rules, outputs=outputs, hit_policy="COLLECT")
    assert listed.evaluate("decision", {"age": 20}) == {
        "decision": [{"label": "adult", "weight": Decimal(2)}, {"label": "person", "weight": Decimal(1)}]
    }
    assert listed.evaluate_value("decision", {"age": 20})[1]["label"] == "person"


def test_output_entries_are_expressions_over_the_inputs(load_table: Loader) -> None:
    model = load_table(
        [(["> 0"], ["applicant.count * 200000"])],
        inputs=[("applicant.count", "number")],
        outputs=[("charge", "number")],
    )
    assert model.evaluate("decision", {"applicant": {"count": 3}}) == {"charge": Decimal(600000)}


def test_input_type_coercion_and_type_errors(load_table: Loader) -> None:
    model = load_table([(["< 18"], ['"minor"']), ([">= 18"], ['"adult"'])])
    assert model.evaluate("decision", {"age": "17"}) == {"result": "minor"}
    with pytest.raises(DecisionError, match=r"decision 'decision', input 'age': \"old\" is not a number"):
        model.evaluate("decision", {"age": "old"})


def test_date_inputs_accept_iso_text(load_table: Loader) -> None:
    model = load_table(
        [(['< date("2025-01-01")'], ['"old"']), (['>= date("2025-01-01")'], ['"new"'])],
        inputs=[("submitted", "date")],
    )
    assert model.evaluate("decision", {"submitted": "2024-12-31"}) == {"result": "old"}
    assert model.evaluate("decision", {"submitted": "2025-01-01"}) == {"result": "new"}


def test_input_values_are_enforced(load_table: Loader) -> None:
    model = load_table(
        [(['"a"'], ['"A"']), (['"b"'], ['"B"'])],
        inputs=[("code", "string")],
        input_values={"code": '"a","b"'},
    )
    assert model.evaluate("decision", {"code": "b"}) == {"result": "B"}
    with pytest.raises(DecisionError, match="input 'code': \"c\" is not one of the allowed values"):
        model.evaluate("decision", {"code": "c"})


def test_output_values_are_enforced_for_computed_outputs(load_table: Loader) -> None:
    model = load_table([(["-"], ["age * 2"])], outputs=[("double", "number")], output_values={"double": "[0..100]"})
    assert model.evaluate("decision", {"age": 50}) == {"double": Decimal(100)}
    with pytest.raises(DecisionError, match=r"rule 1 \(id 'r1'\), output 'double': 102 is not one"):
        model.evaluate("decision", {"age": 51})


def test_a_type_error_in_a_cell_is_no_match_explained_by_rule_and_column(load_table: Loader) -> None:
    model = load_table([(['"x"'], ['"a"'])], inputs=[("code", "")])
    result, notes = model.explain("decision", {"code": 3})
    assert result == {"result": None}
    assert "decision 'decision', rule 1 (id 'r1'), input 'code': \"x\" cannot be applied to 3" in notes
    assert notes[-1] == "decision 'decision': no rule matches"


REQUIRED = """<definitions xmlns="http://www.omg.org/spec/DMN/20180521/MODEL/" id="d" name="d" namespace="x">
  <inputData id="i_applicant" name="applicant"><variable name="applicant" /></inputData>
  <decision id="total" name="Total fee">
    <variable name="Total fee" typeRef="number" />
    <informationRequirement><requiredDecision href="#base" /></informationRequirement>
    <informationRequirement><requiredDecision href="#surcharge" /></informationRequirement>
    <literalExpression><text>Base fee + surcharge</text></literalExpression>
  </decision>
  <decision id="surcharge" name="surcharge">
    <informationRequirement><requiredDecision href="#base" /></informationRequirement>
    <decisionTable hitPolicy="UNIQUE">
      <input label="express"><inputExpression typeRef="boolean"><text>applicant.express</text></inputExpression></input>
      <output name="surcharge" typeRef="number" />
      <rule id="s1"><inputEntry><text>true</text></inputEntry>
        <outputEntry><text>Base fee / 2</text></outputEntry></rule>
      <rule id="s2"><inputEntry><text>false</text></inputEntry><outputEntry><text>0</text></outputEntry></rule>
    </decisionTable>
  </decision>
  <decision id="base" name="Base fee">
    <literalExpression><text>applicant.devices * 1000</text></literalExpression>
  </decision>
</definitions>"""


def test_required_decisions_are_evaluated_first_and_seen_by_name() -> None:
    model = load_dmn(REQUIRED, "required.dmn")
    assert model.decision_ids == ["total", "surcharge", "base"]
    data = {"applicant": {"devices": 3, "express": True}}
    assert model.evaluate("total", data) == {"Total fee": Decimal(4500)}
    assert model.evaluate("surcharge", data) == {"surcharge": Decimal(1500)}
    assert model.evaluate("base", {"applicant": {"devices": 2, "express": False}}) == {"Base fee": Decimal(2000)}


def test_unknown_decision_id_is_a_decision_error() -> None:
    model = load_dmn(REQUIRED, "required.dmn")
    with pytest.raises(DecisionError, match=r"no decision 'nope' in required\.dmn"):
        model.evaluate("nope", {})


def test_evaluate_each_collects_or_aggregates_over_a_list(load_table: Loader) -> None:
    model = load_table(
        [(["< 18"], ["1"]), ([">= 18"], ["2"])], inputs=[("person.age", "number")], outputs=[("weight", "number")]
    )
    people = [{"age": 10}, {"age": 30}, {"age": 40}]
    assert model.evaluate_each("decision", people, "person") == [Decimal(1), Decimal(2), Decimal(2)]
    from engine.decisions import Aggregation

    assert model.evaluate_each("decision", people, "person", aggregation=Aggregation.SUM) == Decimal(5)
    assert model.evaluate_each("decision", [], "person", aggregation=Aggregation.SUM) is None
    assert model.evaluate_each("decision", [], "person", aggregation=Aggregation.COUNT) == Decimal(0)
    with pytest.raises(DecisionError, match="person 2 of 2"):
        model.evaluate_each("decision", [{"age": 1}, {"age": "x"}], "person", aggregation=Aggregation.SUM)
