"""Every module that declares tables is imported here, so Alembic and the tests see the whole schema."""

from engine import audit, calendar_override, definition, dossier, user, work_item  # noqa: F401
