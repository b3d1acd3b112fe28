"""The figures of the official statistics, kept per day as dossiers move, so that a report sums a few rows
instead of replaying every dossier's legal clock (engine.onestop.statistics.compute, the reference).

Each command that moves a dossier adds to the rows of its procedure, channel and day (local date in Đồng
Nai), in the command's own transaction:
- `received` on the day the dossier was received;
- `early`, `on_time`, `late` or `returned` on the day it finished (the same rules as the replay);
- `overdue_from` +1 on the day its running deadline will have passed (a deadline ends at 24:00 of its last
  day, so the dossier is overdue from 00:00 of the next day), and −1 on that day when a later command
  moves or removes the deadline before it passes;
- `overdue_change` ±1 on the day of a command that makes the dossier overdue at once or stops it being
  overdue (finished, paused, a new phase).
A report for a period [start, end] as of a moment then reads: carried over = received − finished before
start; in progress overdue = `overdue_from` up to as-of's date + `overdue_change` up to the last day
already over (the period's end, or today while it runs).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Index, String, bindparam, case, delete, exists, func, or_, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.business_calendar import ZONE, BusinessCalendar
from engine.legal_time.legal_clock import ClockStatus, LegalClock
from engine.onestop.vietnamese_text import last_day
from engine.runtime.db import Base, Prepared, connection
from engine.runtime.dossier import Dossier, DossierStatus

FINISHED = ("early", "on_time", "late", "returned")


class DailyFigure(Base):
    __tablename__ = "daily_figure"
    __table_args__ = (Index("ix_daily_figure_day", "day"),)

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int]


class MonthlyFigure(Base):
    """The same counts by month (day: the month's first), so that a sum up to any day reads whole months
    and at most one month of days, whatever the history's length."""

    __tablename__ = "monthly_figure"

    process_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int]


@dataclass(frozen=True)
class Standing:
    """What of a dossier the figures follow: its channel, and when it is (or will be) overdue."""

    process_id: str
    channel: str
    overdue_from: datetime | None


def overdue_from(due_at: datetime | None, total_due_at: datetime | None) -> datetime | None:
    """When the dossier turns overdue if nothing else happens: its phase's or total deadline, whichever is
    first; None while paused or between phases (the replay counts neither as overdue)."""
    if due_at is None:
        return None
    return min(due_at, total_due_at) if total_due_at is not None else due_at


def local_day(at: datetime) -> date:
    return at.astimezone(ZONE).date()


Changes = dict[tuple[str, str, date, str], int]


def _overdue_moves(changes: Changes, key: tuple[str, str], before: datetime | None, after: datetime | None,
                   now: datetime) -> None:
    if before == after or (before is not None and after is not None and before <= now and after <= now):
        return  # overdue before and after (or the same deadline): nothing changes for any report
    today = local_day(now)
    for moment, sign in ((before, -1), (after, 1)):
        if moment is None:
            continue
        if moment <= now:
            changes[(*key, today, "overdue_change")] += sign
        else:
            changes[(*key, local_day(moment), "overdue_from")] += sign


def moved(before: Standing | None, after: Standing, now: datetime, *, received_at: datetime | None = None,
          finished: tuple[str, datetime] | None = None) -> Changes:
    """What one command's move of a dossier changes (for `add`): `before` is None for a dossier received by
    this command, `finished` the column it finished in (early, on_time, late, returned) and when."""
    changes: Changes = defaultdict(int)
    key = (after.process_id, after.channel)
    if received_at is not None:
        changes[(*key, local_day(received_at), "received")] += 1
    if finished is not None:
        changes[(*key, local_day(finished[1]), finished[0])] += 1
    _overdue_moves(changes, key, before.overdue_from if before else None, after.overdue_from, now)
    return changes


