"""What supervisors watch: running dossiers by procedure and clock state, the ones due soon or overdue with
the officer holding each, every officer's and role's load, and where in a diagram dossiers wait.

A dossier's clock state comes from indexed columns, never from replaying its clock: its deadline is the
earlier of `due_at` (the running phase) and `total_due_at`, as in `LegalClock.state`; the two thresholds
(now, and the first instant that counts as due soon) are computed once in Python with the calendar. The
counts by procedure and by officer come from figures the database keeps by deadline day and month
(engine.runtime.deadline_figures): a few hundred rows, plus the rows due on the thresholds' own days,
however many dossiers are running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, literal_column, select, union_all
from sqlalchemy.orm import Session

from engine.access.absence import absences, today
from engine.access.user import User
from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.legal_clock import DUE_SOON
from engine.legal_time.milestones import deadline
from engine.onestop.apology import DeadlineExtension
from engine.runtime import deadline_figures
from engine.runtime.definition import ProcessDefinition, diagram_xml
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.inbox import ClockFilter
from engine.runtime.work_item import IS_OPEN, WorkItem, WorkItemStatus

AT_RISK_LIMIT = 200


@dataclass(frozen=True)
class Thresholds:
    now: datetime
    soon: datetime  # a deadline at or before this is due soon

    @classmethod
    def at(cls, now: datetime, calendar: BusinessCalendar) -> Thresholds:
        return cls(now, calendar.due_at(now, DUE_SOON))

    def state(self, due: datetime | None, paused: bool) -> ClockFilter:
        if paused:
            return ClockFilter.PAUSED
        if due is None or due > self.soon:
            return ClockFilter.ON_TRACK
        return ClockFilter.OVERDUE if due <= self.now else ClockFilter.DUE_SOON


@dataclass
class ProcedureCounts:
    process_id: str
    name: str
    on_track: int = 0
    due_soon: int = 0
    overdue: int = 0
    paused: int = 0

    @property
    def total(self) -> int:
        return self.on_track + self.due_soon + self.overdue + self.paused


def procedure_names(session: Session) -> dict[str, str]:
    """The name of each procedure's newest version."""
    rows = session.execute(select(ProcessDefinition.process_id, ProcessDefinition.name)
                           .order_by(ProcessDefinition.process_id, ProcessDefinition.version))
    return {process_id: name for process_id, name in rows}


def clock_counts(session: Session, t: Thresholds) -> list[ProcedureCounts]:
    """Running dossiers by procedure and clock state, from the maintained figures (deadline_figures)."""
    d = Dossier.__table__.c
    # A literal, not a parameter: PostgreSQL and SQLite prove the partial index's predicate from it.
    running = (d.status == literal_column(f"'{DossierStatus.RUNNING.value}'"), d.clock_paused.is_(False))

    def on_the_days(spans: list[deadline_figures.Window], _procedures: set[str]) -> list[dict[tuple[str, str], int]]:
        # One range read per deadline column (ix_dossier_due_at, ix_dossier_running_total_due): with both
        # in one OR, SQLite would rather read every running dossier.
        found: list[dict[int, Row[Any]]] = [{} for _ in spans]
        for row in session.execute(union_all(*(
                branch for column in (d.due_at, d.total_due_at) for branch in deadline_figures.in_windows(
                    lambda start, end, column=column: select(d.id, d.process_id, d.due_at, d.total_due_at)
                    .where(*running, column.between(start, end)), len(spans)))), deadline_figures.window_params(spans)):
            found[row.window][row.id] = row
        return deadline_figures.counted(
            [(r.process_id, "", window) for window, (start, end) in enumerate(spans) for r in found[window].values()
             if start <= min(x for x in (r.due_at, r.total_due_at) if x is not None) <= end], spans)

    figures = deadline_figures.due(session, "dossier", (t.now, t.soon), on_the_days)
    names = procedure_names(session)
    by_procedure: dict[str, ProcedureCounts] = {}
    for (process_id, paused), due in figures.items():
        counts = by_procedure.setdefault(process_id, ProcedureCounts(process_id, names.get(process_id, process_id)))
        if paused:
            counts.paused += due.total
        else:
            late, near_or_late = due.by
            counts.overdue, counts.due_soon = late, near_or_late - late
            counts.on_track = due.total - near_or_late
    return sorted(by_procedure.values(), key=lambda c: (-c.overdue, -c.due_soon, c.name))


