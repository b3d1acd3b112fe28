"""Alerts: notices to the platform's own people (officers, heads, supervisors) shown in the app and, when
asked, mailed to them.

An alert is written in the transaction of what caused it (an escalation, a reminder, a reassignment); the
mail goes afterwards through an outbox (`deliver`), so a mail server that is down delays the mail and
never undoes the escalation. Mailing is at least once: a worker that dies between sending and recording
leaves the alert to be sent again once its claim expires.
"""

from __future__ import annotations

import enum
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from sqlalchemy import ForeignKey, Index, String, Text, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from engine.access.user import User, UserRole
from engine.legal_time.clock import clock
from engine.onestop.notifications import Sent, SmtpSettings, send
from engine.runtime.db import Base

# A mail being sent is taken back by another worker after this long (its sender died meanwhile).
SENDING_LEASE = timedelta(minutes=10)
NO_SERVER = "no SMTP server configured (MOTCUA_SMTP_HOST)"


class MailStatus(enum.StrEnum):
    NONE = "none"  # in the app only
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Alert(Base):
    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_recipient", "recipient", "read_at", "id"),
        Index("ix_alert_mail", "mail_status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))  # a user name
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    kind: Mapped[str] = mapped_column(String(30))  # due_soon, overdue, reminder, reassigned
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    read_at: Mapped[datetime | None]
    email: Mapped[str | None] = mapped_column(String(200))
    mail_status: Mapped[str] = mapped_column(String(10), default=MailStatus.NONE)
    mailed_at: Mapped[datetime | None]  # when sent, or when a worker took it to send
    mail_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))


def link(path: str) -> str:
    """A page of the app as a mail can point to it: MOTCUA_PUBLIC_URL (e.g. https://motcua.dost.dongnai.gov.vn)
    before the path, when set."""
    return os.environ.get("MOTCUA_PUBLIC_URL", "").rstrip("/") + path


@dataclass(frozen=True)
class Recipient:
    username: str
    email: str


_ALERT = Alert.__table__


def people(session: Session, *, usernames: Iterable[str] = (), roles: Iterable[str] = ()) -> list[Recipient]:
    """The active users named, and the active holders of the roles, each once, by user name."""
    usernames, roles = sorted(set(usernames)), sorted(set(roles))
    if not usernames and not roles:
        return []
    wanted = []
    if usernames:
        wanted.append(User.username.in_(usernames))
    if roles:
        wanted.append(User.id.in_(select(UserRole.user_id).where(UserRole.role.in_(roles))))
    rows = session.execute(select(User.username, User.email).where(User.active.is_(True), or_(*wanted))
                           .order_by(User.username))
    return [Recipient(name, email or "") for name, email in rows]


def notify(
    session: Session, recipients: Iterable[Recipient], *, kind: str, subject: str, body: str, actor: str,
    dossier_id: int | None = None, mail: bool = True, in_app_only: Iterable[Recipient] = (),
) -> list[str]:
    """One alert per recipient, queued for mail (when `mail` and they have an address), and one in the app
    only for each of `in_app_only`; returns who was told. The caller commits."""
    now = clock.now()
    rows = [
        {"recipient": r.username, "dossier_id": dossier_id, "kind": kind, "subject": subject[:300], "body": body,
         "created_at": now, "created_by": actor, "email": r.email or None,
         "mail_status": MailStatus.PENDING if mailed and r.email else MailStatus.NONE}
        for group, mailed in ((recipients, mail), (in_app_only, False)) for r in group
    ]
    if rows:
        session.connection().execute(_INSERT, rows)
    return [r["recipient"] for r in rows]


def unread_count(session: Session, username: str) -> int:
    return session.scalar(select(func.count()).where(Alert.recipient == username, Alert.read_at.is_(None))) or 0


def recent(session: Session, username: str, limit: int = 30) -> list[Alert]:
    return list(session.scalars(select(Alert).where(Alert.recipient == username)
                                .order_by(Alert.id.desc()).limit(limit)))


def mark_read(session: Session, username: str) -> int:
    return session.execute(update(_ALERT).where(_ALERT.c.recipient == username, _ALERT.c.read_at.is_(None))
                           .values(read_at=clock.now())).rowcount


def compose(settings: SmtpSettings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1] or socket.getfqdn())
    message.set_content(body + "\n\n(Thư được gửi tự động từ hệ thống một cửa, xin không trả lời thư này.)\n")
    return message


@dataclass(frozen=True)
class Delivered:
    taken: int
    sent: int


def deliver(session_factory: sessionmaker, smtp: SmtpSettings | None, limit: int = 50) -> Delivered:
    """Mail up to `limit` queued alerts. Workers may run this side by side."""
    now = clock.now()
    with session_factory() as session:
        taken = session.execute(
            select(_ALERT.c.id, _ALERT.c.email, _ALERT.c.subject, _ALERT.c.body)
            .where(or_(_ALERT.c.mail_status == MailStatus.PENDING,
                       (_ALERT.c.mail_status == MailStatus.SENDING) & (_ALERT.c.mailed_at < now - SENDING_LEASE)))
            .order_by(_ALERT.c.id).limit(limit).with_for_update(skip_locked=True)
        ).all()
        if taken:
            session.execute(update(_ALERT).where(_ALERT.c.id.in_([t.id for t in taken]))
                            .values(mail_status=MailStatus.SENDING, mailed_at=now))
        session.commit()
    results = []
    for alert in taken:
        if smtp is None:
            sent = Sent(alert.email, alert.subject, None, NO_SERVER)
        else:
            sent = send(smtp, compose(smtp, alert.email, alert.subject, alert.body))
        results.append({"p_id": alert.id, "mail_status": MailStatus.SENT if sent.ok else MailStatus.FAILED,
                        "message_id": sent.message_id, "mail_error": sent.error, "mailed_at": clock.now()})
    if results:
        with session_factory() as session:
            session.connection().execute(_RECORD_MAIL, results)
            session.commit()
    return Delivered(len(results), sum(r["mail_status"] == MailStatus.SENT for r in results))


_INSERT = insert(_ALERT)
_RECORD_MAIL = update(_ALERT).where(_ALERT.c.id == bindparam("p_id"))
