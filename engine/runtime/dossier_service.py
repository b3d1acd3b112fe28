"""The workflow side of the commands that move dossiers: start, complete a task, fire due timers, cancel.

The use cases people and systems call are the service layer's (engine.service.commands): they run these
inside their own unit of work (`start_in`, `complete_in`) with the files, papers and mails of the step.
Each command is one transaction (DESIGN.md, "Flow of one command"): load the dossier and the definition
it started on, rebuild the workflow, refuse if the task is not READY, run the engine until it waits, then
write back state, work items and an audit event, bumping the version so that a concurrent writer gets a
clean conflict instead of a lost update.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import cached_property, lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptEngineTask
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import LargeBinary, bindparam, insert, select, type_coerce, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.access.roles import role_for_lane
from engine.decisions.bpmn_task import DecisionTask
from engine.expressions import ExpressionError, evaluate
from engine.legal_time import event_dates
from engine.legal_time.business_calendar import BusinessCalendar, calendar_of, overrides_json
from engine.legal_time.clock import clock
from engine.legal_time.dossier_clock import other_due_at, sync_clock, sync_other_clocks, total_of
from engine.legal_time.legal_clock import EffectiveDate, LegalClock
from engine.legal_time.milestones import next_milestone_at
from engine.onestop import daily_figures
from engine.onestop.documents import kinds_asked, papers_numbered_after, refusals_of
from engine.onestop.fees import FeeCheckedForm, record_fee_step
from engine.onestop.paper_numbers import step_paper_facts
from engine.onestop.registry import RegistryError, record_result
from engine.runtime import audit, completion_guard, message_catching, timer_bell
from engine.runtime.command_budget import CommandBudget
from engine.runtime.db import Prepared, connection, make_read_session_factory, make_session_factory, pipelined
from engine.runtime.definition import ProcessDefinition, procedure_result
from engine.runtime.deployment import form_cache, latest_definition_later, spec_cache
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.errors import Conflict, InvalidData, NotFound, ProcessError, TaskNotReady
from engine.runtime.inbound_message import expire_kept
from engine.runtime.message_events import Catcher
from engine.runtime.packing import unpack
from engine.runtime.script_engine import make_script_engine, platform_functions
from engine.runtime.serialization import WorkflowSerializer
from engine.runtime.task_properties import properties_of
from engine.runtime.timers import TIMER_CLASSES
from engine.runtime.work_item import WorkItem, WorkItemStatus
from engine.runtime.workflow_cache import Kept, WorkflowCache

_serializer = WorkflowSerializer()
_CHANGED_MEANWHILE = "the dossier was changed by someone else meanwhile; reload and try again"
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")
# A supplement loop adds a level to the task tree per pass; far below the depth where SpiffWorkflow
# stops finding tasks (DESIGN.md: ~1,000 levels), and far above any lawful number of passes.
MAX_ENGINE_PASSES = 200
ACTIVE = TaskState.READY | TaskState.STARTED | TaskState.WAITING
# The engine's steps that take decisions on the data: scripts and services, decision tables, routing gateways.
_DECIDING = (ScriptEngineTask, DecisionTask, ExclusiveGateway, InclusiveGateway)
# The field holding the day of receipt, set when the dossier opens (_start_in).
RECEIVED_ON = "received_on"


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
    # The work items the command opened, by their task's id (an item open before keeps its id).
    items: dict[str, int] = field(default_factory=dict)


# A dossier code taken in the command's transaction: given its connection, it takes the number (on PostgreSQL
# inside the pipeline that also reads the procedure's version) and returns how to read the code.
CodeTaker = Callable[[Connection], Callable[[], str]]


@dataclass(frozen=True, kw_only=True)
class Started(Outcome):
    """A dossier opened, with what its applicant is told at once: when it counts as received and what its legal
    clock promises (engine.onestop.tracking.promised_at, on its calendar)."""

    code: str | None
    received_at: datetime
    created_at: datetime
    total_due_at: datetime | None
    clock_started: bool
    calendar: BusinessCalendar = field(repr=False)


@dataclass(frozen=True)
class SeenItem:
    """A work item as completing it by its id reads it, with its dossier's id."""

    dossier_id: int
    role: str
    status: str
    assignee: str | None


@dataclass(frozen=True)
class ItemToComplete:
    """A work item to complete by its id; `check` refuses it by raising (None: there is no such item)."""

    id: int
    check: Callable[[SeenItem | None], None]


@dataclass
class IncidentScope:
    """The dossier a failing command is recorded against (DossierService.incident_on_failure)."""

    dossier_id: int | None


@dataclass(frozen=True)
class Completed:
    """What completing a task did: the outcome, the task as it stood, the data it took (validated by its
    form) and the workflow after it, whose process data the papers the step issues read."""

    outcome: Outcome
    task: ReadyTask | None
    data: dict[str, Any]
    workflow: BpmnWorkflow | None = field(repr=False)
    definition_id: int
    content_hash: str
    code: str | None  # the dossier's
    refused: TaskNotReady | None = None

    @cached_property
    def process_data(self) -> dict[str, Any]:
        # Read only by a step that issues papers: most steps never walk the tree for it.
        return latest_data(self.workflow) if self.workflow is not None else {}


@dataclass(frozen=True)
class Correction:
    """What a supervisor's correction of an event's day did. `field`: the date field later steps now read
    with the corrected day (None when no step of the workflow recorded the event). The engine's decisions
    after the event were taken again from step `rerun_from` on the corrected day, or stand (`kept` says why:
    "later_step" a person completed `kept_by`, step `kept_by` reached "outside" the dossier (a message, a
    linked dossier), a "paper" of kind `kept_by` was issued after the event, the dossier is "finished", no
    step computed or routed on the data since the event ("no_decision": nothing to take again), or the
    recording step is unknown, "step_unknown")."""

    outcome: Outcome
    field: str | None
    rerun_from: str | None = None
    kept: str | None = None
    kept_by: str | None = None


@dataclass
class DossierRecord:
    """The columns a command reads and writes, as plain values (the hot path avoids the ORM)."""

    id: int | None
    code: str | None
    process_id: str
    definition_id: int
    definition_version: int
    title: str
    channel: str
    created_by: str
    status: str
    state: str
    legal_clock: dict[str, Any] | None
    next_timer_at: datetime | None
    due_at: datetime | None
    total_due_at: datetime | None
    clock_paused: bool
    updated_at: datetime
    finished_at: datetime | None
    version: int
    created_at: datetime
    parent_id: int | None = None
    next_milestone_at: datetime | None = None
    milestones_fired: list[str] | None = None
    received_at: datetime | None = None