@dataclass(frozen=True)
class Holder:
    item_id: int
    step: str
    task_spec: str  # the step's id in the diagram, by which the UI finds its name in another language
    role: str
    assignee: str | None
    assignee_name: str | None
    waiting_since: datetime


@dataclass
class AtRisk:
    dossier_id: int
    code: str | None
    applicant: str
    process_id: str
    due: datetime
    state: ClockFilter
    phase_due: datetime | None
    total_due: datetime | None
    new_appointment: datetime | None = None  # the extension promised in an apology letter, if any
    holders: list[Holder] = field(default_factory=list)


def at_risk(session: Session, t: Thresholds, *, process_id: str | None = None,
            limit: int = AT_RISK_LIMIT) -> list[AtRisk]:
    """Running dossiers due soon or overdue, most urgent first, with who holds their open work.

    The earliest `limit` by the earlier of two deadlines are among the earliest `limit` by each: two
    ordered index range reads (ix_dossier_due_at, ix_dossier_running_total_due), merged here.
    """
    d = Dossier.__table__.c
    base = (select(d.id, d.code, d.title, d.process_id, d.due_at, d.total_due_at,
                   DeadlineExtension.new_appointment_on)
            .outerjoin(DeadlineExtension, DeadlineExtension.dossier_id == d.id)
            # A literal, not a parameter: PostgreSQL proves the partial index's predicate from it.
            .where(d.status == literal_column(f"'{DossierStatus.RUNNING.value}'"), d.clock_paused.is_(False)))
    if process_id:
        base = base.where(d.process_id == process_id)
    found = {}
    for column in (d.due_at, d.total_due_at):
        for r in session.execute(base.where(column <= t.soon).order_by(column, d.id).limit(limit)):
            found[r.id] = r
    rows = {}
    for r in sorted(found.values(), key=lambda r: (deadline(r.due_at, r.total_due_at), r.id))[:limit]:
        due = deadline(r.due_at, r.total_due_at)
        assert due is not None  # both reads ask for a deadline
        rows[r.id] = AtRisk(r.id, r.code, r.title, r.process_id, due, t.state(due, False), r.due_at, r.total_due_at,
                            r.new_appointment_on)
    if rows:
        items = session.execute(
            select(WorkItem.id, WorkItem.dossier_id, WorkItem.name, WorkItem.task_spec, WorkItem.role,
                   WorkItem.assignee, WorkItem.created_at, User.full_name)
            .outerjoin(User, User.username == WorkItem.assignee)
            .where(WorkItem.dossier_id.in_(list(rows)), WorkItem.status == WorkItemStatus.OPEN)
            .order_by(WorkItem.id))
        for i in items:
            rows[i.dossier_id].holders.append(Holder(i.id, i.name, i.task_spec, i.role, i.assignee, i.full_name,
                                                     i.created_at))
    return list(rows.values())


@dataclass(frozen=True)
class Load:
    role: str
    assignee: str | None  # None: open items of the role nobody has claimed
    full_name: str | None
    open: int
    due_soon: int
    overdue: int
    oldest: datetime


def workload(session: Session, t: Thresholds) -> list[Load]:
    """Open work items per role and officer, with how many are due soon or overdue, from the maintained
    figures (deadline_figures), and each one's oldest by one seek of ix_work_item_waiting."""
    w = WorkItem.__table__.c

    def on_the_days(spans: list[deadline_figures.Window], roles: set[str]) -> list[dict[tuple[str, str], int]]:
        return deadline_figures.counted(session.execute(union_all(*deadline_figures.in_windows(
            lambda start, end: select(w.role, func.coalesce(w.assignee, "")).where(
                IS_OPEN, w.role.in_(sorted(roles)), w.due_at.between(start, end)),
            len(spans))), deadline_figures.window_params(spans)), spans)

    figures = deadline_figures.due(session, "work_item", (t.now, t.soon), on_the_days)
    oldest = _oldest_waiting(session, list(figures))
    names = dict(session.execute(select(User.username, User.full_name).where(
        User.username.in_(sorted({b for _a, b in figures if b})))).all()) if figures else {}
    loads = [Load(role, assignee or None, names.get(assignee) if assignee else None, due.total,
                  due.by[1] - due.by[0], due.by[0], oldest[(role, assignee)])
             for (role, assignee), due in figures.items()]
    return sorted(loads, key=lambda x: (x.role, x.assignee is not None, -x.open, x.assignee or ""))


