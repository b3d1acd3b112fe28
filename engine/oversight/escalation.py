"""Escalation: who hears of a dossier when its legal clock reaches a milestone (engine.legal_time.milestones).

Rules are data a supervisor edits: for a phase (or `*`, every phase) and a milestone, notify the officers
holding the dossier's open work (`assignee`: the officer who claimed it, else everyone of its role) or
every holder of a role (`office_head`, `supervisor`, …), in the app and, when the rule says so, by e-mail.
A phase with rules of its own for a milestone uses only those; the others use the `*` rules. Until a
supervisor saves a rule, DEFAULT_RULES apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.access.roles import BY_CODE
from engine.access.user import User
from engine.legal_time.business_calendar import BusinessCalendar, load_calendar
from engine.legal_time.clock import clock
from engine.legal_time.legal_clock import LegalClock
from engine.legal_time.milestones import Milestone, deadline, key, next_milestone_at, reached
from engine.onestop.vietnamese_text import last_day
from engine.oversight import alerts
from engine.runtime import audit
from engine.runtime.db import Base
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.work_item import WorkItem, WorkItemStatus

ASSIGNEE = "assignee"
ANY_PHASE = "*"
LABELS = {Milestone.DUE_SOON: "Sắp đến hạn", Milestone.OVERDUE: "Quá hạn"}


class EscalationRule(Base):
    __tablename__ = "escalation_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(100), default=ANY_PHASE)
    milestone: Mapped[str] = mapped_column(String(20))
    notify: Mapped[str] = mapped_column(String(100))  # ASSIGNEE or a role code
    by_email: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))


@dataclass(frozen=True)
class Rule:
    phase: str
    milestone: Milestone
    notify: str
    by_email: bool
    id: int | None = None


DEFAULT_RULES = (
    Rule(ANY_PHASE, Milestone.DUE_SOON, ASSIGNEE, True),
    Rule(ANY_PHASE, Milestone.DUE_SOON, "supervisor", False),
    Rule(ANY_PHASE, Milestone.OVERDUE, ASSIGNEE, True),
    Rule(ANY_PHASE, Milestone.OVERDUE, "office_head", True),
    Rule(ANY_PHASE, Milestone.OVERDUE, "supervisor", True),
)


def rules(session: Session) -> list[Rule]:
    rows = session.scalars(select(EscalationRule).order_by(EscalationRule.phase, EscalationRule.milestone,
                                                           EscalationRule.id)).all()
    if not rows:
        return list(DEFAULT_RULES)
    return [Rule(r.phase, Milestone(r.milestone), r.notify, r.by_email, r.id) for r in rows]


def check_rule(phase: str, milestone: str, notify: str) -> Rule:
    phase = phase.strip() or ANY_PHASE
    if milestone not in set(Milestone):
        raise ValueError(f"unknown milestone {milestone!r}")
    if notify != ASSIGNEE and notify not in BY_CODE:
        raise ValueError(f"notify {notify!r} is neither {ASSIGNEE!r} nor a role")
    return Rule(phase[:100], Milestone(milestone), notify, True)


def add_rule(session: Session, rule: Rule, actor: str) -> None:
    """Save a rule; the first saved rule starts from a copy of the defaults, so nothing silently stops."""
    now = clock.now()
    start = [] if session.scalar(select(EscalationRule.id).limit(1)) is not None else list(DEFAULT_RULES)
    for r in (*start, rule):
        session.add(EscalationRule(phase=r.phase, milestone=r.milestone, notify=r.notify, by_email=r.by_email,
                                   created_at=now, created_by=actor))
    audit.record(session, actor=actor, command="escalation_rule_add",
                 data={"phase": rule.phase, "milestone": rule.milestone, "notify": rule.notify,
                       "by_email": rule.by_email})


def delete_rule(session: Session, rule_id: int, actor: str) -> bool:
    row = session.get(EscalationRule, rule_id)
    if row is None:
        return False
    audit.record(session, actor=actor, command="escalation_rule_delete",
                 data={"phase": row.phase, "milestone": row.milestone, "notify": row.notify})
    session.delete(row)
    return True


def rules_for(all_rules: list[Rule], phase: str | None, milestone: Milestone) -> list[Rule]:
    own = [r for r in all_rules if r.milestone == milestone and r.phase == (phase or "")]
    return own or [r for r in all_rules if r.milestone == milestone and r.phase == ANY_PHASE]


@dataclass(frozen=True)
class Context:
    """What escalating needs beyond the dossier, read once per scheduler tick: the rules, the people
    (users are few; a dictionary beats a query per dossier) and the procedures' names."""

    rules: list[Rule]
    by_role: dict[str, list[alerts.Recipient]]
    by_name: dict[str, alerts.Recipient]
    procedures: dict[str, str]
    calendar: BusinessCalendar

    @classmethod
    def load(cls, session: Session) -> Context:
        by_role: dict[str, list[alerts.Recipient]] = {}
        by_name = {}
        for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.username)):
            person = alerts.Recipient(user.username, user.email or "")
            by_name[user.username] = person
            for role in user.roles:
                by_role.setdefault(role, []).append(person)
        procedures = dict(session.execute(select(ProcessDefinition.process_id, ProcessDefinition.name)
                                          .order_by(ProcessDefinition.version)).all())
        return cls(rules(session), by_role, by_name, procedures, load_calendar(session))

    def recipients(self, session: Session, dossier_id: int, chosen: list[Rule]) -> tuple[list[alerts.Recipient],
                                                                                       list[alerts.Recipient]]:
        """Who the rules name for this dossier: (by e-mail and in the app, in the app only)."""
        holders: list[alerts.Recipient] = []
        if any(r.notify == ASSIGNEE for r in chosen):
            for assignee, role in session.execute(_HOLDERS, {"p_id": dossier_id}):
                if assignee:
                    holders += [self.by_name[assignee]] if assignee in self.by_name else []
                else:
                    holders += self.by_role.get(role, [])

        def named(rule: Rule) -> list[alerts.Recipient]:
            return holders if rule.notify == ASSIGNEE else self.by_role.get(rule.notify, [])

        mailed = {p.username: p for rule in chosen if rule.by_email for p in named(rule)}
        app_only = {p.username: p for rule in chosen if not rule.by_email for p in named(rule)
                    if p.username not in mailed}
        return sorted(mailed.values(), key=_name), sorted(app_only.values(), key=_name)


