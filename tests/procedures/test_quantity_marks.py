"""Procedures 10 and 11: the quantity mark "V" declaration, its 30-day supplement window and adjustment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import procedure_data as d
from procedure_driver import Run, at

from engine.legal_time.clock import clock
from engine.runtime.dossier_service import DossierService

DECLARATION = {
    "submission_channel": "online",
    "declaration_number": "01/2026/CB-DL",
    "facility_name": "Công ty TNHH Thực phẩm Đồng Nai Xanh",
    "facility_kind": "producer",
    "goods_group": "2",
    "head_office_address": "Lô C5, Khu công nghiệp Amata, phường Long Bình, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "02513991234",
    "email": "qa@dongnaixanh.vn",
    "production_or_import_address": "Lô C5, Khu công nghiệp Amata, thành phố Biên Hòa",
    "goods": [
        {"name": "Hạt điều rang muối", "nominal_quantity": "500 g", "packaging_mass": "12 g"},
        {"name": "Cà phê bột Robusta", "nominal_quantity": "250 g", "packaging_mass": "8 g"},
    ],
    "head_name": "Lê Hoàng Phúc",
    "copies": 2,
}
RECEPTION = {"reception_count": 1, "received_stamp_on": "2026-03-04", "signed_by": "Chi cục trưởng Võ Thanh Sơn"}


def test_declaration_received_within_the_deadlines(service: DossierService) -> None:
    run = Run(service, "quantity_mark_declaration").start("Công ty TNHH Thực phẩm Đồng Nai Xanh")
    run.do("receive", DECLARATION, role="reception")
    data = run.data()
    assert data["declaration_mandatory"] is True and data["reception_count"] == 1  # TT 10 đ): group 2
    run.do("check_dossier", d.CHECK_OK, role="subdepartment")
    run.do("resolve", RECEPTION, role="subdepartment").do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    # TT 10 d): 3 working days to check, then 5 working days to resolve.
    assert run.phase_dues() == {"check": date(2026, 3, 5), "resolution": date(2026, 3, 9)}


def test_group_1_declares_by_choice_and_supplements_in_time(service: DossierService) -> None:
    run = Run(service, "quantity_mark_declaration").start("Công ty CP Bánh kẹo Biên Hòa")
    run.do("receive", {**DECLARATION, "goods_group": "1", "facility_kind": "importer"})
    assert run.data()["declaration_mandatory"] is False
    run.do("check_dossier", d.CHECK_MISSING).do("request_supplement", d.SUPPLEMENT_REQUEST)
    at(date(2026, 3, 30))
    run.do("await_supplement", d.SUPPLEMENT_RECEIVED).do("check_dossier", d.CHECK_OK)
    run.do("resolve", RECEPTION).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"


def test_dossier_lapses_when_the_30_day_supplement_window_runs_out(service: DossierService) -> None:
    run = Run(service, "quantity_mark_declaration").start("Công ty TNHH Thực phẩm Đồng Nai Xanh")
    run.do("receive", DECLARATION).do("check_dossier", d.CHECK_MISSING).do("request_supplement", d.SUPPLEMENT_REQUEST)
    # TT 10 d): 30 days from the notice sent on Monday 2/3 → the window ends at 24:00 on 1/4 (Đồng Nai time).
    assert run.dossier().next_timer_at == datetime(2026, 4, 1, 17, 0, tzinfo=UTC)
    clock.freeze(datetime(2026, 4, 1, 16, 59, tzinfo=UTC))
    assert service.fire_due_timers() == 0 and run.ready == ["await_supplement"]
    clock.advance(timedelta(minutes=2))
    assert service.fire_due_timers() == 1
    assert run.status == "completed" and run.ready == []
    data = run.data()
    assert data["dossier_lapsed"] is True and data["outcome"] == "lapsed"


def test_adjustment_raises_the_reception_count(service: DossierService) -> None:
    run = Run(service, "quantity_mark_adjustment").start("Công ty TNHH Thực phẩm Đồng Nai Xanh")
    run.do("receive", {**DECLARATION, "adjustment_reason": "changed", "previous_reception_count": 2,
                       "previous_received_on": "2025-06-12", "changes": "Bổ sung sản phẩm hạt điều rang muối 1 kg",
                       "goods": [*DECLARATION["goods"], {"name": "Hạt điều rang muối", "nominal_quantity": "1 kg",
                                                         "packaging_mass": "20 g"}]})
    assert run.data()["reception_count"] == 3  # lần tiếp nhận: the previous count + 1
    run.do("check_dossier", d.CHECK_OK).do("resolve", {**RECEPTION, "reception_count": 3}).do("deliver", d.DELIVERED)
    assert run.status == "completed" and run.data()["outcome"] == "issue"
    assert run.phase_dues() == {"check": date(2026, 3, 5), "resolution": date(2026, 3, 9)}
