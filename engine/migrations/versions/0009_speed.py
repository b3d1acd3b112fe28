"""Statistics from figures kept per day and month (daily_figure, monthly_figure), counted once from the existing dossiers; papers
and uploads move from the database to the file store (MOTCUA_FILE_STORE), the rows keeping their hash.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_figure",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("process_id", "channel", "day", "measure", name=op.f("pk_daily_figure")),
    )
    op.create_index("ix_daily_figure_day", "daily_figure", ["day"])
    op.create_table(
        "monthly_figure",
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("process_id", "channel", "month", "measure", name=op.f("pk_monthly_figure")),
    )
    from engine.legal_time.business_calendar import load_calendar
    from engine.onestop.daily_figures import rebuild

    session = Session(bind=op.get_bind())
    rebuild(session, load_calendar(session))
    session.flush()
    _files_out_of_the_database()


def _files_out_of_the_database() -> None:
    from engine.runtime.file_store import file_store

    bind, store = op.get_bind(), file_store()
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("sha256", sa.String(length=64), nullable=False, server_default=""))
    for table in ("attachment", "document"):
        ids = [row[0] for row in bind.execute(sa.text(f"SELECT id FROM {table} ORDER BY id"))]
        for row_id in ids:  # one at a time: uploads may be large
            content = bind.execute(sa.text(f"SELECT content FROM {table} WHERE id = :id"), {"id": row_id}).scalar()
            bind.execute(sa.text(f"UPDATE {table} SET sha256 = :digest WHERE id = :id"),
                         {"digest": store.put(bytes(content or b"")), "id": row_id})
    for table in ("attachment", "document"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("content")


def downgrade() -> None:
    from engine.runtime.file_store import file_store

    bind, store = op.get_bind(), file_store()
    for table in ("attachment", "document"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("content", sa.LargeBinary(), nullable=True))
        for row_id, digest in bind.execute(sa.text(f"SELECT id, sha256 FROM {table}")).all():
            bind.execute(sa.text(f"UPDATE {table} SET content = :content WHERE id = :id"),
                         {"content": store.get(digest), "id": row_id})
    with op.batch_alter_table("document") as batch:
        batch.drop_column("sha256")
    op.drop_table("monthly_figure")
    op.drop_index("ix_daily_figure_day", table_name="daily_figure")
    op.drop_table("daily_figure")
