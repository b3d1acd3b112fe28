"""The data of `motcua bench --scale N` (webapp.bench): N dossiers of eleven procedures over three years, one
in ten still running (each with an open work item), loaded by the database itself.

The statistics' figures of the loaded dossiers are counted by SQL from the same rows, as the commands
would have kept them (engine.onestop.daily_figures): received on the day of receipt, finished early / on
time / late / returned on the day they finished, and the running ones overdue from the day after their
deadline. The dashboard's figures by deadline (engine.runtime.deadline_figures) are kept by the
database's triggers as the rows go in.
"""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from engine.runtime.db import PackedText

PROCEDURES = 11
DAYS = 3 * 365

# Per generated number i: received i·DAYS/N days before now (newest last), one in ten running; the
# finished ones took 3 to 40 days, against a deadline of 30 days after receipt.
_POSTGRES = {
    "dossiers": """
INSERT INTO dossier (process_id, definition_id, status, title, channel, state, summary, due_at, total_due_at,
                     clock_paused, milestones_fired, created_at, created_by, updated_at, finished_at, version)
SELECT 'procedure_' || (i % 11), :definition,
       CASE WHEN i % 10 = 0 THEN 'running' WHEN i % 41 = 0 THEN 'cancelled' ELSE 'completed' END,
       'Hồ sơ ' || i, CASE i % 3 WHEN 0 THEN 'post' WHEN 1 THEN 'online' ELSE 'desk' END, :state, '{}',
       CASE WHEN i % 10 = 0 THEN r + interval '30 days' END, CASE WHEN i % 10 = 0 THEN r + interval '30 days' END,
       false, '[]', r, 'bench', r, CASE WHEN i % 10 <> 0 THEN r + (3 + i % 38) * interval '1 day' END, 1
FROM (SELECT i, :now - ((:n - i) * :days / :n) * interval '1 day' - (i % 480) * interval '1 minute' AS r
      FROM generate_series(1::bigint, :n) AS i) AS g
""",
    "items": """
INSERT INTO work_item (dossier_id, task_id, task_spec, name, role, assignee, status, created_at, due_at)
SELECT d.id, 'bench-' || d.id, 'appraise', 'Thẩm định',
       (ARRAY['specialist', 'office_head', 'leadership'])[d.id % 3 + 1],
       CASE WHEN d.id % 4 = 0 THEN NULL ELSE 'officer_' || (d.id % 25) END, 'open', d.created_at, d.due_at
FROM dossier d WHERE d.status = 'running' AND d.created_by = 'bench'
""",
    "local": "(({col}) AT TIME ZONE 'Asia/Ho_Chi_Minh')::date",
    "month": "date_trunc('month', day)::date",
}
_SQLITE = {
    "dossiers": """
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n),
r(i, r) AS (SELECT i, datetime(:now, '-' || ((:n - i) * :days / :n) || ' days', '-' || (i % 480) || ' minutes')
            FROM g)
INSERT INTO dossier (process_id, definition_id, status, title, channel, state, summary, due_at, total_due_at,
                     clock_paused, milestones_fired, created_at, created_by, updated_at, finished_at, version)
SELECT 'procedure_' || (i % 11), :definition,
       CASE WHEN i % 10 = 0 THEN 'running' WHEN i % 41 = 0 THEN 'cancelled' ELSE 'completed' END,
       'Hồ sơ ' || i, CASE i % 3 WHEN 0 THEN 'post' WHEN 1 THEN 'online' ELSE 'desk' END, :state, '{}',
       CASE WHEN i % 10 = 0 THEN datetime(r, '+30 days') END, CASE WHEN i % 10 = 0 THEN datetime(r, '+30 days') END,
       0, '[]', r, 'bench', r, CASE WHEN i % 10 <> 0 THEN datetime(r, '+' || (3 + i % 38) || ' days') END, 1
FROM r
""",
    "items": """
INSERT INTO work_item (dossier_id, task_id, task_spec, name, role, assignee, status, created_at, due_at)
SELECT d.id, 'bench-' || d.id, 'appraise', 'Thẩm định',
       CASE d.id % 3 WHEN 0 THEN 'specialist' WHEN 1 THEN 'office_head' ELSE 'leadership' END,
       CASE WHEN d.id % 4 = 0 THEN NULL ELSE 'officer_' || (d.id % 25) END, 'open', d.created_at, d.due_at
FROM dossier d WHERE d.status = 'running' AND d.created_by = 'bench'
""",
    "local": "date({col}, '+7 hours')",
    "month": "date(day, 'start of month')",
}
# The figures the commands would have kept for these rows; the generated deadlines are 30 calendar days,
# so a dossier finished within 29 days is early, on the 30th on time, later late.
_FIGURES = """
INSERT INTO daily_figure (process_id, channel, day, measure, count)
SELECT process_id, channel, day, measure, count(*) FROM (
    SELECT process_id, channel, {created} AS day, 'received' AS measure FROM dossier WHERE created_by = 'bench'
    UNION ALL
    SELECT process_id, channel, {finished},
           CASE WHEN status = 'cancelled' THEN 'returned'
                WHEN {finished} < {created} + 30 THEN 'early'
                WHEN {finished} = {created} + 30 THEN 'on_time' ELSE 'late' END
    FROM dossier WHERE created_by = 'bench' AND finished_at IS NOT NULL
    UNION ALL
    SELECT process_id, channel, {due}, 'overdue_from' FROM dossier WHERE created_by = 'bench' AND due_at IS NOT NULL
) AS f GROUP BY process_id, channel, day, measure
"""


def load(engine: Engine, n: int, definition_id: int, now: datetime) -> float:
    """Load the dossiers, their work items and figures; returns the seconds it took."""
    sql = _POSTGRES if engine.dialect.name == "postgresql" else _SQLITE
    stamp = now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S") if engine.dialect.name == "sqlite" else now
    local = sql["local"]
    figures = _FIGURES.format(created=local.format(col="created_at"), finished=local.format(col="finished_at"),
                              due=local.format(col="due_at"))
    if engine.dialect.name == "sqlite":  # SQLite adds days to a date with date(…, '+30 days')
        figures = figures.replace(f"{local.format(col='created_at')} + 30",
                                  "date(created_at, '+7 hours', '+30 days')")
    started = time.perf_counter()
    with engine.begin() as conn:
        # An empty engine state, packed as the dossier table keeps it (engine.runtime.db.PackedText).
        conn.execute(text(sql["dossiers"]).bindparams(bindparam("state", "{}", type_=PackedText())),
                     {"n": n, "days": DAYS, "now": stamp, "definition": definition_id})
        conn.execute(text(sql["items"]))
        conn.execute(text(figures))
        conn.execute(text(f"INSERT INTO monthly_figure (process_id, channel, month, measure, count) "
                          f"SELECT process_id, channel, {sql['month']}, measure, sum(count) FROM daily_figure "
                          f"GROUP BY process_id, channel, {sql['month']}, measure"))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # deadline_figure too: its triggers updated each figure once per loaded row, in one transaction,
            # leaving dead rows a running server's autovacuum would have cleared long ago.
            for table in ("dossier", "work_item", "daily_figure", "monthly_figure", "deadline_figure"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started
