"""Driving the eleven procedures as officers would: every form filled is checked by its form definition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from engine.legal_time.business_calendar import ZONE, load_calendar
from engine.legal_time.clock import clock
from engine.legal_time.event_dates import with_event_field
from engine.legal_time.legal_clock import LegalClock, PhaseRecord
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService, Outcome, ReadyTask
from engine.runtime.forms import find_form, load_form

ROOT = Path(__file__).resolve().parents[2]
BPMN = ROOT / "bpmn"
DMN = ROOT / "dmn"
# Monday 2 March 2026, 09:00 in Đồng Nai: no public holiday in the weeks the tests run through.
MONDAY = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@dataclass
class Run:
    """One dossier being driven; `do` completes the one ready task of a given element."""

    service: DossierService
    process_id: str
    dossier_id: int = 0
    outcome: Outcome | None = None
    done: list[str] = field(default_factory=list)

    def start(self, title: str, data: dict[str, Any] | None = None, received_at: datetime | None = None) -> Run:
        self.outcome = self.service.start(self.process_id, data or {}, actor="portal", title=title,
                                          received_at=received_at)
        self.dossier_id = self.outcome.dossier_id
        return self

    @property
    def ready(self) -> list[str]:
        return sorted(t.spec for t in self.service.ready_tasks(self.dossier_id))

    def task(self, spec: str) -> ReadyTask:
        matches = [t for t in self.service.ready_tasks(self.dossier_id) if t.spec == spec]
        assert len(matches) == 1, f"expected '{spec}' to be ready, ready: {self.ready}"
        return matches[0]

    def do(self, spec: str, data: dict[str, Any], actor: str = "officer", role: str | None = None) -> Run:
        task = self.task(spec)
        if role is not None:
            assert task.role == role, f"'{spec}' goes to {task.role}, not {role}"
        cleaned = data
        if task.form:
            path = find_form(BPMN, self.process_id, task.form)
            assert path is not None, f"no form '{task.form}' for {spec}"
            cleaned = with_event_field(load_form(path), task.properties).validate(data)
        self.outcome = self.service.complete(self.dossier_id, task.id, cleaned, actor=actor)
        self.done.append(spec)
        return self

    def data(self) -> dict[str, Any]:
        return self.service.data(self.dossier_id)

    @property
    def status(self) -> str:
        return self.dossier().status

    def dossier(self) -> Dossier:
        with make_session_factory(self.service.engine)() as session:
            return session.get(Dossier, self.dossier_id)

    def phases(self) -> list[PhaseRecord]:
        with make_session_factory(self.service.engine)() as session:
            dossier = session.get(Dossier, self.dossier_id)
            calendar = load_calendar(session)
            return LegalClock.from_dict(dossier.legal_clock).phases(calendar)

    def clock(self) -> LegalClock:
        return LegalClock.from_dict(self.dossier().legal_clock)

    def total_due(self) -> date:
        total = self.dossier().total_due_at
        assert total is not None, "the dossier has no total deadline"
        return _local_day(total)

    def other_dues(self) -> dict[str, tuple[date, bool | None]]:
        """The clocks of their own (e.g. the appointment decision): last day, and whether it finished late."""
        with make_session_factory(self.service.engine)() as session:
            calendar = load_calendar(session)
        return {p.name: (_local_day(p.due_at), p.late) for other in self.clock().others.values()
                for p in other.phases(calendar)}

    def phase_dues(self) -> dict[str, date]:
        """Each phase's last day (local), as the law counts it; a phase run twice keeps its last run."""
        return {p.name: _local_day(p.due_at) for p in self.phases()}


def _local_day(instant: datetime) -> date:
    """The last day of a period whose end is `instant` (24:00 local of that day)."""
    return (instant.astimezone(ZONE) - timedelta(microseconds=1)).date()


def local_at(day: date, hour: int = 9) -> datetime:
    """`hour` o'clock, Đồng Nai time, on `day`, as an aware instant."""
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZONE).astimezone(UTC)


def at(day: date, hour: int = 9) -> None:
    """Move the platform clock to `hour` o'clock, Đồng Nai time, on `day`."""
    clock.freeze(datetime(day.year, day.month, day.day, hour - 7, 0, tzinfo=UTC))
