"""A dossier (hồ sơ): one application running through one version of a procedure."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.runtime.db import Base, PackedJSON, PackedText
from engine.runtime.definition import ProcessDefinition


class DossierRef(Protocol):
    """What other records need of a dossier: which one, and of which procedure."""

    @property
    def id(self) -> int | None: ...

    @property
    def process_id(self) -> str: ...


class DossierStatus(enum.StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Dossier(Base):
    __tablename__ = "dossier"
    __table_args__ = (
        # The scheduler's query: running dossiers whose next timer is due.
        Index("ix_dossier_next_timer", "next_timer_at"),
        # The supervisors' counts by procedure and clock state read only this index (engine.oversight.monitoring).
        Index("ix_dossier_status_procedure", "status", "process_id", "clock_paused", "due_at", "total_due_at"),
        # The supervisors' list of dossiers due soon by their total deadline; finished dossiers keep theirs,
        # so only the running ones are indexed.
        Index("ix_dossier_running_total_due", "total_due_at", postgresql_where=text("status = 'running'"),
              sqlite_where=text("status = 'running'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(40), unique=True)
    process_id: Mapped[str] = mapped_column(String(200))
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DossierStatus.RUNNING)
    title: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str] = mapped_column(String(20), default="desk")
    # Engine state without the definition (see engine.runtime.serialization), compressed: nothing queries it.
    state: Mapped[str] = mapped_column(PackedText)
    # A small copy of the process data for lists and search; the engine state is the truth.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    next_timer_at: Mapped[datetime | None]
    # The legal clock (engine.legal_time.legal_clock, as its event log, packed: only read whole) and what
    # supervisors query of it.
    legal_clock: Mapped[dict[str, Any] | None] = mapped_column(PackedJSON)
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    total_due_at: Mapped[datetime | None]
    clock_paused: Mapped[bool] = mapped_column(default=False)
    # When the legal clock next crosses a milestone (due soon, overdue) not yet escalated, and the
    # milestones already escalated as "phase:milestone" (engine.oversight.escalation): each fires once.
    next_milestone_at: Mapped[datetime | None] = mapped_column(index=True)
    milestones_fired: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The scheduler worker advancing this dossier, and until when; a claim that expires is taken over
    # (engine.runtime.scheduler), so a worker that dies loses no timer.
    timer_claimed_by: Mapped[str | None] = mapped_column(String(100))
    timer_claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    # When the dossier was received: the day the law counts from (at the desk, the day the post arrived,
    # the online submission's instant, or the day another system received it); created_at is the entry.
    received_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # Set when the engine failed on this dossier outside a person's command (e.g. a timer's script);
    # the scheduler leaves it alone until someone resolves it.
    incident: Mapped[str | None] = mapped_column(Text)
    # The dossier this one was filed together with (e.g. a certificate application inside a licence dossier).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    version: Mapped[int] = mapped_column(default=1)
    definition: Mapped[ProcessDefinition] = relationship()

    __mapper_args__ = {"version_id_col": version}