_WRITTEN = ("status", "state", "legal_clock", "next_timer_at", "due_at", "total_due_at", "clock_paused",
            "next_milestone_at", "updated_at", "finished_at", "received_at")
# Core statements on the tables, not the mapped classes: the ORM's bookkeeping costs more than the SQL here.
_DOSSIER = Dossier.__table__
_DEFINITION = ProcessDefinition.__table__
_WORK_ITEM = WorkItem.__table__
_LOADED = select(
    *(_DOSSIER.c[f] for f in DossierRecord.__dataclass_fields__ if f not in ("definition_version", "state")),
    # The state as stored (packed): unpacked only when the workflow is not in the cache.
    type_coerce(_DOSSIER.c.state, LargeBinary).label("state"),
    _DEFINITION.c.version.label("definition_version"), _DEFINITION.c.content_hash,
    overrides_json().label("overrides"),
    # A dossier that finishes counts as returned, not resolved, when it was refused by a letter: read with it
    # here, so that the command that finishes it does not ask on its own (a round trip on PostgreSQL).
    refusals_of(_DOSSIER.c.id).exists().label("refused"),
).join(_DEFINITION, _DEFINITION.c.id == _DOSSIER.c.definition_id)
_LOAD = Prepared(_LOADED.where(_DOSSIER.c.id == bindparam("p_id")), ("p_id",))
# A work item completed by its id: the item and its dossier in one statement (a round trip on PostgreSQL).
_LOAD_ITEM = Prepared(
    _LOADED.add_columns(*(c.label(f"item_{c.key}") for c in (_WORK_ITEM.c.role, _WORK_ITEM.c.status,
                                                               _WORK_ITEM.c.assignee, _WORK_ITEM.c.task_id)))
    .join(_WORK_ITEM, _WORK_ITEM.c.dossier_id == _DOSSIER.c.id)
    .where(_WORK_ITEM.c.id == bindparam("p_item")), ("p_item",)
)
# Built once: constructing a statement costs more than running it (measured ~130 µs against ~30 µs).
_INSERT_DOSSIER = Prepared(insert(_DOSSIER).returning(_DOSSIER.c.id), (
    *_WRITTEN, "code", "process_id", "definition_id", "title", "channel", "summary", "milestones_fired",
    "created_at", "created_by", "version", "parent_id"))


@lru_cache(maxsize=256)
def _update_dossier_of(columns: tuple[str, ...]) -> Prepared:
    """The UPDATE of these columns, guarded by the version. Only the columns a command changed are set: an
    index is rewritten for every column in the SET list, changed or not (SQLite), and PostgreSQL can keep the
    new row version beside the old one (a HOT update) only when no indexed column is set to a new value."""
    return Prepared(update(_DOSSIER).where(
        _DOSSIER.c.id == bindparam("p_id"), _DOSSIER.c.version == bindparam("p_version")
    ), (*columns, "version", "p_id", "p_version"))


_CLOSE_ITEM = Prepared(update(_WORK_ITEM).where(_WORK_ITEM.c.task_id == bindparam("p_task")),
                       ("status", "closed_at", "closed_by", "p_task"))
_DUE_ITEM = Prepared(update(_WORK_ITEM).where(_WORK_ITEM.c.task_id == bindparam("p_task")), ("due_at", "p_task"))
# With its id: the command that opened it names it in its answer (the API's submission).
_INSERT_ITEM = Prepared(insert(_WORK_ITEM).returning(_WORK_ITEM.c.id), (
    "dossier_id", "task_id", "task_spec", "name", "role", "form", "status", "created_at", "due_at"))


@dataclass(frozen=True)
class _Event:
    """A command's own line in the audit trail, written with the dossier's rows (in their round trip)."""

    command: str
    data: Any
    task_id: str | None = None
    task_name: str | None = None


@dataclass
class _Loaded:
    dossier: DossierRecord
    workflow: BpmnWorkflow
    calendar: BusinessCalendar
    content_hash: str
    # The user tasks that were ready when the dossier was last saved: exactly its open work items.
    open_items: set[str] = field(default_factory=set)
    # Tasks completed by this command, for the platform actions they carry (bpmn/README.md).
    completed: list[Task] = field(default_factory=list)
    # The legal event the completed step recorded, the step's name, the event's date and when it was recorded
    # (engine.legal_time.event_dates).
    event: tuple[event_dates.EventDate, str, datetime, datetime] | None = None
    # Whether the dossier was running when loaded: a command that ends it counts it as finished.
    was_running: bool = True
    # The user tasks ready as saved (its open work items), once saved: the outcome reads them again.
    ready: list[Task] | None = None
    # The written columns as loaded: a save sets only those that changed.
    stored: dict[str, Any] = field(default_factory=dict)
    # The work items the save opened, by their task's id.
    items: dict[str, int] = field(default_factory=dict)
    # Who withdrew the work items of tasks no longer waiting, when a person did (a supervisor's correction that
    # ran the engine again): the officer's history names them. None: a deadline or a message did.
    withdrawn_by: str | None = None
    # Whether a refusal letter of the dossier was stored when it was loaded (read with it).
    refused: bool = False


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
    properties = dict(properties_of(spec))
    return ReadyTask(
        id=str(task.id),
        spec=spec.bpmn_id,
        name=spec.bpmn_name or spec.bpmn_id,
        role=role.code if role else "unassigned",
        form=properties.get("form"),
        properties=properties,
        data=dict(task.data),
    )


def _copied(ready: list[ReadyTask]) -> list[ReadyTask]:
    """Ready tasks whose data is a copy: nobody changes a kept workflow through what a read returns."""
    return [replace(t, data=copy.deepcopy(t.data)) for t in ready]


def linked_fields(properties: dict[str, str]) -> list[tuple[str, str]]:
    """`starts-dossier-data` = "full_name=so_name, email": fields the linked dossier receives (target=source)."""
    pairs = []
    for item in properties.get("starts-dossier-data", "").split(","):
        target, _, source = item.partition("=")
        if target.strip():
            pairs.append((target.strip(), (source or target).strip()))
    return pairs


def check_form_data(data: Any) -> dict[str, Any]:
    """Task data from outside must be a mapping of plain field names; anything else is refused whole."""
    if not isinstance(data, dict):
        raise InvalidData("the submitted data must be a set of named fields")
    bad = {k: "field names are letters, digits and _ and start with a letter"
           for k in data if not isinstance(k, str) or not _FIELD_NAME.match(k)}
    if bad:
        raise InvalidData("some field names are not allowed", fields={str(k): v for k, v in bad.items()})
    return data


