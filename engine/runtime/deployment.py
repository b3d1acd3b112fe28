"""Deploying a set of diagrams and tables: validate everything, then store each changed process once."""

from __future__ import annotations

import hashlib
import json
import posixpath
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.specs.defaults import ManualTask, UserTask
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from engine.access.roles import role_for_lane
from engine.legal_time.business_calendar import overrides_json
from engine.legal_time.clock import clock
from engine.legal_time.event_dates import with_event_field
from engine.runtime.db import Prepared
from engine.runtime.definition import ProcessDefinition
from engine.runtime.forms import FormDefinition, load_form
from engine.runtime.problems import ValidationFailed
from engine.runtime.serialization import WorkflowSerializer
from engine.runtime.task_properties import properties_of
from engine.runtime.validation import PROCEDURE_FILE, ParsedBundle, parse_bundle, read_folder

_serializer = WorkflowSerializer()


@dataclass(frozen=True)
class Deployed:
    process_id: str
    version: int
    created: bool


def _catalogue(
    bundle: ParsedBundle, spec: BpmnProcessSpec, subprocess_specs: Mapping[str, BpmnProcessSpec]
) -> dict[str, Any]:
    """What the web app and the commands need to know of the diagram without loading the engine."""
    tasks, forms = {}, {}
    for process in (spec, *subprocess_specs.values()):
        bpmn_file = bundle.process_files.get(process.name, "")
        for ts in process.task_specs.values():
            if not getattr(ts, "bpmn_id", None):
                continue
            properties = properties_of(ts)
            role = role_for_lane(ts.lane) if isinstance(ts, UserTask | ManualTask) else None
            form_file = bundle.form_path(bpmn_file, properties["form"]) if properties.get("form") else None
            if form_file:
                forms[f"{process.name}/{ts.bpmn_id}"] = form_file
            tasks[ts.bpmn_id] = {
                "name": ts.bpmn_name or ts.bpmn_id,
                "process": process.name,
                "kind": type(ts).__name__,
                "role": role.code if role else None,
                "properties": dict(properties),
                "calls": ts.spec if isinstance(ts, SubWorkflowTask) else None,
                "form_file": form_file,
            }
    sheet = posixpath.join(posixpath.dirname(bundle.process_files.get(spec.name, "")), PROCEDURE_FILE)
    # Only a process in a folder of its own with a procedure sheet is a procedure people can start;
    # the shared parts it calls are not.
    procedure = json.loads(bundle.files[sheet]) if sheet in bundle.files else None
    return {"tasks": tasks, "forms": forms, "procedure": procedure}


def _files_for(bundle: ParsedBundle, process_id: str, called: Mapping[str, BpmnProcessSpec],
               catalogue: Mapping[str, Any]) -> dict[str, str]:
    names = {bundle.process_files[p] for p in (process_id, *called) if p in bundle.process_files}
    names |= {n for n in bundle.files if n.endswith(".dmn")}
    names |= set(catalogue["forms"].values())
    sheet = posixpath.join(posixpath.dirname(bundle.process_files[process_id]), PROCEDURE_FILE)
    if sheet in bundle.files:
        names.add(sheet)
    return {n: bundle.files[n] for n in sorted(names)}


