"""Effective dates of legal events: the day the law counts from, not the moment someone clicked.

A step that records an event the law counts from (receipt of the dossier, of a supplement, of the fee, the
closing day of applications, an outside body's answer, a council's result, a publication) names in the
diagram the form field that holds the event's date: task properties `event-date` = field name and
`clock-event` = the event's kind (bpmn/README.md). The legal clock's events that follow from completing
that step (a phase finishing or starting, a pause ending) are recorded on that date; the instant of the
click stays in the audit trail. A supervisor may correct a recorded date later, with a reason
(`correct`): the clock is replayed and every deadline computed again.

Counting itself is left to the calendar (Civil Code 2015 art. 147(2): the day of the event is not counted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from engine.legal_time.business_calendar import FIRST_YEAR, ZONE
from engine.runtime.errors import InvalidData
from engine.runtime.forms import FieldDefinition, FormDefinition

EVENT_DATE = "event-date"
CLOCK_EVENT = "clock-event"
# Where the date comes from when nobody types one: the first of these fields that holds a date.
EVENT_DATE_DEFAULT = "event-date-default"
# The events the law counts from, with the words the seed uses for them.
EVENTS: dict[str, dict[str, str]] = {
    "received": {"vi": "Ngày tiếp nhận hồ sơ", "en": "Day the dossier was received"},
    "supplement-received": {"vi": "Ngày nhận hồ sơ sửa đổi, bổ sung", "en": "Day the supplement was received"},
    "complete-received": {"vi": "Ngày nhận đủ hồ sơ", "en": "Day the complete dossier was received"},
    "fee-paid": {"vi": "Ngày nộp phí, lệ phí", "en": "Day the fee was paid"},
    "notice-published": {"vi": "Ngày đăng thông báo", "en": "Day the notice was published"},
    "applications-closed": {"vi": "Ngày hết hạn nộp hồ sơ", "en": "Closing day of applications"},
    "answer-received": {"vi": "Ngày nhận được văn bản", "en": "Day the answer was received"},
    "council-result": {"vi": "Ngày nhận được kết quả của Hội đồng", "en": "Day the council's result was received"},
    "result-published": {"vi": "Ngày đăng tải kết quả", "en": "Day the result was published"},
}
# Events that may come before the dossier's receipt: the receipt itself (a posted dossier entered later) and
# the notice that calls for applications (TT 8 a) Bước 1).
BEFORE_ANY_RECEIPT = frozenset({"received", "notice-published"})
IN_FUTURE = "Ngày này chưa đến; xin ghi ngày sự kiện đã xảy ra"
BEFORE_RECEIPT = "Ngày này trước ngày tiếp nhận hồ sơ ({day})"
BEFORE_PREVIOUS = "Ngày này trước sự kiện trước đó của thời hạn giải quyết ({day})"
AFTER_NEXT = "Ngày này sau sự kiện tiếp theo của thời hạn giải quyết ({day})"
NO_REASON = "Xin ghi lý do điều chỉnh"


@dataclass(frozen=True)
class EventDate:
    """What a step records: the form field holding the date, and which legal event it is."""

    field: str
    event: str
    defaults: tuple[str, ...] = ()

    @property
    def label(self) -> dict[str, str]:
        return EVENTS[self.event]


def event_date_of(properties: Mapping[str, str]) -> EventDate | None:
    """The event date a task records, from its properties; None when it records none."""
    name = (properties.get(EVENT_DATE) or "").strip()
    if not name:
        return None
    defaults = tuple(n.strip() for n in (properties.get(EVENT_DATE_DEFAULT) or "").split(",") if n.strip())
    return EventDate(name, (properties.get(CLOCK_EVENT) or "").strip(), defaults)


def property_problems(properties: Mapping[str, str]) -> list[str]:
    """What is wrong with a task's event-date properties, for `motcua validate` and the studio."""
    spec = event_date_of(properties)
    if spec is None:
        return ["'clock-event' needs 'event-date' (the form field holding the date)"] \
            if properties.get(CLOCK_EVENT) else []
    if spec.event not in EVENTS:
        return [f"clock-event '{spec.event}' is not one of {', '.join(EVENTS)}"]
    bad = [n for n in (spec.field, *spec.defaults) if not n.isidentifier()]
    if bad:
        return [f"'{n}' in event-date or event-date-default is not a field name" for n in bad]
    return []


