"""The dossier's side of messages, run by every command that saves a dossier whose diagram waits for some:
catch the messages kept for it whose catcher is now ready, say which messages it can catch, and hand the
messages it threw to the other pools.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from sqlalchemy.orm import Session

from engine.expressions import evaluate
from engine.runtime.errors import InvalidData
from engine.runtime.forms import FormDefinition
from engine.runtime.inbound_message import (
    INTERNAL_SENDER,
    InboundMessage,
    MessageStatus,
    kept_for,
    sync_subscriptions,
)
from engine.runtime.message_events import (
    FORM_PROPERTY,
    KEY_PROPERTY,
    Catcher,
    WaitingCatcher,
    catch,
    catcher_key,
    declared_catchers,
    upcoming_catchers,
    waiting_catchers,
)
from engine.runtime.task_properties import properties_of

# A kept message wakes a catcher whose branch may wait for the next one: bounded like the engine's passes.
MAX_CATCHES = 50

Evaluate = Callable[[str, dict[str, Any]], Any]
FormOf = Callable[[Catcher], FormDefinition | None]


class _DeclaredCatchers:
    """The catchers of each deployed version, read once: stored versions never change."""

    def __init__(self) -> None:
        self._by_hash: dict[str, list[Catcher]] = {}
        self._lock = threading.Lock()

    def get(self, content_hash: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
            ) -> list[Catcher]:
        found = self._by_hash.get(content_hash)
        if found is None:
            found = declared_catchers(spec, subprocess_specs)
            with self._lock:
                self._by_hash[content_hash] = found
        return found


declared = _DeclaredCatchers()


def evaluator(functions: dict[str, Callable[..., Any]]) -> Evaluate:
    return lambda expression, data: evaluate(expression, data, functions)


@dataclass(frozen=True)
class Caught:
    message: InboundMessage
    catcher: Catcher
    payload: dict[str, Any]


def catch_kept(session: Session, workflow: BpmnWorkflow, dossier_id: int, code: str | None, now: Any,
               key_of: Evaluate, form_of: FormOf, run: Callable[[], None],
               restore: Callable[[dict[str, Any]], dict[str, Any]]) -> list[Caught]:
    """Catch, oldest first, each kept message whose catcher waits now; `run` advances the workflow after each."""
    caught: list[Caught] = []
    for _ in range(MAX_CATCHES):
        waiting = waiting_catchers(workflow)
        if not waiting:
            break
        match = _first_match(kept_for(session, dossier_id, now), waiting, code, key_of)
        if match is None:
            break
        message, target = match
        form = form_of(target.catcher)
        payload = dict(message.payload)
        if message.sender.startswith(INTERNAL_SENDER):
            payload = restore(payload)  # a dossier's message keeps its dates and money
        message.element_id = target.catcher.element_id
        try:
            if form is not None:
                payload = form.validate(payload)
            catch(target, payload)
        except InvalidData:
            # Its form was checked on arrival, so this is rare (a correlation property the payload lacks);
            # set aside, it must not block the dossier.
            message.status = MessageStatus.UNDELIVERED
            continue
        message.status = MessageStatus.DELIVERED
        message.delivered_at = now
        caught.append(Caught(message, target.catcher, payload))
        run()
    return caught


def _first_match(kept: list[InboundMessage], waiting: list[WaitingCatcher], code: str | None,
                 key_of: Evaluate) -> tuple[InboundMessage, WaitingCatcher] | None:
    keys = [(w, w.catcher.message, catcher_key(w.catcher, w.task.data, code, key_of)) for w in waiting]
    for message in kept:
        for target, name, key in keys:
            if name == message.name and key == message.correlation_key:
                return message, target
    return None


def sync(session: Session, dossier_id: int, workflow: BpmnWorkflow, code: str | None, running: bool,
         key_of: Evaluate) -> None:
    """Record which (message, key) pairs the dossier waits for now, or will as its diagram stands: a message
    for a step already behind it finds no dossier (a clear refusal) instead of being kept for nothing."""
    wanted: dict[tuple[str, str], bool] = {}
    if running:
        data = workflow.last_task.data if workflow.last_task is not None else workflow.data
        for catcher, task in upcoming_catchers(workflow):
            key = catcher_key(catcher, task.data if task is not None else data, code, key_of)
            if key is not None:
                wanted[(catcher.message, key)] = wanted.get((catcher.message, key), False) or task is not None
    sync_subscriptions(session, dossier_id, wanted)


@dataclass(frozen=True)
class Thrown:
    name: str
    key: str | None
    payload: dict[str, Any]
    element_id: str


def thrown_messages(workflow: BpmnWorkflow, completed: list[Task], code: str | None, key_of: Evaluate
                    ) -> list[Thrown]:
    """The messages this command threw that nothing in the workflow caught: they are for other pools.

    The key is the throwing element's `message-key` over its data, else the dossier code.
    """
    events = [e for e in workflow.get_events() if isinstance(e.event_definition, MessageEventDefinition)]
    throwers = [t for t in completed if isinstance(t.task_spec, ThrowingEvent)]
    found = []
    for event in events:
        thrower = next((t for t in reversed(throwers)
                        if t.task_spec.event_definition == event.event_definition), None)
        properties = dict(properties_of(thrower.task_spec)) if thrower else {}
        element = thrower.task_spec.bpmn_id if thrower else ""
        probe = Catcher(event.event_definition.name, "", element, properties.get(KEY_PROPERTY),
                        properties.get(FORM_PROPERTY))
        key = catcher_key(probe, thrower.data if thrower else {}, code, key_of)
        payload = event.payload if isinstance(event.payload, dict) else {"payload": event.payload}
        found.append(Thrown(event.event_definition.name, key, payload, element))
    return found
