"""Is this paper still good? The answer the public verification page gives, from the registry.

A result paper's QR code points to `/verify/<number>`. The number is looked up among the issued papers,
then in the registry of results: a licence number is valid while it is the licence's current number and
the licence has not expired; a number an amendment, renewal or supplement changed is "amended", one a
re-issue replaced is "replaced", each with the number now in force. Nothing else of the dossier is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.legal_time.clock import clock
from engine.onestop import registry
from engine.onestop.documents import KINDS, Document
from engine.onestop.vietnamese_text import local

VALID, AMENDED, REPLACED, EXPIRED, NOT_RECORDED = "valid", "amended", "replaced", "expired", "not_recorded"


@dataclass(frozen=True)
class Verdict:
    number: str
    kind: str
    title: str
    status: str
    holder: str
    issued_on: date
    valid_until: date | None = None
    current_number: str | None = None  # the number in force when this one was amended or replaced


def verify(session: Session, number: str) -> Verdict | None:
    """The status of the result paper numbered `number`, or None when no result bears that number."""
    document = session.scalar(select(Document).where(Document.number == number,
                                                     Document.kind.in_([k for k, v in KINDS.items() if v.result]))
                              .order_by(Document.id.desc()).limit(1))
    if document is None:
        return None
    today = local(clock.now()).date()
    base = {"number": number, "kind": document.kind, "title": KINDS[document.kind].title,
            "issued_on": local(document.created_at).date()}
    if document.kind == "licence":
        return _licence(session, number, base, today)
    entry = _entry(session, document)
    if entry is None:
        return Verdict(status=NOT_RECORDED, holder="", **base)
    if isinstance(entry, registry.QuantityMarkDeclaration) and entry.dossier_id != document.dossier_id:
        return Verdict(status=AMENDED, holder=entry.facility_name, **base)
    holder = entry.facility_name if isinstance(entry, registry.QuantityMarkDeclaration) else entry.holder_name
    return Verdict(status=VALID, holder=holder, **base)


def _entry(session: Session, document: Document) -> registry.Base | None:
    if document.kind == "certificate":
        return session.scalar(select(registry.WorkerCertificate).where(registry.WorkerCertificate.number
                                                                       == document.number))
    if document.kind == "declaration_confirmation":
        return session.scalar(select(registry.DeclarationConfirmation)
                              .where(registry.DeclarationConfirmation.number == document.number))
    # A quantity-mark stamp: the declaration it received, as the paper recorded it when issued.
    result = (document.facts or {}).get("extra", {}).get("result") or {}
    if not result.get("facility_name") or not result.get("declaration_number"):
        return None
    return registry.find_quantity_mark_declaration(session, result["facility_name"], result["declaration_number"])


def _licence(session: Session, number: str, base: dict[str, Any], today: date) -> Verdict:
    licence = registry.find_licence(session, number)
    if licence is None:
        return Verdict(status=NOT_RECORDED, holder="", **base)
    common = {"holder": licence.holder_name, "valid_until": licence.valid_until}
    if licence.number != number:
        numbers = [e.number for e in licence.events]
        later = licence.events[numbers.index(number) + 1:] if number in numbers else licence.events
        status = REPLACED if any(e.kind == "reissue" for e in later) else AMENDED
        return Verdict(status=status, current_number=licence.number, **common, **base)
    if licence.valid_until is not None and licence.valid_until < today:
        return Verdict(status=EXPIRED, **common, **base)
    return Verdict(status=VALID, **common, **base)
