"""Deployed process definitions: one row per version of an executable process, stored once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.runtime.db import Base


class ProcessDefinition(Base):
    __tablename__ = "process_definition"
    __table_args__ = (
        UniqueConstraint("process_id", "version", name="uq_process_definition_version"),
        UniqueConstraint("process_id", "content_hash", name="uq_process_definition_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    name: Mapped[str] = mapped_column(String(500))
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    # Large columns are deferred: a command needs only the hash to find the cached specs.
    # The serialized SpiffWorkflow specs (process + every called process, decisions inlined).
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    # The source files this version was built from, by relative path (BPMN, DMN, forms).
    files: Mapped[dict[str, str]] = mapped_column(JSON, deferred=True)
    # What the platform reads from the diagram, kept for the web app: tasks, lanes, phases, forms.
    catalogue: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(100))


def procedure_result(session: Session, definition_id: int, content_hash: str | None = None) -> dict[str, Any]:
    """The `result` of the procedure sheet deployed with a version ({} for a shared part or none given):
    `kind` (the result paper) and `registry` (the registry entry the result makes).

    Given the version's content hash (which covers its procedure sheet), it is read once per version: the
    commands ask for it at every step."""
    if content_hash is not None and content_hash in _results:
        return _results[content_hash]
    catalogue = session.scalar(select(ProcessDefinition.catalogue).where(ProcessDefinition.id == definition_id))
    result = ((catalogue or {}).get("procedure") or {}).get("result")
    result = result if isinstance(result, dict) else {}
    if content_hash is not None:
        _results[content_hash] = result
    return result


# Stored versions never change, so neither does what their sheets say (a dict is safe across threads).
_results: dict[str, dict[str, Any]] = {}


def diagram_xml(files: dict[str, str], process_id: str) -> str:
    """The BPMN file (of a version's files) that holds the process `process_id`, or ""."""
    pattern = re.compile(rf'<(?:\w+:)?process\b[^>]*\bid="{re.escape(process_id)}"')
    for path, content in sorted(files.items()):
        if path.endswith(".bpmn") and pattern.search(content):
            return content
    return ""
