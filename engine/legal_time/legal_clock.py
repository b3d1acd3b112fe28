"""A dossier's legal clock: the deadline of each phase, stopped while the applicant owes something.

Each procedure gives its phases a deadline (completeness check "Trong thời hạn 05 ngày làm việc kể từ ngày
tiếp nhận hồ sơ", appraisal "25 ngày làm việc kể từ ngày nhận được phí, lệ phí và hồ sơ đầy đủ, hợp lệ")
and a total: "Thời hạn giải quyết: 30 ngày làm việc kể từ ngày tiếp nhận hồ sơ, không tính thời gian thực
hiện nghĩa vụ tài chính, thời gian bổ sung, hoàn thiện hồ sơ" (seeds/procedures-dost-dongnai.vi.txt,
section d) of each radiation procedure). So the clock pauses while the dossier waits on the applicant (fee
notice, supplement request) and resumes when they act.

The pause rule. At the pause the clock counts what remains of the running phase (and of the total), in the
phase's own unit: the days after the pause day up to the last day. The pause day itself is used: the
officer worked it and sent the notice. On resume that remainder is counted afresh from the resume day,
which is not counted, like a day of receipt (Civil Code 2015 art. 147(3)). So a pause and a resume on the
same day change nothing, and the days between them are "không tính". A clock that was already late when
paused stays late: its last day does not move.

The clock is a log of events (start, finish, pause, resume). Due dates are computed from the log with the
calendar when asked, so a day off decided after the dossier arrived moves its deadlines too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, Duration, Unit, end_of_day

PHASE_FORMAT = "write name:amount:unit, e.g. check:5:working-days"
# A deadline this close is flagged so that a supervisor can act before the dossier goes late.
DUE_SOON = Duration(2, Unit.WORKING_DAYS)


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    FINISHED_ON_TIME = "finished_on_time"
    FINISHED_LATE = "finished_late"


@dataclass(frozen=True)
class PhaseSpec:
    name: str
    duration: Duration


def parse_phase_property(text: str) -> PhaseSpec:
    """Read a BPMN property value such as `check:5:working-days`."""
    parts = text.strip().split(":")
    if len(parts) != 3:
        raise ValueError(f"phase {text!r} has {len(parts)} part(s), not 3: {PHASE_FORMAT}")
    name = parts[0].strip()
    if not name:
        raise ValueError(f"phase {text!r} has no name: {PHASE_FORMAT}")
    try:
        duration = Duration.from_parts(parts[1], parts[2])
    except ValueError as err:
        raise ValueError(f"phase {text!r}: {err}") from None
    if duration.amount == 0:
        raise ValueError(f"phase {text!r} lasts 0 days; a phase needs at least 1")
    return PhaseSpec(name, duration)


@dataclass(frozen=True)
class Pause:
    reason: str
    paused_at: datetime
    resumed_at: datetime | None
    phase: str | None  # the phase running when the clock stopped, if any
    resumed_from: int | None = None  # the effective date the clock resumed on (e.g. the fee paid)


@dataclass(frozen=True)
class PhaseRecord:
    name: str
    duration: Duration
    started_at: datetime
    due_at: datetime  # moved by the pauses so far
    finished_at: datetime | None
    counted_from: int | None = None  # the effective date it started on (e.g. receipt, fee paid)

    @property
    def late(self) -> bool | None:
        """Whether it finished after its deadline; None while it runs."""
        return None if self.finished_at is None else self.finished_at >= self.due_at


@dataclass(frozen=True)
class ClockState:
    status: ClockStatus
    phase: str | None  # the running, paused or last phase
    due_at: datetime | None  # of that phase; None while paused (it moves on resume)
    total_due_at: datetime | None  # None when there is no total, or while paused
    # Days left of the phase, counted from today (negative once overdue), or left at the pause.
    remaining: Duration | None
    paused_since: datetime | None = None
    pause_reason: str | None = None


@dataclass(frozen=True)
class EffectiveDate:
    """A legal event's date the clock counted from (engine.legal_time.event_dates), as recorded by a step."""

    id: int
    event: str  # received, fee-paid, supplement-received, …
    task: str  # the step that recorded it
    at: datetime  # the effective instant (its local day is what counts)
    recorded_at: datetime  # when the step was done (audit data, not law)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "event": self.event, "task": self.task, "at": self.at.isoformat(),
                "recorded_at": self.recorded_at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EffectiveDate:
        return cls(int(data["id"]), data["event"], data.get("task", ""), datetime.fromisoformat(data["at"]),
                   datetime.fromisoformat(data["recorded_at"]))


@dataclass(frozen=True)
class _Event:
    kind: str  # start, finish, pause, resume
    at: datetime
    phase: str | None = None
    duration: Duration | None = None
    reason: str | None = None
    date_id: int | None = None  # the effective date it was recorded on, if a step named one


