"""Procedures 8 and 9: the rank chains through the unit, the PPC, MOST and MOHA, each hop with its deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import procedure_data as d
import pytest
from procedure_driver import Run, at

from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData

NOTICE = {"position": "Nghiên cứu viên về công nghệ sinh học nông nghiệp", "title_kind": "research", "rank": "I",
          "media": "Báo Đồng Nai số ra ngày 02/3/2026", "published_on": "2026-03-02",
          "portal_url": "https://dost.dongnai.gov.vn/thong-bao/tiep-nhan-vien-chuc-2026", "posted_at_office": True}
CANDIDATE = {
    "submission_channel": "online", "full_name": "Phạm Quốc Bảo", "sex": "nam", "birth_date": "1979-09-02",
    "home_town": "Xã Long Thọ, huyện Nhơn Trạch, tỉnh Đồng Nai",
    "permanent_address": "Số 8 đường Hà Huy Giáp, phường Quyết Thắng, thành phố Biên Hòa, tỉnh Đồng Nai",
    "current_address": "Số 8 đường Hà Huy Giáp, phường Quyết Thắng, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "0988123456", "ethnicity": "Kinh", "qualification": "Tiến sĩ Công nghệ sinh học",
    "title_kind": "research", "title_name": "Nghiên cứu viên cao cấp", "rank": "I",
    "unit_name": "Trung tâm Ứng dụng tiến bộ khoa học và công nghệ Đồng Nai",
    "documents": ["cv", "degrees", "achievements", "health", "scientific_cv", "envelopes_photos"],
    "cv_certified_on": "2026-02-10", "commitment": True,
}


def answer(body: str, number: str, on: str, agrees: bool = True) -> dict[str, Any]:
    return {"answer_body": body, "answer_number": number, "answer_date": on, "answer_agrees": agrees}


def today() -> str:
    """The platform clock's day in Đồng Nai: the day each step below records its event on."""
    return clock.now().astimezone(ZONE).date().isoformat()


def passed(**extra: Any) -> dict[str, Any]:
    return {"council_passed": True, "council_result_date": today(), "council_minutes_number": "01/BB-HĐSH", **extra}


def published() -> dict[str, Any]:
    return {"published_on": today(), "portal_url": "https://dost.dongnai.gov.vn/ket-qua", "posted_at_office": True}


DECIDED = {"outcome": "issue", "decision_number": "1234/QĐ-UBND", "decision_date": "2026-05-29",
           "decided_by": "Chủ tịch UBND tỉnh Đồng Nai"}
DISPATCH = {"dispatch_number": "88/TTUD", "dispatched_on": "2026-04-03", "dispatched_to": "UBND tỉnh Đồng Nai"}


def admission(service: DossierService, rank: str, screen: bool = True, **candidate: Any) -> Run:
    """Step 1: the 30-day public notice is a real timer (TT 8 a) Bước 1); then the candidate applies."""
    run = Run(service, "st_staff_admission").start("Phạm Quốc Bảo")
    run.do("announce", {**NOTICE, "rank": rank}, role="st_unit")
    assert run.dossier().next_timer_at == datetime(2026, 4, 1, 17, 0, tzinfo=UTC)  # 24:00 on 1/4, 30 days on
    assert run.ready == []
    clock.freeze(datetime(2026, 4, 1, 17, 1, tzinfo=UTC))
    assert service.fire_due_timers() == 1
    at(date(2026, 4, 2))
    run.do("receive", {**CANDIDATE, "rank": rank, **candidate}, role="reception")
    if screen:
        run.do("screen", {"candidate_eligible": True}, role="st_unit")
        assert run.data()["chain"] == {"I": "ppc_most_moha", "II": "ppc_most"}.get(rank, "unit")
    return run


