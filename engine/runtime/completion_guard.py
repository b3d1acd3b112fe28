"""A step the law forbids to pass in some state of the dossier, refused with a message on its field.

Task properties (bpmn/README.md): `refuse-when` = a condition on the step's data (the submitted form over the
process data), `refuse-field` = the form field the message goes to, `refuse-message` = what the officer reads.
E.g. the completeness check refuses "complete" while a paper is too old at the day of receipt (TT 1 c)).
The condition may read a field that not every procedure has with `value("name", default)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.expressions import ExpressionError, evaluate
from engine.runtime.errors import InvalidData, ProcessError

REFUSE_WHEN = "refuse-when"
REFUSE_FIELD = "refuse-field"
REFUSE_MESSAGE = "refuse-message"


def check(properties: Mapping[str, str], element: str, data: Mapping[str, Any],
          functions: Mapping[str, Any]) -> None:
    condition = properties.get(REFUSE_WHEN)
    if not condition:
        return
    names = dict(data)
    try:
        refused = evaluate(condition, names, {**functions, "value": lambda name, default=None:
                                              names.get(str(name), default)})
    except ExpressionError as err:
        raise ProcessError(f"{element}: {REFUSE_WHEN}: {err}", element_id=element) from err
    if refused:
        message = properties.get(REFUSE_MESSAGE) or "Bước này chưa thể hoàn thành với dữ liệu này"
        raise InvalidData(message, fields={properties.get(REFUSE_FIELD) or "": message})


def property_problems(properties: Mapping[str, str], checker: Any) -> list[str]:
    if REFUSE_WHEN not in properties:
        return []
    problems = [f"property {REFUSE_WHEN}: {m}" for m in checker(properties[REFUSE_WHEN], "eval")]
    if not properties.get(REFUSE_MESSAGE):
        problems.append(f"property {REFUSE_WHEN} needs {REFUSE_MESSAGE}: what the officer reads when refused")
    return problems
