"""Calendar overrides: the Government's yearly decisions on days off and Saturdays worked, kept as data.

The Labour Code 2019 fixes the public holidays (art. 112(1)) and the compensating day off when one falls on
the weekly rest day (art. 111(3)); the Prime Minister decides each year which days make up the Tết and
National Day holidays (art. 112(3)), and the Government swaps working days to bridge long weekends
("hoán đổi ngày làm việc"). Those decisions change every year, so an administrator records them here and
they win over the rules of engine.legal_time.business_calendar.

The service functions add and flush but never commit: the caller's unit of work owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.legal_time.clock import clock
from engine.runtime.db import Base


class OverrideKind(StrEnum):
    DAY_OFF = "day_off"
    WORKING_DAY = "working_day"


@dataclass(frozen=True)
class Override:
    """One decided day, as the pure calendar sees it."""

    day: date
    kind: OverrideKind
    reason: str


class CalendarOverride(Base):
    __tablename__ = "calendar_override"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The column is named `date` as the domain says; the attribute is `day` so it does not hide the type.
    day: Mapped[date] = mapped_column("date", unique=True)
    kind: Mapped[OverrideKind] = mapped_column(
        Enum(
            OverrideKind,
            native_enum=False,
            create_constraint=True,
            length=16,
            name="kind",
            values_callable=lambda kinds: [k.value for k in kinds],
        )
    )
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]

    def as_override(self) -> Override:
        return Override(self.day, OverrideKind(self.kind), self.reason)


def add_override(
    session: Session, day: date, kind: OverrideKind | str, reason: str, created_by: str
) -> CalendarOverride:
    """Record a decided day off or working day; one override per date (remove the old one to change it)."""
    kind = OverrideKind(kind)
    reason = reason.strip()
    if not reason:
        raise ValueError(f"give the reason for the override on {day.isoformat()} (e.g. the decision)")
    existing = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if existing is not None:
        raise ValueError(
            f"{day.isoformat()} already has an override ({existing.kind}: {existing.reason}); remove it first"
        )
    override = CalendarOverride(
        day=day, kind=kind, reason=reason, created_by=created_by, created_at=clock.now()
    )
    session.add(override)
    session.flush()
    return override


def remove_override(session: Session, day: date) -> None:
    override = session.scalar(select(CalendarOverride).where(CalendarOverride.day == day))
    if override is None:
        raise LookupError(f"there is no override on {day.isoformat()}")
    session.delete(override)
    session.flush()


def list_overrides(session: Session, year: int | None = None) -> list[CalendarOverride]:
    query = select(CalendarOverride).order_by(CalendarOverride.day)
    if year is not None:
        query = query.where(CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)))
    return list(session.scalars(query))
