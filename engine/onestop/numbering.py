"""Numbering books: gap-free running numbers (dossier codes per day, document numbers per year).

One row per book holds the last number given. Taking a number is one statement, INSERT … ON CONFLICT DO
UPDATE … RETURNING, run on the caller's connection: it locks the row until the caller's transaction ends,
so two concurrent takers never get the same number (PostgreSQL row lock; SQLite's write lock), and a
transaction that rolls back gives its number back.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import String, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.runtime.db import Base, Prepared, connection


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    book: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_value: Mapped[int]


def _take(dialect: type[postgresql.Insert] | type[sqlite.Insert]) -> Prepared:
    table = NumberSequence.__table__
    return Prepared(dialect(table).values(book=bindparam("book"), last_value=1)
                    .on_conflict_do_update(index_elements=[table.c.book], set_={"last_value": table.c.last_value + 1})
                    .returning(table.c.last_value), ("book",))


# Every submission takes two numbers (its code, its receipt's): compiled once, run on the driver's cursor.
# The upsert is each dialect's own construct, so each has its statement.
_TAKE = {"postgresql": _take(postgresql.Insert), "sqlite": _take(sqlite.Insert)}


def take_number(within: Connection | Session, book: str) -> int:
    """The next number of `book` (1 for a new book), inside the caller's transaction."""
    conn = connection(within) if isinstance(within, Session) else within
    return int(_TAKE[conn.dialect.name].rows(conn, {"book": book})[0]["last_value"])


def take_number_later(conn: Connection, book: str) -> Callable[[], int]:
    """`take_number`, read by the returned function: inside `pipelined` on PostgreSQL, once the block has ended
    (so that it travels with the statements beside it)."""
    rows = _TAKE[conn.dialect.name].rows_later(conn, {"book": book})
    return lambda: int(rows()[0]["last_value"])
