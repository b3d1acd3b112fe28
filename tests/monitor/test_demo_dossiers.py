"""`motcua init --demo` (issue 15): the eleven procedures deployed, two officers per role, and dossiers in every
state with their history backdated, so that the supervisor's dashboard shows due-soon and overdue work."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from engine.access.user import User
from engine.cli.main import cli
from engine.legal_time.clock import clock
from engine.runtime.audit import AuditEvent
from engine.runtime.db import make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from tests.webapp.conftest import sign_in
from webapp import create_app

# Wednesday 10 June 2026, 10:00 in Đồng Nai: the demo's "today".
TODAY = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)


def url_of(db: Engine) -> str:
    url = db.url
    if db.dialect.name == "postgresql":
        with db.connect() as conn:
            url = url.update_query_dict({"options": f"-csearch_path={conn.scalar(text('select current_schema()'))}"})
    return url.render_as_string(hide_password=False)


def test_the_demo_has_dossiers_in_every_state_and_a_dashboard_with_late_work(db: Engine) -> None:
    clock.freeze(TODAY)
    result = CliRunner().invoke(cli, ["init", "--demo"], env={"DATABASE_URL": url_of(db)})
    assert result.exit_code == 0, result.output
    assert "demo dossiers created: 8" in result.output
    assert clock.now() == TODAY  # the backdating left the clock as it was
    with make_session_factory(db)() as session:
        dossiers = list(session.scalars(select(Dossier).order_by(Dossier.created_at)))
        first_events = {e.dossier_id: e.at for e in session.scalars(
            select(AuditEvent).where(AuditEvent.command == "start"))}
        officers = [r for u in session.scalars(select(User)) for r in u.roles]
    assert all(officers.count(role) >= 2 for role in ("reception", "specialist", "office_head", "leadership",
                                                      "subdepartment", "st_unit", "liaison"))
    # history backdated: received on their own days, weeks before today
    assert all(first_events[d.id] == d.created_at < TODAY for d in dossiers)
    assert (TODAY - dossiers[0].created_at).days > 40
    finished = [d for d in dossiers if d.status == "completed"]
    assert len(finished) == 3
    # The lapsed quantity-mark dossier also has a promised day now (TT 10 d)); on time or late is said of
    # the decided certificates.
    decided = [d for d in finished if d.process_id == "radiation_worker_certificate"]
    late = [d for d in decided if d.total_due_at and d.finished_at > d.total_due_at]
    on_time = [d for d in decided if d.total_due_at and d.finished_at <= d.total_due_at]
    assert len(late) == 1 and len(on_time) == 1
    assert sum(d.clock_paused for d in dossiers) == 1
    [lapsed] = [d for d in dossiers if d.process_id == "quantity_mark_declaration"]
    assert lapsed.status == "completed" and DossierService(db).data(lapsed.id)["outcome"] == "lapsed"
    # a second run adds nothing
    assert "demo dossiers created: 0" in CliRunner().invoke(cli, ["init", "--demo"], env={"DATABASE_URL": url_of(db)}
                                                               ).output

    app = create_app({"DATABASE_URL": url_of(db), "TESTING": True, "SECRET_KEY": "t", "SMTP": None})
    client = app.test_client()
    sign_in(client, "giamsat")
    page = client.get("/supervisor/").get_data(as_text=True)
    counters = {s: int(re.search(rf'id="count-{s}">(\d+)<', page).group(1))
                for s in ("on_track", "due_soon", "overdue", "paused")}
    assert counters == {"on_track": 1, "due_soon": 1, "overdue": 2, "paused": 1}
