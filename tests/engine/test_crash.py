"""A process killed in the middle of a command leaves the last committed state intact and resumable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlalchemy import select

from engine.runtime.audit import AuditEvent
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService

ROOT = Path(__file__).resolve().parents[2]

KILLER = textwrap.dedent("""
    import os, signal, sys
    from datetime import datetime
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from engine.legal_time.clock import clock
    from engine.runtime.db import make_engine
    from engine.runtime.dossier_service import DossierService

    url, dossier_id, task_id, now = sys.argv[1:5]
    clock.freeze(datetime.fromisoformat(now))

    @event.listens_for(Session, "before_commit")
    def die(session):
        # The engine has stepped and the new state is written inside the transaction: die before COMMIT.
        os.kill(os.getpid(), signal.SIGKILL)

    DossierService(make_engine(url)).complete(int(dossier_id), task_id, {"devices": ["ct"]}, actor="doomed")
""")


def test_killed_between_engine_step_and_commit_loses_nothing(service: DossierService, session) -> None:
    from engine.legal_time.clock import clock

    out = service.start("licence_demo", {}, actor="tiepnhan")
    task = out.ready[0]
    url = service.engine.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-c", KILLER, url, str(out.dossier_id), task.id, clock.now().isoformat()],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == -9, result.stderr

    dossier = session.get(Dossier, out.dossier_id)
    assert dossier.version == out.version
    assert [t.id for t in service.ready_tasks(out.dossier_id)] == [task.id]
    assert session.scalars(select(AuditEvent.actor)).all() == ["tiepnhan"]

    resumed = service.complete(out.dossier_id, task.id, {"devices": ["dental"]}, actor="tiepnhan")
    assert [t.spec for t in resumed.ready] == ["check"]
    assert json.dumps(service.data(out.dossier_id)["devices"]) == '["dental"]'
