"""Money and numbers of the radiation procedures: computed fee prefilled, changes justified, payments held
below the notice, and one number per paper from the register book."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import procedure_data as d
import pytest
from procedure_driver import Run

from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData


def checked(service: DossierService, devices: list[dict[str, object]]) -> Run:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", {**d.APPLICANT, "works": d.WORKS, "devices": devices, **d.SAFETY_OFFICER})
    return run.do("check_dossier", d.CHECK_OK)


def test_mobile_general_device_is_notified_at_the_mobile_rate_prefilled(service: DossierService) -> None:
    run = checked(service, [d.device("general", "M-01", mobility="mobile"), d.device("ct", "CT-01")])
    # TT 2 h): di động 2,000,000 + CT 8,000,000; one rate per device for the notice's lines.
    assert run.data()["device_fees"] == [Decimal(2_000_000), Decimal(8_000_000)]
    assert run.data()["fee_amount"] == Decimal(10_000_000)
    assert run.task("notify_fee").data["fee_notified"] == Decimal(10_000_000)  # the form opens prefilled


def test_a_changed_fee_needs_a_reason_and_keeps_it(service: DossierService) -> None:
    run = checked(service, [d.device("general", "G-01")])
    with pytest.raises(InvalidData) as refused:
        run.do("notify_fee", d.fee_notice(2_000_000))
    assert "3.000.000 đồng" in refused.value.fields["fee_change_reason"]
    assert run.ready == ["notify_fee"]
    run.do("notify_fee", {**d.fee_notice(2_000_000), "fee_change_reason": "Thiết bị thực tế là máy di động"})
    assert run.data()["fee_notified"] == Decimal(2_000_000)
    assert run.data()["fee_change_reason"] == "Thiết bị thực tế là máy di động"


def test_a_payment_below_the_notice_keeps_the_dossier_waiting(service: DossierService) -> None:
    run = checked(service, [d.device("general", "G-01")]).do("notify_fee", d.fee_notice(3_000_000))
    with pytest.raises(InvalidData) as held:
        run.do("record_payment", d.paid(2_500_000))
    assert "còn thiếu 500.000 đồng" in held.value.fields["fee_paid"]
    assert run.ready == ["record_payment"] and run.dossier().clock_paused
    run.do("record_payment", d.paid(3_000_000))
    assert run.ready == ["appraise"]


def test_each_paper_takes_the_next_number_of_its_book(service: DossierService) -> None:
    first = checked(service, [d.device("general", "G-01")]).do("notify_fee", d.fee_notice(3_000_000))
    second = checked(service, [d.device("dental", "D-01")]).do("notify_fee", d.fee_notice(2_000_000))
    assert (first.data()["fee_notice_number"], second.data()["fee_notice_number"]) == ("01/TB-SKHCN", "02/TB-SKHCN")


def test_the_supervisor_sees_fees_notified_and_collected_per_procedure_and_month(
    service: DossierService, db,  # type: ignore[no-untyped-def]
) -> None:
    from argon2 import PasswordHasher
    from procedure_driver import BPMN, at

    from engine.access.user import User, UserRole
    from engine.legal_time.clock import clock
    from webapp import create_app

    paid = checked(service, [d.device("general", "G-01"), d.device("ct", "CT-01")])
    paid.do("notify_fee", d.fee_notice(11_000_000, "2026-03-02")).do("record_payment", d.paid(11_000_000, "2026-03-02"))
    at(date(2026, 4, 1))
    checked(service, [d.device("dental", "D-01")]).do("notify_fee", d.fee_notice(2_000_000, "2026-04-01"))
    with service.command() as session:
        session.add(User(username="giamsat", full_name="Bùi Văn Giám Sát", password_hash=PasswordHasher().hash("pw"),
                         created_at=clock.now(), role_rows=[UserRole(role="supervisor")]))
    app = create_app({"DATABASE_URL": db.url.render_as_string(hide_password=False), "TESTING": True,
                      "SECRET_KEY": "test", "BPMN_ROOT": str(BPMN), "SMTP": None, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    assert client.post("/login", data={"username": "giamsat", "password": "pw"}).status_code == 302
    page = client.get("/supervisor/fees?from=2026-01-01&to=2026-12-31").get_data(as_text=True)
    assert 'data-month="2026-03"' in page and 'data-month="2026-04"' in page
    assert "11.000.000" in page and "13.000.000" in page  # March notice and payment; both notices in total
    exported = client.get("/supervisor/fees?from=2026-01-01&to=2026-12-31&format=csv").data.decode("utf-8-sig")
    lines = exported.splitlines()
    assert lines[0].startswith("Tháng,Thủ tục,Số thông báo")
    assert lines[1].startswith("2026-03,") and lines[1].endswith(",1,11000000,1,11000000")
    assert lines[2].startswith("2026-04,") and lines[2].endswith(",1,2000000,0,0")
    assert lines[-1] == "Tổng cộng,,2,13000000,1,11000000"
