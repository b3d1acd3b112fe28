"""Claiming a work item: an officer takes an open item of their role so that colleagues see it is taken.

A claim is one conditional UPDATE (only while nobody holds it), so two officers clicking together cannot
both win. Completing is still open to the role; the claim tells who is on it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from engine.access.absence import acting_for
from engine.runtime import audit
from engine.runtime.errors import Conflict, NotFound
from engine.runtime.work_item import WorkItem, WorkItemStatus


def may_act_for(session: Session, username: str, assignee: str | None) -> bool:
    """Whether `username` may finish or release what `assignee` holds: the same person, or their delegate
    while they are absent (engine.access.absence)."""
    return assignee is None or assignee == username or assignee in acting_for(session, username)


def _open_item(session: Session, item_id: int, roles: set[str]) -> WorkItem:
    item = session.get(WorkItem, item_id)
    if item is None or item.status != WorkItemStatus.OPEN or item.role not in roles:
        raise NotFound("no such open work item among your roles")
    return item


def claim(session: Session, item_id: int, username: str, roles: set[str]) -> WorkItem:
    item = _open_item(session, item_id, roles)
    taken = session.execute(
        update(WorkItem)
        .where(WorkItem.id == item_id, WorkItem.status == WorkItemStatus.OPEN,
               (WorkItem.assignee.is_(None)) | (WorkItem.assignee == username))
        .values(assignee=username)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(item)
    if not taken:
        raise Conflict(f"already claimed by {item.assignee}")
    audit.record(session, actor=username, command="claim", dossier_id=item.dossier_id, task_id=item.task_id,
                 task_name=item.name)
    return item


def release(session: Session, item_id: int, username: str, roles: set[str]) -> WorkItem:
    item = _open_item(session, item_id, roles)
    if item.assignee != username and not may_act_for(session, username, item.assignee):
        raise Conflict("only the officer who claimed the item (or who acts for them) can release it")
    item.assignee = None
    audit.record(session, actor=username, command="release", dossier_id=item.dossier_id, task_id=item.task_id,
                 task_name=item.name)
    return item