@dataclass
class _Deadline:
    """A deadline being replayed: its last day, and what was left of it when the clock stopped."""

    unit: Unit
    last_day: date
    left_at_pause: int | None = None

    def pause(self, calendar: BusinessCalendar, day: date) -> None:
        self.left_at_pause = _days_left(calendar, day, self.last_day, self.unit)

    def resume(self, calendar: BusinessCalendar, day: date) -> None:
        left, self.left_at_pause = self.left_at_pause, None
        if left is not None and left >= 0:  # already late when paused: the last day stays
            self.last_day = calendar.add(day, Duration(left, self.unit))


@dataclass
class _PhaseRun:
    name: str
    duration: Duration
    started_at: datetime
    deadline: _Deadline
    finished_at: datetime | None = None
    date_id: int | None = None


@dataclass
class _Run:
    phases: list[_PhaseRun] = field(default_factory=list)
    current: _PhaseRun | None = None
    total: _Deadline | None = None
    pause: _Event | None = None


class LegalClock:
    """Phases with deadlines, one running at a time, and the pauses while the applicant owes something."""

    def __init__(self, total: Duration | None = None) -> None:
        self.total = total
        self._events: list[_Event] = []
        self._running: str | None = None
        self._paused = False
        self.dates: list[EffectiveDate] = []
        # Supervisors' corrections of effective dates: who, when, old and new day, why.
        self.corrections: list[dict[str, Any]] = []
        self._date_id: int | None = None
        # Deadlines of their own beside the phases, e.g. the appointment decision "trong thời hạn 60 ngày kể từ
        # ngày nhận được kết quả của Hội đồng" (TT 8 d)): one phase each, on the same effective dates.
        self.others: dict[str, LegalClock] = {}

    def start_other(self, name: str, duration: Duration, at: datetime) -> None:
        if name in self.others:
            return  # started once, by the first result (a loop does not restart the law's deadline)
        other = LegalClock()
        other.start_phase(name, duration, at, self._date_id)
        self.others[name] = other

    def finish_other(self, name: str, at: datetime) -> None:
        other = self.others.get(name)
        if other is not None and other.current_phase == name:
            other.finish_phase(name, max(at, other.last_event_at or at))

    def record_date(self, event: str, task: str, at: datetime, recorded_at: datetime) -> int:
        """Name the effective date the next events are recorded on (until `end_date`); returns its id."""
        entry = EffectiveDate(max((d.id for d in self.dates), default=0) + 1, event, task, at.astimezone(UTC),
                              recorded_at.astimezone(UTC))
        self.dates.append(entry)
        self._date_id = entry.id
        return entry.id

    def end_date(self) -> None:
        """Stop recording on the current effective date; one that no event counted from is forgotten."""
        current, self._date_id = self._date_id, None
        if current and not any(e.date_id == current for e in self._events):
            self.dates = [d for d in self.dates if d.id != current]

    @property
    def recording_date(self) -> bool:
        """Whether the events now recorded carry a step's effective date."""
        return self._date_id is not None

    @property
    def receipt(self) -> EffectiveDate | None:
        """The day the dossier was received, which the total and the first phase count from."""
        return next((d for d in self.dates if d.event == "received"), None)

    def record_receipt(self, task: str, at: datetime, recorded_at: datetime) -> int:
        """Set the receipt's date before the clock starts (a later change is a correction: `moved`)."""
        if self.started:
            raise ValueError("the clock has started: correct the receipt's date instead")
        self.dates = [d for d in self.dates if d.event != "received"]
        entry = EffectiveDate(0, "received", task, at.astimezone(UTC), recorded_at.astimezone(UTC))
        self.dates.insert(0, entry)
        self._date_id = 0
        return 0

    def events_of(self, date_id: int) -> list[dict[str, str]]:
        return [item for item, event in zip(self.to_dict()["events"], self._events, strict=True)
                if event.date_id == date_id]

    @property
    def last_event_at(self) -> datetime | None:
        return self._events[-1].at if self._events else None

    def neighbours(self, date_id: int) -> tuple[datetime | None, datetime | None]:
        """The instants of the clock's events just before and just after those recorded on `date_id`."""
        mine = [i for i, e in enumerate(self._events) if e.date_id == date_id]
        if not mine:
            return None, None
        before = self._events[mine[0] - 1].at if mine[0] > 0 else None
        after = self._events[mine[-1] + 1].at if mine[-1] + 1 < len(self._events) else None
        return before, after

    def moved(self, date_id: int, at: datetime) -> LegalClock:
        """The same clock with effective date `date_id` moved to `at` (a supervisor's correction), replayed
        from its log: ValueError when the move would put an event before the one preceding it."""
        data = self.to_dict()
        at = at.astimezone(UTC)
        for item, event in zip(data["events"], self._events, strict=True):
            if event.date_id == date_id:
                item["at"] = at.isoformat()
        for item in data["dates"]:
            if item["id"] == date_id:
                item["at"] = at.isoformat()
        for other in data["others"].values():
            for item in other["events"]:
                if item.get("date") == str(date_id):
                    item["at"] = at.isoformat()
        return LegalClock.from_dict(data)

    def rewound(self, date_id: int) -> LegalClock:
        """The clock as it stood before the events recorded on effective date `date_id`, with its corrections
        and its clocks of their own: the engine runs again from that event and records them anew."""
        data = self.to_dict()
        first = next((i for i, e in enumerate(self._events) if e.date_id == date_id), len(self._events))
        data["events"] = data["events"][:first]
        kept = {e.date_id for e in self._events[:first]}
        data["dates"] = [d for d in data["dates"] if d["id"] in kept]
        return LegalClock.from_dict(data)

    @property
    def current_phase(self) -> str | None:
        return self._running

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def started(self) -> bool:
        """Whether any phase has begun (a clock that never started cannot pause)."""
        return bool(self._events)

    @property
    def pauses(self) -> list[Pause]:
        result: list[Pause] = []
        running: str | None = None
        for event in self._events:
            if event.kind == "start":
                running = event.phase
            elif event.kind == "finish":
                running = None
            elif event.kind == "pause":
                result.append(Pause(event.reason or "", event.at, None, running))
            elif event.kind == "resume":
                last = result[-1]
                result[-1] = Pause(last.reason, last.paused_at, event.at, last.phase, event.date_id)
        return result

    def start_phase(self, name: str, duration: Duration, at: datetime, date_id: int | None = None) -> None:
        at = self._checked_time(at)
        if not name.strip():
            raise ValueError("a phase needs a name")
        if self._paused:
            raise ValueError(f"the clock is paused; resume it before starting phase {name!r}")
        if self._running is not None:
            raise ValueError(f"phase {self._running!r} is still running; finish it before starting {name!r}")
        date_id = self._date_id if date_id is None else date_id
        self._events.append(_Event("start", at, phase=name, duration=duration, date_id=date_id))
        self._running = name

    def finish_phase(self, name: str, at: datetime) -> None:
        at = self._checked_time(at)
        if self._running != name:
            running = f"phase {self._running!r} is running" if self._running else "no phase is running"
            raise ValueError(f"cannot finish phase {name!r}: {running}")
        if self._paused:
            raise ValueError(f"the clock is paused; resume it before finishing phase {name!r}")
        self._events.append(_Event("finish", at, phase=name, date_id=self._date_id))
        self._running = None

    def pause(self, at: datetime, reason: str) -> None:
        at = self._checked_time(at)
        if not self._events:
            raise ValueError("the clock has not started: start a phase before pausing it")
        if self._paused:
            raise ValueError("the clock is already paused")
        if not reason.strip():
            raise ValueError("say why the clock stops (e.g. supplement requested)")
        self._events.append(_Event("pause", at, reason=reason.strip(), date_id=self._date_id))
        self._paused = True

    def resume(self, at: datetime) -> None:
        at = self._checked_time(at)
        if not self._paused:
            raise ValueError("the clock is not paused")
        self._events.append(_Event("resume", at, date_id=self._date_id))
        self._paused = False

    def due_at(self, calendar: BusinessCalendar) -> datetime | None:
        """When the running phase ends; None when no phase runs or while paused."""
        run = self._replay(calendar)
        if run.current is None or run.pause is not None:
            return None
        return end_of_day(run.current.deadline.last_day)

    def total_due_at(self, calendar: BusinessCalendar) -> datetime | None:
        """When the whole procedure ends; None without a total or while paused."""
        run = self._replay(calendar)
        if run.total is None or run.pause is not None:
            return None
        return end_of_day(run.total.last_day)

    def phases(self, calendar: BusinessCalendar) -> list[PhaseRecord]:
        return [_record(p) for p in self._replay(calendar).phases]

    def state(
        self,
        now: datetime,
        calendar: BusinessCalendar,
        due_soon: Duration = DUE_SOON,
    ) -> ClockState:
        """Where the clock stands at `now` (events after `now` are not seen)."""
        if now.tzinfo is None:
            raise ValueError("`now` must be an aware datetime")
        run = self._replay(calendar, until=now)
        if not run.phases:
            raise ValueError("the clock has not started: no phase has begun")
        total_due = end_of_day(run.total.last_day) if run.total else None
        current = run.current
        if run.pause is not None:
            left = None
            if current is not None and current.deadline.left_at_pause is not None:
                left = Duration(current.deadline.left_at_pause, current.duration.unit)
            return ClockState(
                ClockStatus.PAUSED,
                current.name if current else None,
                None,
                None,
                left,
                paused_since=run.pause.at,
                pause_reason=run.pause.reason,
            )
        if current is None:
            last = _record(run.phases[-1])
            late = any(_record(p).late for p in run.phases) or (
                total_due is not None and last.finished_at is not None and last.finished_at >= total_due
            )
            status = ClockStatus.FINISHED_LATE if late else ClockStatus.FINISHED_ON_TIME
            return ClockState(status, last.name, last.due_at, total_due, None)
        due = end_of_day(current.deadline.last_day)
        today = now.astimezone(ZONE).date()
        left = Duration(
            _days_left(calendar, today, current.deadline.last_day, current.duration.unit),
            current.duration.unit,
        )
        deadlines = [due] if total_due is None else [due, total_due]
        if any(now >= d for d in deadlines):
            status = ClockStatus.OVERDUE
        elif any(d <= calendar.due_at(now, due_soon) for d in deadlines):
            status = ClockStatus.DUE_SOON
        else:
            status = ClockStatus.RUNNING
        return ClockState(status, current.name, due, total_due, left)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form; from_dict reads it back."""
        events = []
        for e in self._events:
            item: dict[str, str] = {"event": e.kind, "at": e.at.isoformat()}
            if e.phase is not None:
                item["phase"] = e.phase
            if e.duration is not None:
                item["duration"] = str(e.duration)
            if e.reason is not None:
                item["reason"] = e.reason
            if e.date_id is not None:
                item["date"] = str(e.date_id)
            events.append(item)
        return {"total": str(self.total) if self.total else None, "events": events,
                "dates": [d.to_dict() for d in self.dates], "corrections": list(self.corrections),
                "others": {name: other.to_dict() for name, other in self.others.items()}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LegalClock:
        clock = cls(Duration.parse(data["total"]) if data.get("total") else None)
        clock.dates = [EffectiveDate.from_dict(d) for d in data.get("dates", ())]
        clock.corrections = list(data.get("corrections", ()))
        clock.others = {name: cls.from_dict(other) for name, other in data.get("others", {}).items()}
        for item in data["events"]:
            at = datetime.fromisoformat(item["at"])
            clock._date_id = int(item["date"]) if item.get("date") else None
            match item["event"]:
                case "start":
                    clock.start_phase(item["phase"], Duration.parse(item["duration"]), at, clock._date_id)
                case "finish":
                    clock.finish_phase(item["phase"], at)
                case "pause":
                    clock.pause(at, item["reason"])
                case "resume":
                    clock.resume(at)
                case other:
                    raise ValueError(f"unknown clock event {other!r}")
        clock._date_id = None
        return clock

    def _checked_time(self, at: datetime) -> datetime:
        if at.tzinfo is None:
            raise ValueError("clock events need aware datetimes (with their time zone)")
        at = at.astimezone(UTC)
        if self._events and at < (last := self._events[-1].at):
            raise ValueError(f"{at.isoformat()} is before the clock's last event ({last.isoformat()})")
        return at

    def _replay(self, calendar: BusinessCalendar, until: datetime | None = None) -> _Run:
        run = _Run()
        for event in self._events:
            if until is not None and event.at > until:
                break
            day = event.at.astimezone(ZONE).date()
            if event.kind == "start":
                assert event.phase is not None and event.duration is not None
                deadline = _Deadline(event.duration.unit, calendar.add(day, event.duration))
                run.current = _PhaseRun(event.phase, event.duration, event.at, deadline, date_id=event.date_id)
                run.phases.append(run.current)
                if self.total is not None and run.total is None:  # the total runs from the first receipt
                    run.total = _Deadline(self.total.unit, calendar.add(day, self.total))
            elif event.kind == "finish":
                assert run.current is not None
                run.current.finished_at = event.at
                run.current = None
            else:
                for deadline in _running_deadlines(run):
                    if event.kind == "pause":
                        deadline.pause(calendar, day)
                    else:
                        deadline.resume(calendar, day)
                run.pause = event if event.kind == "pause" else None
        return run


def _running_deadlines(run: _Run) -> list[_Deadline]:
    deadlines = [run.current.deadline] if run.current is not None else []
    return deadlines if run.total is None else [*deadlines, run.total]


def _days_left(calendar: BusinessCalendar, today: date, last_day: date, unit: Unit) -> int:
    """Days after `today` up to the last day, in the deadline's unit; negative once it has passed."""
    if unit is Unit.WORKING_DAYS:
        return calendar.working_days_between(today, last_day)
    return (last_day - today).days


def _record(run: _PhaseRun) -> PhaseRecord:
    due = end_of_day(run.deadline.last_day)
    return PhaseRecord(run.name, run.duration, run.started_at, due, run.finished_at, run.date_id)