def test_rank_i_goes_through_ppc_most_and_moha(service: DossierService) -> None:
    run = admission(service, "I")
    assert run.data()["decision_days"] == 60  # TT 8 d)
    at(date(2026, 4, 3))
    run.do("send_to_ppc", DISPATCH, role="st_unit")
    at(date(2026, 4, 10))
    run.do("ppc_council", answer("Chủ tịch UBND tỉnh", "950/QĐ-UBND", "2026-04-10"), role="liaison")
    at(date(2026, 4, 20))
    run.do("ppc_council_result", passed(), role="liaison")
    at(date(2026, 4, 24))
    run.do("ppc_to_most", answer("UBND tỉnh Đồng Nai", "2101/UBND-KGVX", "2026-04-24"))
    at(date(2026, 5, 6))
    run.do("most_to_moha", answer("Bộ Khoa học và Công nghệ", "1570/BKHCN-TCCB", "2026-05-06"))
    at(date(2026, 5, 20))
    run.do("moha_answer", answer("Bộ Nội vụ", "2890/BNV-CCVC", "2026-05-20"))
    at(date(2026, 5, 29))
    run.do("ppc_decide", DECIDED, role="liaison").do("publish", published(), role="st_unit")
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    # Each hop 15 days (TT 8 a) Bước 3), calendar days; a last day off rolls to the next working day.
    assert run.phase_dues() == {
        "notice": date(2026, 4, 1),  # TT 8 a) Bước 1: 30 days from the notice published on 2/3
        "council": date(2026, 4, 20),  # 3/4 + 15 = Sat 18/4 → Mon 20/4
        "ppc-to-most": date(2026, 5, 5),
        "most-review": date(2026, 5, 11),  # 24/4 + 15 = Sat 9/5 → Mon 11/5
        "moha-answer": date(2026, 5, 21),
        "ppc-decision": date(2026, 6, 4),
    }
    # TT 8 d): the decision within 60 days of the council's result (20/4): 19/6, a clock of its own; decided
    # on 29/5, in time.
    assert run.other_dues() == {"decision": (date(2026, 6, 19), False)}


def test_rank_ii_skips_moha(service: DossierService) -> None:
    run = admission(service, "II")
    assert run.data()["decision_days"] == 45
    run.do("send_to_ppc", DISPATCH).do("ppc_council", answer("UBND tỉnh Đồng Nai", "951/QĐ-UBND", "2026-04-02"))
    run.do("ppc_council_result", passed()).do("ppc_to_most", answer("UBND tỉnh Đồng Nai", "2102/UBND", "2026-04-02"))
    assert run.ready == ["most_answer"]
    run.do("most_answer", answer("Bộ Khoa học và Công nghệ", "1571/BKHCN", "2026-04-02"))
    run.do("ppc_decide", DECIDED).do("publish", published())
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"notice": date(2026, 4, 1), "council": date(2026, 4, 17),
                                "ppc-to-most": date(2026, 4, 17), "most-answer": date(2026, 4, 17),
                                "ppc-decision": date(2026, 4, 17)}


def test_ranks_iii_and_iv_stay_inside_the_unit(service: DossierService) -> None:
    run = admission(service, "IV")
    assert run.data()["decision_days"] == 30
    run.do("unit_council", answer("Trung tâm Ứng dụng tiến bộ KH&CN", "12/QĐ-TTUD", "2026-04-02"), role="st_unit")
    run.do("unit_council_result", passed())
    # TT 8 d): 30 days from the council's result on 2/4 end Sat 2/5 → Mon 4/5; watched beside the hops.
    assert run.other_dues() == {"decision": (date(2026, 5, 4), None)}
    assert run.total_due() == date(2026, 5, 4)
    run.do("unit_recognise", answer("Trung tâm", "13/QĐ-TTUD", "2026-04-02"))
    run.do("unit_decide", DECIDED, role="st_unit").do("publish", published())
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"notice": date(2026, 4, 1), "council": date(2026, 4, 17),
                                "recognition": date(2026, 4, 17), "appointment": date(2026, 4, 17)}


