"""People: a user's unit, and officers' absences with the colleague who acts for them (issue 15).

Revision ID: 0006
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.runtime.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("unit", sa.String(length=200), server_default="", nullable=False))
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("delegate", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_absence")),
    )
    op.create_index("ix_absence_username", "absence", ["username", "ends_on"])


def downgrade() -> None:
    op.drop_index("ix_absence_username", table_name="absence")
    op.drop_table("absence")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("unit")
