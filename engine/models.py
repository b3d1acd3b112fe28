"""Every module that declares tables is imported here, so Alembic and the tests see the whole schema."""

from engine import (  # noqa: F401
    alerts,
    api_token,
    apology,
    attachment,
    audit,
    calendar_override,
    definition,
    documents,
    dossier,
    escalation,
    numbering,
    registry,
    studio_draft,
    tracking,
    user,
    work_item,
)
