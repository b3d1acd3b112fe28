"""Tracking a dossier from outside: the applicant's secret, and what the applicant may see of the dossier.

The applicant receives, with the dossier's code, a secret (by e-mail and once on screen). Only its SHA-256,
salted with the code, is stored; it is compared in constant time, and an unknown code costs the same
comparison as a wrong secret, so that nobody learns which codes exist (codes are guessable: Circular
01/2018 numbers them by day).

What the applicant sees: the procedure, the steps done and under way (by role, never by officer), the legal
clock, the papers issued to them, and what the dossier waits on from them (a supplement, a fee).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ForeignKey, String, insert, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.business_calendar import BusinessCalendar
from engine.legal_time.legal_clock import ClockState
from engine.onestop.documents import KINDS, Document
from engine.onestop.dossier_file import load_dossier_file
from engine.onestop.paperwork import PAPER
from engine.onestop.procedure_facts import ProcedureFacts, facts_from_mapping
from engine.runtime.db import Base, Prepared, connection
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import ReadyTask
from engine.runtime.outbox import OutboxEntry, OutboxStatus
from engine.runtime.work_item import WorkItemStatus

# No 0/O, 1/I/L: the secret is read from an e-mail and typed by hand.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 12  # 31^12 ≈ 2^59
# The forms of the steps that wait on the applicant (bpmn/shared/forms): answering a supplement request,
# and paying the fee the office notified.
SUPPLEMENT_FORM = "supplement_received"
FEE_FORM = "fee_payment"
FEE_PROOF_ITEM = "fee_receipt"
_NOT_CODE = re.compile(r"[^0-9A-Z.\-]")


class TrackingSecret(Base):
    __tablename__ = "tracking_secret"

    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), primary_key=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]


def new_secret() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, LENGTH, 4))


def normal_code(code: str) -> str:
    return _NOT_CODE.sub("", code.strip().upper())[:40]


def _digest(code: str, secret: str) -> str:
    typed = "".join(c for c in secret.upper() if c.isalnum())
    return hashlib.sha256(f"{normal_code(code)}\n{typed}".encode()).hexdigest()


# Every online submission writes one: compiled once and run on the driver's cursor (no ORM flush).
_KEEP = Prepared(insert(TrackingSecret.__table__), ("dossier_id", "secret_hash", "created_at"))


def keep_secret(session: Session, dossier_id: int, code: str, secret: str, at: datetime) -> None:
    _KEEP.execute(connection(session), {"dossier_id": dossier_id, "secret_hash": _digest(code, secret),
                                         "created_at": at})


_UNKNOWN = "0" * 64


def find_dossier(session: Session, code: str, secret: str) -> int | None:
    """The dossier with this code and secret; None alike for an unknown code and a wrong secret."""
    code = normal_code(code)
    row = session.execute(select(Dossier.id, TrackingSecret.secret_hash)
                          .join(TrackingSecret, TrackingSecret.dossier_id == Dossier.id)
                          .where(Dossier.code == code)).first() if code else None
    matches = hmac.compare_digest(_digest(code, secret[:100]), row.secret_hash if row else _UNKNOWN)
    return row.id if row is not None and matches else None


def dossier_by_code(session: Session, code: str) -> int | None:
    """The id of the dossier of `code` (on the unique index of codes)."""
    code = normal_code(code)
    return session.scalar(select(Dossier.id).where(Dossier.code == code)) if code else None


@dataclass(frozen=True)
class Step:
    name: str
    role: str
    at: datetime | None  # done at; None while under way
    awaits_applicant: bool = False


@dataclass(frozen=True)
class Awaited:
    """A step that waits on the applicant, with what the office asked for."""

    kind: str  # "supplement" | "fee"
    task_id: str
    name: str
    since: datetime | None
    asked: list[str]
    asked_items: list[str]  # the checklist keys of the papers asked for
    fee: Any = None


@dataclass(frozen=True)
class Coming:
    """A paper the dossier will have within seconds: its title and the number it was given."""

    kind: str
    title: str
    number: str


def coming_papers(session: Session, dossier_id: int) -> list[Coming]:
    """The papers of the dossier still waiting in the outbox (engine.onestop.paperwork.enqueue)."""
    payloads = session.scalars(select(OutboxEntry.payload).where(
        OutboxEntry.dossier_id == dossier_id, OutboxEntry.kind == PAPER,
        OutboxEntry.status.in_((OutboxStatus.PENDING, OutboxStatus.RUNNING))).order_by(OutboxEntry.id))
    return [Coming(p["kind"], KINDS[p["kind"]].title, str(p.get("number") or "")) for p in payloads
            if p.get("kind") in KINDS]


@dataclass(frozen=True)
class TrackedDossier:
    dossier_id: int
    code: str
    process_id: str
    facts: ProcedureFacts
    status: str
    channel: str
    received_at: datetime
    finished_at: datetime | None
    clock: ClockState | None
    # When the result is promised: the legal total, or before the clock starts the total counted from
    # receipt (as the receipt slip says); None while the clock is stopped (the date moves on resume).
    appointment_at: datetime | None
    done: list[Step]
    under_way: list[Step]
    awaited: list[Awaited]
    documents: list[Document]
    fee_proof_sent: bool
    # Papers numbered but not made yet (the outbox makes them right after the command, within seconds).
    coming: list[Coming] = field(default_factory=list)

    @property
    def results(self) -> list[Document]:
        return [d for d in self.documents if KINDS.get(d.kind) and KINDS[d.kind].result]


def _missing(facts: ProcedureFacts, data: dict[str, Any]) -> list[tuple[str | None, str]]:
    """The papers a check found missing, as (checklist key or None, what the applicant reads): rows of the
    shared form's table (item, issue), or checklist keys ticked in a procedure's own form."""
    missing = []
    for row in data.get("missing_items") or []:
        entry, issue = (row.get("item", ""), row.get("issue", "")) if isinstance(row, dict) else (row, "")
        item = facts.item(str(entry))
        label = item.label["vi"] if item else str(entry)
        missing.append((item.key if item else None, f"{label}: {issue}" if issue else label))
    return missing


def _asked(facts: ProcedureFacts, data: dict[str, Any]) -> list[str]:
    """What a supplement request asks, in the applicant's words: the missing papers, then the letter."""
    lines = [line for _key, line in _missing(facts, data)]
    content = data.get("request_content")
    if isinstance(content, str):
        lines += [line.strip() for line in content.splitlines() if line.strip()]
    return lines