def test_failed_council_is_answered_and_published(service: DossierService) -> None:
    run = admission(service, "III")
    run.do("unit_council", answer("Trung tâm", "14/QĐ-TTUD", "2026-04-02"))
    run.do("unit_council_result", passed(**{"council_passed": False}))
    run.do("notify_refusal", {**d.REFUSAL, "refusal_reasons": "Không đạt yêu cầu kiểm tra, sát hạch."})
    run.do("publish", published())
    assert run.status == "completed" and run.data()["outcome"] == "refuse"


SPECIAL = {
    "submission_channel": "post", "full_name": "NGUYỄN THỊ THU HÀ", "sex": "nu", "birth_date": "1982-11-20",
    "current_address": "Số 21 đường Phan Chu Trinh, phường Hòa Bình, thành phố Biên Hòa, tỉnh Đồng Nai",
    "unit_name": "Trung tâm Ứng dụng tiến bộ khoa học và công nghệ Đồng Nai",
    "position": "Nghiên cứu viên chính",
    "position_code": "V.05.01.02", "recruited_on": "2008-09-01", "current_rank": "II",
    "current_rank_code": "V.05.01.02",
    "salary_coefficient": "5.08", "salary_since": "2023-09-01", "phone": "0903112233", "email": "thuha.ttud@gmail.com",
    "notice_reference": "Thông báo số 15/TB-SKHCN ngày 02/3/2026 của Sở Khoa học và Công nghệ",
    "title_kind": "research", "rank": "I", "doctorate_outstanding": True, "professor": False,
    "documents": ["cv", "evaluation", "degrees", "scientific_cv"],
}
SPECIAL_NOTICE = {"notice_number": "15/TB-SKHCN", "published_on": "2026-03-02",
                  "issuer": "Sở Khoa học và Công nghệ tỉnh Đồng Nai", "rank": "I"}


def special(service: DossierService, **extra: Any) -> Run:
    run = Run(service, "st_special_appointment").start("Nguyễn Thị Thu Hà")
    run.do("announce", SPECIAL_NOTICE).do("receive", {**SPECIAL, **extra}).do("screen", {"candidate_eligible": True})
    return run


def test_special_appointment_rank_i_needs_one_of_five_achievements(service: DossierService) -> None:
    run = special(service)
    assert run.data()["special_appointment_eligible"] is True and run.data()["chain"] == "ppc_most_moha"
    run.do("send_to_ppc", DISPATCH).do("ppc_council", answer("Chủ tịch UBND tỉnh", "520/QĐ-UBND", "2026-03-02"))
    run.do("ppc_council_result", passed()).do("ppc_to_most", answer("Chủ tịch UBND tỉnh", "1201/UBND", "2026-03-02"))
    run.do("most_to_moha", answer("Bộ Khoa học và Công nghệ", "980/BKHCN", "2026-03-02"))
    run.do("moha_answer", answer("Bộ Nội vụ", "1750/BNV", "2026-03-02"))
    run.do("ppc_decide", DECIDED).do("publish", published())
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    fifteen = date(2026, 3, 17)  # 2/3 + 15 days (TT 9 a) Bước 3)
    assert run.phase_dues() == {"council": fifteen, "ppc-to-most": fifteen, "most-review": fifteen,
                                "moha-answer": fifteen, "ppc-decision": fifteen}


def test_special_appointment_rank_iii_decided_within_15_days_of_the_council(service: DossierService) -> None:
    run = special(service, rank="III", current_rank="IV", doctorate_outstanding=False, international_award=True)
    assert run.data()["decision_days"] == 15  # TT 9 d)
    run.do("unit_council", answer("Trung tâm", "21/QĐ-TTUD", "2026-03-02"))
    run.do("unit_council_result", passed()).do("unit_decide", DECIDED).do("publish", published())
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"council": date(2026, 3, 17), "appointment": date(2026, 3, 17)}
    # TT 9 d): rank III decided within 15 days of the council's result (2/3): 17/3, and it was.
    assert run.other_dues() == {"decision": (date(2026, 3, 17), False)}


