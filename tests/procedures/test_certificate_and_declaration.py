"""Procedure 1 (radiation worker certificate) and procedure 7 (X-ray device declaration)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import procedure_data as d
from procedure_driver import Run

from engine.runtime.dossier_service import DossierService

APPLICATION = {
    "submission_channel": "post",
    "full_name": "Trần Thị Mai",
    "birth_date": "12/04/1985",
    "id_number": "075185004321",
    "id_issued_on": "2021-08-20",
    "id_issued_by": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
    "contact_address": "Số 12 đường Võ Thị Sáu, phường Thống Nhất, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "0913456789",
    "email": "tranthimai.cdha@gmail.com",
    "job": "safety_officer",
    "facility_name": "Bệnh viện Đa khoa Thống Nhất Đồng Nai",
    "health_check_date": "2026-01-15",
    "attachments": [{"title": "Bằng Cử nhân Kỹ thuật hình ảnh y học"}, {"title": "Giấy chứng nhận đào tạo ATBX"}],
}


def test_certificate_charges_200000_and_is_issued(service: DossierService) -> None:
    run = Run(service, "radiation_worker_certificate").start("Trần Thị Mai")
    run.do("receive", APPLICATION, role="reception")
    assert run.data()["fee_amount"] == Decimal("200000")  # TT 1 h): 200.000 đồng/1 chứng chỉ
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000)).do("record_payment", d.paid(200_000))
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued()).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    # TT 1 d): check 5 wd from receipt; appraisal 10 days (working days, as the 15-wd total says).
    assert run.phase_dues() == {"check": date(2026, 3, 9), "appraisal": date(2026, 3, 16)}


def test_certificate_refused_with_reasons(service: DossierService) -> None:
    run = Run(service, "radiation_worker_certificate").start("Nguyễn Văn Bình")
    run.do("receive", {**APPLICATION, "full_name": "Nguyễn Văn Bình", "id_number": "272345678"})
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000)).do("record_payment", d.paid(200_000))
    run.do("appraise", d.APPRAISE_REFUSE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_REFUSE)
    run.do("refusal_letter", {**d.REFUSAL, "refusal_reasons": "Giấy chứng nhận đào tạo an toàn bức xạ không phù hợp "
                                                               "với công việc người phụ trách an toàn."})
    run.do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "refuse"


def declaration(**extra: object) -> dict[str, object]:
    return {"submission_channel": "online", "applicant_name": "Phòng khám Đa khoa Tâm An",
            "contact_address": "Số 45 đường 30 Tháng 4, phường Trung Dũng, thành phố Biên Hòa, tỉnh Đồng Nai",
            "phone": "02513822333", "email": "pkdk.taman@gmail.com", **d.device("general", "G7701"), **extra}


def test_declaration_in_time_gets_a_confirmation(service: DossierService) -> None:
    run = Run(service, "xray_declaration").start("Phòng khám Đa khoa Tâm An")
    run.do("receive", declaration(acquired_on="2026-02-25"), role="reception")
    data = run.data()
    # TT 7 a): within 7 working days of acquiring the device (26/2, 27/2, 2/3).
    assert data["declaration_working_days"] == 3 and data["declared_on_time"] is True
    run.do("review", {"dossier_complete": False, "missing_items": [{"item": "Số xê-ri bàn điều khiển",
                                                                   "issue": "Ghi theo nhãn máy"}]})
    run.do("request_correction", d.SUPPLEMENT_REQUEST)
    run.do("await_correction", {**d.SUPPLEMENT_RECEIVED, "supplement_received_on": "2026-03-02"})
    run.do("review", d.CHECK_OK)
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued()).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    # TT 7 d): 5 working days from receipt of the full declaration.
    assert run.phase_dues() == {"confirmation": date(2026, 3, 9)}


def test_late_declaration_inside_a_licence_dossier_gets_no_confirmation(service: DossierService) -> None:
    run = Run(service, "xray_declaration").start("Phòng khám Đa khoa Tâm An")
    run.do("receive", declaration(acquired_on="2026-01-20", part_of_licence_dossier=True))
    assert run.data()["declared_on_time"] is False
    run.do("review", d.CHECK_OK)
    assert run.status == "completed" and run.data()["outcome"] == "not_issued"  # TT 7 a) Bước 3


def test_a_result_chosen_at_the_desk_is_handed_over_at_the_desk(service: DossierService) -> None:
    # The desk registered the dossier with the applicant's choice (engine.onestop.reception, field `delivery`);
    # the delivery step's form carries the same field, so it opens with that choice and records it.
    run = Run(service, "radiation_worker_certificate").start("Trần Thị Mai", {"delivery": "desk"})
    run.do("receive", APPLICATION, role="reception")
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000)).do("record_payment", d.paid(200_000))
    run.do("appraise", d.APPRAISE_ISSUE).do("review", d.HEAD_AGREES).do("decide", d.SIGN_ISSUE)
    run.do("issue_result", d.issued())
    assert run.task("deliver").data["delivery"] == "desk"
    run.do("deliver", {"delivery": "desk", "delivered_on": "2026-03-24"}, role="reception")
    assert run.status == "completed" and run.data()["delivery"] == "desk"
