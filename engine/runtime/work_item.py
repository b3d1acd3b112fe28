"""Work items: the ready user tasks of every dossier, as rows, so that an inbox is one indexed query."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.runtime.db import Base


class WorkItemStatus(enum.StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


# The inbox, the workload and the reassignments read open items, few among all those kept: their indexes
# hold only the open ones (the closed items of finished dossiers took ~0.5 KB per dossier in them).
_OPEN_ONLY = {"sqlite_where": text("status = 'open'"), "postgresql_where": text("status = 'open'")}


class WorkItem(Base):
    __tablename__ = "work_item"
    __table_args__ = (
        Index("ix_work_item_inbox", "role", "due_at", "id", **_OPEN_ONLY),
        Index("ix_work_item_assignee", "assignee", "due_at", **_OPEN_ONLY),
        # Each officer's oldest waiting item, one index seek per officer (engine.oversight.monitoring.workload).
        Index("ix_work_item_waiting", "role", "assignee", "created_at", **_OPEN_ONLY),
        Index("ix_work_item_dossier", "dossier_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    task_id: Mapped[str] = mapped_column(String(36), unique=True)
    task_spec: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    role: Mapped[str] = mapped_column(String(100))
    form: Mapped[str | None] = mapped_column(String(200))
    assignee: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default=WorkItemStatus.OPEN)
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(100))


# The condition of a query on the open items: a literal, not a parameter, as PostgreSQL proves a partial
# index's predicate only from a literal (a prepared statement's generic plan knows no parameter's value).
IS_OPEN = WorkItem.status == literal_column(f"'{WorkItemStatus.OPEN.value}'")
