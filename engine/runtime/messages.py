"""The command that delivers a message from an outside system: a payment platform confirming a fee, an
outside body's answer by document exchange (`POST /api/v1/messages`, `motcua message send`).

One transaction: find the dossier that can catch the message by its name and correlation key (the dossier
code, or the key its diagram declares with `message-key`), lock it, store the message, and let the
dossier's save catch it if a catcher waits now (engine.runtime.message_catching). A message that came
early is kept for `KEEP_EARLY` and caught by the command that makes its catcher ready. No dossier that can
catch it: NotFound, and nothing is stored. The sender's message id makes a message sent twice taken once;
two senders at once queue on the dossier's row, and a version conflict is retried.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.legal_time.clock import clock
from engine.onestop.fees import FeeCheckedForm
from engine.onestop.online_submission import control_characters
from engine.runtime import audit
from engine.runtime.definition import ProcessDefinition
from engine.runtime.deployment import form_cache, spec_cache
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.dossier_service import (
    DossierService,
    Outcome,
    _task_error,
    advance,
    check_form_data,
    latest_data,
)
from engine.runtime.errors import Conflict, InvalidData, NotFound
from engine.runtime.inbound_message import (
    INTERNAL_SENDER,
    KEEP_EARLY,
    InboundMessage,
    MessageStatus,
    received,
    subscribers,
)
from engine.runtime.message_catching import Thrown
from engine.runtime.message_events import MESSAGE_NAME, catch, catchers_of_spec, waiting_catchers
from engine.runtime.serialization import WorkflowSerializer

_serializer = WorkflowSerializer()

ATTEMPTS = 5
MAX_KEY = 200
MAX_MESSAGE_ID = 100


@dataclass(frozen=True)
class Delivery:
    """What became of a message: delivered to a waiting catcher, kept for one, or already received."""

    status: str  # "delivered" | "kept" | "duplicate"
    message_id: str
    dossier_id: int | None
    dossier_code: str | None
    element_id: str | None
    keep_until: datetime | None
    outcome: Outcome | None = None


def check_message(name: Any, key: Any, payload: Any, message_id: Any) -> dict[str, Any]:
    """Refuse a malformed message whole, one message per field."""
    fields = {}
    if not isinstance(name, str) or not MESSAGE_NAME.match(name):
        fields["name"] = "the message name is 1 to 200 letters, digits, '_', '.', ':' or '-'"
    # Control characters (a NUL byte, which PostgreSQL refuses to store) are no part of a key or an id.
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY or control_characters(key):
        fields["correlation_key"] = f"the correlation key is a non-empty text of at most {MAX_KEY} characters"
    if message_id is not None and (not isinstance(message_id, str) or not message_id.strip()
                                   or len(message_id) > MAX_MESSAGE_ID or control_characters(message_id)):
        fields["message_id"] = f"the message id is a non-empty text of at most {MAX_MESSAGE_ID} characters"
    if fields:
        raise InvalidData("the message is not valid", fields=fields)
    try:
        check_form_data(payload)
    except InvalidData as err:
        raise InvalidData(f"payload: {err}", fields={f"payload.{k}": v for k, v in err.fields.items()}
                          or {"payload": str(err)}) from None
    hidden = control_characters(payload)
    if hidden:
        raise InvalidData(f"payload: {next(iter(hidden.values()))}",
                          fields={f"payload.{k}": v for k, v in hidden.items()})
    return payload


class MessageService:
    def __init__(self, dossiers: DossierService) -> None:
        self.dossiers = dossiers

    def send(self, name: str, key: str, payload: dict[str, Any], sender: str,
             message_id: str | None = None) -> Delivery:
        payload = check_message(name, key, payload, message_id)
        message_id = message_id or uuid.uuid4().hex
        for attempt in range(ATTEMPTS):
            try:
                with self.dossiers.command() as session:
                    return deliver_in(self.dossiers, session, name, key, payload, sender, message_id)
            except IntegrityError:
                # Another sender stored the same message id first: it is taken once, by them.
                return self.duplicate(message_id)
            except Conflict:
                if attempt == ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def duplicate(self, message_id: str) -> Delivery:
        with self.dossiers.read_session() as session:
            row = received(session, message_id)
            if row is None:
                raise Conflict("the message was being received by another request; send it again")
            return _duplicate(session, row)


def _duplicate(session: Session, row: InboundMessage) -> Delivery:
    code = session.scalar(select(Dossier.code).where(Dossier.id == row.dossier_id)) if row.dossier_id else None
    return Delivery("duplicate", row.message_id, row.dossier_id, code, row.element_id,
                    row.keep_until if row.status == MessageStatus.KEPT else None)


def deliver_in(service: DossierService, session: Session, name: str, key: str, payload: dict[str, Any],
               sender: str, message_id: str) -> Delivery:
    """Deliver or keep one message inside the caller's transaction."""
    prior = received(session, message_id)
    if prior is not None:
        return _duplicate(session, prior)
    dossier_id = _subscriber(session, name, key)
    # Two senders to one dossier queue here instead of failing on the version check (SQLite queues anyway);
    # the one that waited reads again what the dossier expects, as the first one left it.
    session.connection().execute(select(Dossier.id).where(Dossier.id == dossier_id).with_for_update())
    prior = received(session, message_id)
    if prior is not None:
        return _duplicate(session, prior)
    candidates = [waiting for d, waiting in subscribers(session, name, key) if d == dossier_id]
    if not candidates:
        raise NotFound(f"no dossier waits for or expects the message '{name}' with the key '{key}'")
    loaded = service._load(session, dossier_id)
    if loaded.dossier.status != DossierStatus.RUNNING:
        raise NotFound(f"the dossier that expected the message '{name}' has ended")
    _validate_payload(service, session, loaded, name, payload)
    now = clock.now()
    row = InboundMessage(message_id=message_id, name=name, correlation_key=key, payload=payload, sender=sender,
                         received_at=now, keep_until=now + KEEP_EARLY, status=MessageStatus.KEPT,
                         dossier_id=dossier_id)
    session.add(row)
    session.flush()
    due = loaded.dossier.next_timer_at
    if any(candidates) or (due is not None and due <= now):
        # A timer that fell due first wins (an event-based gateway's deadline): it fires before the catch.
        _advance(loaded)
        service._save(session, loaded, actor=f"message:{sender}")
    if row.status == MessageStatus.UNDELIVERED:  # its catcher refused it: nothing of it is kept
        raise InvalidData("payload: the element waiting for the message cannot take it",
                          fields={"payload": "refused by the diagram's correlation properties"})
    if row.status == MessageStatus.KEPT:
        audit.record(session, actor=f"message:{sender}", command="message_kept", dossier_id=dossier_id,
                     data={"message": name, "key": key, "message_id": message_id,
                           "keep_until": row.keep_until.isoformat()})
    session.flush()
    outcome = service._outcome(loaded) if row.status == MessageStatus.DELIVERED else None
    return Delivery(str(row.status), message_id, dossier_id, loaded.dossier.code, row.element_id,
                    row.keep_until if row.status == MessageStatus.KEPT else None, outcome)


