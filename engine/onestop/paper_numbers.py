"""What completing a step fixes about the papers it issues, inside the step's own transaction.

- The number of each paper the step issues (its `documents` property), taken from the register book of the
  paper's kind and year and kept in the dossier's data under the kind's `number_field` (`result_number`,
  `fee_notice_number`, …): the officer never types it, and the PDF, the registry and the API read the same
  value. A step that fails gives its numbers back with its transaction (engine.onestop.numbering).
- The amounts of a fee notice or a payment, checked against the dossier's and entered in the fee ledger
  (engine.onestop.fees).
- Who signs the result: a step with the property `signs` (the leadership's decision) keeps the user who
  completed it in `result_signer`, whose name and title the result paper prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.legal_time.clock import clock
from engine.onestop.documents import KINDS, Agency, paper_number
from engine.onestop.fees import check_fee_step, record_fee_step
from engine.onestop.paperwork import documents_for, result_kind


def step_paper_facts(
    session: Session, dossier_id: int, definition_id: int, process_id: str, properties: Mapping[str, str],
    data: Mapping[str, Any], actor: str, known: Mapping[str, Any], agency: Agency | None = None,
    content_hash: str | None = None,
) -> dict[str, Any]:
    """The fields to add to the step's data; InvalidData when its amounts disagree with the dossier's
    (`known` is the data the step started with)."""
    check_fee_step(data, known)
    record_fee_step(session, dossier_id, process_id, data, known, actor)
    facts: dict[str, Any] = {}
    for kind in documents_for(properties, data, result_kind(session, definition_id, content_hash)):
        spec = KINDS[kind]
        if spec.number_field:
            agency = agency or Agency.from_env()  # read only by a step that numbers a paper
            facts[spec.number_field] = paper_number(session, spec, agency, clock.now())
    if properties.get("signs"):
        facts["result_signer"] = actor
    return facts
