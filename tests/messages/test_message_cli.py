"""`motcua message send`: the same command as the API, from the shell."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy.engine import Engine

from engine.cli.main import cli
from engine.runtime.dossier_service import DossierService
from tests.messages.test_messages import registered


def test_message_send_delivers_keeps_and_refuses(dossiers: DossierService, db: Engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", db.url.render_as_string(hide_password=False))
    dossier_id = registered(dossiers)
    runner = CliRunner()

    kept = runner.invoke(cli, ["message", "send", "ppc_answer", "UBND/17", "--payload", '{"agrees": true}',
                               "--id", "lgsp-9"])
    assert kept.exit_code == 0, kept.output
    assert kept.output.startswith("kept for dossier C-1 until 2026-04-01")
    done = runner.invoke(cli, ["message", "send", "registry_ack", "C-1", "--sender", "quantri"])
    assert done.exit_code == 0 and done.output.startswith("delivered to dossier C-1 at await_registry")
    assert dossiers.data(dossier_id)["ppc_answer"] == {"agrees": True}
    again = runner.invoke(cli, ["message", "send", "ppc_answer", "UBND/17", "--id", "lgsp-9"])
    assert again.exit_code == 0 and again.output.startswith("already received (id lgsp-9)")

    unknown = runner.invoke(cli, ["message", "send", "registry_ack", "C-404"])
    assert unknown.exit_code == 1
    assert "not sent: no dossier waits for or expects the message 'registry_ack' with the key 'C-404'" in unknown.output
    broken = runner.invoke(cli, ["message", "send", "fee_confirmed", "C-1", "--payload", "{fee"])
    assert broken.exit_code == 1 and "--payload is not JSON" in broken.output
    invalid = runner.invoke(cli, ["message", "send", "fee_confirmed", "C-1", "--payload", '{"fee_paid": "x"}'])
    assert invalid.exit_code == 1 and "payload.fee_paid_on:" in invalid.output
    assert "Traceback" not in unknown.output + broken.output + invalid.output
