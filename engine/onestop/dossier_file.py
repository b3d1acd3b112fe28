"""Everything about one dossier in one read: data, papers, steps with who and when, the legal clock; and the
dossier read like a paper file: each value under the label of its form field, in words, grouped by the step
that entered it (the web pages, the papers and the API share these words)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.legal_time.business_calendar import ZONE, BusinessCalendar
from engine.legal_time.dossier_clock import phase_labels
from engine.legal_time.legal_clock import ClockState, LegalClock, Pause, PhaseRecord, parse_phase_property
from engine.onestop.documents import Document, documents_of
from engine.runtime.attachment import Attachment, attachments_of
from engine.runtime.audit import AuditEvent
from engine.runtime.bounded_number import within_bounds
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.forms import FieldDefinition, FormDefinition, Option
from engine.runtime.serialization import restore_data
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
    phase_steps: dict[str, str]  # phase name → the element (task id) that carries it

    def task_spec(self, task_id: str | None) -> str | None:
        """The diagram element of one of the dossier's tasks."""
        return next((i.task_spec for i in self.work_items if i.task_id == task_id), None)


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
        phase_steps=_phase_steps(definition.catalogue) if definition else {},
    )


def _phase_steps(catalogue: dict[str, Any]) -> dict[str, str]:
    steps: dict[str, str] = {}
    for task_id, task in catalogue.get("tasks", {}).items():
        text = task.get("properties", {}).get("legal-phase")
        if text:
            steps.setdefault(parse_phase_property(text).name, task_id)
    return steps


def roles_on_dossier(session: Session, dossier_id: int) -> set[str]:
    return set(session.scalars(select(WorkItem.role).where(WorkItem.dossier_id == dossier_id).distinct()))




def public_data(data: dict[str, Any]) -> dict[str, Any]:
    """Process data worth showing: leaves out the engine's own bookkeeping (names starting with _)."""
    return {k: v for k, v in sorted(data.items()) if not k.startswith("_")}


# -- the dossier in words -----------------------------------------------------------------------------------

WORDS = {
    True: {"vi": "Có", "en": "Yes"},
    False: {"vi": "Không", "en": "No"},
}
RECEIVED = {"vi": "Tiếp nhận hồ sơ", "en": "Dossier received"}
RECEIVED_PAPERS = {"vi": "Giấy tờ đã nhận", "en": "Papers received"}


def _in(labels: Mapping[str, str], locale: str) -> str:
    return labels.get(locale) or labels.get("vi") or next(iter(labels.values()), "")


def money_words(value: Any) -> str:
    """An amount of đồng as Vietnamese papers write it: 1.000.000 đ."""
    if not within_bounds(value):
        return str(value)  # shown as stored, never expanded into its digits
    try:
        return f"{int(Decimal(str(value))):,}".replace(",", ".") + " đ"
    except (ArithmeticError, ValueError):
        return str(value)


def number_words(value: Decimal | int | float) -> str:
    """A number with Vietnamese separators: 1.234,5."""
    if not within_bounds(value):
        return str(value)  # shown as stored, never expanded into its digits
    number = Decimal(str(value))
    whole = number == number.to_integral_value()
    text = f"{number:,.0f}" if whole else f"{number.normalize():,f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def date_words(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(ZONE).strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")


def _choice(options: Iterable[Option], value: Any, locale: str) -> str:
    option = next((o for o in options if o.value == value), None)
    return _in(option.label, locale) if option else str(value)


def value_words(field: FieldDefinition, value: Any, locale: str = "vi") -> str:
    """One stored value of a (non-table) field as a person reads it."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, bool):
        return _in(WORDS[value], locale)
    if field.type == "select":
        return _choice(field.options, value, locale)
    if field.type == "multiselect" and isinstance(value, list | tuple):
        # in the form's order, whatever order they were ticked in
        known = [o.value for o in field.options if o.value in value]
        return ", ".join(_choice(field.options, v, locale) for v in [*known, *(v for v in value if v not in known)])
    if field.type == "money":
        return money_words(value)
    if isinstance(value, date):
        return date_words(value)
    if isinstance(value, Decimal | int | float):
        return number_words(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Table:
    columns: list[dict[str, str]]  # labels
    rows: list[list[str]]


@dataclass(frozen=True)
class Entry:
    """One value under its label: words, or a table."""

    label: dict[str, str]
    text: str = ""
    table: Table | None = None


def entries(fields: Iterable[FieldDefinition], data: Mapping[str, Any], locale: str = "vi") -> list[Entry]:
    """The values of `data` the fields name, in the fields' order; fields left blank are left out."""
    shown: list[Entry] = []
    seen: set[str] = set()
    for field in fields:
        if field.name in seen or field.name not in data:
            continue
        seen.add(field.name)
        value = data[field.name]
        if field.type == "table":
            rows = [r for r in value if isinstance(r, Mapping)] if isinstance(value, list | tuple) else []
            if rows:
                shown.append(Entry(field.label, table=Table(
                    [c.label for c in field.columns],
                    [[value_words(c, r.get(c.name), locale) for c in field.columns] for r in rows])))
            continue
        text = value_words(field, value, locale)
        if text:
            shown.append(Entry(field.label, text=text))
    return shown


@dataclass(frozen=True)
class Section:
    """What one step entered, with who and when."""

    title: dict[str, str]
    actor: str
    at: datetime
    entries: list[Entry]
    task_id: str | None = None
    papers: list[Document] = dataclasses.field(default_factory=list)  # the official papers the step issued


def received_papers_field(checklist: Iterable[tuple[str, dict[str, str]]]) -> FieldDefinition:
    """The checklist as a choice, so that the papers received read as their names."""
    return FieldDefinition(name="received_documents", label=RECEIVED_PAPERS, type="multiselect",
                           options=tuple(Option(key, label) for key, label in checklist))


def sections(
    file: DossierFile,
    application: Iterable[FieldDefinition],
    forms: Mapping[str, FormDefinition | None],
    step_names: Mapping[str, dict[str, str]] | None = None,
    locale: str = "vi",
) -> list[Section]:
    """The dossier as a file: what the applicant filed, then what every completed step entered, oldest first.
    `forms` gives each completed task's form by task id, `step_names` their names by task id."""
    application = tuple(application)
    step_names = step_names or {}
    papers = {d.id: d for d in file.documents}
    result: list[Section] = []
    for event in file.events:
        if event.command == "document" and result and event.actor == result[-1].actor:
            paper = papers.get((event.data or {}).get("document_id"))
            if paper is not None:
                result[-1].papers.append(paper)
            continue
        if event.command == "start" and isinstance(event.data, Mapping):
            data = restore_data(event.data.get("data") or {})
            result.append(Section(RECEIVED, event.actor, event.at, entries(application, data, locale)))
        elif event.command == "complete" and event.task_id:
            form = forms.get(event.task_id)
            data = restore_data(event.data or {})
            name = step_names.get(event.task_id) or {"vi": event.task_name or "", "en": event.task_name or ""}
            result.append(Section(name, event.actor, event.at,
                                  entries(form.fields, data, locale) if form else [], event.task_id))
    return result
