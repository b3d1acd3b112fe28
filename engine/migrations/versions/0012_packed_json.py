"""A dossier's legal clock and what each paper was filled with are kept as zlib-compressed JSON
(engine.runtime.db.PackedJSON): both are read whole and never queried inside, and a few hundred bytes of
JSON are below what either database compresses by itself. ~0.9 KB less per dossier with its receipt.
Existing values are packed on upgrade and unpacked on downgrade.

On PostgreSQL the columns become bytea. On SQLite a declared type is only an affinity and a JSON column keeps
BLOB values as they are, so the values are rewritten in place without rebuilding the tables.

Revision ID: 0012_packed_json
Revises: 0011_scale
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

revision = "0012_packed_json"
down_revision = "0011_scale"
branch_labels = None
depends_on = None

_COLUMNS = (("dossier", "legal_clock"), ("document", "facts"))
_BATCH = 500


def _rewrite(table: str, column: str, convert: Callable[[str | bytes], str | bytes]) -> None:
    """Every value of the column through `convert`, a batch of rows at a time; NULLs stay NULL."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL "
                                    "ORDER BY id LIMIT :n"), {"last": last, "n": _BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                     [{"id": row_id, "value": convert(value)} for row_id, value in rows])
        last = rows[-1][0]


def _pack(value: str | bytes) -> bytes:
    # The stored JSON text as it is: already compact, as engine.runtime.db writes JSON.
    text = value.decode("utf-8") if isinstance(value, bytes) else value
    return zlib.compress(text.encode("utf-8"), 6)


def _unpack(value: str | bytes) -> bytes:
    return zlib.decompress(value) if isinstance(value, bytes) else value.encode("utf-8")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column in _COLUMNS:
        if postgresql:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea USING convert_to({column}::text, 'UTF8')")
        _rewrite(table, column, _pack)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column in _COLUMNS:
        # On SQLite the unpacked JSON goes back as text, as it was before.
        _rewrite(table, column, _unpack if postgresql else (lambda value: _unpack(value).decode("utf-8")))
        if postgresql:
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE json USING convert_from({column}, 'UTF8')::json")
