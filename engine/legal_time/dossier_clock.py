"""Keeping a dossier's legal clock in step with its workflow.

The diagram says where the law's deadlines are (bpmn/README.md): an element with the property
`legal-phase` = `name:amount:unit` runs that phase while it is active; a user task with `clock` = `pause`
stops the clock while it waits (the applicant owes a fee or a supplement); the start event's
`legal-total` = `amount:unit` sets the procedure's total deadline. Phases follow one another, as in the
procedures (check, then appraisal; or the hops of an appointment chain).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.legal_time.business_calendar import BusinessCalendar, Duration
from engine.legal_time.legal_clock import EffectiveDate, LegalClock, Pause, PhaseRecord, PhaseSpec, parse_phase_property
from engine.runtime.task_properties import properties_of


def total_of(workflow: BpmnWorkflow) -> Duration | None:
    for task_spec in workflow.spec.task_specs.values():
        total = properties_of(task_spec).get("legal-total")
        if total:
            return Duration.parse(total)
    return None


def phase_labels(catalogue: dict[str, Any]) -> dict[str, str]:
    """The name people read for each phase: the element that carries it ("Kiểm tra hồ sơ (05 ngày làm việc)")."""
    labels: dict[str, str] = {}
    for task in catalogue.get("tasks", {}).values():
        text = task.get("properties", {}).get("legal-phase")
        if text:
            labels.setdefault(parse_phase_property(text).name, task["name"])
    return labels


def _active_phases(active: list[Task]) -> list[PhaseSpec]:
    phases: dict[str, PhaseSpec] = {}
    for task in active:
        text = properties_of(task.task_spec).get("legal-phase")
        if text:
            spec = parse_phase_property(text)
            phases.setdefault(spec.name, spec)
    return list(phases.values())


def _pause_reasons(active: list[Task]) -> list[str]:
    return [
        t.task_spec.bpmn_name or t.task_spec.bpmn_id
        for t in active
        if t.state == TaskState.READY and t.task_spec.manual and properties_of(t.task_spec).get("clock") == "pause"
    ]


def parse_other_clock(text: str, data: dict[str, Any]) -> tuple[str, Duration]:
    """`starts-clock` = `name:amount:unit`, the amount a number or a process field holding one
    (e.g. `decision:decision_days:calendar-days`, the days the rank's chain allows)."""
    name, _, rest = text.strip().partition(":")
    amount, _, unit = rest.partition(":")
    value = data.get(amount.strip(), amount.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return name.strip(), Duration.from_parts(str(value), unit.strip())


def other_clock_problems(properties: dict[str, str]) -> list[str]:
    """What is wrong with `starts-clock` (for `motcua validate` and the studio)."""
    text = properties.get("starts-clock")
    if not text:
        return []
    parts = [p.strip() for p in text.split(":")]
    if len(parts) != 3 or not parts[0] or not (parts[1].isdigit() or parts[1].isidentifier()):
        return [f"property starts-clock: '{text}': write name:amount:unit, the amount a number or a field name"]
    try:
        Duration.from_parts("1", parts[2])
    except ValueError as err:
        return [f"property starts-clock: {err}"]
    return []


def sync_other_clocks(clock: LegalClock, completed: list[Task], now: datetime, ended: bool) -> None:
    """Clocks of their own: started by a task with `starts-clock`, finished by one with `ends-clock` naming it
    (or when the dossier ends), on the step's effective date when it names one."""
    for task in completed:
        properties = properties_of(task.task_spec)
        if properties.get("starts-clock"):
            name, duration = parse_other_clock(properties["starts-clock"], task.data)
            clock.start_other(name, duration, now)
        if properties.get("ends-clock"):
            clock.finish_other(properties["ends-clock"].strip(), now)
    if ended:
        for name in list(clock.others):
            clock.finish_other(name, now)


def sync_clock(
    clock: LegalClock, active_tasks: list[Task], now: datetime, ended: bool, received_at: datetime
) -> LegalClock:
    """Record in `clock` what the workflow's active tasks say happened at `now`.

    A procedure with a total deadline counts it "kể từ ngày tiếp nhận hồ sơ" (from receipt, e.g. TT 2 d)),
    and so does its first phase: that phase starts at the dossier's receipt even if the desk entered it
    later (an online dossier waits in the desk's inbox, its clock already running).
    """
    reasons = [] if ended else _pause_reasons(active_tasks)
    active = [] if ended else _active_phases(active_tasks)
    running = clock.current_phase
    finish = running is not None and running not in {p.name for p in active}
    start = active[0] if active and (running is None or finish) else None
    if clock.paused and (finish or start or not reasons):
        # Phases start and finish on a running clock; a resume and a pause at one instant change nothing.
        clock.resume(now)
    if finish:
        clock.finish_phase(running, now)
    if start is not None:
        first = not clock.started and clock.total is not None
        receipt = clock.receipt
        # A step that names its event's date (e.g. the complete declaration received, TT 7 d)) starts the
        # clock on that date; otherwise the first phase and the total count from receipt.
        if first and not clock.recording_date and receipt is not None:
            clock.start_phase(start.name, start.duration, receipt.at, receipt.id)
        else:
            clock.start_phase(start.name, start.duration,
                              received_at if first and not clock.recording_date else now)
    if reasons and not clock.paused and clock.started:
        clock.pause(now, "; ".join(reasons))
    return clock


@dataclass(frozen=True)
class ClockReport:
    """Every clock of a dossier (the total and each phase) with its start, due date and pauses, and the
    effective dates they counted from: what the API and the dossier page show."""

    total: Duration | None
    total_started_at: datetime | None
    total_due_at: datetime | None  # None while paused: it moves on resume
    total_counted_from: int | None
    phases: list[PhaseRecord]
    others: list[PhaseRecord]  # the deadlines of their own (e.g. the appointment decision)
    pauses: list[Pause]
    dates: list[EffectiveDate]
    corrections: list[dict[str, Any]]


def clock_report(legal: LegalClock, calendar: BusinessCalendar) -> ClockReport:
    phases = legal.phases(calendar)
    first = phases[0] if phases else None
    return ClockReport(
        total=legal.total, total_started_at=first.started_at if first and legal.total else None,
        total_due_at=legal.total_due_at(calendar), total_counted_from=first.counted_from if first else None,
        phases=phases, others=[p for other in legal.others.values() for p in other.phases(calendar)],
        pauses=legal.pauses, dates=list(legal.dates), corrections=list(legal.corrections),
    )


def other_due_at(clock: LegalClock, calendar: BusinessCalendar) -> datetime | None:
    """The earliest due instant among the running clocks of their own."""
    dues = [d for other in clock.others.values() if (d := other.due_at(calendar)) is not None]
    return min(dues) if dues else None
