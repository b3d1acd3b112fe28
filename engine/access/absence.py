"""An officer's absence: for a range of days a colleague of the same role acts for them. While it lasts the
colleague may complete and release the steps the absent officer holds, and nothing new is handed to the
absent officer. Recorded and withdrawn with an audit event; the caller commits.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.access.roles import BY_CODE
from engine.access.user import User, find_user
from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.runtime import audit
from engine.runtime.db import Base
from engine.runtime.errors import InvalidData

# An absence is a leave, not a transfer: a year at most.
LONGEST_DAYS = 366


class Absence(Base):
    __tablename__ = "absence"
    __table_args__ = (Index("ix_absence_username", "username", "ends_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    delegate: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]


def today() -> date:
    return clock.now().astimezone(ZONE).date()


def _acting_roles(user: User) -> set[str]:
    return {r for r in user.roles if BY_CODE[r].acts_on_dossiers}


def record_absence(
    session: Session, username: str, delegate: str, starts_on: date, ends_on: date, actor: str, reason: str = ""
) -> Absence:
    """Refused with a reason code per field: `unknown`, `same`, `role`, `order`, `past`, `long`, `overlap`."""
    problems: dict[str, str] = {}
    absent, colleague = find_user(session, username), find_user(session, delegate)
    if absent is None or not absent.active:
        problems["username"] = "unknown"
    if colleague is None or not colleague.active:
        problems["delegate"] = "unknown"
    elif delegate == username:
        problems["delegate"] = "same"
    elif absent is not None and not _acting_roles(absent) <= colleague.roles:
        problems["delegate"] = "role"  # the colleague must be able to do every step the officer may hold
    if ends_on < starts_on:
        problems["ends_on"] = "order"
    elif ends_on < today():
        problems["ends_on"] = "past"
    elif (ends_on - starts_on).days >= LONGEST_DAYS:
        problems["ends_on"] = "long"
    if not problems and session.scalar(select(Absence.id).where(
            Absence.username == username, Absence.starts_on <= ends_on, Absence.ends_on >= starts_on)):
        problems["starts_on"] = "overlap"
    if problems:
        raise InvalidData("the absence was not recorded", fields=problems)
    row = Absence(username=username, delegate=delegate, starts_on=starts_on, ends_on=ends_on,
                  reason=reason.strip()[:300], created_by=actor, created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, command="absence", data={
        "username": username, "delegate": delegate, "from": starts_on.isoformat(), "to": ends_on.isoformat()})
    return row


def withdraw_absence(session: Session, absence_id: int, actor: str) -> None:
    row = session.get(Absence, absence_id)
    if row is None:
        raise InvalidData("no such absence", fields={"absence": "unknown"})
    audit.record(session, actor=actor, command="absence_withdrawn", data={
        "username": row.username, "delegate": row.delegate, "from": row.starts_on.isoformat(),
        "to": row.ends_on.isoformat()})
    session.delete(row)


def absent_today(session: Session, username: str) -> Absence | None:
    day = today()
    return session.scalar(select(Absence).where(Absence.username == username, Absence.starts_on <= day,
                                                Absence.ends_on >= day))


def acting_for(session: Session, delegate: str) -> set[str]:
    """The officers `delegate` stands in for today."""
    day = today()
    return set(session.scalars(select(Absence.username).where(
        Absence.delegate == delegate, Absence.starts_on <= day, Absence.ends_on >= day)))


def absences(session: Session, username: str | None = None) -> list[Absence]:
    """Current and coming absences (of one officer, or everyone's), soonest first."""
    query = select(Absence).where(Absence.ends_on >= today())
    if username is not None:
        query = query.where((Absence.username == username) | (Absence.delegate == username))
    return list(session.scalars(query.order_by(Absence.starts_on, Absence.id)))
