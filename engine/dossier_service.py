"""The commands that move dossiers: start, complete a task, fire due timers, cancel.

Each command is one transaction (DESIGN.md, "Flow of one command"): load the dossier and the definition
it started on, rebuild the workflow, refuse if the task is not READY, run the engine until it waits, then
write back state, work items and an audit event, bumping the version so that a concurrent writer gets a
clean conflict instead of a lost update.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine import audit
from engine.business_calendar import BusinessCalendar, load_calendar
from engine.clock import clock
from engine.db import make_session_factory
from engine.definition import ProcessDefinition
from engine.deployment import latest_definition, spec_cache
from engine.dossier import Dossier, DossierStatus
from engine.dossier_clock import sync_clock, total_of
from engine.errors import Conflict, InvalidData, NotFound, ProcessError, TaskNotReady
from engine.legal_clock import LegalClock
from engine.roles import role_for_lane
from engine.script_engine import make_script_engine
from engine.serialization import WorkflowSerializer
from engine.timers import TIMER_CLASSES
from engine.work_item import WorkItem, WorkItemStatus

_serializer = WorkflowSerializer()
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# A supplement loop adds a level to the task tree per pass; far below the depth where SpiffWorkflow
# stops finding tasks (DESIGN.md: ~1,000 levels), and far above any lawful number of passes.
MAX_ENGINE_PASSES = 200


@dataclass(frozen=True)
class ReadyTask:
    id: str
    spec: str
    name: str
    role: str
    form: str | None
    properties: dict[str, str]
    data: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class Outcome:
    dossier_id: int
    status: str
    version: int
    ready: list[ReadyTask]


@dataclass
class _Loaded:
    dossier: Dossier
    definition: ProcessDefinition
    workflow: BpmnWorkflow
    calendar: BusinessCalendar


def _task_error(err: SpiffWorkflowException) -> ProcessError:
    task_spec = getattr(err, "task_spec", None)
    element = getattr(task_spec, "bpmn_id", "") or ""
    label = getattr(task_spec, "bpmn_name", None) or element
    message = str(err.args[0]) if err.args else err.__class__.__name__
    notes = [n for n in getattr(err, "__notes__", []) if n]
    if notes:
        message += " — " + "; ".join(notes)
    return ProcessError(f"{label}: {message}" if label else message, element_id=element)


def _ready_task(task: Task) -> ReadyTask:
    spec = task.task_spec
    role = role_for_lane(spec.lane)
    properties = dict(getattr(spec, "extensions", {}).get("properties", {}))
    return ReadyTask(
        id=str(task.id),
        spec=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        role=role.code if role else "unassigned",
        form=properties.get("form"),
        properties=properties,
        data=dict(task.data),
    )


def check_form_data(data: Any) -> dict[str, Any]:
    """Task data from outside must be a mapping of plain field names; anything else is refused whole."""
    if not isinstance(data, dict):
        raise InvalidData("the submitted data must be a set of named fields")
    bad = {k: "field names are letters, digits and _ and start with a letter"
           for k in data if not isinstance(k, str) or not _FIELD_NAME.match(k)}
    if bad:
        raise InvalidData("some field names are not allowed", fields={str(k): v for k, v in bad.items()})
    return data


def next_timer(workflow: BpmnWorkflow) -> datetime | None:
    """The earliest due time among the timers the workflow waits on (None when it waits on none)."""
    due = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TIMER_CLASSES):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):
            value = value.get("next")
        if value:
            due.append(datetime.fromisoformat(value))
    return min(due) if due else None


def advance(workflow: BpmnWorkflow) -> None:
    """Run engine tasks until the workflow waits on people or timers (a fired timer may wake more)."""
    for _ in range(MAX_ENGINE_PASSES):
        workflow.do_engine_steps()
        if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
            return
    raise ProcessError("the process kept running without waiting: an endless loop in the diagram?")


class DossierService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_session = make_session_factory(engine)
        self.write_session = make_session_factory(engine, write=True)

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def command(self) -> Iterator[Session]:
        with self.write_session() as session:
            try:
                yield session
                session.commit()
            except StaleDataError as err:
                session.rollback()
                raise Conflict("the dossier was changed by someone else meanwhile; reload and try again") from err
            except DBAPIError as err:
                session.rollback()
                if getattr(err.orig, "sqlstate", None) in ("40001", "40P01"):
                    raise Conflict("the dossier was changed by someone else meanwhile; reload and try again") \
                        from err
                raise
            except BaseException:
                session.rollback()
                raise

    # -- loading and saving -------------------------------------------------------------------

    def _load(self, session: Session, dossier_id: int) -> _Loaded:
        dossier = session.get(Dossier, dossier_id)
        if dossier is None:
            raise NotFound(f"no dossier {dossier_id}")
        definition = session.get(ProcessDefinition, dossier.definition_id)
        spec, subprocess_specs = spec_cache.get(definition)
        workflow = _serializer.state_from_json(dossier.state, spec, subprocess_specs)
        calendar = load_calendar(session)
        workflow.script_engine = make_script_engine(calendar)
        return _Loaded(dossier, definition, workflow, calendar)

    def _save(self, session: Session, loaded: _Loaded, actor: str, completed_task: str | None = None) -> None:
        dossier, workflow = loaded.dossier, loaded.workflow
        now = clock.now()
        dossier.state = _serializer.state_to_json(workflow)
        dossier.next_timer_at = next_timer(workflow)
        dossier.updated_at = now
        if workflow.is_completed() and dossier.status == DossierStatus.RUNNING:
            dossier.status = DossierStatus.COMPLETED
            dossier.finished_at = now
            dossier.next_timer_at = None
        self._sync_clock(loaded, now)
        self._sync_work_items(session, loaded, actor, completed_task, now)

    def _sync_clock(self, loaded: _Loaded, now: datetime) -> None:
        dossier = loaded.dossier
        legal = (LegalClock.from_dict(dossier.legal_clock) if dossier.legal_clock
                 else LegalClock(total_of(loaded.workflow)))
        sync_clock(legal, loaded.workflow, now, ended=dossier.status != DossierStatus.RUNNING)
        dossier.legal_clock = legal.to_dict()
        dossier.due_at = legal.due_at(loaded.calendar)
        dossier.total_due_at = legal.total_due_at(loaded.calendar)
        dossier.clock_paused = legal.paused

    def _sync_work_items(
        self, session: Session, loaded: _Loaded, actor: str, completed_task: str | None, now: datetime
    ) -> None:
        dossier, workflow = loaded.dossier, loaded.workflow
        ready = {} if dossier.status != DossierStatus.RUNNING else {
            str(t.id): t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
        }
        open_items = session.scalars(
            select(WorkItem).where(WorkItem.dossier_id == dossier.id, WorkItem.status == WorkItemStatus.OPEN)
        ).all()
        for item in open_items:
            if item.task_id in ready:
                del ready[item.task_id]
                item.due_at = dossier.due_at or dossier.total_due_at
                continue
            item.closed_at = now
            if item.task_id == completed_task:
                item.status = WorkItemStatus.COMPLETED
                item.closed_by = actor
            else:
                item.status = WorkItemStatus.CANCELLED
        for task_id, task in ready.items():
            view = _ready_task(task)
            session.add(WorkItem(
                dossier_id=dossier.id, task_id=task_id, task_spec=view.spec, name=view.name, role=view.role,
                form=view.form, created_at=now, due_at=dossier.due_at or dossier.total_due_at,
            ))

    def _outcome(self, loaded: _Loaded) -> Outcome:
        ready = [] if loaded.dossier.status != DossierStatus.RUNNING else [
            _ready_task(t) for t in loaded.workflow.get_tasks(state=TaskState.READY, manual=True)
        ]
        return Outcome(loaded.dossier.id, loaded.dossier.status, loaded.dossier.version, ready)

    # -- commands -----------------------------------------------------------------------------

    def start(
        self, process_id: str, data: dict[str, Any], actor: str, *, title: str = "", channel: str = "desk",
        code: str | None = None,
    ) -> Outcome:
        check_form_data(data)
        with self.command() as session:
            definition = latest_definition(session, process_id)
            if definition is None:
                raise NotFound(f"no deployed procedure '{process_id}'")
            spec, subprocess_specs = spec_cache.get(definition)
            calendar = load_calendar(session)
            workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(calendar))
            workflow.task_tree.data.update(data)
            try:
                advance(workflow)
            except SpiffWorkflowException as err:
                raise _task_error(err) from err
            now = clock.now()
            dossier = Dossier(
                code=code, process_id=process_id, definition_id=definition.id, title=title, channel=channel,
                state="", summary={}, created_at=now, created_by=actor, updated_at=now,
            )
            session.add(dossier)
            session.flush()
            loaded = _Loaded(dossier, definition, workflow, calendar)
            self._save(session, loaded, actor)
            audit.record(session, actor=actor, command="start", dossier_id=dossier.id,
                         data={"process_id": process_id, "version": definition.version,
                               "data": _serializer.jsonable(data)})
            session.flush()
            return self._outcome(loaded)

    def complete(
        self, dossier_id: int, task_id: str, data: dict[str, Any], actor: str, *,
        expected_version: int | None = None,
    ) -> Outcome:
        check_form_data(data)
        refused: TaskNotReady | None = None
        with self.command() as session:
            loaded = self._load(session, dossier_id)
            if expected_version is not None and loaded.dossier.version != expected_version:
                raise Conflict("the dossier was changed by someone else meanwhile; reload and try again")
            if loaded.dossier.status != DossierStatus.RUNNING:
                raise TaskNotReady(f"the dossier is {loaded.dossier.status}; its tasks can no longer be done")
            workflow = loaded.workflow
            try:
                # Timers that fell due first (a deadline may have cancelled this very task).
                advance(workflow)
                task = workflow.get_task_from_id(UUID(task_id))
            except (TaskNotFoundException, ValueError):
                raise TaskNotReady("this task does not belong to the dossier") from None
            except SpiffWorkflowException as err:
                raise _task_error(err) from err
            if task is None or task.state != TaskState.READY or not task.task_spec.manual:
                refused = TaskNotReady(
                    "this task is no longer waiting: it was completed by someone else or cancelled by a deadline"
                )
                self._save(session, loaded, actor="timer")
            else:
                try:
                    task.data.update(data)
                    task.run()
                    advance(workflow)
                except SpiffWorkflowException as err:
                    raise _task_error(err) from err
                self._save(session, loaded, actor, completed_task=task_id)
                audit.record(session, actor=actor, command="complete", dossier_id=dossier_id, task_id=task_id,
                             task_name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                             data=_serializer.jsonable(data))
            session.flush()
            outcome = self._outcome(loaded)
        if refused is not None:
            raise refused
        return outcome

    def fire_timers(self, dossier_id: int, actor: str = "timer") -> Outcome:
        """Advance one dossier whose timer fell due (the scheduler calls this)."""
        with self.command() as session:
            loaded = self._load(session, dossier_id)
            if loaded.dossier.status != DossierStatus.RUNNING:
                return self._outcome(loaded)
            before = loaded.dossier.next_timer_at
            try:
                advance(loaded.workflow)
            except SpiffWorkflowException as err:
                raise _task_error(err) from err
            self._save(session, loaded, actor)
            audit.record(session, actor=actor, command="fire_timers", dossier_id=dossier_id,
                         data={"due": before.isoformat() if before else None})
            session.flush()
            return self._outcome(loaded)

    def due_dossiers(self, limit: int = 100) -> list[int]:
        with self.read_session() as session:
            return list(session.scalars(
                select(Dossier.id)
                .where(Dossier.next_timer_at <= clock.now(), Dossier.status == DossierStatus.RUNNING)
                .order_by(Dossier.next_timer_at)
                .limit(limit)
            ))

    def fire_due_timers(self, limit: int = 100) -> int:
        """Advance the dossiers whose next timer is due; returns how many were taken up."""
        due = self.due_dossiers(limit)
        for dossier_id in due:
            try:
                self.fire_timers(dossier_id)
            except Conflict:
                continue
            except ProcessError as err:
                self._record_incident(dossier_id, str(err))
        return len(due)

    def _record_incident(self, dossier_id: int, message: str) -> None:
        with self.command() as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier is None:
                return
            dossier.incident = message
            dossier.next_timer_at = None
            audit.record(session, actor="timer", command="incident", dossier_id=dossier_id,
                         data={"message": message})

    def cancel(self, dossier_id: int, actor: str, reason: str) -> Outcome:
        with self.command() as session:
            loaded = self._load(session, dossier_id)
            if loaded.dossier.status != DossierStatus.RUNNING:
                raise TaskNotReady(f"the dossier is already {loaded.dossier.status}")
            loaded.workflow.cancel()
            loaded.dossier.status = DossierStatus.CANCELLED
            loaded.dossier.finished_at = clock.now()
            self._save(session, loaded, actor)
            loaded.dossier.next_timer_at = None
            audit.record(session, actor=actor, command="cancel", dossier_id=dossier_id, data={"reason": reason})
            session.flush()
            return self._outcome(loaded)

    # -- queries ------------------------------------------------------------------------------

    def ready_tasks(self, dossier_id: int) -> list[ReadyTask]:
        with self.read_session() as session:
            loaded = self._load(session, dossier_id)
            return self._outcome(loaded).ready

    def data(self, dossier_id: int) -> dict[str, Any]:
        """The process data as the last completed task left it."""
        with self.read_session() as session:
            workflow = self._load(session, dossier_id).workflow
            return dict(workflow.last_task.data) if workflow.last_task else dict(workflow.data)