class Appointed(Protocol):
    """What the appointment needs of a dossier (the ORM row, or the columns a caller read)."""

    @property
    def total_due_at(self) -> datetime | None: ...

    @property
    def received_at(self) -> datetime | None: ...

    @property
    def created_at(self) -> datetime: ...


def promised_at(dossier: Appointed, facts: ProcedureFacts, calendar: Callable[[], BusinessCalendar], *,
                clock_started: bool) -> datetime | None:
    """The day the result is promised: the legal clock's total, or before the clock starts the procedure's total
    counted from receipt (e.g. TT 2 d) "kể từ ngày tiếp nhận hồ sơ"). The calendar is asked for only then (it
    may be a query)."""
    if dossier.total_due_at is not None or clock_started or facts.total is None:
        return dossier.total_due_at
    return calendar().due_at(dossier.received_at or dossier.created_at, facts.total)


def track(
    session: Session, dossier_id: int, ready: list[ReadyTask], now: datetime, calendar: BusinessCalendar
) -> TrackedDossier | None:
    """The applicant's view of a dossier; `ready` are its ready tasks (DossierService.ready_tasks)."""
    file = load_dossier_file(session, dossier_id, now, calendar)
    if file is None:
        return None
    dossier = file.dossier
    catalogue = session.scalar(select(ProcessDefinition.catalogue)
                               .where(ProcessDefinition.id == dossier.definition_id)) or {}
    facts = facts_from_mapping(dossier.process_id, catalogue.get("procedure") or {}, file.procedure_name)
    items = {i.task_id: i for i in file.work_items}
    awaited = []
    for task in ready:
        kind = {SUPPLEMENT_FORM: "supplement", FEE_FORM: "fee"}.get(task.form or "")
        if kind is None:
            continue
        item = items.get(task.id)
        supplement = kind == "supplement"
        awaited.append(Awaited(
            kind, task.id, task.name, item.created_at if item else None,
            _asked(facts, task.data) if supplement else [],
            [key for key, _line in _missing(facts, task.data) if key] if supplement else [],
            task.data.get("fee_notified", task.data.get("fee_amount")) if kind == "fee" else None,
        ))
    received_at = dossier.received_at or dossier.created_at
    appointment_at = promised_at(dossier, facts, lambda: calendar, clock_started=file.clock is not None)
    fee_since = next((a.since for a in awaited if a.kind == "fee"), None)
    proof_sent = fee_since is not None and any(
        a.item == FEE_PROOF_ITEM and a.uploaded_at >= fee_since for a in file.attachments)
    return TrackedDossier(
        dossier_id=dossier.id, code=dossier.code or "", process_id=dossier.process_id, facts=facts,
        status=dossier.status, channel=dossier.channel, received_at=received_at,
        finished_at=dossier.finished_at, clock=file.clock, appointment_at=appointment_at,
        done=sorted((Step(i.name, i.role, i.closed_at) for i in file.work_items
                     if i.status == WorkItemStatus.COMPLETED), key=lambda s: (s.at is None, s.at)),
        under_way=[Step(i.name, i.role, None, i.task_id in {a.task_id for a in awaited})
                   for i in file.work_items if i.status == WorkItemStatus.OPEN],
        awaited=awaited, documents=file.documents, fee_proof_sent=proof_sent,
        coming=coming_papers(session, dossier.id),
    )
