"""A process SIGKILLed at each point of a completing command loses nothing and sends nothing twice: before
the commit (nothing happened), after the commit before the outbox ran (the paper and mail wait and are
carried out once by the next runner), and in the middle of the SMTP conversation (the server never took the
unfinished mail; it goes once when the claim's lease runs out). Real subprocesses, SQLite and PostgreSQL;
counted after the restart: papers in the database, mails the SMTP server accepted."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.legal_time.clock import clock
from engine.onestop.documents import Document
from engine.runtime.attachment import Attachment, Upload
from engine.runtime.outbox import LEASE, OutboxEntry, OutboxStatus
from engine.runtime.work_item import WorkItem
from engine.service.commands import Commands
from tests.service.conftest import register

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4 (minutes of the assessment)"

DOOMED = textwrap.dedent("""
    import os, signal, smtplib, sys
    from datetime import datetime
    from sqlalchemy import event
    from sqlalchemy.orm import Session
    from engine.legal_time.clock import clock
    from engine.onestop.notifications import SmtpSettings
    from engine.runtime.db import make_engine
    from engine.runtime.attachment import Upload
    from engine.runtime.outbox import OutboxRunner
    from engine.service.commands import Commands
    from tests.service.conftest import office

    url, item_id, mode, port, now = sys.argv[1:6]
    clock.freeze(datetime.fromisoformat(now))

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if mode == "before_commit":
        # The engine has stepped, the files, the state and the outbox rows are written: die before COMMIT.
        event.listen(Session, "before_commit", die)
    elif mode == "after_commit":
        OutboxRunner.drain = die  # committed; the command would now carry out its papers
    elif mode == "mid_mail":
        def half_a_message(self, msg):
            self.putcmd("data")
            code, _ = self.getreply()
            assert code == 354, code
            self.send(msg[: len(msg) // 2])
            die()
        smtplib.SMTP.data = half_a_message

    settings = SmtpSettings(host="127.0.0.1", port=int(port), sender="motcua@skhcn.dongnai.gov.vn", timeout=5)
    commands = Commands.build(make_engine(url), office(settings), mail_inline=True)
    minutes = Upload("files", "", "bien-ban-danh-gia.pdf", b"%PDF-1.4 (minutes of the assessment)")
    commands.complete_work_item(int(item_id), {"decision": "issue"}, "chuyenvien", {"specialist"}, uploads=[minutes])
    print("the command finished: it should have been killed")
""")


def _run_doomed(commands: Commands, item_id: int, mode: str, port: int) -> None:
    url = commands.dossiers.engine.url.render_as_string(hide_password=False)
    result = subprocess.run(
        [sys.executable, "-c", DOOMED, url, str(item_id), mode, str(port), clock.now().isoformat()],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=180,
    )
    assert result.returncode == -9, result.stdout + result.stderr


def _counts(commands: Commands, dossier_id: int, mailbox) -> dict:  # type: ignore[no-untyped-def]
    with commands.dossiers.read_session() as session:
        kinds = session.scalars(select(Document.kind).where(Document.dossier_id == dossier_id)
                                .order_by(Document.id)).all()
        effects = session.execute(select(OutboxEntry.kind, OutboxEntry.status)
                                  .where(OutboxEntry.dossier_id == dossier_id).order_by(OutboxEntry.id)).all()
        item = session.scalar(select(WorkItem.status).where(WorkItem.dossier_id == dossier_id))
        files = session.scalars(select(Attachment.filename).where(Attachment.dossier_id == dossier_id)).all()
    results = [s for s in mailbox.subjects() if s.startswith("Kết quả")]
    return {"papers": list(kinds), "effects": [tuple(e) for e in effects], "item": item, "result_mails": len(results),
            "files": list(files)}


MINUTES = ["bien-ban-danh-gia.pdf"]  # the file sent with the step lands with it, or not at all
DONE = {"papers": ["receipt", "declaration_confirmation"], "item": "completed", "result_mails": 1, "files": MINUTES,
        "effects": [("paper", "done"), ("mail", "done"), ("paper", "done"), ("mail", "done")]}


@pytest.mark.parametrize("mode", ["before_commit", "after_commit", "mid_mail"])
def test_killed_at_each_point_of_a_completing_command(make_commands, smtp, mode: str) -> None:
    settings, mailbox = smtp
    commands = make_commands(settings)
    opened = register(commands)
    with commands.dossiers.read_session() as session:
        item = session.scalar(select(WorkItem).where(WorkItem.dossier_id == opened.dossier_id))
    assert len(mailbox.messages) == 1  # the receipt

    _run_doomed(commands, item.id, mode, settings.port)

    after = _counts(commands, opened.dossier_id, mailbox)
    if mode == "before_commit":
        # Nothing of the step: neither the state, nor its paper, nor its mail.
        assert after == {"papers": ["receipt"], "item": "open", "result_mails": 0, "files": [],
                         "effects": [("paper", "done"), ("mail", "done")]}
        commands.complete_work_item(item.id, {"decision": "issue"}, "chuyenvien", {"specialist"},
                                    uploads=[Upload("files", "", MINUTES[0], PDF)])
    elif mode == "after_commit":
        # The step is done and its paper and mail wait in the outbox: the restarted runner does them.
        assert after == {"papers": ["receipt"], "item": "completed", "result_mails": 0, "files": MINUTES,
                         "effects": [("paper", "done"), ("mail", "done"), ("paper", "pending")]}
        assert commands.outbox.drain() == 2  # the paper, then the mail it queued
    else:
        # The paper is issued; the server never accepted the half-sent mail, which its claim still holds.
        assert after == {"papers": ["receipt", "declaration_confirmation"], "item": "completed", "result_mails": 0,
                         "files": MINUTES,
                         "effects": [("paper", "done"), ("mail", "done"), ("paper", "done"), ("mail", "running")]}
        assert commands.outbox.drain() == 0  # the dead runner's lease is not over
        clock.advance(LEASE)
        assert commands.outbox.drain() == 1

    assert _counts(commands, opened.dossier_id, mailbox) == DONE
    clock.advance(LEASE * 2)
    assert commands.outbox.drain() == 0  # and nothing twice, however long we wait
    assert _counts(commands, opened.dossier_id, mailbox) == DONE
    with commands.dossiers.read_session() as session:
        assert session.scalar(select(OutboxEntry.status).order_by(OutboxEntry.id.desc())) == OutboxStatus.DONE