def with_event_field(form: FormDefinition, properties: Mapping[str, str]) -> FormDefinition:
    """The task's form with its event-date field: added (a date, optional: it defaults) when the form lacks it."""
    spec = event_date_of(properties)
    if spec is None or spec.event not in EVENTS or any(f.name == spec.field for f in form.fields):
        return form
    extra = FieldDefinition(name=spec.field, label=dict(spec.label), type="date", help={
        "vi": "Ngày sự kiện xảy ra, thời hạn pháp lý tính từ ngày này; để trống là hôm nay",
        "en": "The day the event happened; the legal deadline counts from it. Blank means today"})
    return FormDefinition(id=form.id, title=form.title, fields=(extra, *form.fields), source=form.source,
                          description=form.description)


def local_day(instant: datetime) -> date:
    return instant.astimezone(ZONE).date()


def default_day(spec: EventDate, data: Mapping[str, Any], now: datetime) -> date:
    """What the field holds when nobody typed a date: the one already known (the receipt's, entered at the
    desk or by the portal), or when the diagram names them, the first date among the fields of
    `event-date-default` (the step's own earlier value is stale then), else today."""
    for name in spec.defaults or (spec.field,):
        known = data.get(name)
        if isinstance(known, date) and not isinstance(known, datetime):
            return known
    return local_day(now)


def check_day(
    spec: EventDate, day: date, *, now: datetime, received_at: datetime | None, last_event_at: datetime | None,
) -> None:
    """Refuse a date the event cannot have happened on, naming the field. The receipt itself may precede the
    dossier's entry (a posted dossier entered days later), never the clock's earlier events."""
    message = None
    if day > local_day(now):
        message = IN_FUTURE
    elif spec.event not in BEFORE_ANY_RECEIPT and received_at is not None and day < local_day(received_at):
        message = BEFORE_RECEIPT.format(day=_shown(local_day(received_at)))
    if message is None and last_event_at is not None and day < local_day(last_event_at):
        message = BEFORE_PREVIOUS.format(day=_shown(local_day(last_event_at)))
    if message is not None:
        raise InvalidData("Ngày của sự kiện không hợp lệ", fields={spec.field: message})


def check_received_at(received_at: datetime, now: datetime) -> None:
    """A receipt handed over by another system: an aware instant, not in the future, within the calendar's span."""
    message = None
    if received_at.tzinfo is None:
        message = "Cần thời điểm có múi giờ"
    elif received_at > now:
        message = IN_FUTURE
    elif received_at.astimezone(ZONE).year < FIRST_YEAR:
        message = f"Ngày tiếp nhận quá xa (trước năm {FIRST_YEAR})"
    if message is not None:
        raise InvalidData("Ngày tiếp nhận không hợp lệ", fields={"received_at": message})


def instant_of(day: date, now: datetime, not_before: datetime | None) -> datetime:
    """The instant a clock event dated `day` is recorded at: now when it is today; else the start of that day,
    kept after the clock's previous event (events stay in order; only their day counts)."""
    at = now if day == local_day(now) else datetime.combine(day, time(0, 0), ZONE).astimezone(UTC)
    return max(at, not_before) if not_before is not None else at


def _shown(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def shown_day(day: date) -> str:
    """A day as Vietnamese papers write it (dd/mm/yyyy)."""
    return _shown(day)


def reason_checked(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidData(NO_REASON, fields={"reason": NO_REASON})
    return reason[:1000]


def corrected_instant(
    event: str, day: date, *, now: datetime, received_at: datetime | None, before: datetime | None,
    after: datetime | None,
) -> datetime:
    """Where a supervisor's corrected date lands in the clock's log, or InvalidData on the field `day`: not in
    the future, not before the receipt, and between the clock's neighbouring events (by day)."""
    message = None
    if day > local_day(now):
        message = IN_FUTURE
    elif event not in BEFORE_ANY_RECEIPT and received_at is not None and day < local_day(received_at):
        message = BEFORE_RECEIPT.format(day=_shown(local_day(received_at)))
    elif before is not None and day < local_day(before):
        message = BEFORE_PREVIOUS.format(day=_shown(local_day(before)))
    elif after is not None and day > local_day(after):
        message = AFTER_NEXT.format(day=_shown(local_day(after)))
    if message is not None:
        raise InvalidData("Ngày điều chỉnh không hợp lệ", fields={"day": message})
    at = datetime.combine(day, time(0, 0), ZONE).astimezone(UTC)
    if before is not None:
        at = max(at, before)
    if after is not None:
        at = min(at, after)
    return at
