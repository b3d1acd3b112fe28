"""Every decision evaluation has a budget (issue 17): a business knowledge model calling itself without
end stops at once with plain words, and a DMN cell made of a long chain of signs is a problem, not a crash."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from engine.decisions import DecisionError, load_dmn
from engine.decisions.budget import MAX_DEPTH
from engine.runtime.problems import ValidationFailed
from tests.decisions.conftest import DMN13


def recursive_dmn(body: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{DMN13}" id="recursion" name="recursion" namespace="https://motcua.example/tests">
  <businessKnowledgeModel id="loop_bkm" name="loop">
    <encapsulatedLogic>
      <formalParameter name="n" typeRef="number" />
      <literalExpression><text>{body}</text></literalExpression>
    </encapsulatedLogic>
  </businessKnowledgeModel>
  <decision id="endless" name="endless">
    <variable name="endless" typeRef="number" />
    <knowledgeRequirement><requiredKnowledge href="#loop_bkm" /></knowledgeRequirement>
    <literalExpression><text>loop(start)</text></literalExpression>
  </decision>
</definitions>"""


@pytest.mark.parametrize("body", ["loop(n + 1)", "loop(n) + loop(n)"])
def test_a_knowledge_model_calling_itself_without_end_stops_within_its_budget(body: str) -> None:  # type: ignore[no-untyped-def]
    model = load_dmn(recursive_dmn(body), "recursion.dmn")
    started = time.monotonic()
    with pytest.raises(DecisionError) as raised:
        model.evaluate("endless", {"start": 1})
    assert time.monotonic() - started < 2
    message = str(raised.value)
    assert f"calls itself more than {MAX_DEPTH} levels deep" in message
    assert len(message) < 500  # said once, not once per level


def test_a_long_chain_of_signs_in_a_cell_is_a_problem_of_the_file() -> None:
    with pytest.raises(ValidationFailed) as failed:
        load_dmn(recursive_dmn("-" * 50_000 + "n"), "signs.dmn")
    assert any("nested too deeply" in problem.message for problem in failed.value.problems)


def test_motcua_validate_reports_the_chain_of_signs_without_a_traceback(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from webapp.cli import cli

    path = tmp_path / "signs.dmn"
    path.write_text(recursive_dmn("-" * 50_000 + "n"))
    result = CliRunner().invoke(cli, ["validate", str(path)])
    assert result.exit_code == 1
    assert "[loop_bkm]: business knowledge model 'loop', literal expression: the text is nested too deeply" \
        in result.output
    assert "Traceback" not in result.output


def test_numbers_beyond_decimal128_are_refused_as_decision_inputs() -> None:
    model = load_dmn(recursive_dmn("n"), "identity.dmn")
    assert model.evaluate("endless", {"start": 5}) == {"endless": 5}
    for huge in (Decimal("1e999999999"), float("inf"), 10 ** 7000):
        with pytest.raises(DecisionError, match="cannot be used in a decision"):
            model.evaluate("endless", {"start": huge})
