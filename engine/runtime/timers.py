"""Timer event definitions that read the platform clock instead of the wall clock.

SpiffWorkflow's timers call ``datetime.now()`` themselves, so no clock can be injected (DESIGN.md).
These subclasses keep the library's parsing of ISO 8601 text and only replace where "now" comes from,
so that tests and the scheduler move time through ``engine.legal_time.clock``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.legal_time.clock import clock


class TimerValueError(ValueError):
    """A timer's value is not what its kind needs; said the same way by `validate` and by the run."""


def parse_time_date(value: str) -> datetime:
    try:
        return TimerEventDefinition.get_datetime(value)
    except (ValueError, TypeError) as err:
        raise TimerValueError(f"timer: '{value}' is not an ISO 8601 date and time, such as "
                              "2026-03-31T17:00:00+07:00, nor a platform function's due date") from err


def parse_duration(value: str) -> dict[str, Any]:
    try:
        return TimerEventDefinition.parse_iso_duration(value)
    except Exception as err:  # the library raises a bare Exception('Invalid duration')
        raise TimerValueError(f"timer: '{value}' is not an ISO 8601 duration, such as P10D or PT4H") from err


def parse_cycle(value: str) -> tuple[int, datetime, timedelta]:
    try:
        return _parse_cycle(value)
    except Exception as err:  # the library fails with ValueError, AttributeError or a bare Exception
        raise TimerValueError(f"timer: '{value}' is not an ISO 8601 repeating interval, such as R3/PT1H") from err


# What each kind of timer text must evaluate to (bpmn:timeDate, bpmn:timeDuration, bpmn:timeCycle).
PARSERS: dict[str, Callable[[str], Any]] = {
    "timeDate": parse_time_date, "timeDuration": parse_duration, "timeCycle": parse_cycle,
}


def _parsed(my_task, parse: Callable[[str], Any], value: str) -> Any:  # type: ignore[no-untyped-def]
    try:
        return parse(value)
    except TimerValueError as err:
        raise WorkflowTaskException(str(err), task=my_task) from err


def _evaluate(my_task, expression: str) -> str:  # type: ignore[no-untyped-def]
    value = my_task.workflow.script_engine.evaluate(my_task, expression)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _fired(my_task, event_value: str) -> bool:  # type: ignore[no-untyped-def]
    """Compare the stored due instant with the platform clock; once fired, a timer stays fired."""
    if TimerEventDefinition.get_datetime(event_value) <= clock.now():
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data("event_fired", False)


class PlatformTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task) -> bool:  # type: ignore[no-untyped-def]
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = _evaluate(my_task, self.expression)
            _parsed(my_task, parse_time_date, event_value)
            my_task._set_internal_data(event_value=event_value)
        return _fired(my_task, event_value)


class PlatformDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task) -> bool:  # type: ignore[no-untyped-def]
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            parsed = _parsed(my_task, parse_duration, _evaluate(my_task, self.expression))
            now = clock.now()
            event_value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        return _fired(my_task, event_value)


class PlatformCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task) -> bool:  # type: ignore[no-untyped-def]
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            cycles, start, duration = _parsed(my_task, parse_cycle, _evaluate(my_task, self.expression))
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= clock.now():
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def _parse_cycle(expression: str) -> tuple[int, datetime, timedelta]:
    """R[n]/duration starts one duration after now (the library would use the wall clock here)."""
    components = expression.upper().replace("--", "/").strip("R").split("/")
    if len(components) == 2 and components[1].startswith("P"):
        cycles = int(components[0]) if components[0] else -1
        now = clock.now()
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(components[1]), now
        )
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


TIMER_CLASSES = (PlatformTimeDate, PlatformDuration, PlatformCycle)
