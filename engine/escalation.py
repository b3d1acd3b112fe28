"""Escalation: who hears of a dossier when its legal clock reaches a milestone (engine.milestones).

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

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import alerts, audit
from engine.business_calendar import BusinessCalendar
from engine.clock import clock
from engine.db import Base
from engine.definition import ProcessDefinition
from engine.dossier import Dossier, DossierStatus
from engine.legal_clock import LegalClock
from engine.milestones import Milestone, deadline, key, next_milestone_at, reached
from engine.roles import BY_CODE
from engine.vietnamese_text import last_day
from engine.work_item import WorkItem, WorkItemStatus

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


def recipients(session: Session, dossier_id: int, chosen: list[Rule]) -> tuple[list[alerts.Recipient],
                                                                               list[alerts.Recipient]]:
    """Who the rules name for this dossier: (by e-mail and in the app, in the app only)."""
    items = session.execute(select(WorkItem.assignee, WorkItem.role).where(
        WorkItem.dossier_id == dossier_id, WorkItem.status == WorkItemStatus.OPEN)).all()
    holders = {"usernames": {a for a, _ in items if a}, "roles": {r for a, r in items if not a}}

    def named(rule: Rule) -> list[alerts.Recipient]:
        if rule.notify == ASSIGNEE:
            return alerts.people(session, usernames=holders["usernames"], roles=holders["roles"])
        return alerts.people(session, roles=[rule.notify])

    mailed = {p.username: p for rule in chosen if rule.by_email for p in named(rule)}
    app_only = {p.username: p for rule in chosen if not rule.by_email for p in named(rule)
                if p.username not in mailed}
    return list(mailed.values()), list(app_only.values())


def _message(dossier: Any, procedure: str, phase: str | None, milestone: Milestone, due: datetime) -> tuple[str, str]:
    code = dossier.code or f"#{dossier.id}"
    day = last_day(due).strftime("%d/%m/%Y")
    subject = f"[{LABELS[milestone]}] Hồ sơ {code} — hạn {day}"
    verb = "sắp đến hạn" if milestone is Milestone.DUE_SOON else "đã quá hạn"
    body = (f"Hồ sơ {code} ({dossier.title}), thủ tục {procedure}, {verb} giải quyết"
            f"{f' ở bước {phase}' if phase else ''}: hạn cuối ngày {day}.\n"
            f"Xem hồ sơ: /dossiers/{dossier.id} — giám sát: /supervisor/dossiers/{dossier.id}")
    if milestone is Milestone.DUE_SOON:
        body += ("\nNếu hồ sơ sẽ trễ hạn, thư xin lỗi và hẹn lại ngày trả kết quả đã được chuẩn bị để ký "
                 "(Nghị định 61/2018/NĐ-CP, điều 19): gửi trước ngày hết hạn, hẹn lại một lần.")
    return subject, body


_DOSSIER = Dossier.__table__
_MILESTONE_COLUMNS = select(
    _DOSSIER.c.id, _DOSSIER.c.code, _DOSSIER.c.title, _DOSSIER.c.process_id, _DOSSIER.c.status,
    _DOSSIER.c.legal_clock, _DOSSIER.c.due_at, _DOSSIER.c.total_due_at, _DOSSIER.c.clock_paused,
    _DOSSIER.c.milestones_fired,
)


def escalate_due_milestones(session: Session, dossier_id: int, calendar: BusinessCalendar,
                            rule_set: list[Rule] | None = None) -> list[str]:
    """Escalate the milestone the dossier's clock has reached, if any; returns the keys escalated. The
    caller holds the dossier (the scheduler's claim) and commits.

    When several are reached at once (a dossier the scheduler had not seen since before its due-soon
    day), only the gravest is escalated: a "due soon" notice about a late dossier would only mislead.
    """
    now = clock.now()
    row = session.execute(_MILESTONE_COLUMNS.where(_DOSSIER.c.id == dossier_id)).one()
    fired = list(row.milestones_fired or [])
    running = row.status == DossierStatus.RUNNING
    phase = LegalClock.from_dict(row.legal_clock).current_phase if row.legal_clock else None
    due = deadline(row.due_at, row.total_due_at)
    new: list[Milestone] = []
    if running and not row.clock_paused and due is not None:
        new = reached(phase, due, fired, now, calendar)
    if new:
        gravest = new[-1]
        chosen = rules_for(rule_set if rule_set is not None else rules(session), phase, gravest)
        mailed, app_only = recipients(session, dossier_id, chosen)
        procedure = session.scalar(select(ProcessDefinition.name).where(
            ProcessDefinition.process_id == row.process_id).order_by(ProcessDefinition.version.desc()).limit(1))
        subject, body = _message(row, procedure or row.process_id, phase, gravest, due)
        told = alerts.notify(session, mailed, kind=gravest, subject=subject, body=body, actor="timer",
                             dossier_id=dossier_id)
        told += alerts.notify(session, app_only, kind=gravest, subject=subject, body=body, actor="timer",
                              dossier_id=dossier_id, mail=False)
        fired += [key(phase, m) for m in new]
        audit.record(session, actor="timer", command="escalate", dossier_id=dossier_id,
                     data={"milestone": key(phase, gravest), "due": due.isoformat(), "notified": told})
    session.execute(update(_DOSSIER).where(_DOSSIER.c.id == dossier_id).values(
        milestones_fired=fired,
        next_milestone_at=next_milestone_at(phase, row.due_at, row.total_due_at, running=running,
                                            paused=row.clock_paused, fired=fired, calendar=calendar)))
    return [key(phase, new[-1])] if new else []
