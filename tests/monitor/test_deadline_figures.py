"""The dashboard's counts from maintained figures equal the counts over the rows themselves, whatever
inserts, updates and deletes moved the rows (the database's triggers keep the figures), at any instant:
deadlines on the thresholds' own day, at them, months before and after."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from engine.legal_time.business_calendar import load_calendar
from engine.oversight.monitoring import Thresholds, clock_counts, workload
from engine.runtime.db import make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.work_item import WorkItem
from tests.monitor.conftest import MONDAY_9AM, deploy

PROCEDURES = ("p_one", "p_two", "p_three")
ROLES = ("specialist", "office_head")
ASSIGNEES = (None, "chuyenvien", "chuyenvien2")
STATUSES = ("running", "running", "running", "completed", "cancelled")
ITEM_STATUSES = ("open", "open", "completed")


def _moment(rng: random.Random, now: datetime) -> datetime | None:
    """Mostly near now (the thresholds' days and their edges), sometimes months away, sometimes none."""
    kind = rng.random()
    if kind < 0.15:
        return None
    if kind < 0.3:
        return now + timedelta(days=rng.randint(-400, 400))
    if kind < 0.4:
        return datetime.combine(now.date() + timedelta(days=rng.randint(-1, 5)), datetime.min.time(), now.tzinfo)
    return now + timedelta(minutes=rng.randint(-3 * 1440, 6 * 1440))


def _expected(session, t: Thresholds) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    clocks: dict[str, Counter] = {}
    for process_id, paused, due, total in session.execute(
            select(Dossier.process_id, Dossier.clock_paused, Dossier.due_at, Dossier.total_due_at)
            .where(Dossier.status == "running")):
        deadline = min([d for d in (due, total) if d is not None], default=None)
        state = t.state(deadline, paused)
        clocks.setdefault(process_id, Counter())[state.value] += 1
    loads: dict[tuple, list] = {}
    for role, assignee, due, created in session.execute(
            select(WorkItem.role, WorkItem.assignee, WorkItem.due_at, WorkItem.created_at)
            .where(WorkItem.status == "open")):
        load = loads.setdefault((role, assignee), [0, 0, 0, created])
        load[0] += 1
        load[1] += due is not None and t.now < due <= t.soon
        load[2] += due is not None and due <= t.now
        load[3] = min(load[3], created)
    return clocks, {k: tuple(v) for k, v in loads.items()}


def _shown(session, t: Thresholds) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    clocks = {c.process_id: Counter({s: getattr(c, s) for s in ("on_track", "due_soon", "overdue", "paused")
                                     if getattr(c, s)}) for c in clock_counts(session, t)}
    loads = {(w.role, w.assignee): (w.open, w.due_soon, w.overdue, w.oldest) for w in workload(session, t)}
    return clocks, loads


def test_counts_from_figures_equal_counts_over_the_rows(db: Engine) -> None:
    deploy(db)
    rng = random.Random(16)
    now = MONDAY_9AM
    write = make_session_factory(db, write=True)
    with write() as session:
        definition = session.scalar(select(ProcessDefinition.id))
        session.execute(insert(Dossier), [
            {"id": i, "process_id": rng.choice(PROCEDURES), "definition_id": definition,
             "status": rng.choice(STATUSES), "title": f"Hồ sơ {i}", "channel": "desk", "state": "", "summary": {},
             "created_at": now, "created_by": "t", "updated_at": now, "version": 1,
             "clock_paused": rng.random() < 0.2, "due_at": _moment(rng, now), "total_due_at": _moment(rng, now)}
            for i in range(1, 301)])
        session.execute(insert(WorkItem), [
            {"id": i, "dossier_id": rng.randint(1, 300), "task_id": f"t-{i}", "task_spec": "check", "name": "Kiểm tra",
             "role": rng.choice(ROLES), "assignee": rng.choice(ASSIGNEES), "status": rng.choice(ITEM_STATUSES),
             "created_at": now - timedelta(hours=rng.randint(0, 2000)), "due_at": _moment(rng, now)}
            for i in range(1, 401)])
        session.commit()
    for _ in range(120):  # commands of every kind, each its own transaction
        with write() as session:
            dossier, item = rng.randint(1, 300), rng.randint(1, 400)
            change = rng.randrange(6)
            if change == 0:
                session.execute(update(Dossier).where(Dossier.id == dossier).values(
                    due_at=_moment(rng, now), total_due_at=_moment(rng, now)))
            elif change == 1:
                session.execute(update(Dossier).where(Dossier.id == dossier).values(
                    status=rng.choice(STATUSES), clock_paused=rng.random() < 0.3, process_id=rng.choice(PROCEDURES)))
            elif change == 2:
                session.execute(update(WorkItem).where(WorkItem.id == item).values(
                    due_at=_moment(rng, now), assignee=rng.choice(ASSIGNEES)))
            elif change == 3:
                session.execute(update(WorkItem).where(WorkItem.id == item).values(
                    status=rng.choice(ITEM_STATUSES), role=rng.choice(ROLES)))
            elif change == 4:
                session.execute(delete(WorkItem).where(WorkItem.id == item))
            else:
                session.execute(update(WorkItem).where(WorkItem.dossier_id == dossier).values(
                    due_at=_moment(rng, now)))
            session.commit()
    with make_session_factory(db)() as session:
        calendar = load_calendar(session)
        for at in (now, now + timedelta(hours=15), now + timedelta(days=2, minutes=7), now - timedelta(days=40)):
            t = Thresholds.at(at, calendar)
            assert _shown(session, t) == _expected(session, t), at
        assert any(_expected(session, Thresholds.at(now, calendar))[0].values())
