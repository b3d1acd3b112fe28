"""Running dossiers and open work items counted by deadline, so that the supervisors' dashboard reads a few
hundred figures instead of every running dossier and open work item.

The database keeps the figures itself (triggers of migration 0011_scale), in the transaction that changes
a row, whatever changes it: per subject (`dossier`: procedure and '' or 'paused'; `work_item`: role and
assignee or ''), the count of rows whose deadline falls on each UTC day and in each month. A dossier's
deadline is the earlier of its phase's and its total deadline (as in `LegalClock.state`); a paused clock,
or none, counts on NO_DEADLINE.

How many are due at or before an instant T: the months before T's month, the days of T's month before T's
day, and the rows due on T's day up to T itself, read from the rows (a narrow indexed range).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache

from sqlalchemy import BindParameter, Date, Select, String, and_, bindparam, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.runtime.db import Base

NO_DEADLINE = date(9999, 12, 31)
Group = tuple[str, str]
Window = tuple[datetime, datetime]


class DeadlineFigure(Base):
    __tablename__ = "deadline_figure"

    subject: Mapped[str] = mapped_column(String(20), primary_key=True)
    level: Mapped[str] = mapped_column(String(5), primary_key=True)  # day or month
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)  # the day, or the month's first day
    group_a: Mapped[str] = mapped_column(String(200), primary_key=True)
    group_b: Mapped[str] = mapped_column(String(100), primary_key=True)
    count: Mapped[int]


@dataclass
class Due:
    """One group's rows: all of them, and how many are due at or before each asked instant."""

    total: int = 0
    by: tuple[int, ...] = ()


def day_start(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date(), time(), UTC)


def due(session: Session, subject: str, instants: tuple[datetime, ...],
        on_the_days: Callable[[list[Window], set[str]], list[dict[Group, int]]], *,
        within: set[str] | None = None) -> dict[Group, Due]:
    """Per group with rows (of the first keys `within`, if given), their number and how many are due at or
    before each instant; `on_the_days(windows, first keys)` counts the rows of those groups due in each
    [start, end] window, within one UTC day, by group (one statement for all: in_windows(), counted())."""
    days = [at.astimezone(UTC).date() for at in instants]
    months = [d.replace(day=1) for d in days]
    params: dict[str, object] = {"subject": subject, "first_month": min(months), "last_day": max(days),
                                 **{f"month_{i}": m for i, m in enumerate(months)},
                                 **{f"day_{i}": d for i, d in enumerate(days)}}
    if within is not None:
        params["within"] = sorted(within)
    rows = session.execute(_figures_query(len(instants), within is not None), params).all()
    result: dict[Group, Due] = {}
    for a, b, total, *before in rows:
        if total:
            result[(a, b)] = Due(int(total), tuple(int(n or 0) for n in before))
    firsts = {a for a, _b in result}
    exact = on_the_days([(day_start(at), at) for at in instants], firsts) if firsts else [{} for _ in instants]
    for group, figures in result.items():
        figures.by = tuple(n + counts.get(group, 0) for n, counts in zip(figures.by, exact, strict=True))
    return result


@cache
def _figures_query(instants: int, within: bool) -> Select:
    """due()'s statement, with parameters: built once, as building it cost four times reading it."""
    f = DeadlineFigure
    groups = [f.group_a.in_(bindparam("within", expanding=True))] if within else []
    # The months and the few days as two ranges of the primary key: SQLite reads an OR of the two as every
    # figure of the subject (20,000 rows at a million dossiers).
    u = union_all(
        select(f).where(f.subject == bindparam("subject"), f.level == "month", *groups),
        select(f).where(f.subject == bindparam("subject"), f.level == "day", f.bucket >= bindparam("first_month"),
                        f.bucket < bindparam("last_day"), *groups),
    ).subquery().c
    sums = [func.sum(case((or_(and_(u.level == "month", u.bucket < bindparam(f"month_{i}")),
                                and_(u.level == "day", u.bucket >= bindparam(f"month_{i}"),
                                     u.bucket < bindparam(f"day_{i}"))), u.count), else_=0))
            for i in range(instants)]
    return (select(u.group_a, u.group_b, func.sum(case((u.level == "month", u.count), else_=0)), *sums)
            .group_by(u.group_a, u.group_b))


def in_windows(query: Callable[[BindParameter, BindParameter], Select], windows: int) -> list[Select]:
    """`query(start, end)` for each window, the bounds as parameters (window_params()), its rows ending with the
    window's number (`window`), to be read UNION ALL in one statement: each window still its own index range
    (with an OR of the ranges, SQLite would rather read them all)."""
    return [query(bindparam(f"start_{i}"), bindparam(f"end_{i}")).add_columns(literal(i).label("window"))
            for i in range(windows)]


def window_params(spans: list[Window]) -> dict[str, datetime]:
    return {f"{bound}_{i}": at for i, span in enumerate(spans)
            for bound, at in zip(("start", "end"), span, strict=True)}


def counted(rows: Iterable[tuple[str, str, int]], spans: list[Window]) -> list[dict[Group, int]]:
    """Rows (first key, second key, window) counted by group, per window."""
    counts: list[dict[Group, int]] = [defaultdict(int) for _ in spans]
    for a, b, window in rows:
        counts[window][(a, b)] += 1
    return counts
