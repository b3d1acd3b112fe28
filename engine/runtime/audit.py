"""The audit trail: who did what, when, on which dossier and task, with the data submitted. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.clock import clock
from engine.runtime.db import Base, Prepared, connection


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_dossier", "dossier_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    command: Mapped[str] = mapped_column(String(50))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[Any] = mapped_column(JSON, default=dict)


def record(
    session: Session,
    *,
    actor: str,
    command: str,
    dossier_id: int | None = None,
    task_id: str | None = None,
    task_name: str | None = None,
    data: Any = None,
) -> None:
    # A plain INSERT: events are never updated, so they need no place in the session's identity map. The
    # session's pending rows go first (as session.execute would flush them): the event may refer to them.
    session.flush()
    _INSERT.execute(connection(session), {
        "at": clock.now(),
        "actor": actor,
        "command": command,
        "dossier_id": dossier_id,
        "task_id": task_id,
        "task_name": task_name,
        "data": data if data is not None else {},
    })


_INSERT = Prepared(insert(AuditEvent.__table__),
                   ("at", "actor", "command", "dossier_id", "task_id", "task_name", "data"))
