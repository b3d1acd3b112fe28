"""The outbox process a web server starts beside itself (engine.runtime.outbox, OutboxRunner.start_process).

Spawned, it imports only this module's needs (the commands' effects, not the web app) and opens its own
connections to the server's database.
"""

from __future__ import annotations

from engine.onestop.paperwork import Office
from engine.runtime.db import make_engine
from engine.runtime.outbox import OutboxRunner
from engine.service.commands import Commands


def outbox_runner(database_url: str, office: Office) -> OutboxRunner:
    """The runner of the outbox process, with the effects (papers, mails) of the server's office."""
    return Commands.build(make_engine(database_url), office).outbox
