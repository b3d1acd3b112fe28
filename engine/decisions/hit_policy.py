"""Hit policies: from the rules that matched to the value of the decision table.

Shapes of a table's value (DMN semantics; what a downstream decision sees under the table's name):

- single hit (UNIQUE, ANY, PRIORITY, FIRST): the output value, or a dict {output name: value} when the
  table has several outputs;
- RULE ORDER, OUTPUT ORDER and COLLECT without aggregation: a list of those, one per matched rule;
- COLLECT with SUM / MIN / MAX / COUNT (C+ C< C> C#): one value.

When no rule matches: the outputs' `defaultOutputEntry` values if the table has any (single hit: that
value; list policies: a one-item list; SUM/MIN/MAX: the default). Otherwise null for single hit (a dict of
nulls for several outputs), `[]` for list policies, null for SUM/MIN/MAX, and 0 for COUNT.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any

from .errors import DecisionError
from .values import NUMBER_CONTEXT, compare, kind, show


class HitPolicy(StrEnum):
    UNIQUE = "UNIQUE"
    FIRST = "FIRST"
    PRIORITY = "PRIORITY"
    ANY = "ANY"
    COLLECT = "COLLECT"
    RULE_ORDER = "RULE ORDER"
    OUTPUT_ORDER = "OUTPUT ORDER"

    @property
    def single_hit(self) -> bool:
        return self in (HitPolicy.UNIQUE, HitPolicy.FIRST, HitPolicy.PRIORITY, HitPolicy.ANY)

    @property
    def needs_output_values(self) -> bool:
        return self in (HitPolicy.PRIORITY, HitPolicy.OUTPUT_ORDER)


class Aggregation(StrEnum):
    SUM = "SUM"
    MIN = "MIN"
    MAX = "MAX"
    COUNT = "COUNT"


# Spellings seen in the wild: the DMN XML names, and the letters of the table's corner cell.
HIT_POLICY_NAMES = {
    **{p.value: p for p in HitPolicy},
    "U": HitPolicy.UNIQUE,
    "F": HitPolicy.FIRST,
    "P": HitPolicy.PRIORITY,
    "A": HitPolicy.ANY,
    "C": HitPolicy.COLLECT,
    "R": HitPolicy.RULE_ORDER,
    "O": HitPolicy.OUTPUT_ORDER,
}
AGGREGATION_NAMES = {
    **{a.value: a for a in Aggregation},
    "+": Aggregation.SUM,
    "<": Aggregation.MIN,
    ">": Aggregation.MAX,
    "#": Aggregation.COUNT,
}


def describe(policy: HitPolicy, aggregation: Aggregation | None) -> str:
    return f"{policy.value} {aggregation.value}" if aggregation else policy.value


def _rules(hits: Sequence[tuple[int, str, Any]]) -> str:
    return ", ".join(f"rule {index} (id '{rule_id}')" for index, rule_id, _ in hits)


def aggregate(aggregation: Aggregation, values: Sequence[Any], what: str) -> Any:
    """C+ C< C> C#, also used to total a decision evaluated over a list. `what` names the source of
    the values for messages ("decision 'device_fee'"). Null or non-numbers in a SUM are errors: a
    missing fee must not be silently left out of a total."""
    if aggregation is Aggregation.COUNT:
        return Decimal(len(values))
    if not values:
        return None
    if aggregation is Aggregation.SUM:
        total = Decimal(0)
        for value in values:
            if not isinstance(value, Decimal):
                raise DecisionError(f"{what}: cannot SUM {kind(value)} {show(value)}; every value must be a number")
            total = NUMBER_CONTEXT.add(total, value)
        return total
    best = values[0]
    for value in values:
        if value is None:
            raise DecisionError(f"{what}: cannot take the {aggregation.value} of a null value")
        order = compare(value, best)
        if (aggregation is Aggregation.MIN and order < 0) or (aggregation is Aggregation.MAX and order > 0):
            best = value
    return best


def select(
    policy: HitPolicy,
    aggregation: Aggregation | None,
    hits: Sequence[tuple[int, str, Any]],
    priority: Callable[[Any], tuple[int, ...]],
    what: str,
) -> Any:
    """The table's value from its hits: (1-based rule index, rule id, the rule's output value) in rule
    order, at least one. `priority` ranks an output value by the output values lists (lower first)."""
    if policy is HitPolicy.UNIQUE:
        if len(hits) > 1:
            raise DecisionError(
                f"{what} has hit policy UNIQUE but {_rules(hits)} all match the same data; exactly one rule may match"
            )
        return hits[0][2]
    if policy is HitPolicy.FIRST:
        return hits[0][2]
    if policy is HitPolicy.ANY:
        first = hits[0][2]
        different = [hit for hit in hits[1:] if hit[2] != first]
        if different:
            raise DecisionError(
                f"{what} has hit policy ANY but the matching rules give different outputs: "
                f"{_rules(hits[:1])} gives {show(first)}, "
                + ", ".join(f"rule {i} (id '{r}') gives {show(v)}" for i, r, v in different)
            )
        return first
    if policy is HitPolicy.PRIORITY:
        return min(hits, key=lambda hit: priority(hit[2]))[2]
    if policy is HitPolicy.OUTPUT_ORDER:
        return [hit[2] for hit in sorted(hits, key=lambda hit: priority(hit[2]))]
    values = [hit[2] for hit in hits]
    if aggregation is None:
        return values
    return aggregate(aggregation, values, what)