def test_special_appointment_without_any_achievement_is_refused(service: DossierService) -> None:
    run = special(service, doctorate_outstanding=False)
    assert run.data()["special_appointment_eligible"] is False  # TT 9 k): none of the five
    assert run.ready == ["notify_refusal"]
    run.do("notify_refusal", {**d.REFUSAL, "refusal_reasons": "Không đạt điều kiện nào tại mục k) của thủ tục."})
    run.do("publish", published())
    assert run.data()["outcome"] == "refuse"


def test_special_appointment_to_the_rank_already_held_is_refused(service: DossierService) -> None:
    # TT 9: "xét đặc cách bổ nhiệm vào hạng chức danh … cao hơn": III → III is no promotion.
    run = special(service, rank="III", current_rank="III", doctorate_outstanding=False, international_award=True)
    data = run.data()
    assert data["special_appointment_eligible"] is True and data["rank_is_higher"] is False
    assert "không cao hơn hạng đang giữ (hạng III)" in data["rank_note"]
    assert run.ready == ["notify_refusal"]


def test_notice_published_before_it_was_recorded_and_applications_closed_later(service: DossierService) -> None:
    # TT 8 a) Bước 1: published Friday 27/2/2026, recorded by the unit Monday 2/3. 30 days from 27/2 end on
    # Sunday 29/3, a day off, so on Monday 30/3 (Civil Code 2015 art. 148(5)); the desk takes applications then.
    run = Run(service, "st_staff_admission").start("Phạm Quốc Bảo")
    run.do("announce", {**NOTICE, "rank": "III", "published_on": "2026-02-27"}, role="st_unit")
    assert run.dossier().next_timer_at == datetime(2026, 3, 30, 17, 0, tzinfo=UTC)
    assert run.phase_dues() == {"notice": date(2026, 3, 30)}
    clock.freeze(datetime(2026, 3, 30, 17, 1, tzinfo=UTC))
    assert service.fire_due_timers() == 1
    at(date(2026, 4, 8))
    run.do("receive", {**CANDIDATE, "rank": "III", "application_received_on": "2026-04-06"}, role="reception")
    # Applications closed Friday 10/4; the unit lists the eligible candidates on Tuesday 14/4. TT 8 a) Bước 3:
    # the unit's council within 15 days "kể từ ngày hết hạn nộp hồ sơ": 10/4 + 15 = Sat 25/4 → Mon 27/4 is the
    # Hùng Kings day in lieu → Tue 28/4 (from the listing on 14/4 it would be Wed 29/4).
    at(date(2026, 4, 14))
    run.do("screen", {"candidate_eligible": True, "applications_closed_on": "2026-04-10"}, role="st_unit")
    assert run.data()["received_on"] == date(2026, 4, 6)
    assert run.phase_dues() == {"notice": date(2026, 3, 30), "council": date(2026, 4, 28)}


def test_a_cv_certified_more_than_6_months_before_receipt_is_refused_at_screening(service: DossierService) -> None:
    # TT 8 c): "Sơ yếu lý lịch … có xác nhận … trong thời hạn 06 tháng tính đến ngày nộp hồ sơ". Received
    # 2/4/2026; certified 1/10/2025: 6 months ran to 1/4/2026.
    run = admission(service, "III", screen=False, cv_certified_on="2025-10-01")
    assert run.data()["cv_fresh"] is False
    with pytest.raises(InvalidData) as refused:
        run.do("screen", {"candidate_eligible": True})
    assert "quá 06 tháng" in refused.value.fields["candidate_eligible"]
    run.do("screen", {"candidate_eligible": False})
    assert run.ready == ["notify_refusal"]