def add(session: Session, changes: Changes) -> None:
    """Add to the day's and the month's rows, one statement each (INSERT … ON CONFLICT DO UPDATE), inside
    the caller's transaction."""
    months: Changes = defaultdict(int)
    for (p, c, d, m), n in changes.items():
        months[(p, c, d.replace(day=1), m)] += n
    conn = connection(session)
    for statement, column, counts in ((_ADD_DAY, "day", changes), (_ADD_MONTH, "month", months)):
        rows = [{"process_id": p, "channel": c, column: d, "measure": m, "count": n}
                for (p, c, d, m), n in sorted(counts.items()) if n]
        if rows:
            statement.execute(conn, rows)


def _upsert(table: str, column: str) -> Prepared:
    # Built once: this runs in nearly every command, and SQLite and PostgreSQL share the ON CONFLICT syntax.
    return Prepared(text(
        f"INSERT INTO {table} (process_id, channel, {column}, measure, count) "
        f"VALUES (:process_id, :channel, :{column}, :measure, :count) "
        f"ON CONFLICT (process_id, channel, {column}, measure) DO UPDATE SET count = {table}.count + excluded.count"
    ).bindparams(bindparam(column, type_=Date())), ("process_id", "channel", column, "measure", "count"))


_ADD_DAY = _upsert("daily_figure", "day")
_ADD_MONTH = _upsert("monthly_figure", "month")


def finish_column(legal: LegalClock | None, finished_at: datetime, calendar: BusinessCalendar, *,
                  returned: bool) -> str:
    """Where a finished dossier counts. It resolves on its appointment (the total deadline, or its last
    phase's when the procedure has no total): before its last day is early, on it on time, after it late;
    an apology letter's new date does not make a late dossier on time."""
    if returned:
        return "returned"
    appointment = _appointment(legal, calendar) if legal is not None else None
    if legal is None or appointment is None:
        return "on_time"  # no deadline in law: never late
    late = finished_at >= appointment
    if legal.total is None and not late:
        late = legal.state(finished_at, calendar).status == ClockStatus.FINISHED_LATE
    if late:
        return "late"
    return "early" if local_day(finished_at) < last_day(appointment) else "on_time"


def refused_after_finish(session: Session, process_id: str, channel: str, legal: LegalClock | None,
                         finished_at: datetime, calendar: BusinessCalendar) -> None:
    """A refusal letter issued after the dossier finished moves it from its resolved column to returned."""
    column = finish_column(legal, finished_at, calendar, returned=False)
    day = local_day(finished_at)
    add(session, {(process_id, channel, day, column): -1, (process_id, channel, day, "returned"): 1})


def _appointment(legal: LegalClock, calendar: BusinessCalendar) -> datetime | None:
    total = legal.total_due_at(calendar)
    if total is not None:
        return total
    phases = legal.phases(calendar)
    return phases[-1].due_at if phases else None


def history(legal: LegalClock | None, process_id: str, channel: str, created_at: datetime,
            finished_at: datetime | None, finished: str | None, calendar: BusinessCalendar) -> Changes:
    """The figures a dossier's life added, replayed from its clock's events: for dossiers moved outside
    the commands (the migration that introduced the figures, bulk loads) and for checking."""
    changes: Changes = defaultdict(int)
    key = (process_id, channel)
    changes[(*key, local_day(created_at), "received")] += 1
    events = [datetime.fromisoformat(e["at"]) for e in (legal.to_dict()["events"] if legal else [])]
    moments = sorted({*events, *([finished_at] if finished_at else [])})
    before: datetime | None = None
    for moment in moments:
        after = None
        if finished_at is None or moment < finished_at:
            after = _overdue_at(legal, moment, calendar)
        _overdue_moves(changes, key, before, after, moment)
        before = after
    if finished_at is not None and finished is not None:
        changes[(*key, local_day(finished_at), finished)] += 1
    return changes


def _overdue_at(legal: LegalClock | None, moment: datetime, calendar: BusinessCalendar) -> datetime | None:
    """The overdue moment of the clock as it stood just after `moment` (its events up to then)."""
    if legal is None:
        return None
    seen = LegalClock.from_dict({**legal.to_dict(), "events": [
        e for e in legal.to_dict()["events"] if datetime.fromisoformat(e["at"]) <= moment]})
    if not seen.started:
        return None
    return overdue_from(seen.due_at(calendar), seen.total_due_at(calendar))


