"""What the analysts' studio edits: the deployed workspace and the subjects in it.

The *workspace* is the newest deployed text of every file: for each process, the files of its latest
version, the most recent deployment winning where two carry the same path (a decision table deployed
with one procedure is what the next deployment of any other procedure gets). A draft is checked and
deployed as this whole set with its own files laid over it, so a change to a shared part or table is
checked against every procedure that calls it, and `starts-dossier` links find their targets.

A *subject* is a deployed process the studio opens: a procedure (it has a procedure sheet) or a shared
part, with the diagram that defines it, the forms of its tasks and the tables its business rule tasks call.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session, undefer

from engine.runtime.definition import ProcessDefinition
from engine.runtime.validation import BPMN_NS

_XML = etree.XMLParser(resolve_entities=False, no_network=True)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Version:
    """One deployed version of a process, as the library lists it."""

    id: int
    process_id: str
    name: str
    version: int
    deployed_at: datetime
    deployed_by: str
    is_procedure: bool


@dataclass
class Subject:
    process_id: str
    name: str
    main_file: str
    latest: Version
    forms: dict[str, str] = field(default_factory=dict)  # form name → path
    tables: list[str] = field(default_factory=list)  # DMN paths of the decisions it calls
    calls: list[str] = field(default_factory=list)  # process ids of the parts it calls

    @property
    def is_procedure(self) -> bool:
        return self.latest.is_procedure


@dataclass
class Workspace:
    files: dict[str, str]
    latest: dict[str, Version]
    catalogues: dict[str, dict[str, Any]]
    # Which deployed file defines each process, read from the diagrams.
    process_files: dict[str, str]

    def subject(self, process_id: str) -> Subject | None:
        version = self.latest.get(process_id)
        main = self.process_files.get(process_id)
        if version is None or main is None:
            return None
        catalogue = self.catalogues.get(process_id, {})
        tasks = catalogue.get("tasks", {})
        forms = {posixpath.splitext(posixpath.basename(p))[0]: p for p in catalogue.get("forms", {}).values()}
        calls = sorted({t["calls"] for t in tasks.values() if t.get("calls")})
        return Subject(process_id, version.name, main, version, dict(sorted(forms.items())),
                       self.tables_called(main, calls), calls)

    def tables_called(self, main_file: str, calls: list[str]) -> list[str]:
        """The DMN files defining the decisions the diagram (and the parts it calls) name."""
        diagrams = {main_file, *(self.process_files[c] for c in calls if c in self.process_files)}
        called = set()
        for path in diagrams:
            called |= set(re.findall(r"calledDecisionId>\s*([^<\s]+)\s*<", self.files.get(path, "")))
        decisions = self.decisions
        return sorted({decisions[d][0] for d in called if d in decisions})

    @cached_property
    def decisions(self) -> dict[str, tuple[str, str]]:
        """Every decision id of the deployed tables → (DMN path, decision name)."""
        found: dict[str, tuple[str, str]] = {}
        for path, text in sorted(self.files.items()):
            if path.endswith(".dmn"):
                for decision_id, name in decisions_in(text):
                    found.setdefault(decision_id, (path, name))
        return found


def forms_available(files: Mapping[str, str], main_file: str) -> dict[str, str]:
    """The forms a task of this diagram may name (engine.runtime.forms.find_form): its own folder's forms, then the
    shared ones, by name → path."""
    folder = posixpath.dirname(main_file)
    top = folder.split("/", 1)[0] if "/" in folder else ""
    found = {}
    for base in (posixpath.join(top, "shared", "forms"), posixpath.join(folder, "forms")):  # its own win
        for path in sorted(files):
            if posixpath.dirname(path) == base and path.endswith(".json"):
                found[posixpath.splitext(posixpath.basename(path))[0]] = path
    return dict(sorted(found.items()))


def processes_in(text: str) -> list[tuple[str, str, bool]]:
    """(id, name, executable) of every process a BPMN text defines; empty when it is not BPMN XML."""
    try:
        tree = etree.fromstring(text.encode("utf-8"), _XML)
    except etree.XMLSyntaxError:
        return []
    return [(p.get("id", ""), p.get("name") or p.get("id", ""), p.get("isExecutable", "true") == "true")
            for p in tree.iterfind(f"{{{BPMN_NS}}}process")]


def decisions_in(text: str) -> list[tuple[str, str]]:
    """(id, name) of every decision a DMN text defines, whichever DMN version its namespace says."""
    try:
        tree = etree.fromstring(text.encode("utf-8"), _XML)
    except etree.XMLSyntaxError:
        return []
    return [(d.get("id", ""), d.get("name") or d.get("id", "")) for d in tree.iter()
            if isinstance(d.tag, str) and etree.QName(d).localname == "decision" and d.get("id")]


def _latest_ids(session: Session) -> list[int]:
    newest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.process_id).subquery())
    return list(session.scalars(
        select(ProcessDefinition.id).join(newest, (newest.c.process_id == ProcessDefinition.process_id)
                                          & (newest.c.version == ProcessDefinition.version))))


def load_workspace(session: Session) -> Workspace:
    rows = session.scalars(
        select(ProcessDefinition).options(undefer(ProcessDefinition.files))
        .where(ProcessDefinition.id.in_(_latest_ids(session)))
        .order_by(ProcessDefinition.deployed_at, ProcessDefinition.id)
    ).all()
    files: dict[str, str] = {}
    latest, catalogues = {}, {}
    for row in rows:
        files.update(row.files)
        catalogues[row.process_id] = row.catalogue
        latest[row.process_id] = Version(row.id, row.process_id, row.name, row.version, row.deployed_at,
                                         row.deployed_by, bool(row.catalogue.get("procedure")))
    process_files = {}
    for path in sorted(p for p in files if p.endswith(".bpmn")):
        for process_id, _, _ in processes_in(files[path]):
            process_files.setdefault(process_id, path)
    return Workspace(files, latest, catalogues, process_files)


def versions_of(session: Session, process_id: str) -> list[Version]:
    rows = session.execute(
        select(ProcessDefinition.id, ProcessDefinition.name, ProcessDefinition.version, ProcessDefinition.deployed_at,
               ProcessDefinition.deployed_by, ProcessDefinition.catalogue)
        .where(ProcessDefinition.process_id == process_id).order_by(ProcessDefinition.version.desc()))
    return [Version(r.id, process_id, r.name, r.version, r.deployed_at, r.deployed_by,
                    bool(r.catalogue.get("procedure"))) for r in rows]


def version_files(session: Session, process_id: str, version: int) -> dict[str, str] | None:
    return session.scalar(select(ProcessDefinition.files).where(
        ProcessDefinition.process_id == process_id, ProcessDefinition.version == version))
