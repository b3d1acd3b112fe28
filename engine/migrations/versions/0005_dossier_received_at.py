"""Dossiers keep the instant they were received, the day the law counts from (issue 12).

Existing dossiers were received when they were entered: received_at takes created_at.

Revision ID: 0005
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.runtime.db import UtcDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.add_column(sa.Column("received_at", UtcDateTime(timezone=True), nullable=True))
    op.execute("UPDATE dossier SET received_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch:
        batch.drop_column("received_at")
