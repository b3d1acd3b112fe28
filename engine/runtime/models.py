"""Every module that declares tables is imported here, so Alembic and the tests see the whole schema."""

from engine.access import absence, api_token, sign_in_session, user  # noqa: F401
from engine.legal_time import calendar_override  # noqa: F401
from engine.onestop import apology, daily_figures, documents, fees, numbering, registry, tracking  # noqa: F401
from engine.oversight import alerts, escalation  # noqa: F401
from engine.runtime import (  # noqa: F401
    attachment,
    audit,
    deadline_figures,
    definition,
    dossier,
    inbound_message,
    outbox,
    work_item,
)
from engine.studio import studio_draft  # noqa: F401