def latest_data(workflow: BpmnWorkflow) -> dict[str, Any]:
    """The process data as the last completed task left it, in a called process too: the top process's own
    last task stays behind while a shared part runs, and a paper issued by a step of that part (a supplement
    request listing the missing items, with its number) must read what the step wrote."""
    latest = max(workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change, default=None)
    return dict(latest.data) if latest is not None else dict(workflow.data)


def active_tasks(workflow: BpmnWorkflow) -> list[Task]:
    """Every task that is ready, started or waiting, in one pass over the tree (subprocesses included)."""
    return workflow.get_tasks(state=ACTIVE)


def ready_manual(active: list[Task]) -> list[Task]:
    return [t for t in active if t.state == TaskState.READY and t.task_spec.manual]


def next_timer(active: list[Task]) -> datetime | None:
    """The earliest due time among the timers the workflow waits on (None when it waits on none)."""
    due = []
    for task in active:
        if task.state != TaskState.WAITING:
            continue
        definition = getattr(task.task_spec, "event_definition", None)
        # An event-based gateway waits on its branches' events at once: its timers are the gateway's.
        inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
        if not any(isinstance(d, TIMER_CLASSES) for d in inner):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict):
            value = value.get("next")
        if value:
            due.append(datetime.fromisoformat(value))
    return min(due) if due else None


def advance(workflow: BpmnWorkflow, completed: list[Task] | None = None) -> None:
    """Run engine tasks until the workflow waits on people or timers (a fired timer may wake more).

    The engine tasks completed on the way are appended to `completed` when given.
    """
    done = completed.append if completed is not None else None
    budget = CommandBudget()
    for _ in range(MAX_ENGINE_PASSES):
        workflow.do_engine_steps(will_complete_task=budget.before_step, did_complete_task=done)
        if not any(not t.task_spec.manual for t in workflow.get_tasks(state=TaskState.READY)):
            return
    raise ProcessError("the process kept running without waiting: an endless loop in the diagram?")


def _recording_step(workflow: BpmnWorkflow, entry: EffectiveDate) -> tuple[Task, event_dates.EventDate] | None:
    """The completed step that recorded the event of clock date `entry`, with its date field. The receipt
    recorded when the dossier opened was set at the start event; a step run more than once (a supplement
    received twice) is the run whose field holds the entry's day, else the latest."""
    done = workflow.get_tasks(state=TaskState.COMPLETED)
    if not entry.task and entry.event == "received":
        start = next((t for t in done if isinstance(t.task_spec, StartEvent) and t.workflow is workflow), None)
        return None if start is None else (start, event_dates.EventDate(RECEIVED_ON, "received"))
    old = event_dates.local_day(entry.at)
    found = []
    for task in done:
        spec = event_dates.event_date_of(properties_of(task.task_spec))
        name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
        if spec is not None and spec.event == entry.event and name == entry.task:
            found.append((task.data.get(spec.field) == old, task.last_state_change, task, spec))
    if not found:
        return None
    _, _, task, spec = max(found, key=lambda f: f[:2])
    return task, spec


def _linked_opened(task: Task, calendar: BusinessCalendar) -> str | None:
    """The procedure of the linked dossier a completed task opens (`starts-dossier`, when its
    `starts-dossier-when` holds on the task's data), else None."""
    properties = properties_of(task.task_spec)
    process_id = properties.get("starts-dossier")
    if not process_id:
        return None
    condition = properties.get("starts-dossier-when")
    try:
        if condition and not evaluate(condition, task.data, platform_functions(calendar)):
            return None
    except ExpressionError as err:
        element = task.task_spec.bpmn_id
        raise ProcessError(f"{element}: starts-dossier-when: {err}", element_id=element) from err
    return process_id


def _reaches_outside(task: Task, calendar: BusinessCalendar) -> bool:
    """Whether a step dealt with the world beyond the dossier (a message sent or taken, a linked dossier
    opened): running it again would send or open a second one, or lose what came."""
    definition = getattr(task.task_spec, "event_definition", None)
    inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return any(isinstance(d, MessageEventDefinition) for d in inner) or _linked_opened(task, calendar) is not None


