"""Messages from outside systems, and which dossier can catch which message with which key.

A message that arrives before its catcher is ready (a payment confirmed while the officer still drafts the
fee notice) is kept for a bounded time with the dossier it belongs to, and caught by the first command that
finds that catcher waiting, in the same transaction: never lost, never caught twice (its row changes from
kept to delivered in the transaction that hands it over). The sender's message id is unique, so a message
sent twice is taken once.

`MessageSubscription` rows say, per running dossier, which (message, key) pairs it can catch and whether a
catcher waits for it now. They are written by the command that saves the dossier, so the delivery
command finds its dossier by an index instead of loading every workflow.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, delete, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.runtime.db import Base

# How long a message that came early waits for its catcher (a fee confirmed before the notice was
# recorded, an answer before the request was logged): long against such gaps, short against a store of
# forgotten messages.
KEEP_EARLY = timedelta(days=30)
# Messages one dossier threw to another are sent as "dossier:<id>"; outside senders are "api:…" or "cli:…".
INTERNAL_SENDER = "dossier:"


class MessageStatus(enum.StrEnum):
    KEPT = "kept"  # arrived before its catcher was ready
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"  # thrown by a process to a pool where nothing could catch it


class InboundMessage(Base):
    __tablename__ = "inbound_message"
    __table_args__ = (Index("ix_inbound_message_kept", "dossier_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The sender's id for this message: a message sent twice is received once.
    message_id: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sender: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime]
    keep_until: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20))
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    element_id: Mapped[str | None] = mapped_column(String(200))
    delivered_at: Mapped[datetime | None]


class MessageSubscription(Base):
    __tablename__ = "message_subscription"
    __table_args__ = (Index("ix_message_subscription_key", "message", "correlation_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), index=True)
    message: Mapped[str] = mapped_column(String(200))
    correlation_key: Mapped[str] = mapped_column(String(200))
    waiting: Mapped[bool] = mapped_column(default=False)


_MESSAGE = InboundMessage.__table__
_SUBSCRIPTION = MessageSubscription.__table__


def sync_subscriptions(session: Session, dossier_id: int, wanted: dict[tuple[str, str], bool]) -> None:
    """Make the dossier's subscription rows say `wanted`: (message, key) → whether a catcher waits now."""
    conn = session.connection()
    rows = conn.execute(select(_SUBSCRIPTION.c.id, _SUBSCRIPTION.c.message, _SUBSCRIPTION.c.correlation_key,
                               _SUBSCRIPTION.c.waiting).where(_SUBSCRIPTION.c.dossier_id == dossier_id)).all()
    have = {(r.message, r.correlation_key): r for r in rows}
    gone = [r.id for pair, r in have.items() if pair not in wanted]
    if gone:
        conn.execute(delete(_SUBSCRIPTION).where(_SUBSCRIPTION.c.id.in_(gone)))
    for pair, waiting in wanted.items():
        row = have.get(pair)
        if row is None:
            conn.execute(insert(_SUBSCRIPTION).values(dossier_id=dossier_id, message=pair[0],
                                                      correlation_key=pair[1], waiting=waiting))
        elif row.waiting != waiting:
            conn.execute(update(_SUBSCRIPTION).where(_SUBSCRIPTION.c.id == row.id).values(waiting=waiting))


def subscribers(session: Session, message: str, key: str) -> list[tuple[int, bool]]:
    """The dossiers that can catch `message` with `key`, and whether a catcher of theirs waits now."""
    return [(r.dossier_id, r.waiting) for r in session.connection().execute(
        select(_SUBSCRIPTION.c.dossier_id, _SUBSCRIPTION.c.waiting)
        .where(_SUBSCRIPTION.c.message == message, _SUBSCRIPTION.c.correlation_key == key)
        .order_by(_SUBSCRIPTION.c.dossier_id)
    )]


def kept_for(session: Session, dossier_id: int, now: datetime) -> list[InboundMessage]:
    """The messages kept for a dossier that have not run out, oldest first (they are caught in that order)."""
    return list(session.scalars(
        select(InboundMessage)
        .where(InboundMessage.dossier_id == dossier_id, InboundMessage.status == MessageStatus.KEPT,
               InboundMessage.keep_until > now)
        .order_by(InboundMessage.id)
    ))


def received(session: Session, message_id: str) -> InboundMessage | None:
    return session.scalar(select(InboundMessage).where(InboundMessage.message_id == message_id))