def _oldest_waiting(session: Session, groups: list[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """When each (role, assignee or '') group's oldest open item was created: one statement, one index seek
    per group."""
    if not groups:
        return {}
    w = WorkItem.__table__.c
    oldest = []
    for role, assignee in groups:
        held = w.assignee.is_(None) if not assignee else w.assignee == assignee
        oldest.append(select(func.min(w.created_at)).where(IS_OPEN, w.role == role, held)
                      .scalar_subquery())
    found = session.execute(select(*oldest)).one()
    return dict(zip(groups, found, strict=True))


def officers_by_role(session: Session) -> dict[str, list[tuple[str, str]]]:
    """Active officers (user name, full name) of each role, for handing work over; not those absent today."""
    result: dict[str, list[tuple[str, str]]] = {}
    away = {a.username for a in absences(session) if a.starts_on <= today()}
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.full_name)):
        if user.username in away:
            continue
        for role in sorted(user.roles):
            result.setdefault(role, []).append((user.username, user.full_name))
    return result


# -- heatmap ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spot:
    element: str  # the diagram element: the task, or the call activity the task runs inside
    name: str
    tasks: tuple[str, ...]
    count: int
    mean_wait_s: float
    max_wait_s: float


@dataclass(frozen=True)
class Heatmap:
    process_id: str
    name: str
    version: int
    diagram: str  # the BPMN XML of the process's own file
    spots: list[Spot]
    elsewhere: list[Spot]  # tasks not drawn in this diagram (e.g. removed in the newest version)


def _epoch(session: Session, column):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column)
    return (func.julianday(column) - 2440587.5) * 86400.0


def _placement(catalogue: dict, process_id: str) -> dict[str, str]:
    """Task id → the element of the main diagram it is drawn as (itself, or the call activity it runs in)."""
    tasks = catalogue.get("tasks", {})
    callers = {info["calls"]: (info["process"], task_id) for task_id, info in tasks.items() if info.get("calls")}
    placed = {}
    for task_id, info in tasks.items():
        process, element, hops = info.get("process"), task_id, 0
        while process != process_id and process in callers and hops < 20:
            process, element = callers[process]
            hops += 1
        if process == process_id:
            placed[task_id] = element
    return placed


def heatmap(session: Session, process_id: str, now: datetime) -> Heatmap | None:
    """How many dossiers of the procedure wait at each task, and for how long, on its newest diagram."""
    definition = session.scalar(select(ProcessDefinition).where(ProcessDefinition.process_id == process_id)
                                .order_by(ProcessDefinition.version.desc()).limit(1))
    if definition is None:
        return None
    epoch = _epoch(session, WorkItem.created_at)
    rows = session.execute(
        select(WorkItem.task_spec, func.count(), func.avg(epoch), func.min(WorkItem.created_at))
        .join(Dossier, Dossier.id == WorkItem.dossier_id)
        .where(IS_OPEN, Dossier.process_id == process_id)
        .group_by(WorkItem.task_spec)
    ).all()
    catalogue = definition.catalogue or {}
    placed = _placement(catalogue, process_id)
    names = {task_id: info.get("name") or task_id for task_id, info in catalogue.get("tasks", {}).items()}
    now_s = now.timestamp()
    grouped: dict[str, list[tuple[str, int, float, float]]] = {}
    elsewhere = []
    for task, count, mean_epoch, oldest in rows:
        entry = (task, count, max(0.0, now_s - float(mean_epoch)), max(0.0, (now - oldest).total_seconds()))
        if task in placed:
            grouped.setdefault(placed[task], []).append(entry)
        else:
            elsewhere.append(Spot(task, names.get(task, task), (task,), count, entry[2], entry[3]))
    spots = []
    for element, entries in grouped.items():
        count = sum(e[1] for e in entries)
        mean = sum(e[1] * e[2] for e in entries) / count
        spots.append(Spot(element, names.get(element, element), tuple(sorted(e[0] for e in entries)), count, mean,
                          max(e[3] for e in entries)))
    return Heatmap(process_id, definition.name, definition.version, diagram_xml(definition.files, process_id),
                   sorted(spots, key=lambda s: -s.count), elsewhere)
