"""Builders for small DMN files, so each test states its table in a few lines."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.decisions import DecisionModel, load_dmn

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"

TableBuilder = Callable[..., str]


def table_dmn(
    rules: Sequence[tuple[Sequence[str], Sequence[str]]],
    *,
    inputs: Sequence[tuple[str, str]] = (("age", "number"),),
    outputs: Sequence[tuple[str, str]] = (("result", "string"),),
    hit_policy: str = "UNIQUE",
    aggregation: str | None = None,
    output_values: dict[str, str] | None = None,
    input_values: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    decision_id: str = "decision",
    namespace: str = DMN13,
) -> str:
    """A one-table DMN file. Inputs are (expression, typeRef), labelled by their expression; outputs
    are (name, typeRef); rules are (input cells, output cells)."""
    output_values = output_values or {}
    input_values = input_values or {}
    defaults = defaults or {}
    parts = []
    for number, (expression, type_ref) in enumerate(inputs):
        values = input_values.get(expression)
        values_xml = f"<inputValues><text>{escape(values)}</text></inputValues>" if values else ""
        parts.append(
            f'<input id="in{number}" label="{escape(expression)}"><inputExpression typeRef="{type_ref}">'
            f"<text>{escape(expression)}</text></inputExpression>{values_xml}</input>"
        )
    for number, (name, type_ref) in enumerate(outputs):
        values = output_values.get(name)
        values_xml = f"<outputValues><text>{escape(values)}</text></outputValues>" if values else ""
        default = defaults.get(name)
        default_xml = f"<defaultOutputEntry><text>{escape(default)}</text></defaultOutputEntry>" if default else ""
        parts.append(f'<output id="out{number}" name="{name}" typeRef="{type_ref}">{values_xml}{default_xml}</output>')
    for index, (ins, outs) in enumerate(rules, 1):
        cells = "".join(f"<inputEntry><text>{escape(cell)}</text></inputEntry>" for cell in ins)
        cells += "".join(f"<outputEntry><text>{escape(cell)}</text></outputEntry>" for cell in outs)
        parts.append(f'<rule id="r{index}">{cells}</rule>')
    aggregation_attr = f' aggregation="{aggregation}"' if aggregation else ""
    return (
        f'<definitions xmlns="{namespace}" id="defs" name="test" namespace="https://motcua.example/tests">'
        f'<decision id="{decision_id}" name="{decision_id}">'
        f'<decisionTable id="{decision_id}_table" hitPolicy="{hit_policy}"{aggregation_attr}>'
        + "".join(parts)
        + "</decisionTable></decision></definitions>"
    )


@pytest.fixture
def build_table() -> TableBuilder:
    return table_dmn


@pytest.fixture
def load_table() -> Callable[..., DecisionModel]:
    def load(rules: Sequence[tuple[Sequence[str], Sequence[str]]], **options: object) -> DecisionModel:
        return load_dmn(table_dmn(rules, **options), "test.dmn")  # type: ignore[arg-type]

    return load


@pytest.fixture(scope="session")
def fees() -> DecisionModel:
    path = PROJECT_ROOT / "dmn" / "radiation_fees.dmn"
    return load_dmn(path.read_bytes(), path.name)
