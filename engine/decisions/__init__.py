"""The platform's DMN decision engine: DMN 1.5 with the whole of FEEL, boxed expressions (contexts,
invocations, business knowledge models, decision services, lists, relations, conditionals, filters,
iterators, function definitions), imports, and decision tables with every hit policy.

SpiffWorkflow's own DMN evaluator takes the first match for every hit policy, ignores COLLECT
aggregation, reads one decision per file and never matches FEEL lists or `not(...)`; fees are money, so
decisions are evaluated here instead, and hooked into business rule tasks by `bpmn_task`.

    model = load_dmn(Path("dmn/radiation_fees.dmn").read_bytes(), "radiation_fees.dmn")
    model.evaluate("device_fee", {"device": {"purpose": "ct"}})   # {"device_fee": Decimal("8000000")}

Result shapes and no-match outcomes: see `evaluator` and `hit_policy`. FEEL and its null semantics:
`feel` (grammar, operators), `builtins`, `temporal`, `values`. Conformance: `tck` runs the DMN TCK.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from engine.runtime.problems import Problem, ValidationFailed

from .errors import DecisionError
from .evaluator import DecisionModel
from .hit_policy import Aggregation, HitPolicy
from .model import Definitions, read_definitions

__all__ = [
    "Aggregation",
    "DecisionError",
    "DecisionModel",
    "HitPolicy",
    "load_dmn",
    "validate_dmn_file",
]


def load_dmn(
    source: bytes | str,
    filename: str,
    *,
    strict: bool = True,
    imported: Mapping[str, Definitions] | None = None,
) -> DecisionModel:
    """Parse and compile a DMN file. Strict: raises ValidationFailed naming every problem (file,
    decision, rule and column). Not strict (deployment, the TCK): only a malformed or foreign file is
    refused; a decision with a problem is left out and evaluating it raises DecisionError naming the
    problem, while the other decisions of the file work (`model.problems` lists them all).
    `imported` holds the models this one imports, by namespace."""
    definitions = read_definitions(source, filename, imported)
    if strict and definitions.problems:
        raise ValidationFailed(definitions.problems)
    return DecisionModel(definitions)


def validate_dmn_file(path: str | Path) -> list[Problem]:
    """The problems of a DMN file on disk; an empty list when it loads."""
    path = Path(path)
    try:
        source = path.read_bytes()
    except OSError as exc:
        return [Problem(str(path), "", f"cannot read the file: {exc.strerror or exc}")]
    try:
        load_dmn(source, str(path))
    except ValidationFailed as failed:
        return list(failed.problems)
    return []
