"""An officer's inbox: the open work items of their roles, most urgent legal deadline first.

Seek paging on (due_at, id) over the index ix_work_item_inbox (role, due_at, id of the open items): each page is one
indexed range read however deep the officer pages, never an OFFSET scan. Items without a due date (the
clock is paused, or the procedure has none) come after the dated ones, paged by id; SQLite and
PostgreSQL order NULLs differently, so the two segments are read as two ranges rather than one sort.
The dossier's code, applicant and procedure come in the same query (a join), so a page is one round trip.
The counts per clock state are ranges of the same index, counted without reading the rows (state_counts).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    ScalarSelect,
    Select,
    and_,
    bindparam,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.legal_clock import DUE_SOON
from engine.runtime import deadline_figures
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import IS_OPEN, WorkItem

PAGE_SIZE = 50


class ClockFilter(enum.StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    PAUSED = "paused"


@dataclass(frozen=True)
class InboxRow:
    item_id: int
    dossier_id: int
    name: str
    task_spec: str
    role: str
    assignee: str | None
    due_at: datetime | None
    created_at: datetime
    code: str | None
    applicant: str
    process_id: str
    paused: bool
    state: ClockFilter


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after (due_at, id), or, once the dated items are done, after id."""

    due_at: datetime | None
    item_id: int

    def encode(self) -> str:
        return f"{self.due_at.isoformat() if self.due_at else '-'}_{self.item_id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        # Anything else than what encode() writes is refused here, not by the database: an id beyond 64 bits
        # or a date without its offset would fail the query (a 500) instead of meaning "no such page".
        due, _, item = text.rpartition("_")
        if not (item.isascii() and item.isdigit() and len(item) <= 18) or len(due) > 40:
            return None
        try:
            due_at = None if due == "-" else datetime.fromisoformat(due)
        except ValueError:
            return None
        if due_at is not None and due_at.utcoffset() is None:
            return None
        return cls(due_at, int(item))


@dataclass(frozen=True)
class Page:
    rows: list[InboxRow]
    next: Cursor | None


def _state(due_at: datetime | None, paused: bool, now: datetime, soon: datetime) -> ClockFilter:
    if due_at is None:
        return ClockFilter.PAUSED if paused else ClockFilter.ON_TRACK
    if due_at <= now:
        return ClockFilter.OVERDUE
    return ClockFilter.DUE_SOON if due_at <= soon else ClockFilter.ON_TRACK


# The statements are built once per shape (which filters, which state, which side of the cursor), with
# parameters (_params): building one cost more than the database took to answer it.


def _filtered(query: Select, process_id: bool, search: bool, mine: bool) -> Select:
    query = query.where(IS_OPEN, WorkItem.role.in_(bindparam("roles", expanding=True)))
    if process_id:
        query = query.where(Dossier.process_id == bindparam("process_id"))
    if mine:
        query = query.where(WorkItem.assignee == bindparam("mine"))
    if search:
        query = query.where(or_(Dossier.code == bindparam("term"),
                                Dossier.code.like(bindparam("term_start"), escape="\\"),
                                Dossier.title.ilike(bindparam("term_within"), escape="\\")))
    return query


def _params(roles: set[str], process_id: str | None, search: str | None, mine: str | None) -> dict[str, object]:
    params: dict[str, object] = {"roles": sorted(roles), "process_id": process_id, "mine": mine}
    if search:
        term = search.strip()
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.update(term=term, term_start=f"{escaped}%", term_within=f"%{escaped}%")
    return params


