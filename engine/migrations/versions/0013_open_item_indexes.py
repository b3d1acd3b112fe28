"""The work items' indexes for the inbox, the assignees and the oldest waiting item hold only the open items
(partial indexes, WHERE status = 'open'): every query they serve asks for open items, and the completed ones
of finished dossiers, most of all, took ~0.5 KB per dossier in them.

Revision ID: 0013_open_item_indexes
Revises: 0012_packed_json
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_open_item_indexes"
down_revision = "0012_packed_json"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_work_item_inbox": ["role", "due_at", "id"],
    "ix_work_item_assignee": ["assignee", "due_at"],
    "ix_work_item_waiting": ["role", "assignee", "created_at"],
}
_OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name="work_item")
        op.create_index(name, "work_item", columns, sqlite_where=_OPEN, postgresql_where=_OPEN)


def downgrade() -> None:
    for name, columns in _INDEXES.items():
        op.drop_index(name, table_name="work_item")
        op.create_index(name, "work_item", ["status", *columns])
