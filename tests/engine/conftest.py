from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier_service import DossierService
from tests.engine.support import demo_files


@pytest.fixture
def service(db: Engine) -> DossierService:
    # Monday 2026-03-02 09:00 in Hà Nội: no holiday within the next weeks.
    clock.freeze(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    with make_session_factory(db, write=True)() as session:
        deploy_files(session, demo_files(), actor="test")
        session.commit()
    return DossierService(db)
