"""Papers the law recognises: the number each licence change printed, and the title of the signing user.

Revision ID: 0004
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("registry_licence_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=50), nullable=True))
        batch_op.create_index(batch_op.f("ix_registry_licence_event_number"), ["number"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("title", sa.String(length=200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("title")
    with op.batch_alter_table("registry_licence_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_licence_event_number"))
        batch_op.drop_column("number")
