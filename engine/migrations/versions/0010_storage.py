"""A dossier's engine state is kept zlib-compressed (engine.runtime.db.PackedText): ~5 KB of JSON per dossier
becomes ~1 KB. Existing rows are packed on upgrade and unpacked on downgrade.

On PostgreSQL the column becomes bytea. On SQLite a declared type is only an affinity and a TEXT column keeps
BLOB values as they are, so the values are rewritten in place without rebuilding the table (which other
tables reference).

Revision ID: 0010_storage
Revises: 0009
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0010_storage"
down_revision = "0009"
branch_labels = None
depends_on = None

_BATCH = 500


def _rewrite(convert: Callable[[str | bytes], str | bytes]) -> None:
    """Every dossier's state through `convert`, a batch of rows at a time (a state is a few KB)."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text("SELECT id, state FROM dossier WHERE id > :last ORDER BY id LIMIT :n"),
                            {"last": last, "n": _BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text("UPDATE dossier SET state = :state WHERE id = :id"),
                     [{"id": row_id, "state": convert(state)} for row_id, state in rows])
        last = rows[-1][0]


def _pack(state: str | bytes) -> bytes:
    text = state.decode("utf-8") if isinstance(state, bytes) else state
    return zlib.compress(text.encode("utf-8"), 6)


def _unpack(state: str | bytes) -> bytes:
    return zlib.decompress(state) if isinstance(state, bytes) else state.encode("utf-8")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE dossier ALTER COLUMN state TYPE bytea USING convert_to(state, 'UTF8')")
    _rewrite(_pack)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    # On SQLite the unpacked state goes back as text, as it was before.
    _rewrite(_unpack if postgresql else (lambda state: _unpack(state).decode("utf-8")))
    if postgresql:
        op.execute("ALTER TABLE dossier ALTER COLUMN state TYPE text USING convert_from(state, 'UTF8')")
