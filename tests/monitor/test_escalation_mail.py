"""Escalation reaches people's mailboxes: a local SMTP server (aiosmtpd) receives what the scheduler sends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.legal_time.clock import clock
from engine.oversight.alerts import Alert, MailStatus
from engine.runtime.dossier_service import DossierService
from engine.runtime.scheduler import TimerScheduler
from tests.monitor.conftest import PROCESS


def test_due_soon_and_overdue_mail_the_right_people_once(service: DossierService, session, smtp_server) -> None:
    settings, mailbox = smtp_server
    dossier_id = service.start(PROCESS, {}, actor="tiepnhan", title="Công ty Cổ phần Sông Mây",
                               code="000.00.19.H19-260302-0007").dossier_id
    check = service.ready_tasks(dossier_id)[0]
    service.complete(dossier_id, check.id, {}, actor="chuyenvien")  # appraisal to Wednesday 11 March
    scheduler = TimerScheduler(service.engine, smtp=settings)

    clock.advance(timedelta(days=7))  # Monday 9 March: two working days left
    assert scheduler.tick().mailed == 2
    assert sorted(m["To"] for m in mailbox.messages) == ["chuyenvien2@motcua.local", "chuyenvien@motcua.local"]
    first = mailbox.messages[0]
    assert first["Subject"] == "[Sắp đến hạn] Hồ sơ 000.00.19.H19-260302-0007 — hạn 11/03/2026"
    body = first.get_payload(decode=True).decode("utf-8")
    assert "Công ty Cổ phần Sông Mây" in body and "sắp đến hạn" in body and "ở bước appraisal" in body
    assert scheduler.tick().mailed == 0 and len(mailbox.messages) == 2  # once per milestone

    clock.advance(timedelta(days=3))  # Thursday 12 March: overdue
    assert scheduler.tick().mailed == 4
    late = sorted(m["To"] for m in mailbox.messages[2:])
    assert late == ["chuyenvien2@motcua.local", "chuyenvien@motcua.local", "giamsat@motcua.local",
                    "truongphong@motcua.local"]
    assert all(m["Subject"].startswith("[Quá hạn]") for m in mailbox.messages[2:])

    session.rollback()
    mailed = session.execute(select(Alert.recipient, Alert.mail_status, Alert.message_id)
                             .where(Alert.mail_status != MailStatus.NONE)).all()
    assert len(mailed) == 6 and all(r.mail_status == MailStatus.SENT for r in mailed)
    assert {r.message_id for r in mailed} == {m["Message-ID"] for m in mailbox.messages}
