"""A procedure's facts as the reception desk needs them: its name, the papers to receive, its deadline.

They come from `bpmn/<process_id>/procedure.json` (bpmn/README.md). The reader is lenient about spelling
(`documents` or `checklist`; a label as text or as {"vi": …, "en": …}) so that the desk keeps working
while the catalogue grows; a missing file gives a procedure known only by its deployed name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.legal_time.business_calendar import Duration
from engine.runtime.db import Prepared, connection
from engine.runtime.definition import ProcessDefinition


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: dict[str, str]
    required: bool = True


@dataclass(frozen=True)
class ProcedureFacts:
    process_id: str
    name: dict[str, str]
    checklist: tuple[ChecklistItem, ...] = ()
    application_form: str | None = None
    total: Duration | None = None
    result: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def label(self, locale: str) -> str:
        return self.name.get(locale) or self.name.get("vi") or self.process_id

    def item(self, key: str) -> ChecklistItem | None:
        return next((i for i in self.checklist if i.key == key), None)


def _labels(value: Any, fallback: str) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"vi": value, "en": value}
    if isinstance(value, dict):
        vi = value.get("vi") or value.get("en") or fallback
        return {"vi": str(vi), "en": str(value.get("en") or vi)}
    return {"vi": fallback, "en": fallback}


def _checklist(raw: Any) -> tuple[ChecklistItem, ...]:
    items = []
    for number, entry in enumerate(raw if isinstance(raw, list) else [], start=1):
        if isinstance(entry, str):
            items.append(ChecklistItem(f"item{number}", _labels(entry, entry)))
            continue
        if not isinstance(entry, dict):
            continue
        key = str(entry.get("key") or entry.get("id") or entry.get("code") or f"item{number}")
        label = _labels(entry.get("label") or entry.get("name") or entry.get("title"), key)
        required = entry.get("required", entry.get("requirement", "required") == "required")
        items.append(ChecklistItem(key, label, bool(required)))
    return tuple(items)


def _duration(raw: Any) -> Duration | None:
    try:
        if isinstance(raw, str):
            return Duration.parse(raw)
        if isinstance(raw, dict) and "amount" in raw:
            return Duration.from_parts(str(raw["amount"]), str(raw.get("unit", "working-days")))
    except ValueError:
        return None
    return None


def facts_from_mapping(process_id: str, raw: dict[str, Any], fallback_name: str = "") -> ProcedureFacts:
    deadline = raw.get("total") or raw.get("total_deadline") or raw.get("deadline")
    if isinstance(deadline, dict) and "total" in deadline:
        deadline = deadline["total"]
    result = raw.get("result")
    # The application form: named outright, or the form of a checklist paper, or the procedure's first form.
    application = raw.get("application_form")
    if not isinstance(application, str):
        documents = raw.get("documents") if isinstance(raw.get("documents"), list) else []
        forms = raw.get("forms") if isinstance(raw.get("forms"), list) else []
        application = next((d["form"] for d in documents if isinstance(d, dict) and isinstance(d.get("form"), str)),
                           forms[0] if forms and isinstance(forms[0], str) else None)
    return ProcedureFacts(
        process_id=process_id,
        name=_labels(raw.get("name") or raw.get("title"), fallback_name or process_id),
        checklist=_checklist(raw.get("documents") or raw.get("checklist")),
        application_form=application,
        total=_duration(deadline),
        result=result.get("kind") if isinstance(result, dict) else result if isinstance(result, str) else None,
        raw=raw,
    )


def load_facts(bpmn_root: Path, process_id: str, fallback_name: str = "") -> ProcedureFacts:
    path = bpmn_root / process_id / "procedure.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        raw = {}
    return facts_from_mapping(process_id, raw if isinstance(raw, dict) else {}, fallback_name)


# A deployed version never changes: its sheet is read once per process, keyed like the spec and form caches
# (engine.runtime.deployment) by what identifies its content.
_BY_VERSION: dict[tuple[str, str, str], ProcedureFacts | None] = {}


_LATEST = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("v"))
           .group_by(ProcessDefinition.process_id).subquery())
# Compiled once and run on the driver's cursor: every portal page and submission asks, and composing and
# executing the statement through SQLAlchemy cost more than running it.
_PUBLISHED = Prepared(select(ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.name,
                             ProcessDefinition.content_hash)
                      .join(_LATEST, (_LATEST.c.process_id == ProcessDefinition.process_id)
                            & (_LATEST.c.v == ProcessDefinition.version)))


def published(session: Session) -> list[ProcedureFacts]:
    """The procedures people can start (deployed with a procedure sheet), latest version each, by number."""
    rows = _PUBLISHED.rows(connection(session), {})
    keys = {r["id"]: (r["process_id"], r["content_hash"], r["name"]) for r in rows}
    unread = [i for i, key in keys.items() if key not in _BY_VERSION]
    if unread:
        for definition_id, catalogue in session.execute(
                select(ProcessDefinition.id, ProcessDefinition.catalogue).where(ProcessDefinition.id.in_(unread))):
            sheet = (catalogue or {}).get("procedure")
            process_id, _, name = keys[definition_id]
            _BY_VERSION[keys[definition_id]] = (facts_from_mapping(process_id, sheet, name)
                                                if isinstance(sheet, dict) else None)
    facts = [f for key in keys.values() if (f := _BY_VERSION.get(key)) is not None]
    return sorted(facts, key=lambda f: (not isinstance(f.raw.get("number"), int), f.raw.get("number") or 0,
                                        f.process_id))