def _advance(loaded: Any) -> None:
    try:
        advance(loaded.workflow, loaded.completed)
    except SpiffWorkflowException as err:
        raise _task_error(err) from err


def _subscriber(session: Session, name: str, key: str) -> int:
    dossier_ids = sorted({d for d, _ in subscribers(session, name, key)})
    if not dossier_ids:
        raise NotFound(f"no dossier waits for or expects the message '{name}' with the key '{key}'")
    if len(dossier_ids) > 1:
        raise InvalidData(f"the key '{key}' of the message '{name}' matches {len(dossier_ids)} dossiers; "
                          "a correlation key must name one", fields={"correlation_key": "matches several dossiers"})
    return dossier_ids[0]


def _validate_payload(service: DossierService, session: Session, loaded: Any, name: str,
                      payload: dict[str, Any]) -> None:
    """The payload must fit the form of the element that catches it (when it names one), checked on arrival."""
    for catcher in service._catchers(loaded):
        if catcher.message != name:
            continue
        form = form_cache.for_task(session, loaded.dossier.definition_id, loaded.content_hash, catcher.process,
                                   catcher.element_id)
        if form is not None:
            try:
                FeeCheckedForm(form, lambda: latest_data(loaded.workflow)).validate(payload)
            except InvalidData as err:
                raise InvalidData(f"payload: {err}", fields={f"payload.{k}": v for k, v in err.fields.items()}) \
                    from None


