"""Incidents: commands whose diagram failed (a script error, a budget exceeded, a timer beyond the horizon).

The command itself is rolled back whole; what remains is its audit event `incident`, recorded apart
(engine.runtime.dossier_service), which the supervisor reads here: when, which dossier or procedure, who
acted, and what stopped it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runtime.audit import AuditEvent
from engine.runtime.dossier import Dossier


@dataclass(frozen=True)
class Incident:
    at: datetime
    actor: str
    dossier_id: int | None
    dossier_code: str | None
    process_id: str | None
    message: str


def recent(session: Session, limit: int = 20) -> list[Incident]:
    rows = session.execute(
        select(AuditEvent, Dossier.code, Dossier.process_id)
        .outerjoin(Dossier, Dossier.id == AuditEvent.dossier_id)
        .where(AuditEvent.command == "incident")
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
    incidents = []
    for event, code, process_id in rows:
        data = event.data if isinstance(event.data, dict) else {}
        incidents.append(Incident(event.at, event.actor, event.dossier_id, code,
                                  process_id or data.get("process_id"), str(data.get("message", ""))))
    return incidents
