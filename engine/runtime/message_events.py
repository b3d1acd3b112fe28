"""Message events inside a workflow: who waits for which message, with which key, and how one is caught.

SpiffWorkflow 3.2.0 parses message catch events, receive tasks, message boundary events and the message
branches of an event-based gateway, but nothing outside the workflow can reach them except
`BpmnWorkflow.send_event`, which wakes every catcher of that name and knows no dossier. The platform
delivers a message to one waiting task, matched on the message's name and a correlation key: the
dossier code, or the value of the catcher's `message-key` property (an expression over the process
data, bpmn/README.md). Spiff's own correlation properties are left to the library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.expressions import ExpressionError
from engine.runtime.errors import InvalidData
from engine.runtime.task_properties import properties_of

KEY_PROPERTY = "message-key"
FORM_PROPERTY = "form"
# What `POST /api/v1/messages` and `motcua message send` accept as a message name.
MESSAGE_NAME = re.compile(r"^[\w.:-]{1,200}$")


class PlatformMessage(MessageEventDefinition):
    """A message whose payload lands in the process data.

    With a `spiffworkflow:messageVariable` it lands in that variable, as in the library; without one the
    library drops it, so its fields are merged into the process data instead.
    """

    def update_task_data(self, my_task: Task) -> None:
        if self.message_var is not None:
            super().update_task_data(my_task)
            return
        payload = my_task.internal_data.pop(self.name, None)
        if isinstance(payload, dict):
            my_task.set_data(**payload)


@dataclass(frozen=True)
class Catcher:
    """A place in a diagram where a message is awaited: its element, and what its key and payload are."""

    message: str
    process: str
    element_id: str
    key_expression: str | None
    form: str | None
    label: str = ""  # the element's name, for the dossier's history


def message_problems(task_spec: Any) -> list[str]:
    """What would keep a catcher from ever receiving its message, or an event-based gateway from timing out."""
    problems = []
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(task_spec, EventBasedGateway) and isinstance(definition, MultipleEventDefinition):
        timers = [d for d in definition.event_definitions if isinstance(d, TimerEventDefinition)]
        if len(timers) > 1:
            problems.append("an event-based gateway may wait on one timer only (the engine keeps one due time "
                            "per gateway): merge the deadlines into one timer")
    inner = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    if isinstance(task_spec, CatchingEvent):
        problems.extend(f"the message '{d.name or ''}' cannot be sent to the platform: name a bpmn:message "
                        "(messageRef) with letters, digits, '_', '.', ':' or '-'"
                        for d in inner
                        if isinstance(d, MessageEventDefinition) and not MESSAGE_NAME.match(d.name or ""))
    return problems


def catchers_of_spec(task_spec: Any) -> Iterator[tuple[MessageEventDefinition, Catcher]]:
    """The messages one task spec waits for; a gateway waits for those of its branches."""
    if not isinstance(task_spec, CatchingEvent):
        return
    definition = task_spec.event_definition
    if isinstance(task_spec, EventBasedGateway) and isinstance(definition, MultipleEventDefinition):
        # The gateway holds its branches' event definitions in the order of its outgoing branches.
        for branch, inner in zip(task_spec.outputs, definition.event_definitions, strict=False):
            if isinstance(inner, MessageEventDefinition) and inner.name:
                props = properties_of(branch)
                yield inner, Catcher(inner.name, branch._wf_spec.name, branch.bpmn_id, props.get(KEY_PROPERTY),
                                     props.get(FORM_PROPERTY), branch.bpmn_name or branch.bpmn_id)
        return
    if isinstance(definition, MessageEventDefinition) and definition.name:
        props = properties_of(task_spec)
        yield definition, Catcher(definition.name, task_spec._wf_spec.name, task_spec.bpmn_id,
                                  props.get(KEY_PROPERTY), props.get(FORM_PROPERTY),
                                  task_spec.bpmn_name or task_spec.bpmn_id)


def declared_catchers(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> list[Catcher]:
    """Every message catcher of a process and the processes it calls (start events excluded: they start)."""
    found = []
    for process in (spec, *(s for s in subprocess_specs.values() if s is not None)):
        found.extend(_catchers_of_process(process))
    return found


def _catchers_of_process(process: BpmnProcessSpec) -> list[Catcher]:
    starts = {id(s) for s in getattr(process, "bpmn_start_events", None) or []}
    return [c for task_spec in process.task_specs.values() if id(task_spec) not in starts
            for _d, c in catchers_of_spec(task_spec)]


def _called(process_name: str, subprocess_specs: dict[str, BpmnProcessSpec], seen: set[str]) -> list[Catcher]:
    """The catchers of a called process and of those it calls in turn."""
    process = subprocess_specs.get(process_name)
    if process is None or process_name in seen:
        return []
    seen.add(process_name)
    found = _catchers_of_process(process)
    for task_spec in process.task_specs.values():
        if isinstance(task_spec, SubWorkflowTask):
            found.extend(_called(task_spec.spec, subprocess_specs, seen))
    return found


def upcoming_catchers(workflow: BpmnWorkflow) -> list[tuple[Catcher, Task | None]]:
    """The catchers the dossier waits on now (with their task) or will reach as the diagram stands (None):
    the tasks the engine predicts, and everything inside the call activities it has not entered yet."""
    found: list[tuple[Catcher, Task | None]] = []
    seen: set[str] = set()
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        spec = task.task_spec
        waiting = task if task.state == TaskState.WAITING else None
        found.extend((c, waiting) for _d, c in catchers_of_spec(spec))
        if isinstance(spec, SubWorkflowTask) and task.id not in workflow.subprocesses:
            found.extend((c, None) for c in _called(spec.spec, workflow.subprocess_specs, seen))
    return found


@dataclass(frozen=True)
class WaitingCatcher:
    task: Task
    definition: MessageEventDefinition
    catcher: Catcher


def waiting_catchers(workflow: BpmnWorkflow) -> list[WaitingCatcher]:
    """The tasks that wait for a message now, subprocesses included."""
    waiting = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for definition, catcher in catchers_of_spec(task.task_spec):
            waiting.append(WaitingCatcher(task, definition, catcher))
    return waiting


def catcher_key(catcher: Catcher, data: dict[str, Any], code: str | None,
                evaluate: Callable[[str, dict[str, Any]], Any]) -> str | None:
    """The correlation key a catcher answers to: its `message-key` over the data, else the dossier code."""
    if not catcher.key_expression:
        return code
    try:
        value = evaluate(catcher.key_expression, data)
    except ExpressionError:
        return None  # the data the key needs does not exist yet: nothing can be matched to it yet
    return None if value is None or value == "" else str(value)


def catch(waiting: WaitingCatcher, payload: dict[str, Any]) -> None:
    """Hand a message to one waiting task (not to every catcher of that name, as send_event would).

    A diagram's own bpmn:correlationProperty expressions are read from the payload here: a payload they
    cannot be read from is refused like one its form refuses."""
    task = waiting.task
    event = BpmnEvent(waiting.definition, payload=payload)
    try:
        task.task_spec.catch(task, event)
    except ExpressionError as err:
        raise InvalidData(f"payload: the diagram's correlation properties cannot be read from it: {err}",
                          fields={"payload": str(err)}) from err
    task.task_spec._update(task)