def _count(process_id: bool, search: bool, mine: bool, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    return _filtered(select(func.count()).select_from(WorkItem).join(Dossier, Dossier.id == WorkItem.dossier_id),
                     process_id, search, mine).where(*where).scalar_subquery()


_UNDATED = WorkItem.due_at.is_(None)
_PAUSED = (_UNDATED, Dossier.clock_paused.is_(True))


@cache
def _ranges(process_id: bool, search: bool, mine: bool) -> Select:
    """Overdue, due soon, later, paused and undated items: each dated state a range of due_at."""
    now, soon = bindparam("now"), bindparam("soon")
    return select(*(_count(process_id, search, mine, *where) for where in (
        (WorkItem.due_at <= now,), (WorkItem.due_at > now, WorkItem.due_at <= soon), (WorkItem.due_at > soon,),
        _PAUSED, (_UNDATED,))))


@cache
def _paused(mine: bool) -> Select:
    return select(_count(False, False, mine, *_PAUSED))


@cache
def _due_on_the_days(mine: bool, windows: int) -> CompoundSelect:
    return union_all(*deadline_figures.in_windows(
        lambda start, end: _filtered(select(WorkItem.role, func.coalesce(WorkItem.assignee, "")), False, False, mine)
        .where(WorkItem.due_at.between(start, end)), windows))


def state_counts(
    session: Session, roles: set[str], now: datetime, calendar: BusinessCalendar, *,
    process_id: str | None = None, search: str | None = None, mine: str | None = None,
) -> dict[ClockFilter, int]:
    """How many open items of the inbox (same filters, every page) are in each clock state.

    Without a procedure or a search, the dated states come from the figures kept by deadline
    (engine.runtime.deadline_figures) and the items due on today's and the due-soon day; with one, each
    dated state is a range of due_at counted over ix_work_item_inbox. Only the undated items, which are few,
    look at their dossier's clock to tell paused.
    """
    counts = dict.fromkeys(ClockFilter, 0)
    if not roles:
        return counts
    soon = calendar.due_at(now, DUE_SOON)
    params = _params(roles, process_id, search, mine)
    if process_id or search:
        overdue, due_soon, later, paused_n, waiting = session.execute(
            _ranges(bool(process_id), bool(search), bool(mine)), {**params, "now": now, "soon": soon}).one()
        total = overdue + due_soon + later + waiting
    else:
        def on_the_days(spans: list[deadline_figures.Window], _roles: set[str]) -> list[dict[tuple[str, str], int]]:
            return deadline_figures.counted(session.execute(
                _due_on_the_days(bool(mine), len(spans)), {**params, **deadline_figures.window_params(spans)}), spans)

        figures = deadline_figures.due(session, "work_item", (now, soon), on_the_days, within=roles)
        mine_only = [due for (_role, assignee), due in figures.items() if mine is None or assignee == mine]
        total = sum(due.total for due in mine_only)
        overdue = sum(due.by[0] for due in mine_only)
        due_soon = sum(due.by[1] for due in mine_only) - overdue
        paused_n = session.scalar(_paused(bool(mine)), params) or 0
    counts[ClockFilter.OVERDUE], counts[ClockFilter.DUE_SOON], counts[ClockFilter.PAUSED] = overdue, due_soon, paused_n
    counts[ClockFilter.ON_TRACK] = total - overdue - due_soon - paused_n
    return counts


def _rows(process_id: bool, search: bool, mine: bool) -> Select:
    return _filtered(
        select(WorkItem.id, WorkItem.dossier_id, WorkItem.name, WorkItem.task_spec, WorkItem.role, WorkItem.assignee,
               WorkItem.due_at, WorkItem.created_at, Dossier.code, Dossier.title, Dossier.process_id,
               Dossier.clock_paused)
        .join(Dossier, Dossier.id == WorkItem.dossier_id), process_id, search, mine)


@cache
def _dated(process_id: bool, search: bool, mine: bool, state: ClockFilter | None, after: bool) -> Select:
    query = _rows(process_id, search, mine).where(WorkItem.due_at.is_not(None))
    now, soon = bindparam("now"), bindparam("soon")
    if state is ClockFilter.OVERDUE:
        query = query.where(WorkItem.due_at <= now)
    elif state is ClockFilter.DUE_SOON:
        query = query.where(WorkItem.due_at > now, WorkItem.due_at <= soon)
    elif state is ClockFilter.ON_TRACK:
        query = query.where(WorkItem.due_at > soon)
    if after:
        query = query.where(or_(WorkItem.due_at > bindparam("after_due"),
                                and_(WorkItem.due_at == bindparam("after_due"), WorkItem.id > bindparam("after_id"))))
    return query.order_by(WorkItem.due_at, WorkItem.id).limit(bindparam("limit"))


@cache
def _undated(process_id: bool, search: bool, mine: bool, state: ClockFilter | None, after: bool) -> Select:
    query = _rows(process_id, search, mine).where(WorkItem.due_at.is_(None))
    if state is ClockFilter.PAUSED:
        query = query.where(Dossier.clock_paused.is_(True))
    elif state is ClockFilter.ON_TRACK:
        query = query.where(Dossier.clock_paused.is_(False))
    if after:
        query = query.where(WorkItem.id > bindparam("after_id"))
    return query.order_by(WorkItem.id).limit(bindparam("limit"))


def inbox_page(
    session: Session, roles: set[str], now: datetime, calendar: BusinessCalendar, *,
    after: Cursor | None = None, process_id: str | None = None, state: ClockFilter | None = None,
    search: str | None = None, mine: str | None = None, limit: int = PAGE_SIZE,
) -> Page:
    if not roles:
        return Page([], None)
    soon = calendar.due_at(now, DUE_SOON)
    shape = (bool(process_id), bool(search), bool(mine), state)
    params = {**_params(roles, process_id, search, mine), "now": now, "soon": soon,
              "after_due": after.due_at if after else None, "after_id": after.item_id if after else None}
    rows: list = []
    if state is not ClockFilter.PAUSED and (after is None or after.due_at is not None):
        rows = list(session.execute(_dated(*shape, after is not None), {**params, "limit": limit + 1}))
    if len(rows) <= limit and state in (None, ClockFilter.PAUSED, ClockFilter.ON_TRACK):
        rows += list(session.execute(_undated(*shape, after is not None and after.due_at is None),
                                     {**params, "limit": limit + 1 - len(rows)}))
    page = [
        InboxRow(r.id, r.dossier_id, r.name, r.task_spec, r.role, r.assignee, r.due_at, r.created_at, r.code, r.title,
                 r.process_id, r.clock_paused, _state(r.due_at, r.clock_paused, now, soon))
        for r in rows[:limit]
    ]
    following = Cursor(page[-1].due_at, page[-1].item_id) if len(rows) > limit else None
    return Page(page, following)
