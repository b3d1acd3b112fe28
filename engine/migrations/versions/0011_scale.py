"""The supervisors' dashboard from maintained figures: running dossiers and open work items counted by
deadline day and month (deadline_figure), kept by triggers in the same transaction as every change of the
rows, whatever changes them (commands, bulk loads, this migration); an index for the officers' oldest
waiting item (engine.runtime.deadline_figures).

Revision ID: 0011_scale
Revises: 0010_storage
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_scale"
down_revision = "0010_storage"
branch_labels = None
depends_on = None

NO_DEADLINE = "9999-12-31"

# What each row counts in: (group_a, group_b, deadline day), or nothing, per table; {r} is OLD or NEW.
_SQLITE_KEYS = {
    "dossier": ("{r}.status = 'running'", "{r}.process_id", "CASE WHEN {r}.clock_paused THEN 'paused' ELSE '' END",
                f"CASE WHEN {{r}}.clock_paused THEN '{NO_DEADLINE}' ELSE coalesce(date(min("
                "coalesce({r}.due_at, {r}.total_due_at), coalesce({r}.total_due_at, {r}.due_at))), "
                f"'{NO_DEADLINE}') END"),
    "work_item": ("{r}.status = 'open'", "{r}.role", "coalesce({r}.assignee, '')",
                  f"coalesce(date({{r}}.due_at), '{NO_DEADLINE}')"),
}
_SQLITE_ADD = """
INSERT INTO deadline_figure (subject, level, bucket, group_a, group_b, count)
SELECT '{subject}', level, bucket, {a}, {b}, {n}
FROM (SELECT 'day' AS level, {day} AS bucket UNION ALL SELECT 'month', date({day}, 'start of month'))
WHERE {counted}
ON CONFLICT (subject, level, bucket, group_a, group_b) DO UPDATE SET count = count + excluded.count;
"""

_POSTGRES = """
CREATE FUNCTION deadline_figure_add(p_subject text, p_a text, p_b text, p_day date, p_n integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO deadline_figure (subject, level, bucket, group_a, group_b, count)
    VALUES (p_subject, 'day', p_day, p_a, p_b, p_n),
           (p_subject, 'month', date_trunc('month', p_day)::date, p_a, p_b, p_n)
    ON CONFLICT (subject, level, bucket, group_a, group_b) DO UPDATE
        SET count = deadline_figure.count + excluded.count;
END $$;

CREATE FUNCTION deadline_figure_move(p_subject text, p_old text[], p_old_day date, p_new text[],
                                     p_new_day date) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_old IS NOT DISTINCT FROM p_new AND p_old_day IS NOT DISTINCT FROM p_new_day THEN
        RETURN;
    END IF;
    -- Rows are locked in one order (the earlier deadline first) so that two commands moving dossiers
    -- between the same two days cannot wait for each other.
    IF p_new IS NULL OR (p_old IS NOT NULL AND (p_old_day, p_old) <= (p_new_day, p_new)) THEN
        IF p_old IS NOT NULL THEN PERFORM deadline_figure_add(p_subject, p_old[1], p_old[2], p_old_day, -1); END IF;
        IF p_new IS NOT NULL THEN PERFORM deadline_figure_add(p_subject, p_new[1], p_new[2], p_new_day, 1); END IF;
    ELSE
        PERFORM deadline_figure_add(p_subject, p_new[1], p_new[2], p_new_day, 1);
        IF p_old IS NOT NULL THEN PERFORM deadline_figure_add(p_subject, p_old[1], p_old[2], p_old_day, -1); END IF;
    END IF;
END $$;

CREATE FUNCTION dossier_deadline_figure() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_key text[]; old_day date; new_key text[]; new_day date;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'running' THEN
        old_key := ARRAY[OLD.process_id, CASE WHEN OLD.clock_paused THEN 'paused' ELSE '' END];
        old_day := CASE WHEN OLD.clock_paused THEN DATE '9999-12-31'
                        ELSE coalesce((least(OLD.due_at, OLD.total_due_at) AT TIME ZONE 'UTC')::date,
                                      DATE '9999-12-31') END;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'running' THEN
        new_key := ARRAY[NEW.process_id, CASE WHEN NEW.clock_paused THEN 'paused' ELSE '' END];
        new_day := CASE WHEN NEW.clock_paused THEN DATE '9999-12-31'
                        ELSE coalesce((least(NEW.due_at, NEW.total_due_at) AT TIME ZONE 'UTC')::date,
                                      DATE '9999-12-31') END;
    END IF;
    PERFORM deadline_figure_move('dossier', old_key, old_day, new_key, new_day);
    RETURN NULL;
END $$;

CREATE FUNCTION work_item_deadline_figure() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_key text[]; old_day date; new_key text[]; new_day date;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'open' THEN
        old_key := ARRAY[OLD.role, coalesce(OLD.assignee, '')];
        old_day := coalesce((OLD.due_at AT TIME ZONE 'UTC')::date, DATE '9999-12-31');
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'open' THEN
        new_key := ARRAY[NEW.role, coalesce(NEW.assignee, '')];
        new_day := coalesce((NEW.due_at AT TIME ZONE 'UTC')::date, DATE '9999-12-31');
    END IF;
    PERFORM deadline_figure_move('work_item', old_key, old_day, new_key, new_day);
    RETURN NULL;
END $$;

CREATE TRIGGER dossier_deadline_figure_insert AFTER INSERT ON dossier FOR EACH ROW
    WHEN (NEW.status = 'running') EXECUTE FUNCTION dossier_deadline_figure();
CREATE TRIGGER dossier_deadline_figure_delete AFTER DELETE ON dossier FOR EACH ROW
    WHEN (OLD.status = 'running') EXECUTE FUNCTION dossier_deadline_figure();
CREATE TRIGGER dossier_deadline_figure_update AFTER UPDATE OF status, process_id, clock_paused, due_at, total_due_at
    ON dossier FOR EACH ROW WHEN (OLD.status = 'running' OR NEW.status = 'running')
    EXECUTE FUNCTION dossier_deadline_figure();
CREATE TRIGGER work_item_deadline_figure_insert AFTER INSERT ON work_item FOR EACH ROW
    WHEN (NEW.status = 'open') EXECUTE FUNCTION work_item_deadline_figure();
CREATE TRIGGER work_item_deadline_figure_delete AFTER DELETE ON work_item FOR EACH ROW
    WHEN (OLD.status = 'open') EXECUTE FUNCTION work_item_deadline_figure();
CREATE TRIGGER work_item_deadline_figure_update AFTER UPDATE OF status, role, assignee, due_at ON work_item
    FOR EACH ROW WHEN (OLD.status = 'open' OR NEW.status = 'open') EXECUTE FUNCTION work_item_deadline_figure();
"""


def _sqlite_triggers() -> list[str]:
    statements = []
    for table, (counted, a, b, day) in _SQLITE_KEYS.items():
        def add(row: str, n: int, subject: str = table, counted: str = counted, a: str = a, b: str = b,
                day: str = day) -> str:
            return _SQLITE_ADD.format(subject=subject, n=n, counted=counted.format(r=row), a=a.format(r=row),
                                      b=b.format(r=row), day=day.format(r=row))
        changed = " OR ".join(f"({e.format(r='OLD')}) IS NOT ({e.format(r='NEW')})" for e in (counted, a, b, day))
        statements += [
            f"CREATE TRIGGER {table}_deadline_figure_insert AFTER INSERT ON {table} "
            f"WHEN {counted.format(r='NEW')} BEGIN {add('NEW', 1)} END",
            f"CREATE TRIGGER {table}_deadline_figure_delete AFTER DELETE ON {table} "
            f"WHEN {counted.format(r='OLD')} BEGIN {add('OLD', -1)} END",
            f"CREATE TRIGGER {table}_deadline_figure_update AFTER UPDATE ON {table} "
            f"WHEN ({counted.format(r='OLD')} OR {counted.format(r='NEW')}) AND ({changed}) "
            f"BEGIN {add('OLD', -1)} {add('NEW', 1)} END",
        ]
    return statements


def upgrade() -> None:
    op.create_table(
        "deadline_figure",
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=5), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("group_a", sa.String(length=200), nullable=False),
        sa.Column("group_b", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("subject", "level", "bucket", "group_a", "group_b", name=op.f("pk_deadline_figure")),
    )
    op.create_index("ix_work_item_waiting", "work_item", ["status", "role", "assignee", "created_at"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_POSTGRES)
    else:
        for statement in _sqlite_triggers():
            op.execute(statement)
    _count_existing(bind)


def _count_existing(bind: sa.engine.Connection) -> None:
    """The rows already there, counted as the triggers would have counted them."""
    postgres = bind.dialect.name == "postgresql"
    keys = {
        "dossier": ("dossier", "status = 'running'", "process_id",
                    "CASE WHEN clock_paused THEN 'paused' ELSE '' END",
                    ("CASE WHEN clock_paused THEN DATE '9999-12-31' ELSE coalesce((least(due_at, total_due_at) "
                     "AT TIME ZONE 'UTC')::date, DATE '9999-12-31') END") if postgres else
                    _SQLITE_KEYS["dossier"][3].format(r="dossier")),
        "work_item": ("work_item", "status = 'open'", "role", "coalesce(assignee, '')",
                      "coalesce((due_at AT TIME ZONE 'UTC')::date, DATE '9999-12-31')" if postgres else
                      _SQLITE_KEYS["work_item"][3].format(r="work_item")),
    }
    month = "date_trunc('month', day)::date" if postgres else "date(day, 'start of month')"
    for subject, (table, counted, a, b, day) in keys.items():
        rows = f"SELECT {a} AS a, {b} AS b, {day} AS day FROM {table} WHERE {counted}"
        op.execute(f"INSERT INTO deadline_figure (subject, level, bucket, group_a, group_b, count) "
                   f"SELECT '{subject}', 'day', day, a, b, count(*) FROM ({rows}) AS r GROUP BY day, a, b "
                   f"UNION ALL SELECT '{subject}', 'month', {month}, a, b, count(*) FROM ({rows}) AS r "
                   f"GROUP BY {month}, a, b")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in ("dossier", "work_item"):
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {table}_deadline_figure_{event}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for function in ("work_item_deadline_figure()", "dossier_deadline_figure()",
                         "deadline_figure_move(text, text[], date, text[], date)",
                         "deadline_figure_add(text, text, text, date, integer)"):
            op.execute(f"DROP FUNCTION {function}")
    op.drop_index("ix_work_item_waiting", table_name="work_item")
    op.drop_table("deadline_figure")
