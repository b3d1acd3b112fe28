"""Procedures 2-6: the X-ray licence, its renewal, amendment, supplement and re-issue, receipt to result."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import procedure_data as d
from procedure_driver import Run, at
from sqlalchemy import select

from engine.legal_time.business_calendar import ZONE
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService


def licence_dossier(**extra: object) -> dict[str, object]:
    return {**d.APPLICANT, "works": d.WORKS, "devices": d.MIXED_DEVICES, **d.SAFETY_OFFICER, **extra}


def approve(run: Run, valid_until: str | None = None) -> Run:
    run.do("appraise", d.APPRAISE_ISSUE, role="specialist").do("review", d.HEAD_AGREES, role="office_head")
    run.do("decide", d.SIGN_ISSUE, role="leadership")
    return run.do("issue_result", d.issued(valid_until=valid_until), role="specialist")


def test_licence_mixed_devices_fee_supplement_round_trip_and_phases(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier(), role="reception")
    data = run.data()
    # TT 2 h): 1 CT (8,000,000) + 2 dental (2 × 2,000,000) + 1 fluoroscopy (5,000,000).
    assert data["fee_amount"] == Decimal("17000000")
    assert data["safety_officer_required"] is True  # TT 2 k): not only intraoral dental

    at(date(2026, 3, 4))
    run.do("check_dossier", d.CHECK_MISSING, role="specialist").do("request_supplement", d.SUPPLEMENT_REQUEST)
    assert run.ready == ["await_supplement"] and run.dossier().clock_paused
    at(date(2026, 3, 16))
    run.do("await_supplement", d.SUPPLEMENT_RECEIVED, role="reception")
    at(date(2026, 3, 17))
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(17_000_000, "2026-03-17"))
    at(date(2026, 3, 20))
    run.do("record_payment", d.paid(17_000_000, "2026-03-20"), role="reception")
    approve(run, "2031-03-20").do("deliver", d.DELIVERED, role="reception")

    assert run.status == "completed" and run.data()["outcome"] == "issue"
    # Check (TT 2 d), 5 wd from receipt on 2/3): 3 days left when paused on 4/3, counted again from 16/3.
    # Appraisal (25 wd) from the fee's receipt on 20/3.
    assert run.phase_dues() == {"check": date(2026, 3, 19), "appraisal": date(2026, 4, 24)}


def test_dental_intraoral_only_facility_needs_no_safety_officer(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Nha khoa Kim Phượng")
    dental = d.device("dental", "DX9001", intraoral_film=True)
    run.do("receive", {**d.APPLICANT, "applicant_name": "Phòng khám Nha khoa Kim Phượng", "works": d.WORKS,
                       "devices": [dental]})
    data = run.data()
    assert data["safety_officer_required"] is False and data["fee_amount"] == Decimal("2000000")


def test_licence_refused_in_writing_with_reasons(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Phòng khám Đa khoa Hòa Bình")
    run.do("receive", licence_dossier(applicant_name="Phòng khám Đa khoa Hòa Bình",
                                      devices=[d.device("general", "G1")]))
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(3_000_000))
    run.do("record_payment", d.paid(3_000_000))
    run.do("appraise", d.APPRAISE_REFUSE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_REFUSE)
    run.do("refusal_letter", d.REFUSAL, role="specialist").do("deliver", d.DELIVERED)
    data = run.data()
    assert run.status == "completed" and data["outcome"] == "refuse"
    assert "10 µSv/giờ" in data["refusal_reasons"]
    assert run.phase_dues() == {"check": date(2026, 3, 9), "appraisal": date(2026, 4, 6)}


def test_office_head_sends_the_appraisal_back(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Quốc tế Đồng Nai")
    run.do("receive", licence_dossier(devices=[d.device("mammography", "M1")]))
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(2_000_000))
    run.do("record_payment", d.paid(2_000_000))
    run.do("appraise", d.APPRAISE_ISSUE).do("review", {"head_agrees": False, "head_comments": "Bổ sung nhận xét"})
    assert run.ready == ["appraise"]


def renewal(service: DossierService, valid_until: str) -> Run:
    run = Run(service, "radiation_licence_renewal").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    return run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_valid_until": valid_until,
                              "devices": d.MIXED_DEVICES})


def test_renewal_filed_in_time_pays_75_percent(service: DossierService) -> None:
    run = renewal(service, "2026-05-10")  # 69 days before expiry (TT 3 k): at least 45)
    data = run.data()
    assert data["renewal_on_time"] is True and data["days_before_expiry"] == 69
    assert data["licence_longer_than_12_months"] is True  # 10/5/2021 → 10/5/2026
    # TT 3 h): 75 % of the new-licence fee 17,000,000.
    assert data["appraisal_fee"] == Decimal("17000000") and data["fee_amount"] == Decimal("12750000")
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(12_750_000))
    run.do("record_payment", d.paid(12_750_000))
    approve(run, "2031-05-10").do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"check": date(2026, 3, 9), "appraisal": date(2026, 4, 6)}


def test_renewal_filed_less_than_45_days_before_expiry_is_refused(service: DossierService) -> None:
    run = renewal(service, "2026-04-10")  # 39 days before expiry
    data = run.data()
    assert data["renewal_on_time"] is False and "45 ngày" in data["renewal_note"]
    assert run.ready == ["refuse_late"]
    run.do("refuse_late", {**d.REFUSAL, "refusal_reasons": data["renewal_note"]}).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "refuse"
    assert run.phase_dues() == {"check": date(2026, 3, 9)}


def test_amendment_without_fee(service: DossierService) -> None:
    run = Run(service, "radiation_licence_amendment").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {
        **d.APPLICANT, **d.LICENCE, "amendment_kinds": ["organisation_details", "device_reduction"],
        "changes": [{"content": "Đổi địa chỉ liên lạc"}, {"content": "Giảm 01 máy X-quang chụp răng do chuyển nhượng"}],
        "new_address": "Số 234 đường Đồng Khởi, phường Tam Hiệp, thành phố Biên Hòa, tỉnh Đồng Nai",
        "removed_devices": [{"tube_serial": "T-DX2402", "reason": "transfer"}],
    })
    assert run.data()["fee_amount"] == 0
    run.do("check_dossier", d.CHECK_OK)
    assert run.ready == ["appraise"]  # TT 4 h): no fee, so no fee notice and no payment
    approve(run).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"check": date(2026, 3, 9), "appraisal": date(2026, 3, 16)}


def test_supplement_adds_devices_without_fee(service: DossierService) -> None:
    run = Run(service, "radiation_licence_supplement").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "changes": [{"content": "Bổ sung 01 máy X-quang kỹ thuật số"}],
                       "devices": [d.device("general", "G2601")]})
    run.do("check_dossier", d.CHECK_OK)
    approve(run).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["fee_amount"] == 0
    assert run.phase_dues() == {"check": date(2026, 3, 9), "appraisal": date(2026, 4, 6)}


def test_reissue_of_a_lost_licence(service: DossierService) -> None:
    run = Run(service, "radiation_licence_reissue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, **d.LICENCE, "reissue_reason": "lost",
                       "reason_details": "Thất lạc khi chuyển trụ sở"})
    run.do("check_dossier", d.CHECK_OK)
    approve(run).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"check": date(2026, 3, 9), "appraisal": date(2026, 3, 16)}


def test_safety_officer_without_certificate_opens_a_linked_certificate_dossier(service: DossierService) -> None:
    # TT 2 c): the officer's certificate application (procedure 1) is filed together with the licence dossier.
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier(so_certificate_filed_together=True,
                                      so_worker_cert_number=None, so_worker_cert_date=None,
                                      so_worker_cert_issuer=None), role="reception")
    with service.read_session() as session:
        child = session.scalars(select(Dossier).where(Dossier.parent_id == run.dossier_id)).one()
        assert child.process_id == "radiation_worker_certificate" and child.title == run.dossier().title
    child_data = service.data(child.id)
    assert child_data["full_name"] == d.SAFETY_OFFICER["so_name"]
    assert child_data["facility_name"] == d.APPLICANT["applicant_name"]
    assert [t.spec for t in service.ready_tasks(child.id)] == ["receive"]


def test_safety_officer_with_a_certificate_opens_no_linked_dossier(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier(), role="reception")
    with service.read_session() as session:
        assert session.scalars(select(Dossier).where(Dossier.parent_id == run.dossier_id)).all() == []


def test_the_clock_runs_from_receipt_even_when_the_desk_enters_the_dossier_later(
    service: DossierService,
) -> None:
    # An online dossier arrives Monday 2/3/2026; the desk enters it on Wednesday 4/3. TT 2 d): the 5 working
    # days of the check and the 30 of the whole count from receipt (2/3), not from the desk's work.
    at(date(2026, 3, 2))
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    at(date(2026, 3, 4))
    run.do("receive", licence_dossier(), role="reception")
    assert run.phase_dues() == {"check": date(2026, 3, 9)}  # 3, 4, 5, 6, 9 March
    # 30 working days from 2/3: March 3–31 is 21, April 1–10 adds 8 (29), Mon 13/4 is the 30th.
    assert _local(run.dossier().total_due_at) == date(2026, 4, 13)


def _local(instant: datetime) -> date:
    """The last day of a period ending at 24:00 local (the stored instant is 00:00 of the next day)."""
    return (instant.astimezone(ZONE) - timedelta(days=1)).date()