def _name(person: alerts.Recipient) -> str:
    return person.username


def _message(dossier: Any, procedure: str, phase: str | None, milestone: Milestone, due: datetime) -> tuple[str, str]:
    code = dossier.code or f"#{dossier.id}"
    day = last_day(due).strftime("%d/%m/%Y")
    subject = f"[{LABELS[milestone]}] Hồ sơ {code} — hạn {day}"
    verb = "sắp đến hạn" if milestone is Milestone.DUE_SOON else "đã quá hạn"
    body = (f"Hồ sơ {code} ({dossier.title}), thủ tục {procedure}, {verb} giải quyết"
            f"{f' ở bước {phase}' if phase else ''}: hạn cuối ngày {day}.\n"
            f"Xem hồ sơ: {alerts.link(f'/dossiers/{dossier.id}')}")
    if milestone is Milestone.DUE_SOON:
        body += ("\nNếu hồ sơ sẽ trễ hạn, thư xin lỗi và hẹn lại ngày trả kết quả đã được chuẩn bị để ký "
                 "(Nghị định 61/2018/NĐ-CP, điều 19): gửi trước ngày hết hạn, hẹn lại một lần: "
                 + alerts.link(f"/supervisor/dossiers/{dossier.id}/apology"))
    return subject, body


_DOSSIER = Dossier.__table__
_MILESTONES = select(
    _DOSSIER.c.id, _DOSSIER.c.code, _DOSSIER.c.title, _DOSSIER.c.process_id, _DOSSIER.c.status,
    _DOSSIER.c.legal_clock, _DOSSIER.c.due_at, _DOSSIER.c.total_due_at, _DOSSIER.c.clock_paused,
    _DOSSIER.c.milestones_fired, _DOSSIER.c.next_milestone_at,
).where(_DOSSIER.c.id == bindparam("p_id"))
_RECORD = update(_DOSSIER).where(_DOSSIER.c.id == bindparam("p_id"))
_HOLDERS = select(WorkItem.__table__.c.assignee, WorkItem.__table__.c.role).where(
    WorkItem.__table__.c.dossier_id == bindparam("p_id"), WorkItem.__table__.c.status == WorkItemStatus.OPEN)


def escalate_due_milestones(session: Session, dossier_id: int, context: Context) -> list[str]:
    """Escalate the milestone the dossier's clock has reached, if any; returns the keys escalated. The
    caller holds the dossier (the scheduler's claim) and commits.

    When several are reached at once (a dossier the scheduler had not seen since before its due-soon
    day), only the gravest is escalated: a "due soon" notice about a late dossier would only mislead.
    """
    now = clock.now()
    row = session.execute(_MILESTONES, {"p_id": dossier_id}).one()
    fired = list(row.milestones_fired or [])
    running = row.status == DossierStatus.RUNNING
    phase = LegalClock.from_dict(row.legal_clock).current_phase if row.legal_clock else None
    due = deadline(row.due_at, row.total_due_at)
    new: list[Milestone] = []
    if running and not row.clock_paused and due is not None:
        new = reached(phase, due, fired, now, context.calendar)
    if new:
        gravest = new[-1]
        mailed, app_only = context.recipients(session, dossier_id, rules_for(context.rules, phase, gravest))
        subject, body = _message(row, context.procedures.get(row.process_id, row.process_id), phase, gravest, due)
        told = alerts.notify(session, mailed, in_app_only=app_only, kind=gravest, subject=subject, body=body,
                             actor="timer", dossier_id=dossier_id)
        fired += [key(phase, m) for m in new]
        audit.record(session, actor="timer", command="escalate", dossier_id=dossier_id,
                     data={"milestone": key(phase, gravest), "due": due.isoformat(), "notified": told})
    following = next_milestone_at(phase, row.due_at, row.total_due_at, running=running, paused=row.clock_paused,
                                  fired=fired, calendar=context.calendar)
    if new or following != row.next_milestone_at:
        session.execute(_RECORD, {"p_id": dossier_id, "milestones_fired": fired, "next_milestone_at": following})
    return [key(phase, new[-1])] if new else []
