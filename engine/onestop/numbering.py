"""Numbering books: gap-free running numbers (dossier codes per day, document numbers per year).

One row per book holds the last number given. Taking a number is one statement, INSERT … ON CONFLICT DO
UPDATE … RETURNING, run on the caller's connection: it locks the row until the caller's transaction ends,
so two concurrent takers never get the same number (PostgreSQL row lock; SQLite's write lock), and a
transaction that rolls back gives its number back.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.runtime.db import Base


class NumberSequence(Base):
    __tablename__ = "number_sequence"

    book: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_value: Mapped[int]


def take_number(connection: Connection | Session, book: str) -> int:
    """The next number of `book` (1 for a new book), inside the caller's transaction."""
    bind = connection.get_bind() if isinstance(connection, Session) else connection
    dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
    table = NumberSequence.__table__
    statement = (
        dialect.insert(table)
        .values(book=book, last_value=1)
        .on_conflict_do_update(index_elements=[table.c.book], set_={"last_value": table.c.last_value + 1})
        .returning(table.c.last_value)
    )
    return int(connection.execute(statement).scalar_one())
