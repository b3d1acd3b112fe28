"""The registry of results: issued licences are found and changed by the dossiers that refer to them.

The engine records a dossier's result when the dossier completes, in the same transaction.
"""

from __future__ import annotations

from datetime import date

import procedure_data as d
from procedure_driver import Run
from sqlalchemy.orm import Session

from engine.onestop import registry
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService


def record(service: DossierService, session: Session, run: Run) -> None:
    """The dossier has completed; look at the registry as its last command left it."""
    session.rollback()
    session.expire_all()
    assert session.get(Dossier, run.dossier_id).status == "completed"


def issue_licence(service: DossierService, session: Session) -> str:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, "works": [{"name": "X-quang chẩn đoán", "place": "Khoa CĐHA"}],
                       "devices": d.MIXED_DEVICES, **d.SAFETY_OFFICER})
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(17_000_000))
    run.do("record_payment", d.paid(17_000_000))
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued(valid_until="2031-03-20")).do("deliver", d.DELIVERED)
    record(service, session, run)
    return run.data()["result_number"]


def test_licence_life_renewal_amendment_supplement_reissue(service: DossierService, session: Session) -> None:
    first = issue_licence(service, session)
    # The number comes from the licences' register book of the year (Decree 30/2020 art. 15).
    assert first == "01/2026/GP-SKHCN"
    licence = registry.find_licence(session, first)
    assert licence is not None and len(licence.active_devices) == 4 and licence.valid_until == date(2031, 3, 20)

    run = Run(service, "radiation_licence_amendment").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_number": first, "licence_valid_until": "2031-03-20",
                       "amendment_kinds": ["device_reduction"], "changes": [{"content": "Giảm 01 máy chụp răng"}],
                       "removed_devices": [{"tube_serial": "T-DX2402", "reason": "transfer"}]})
    run.do("check_dossier", d.CHECK_OK).do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES)
    run.do("decide", d.SIGN_ISSUE).do("issue_result", d.issued()).do("deliver", d.DELIVERED)
    record(service, session, run)
    session.refresh(licence)
    assert len(licence.active_devices) == 3 and [e.kind for e in licence.events] == ["issue", "amendment"]
    amended = run.data()["result_number"]
    assert amended == "02/2026/GP-SKHCN" and licence.number == amended and licence.previous_number == first

    run = Run(service, "radiation_licence_reissue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_number": amended, "reissue_reason": "damaged"})
    run.do("check_dossier", d.CHECK_OK).do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES)
    run.do("decide", d.SIGN_ISSUE).do("issue_result", d.issued()).do("deliver", d.DELIVERED)
    record(service, session, run)
    reissued = run.data()["result_number"]
    # Every number ever printed finds the licence, now known by the re-issued paper's number.
    for number in (first, amended, reissued):
        assert registry.find_licence(session, number).number == reissued
    assert [e.number for e in licence.events] == [first, amended, reissued]


def test_refused_dossier_records_nothing(service: DossierService, session: Session) -> None:
    run = Run(service, "radiation_licence_renewal").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_valid_until": "2026-04-10", "devices": d.MIXED_DEVICES})
    run.do("refuse_late", d.REFUSAL).do("deliver", d.DELIVERED)
    record(service, session, run)
    assert registry.find_licence(session, d.LICENCE["licence_number"]) is None
