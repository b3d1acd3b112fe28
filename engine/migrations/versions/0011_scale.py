"""Supervisors' workload from one index: open work items by role and officer, with their deadlines and
waiting times, read index-only (engine.oversight.monitoring.workload).

Revision ID: 0011_scale
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0011_scale"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_work_item_load", "work_item", ["status", "role", "assignee", "due_at", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_work_item_load", table_name="work_item")
