"""Messages from outside systems: kept until caught, and which dossier can catch which message.

Revision ID: 0008
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.runtime.db

revision = "0008"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("correlation_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("sender", sa.String(length=100), nullable=False),
        sa.Column("received_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("keep_until", engine.runtime.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(length=200), nullable=True),
        sa.Column("delivered_at", engine.runtime.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"], name=op.f("fk_inbound_message_dossier_id_dossier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_inbound_message_message_id")),
    )
    op.create_index("ix_inbound_message_kept", "inbound_message", ["dossier_id", "status"])
    op.create_table(
        "message_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("correlation_key", sa.String(length=200), nullable=False),
        sa.Column("waiting", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"],
                                name=op.f("fk_message_subscription_dossier_id_dossier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_subscription")),
    )
    op.create_index("ix_message_subscription_key", "message_subscription", ["message", "correlation_key"])
    op.create_index(op.f("ix_message_subscription_dossier_id"), "message_subscription", ["dossier_id"])


def downgrade() -> None:
    op.drop_table("message_subscription")
    op.drop_table("inbound_message")