class DossierService:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.read_session = make_read_session_factory(engine)
        self.write_session = make_session_factory(engine, write=True)
        self.workflows = WorkflowCache.from_env()

    # -- transactions -------------------------------------------------------------------------

    @contextmanager
    def command(self) -> Iterator[Session]:
        with self.write_session() as session:
            try:
                yield session
                session.commit()
                timer_bell.committed(session)
                self.workflows.committed(session)
            except DBAPIError as err:
                session.rollback()
                timer_bell.discarded(session)
                self.workflows.discarded(session)
                if getattr(err.orig, "sqlstate", None) in ("40001", "40P01"):
                    raise Conflict(_CHANGED_MEANWHILE) from err
                raise
            except BaseException:
                session.rollback()
                timer_bell.discarded(session)
                self.workflows.discarded(session)
                raise

    # -- loading and saving -------------------------------------------------------------------

    def _load(self, session: Session, dossier_id: int) -> _Loaded:
        rows = _LOAD.rows(connection(session), {"p_id": dossier_id})  # on PostgreSQL with the command's BEGIN
        if not rows:
            raise NotFound(f"no dossier {dossier_id}")
        return self._loaded(session, rows[0])

    def _load_item(self, session: Session, item: ItemToComplete) -> tuple[_Loaded, str]:
        """The dossier of a work item, and the item's task, once `item.check` has let the item through."""
        rows = _LOAD_ITEM.rows(connection(session), {"p_item": item.id})  # on PostgreSQL with the BEGIN
        row = rows[0] if rows else None
        item.check(None if row is None else SeenItem(row["id"], row["item_role"], row["item_status"],
                                                     row["item_assignee"]))
        assert row is not None  # the check refuses an item that is not there
        return self._loaded(session, row), row["item_task_id"]

    def _loaded(self, session: Session, row: dict[str, Any]) -> _Loaded:
        dossier_id = row["id"]
        record = DossierRecord(**{k: row[k] for k in DossierRecord.__dataclass_fields__ if k != "state"}, state="")
        kept = self.workflows.take(dossier_id, record.version, row["content_hash"])
        if kept is not None:
            workflow, open_items = kept.workflow, set(kept.waiting)
        else:
            spec, subprocess_specs = spec_cache.get(session, record.definition_id, row["content_hash"])
            workflow = _serializer.state_from_json(unpack(row["state"]).decode("utf-8"), spec, subprocess_specs)
            open_items = {str(t.id) for t in ready_manual(active_tasks(workflow))}
        calendar = calendar_of(row["overrides"])
        workflow.script_engine = make_script_engine(calendar)
        return _Loaded(record, workflow, calendar, row["content_hash"], open_items,
                       was_running=record.status == DossierStatus.RUNNING,
                       stored={k: row[k] for k in _WRITTEN if k != "state"}, refused=row["refused"])

    def _save(self, session: Session, loaded: _Loaded, actor: str, completed_task: str | None = None,
              event: _Event | None = None) -> None:
        dossier, workflow = loaded.dossier, loaded.workflow
        now = clock.now()
        before = None if dossier.id is None else self._standing(dossier)
        catchers = self._catchers(loaded)
        key_of = message_catching.evaluator(platform_functions(loaded.calendar))
        if catchers and dossier.id is not None:
            self._catch_kept(session, loaded, key_of, now)
        thrown = message_catching.thrown_messages(workflow, loaded.completed, dossier.code, key_of)
        active = active_tasks(workflow)
        dossier.state = _serializer.state_to_json(workflow)
        dossier.next_timer_at = next_timer(active)
        dossier.updated_at = now
        if workflow.is_completed() and dossier.status == DossierStatus.RUNNING:
            dossier.status = DossierStatus.COMPLETED
            dossier.finished_at = now
            self._record_result(session, loaded)
        if dossier.status != DossierStatus.RUNNING:
            active = []
            dossier.next_timer_at = None
        self._sync_clock(loaded, active, now)
        figures = self._figures_moved(session, loaded, before, now)
        timer_bell.timer_set(session, min((d for d in (dossier.next_timer_at, dossier.next_milestone_at) if d),
                                          default=None), now)
        loaded.ready = ready_manual(active)
        session.flush()  # what the ORM holds goes first: the pipeline takes plain writes only
        # The dossier row first, with its version check: a concurrent writer waits on it and then fails the
        # check, before either of them touches the work items of the task they both completed (rolled back
        # with the Conflict), or the figures' rows (which every command of the procedure adds to: locked
        # last, they are held the shortest). One round trip on PostgreSQL, the check read at its end.
        new = dossier.id is None
        if new:
            self._insert_dossier(session, dossier)  # its id is read back at once, before the pipeline
        updated = None
        try:
            with pipelined(connection(session)):
                updated = None if new else self._update_dossier(session, dossier, loaded.stored)
                opened = self._sync_work_items(session, loaded, loaded.ready, actor, completed_task, now)
                daily_figures.add(session, figures)
                if event is not None:
                    audit.record(session, actor=actor, command=event.command, dossier_id=dossier.id,
                                 task_id=event.task_id, task_name=event.task_name, data=event.data)
        except DBAPIError:
            # The writer that lost the race then also hit the work items the winner wrote; its error is that.
            if updated is not None and updated() == 0:
                raise Conflict(_CHANGED_MEANWHILE) from None
            raise
        if updated is not None:
            if updated() != 1:
                raise Conflict(_CHANGED_MEANWHILE)
            dossier.version += 1
        loaded.items = opened()
        self.workflows.saved(session, dossier.id, Kept(dossier.version, loaded.content_hash, workflow,
                                                       frozenset(str(t.id) for t in loaded.ready)))
        if catchers:
            message_catching.sync(session, dossier.id, workflow, dossier.code,
                                  dossier.status == DossierStatus.RUNNING, key_of)
        self._start_linked(session, loaded, actor)
        if thrown:
            from engine.runtime.messages import route_thrown  # the message command builds on this module

            route_thrown(self, session, loaded.dossier.id, thrown, actor)

    def _catchers(self, loaded: _Loaded) -> list[Catcher]:
        workflow = loaded.workflow
        return message_catching.declared.get(loaded.content_hash, workflow.spec, workflow.subprocess_specs)

    def _catch_kept(self, session: Session, loaded: _Loaded, key_of: message_catching.Evaluate,
                    now: datetime) -> None:
        """Messages that came before their catcher was ready are caught now, in this command; those that ran
        out, or whose dossier ended, are marked expired."""
        dossier = loaded.dossier

        def form_of(catcher: Catcher) -> Any:
            form = form_cache.for_task(session, dossier.definition_id, loaded.content_hash, catcher.process,
                                       catcher.element_id)
            # The notice may have changed since the message came: its payment is held to the one in force.
            return None if form is None else FeeCheckedForm(form, lambda: latest_data(loaded.workflow))

        def run() -> None:
            try:
                advance(loaded.workflow, loaded.completed)
            except SpiffWorkflowException as err:
                raise _task_error(err) from err

        running = dossier.status == DossierStatus.RUNNING and not loaded.workflow.is_completed()
        for message in expire_kept(session, dossier.id, now, ended=not running):
            audit.record(session, actor=f"message:{message.sender}", command="message_expired", dossier_id=dossier.id,
                         data={"message": message.name, "key": message.correlation_key,
                               "message_id": message.message_id})
        if not running:
            return
        caught = message_catching.catch_kept(session, loaded.workflow, dossier.id, dossier.code, now, key_of,
                                             form_of, run, _serializer.registry.restore)
        for item in caught:
            message = item.message
            # A payment confirmed by the platform enters the fee ledger as one recorded at the desk does.
            record_fee_step(session, dossier.id, dossier.process_id, item.payload, latest_data(loaded.workflow),
                            f"message:{message.sender}")
            audit.record(session, actor=f"message:{message.sender}", command="message", dossier_id=dossier.id,
                         task_name=item.catcher.label,
                         data={"message": message.name, "key": message.correlation_key,
                               "message_id": message.message_id, "payload": _serializer.jsonable(item.payload)})

    @staticmethod
    def _standing(dossier: DossierRecord) -> daily_figures.Standing:
        return daily_figures.Standing(dossier.process_id, dossier.channel,
                                      daily_figures.overdue_from(dossier.due_at, dossier.total_due_at))

    def _figures_moved(self, session: Session, loaded: _Loaded, before: daily_figures.Standing | None,
                       now: datetime) -> daily_figures.Changes:
        """The statistics' figures follow the dossier in the same transaction (engine.onestop.daily_figures)."""
        dossier = loaded.dossier
        finished = None
        if loaded.was_running and dossier.status != DossierStatus.RUNNING and dossier.finished_at is not None:
            # A refusal stored later moves it again (store_document): papers are stored after the command.
            refused = dossier.status == DossierStatus.COMPLETED and loaded.refused
            legal = LegalClock.from_dict(dossier.legal_clock) if dossier.legal_clock else None
            column = daily_figures.finish_column(
                legal, dossier.finished_at, loaded.calendar,
                returned=dossier.status == DossierStatus.CANCELLED or refused)
            finished = (column, dossier.finished_at)
        return daily_figures.moved(before, self._standing(dossier), now,
                                   received_at=dossier.created_at if before is None else None, finished=finished)

    @staticmethod
    def _record_result(session: Session, loaded: _Loaded) -> None:
        """A dossier that issued a result enters it in the registry, in the same transaction."""
        workflow = loaded.workflow
        data = workflow.last_task.data if workflow.last_task is not None else workflow.data
        entry = procedure_result(session, loaded.dossier.definition_id, loaded.content_hash).get("registry")
        try:
            record_result(session, loaded.dossier, data, entry if isinstance(entry, str) else "")
        except RegistryError as err:
            raise InvalidData(str(err)) from err

    @staticmethod
    def _insert_dossier(session: Session, dossier: DossierRecord) -> None:
        """One plain INSERT (the hot path avoids the ORM)."""
        dossier.id = _INSERT_DOSSIER.rows(connection(session), {
            **{k: getattr(dossier, k) for k in _WRITTEN}, "code": dossier.code, "process_id": dossier.process_id,
            "definition_id": dossier.definition_id, "title": dossier.title, "channel": dossier.channel,
            "summary": {}, "milestones_fired": [], "created_at": dossier.created_at,
            "created_by": dossier.created_by, "version": 1, "parent_id": dossier.parent_id,
        })[0]["id"]
        dossier.version = 1

    @staticmethod
    def _update_dossier(session: Session, dossier: DossierRecord, stored: dict[str, Any]) -> Callable[[], int]:
        """One plain UPDATE guarded by the version (the hot path of every command); the returned function
        gives the rows it changed, 0 when someone else changed the dossier meanwhile (inside a pipeline,
        once the pipeline has ended)."""
        values = {k: getattr(dossier, k) for k in _WRITTEN}
        changed = tuple(k for k in _WRITTEN if k not in stored or values[k] != stored[k])
        return _update_dossier_of(changed).counted(connection(session), {
            **{k: values[k] for k in changed}, "version": dossier.version + 1, "p_id": dossier.id,
            "p_version": dossier.version,
        })

    def _sync_clock(self, loaded: _Loaded, active: list[Task], now: datetime) -> None:
        dossier = loaded.dossier
        received_at = dossier.received_at or dossier.created_at
        if dossier.legal_clock:
            legal = LegalClock.from_dict(dossier.legal_clock)
        else:
            legal = LegalClock(total_of(loaded.workflow))
            legal.record_receipt("", received_at, dossier.created_at)
            legal.end_date()
        at = now
        if loaded.event is not None:
            # The clock counts from the day the event happened, not from the click (DESIGN.md, legal time).
            spec, task_name, day_at, recorded_at = loaded.event
            at = max(day_at, legal.last_event_at) if legal.last_event_at else day_at
            if spec.event == "received" and not legal.started:
                if event_dates.local_day(at) == event_dates.local_day(received_at):
                    at = received_at  # the same day: keep the instant the desk or the portal recorded
                legal.record_receipt(task_name, at, recorded_at)
                dossier.received_at = received_at = at
            else:
                legal.record_date(spec.event, task_name, at, recorded_at)
        ended = dossier.status != DossierStatus.RUNNING
        sync_clock(legal, active, at, ended=ended, received_at=received_at)
        sync_other_clocks(legal, loaded.completed, at, ended)
        legal.end_date()
        self._write_clock(loaded, legal)

    @staticmethod
    def _write_clock(loaded: _Loaded, legal: LegalClock) -> None:
        """The clock and what supervisors query of it: due dates, pause, next milestone."""
        dossier = loaded.dossier
        dossier.legal_clock = legal.to_dict()
        dossier.due_at = legal.due_at(loaded.calendar)
        # Without a total, the nearest deadline of its own (e.g. the appointment decision) is the one supervisors
        # watch beside the hops.
        dossier.total_due_at = legal.total_due_at(loaded.calendar) or other_due_at(legal, loaded.calendar)
        dossier.clock_paused = legal.paused
        dossier.next_milestone_at = next_milestone_at(
            legal.current_phase, dossier.due_at, dossier.total_due_at, running=dossier.status == DossierStatus.RUNNING,
            paused=legal.paused, fired=dossier.milestones_fired, calendar=loaded.calendar)

    def _sync_work_items(
        self, session: Session, loaded: _Loaded, ready_tasks: list[Task], actor: str, completed_task: str | None,
        now: datetime,
    ) -> Callable[[], dict[str, int]]:
        """Close the rows of tasks no longer ready, open rows for new ones, carry the legal due date; the returned
        function gives the ids of the rows opened, by task id (inside `pipelined` on PostgreSQL, once the block
        has ended).

        Plain statements, not ORM objects: this runs in every command.
        """
        dossier = loaded.dossier
        due = dossier.due_at or dossier.total_due_at
        ready = {str(t.id): t for t in ready_tasks}
        open_ids = sorted(loaded.open_items)
        gone = [t for t in open_ids if t not in ready]
        still = [t for t in open_ids if t in ready]
        closing = [
            {"p_task": t, "closed_at": now,
             "status": WorkItemStatus.COMPLETED if t == completed_task else WorkItemStatus.CANCELLED,
             "closed_by": actor if t == completed_task else loaded.withdrawn_by}
            for t in gone
        ]
        conn = connection(session)
        if closing:
            _CLOSE_ITEM.execute(conn, closing)
        if still:
            _DUE_ITEM.execute(conn, [{"p_task": t, "due_at": due} for t in still])
        opened = {t: _INSERT_ITEM.rows_later(conn, {
            "dossier_id": dossier.id, "task_id": v.id, "task_spec": v.spec, "name": v.name, "role": v.role,
            "form": v.form, "status": WorkItemStatus.OPEN, "created_at": now, "due_at": due})
            for t, v in ((t, _ready_task(ready[t])) for t in ready if t not in still)}
        return lambda: {t: rows()[0]["id"] for t, rows in opened.items()}

    def _outcome(self, loaded: _Loaded) -> Outcome:
        if loaded.dossier.status != DossierStatus.RUNNING:
            ready = []
        else:
            ready = loaded.ready if loaded.ready is not None else ready_manual(active_tasks(loaded.workflow))
        return Outcome(loaded.dossier.id, loaded.dossier.status, loaded.dossier.version,
                       [_ready_task(t) for t in ready], loaded.items)

    def _started(self, loaded: _Loaded) -> Started:
        outcome, dossier = self._outcome(loaded), loaded.dossier
        assert dossier.received_at is not None  # set by _start_in
        # In UTC, as the database gives them back (a caller may have given the day of receipt in its own zone).
        return Started(outcome.dossier_id, outcome.status, outcome.version, outcome.ready, outcome.items,
                       code=dossier.code, received_at=dossier.received_at.astimezone(UTC),
                       created_at=dossier.created_at.astimezone(UTC),
                       total_due_at=dossier.total_due_at and dossier.total_due_at.astimezone(UTC),
                       calendar=loaded.calendar,
                       clock_started=bool(dossier.legal_clock) and LegalClock.from_dict(dossier.legal_clock).started)

    # -- commands -----------------------------------------------------------------------------

    def start(
        self, process_id: str, data: dict[str, Any], actor: str, *, title: str = "", channel: str = "desk",
        code: str | CodeTaker | None = None, within: Callable[[Session, int], None] | None = None,
        received_at: datetime | None = None,
    ) -> Outcome:
        """Open a dossier. `code` may be taken inside the transaction (a CodeTaker), and `within` does more work
        in it (e.g. storing the papers received), so that all of it or none lands. `received_at` is when the
        dossier was received (a posted one, or one handed over by another system), now when not given; it may
        not be in the future."""
        check_form_data(data)
        now = clock.now()
        if received_at is not None:
            event_dates.check_received_at(received_at, now)
        with self.incident_on_failure("start", actor, process_id=process_id), self.command() as session:
            loaded = self._start_in(session, process_id, data, actor, title=title, channel=channel, code=code,
                                    received_at=received_at)
            if within is not None:
                within(session, loaded.dossier.id)
            return self._outcome(loaded)

    def start_in(
        self, session: Session, process_id: str, data: dict[str, Any], actor: str, *, title: str = "",
        channel: str = "desk", code: str | CodeTaker | None = None, received_at: datetime | None = None,
    ) -> Started:
        """start inside the caller's transaction (the service layer's commands open dossiers with it)."""
        check_form_data(data)
        if received_at is not None:
            event_dates.check_received_at(received_at, clock.now())
        return self._started(self._start_in(session, process_id, data, actor, title=title, channel=channel,
                                            code=code, received_at=received_at))

    def _start_in(
        self, session: Session, process_id: str, data: dict[str, Any], actor: str, *, title: str, channel: str,
        code: str | CodeTaker | None = None, parent_id: int | None = None, received_at: datetime | None = None,
    ) -> _Loaded:
        conn = connection(session)
        with pipelined(conn):  # on PostgreSQL the code's number and the procedure's version in one round trip
            taken = code(conn) if callable(code) else None
            latest = latest_definition_later(conn, process_id)
        code = taken() if taken is not None else code
        definition = latest()
        if definition is None:
            raise NotFound(f"no deployed procedure '{process_id}'")
        spec, subprocess_specs = spec_cache.get(session, definition["id"], definition["content_hash"])
        calendar = calendar_of(definition["overrides"])
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(calendar))
        received_at = received_at or clock.now()
        # The day of receipt every rule of the procedure counts from (e.g. TT 3 k), the 45 days before expiry).
        workflow.task_tree.data.update({**data, RECEIVED_ON: event_dates.local_day(received_at)})
        completed: list[Task] = []
        try:
            advance(workflow, completed)
        except SpiffWorkflowException as err:
            raise _task_error(err) from err
        record = DossierRecord(
            id=None, code=code, process_id=process_id, definition_id=definition["id"],
            definition_version=definition["version"], title=title, channel=channel, created_by=actor,
            status=DossierStatus.RUNNING, state="", legal_clock=None, next_timer_at=None, due_at=None,
            total_due_at=None, clock_paused=False, updated_at=clock.now(), finished_at=None, version=0,
            created_at=clock.now(), parent_id=parent_id, received_at=received_at,
        )
        loaded = _Loaded(record, workflow, calendar, definition["content_hash"], completed=completed)
        self._save(session, loaded, actor, event=_Event("start", {
            "process_id": process_id, "version": definition["version"], "parent_id": parent_id,
            "data": _serializer.jsonable(data)}))
        return loaded

    def _start_linked(self, session: Session, loaded: _Loaded, actor: str) -> None:
        """Tasks with the property `starts-dossier` open a linked dossier of that procedure (bpmn/README.md),
        e.g. the worker-certificate application filed together with a licence dossier (TT 2 c))."""
        for task in loaded.completed:
            process_id = _linked_opened(task, loaded.calendar)
            if process_id is None:
                continue
            element = task.task_spec.bpmn_id
            properties = properties_of(task.task_spec)
            if loaded.dossier.parent_id is not None:
                raise ProcessError(f"{element}: a linked dossier cannot open another one", element_id=element)
            data = {target: task.data[source] for target, source in linked_fields(properties)
                    if source in task.data}
            # Filed together (TT 2 c)): received the same day as the dossier it came with.
            self._start_in(session, process_id, data, actor, title=loaded.dossier.title,
                           channel=loaded.dossier.channel, parent_id=loaded.dossier.id,
                           received_at=loaded.dossier.received_at)

    def complete(
        self, dossier_id: int, task_id: str, data: dict[str, Any], actor: str, *,
        expected_version: int | None = None,
    ) -> Outcome:
        """Complete one task in a transaction of its own (the service layer's commands use complete_in)."""
        with self.incident_on_failure("complete", actor, dossier_id=dossier_id), self.command() as session:
            done = self.complete_in(session, dossier_id, task_id, data, actor, expected_version=expected_version)
        if done.refused is not None:
            raise done.refused
        return done.outcome

    def complete_in(
        self, session: Session, dossier_id: int | None, task_id: str, data: dict[str, Any], actor: str, *,
        expected_version: int | None = None, form_only: bool = False, item: ItemToComplete | None = None,
    ) -> Completed:
        """Complete a task inside the caller's transaction: the workflow is loaded and deserialized once,
        readiness, the version and the task's form are checked on it, and the engine runs on. With `item`, the
        task is that work item's, read with its dossier and let through by its check first.

        With `form_only`, a task without a form takes no data (what outsiders post cannot set process
        variables a form does not name). A task found not ready is no error here: the timers that fell due
        are saved and `refused` says why, so that the caller commits them and then refuses."""
        check_form_data(data)
        if item is not None:
            loaded, task_id = self._load_item(session, item)
        else:
            assert dossier_id is not None
            loaded = self._load(session, dossier_id)
        dossier_id = loaded.dossier.id
        assert dossier_id is not None
        if expected_version is not None and loaded.dossier.version != expected_version:
            raise Conflict(_CHANGED_MEANWHILE)
        if loaded.dossier.status != DossierStatus.RUNNING:
            raise TaskNotReady(f"the dossier is {loaded.dossier.status}; its tasks can no longer be done")
        workflow = loaded.workflow
        try:
            due = loaded.dossier.next_timer_at
            if due is not None and due <= clock.now():
                # Timers that fell due first (a deadline may have cancelled this very task).
                advance(workflow, loaded.completed)
            task = workflow.get_task_from_id(UUID(task_id))
        except (TaskNotFoundException, ValueError):
            raise TaskNotReady("this task does not belong to the dossier") from None
        except SpiffWorkflowException as err:
            raise _task_error(err) from err
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            self._save(session, loaded, actor="timer")
            session.flush()
            return Completed(self._outcome(loaded), None, {}, None, loaded.dossier.definition_id, loaded.content_hash,
                             loaded.dossier.code, TaskNotReady("this task is no longer waiting: it was completed by "
                                                               "someone else or cancelled by a deadline"))
        before = _ready_task(task)
        form = form_cache.for_task(session, loaded.dossier.definition_id, loaded.content_hash,
                                   task.workflow.spec.name, task.task_spec.bpmn_id)
        if form is not None:
            data = form.validate(data)
        elif form_only:
            data = {}
        data = self._event_date(loaded, task, data)
        completion_guard.check(properties_of(task.task_spec),
                               task.task_spec.bpmn_id, {**task.data, **data}, platform_functions(loaded.calendar))
        data = {**data, **step_paper_facts(session, dossier_id, loaded.dossier.definition_id,
                                           loaded.dossier.process_id, before.properties, data, actor, task.data,
                                           content_hash=loaded.content_hash)}
        try:
            task.data.update(data)
            task.run()
            loaded.completed.append(task)
            advance(workflow, loaded.completed)
        except SpiffWorkflowException as err:
            raise _task_error(err) from err
        self._save(session, loaded, actor, completed_task=task_id, event=_Event(
            "complete", _serializer.jsonable(data), task_id, task.task_spec.bpmn_name or task.task_spec.bpmn_id))
        session.flush()
        return Completed(self._outcome(loaded), before, data, workflow, loaded.dossier.definition_id,
                         loaded.content_hash, loaded.dossier.code)

    @staticmethod
    def _event_date(loaded: _Loaded, task: Task, data: dict[str, Any]) -> dict[str, Any]:
        """The hook of effective dates (engine.legal_time.event_dates): a step that records a legal event
        gets its date checked (or defaulted) here, and the clock replays on it when the dossier is saved."""
        spec = event_dates.event_date_of(properties_of(task.task_spec))
        if spec is None:
            return data
        dossier, now = loaded.dossier, clock.now()
        day = data.get(spec.field)
        if not isinstance(day, date) or isinstance(day, datetime):
            day = event_dates.default_day(spec, task.data, now)
        legal = LegalClock.from_dict(dossier.legal_clock) if dossier.legal_clock else None
        last = legal.last_event_at if legal is not None else None
        event_dates.check_day(spec, day, now=now, received_at=dossier.received_at or dossier.created_at,
                              last_event_at=last)
        loaded.event = (spec, task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                        event_dates.instant_of(day, now, None), now)
        return {**data, spec.field: day}

    def fire_timers(self, dossier_id: int, actor: str = "timer") -> Outcome:
        """Advance one dossier whose timer fell due."""
        with self.command() as session:
            return self.fire_timers_in(session, dossier_id, actor)

    def fire_timers_in(self, session: Session, dossier_id: int, actor: str = "timer") -> Outcome:
        """fire_timers inside the caller's transaction (the scheduler checks its claim in the same one)."""
        loaded = self._load(session, dossier_id)
        if loaded.dossier.status != DossierStatus.RUNNING:
            return self._outcome(loaded)
        before = loaded.dossier.next_timer_at
        try:
            advance(loaded.workflow, loaded.completed)
        except SpiffWorkflowException as err:
            raise _task_error(err) from err
        self._save(session, loaded, actor, event=_Event("fire_timers", {"due": before.isoformat() if before else None}))
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

    @contextmanager
    def incident_on_failure(self, command: str, actor: str, *, dossier_id: int | None = None,
                            process_id: str | None = None) -> Iterator[IncidentScope]:
        """Around a command's transaction: when its diagram fails (a script error, a budget exceeded) the
        command is rolled back whole, then the failure is recorded in a transaction of its own, so that the
        supervisor sees it (engine.oversight.incidents). A command that finds its dossier inside the
        transaction names it on the yielded IncidentScope."""
        incident = IncidentScope(dossier_id)
        try:
            yield incident
        except ProcessError as err:
            self._record_failure(command, incident.dossier_id, process_id, actor, str(err))
            raise

    def _record_failure(self, command: str, dossier_id: int | None, process_id: str | None, actor: str,
                        message: str) -> None:
        with self.command() as session:
            if dossier_id is not None:
                # Not through the ORM: the dossier keeps its version, so no officer's open page goes stale.
                found = session.execute(update(Dossier).where(Dossier.id == dossier_id).values(incident=message))
                dossier_id = dossier_id if found.rowcount else None
            audit.record(session, actor=actor, command="incident", dossier_id=dossier_id,
                         data={"message": message, "command": command, "process_id": process_id})

    def cancel(self, dossier_id: int, actor: str, reason: str) -> Outcome:
        with self.command() as session:
            loaded = self._load(session, dossier_id)
            if loaded.dossier.status != DossierStatus.RUNNING:
                raise TaskNotReady(f"the dossier is already {loaded.dossier.status}")
            loaded.workflow.cancel()
            loaded.dossier.status = DossierStatus.CANCELLED
            loaded.dossier.finished_at = clock.now()
            self._save(session, loaded, actor, event=_Event("cancel", {"reason": reason}))
            session.flush()
            return self._outcome(loaded)

    def correct_event_date(self, dossier_id: int, date_id: int, day: date, reason: str, actor: str) -> Correction:
        """A supervisor corrects the day a legal event happened (engine.legal_time.event_dates): the clock is
        replayed on it and every deadline, milestone and work item due date computed again; the audit trail
        keeps who, when, the old and new day and why.

        The step's date field takes the corrected day in the data later steps read. The engine's decisions
        taken on the old day (a rule counting from it) are taken again when only the engine acted since the
        event: the workflow is rewound to the steps after the event and runs on the corrected day. Once a
        person completed a later step or a paper was issued, they stand, and the correction says so."""
        reason = event_dates.reason_checked(reason)
        with self.command() as session:
            loaded = self._load(session, dossier_id)
            dossier, now = loaded.dossier, clock.now()
            legal = LegalClock.from_dict(dossier.legal_clock) if dossier.legal_clock else LegalClock()
            entry = next((d for d in legal.dates if d.id == date_id), None)
            if entry is None:
                raise NotFound(f"dossier {dossier_id} has no effective date {date_id}")
            before, after = legal.neighbours(date_id)
            at = event_dates.corrected_instant(entry.event, day, now=now, received_at=dossier.received_at,
                                               before=before, after=after)
            moved = legal.moved(date_id, at)
            change = {"date": date_id, "event": entry.event, "task": entry.task,
                      "old": event_dates.local_day(entry.at).isoformat(), "new": day.isoformat(), "reason": reason,
                      "by": actor, "at": now.isoformat()}
            moved.corrections.append(change)
            if entry.event == "received":
                dossier.received_at = at
            dossier.legal_clock = moved.to_dict()
            step = _recording_step(loaded.workflow, entry)
            field_name, rerun, kept = None, None, ("step_unknown", None)
            if step is not None:
                task, spec = step
                field_name = spec.field
                # The step's record and what the waiting steps carry on: later steps inherit from these.
                for carrying in (task, *active_tasks(loaded.workflow)):
                    carrying.data[spec.field] = day
                kept = self._rerun_refused(session, loaded, task, entry)
                if kept is None:
                    rerun = self._rerun(loaded, task, spec, entry, at)
                    loaded.withdrawn_by = actor
            if rerun is not None:
                audited = {**change, "rerun_from": rerun.bpmn_id}
            else:
                audited = {**change, "rerun": False, "kept": kept[0], "kept_by": kept[1]}
            self._save(session, loaded, actor, event=_Event("correct_event_date", audited))
            session.flush()
            if rerun is not None:
                return Correction(self._outcome(loaded), field_name, rerun.bpmn_name or rerun.bpmn_id)
            return Correction(self._outcome(loaded), field_name, kept=kept[0], kept_by=kept[1])

    @staticmethod
    def _rerun_refused(session: Session, loaded: _Loaded, task: Task,
                       entry: EffectiveDate) -> tuple[str, str | None] | None:
        """Why the engine's decisions after the event must stand, with what (None: they may be taken again).
        A person's later step was done on what they saw, a message sent or taken cannot be undone, and a paper
        once numbered cannot be taken back; the papers that record the event itself (the recording step's, the
        receipt) are no decisions after it."""
        if loaded.dossier.status != DossierStatus.RUNNING:
            return "finished", loaded.dossier.status
        later = sorted((t for t in loaded.workflow.get_tasks(state=TaskState.COMPLETED)
                        if t is not task and t.last_state_change >= task.last_state_change),
                       key=lambda t: t.last_state_change)
        for kind, done in (("later_step", [t for t in later if t.task_spec.manual]),
                           ("outside", [t for t in later if _reaches_outside(t, loaded.calendar)])):
            if done:
                return kind, done[-1].task_spec.bpmn_name or done[-1].task_spec.bpmn_id
        result = procedure_result(session, loaded.dossier.definition_id, loaded.content_hash).get("kind")
        own = set(kinds_asked(properties_of(task.task_spec), str(result or "")))
        if entry.event == "received":
            own.add("receipt")  # the desk's receipt records the receipt itself, issued when the dossier opens
        issued = sorted(papers_numbered_after(session, loaded.dossier.id, entry.recorded_at) - own)
        if issued:
            return "paper", issued[0]
        # Only steps that compute or route on the data can have read the old day; without one (the dossier
        # waits at the step right after the event) nothing is taken again, and the waiting work stays as it is.
        if not any(isinstance(t.task_spec, _DECIDING) for t in later):
            return "no_decision", None
        return None

    @staticmethod
    def _rerun(loaded: _Loaded, task: Task, spec: event_dates.EventDate, entry: EffectiveDate,
               at: datetime) -> BpmnTaskSpec:
        """Rewind the workflow to the steps after the event's (they take its data, the corrected day), and run
        the engine on; the clock forgets what the discarded steps recorded and records the event again, so
        that a phase a discarded wait had started does not keep counting. Returns the spec of the first step
        run again."""
        workflow = loaded.workflow
        following = list(task.children)
        try:
            for child in following:
                workflow.reset_from_task_id(child.id)
            advance(workflow, loaded.completed)
        except SpiffWorkflowException as err:
            raise _task_error(err) from err
        dossier = loaded.dossier
        dossier.legal_clock = LegalClock.from_dict(dossier.legal_clock).rewound(entry.id).to_dict()
        loaded.event = (spec, entry.task, at, entry.recorded_at)
        return following[0].task_spec

    # -- queries ------------------------------------------------------------------------------

    @contextmanager
    def _reading(self, dossier_id: int, session: Session | None = None) -> Iterator[_Loaded]:
        """The dossier loaded to be read, not changed (in the caller's read session, else one of its own): its
        workflow goes back to the cache afterwards. What a read returns of the task data is a copy, so that
        nobody changes the kept workflow through it."""
        if session is not None:
            loaded = self._load(session, dossier_id)
        else:
            with self.read_session() as own:
                loaded = self._load(own, dossier_id)
        yield loaded
        self.workflows.give_back(dossier_id, Kept(loaded.dossier.version, loaded.content_hash, loaded.workflow,
                                                  frozenset(loaded.open_items)))

    def ready_tasks(self, dossier_id: int, session: Session | None = None, *,
                    seen: tuple[int, str] | None = None) -> list[ReadyTask]:
        """The dossier's ready tasks, read in `session` when the caller holds one (an API request's). `seen`:
        the version and the content hash of the dossier the caller has just read; when the workflow kept in
        memory is that version, the tasks come from it and the dossier is not read again."""
        kept = self.workflows.take(dossier_id, *seen) if seen is not None else None
        if kept is not None:
            try:  # a finished dossier's workflow has no ready task, as _outcome says of it
                return _copied([_ready_task(t) for t in ready_manual(active_tasks(kept.workflow))])
            finally:
                self.workflows.give_back(dossier_id, kept)
        with self._reading(dossier_id, session) as loaded:
            return _copied(self._outcome(loaded).ready)

    def data(self, dossier_id: int) -> dict[str, Any]:
        """The process data as the last completed task left it (latest_data)."""
        with self._reading(dossier_id) as loaded:
            return copy.deepcopy(latest_data(loaded.workflow))

    def trail(self, dossier_id: int) -> list[tuple[str, str, bool]]:
        """Where the dossier's run has been and is: (process id, diagram element id, still active) for every
        element reached, in the called processes too (a loop's element appears once, active if it is now)."""
        with self._reading(dossier_id) as loaded:
            workflow = loaded.workflow
            reached: dict[tuple[str, str], bool] = {}
            for run in (workflow, *workflow.subprocesses.values()):
                for task in run.tasks.values():
                    element = getattr(task.task_spec, "bpmn_id", None)
                    if element is None or not (task.state & (TaskState.COMPLETED | ACTIVE)):
                        continue
                    key = (run.spec.name, element)
                    reached[key] = reached.get(key, False) or bool(task.state & ACTIVE)
            return [(process, element, active) for (process, element), active in reached.items()]