@dataclass
class Sums:
    """The figures of one procedure for one period."""

    carried_over: int = 0
    received: dict[str, int] = field(default_factory=dict)  # by channel
    finished: dict[str, int] = field(default_factory=dict)  # early, on_time, late, returned
    overdue: int = 0


def sums(session: Session, start: date, end: date, as_of: datetime,
         process_id: str | None = None) -> dict[str, Sums]:
    """Per procedure, what the report's columns are made of: every column is a difference of sums up to a
    day, each read as whole months (monthly_figure) and the days of one month (daily_figure)."""
    as_of_day = local_day(as_of)
    # A deadline passes at 00:00 of a day; commands happen during a day, so only days already over count
    # for them at the end of a period (as of 24:00 of `end`, the day after has not begun).
    bounds = {"before": start - timedelta(days=1), "end": end, "as_of": as_of_day,
              "commands": min(end, as_of_day)}
    up_to: dict[tuple[str, str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(bounds, 0))
    m, d = MonthlyFigure, DailyFigure
    by_month = select(m.process_id, m.channel, m.measure, *(
        func.sum(case((m.month < day.replace(day=1), m.count), else_=0)).label(name) for name, day in bounds.items()
    )).group_by(m.process_id, m.channel, m.measure)
    by_day = select(d.process_id, d.channel, d.measure, *(
        func.sum(case(((d.day >= day.replace(day=1)) & (d.day <= day), d.count), else_=0)).label(name)
        for name, day in bounds.items()
    )).where(or_(*(d.day.between(day.replace(day=1), day) for day in bounds.values()))) \
        .group_by(d.process_id, d.channel, d.measure)
    if process_id:
        by_month, by_day = by_month.where(m.process_id == process_id), by_day.where(d.process_id == process_id)
    for query in (by_month, by_day):
        for row in session.execute(query):
            totals = up_to[(row.process_id, row.channel, row.measure)]
            for name in bounds:
                totals[name] += int(getattr(row, name) or 0)
    result: dict[str, Sums] = defaultdict(Sums)
    for (process, channel, measure), totals in up_to.items():
        figures = result[process]
        within = totals["end"] - totals["before"]
        if measure == "received":
            figures.received[channel] = figures.received.get(channel, 0) + within
            figures.carried_over += totals["before"]
        elif measure in FINISHED:
            figures.finished[measure] = figures.finished.get(measure, 0) + within
            figures.carried_over -= totals["before"]
        elif measure == "overdue_from":
            figures.overdue += totals["as_of"]
        else:
            figures.overdue += totals["commands"]
    return {p: s for p, s in result.items() if s.carried_over or any(s.received.values())}


def rebuild(session: Session, calendar: BusinessCalendar) -> int:
    """Recount every row from the dossiers' clocks (the migration that introduced the figures, a bulk
    load); returns how many dossiers were counted. The caller commits."""
    from engine.onestop.documents import Document  # documents records refusals here: imported late

    refused = exists().where(Document.dossier_id == Dossier.id, Document.kind == "refusal")
    changes: Changes = defaultdict(int)
    count = 0
    query = select(Dossier.process_id, Dossier.channel, Dossier.status, Dossier.created_at, Dossier.finished_at,
                   Dossier.legal_clock, refused.label("refused"))
    for d in session.execute(query.execution_options(yield_per=2000)):
        legal = LegalClock.from_dict(d.legal_clock) if d.legal_clock else None
        finished = None
        if d.finished_at is not None:
            finished = finish_column(legal, d.finished_at, calendar,
                                     returned=d.status == DossierStatus.CANCELLED or d.refused)
        for key, n in history(legal, d.process_id, d.channel, d.created_at, d.finished_at, finished,
                              calendar).items():
            changes[key] += n
        count += 1
    session.execute(delete(DailyFigure))
    session.execute(delete(MonthlyFigure))
    add(session, changes)
    return count
