"""What a supervisor does to a dossier's work: hand a work item, or an officer's whole queue, to another
officer of the same role, and remind the officers holding a dossier. Every action is audited and the
officers concerned get an alert (in the app and by mail). The caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.absence import absent_today
from engine.access.user import User, find_user
from engine.oversight import alerts
from engine.runtime import audit
from engine.runtime.dossier import Dossier
from engine.runtime.errors import InvalidData, NotFound
from engine.runtime.work_item import IS_OPEN, WorkItem, WorkItemStatus


@dataclass(frozen=True)
class Moved:
    moved: int
    kept: int  # items the new officer cannot take (they lack the item's role)


def _officer(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None or not user.active:
        raise InvalidData(f"no active officer {username!r}", fields={"to": "unknown"})
    away = absent_today(session, username)
    if away is not None:
        raise InvalidData(f"{username} is absent until {away.ends_on}; {away.delegate} acts for them",
                          fields={"to": "absent"})
    return user


def _label(session: Session, dossier_id: int) -> str:
    dossier = session.get(Dossier, dossier_id)
    return (dossier.code or f"#{dossier_id}") if dossier else f"#{dossier_id}"


def _hand_over(session: Session, item: WorkItem, to: User, actor: str, reason: str) -> None:
    previous = item.assignee
    item.assignee = to.username
    audit.record(session, actor=actor, command="reassign", dossier_id=item.dossier_id, task_id=item.task_id,
                 task_name=item.name, data={"from": previous, "to": to.username, "reason": reason})
    code = _label(session, item.dossier_id)
    alerts.notify(session, [alerts.Recipient(to.username, to.email)], kind="reassigned", actor=actor,
                  dossier_id=item.dossier_id, subject=f"Được giao xử lý: {item.name} — hồ sơ {code}",
                  body=f"{actor} giao cho bạn bước “{item.name}” của hồ sơ {code}"
                       f"{f' (trước đây: {previous})' if previous else ''}.{f' Lý do: {reason}' if reason else ''}\n"
                       f"Xem: {alerts.link(f'/tasks/{item.id}')}")


def reassign_item(session: Session, item_id: int, to_username: str, actor: str, reason: str = "") -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None or item.status != WorkItemStatus.OPEN:
        raise NotFound("no such open work item")
    to = _officer(session, to_username)
    if item.role not in to.roles:
        raise InvalidData(f"{to.username} does not hold the role {item.role} this step needs",
                          fields={"to": "role"})
    _hand_over(session, item, to, actor, reason.strip())
    return item


def reassign_queue(session: Session, from_username: str, to_username: str, actor: str, reason: str = "") -> Moved:
    """Every open item held by one officer goes to another, where the other holds the item's role."""
    to = _officer(session, to_username)
    if to.username == from_username:
        raise InvalidData("choose another officer", fields={"to": "same"})
    items = session.scalars(select(WorkItem).where(IS_OPEN,
                                                   WorkItem.assignee == from_username).order_by(WorkItem.id)).all()
    movable = [i for i in items if i.role in to.roles]
    for item in movable:
        _hand_over(session, item, to, actor, reason.strip())
    return Moved(len(movable), len(items) - len(movable))


def reassign_items(session: Session, item_ids: list[int], to_username: str, actor: str, reason: str = "") -> Moved:
    """Chosen open items go to one officer, those of a role the officer holds; the others stay."""
    to = _officer(session, to_username)
    items = session.scalars(select(WorkItem).where(WorkItem.id.in_(item_ids), WorkItem.status == WorkItemStatus.OPEN)
                            .order_by(WorkItem.id)).all()
    movable = [i for i in items if i.role in to.roles and i.assignee != to.username]
    for item in movable:
        _hand_over(session, item, to, actor, reason.strip())
    return Moved(len(movable), len(items) - len(movable))


def remind(session: Session, dossier_id: int, actor: str, note: str = "") -> list[str]:
    """Alert whoever holds the dossier's open work (its assignees, else its roles); returns their names."""
    items = session.execute(select(WorkItem.assignee, WorkItem.role, WorkItem.name).where(
        WorkItem.dossier_id == dossier_id, WorkItem.status == WorkItemStatus.OPEN)).all()
    if not items:
        raise InvalidData("the dossier has no open work to remind anyone of")
    people = alerts.people(session, usernames=[a for a, _, _ in items if a],
                           roles=[r for a, r, _ in items if not a])
    code = _label(session, dossier_id)
    steps = ", ".join(sorted({n for _, _, n in items}))
    extra = f" {note.strip()}" if note.strip() else ""
    told = alerts.notify(session, people, kind="reminder", actor=actor, dossier_id=dossier_id,
                         subject=f"Nhắc việc: hồ sơ {code}",
                         body=f"{actor} nhắc bạn xử lý hồ sơ {code} (bước: {steps}).{extra}\n"
                              f"Xem hồ sơ: {alerts.link(f'/dossiers/{dossier_id}')}")
    audit.record(session, actor=actor, command="remind", dossier_id=dossier_id,
                 data={"to": told, "note": note.strip()})
    return told
