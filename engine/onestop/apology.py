"""The apology letter and new appointment date (Phiếu xin lỗi và hẹn lại ngày trả kết quả) for a dossier
that will be late, and the extension it records.

Decree 61/2018/NĐ-CP art. 19: the agency that will miss the appointment tells the applicant in writing,
before the due date, why, with a new appointment; the appointment is set again only once. So the
platform prepares the letter when the clock is due soon (a draft a supervisor reads, then signs), keeps
one extension per dossier (a unique row), and records whether it was sent before the due date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.access.signatory import signatory
from engine.legal_time.business_calendar import ZONE, BusinessCalendar, Duration, Unit, load_calendar
from engine.legal_time.clock import clock
from engine.onestop.documents import KINDS, Paper, dossier_facts, render_text
from engine.onestop.paperwork import Issued, Paperwork, appointment, paper_context
from engine.onestop.vietnamese_text import last_day
from engine.runtime import audit
from engine.runtime.attachment import Attachment
from engine.runtime.db import Base
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.errors import Conflict, InvalidData, NotFound

# The new date a draft proposes: the old appointment plus this (the supervisor changes it as needed).
PROPOSED_DELAY = Duration(5, Unit.WORKING_DAYS)
# The hour of the day the result is promised for, as the desk's other appointments.
APPOINTMENT_HOUR = time(16, 30)


class DeadlineExtension(Base):
    __tablename__ = "deadline_extension"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"), unique=True)  # once per dossier
    new_appointment_on: Mapped[date]
    previous_appointment_at: Mapped[datetime | None]
    reason: Mapped[str] = mapped_column(Text)
    before_due: Mapped[bool]
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(100))


@dataclass(frozen=True)
class Draft:
    dossier_id: int
    appointment_at: datetime | None  # the promise that will be missed
    proposed_on: date
    reason: str
    text: str  # the letter in the documents' line markup (engine.onestop.documents)
    before_due: bool
    extension: DeadlineExtension | None  # already recorded: no second new date


def extension_of(session: Session, dossier_id: int) -> DeadlineExtension | None:
    return session.scalar(select(DeadlineExtension).where(DeadlineExtension.dossier_id == dossier_id))


def proposed_date(appointment_at: datetime | None, calendar: BusinessCalendar, now: datetime) -> date:
    """PROPOSED_DELAY after the missed appointment, or after today once it has passed."""
    start = last_day(appointment_at) if appointment_at and appointment_at > now else now.astimezone(ZONE).date()
    return calendar.add(start, PROPOSED_DELAY)


def prepare(paperwork: Paperwork, dossier_id: int, actor: str, *, reason: str = "",
            new_day: date | None = None) -> Draft:
    """The letter as it would be signed now, with the proposed (or given) new date."""
    data = paperwork.service.data(dossier_id)
    now = clock.now()
    with paperwork.service.read_session() as session:
        dossier = session.get(Dossier, dossier_id)
        if dossier is None:
            raise NotFound(f"no dossier {dossier_id}")
        calendar = load_calendar(session)
        facts = paperwork.facts(session, dossier)
        promised = appointment(dossier, facts, calendar)
        new_day = new_day or proposed_date(promised, calendar, now)
        agency = paperwork.office.agency
        attachments = list(session.scalars(select(Attachment).where(Attachment.dossier_id == dossier_id)))
        context = paper_context(dossier, facts, data, attachments, signatory(session, actor, agency.portal_name),
                                promised, {"reason": reason or "…", "new_appointment_at": _at(new_day)})
        paper = Paper(KINDS["apology"], f"…/{KINDS['apology'].symbol}-{agency.short}", now, agency,
                      dossier_facts(dossier), data, context)
        return Draft(dossier_id, promised, new_day, reason, render_text(paper),
                     promised is None or now < promised, extension_of(session, dossier_id))


def _at(day: date) -> datetime:
    return datetime.combine(day, APPOINTMENT_HOUR, ZONE)


def sign(paperwork: Paperwork, dossier_id: int, actor: str, *, reason: str, new_day: date) -> Issued:
    """Record the extension (once), issue the signed letter and mail it to the applicant; audited."""
    reason = reason.strip()
    draft = prepare(paperwork, dossier_id, actor, reason=reason, new_day=new_day)
    today = clock.now().astimezone(ZONE).date()
    if not reason:
        raise InvalidData("say why the dossier will be late", fields={"reason": "required"})
    if new_day <= today or (draft.appointment_at is not None and new_day <= last_day(draft.appointment_at)):
        raise InvalidData("the new appointment must come after today and after the missed one",
                          fields={"new_day": "too early"})
    data = paperwork.service.data(dossier_id)
    try:
        # The extension, the letter and its mail in one transaction: no promise without its letter.
        with paperwork.service.command() as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier.status != DossierStatus.RUNNING:
                raise Conflict(f"the dossier is {dossier.status}: there is nothing left to promise")
            extension = DeadlineExtension(
                dossier_id=dossier_id, new_appointment_on=new_day, previous_appointment_at=draft.appointment_at,
                reason=reason, before_due=draft.before_due, recorded_at=clock.now(), recorded_by=actor)
            session.add(extension)
            session.flush()
            audit.record(session, actor=actor, command="extension", dossier_id=dossier_id,
                         data={"new_appointment_on": new_day.isoformat(), "reason": reason,
                               "before_due": draft.before_due,
                               "previous": draft.appointment_at.isoformat() if draft.appointment_at else None})
            document, mail = paperwork.issue_in(session, dossier_id, "apology", actor, data=data,
                                                extra={"reason": reason, "new_appointment_at": _at(new_day)})
            extension.document_id = document.id
    except IntegrityError:
        raise Conflict("this dossier already has its one new appointment date (Decree 61/2018, art. 19)") from None
    return Issued(document.id, "apology", document.number, mail)
