"""Creating and upgrading the database schema: Alembic migrations are the only way the schema changes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parents[1] / "migrations"


def import_models() -> None:
    """Import every module that declares tables, so that Base.metadata knows them all."""
    import engine.runtime.models  # noqa: F401


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest schema (creates it on an empty database)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def create_schema(engine: Engine) -> None:
    upgrade(engine)
