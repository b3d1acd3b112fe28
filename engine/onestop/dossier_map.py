"""Where a dossier stands on its diagram: the elements its run went through and the ones it waits at, with
who did each step and when, and the diagrams of the shared parts it called (to open them in place)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.runtime.definition import ProcessDefinition, diagram_xml
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import WorkItem, WorkItemStatus


@dataclass(frozen=True)
class Mark:
    process: str
    element: str
    current: bool  # the run waits here now (else it went through)
    calls: str | None = None  # a call activity: the process it calls
    done_by: str | None = None  # the last completion of a user task
    done_at: datetime | None = None
    waiting_role: str | None = None  # an open user task
    assignee: str | None = None


@dataclass(frozen=True)
class DossierMap:
    main: str
    diagrams: dict[str, str]  # process id → BPMN XML, the main process and every process it calls
    marks: list[Mark]


def dossier_map(session: Session, dossier: Dossier, trail: list[tuple[str, str, bool]]) -> DossierMap:
    """`trail` is `DossierService.trail(dossier.id)`."""
    definition = session.get(ProcessDefinition, dossier.definition_id)
    tasks = (definition.catalogue or {}).get("tasks", {}) if definition else {}
    files = definition.files if definition else {}
    items = session.scalars(select(WorkItem).where(WorkItem.dossier_id == dossier.id).order_by(WorkItem.id))
    done: dict[str, WorkItem] = {}
    open_: dict[str, WorkItem] = {}
    for item in items:
        if item.status == WorkItemStatus.COMPLETED:
            done[item.task_spec] = item
        elif item.status == WorkItemStatus.OPEN:
            open_[item.task_spec] = item
    marks = []
    for process, element, current in trail:
        info = tasks.get(element, {})
        finished, waiting = done.get(element), open_.get(element) if current else None
        marks.append(Mark(
            process, element, current, calls=info.get("calls"),
            done_by=finished.closed_by if finished else None, done_at=finished.closed_at if finished else None,
            waiting_role=waiting.role if waiting else None, assignee=waiting.assignee if waiting else None))
    processes = {dossier.process_id} | {m.calls for m in marks if m.calls} | {m.process for m in marks}
    diagrams = {p: xml for p in sorted(processes) if (xml := diagram_xml(files, p))}
    return DossierMap(dossier.process_id, diagrams, marks)


_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_NAME_EN = ".//{http://spiffworkflow.org/bpmn/schema/1.0/core}property[@name='name-en']"


def in_english(xml: str) -> str:
    """The diagram with each element that has a `name-en` property labelled by it (the English UI)."""
    root = etree.fromstring(xml.encode("utf-8"), _SAFE)
    for prop in root.iterfind(_NAME_EN):
        element = prop.getparent().getparent().getparent()  # property ← properties ← extensionElements ← element
        if element is not None and prop.get("value"):
            element.set("name", prop.get("value"))
    return etree.tostring(root, encoding="unicode")
