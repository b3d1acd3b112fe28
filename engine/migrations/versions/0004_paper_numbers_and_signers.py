"""Papers and money the law recognises: the number each licence change printed, the title of the signing
user, and the fee ledger (notices and payments).

Revision ID: 0004
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.runtime.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_licence_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f("ix_registry_licence_event_number"), ["number"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=200), nullable=False, server_default=""))
    op.create_table(
        "fee_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=15, scale=0), nullable=False),
        sa.Column("computed", sa.Numeric(precision=15, scale=0), nullable=True),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("receipt_number", sa.String(length=50), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"], name=op.f("fk_fee_entry_dossier_id_dossier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_entry")),
    )
    with op.batch_alter_table("fee_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_fee_entry_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index("ix_fee_entry_on", ["on"], unique=False)


def downgrade() -> None:
    op.drop_table("fee_entry")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("title")
    with op.batch_alter_table("registry_licence_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_licence_event_number"))
        batch_op.drop_column("number")