def deploy_files(session: Session, files: Mapping[str, str | bytes], actor: str) -> list[Deployed]:
    """Validate the whole set; store a new version of each executable process whose content changed.

    Raises ValidationFailed with every problem, and stores nothing, when anything is wrong.
    """
    bundle = parse_bundle(files)
    if bundle.problems:
        raise ValidationFailed(bundle.problems)
    results = []
    now = clock.now()
    for process_id in sorted(bundle.executable):
        spec, called = bundle.specs(process_id)
        spec_json = _serializer.spec_to_json(spec, called)
        catalogue = _catalogue(bundle, spec, called)
        sources = _files_for(bundle, process_id, called, catalogue)
        digest = hashlib.sha256(
            json.dumps({"spec": spec_json, "files": sources}, sort_keys=True).encode()
        ).hexdigest()
        existing = session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.process_id == process_id, ProcessDefinition.content_hash == digest
            )
        )
        if existing is not None:
            results.append(Deployed(process_id, existing.version, created=False))
            continue
        latest = session.scalar(
            select(func.max(ProcessDefinition.version)).where(ProcessDefinition.process_id == process_id)
        )
        definition = ProcessDefinition(
            process_id=process_id,
            name=bundle.names.get(process_id, process_id),
            version=(latest or 0) + 1,
            content_hash=digest,
            spec_json=spec_json,
            files=sources,
            catalogue=catalogue,
            deployed_at=now,
            deployed_by=actor,
        )
        session.add(definition)
        session.flush()
        results.append(Deployed(process_id, definition.version, created=True))
    return results


def deploy_folders(session: Session, roots: list[Path], actor: str) -> list[Deployed]:
    files: dict[str, str] = {}
    for root in roots:
        files.update({f"{root.name}/{k}": v for k, v in read_folder(root).items()})
    return deploy_files(session, files, actor)


def latest_definition_later(conn: Connection, process_id: str) -> Callable[[], dict[str, Any] | None]:
    """The newest version of a process: its id, version and content hash, and the calendar's overrides now in
    the database (`overrides`, for calendar_of): what starting a dossier needs, in one statement. Read by the
    returned function: inside `pipelined` on PostgreSQL, once the block has ended."""
    rows = _LATEST.rows_later(conn, {"p_id": process_id})
    return lambda: next(iter(rows()), None)


# Built once (every start runs it); the columns only, not the definition's catalogue or files.
_LATEST = Prepared(select(ProcessDefinition.id, ProcessDefinition.version, ProcessDefinition.content_hash,
                          overrides_json().label("overrides"))
                   .where(ProcessDefinition.process_id == bindparam("p_id"))
                   .order_by(ProcessDefinition.version.desc()).limit(1), ("p_id",))


class SpecCache:
    """Deserialized specs by content hash: stored definitions never change, so the cache never goes stale."""

    def __init__(self) -> None:
        self._specs: dict[str, tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]] = {}
        self._lock = threading.Lock()

    def get(
        self, session: Session, definition_id: int, content_hash: str
    ) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
        specs = self._specs.get(content_hash)
        if specs is None:
            spec_json = session.scalar(
                select(ProcessDefinition.spec_json).where(ProcessDefinition.id == definition_id)
            )
            specs = _serializer.spec_from_json(spec_json)
            with self._lock:
                self._specs[content_hash] = specs
        return specs


spec_cache = SpecCache()


class FormCache:
    """The forms of each deployed version's user tasks. Stored versions never change, so neither does this."""

    def __init__(self) -> None:
        self._forms: dict[str, dict[str, FormDefinition]] = {}
        self._lock = threading.Lock()

    def for_task(
        self, session: Session, definition_id: int, content_hash: str, process: str, task: str
    ) -> FormDefinition | None:
        """The form of task `task` (a BPMN id) of process `process`, or None when it has no form."""
        forms = self._forms.get(content_hash)
        if forms is None:
            catalogue, files = session.execute(
                select(ProcessDefinition.catalogue, ProcessDefinition.files)
                .where(ProcessDefinition.id == definition_id)
            ).one()
            tasks = catalogue.get("tasks", {})
            # A step that records a legal event shows its date field even when its form lacks one.
            forms = {key: with_event_field(load_form(json.loads(files[path]), name=path),
                                           tasks.get(key.rsplit("/", 1)[-1], {}).get("properties", {}))
                     for key, path in catalogue.get("forms", {}).items()}
            with self._lock:
                self._forms[content_hash] = forms
        return forms.get(f"{process}/{task}")


form_cache = FormCache()
