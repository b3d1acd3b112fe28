"""The inbox query: most urgent first, filters, search, seek paging that stays fast at 100,000 open items."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text

from engine.legal_time.business_calendar import load_calendar
from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.inbox import ClockFilter, Cursor, inbox_page, state_counts
from engine.runtime.work_item import WorkItem
from tests.webapp.conftest import MONDAY_9AM, csrf_token, post


def fill(db, count: int, *, roles=("specialist", "office_head"), undated_every: int = 7) -> None:  # type: ignore[no-untyped-def]
    """`count` open items over `count` dossiers: due dates spread from 10 days late to 40 days ahead."""
    with make_session_factory(db, write=True)() as session:
        definition = session.scalar(select(ProcessDefinition.id))
        now = MONDAY_9AM
        dossiers = [{"id": 10_000 + i, "code": f"000.00.19.H19-260302-{i:05d}", "process_id": "licence_web",
                     "definition_id": definition, "status": "running", "title": f"Cơ sở số {i}",
                     "channel": "desk", "state": "", "summary": {}, "created_at": now, "created_by": "t",
                     "updated_at": now, "version": 1, "clock_paused": i % undated_every == 0}
                    for i in range(count)]
        items = [{"dossier_id": 10_000 + i, "task_id": f"t-{i}", "task_spec": "check", "name": "Kiểm tra hồ sơ",
                  "role": roles[i % len(roles)], "status": "open", "created_at": now,
                  "due_at": None if i % undated_every == 0 else now + timedelta(minutes=(i * 7919) % 72_000 - 14_400)}
                 for i in range(count)]
        for start in range(0, count, 10_000):
            session.execute(insert(Dossier), dossiers[start:start + 10_000])
            session.execute(insert(WorkItem), items[start:start + 10_000])
        session.commit()


def walk(session, roles, calendar, **filters):  # type: ignore[no-untyped-def]
    rows, cursor, pages = [], None, 0
    while True:
        page = inbox_page(session, roles, clock.now(), calendar, after=cursor, limit=50, **filters)
        rows += page.rows
        pages += 1
        if page.next is None:
            return rows, pages
        cursor = Cursor.decode(page.next.encode())  # through the URL, as the browser sends it back


def test_paging_visits_every_item_once_most_urgent_first(app) -> None:
    db = app.extensions["motcua"].engine
    fill(db, 700)
    with make_session_factory(db)() as session:
        calendar = load_calendar(session)
        rows, pages = walk(session, {"specialist"}, calendar)
    assert len(rows) == 350 and len({r.item_id for r in rows}) == 350 and pages == 7
    dated = [r.due_at for r in rows if r.due_at is not None]
    assert dated == sorted(dated) and rows[-1].due_at is None  # undated (paused) ones come last
    assert all(r.role == "specialist" for r in rows)
    states = {r.state for r in rows}
    assert states == {ClockFilter.OVERDUE, ClockFilter.DUE_SOON, ClockFilter.ON_TRACK, ClockFilter.PAUSED}


def test_filters_and_search(app) -> None:
    db = app.extensions["motcua"].engine
    fill(db, 300)
    roles = {"specialist", "office_head"}
    with make_session_factory(db)() as session:
        calendar = load_calendar(session)
        for state in ClockFilter:
            rows, _ = walk(session, roles, calendar, state=state)
            assert rows and {r.state for r in rows} == {state}, state
        [row] = inbox_page(session, roles, clock.now(), calendar, search="000.00.19.H19-260302-00042").rows
        assert row.code.endswith("00042")
        by_name = inbox_page(session, roles, clock.now(), calendar, search="số 12").rows
        assert {r.applicant for r in by_name} >= {"Cơ sở số 12", "Cơ sở số 120"}
        assert inbox_page(session, roles, clock.now(), calendar, search="100%").rows == []  # % is literal
        assert inbox_page(session, roles, clock.now(), calendar, process_id="other").rows == []


def test_state_counts_match_the_rows_of_every_page(app) -> None:
    db = app.extensions["motcua"].engine
    fill(db, 300)
    roles = {"specialist", "office_head"}
    with make_session_factory(db)() as session:
        calendar = load_calendar(session)
        for filters in ({}, {"process_id": "licence_web"}, {"search": "số 1"}, {"process_id": "other"}):
            rows, _ = walk(session, roles, calendar, **filters)
            counts = state_counts(session, roles, clock.now(), calendar, **filters)
            assert counts == {s: sum(r.state is s for r in rows) for s in ClockFilter}, filters
        assert state_counts(session, {"specialist"}, clock.now(), calendar)[ClockFilter.PAUSED] == 22


def test_inbox_page_shows_my_roles_items_coloured_by_state(app, client_for) -> None:
    fill(app.extensions["motcua"].engine, 400, roles=("specialist",))
    page = client_for("chuyenvien").get("/inbox?state=overdue").get_data(as_text=True)
    assert "state-on_track" not in page and "Quá hạn" in page
    assert page.count('class="state-overdue"') == 50 and 'rel="next"' in page


@pytest.mark.parametrize("count", [20_000])
def test_a_deep_page_of_20000_open_items_is_one_indexed_read(app, count: int) -> None:
    db = app.extensions["motcua"].engine
    fill(db, count, roles=("specialist",))
    with make_session_factory(db)() as session:
        if db.dialect.name == "postgresql":
            session.execute(text("ANALYZE work_item"))
            session.execute(text("ANALYZE dossier"))
        calendar = load_calendar(session)
        first = inbox_page(session, {"specialist"}, clock.now(), calendar)
        deep = Cursor(first.rows[-1].due_at + timedelta(days=20), 0)
        # How fast it is, `motcua bench --scale` measures; here, that it reads one index in order.
        page = inbox_page(session, {"specialist"}, clock.now(), calendar, after=deep)
        assert len(page.rows) == 50 and all((r.due_at, r.item_id) > (deep.due_at, deep.item_id) for r in page.rows)
        if db.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in session.execute(text(
                "EXPLAIN QUERY PLAN SELECT work_item.id FROM work_item JOIN dossier ON dossier.id = "
                "work_item.dossier_id WHERE work_item.status = 'open' AND work_item.role IN ('specialist') "
                "AND work_item.due_at IS NOT NULL AND work_item.due_at > '2026-03-20' "
                "ORDER BY work_item.due_at, work_item.id LIMIT 51")))
            assert "ix_work_item_inbox" in plan and "TEMP B-TREE" not in plan, plan


def test_claim_from_the_inbox_with_htmx_returns_only_the_cell(app, client_for) -> None:
    fill(app.extensions["motcua"].engine, 3, roles=("specialist",))
    client = client_for("chuyenvien")
    token = csrf_token(client, "/inbox")
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        item = session.scalar(select(WorkItem.id).order_by(WorkItem.id))
    response = client.post(f"/inbox/items/{item}/claim", headers={"HX-Request": "true", "X-CSRFToken": token})
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith("<td") and "chuyenvien" in body
    assert "<html" not in body


def test_each_row_links_its_own_task_file_and_claim(app, client_for) -> None:  # type: ignore[no-untyped-def]
    # The rows' URLs are built once per page and filled with each row's ids (webapp.views.id_url).
    fill(app.extensions["motcua"].engine, 3, roles=("specialist",))
    client = client_for("chuyenvien")
    with make_session_factory(app.extensions["motcua"].engine)() as session:
        items = session.execute(select(WorkItem.id, WorkItem.dossier_id).order_by(WorkItem.id)).all()
    assert post(client, f"/inbox/items/{items[0].id}/claim").status_code == 302
    page = client.get("/inbox").get_data(as_text=True)
    for item_id, dossier_id in items:
        row = re.search(rf'<tr [^>]*data-item="{item_id}".*?</tr>', page, re.S)
        assert row, item_id
        action = "release" if item_id == items[0].id else "claim"
        assert f'href="/tasks/{item_id}"' in row.group(0) and f'href="/dossiers/{dossier_id}"' in row.group(0)
        assert row.group(0).count(f'"/inbox/items/{item_id}/{action}"') == 2  # the form and its htmx post
