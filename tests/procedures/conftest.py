"""The procedures' fixture: the platform clock on a plain Monday, bpmn/ and dmn/ deployed."""

from __future__ import annotations

import pytest
from procedure_driver import BPMN, DMN, MONDAY
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_folders
from engine.runtime.dossier_service import DossierService


@pytest.fixture
def service(db: Engine) -> DossierService:
    clock.freeze(MONDAY)
    with make_session_factory(db, write=True)() as session:
        deploy_folders(session, [BPMN, DMN], actor="test")
        session.commit()
    return DossierService(db)
