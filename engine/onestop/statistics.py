"""Official statistics of dossier handling for a period and procedure, in the columns of the one-stop
shop's periodic report: dossiers carried over and received (online, at the desk, by post), resolved
early, on time or late, returned or refused, and still in progress on time or overdue at the end.

The report reads the figures kept per day as dossiers move (engine.onestop.daily_figures): a few grouped
rows, whatever the number of dossiers. `compute` is the reference it must equal: it replays each
dossier's legal clock up to the end of the period (events after it are not seen) with the working-day
calendar. A dossier resolves on its appointment (daily_figures.finish_column). Returned: withdrawn or
stopped (cancelled); refused: a refusal letter was issued.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, end_of_day
from engine.legal_time.legal_clock import ClockStatus, LegalClock
from engine.onestop.daily_figures import finish_column, sums
from engine.onestop.documents import Document
from engine.oversight.monitoring import procedure_names
from engine.runtime.dossier import Dossier, DossierStatus

ONLINE_CHANNELS = frozenset({"online", "portal"})


@dataclass
class Row:
    process_id: str
    name: str
    carried_over: int = 0
    received_online: int = 0
    received_desk: int = 0
    received_post: int = 0
    resolved_early: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    returned: int = 0
    in_progress_on_time: int = 0
    in_progress_overdue: int = 0

    @property
    def received(self) -> int:
        return self.received_online + self.received_desk + self.received_post

    @property
    def handled(self) -> int:
        return self.carried_over + self.received

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    def add(self, other: Row) -> None:
        for f in COUNTED:
            setattr(self, f, getattr(self, f) + getattr(other, f))


COUNTED = tuple(f.name for f in fields(Row) if f.type == "int")
# The report's columns in order: (attribute, Vietnamese heading, English heading).
COLUMNS = (
    ("carried_over", "Kỳ trước chuyển qua", "Carried over"),
    ("received_online", "Tiếp nhận trực tuyến", "Received online"),
    ("received_desk", "Tiếp nhận trực tiếp", "Received at the desk"),
    ("received_post", "Tiếp nhận qua bưu chính", "Received by post"),
    ("handled", "Tổng số phải giải quyết", "Total to handle"),
    ("resolved_early", "Giải quyết trước hạn", "Resolved early"),
    ("resolved_on_time", "Giải quyết đúng hạn", "Resolved on time"),
    ("resolved_late", "Giải quyết quá hạn", "Resolved late"),
    ("returned", "Trả lại, từ chối", "Returned or refused"),
    ("in_progress_on_time", "Đang giải quyết trong hạn", "In progress, not yet due"),
    ("in_progress_overdue", "Đang giải quyết quá hạn", "In progress, overdue"),
)


@dataclass
class Statistics:
    start: date
    end: date
    as_of: datetime  # the end of the period, or now while it runs
    process_id: str | None
    rows: list[Row] = field(default_factory=list)

    @property
    def total(self) -> Row:
        total = Row("", "Tổng cộng")
        for row in self.rows:
            total.add(row)
        return total


_FINISHED_COLUMNS = {"early": "resolved_early", "on_time": "resolved_on_time", "late": "resolved_late",
                     "returned": "returned"}


def _overdue(legal: LegalClock | None, at: datetime, calendar: BusinessCalendar) -> bool:
    """Whether the clock is overdue at `at`; a clock whose first phase began later is not (yet)."""
    if legal is None or not legal.started:
        return False
    phases = legal.phases(calendar)
    if not phases or phases[0].started_at > at:
        return False
    return legal.state(at, calendar).status == ClockStatus.OVERDUE


def _period(start: date, end: date, now: datetime) -> tuple[datetime, datetime, datetime]:
    if end < start:
        raise ValueError("the period ends before it starts")
    opens, closes = end_of_day(start - timedelta(days=1)), end_of_day(end)
    return opens, closes, min(now, closes)


def report(session: Session, start: date, end: date, now: datetime, process_id: str | None = None) -> Statistics:
    """The statistics of a period from the figures kept per day (the same as `compute`, in milliseconds)."""
    _, _, as_of = _period(start, end, now)
    names = procedure_names(session)
    rows = []
    for process, figures in sums(session, start, end, as_of, process_id).items():
        row = Row(process, names.get(process, process), carried_over=figures.carried_over,
                  received_online=sum(n for c, n in figures.received.items() if c in ONLINE_CHANNELS),
                  received_post=figures.received.get("post", 0),
                  received_desk=sum(n for c, n in figures.received.items()
                                    if c not in ONLINE_CHANNELS and c != "post"),
                  in_progress_overdue=figures.overdue)
        for column, attribute in _FINISHED_COLUMNS.items():
            setattr(row, attribute, figures.finished.get(column, 0))
        row.in_progress_on_time = row.handled - row.resolved - row.returned - row.in_progress_overdue
        rows.append(row)
    return Statistics(start, end, as_of, process_id, sorted(rows, key=lambda r: r.name))


def compute(session: Session, start: date, end: date, now: datetime, calendar: BusinessCalendar,
            process_id: str | None = None) -> Statistics:
    opens, closes, as_of = _period(start, end, now)
    refused = exists().where(Document.dossier_id == Dossier.id, Document.kind == "refusal")
    # A dossier belongs to the period it was received in (a posted one may be entered later).
    received = func.coalesce(Dossier.received_at, Dossier.created_at)
    query = (select(Dossier.process_id, Dossier.channel, Dossier.status, received.label("received_at"),
                    Dossier.finished_at, Dossier.legal_clock, refused.label("refused"))
             .where(received < closes, or_(Dossier.finished_at.is_(None), Dossier.finished_at >= opens)))
    if process_id:
        query = query.where(Dossier.process_id == process_id)
    names = procedure_names(session)
    rows: dict[str, Row] = {}
    for d in session.execute(query):
        row = rows.setdefault(d.process_id, Row(d.process_id, names.get(d.process_id, d.process_id)))
        if d.received_at < opens:
            row.carried_over += 1
        elif d.channel in ONLINE_CHANNELS:
            row.received_online += 1
        elif d.channel == "post":
            row.received_post += 1
        else:
            row.received_desk += 1
        legal = LegalClock.from_dict(d.legal_clock) if d.legal_clock else None
        if d.finished_at is not None and d.finished_at < closes:
            column = finish_column(legal, d.finished_at, calendar,
                                   returned=d.status == DossierStatus.CANCELLED or d.refused)
            setattr(row, _FINISHED_COLUMNS[column], getattr(row, _FINISHED_COLUMNS[column]) + 1)
        elif _overdue(legal, as_of, calendar):
            row.in_progress_overdue += 1
        else:
            row.in_progress_on_time += 1
    return Statistics(start, end, as_of, process_id, sorted(rows.values(), key=lambda r: r.name))


def _table(stats: Statistics, english: bool) -> list[list[object]]:
    heading = ["Thủ tục" if not english else "Procedure"] + [en if english else vi for _, vi, en in COLUMNS]
    body = [[row.name] + [getattr(row, attr) for attr, _, _ in COLUMNS] for row in (*stats.rows, stats.total)]
    return [heading, *body]


def _title(stats: Statistics) -> str:
    return (f"Tình hình giải quyết hồ sơ từ {stats.start:%d/%m/%Y} đến {stats.end:%d/%m/%Y} "
            f"(số liệu tính đến {stats.as_of.astimezone(ZONE):%H:%M %d/%m/%Y})")


def to_csv(stats: Statistics, english: bool = False) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows the Vietnamese letters."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_title(stats)])
    writer.writerows(_table(stats, english))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(stats: Statistics, english: bool = False) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Thong ke"
    sheet.append([_title(stats)])
    sheet["A1"].font = Font(bold=True, size=13)
    for row in _table(stats, english):
        sheet.append(row)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 48
    for index in range(2, len(COLUMNS) + 2):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
