"""Every module that declares tables is imported here, so Alembic and the tests see the whole schema."""

from engine import (  # noqa: F401
    attachment,
    audit,
    calendar_override,
    definition,
    documents,
    dossier,
    numbering,
    registry,
    user,
    work_item,
)
