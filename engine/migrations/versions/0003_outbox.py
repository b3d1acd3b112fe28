"""The transactional outbox: side effects (papers, applicant mails) written with the command that causes them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.runtime.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("done_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"], name=op.f("fk_outbox_dossier_id_dossier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "available_at"], unique=False)
        batch_op.create_index("ix_outbox_dossier", ["dossier_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_dossier")
        batch_op.drop_index("ix_outbox_due")
    op.drop_table("outbox")
