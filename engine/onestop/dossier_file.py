"""Everything about one dossier in one read: data, papers, steps with who and when, the legal clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.dossier_clock import phase_labels
from engine.legal_time.legal_clock import ClockState, LegalClock, Pause, PhaseRecord
from engine.onestop.documents import Document, documents_of
from engine.runtime.attachment import Attachment, attachments_of
from engine.runtime.audit import AuditEvent
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import WorkItem


@dataclass(frozen=True)
class DossierFile:
    dossier: Dossier
    procedure_name: str
    definition_version: int
    work_items: list[WorkItem]
    events: list[AuditEvent]
    documents: list[Document]
    attachments: list[Attachment]
    phases: list[PhaseRecord]
    pauses: list[Pause]
    clock: ClockState | None
    phase_labels: dict[str, str]


def load_dossier_file(
    session: Session, dossier_id: int, now: datetime, calendar: BusinessCalendar
) -> DossierFile | None:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        return None
    definition = session.get(ProcessDefinition, dossier.definition_id)
    items = list(session.scalars(select(WorkItem).where(WorkItem.dossier_id == dossier_id).order_by(WorkItem.id)))
    events = list(session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id)
                                  .order_by(AuditEvent.id)))
    phases: list[PhaseRecord] = []
    pauses: list[Pause] = []
    state = None
    if dossier.legal_clock:
        legal = LegalClock.from_dict(dossier.legal_clock)
        phases, pauses = legal.phases(calendar), legal.pauses
        if legal.started:
            state = legal.state(now, calendar)
    return DossierFile(
        dossier=dossier,
        procedure_name=definition.name if definition else dossier.process_id,
        definition_version=definition.version if definition else 0,
        work_items=items,
        events=events,
        documents=documents_of(session, dossier_id),
        attachments=attachments_of(session, dossier_id),
        phases=phases,
        pauses=pauses,
        clock=state,
        phase_labels=phase_labels(definition.catalogue) if definition else {},
    )


def roles_on_dossier(session: Session, dossier_id: int) -> set[str]:
    return set(session.scalars(select(WorkItem.role).where(WorkItem.dossier_id == dossier_id).distinct()))


def public_data(data: dict[str, Any]) -> dict[str, Any]:
    """Process data worth showing: leaves out the engine's own bookkeeping (names starting with _)."""
    return {k: v for k, v in sorted(data.items()) if not k.startswith("_")}
