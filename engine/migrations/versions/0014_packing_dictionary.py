"""Packed values (engine states, legal clocks, papers' facts) are compressed with a preset dictionary of the
keys they repeat (engine.runtime.packing): ~0.2 KB less per dossier row, three rows to a SQLite page instead
of two. Existing values are repacked with it on upgrade and without it on downgrade, so that the earlier
migrations' downgrades still read them.

The dictionary and the reader are imported, not copied: a released dictionary never changes (the rows name it
by checksum), and the reader reads every released dictionary.

Revision ID: 0014_packing_dictionary
Revises: 0013_open_item_indexes
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from engine.runtime.packing import DICTIONARY_1, unpack

revision = "0014_packing_dictionary"
down_revision = "0013_open_item_indexes"
branch_labels = None
depends_on = None

_COLUMNS = (("dossier", "state"), ("dossier", "legal_clock"), ("document", "facts"))
_BATCH = 500


def _rewrite(table: str, column: str, convert: Callable[[bytes], bytes]) -> None:
    """Every value of the column through `convert`, a batch of rows at a time; NULLs stay NULL."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL "
                                    "ORDER BY id LIMIT :n"), {"last": last, "n": _BATCH}).all()
        if not rows:
            return
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),
                     [{"id": row_id, "value": convert(bytes(value))} for row_id, value in rows])
        last = rows[-1][0]


def _with_dictionary(value: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, 15, 8, zdict=DICTIONARY_1)
    return packer.compress(unpack(value)) + packer.flush()  # a value already repacked reads as well


def _without_dictionary(value: bytes) -> bytes:
    return zlib.compress(unpack(value), 6)


def upgrade() -> None:
    for table, column in _COLUMNS:
        _rewrite(table, column, _with_dictionary)


def downgrade() -> None:
    for table, column in _COLUMNS:
        _rewrite(table, column, _without_dictionary)
