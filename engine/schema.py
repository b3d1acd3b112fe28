"""Creating and upgrading the database schema (Alembic migrations are the only way the schema changes)."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from engine.db import Base


def import_models() -> None:
    """Import every module that declares tables, so that Base.metadata knows them all."""
    import engine.models  # noqa: F401


def create_schema(engine: Engine) -> None:
    import_models()
    Base.metadata.create_all(engine)
