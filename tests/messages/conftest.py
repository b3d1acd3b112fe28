from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier_service import DossierService
from engine.runtime.messages import MessageService

DATA = Path(__file__).parent / "data"
# Monday 2 March 2026, 09:00 in Đồng Nai: no holiday in the next weeks.
MONDAY_9AM = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def message_files() -> dict[str, str]:
    return {p.relative_to(DATA).as_posix(): p.read_text(encoding="utf-8") for p in sorted(DATA.rglob("*"))
            if p.is_file()}


@pytest.fixture
def dossiers(db: Engine) -> DossierService:
    clock.freeze(MONDAY_9AM)
    with make_session_factory(db, write=True)() as session:
        deploy_files(session, message_files(), actor="test")
        session.commit()
    return DossierService(db)


@pytest.fixture
def messages(dossiers: DossierService) -> MessageService:
    return MessageService(dossiers)
