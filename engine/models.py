"""Every module that declares tables is imported here, so Alembic and the tests see the whole schema."""

from engine import attachment, audit, calendar_override, definition, documents, dossier, numbering, user, work_item  # noqa: F401