def route_thrown(service: DossierService, session: Session, dossier_id: int, thrown: list[Thrown],
                 actor: str) -> None:
    """Messages a dossier threw to another pool reach the dossier that can catch them, in the same
    transaction; one that nothing can catch is kept on record as undelivered, never silently dropped.

    Their payload is stored with the engine's type tags (dates, money), which only a dossier's own
    messages may carry (engine.runtime.message_catching)."""
    for message in thrown:
        message_id = f"dossier-{dossier_id}-{uuid.uuid4().hex}"
        payload = _serializer.jsonable(message.payload)
        try:
            if message.key is None:
                raise NotFound(f"the element {message.element_id} gives the message no correlation key")
            deliver_in(service, session, message.name, message.key, payload, f"{INTERNAL_SENDER}{dossier_id}",
                       message_id)
        except NotFound as err:
            if not _start_by_message(service, session, message.name, message.payload, dossier_id, actor):
                _undelivered(session, dossier_id, message, message_id, payload, actor, err)
        except InvalidData as err:
            _undelivered(session, dossier_id, message, message_id, payload, actor, err)


def _undelivered(session: Session, dossier_id: int, message: Thrown, message_id: str, payload: dict[str, Any],
                 actor: str, err: Exception) -> None:
    now = clock.now()
    session.add(InboundMessage(message_id=message_id, name=message.name, correlation_key=message.key or "",
                               payload=payload, sender=f"{INTERNAL_SENDER}{dossier_id}", received_at=now,
                               keep_until=now, status=MessageStatus.UNDELIVERED, element_id=message.element_id))
    audit.record(session, actor=actor, command="message_undelivered", dossier_id=dossier_id,
                 data={"message": message.name, "key": message.key, "reason": str(err)})


def _start_by_message(service: DossierService, session: Session, name: str, payload: dict[str, Any],
                      parent_id: int, actor: str) -> bool:
    """A deployed process whose start event catches the message gets a new dossier, linked to the thrower's."""
    latest = (select(ProcessDefinition.process_id, func.max(ProcessDefinition.version).label("version"))
              .group_by(ProcessDefinition.process_id).subquery())
    definitions = session.execute(
        select(ProcessDefinition.id, ProcessDefinition.process_id, ProcessDefinition.content_hash)
        .join(latest, (latest.c.process_id == ProcessDefinition.process_id)
              & (latest.c.version == ProcessDefinition.version))
        .order_by(ProcessDefinition.process_id)).all()
    for definition in definitions:
        spec, _called = spec_cache.get(session, definition.id, definition.content_hash)
        if not any(c.message == name for s in spec.bpmn_start_events for _d, c in catchers_of_spec(s)):
            continue
        parent = session.get(Dossier, parent_id)
        loaded = service._start_in(session, definition.process_id, {}, actor, title=parent.title if parent else "",
                                   channel=parent.channel if parent else "desk", parent_id=parent_id)
        target = next(w for w in waiting_catchers(loaded.workflow) if w.catcher.message == name)
        catch(target, payload)
        _advance(loaded)
        service._save(session, loaded, actor)
        audit.record(session, actor=f"message:{INTERNAL_SENDER}{parent_id}", command="message",
                     dossier_id=loaded.dossier.id, task_name=target.catcher.label,
                     data={"message": name, "key": None, "started_by": parent_id})
        return True
    return False
