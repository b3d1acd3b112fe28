"""Issue 12: deadlines count from the day the law names (receipt, fee paid, supplement received), not from
the day an officer entered it. Each scenario has receipt, entry and recording on different days, across a
weekend, Tết 2027 and 30/4–1/5; the expected dates are counted by hand on the calendar (holidays from
engine/legal_time/data/calendar_overrides.json and the Labour Code: Tết 2027 is Thu 4/2 – Wed 10/2 with the
weekend; in 2026 Mon 27/4 is the Hùng Kings day in lieu, Thu 30/4 and Fri 1/5 are off)."""

from __future__ import annotations

from datetime import date

import procedure_data as d
import pytest
from click.testing import CliRunner
from procedure_driver import Run, at, local_at
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from test_quantity_marks import DECLARATION, RECEPTION
from test_radiation_licences import licence_dossier

from engine.cli.dates_cli import dates_group
from engine.legal_time.business_calendar import ZONE
from engine.runtime.audit import AuditEvent
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData
from engine.runtime.work_item import WorkItem


def test_posted_quantity_mark_declaration_counts_from_the_friday_it_arrived(service: DossierService) -> None:
    # Posted dossier arrives Friday 6/3/2026, registered Monday 9/3 with its day of arrival, entered Tuesday
    # 10/3. TT 10 d): 3 working days to check from receipt: Mon 9, Tue 10, Wed 11 (the weekend does not
    # count); counted from the entry it would have been Fri 13/3.
    at(date(2026, 3, 9))
    run = Run(service, "quantity_mark_declaration").start("Công ty TNHH Thực phẩm Đồng Nai Xanh",
                                                          received_at=local_at(date(2026, 3, 6), 15))
    at(date(2026, 3, 10))
    run.do("receive", DECLARATION, role="reception")
    assert run.data()["received_on"] == date(2026, 3, 6)
    assert run.phase_dues() == {"check": date(2026, 3, 11)}
    # The promised day: 3 + 5 working days from receipt (TT 10 d)): 9–13 and 16, 17, 18 March.
    assert run.total_due() == date(2026, 3, 18)
    at(date(2026, 3, 11))
    run.do("check_dossier", d.CHECK_OK).do("resolve", RECEPTION)
    # The 5 working days of the resolution run from the check's end on Wed 11/3: 12, 13, 16, 17, 18.
    assert run.phase_dues() == {"check": date(2026, 3, 11), "resolution": date(2026, 3, 18)}


def _licence_through_tet(service: DossierService) -> Run:
    # Received online Wednesday 3/2/2027, the eve of Tết; the desk enters it Thursday 11/2 after the holiday.
    at(date(2027, 2, 3), 16)
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    at(date(2027, 2, 11))
    run.do("receive", licence_dossier(devices=[d.device("general", "G1")]), role="reception")
    # TT 2 d): check 5 working days from receipt 3/2: 11, 12, 15, 16, 17 Feb (4/2–10/2 are Tết and weekend).
    assert run.phase_dues() == {"check": date(2027, 2, 17)}
    # Total 30 working days from 3/2: Feb 11–26 is 12, March 1–19 adds 15 (27), 22, 23, 24 → Wed 24/3.
    assert run.total_due() == date(2027, 3, 24)
    at(date(2027, 2, 15))
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(3_000_000, "2027-02-15"))
    assert run.dossier().clock_paused
    return run


def test_fee_paid_before_it_was_recorded_counts_from_the_payment_across_tet(service: DossierService) -> None:
    run = _licence_through_tet(service)
    # Paid Friday 19/2, recorded by the desk Tuesday 23/2. TT 2 d): appraisal 25 working days "kể từ ngày nhận
    # được phí": Feb 22–26 (5), March 1–26 (20 more) → Fri 26/3; from the recording it would be Tue 30/3.
    at(date(2027, 2, 23))
    run.do("record_payment", d.paid(3_000_000, "2027-02-19"), role="reception")
    assert run.phase_dues() == {"check": date(2027, 2, 17), "appraisal": date(2027, 3, 26)}
    # The total paused on 15/2 with 27 days left after it (3 used: 11, 12, 15), counted again from 19/2:
    # Feb 22–26 (5), March 1–26 (25), 29, 30 → Tue 30/3.
    assert run.total_due() == date(2027, 3, 30)
    fee = next(x for x in run.clock().dates if x.event == "fee-paid")
    assert fee.at.date() <= date(2027, 2, 19) and fee.recorded_at.date() == date(2027, 2, 23)


def test_fee_paid_on_the_eve_of_30_april_counts_over_the_holidays(service: DossierService) -> None:
    # Certificate (procedure 1) posted and received Friday 24/4/2026, entered Tuesday 28/4 (27/4 is a day off).
    at(date(2026, 4, 28))
    run = Run(service, "radiation_worker_certificate").start("Trần Thị Mai",
                                                             received_at=local_at(date(2026, 4, 24), 10))
    from test_certificate_and_declaration import APPLICATION
    run.do("receive", {**APPLICATION, "health_check_date": "2026-01-15"}, role="reception")
    # TT 1 d): check 5 working days from 24/4: Tue 28, Wed 29, Mon 4/5, Tue 5, Wed 6 (27/4, 30/4, 1/5 off).
    assert run.phase_dues() == {"check": date(2026, 5, 6)}
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(200_000, "2026-04-28"))
    # Paid Wednesday 29/4, recorded Monday 4/5. TT 1 d): 10 days (working, as the total says) from the fee:
    # 4, 5, 6, 7, 8, 11, 12, 13, 14, 15 May → Fri 15/5; from the recording it would be Mon 18/5.
    at(date(2026, 5, 4))
    run.do("record_payment", d.paid(200_000, "2026-04-29"))
    assert run.phase_dues()["appraisal"] == date(2026, 5, 15)


def test_supplement_received_before_it_was_entered_resumes_on_its_day(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier(), role="reception")
    at(date(2026, 3, 4))
    run.do("check_dossier", d.CHECK_MISSING).do("request_supplement", d.SUPPLEMENT_REQUEST)
    # The supplement came by post Friday 13/3; the desk entered it Monday 16/3. The check had 3 days left
    # after 4/3 (5, 6, 9); counted from 13/3: 16, 17, 18 → Wed 18/3 (from 16/3 it would be Thu 19/3).
    at(date(2026, 3, 16))
    run.do("await_supplement", {**d.SUPPLEMENT_RECEIVED, "supplement_received_on": "2026-03-13"})
    assert run.phase_dues() == {"check": date(2026, 3, 18)}


@pytest.mark.parametrize(("day", "message"), [
    ("2026-03-10", "Ngày này chưa đến"),
    ("2026-02-27", "trước ngày tiếp nhận hồ sơ (02/03/2026)"),
    ("2026-03-03", "trước sự kiện trước đó của thời hạn giải quyết (04/03/2026)"),
])
def test_bad_event_dates_are_refused_naming_the_field(service: DossierService, day: str, message: str) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier(devices=[d.device("general", "G1")]))
    at(date(2026, 3, 4))
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(3_000_000, "2026-03-04"))
    at(date(2026, 3, 9))
    version = run.dossier().version
    with pytest.raises(InvalidData) as refused:
        run.do("record_payment", d.paid(3_000_000, day))
    assert message in refused.value.fields["fee_paid_on"]
    assert run.dossier().version == version and run.ready == ["record_payment"]  # nothing was recorded


def test_a_receipt_in_the_future_is_refused(service: DossierService) -> None:
    with pytest.raises(InvalidData) as refused:
        Run(service, "radiation_licence_issue").start("Bệnh viện", received_at=local_at(date(2026, 3, 3)))
    assert "chưa đến" in refused.value.fields["received_at"]


def test_supervisor_corrects_the_payment_day_and_every_deadline_follows(service: DossierService) -> None:
    run = _licence_through_tet(service)
    at(date(2027, 2, 23))
    run.do("record_payment", d.paid(3_000_000, "2027-02-23"))
    assert run.phase_dues()["appraisal"] == date(2027, 3, 30)
    fee = next(x for x in run.clock().dates if x.event == "fee-paid")
    at(date(2027, 3, 1))
    with pytest.raises(InvalidData) as refused:
        service.correct_event_date(run.dossier_id, fee.id, date(2027, 2, 19), " ", actor="giamsat")
    assert "lý do" in refused.value.fields["reason"]
    with pytest.raises(InvalidData) as refused:  # before the fee notice of 15/2, the clock's previous event
        service.correct_event_date(run.dossier_id, fee.id, date(2027, 2, 12), "Biên lai", actor="giamsat")
    assert "15/02/2027" in refused.value.fields["day"]

    service.correct_event_date(run.dossier_id, fee.id, date(2027, 2, 19), "Biên lai ngân hàng ghi ngày 19/02/2027",
                               actor="giamsat")
    # The same dates as when the payment day was entered right (test above).
    assert run.phase_dues()["appraisal"] == date(2027, 3, 26) and run.total_due() == date(2027, 3, 30)
    dossier = run.dossier()
    assert dossier.due_at == local_at(date(2027, 3, 27), 0)  # 24:00 on 26/3, Đồng Nai time
    correction = run.clock().corrections[-1]
    assert correction | {"at": ""} == {"date": fee.id, "event": "fee-paid", "task": "Xác nhận đã nhận phí, lệ phí",
                                       "old": "2027-02-23", "new": "2027-02-19", "at": "",
                                       "reason": "Biên lai ngân hàng ghi ngày 19/02/2027", "by": "giamsat"}
    with service.read_session() as session:
        audited = session.scalars(select(AuditEvent).where(AuditEvent.command == "correct_event_date")).one()
    assert audited.actor == "giamsat" and audited.data["old"] == "2027-02-23" and audited.data["new"] == "2027-02-19"
    # The open work item carries the new due date.
    assert run.task("appraise")


def test_supervisor_corrects_the_day_of_receipt(service: DossierService) -> None:
    at(date(2026, 3, 4))
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier())
    assert run.phase_dues() == {"check": date(2026, 3, 11)}
    receipt = run.clock().receipt
    assert receipt is not None
    # The post office's stamp shows Friday 27/2: check 5 wd → 2, 3, 4, 5, 6 March.
    service.correct_event_date(run.dossier_id, receipt.id, date(2026, 2, 27), "Dấu bưu điện 27/02", actor="giamsat")
    assert run.phase_dues() == {"check": date(2026, 3, 6)}
    assert run.dossier().received_at == local_at(date(2026, 2, 27), 0)


def test_correction_from_the_command_line(service: DossierService, db: Engine) -> None:
    url = db.url
    if db.dialect.name == "postgresql":
        with db.connect() as conn:
            url = url.update_query_dict({"options": f"-csearch_path={conn.scalar(text('select current_schema()'))}"})
    env = {"DATABASE_URL": url.render_as_string(hide_password=False)}
    at(date(2026, 3, 4))
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier())
    listed = CliRunner().invoke(dates_group, ["list", str(run.dossier_id)], env=env)
    assert listed.exit_code == 0 and listed.stdout.startswith("0\treceived\t2026-03-04\t"), listed.output
    refused = CliRunner().invoke(dates_group, ["correct", str(run.dossier_id), "0", "2026-03-05", "--reason", "x",
                                               "--actor", "giamsat"], env=env)
    assert refused.exit_code == 1 and "day: Ngày này chưa đến" in refused.output
    done = CliRunner().invoke(dates_group, ["correct", str(run.dossier_id), "0", "2026-02-27", "--reason",
                                            "Dấu bưu điện", "--actor", "giamsat"], env=env)
    assert done.exit_code == 0, done.output
    # Only the engine acted after the receipt: its steps ran again on the corrected day.
    assert "ran again from 'Ghi ngày tiếp nhận' on the new day; waiting at: Kiểm tra tính đầy đủ" in done.output
    assert run.phase_dues() == {"check": date(2026, 3, 6)}
    listed = CliRunner().invoke(dates_group, ["list", str(run.dossier_id)], env=env)
    assert "corrected 0: 2026-03-04 → 2026-02-27 by giamsat: Dấu bưu điện" in listed.stdout


def _renewal(service: DossierService, received: date, entered: date, issued_on: str, valid_until: str) -> Run:
    at(entered)
    run = Run(service, "radiation_licence_renewal").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai",
                                                          received_at=local_at(received, 8))
    return run.do("receive", {**d.APPLICANT, **d.LICENCE, "licence_issued_on": issued_on,
                              "licence_valid_until": valid_until, "devices": d.MIXED_DEVICES})


def test_renewal_45_days_count_from_the_day_the_posted_dossier_arrived(service: DossierService) -> None:
    # TT 3 k): "trước khi giấy phép hết hạn ít nhất 45 ngày đối với giấy phép có thời hạn trên 12 tháng".
    # Valid 10/5/2025 → 11/5/2026: one day more than 12 months, so the rule applies. Posted, it arrived
    # Thursday 26/3/2026: 46 days before expiry, in time; the desk entered it Monday 30/3 (42 days: late).
    run = _renewal(service, date(2026, 3, 26), date(2026, 3, 30), "2025-05-10", "2026-05-11")
    data = run.data()
    assert data["received_on"] == date(2026, 3, 26) and data["days_before_expiry"] == 46
    assert data["licence_longer_than_12_months"] is True and data["renewal_on_time"] is True
    assert run.ready == ["check_dossier"]


def test_renewal_received_44_days_before_expiry_is_refused(service: DossierService) -> None:
    run = _renewal(service, date(2026, 3, 28), date(2026, 3, 30), "2025-05-10", "2026-05-11")
    data = run.data()
    assert data["days_before_expiry"] == 44 and data["renewal_on_time"] is False
    assert run.ready == ["refuse_late"]


def test_a_licence_of_exactly_12_months_is_not_bound_by_the_45_days(service: DossierService) -> None:
    # 10/5/2025 → 10/5/2026 is 12 months, not more: the 45 days do not apply (judged on the dates).
    run = _renewal(service, date(2026, 3, 30), date(2026, 3, 30), "2025-05-10", "2026-05-10")
    data = run.data()
    assert data["days_before_expiry"] == 41 and data["licence_longer_than_12_months"] is False
    assert data["renewal_on_time"] is True


def test_xray_declaration_within_7_working_days_counted_to_the_day_it_arrived(service: DossierService) -> None:
    # TT 7 a): "trong 07 ngày làm việc kể từ ngày tổ chức, cá nhân có thiết bị bức xạ". Device acquired Wed
    # 22/4/2026: 23, 24, 28, 29 April, 4, 5, 6 May are the 7 working days (27/4, 30/4, 1/5 are off). The
    # posted declaration arrived Wed 6/5, in time; the desk entered it Fri 8/5 (9 working days: late).
    from test_certificate_and_declaration import declaration
    at(date(2026, 5, 8))
    run = Run(service, "xray_declaration").start("Phòng khám Đa khoa Tâm An", received_at=local_at(date(2026, 5, 6)))
    run.do("receive", declaration(acquired_on="2026-04-22"), role="reception")
    data = run.data()
    assert data["declaration_working_days"] == 7 and data["declared_on_time"] is True
    # Incomplete: a correction is asked for; the corrected declaration arrives Mon 11/5, entered Wed 13/5.
    run.do("review", {"dossier_complete": False, "missing_items": [{"item": "Số xê-ri", "issue": "Ghi theo nhãn"}]})
    run.do("request_correction", d.SUPPLEMENT_REQUEST)
    at(date(2026, 5, 13))
    run.do("await_correction", {**d.SUPPLEMENT_RECEIVED, "supplement_received_on": "2026-05-11"})
    run.do("review", d.CHECK_OK)
    # TT 7 d): 5 working days "kể từ ngày nhận đủ hồ sơ khai báo", the corrected one of 11/5: 12–15, 18 May
    # (from the review's click on 13/5 it would be Wed 20/5).
    assert run.phase_dues() == {"confirmation": date(2026, 5, 18)}
    assert run.total_due() == date(2026, 5, 18)
    assert [(x.event, x.at.astimezone(ZONE).date()) for x in run.clock().dates] == [
        ("received", date(2026, 5, 6)), ("complete-received", date(2026, 5, 11))]


def test_xray_declaration_complete_at_once_counts_from_its_receipt(service: DossierService) -> None:
    from test_certificate_and_declaration import declaration
    at(date(2026, 5, 8))
    run = Run(service, "xray_declaration").start("Phòng khám Đa khoa Tâm An", received_at=local_at(date(2026, 5, 6)))
    run.do("receive", declaration(acquired_on="2026-04-22")).do("review", d.CHECK_OK)
    # 5 working days from 6/5: 7, 8, 11, 12, 13 May.
    assert run.phase_dues() == {"confirmation": date(2026, 5, 13)}


def test_health_certificate_older_than_6_months_at_receipt_is_flagged_and_refused(service: DossierService) -> None:
    # TT 1 c): the health certificate "được cấp không quá 06 tháng tính đến thời điểm nộp hồ sơ". Issued
    # 1/9/2025, 6 months run to 1/3/2026; the posted dossier arrived Mon 2/3/2026 (one day too late), entered 4/3.
    from test_certificate_and_declaration import APPLICATION
    at(date(2026, 3, 4))
    run = Run(service, "radiation_worker_certificate").start("Trần Thị Mai", received_at=local_at(date(2026, 3, 2)))
    run.do("receive", {**APPLICATION, "health_check_date": "2025-09-01"})
    data = run.data()
    assert data["health_certificate_fresh"] is False
    # Flagged on the check's checklist, with the reason the supplement request will print.
    assert data["missing_items"] == [{"item": "health", "issue": (
        "Phiếu khám sức khỏe cấp ngày 2025-09-01, quá 06 tháng tính đến ngày nộp hồ sơ 2026-03-02 (TT 1 c)); "
        "đề nghị nộp phiếu khám sức khỏe mới")}]
    with pytest.raises(InvalidData) as refused:
        run.do("check_dossier", d.CHECK_OK)
    assert "quá thời hạn tại ngày tiếp nhận" in refused.value.fields["dossier_complete"]
    run.do("check_dossier", {"dossier_complete": False, "missing_items": data["missing_items"]})
    run.do("request_supplement", {**d.SUPPLEMENT_REQUEST, "request_date": "2026-03-04"})
    at(date(2026, 3, 9))
    run.do("await_supplement", {**d.SUPPLEMENT_RECEIVED, "supplement_received_on": "2026-03-06"})
    run.do("check_dossier", d.CHECK_OK)  # the new certificate came with the supplement
    assert run.ready == ["notify_fee"]


def test_health_certificate_of_exactly_6_months_at_receipt_passes(service: DossierService) -> None:
    from test_certificate_and_declaration import APPLICATION
    at(date(2026, 3, 4))
    run = Run(service, "radiation_worker_certificate").start("Trần Thị Mai", received_at=local_at(date(2026, 3, 2)))
    run.do("receive", {**APPLICATION, "health_check_date": "2025-09-02"})  # 2/9/2025 + 6 months = 2/3/2026
    assert run.data()["health_certificate_fresh"] is True and run.data()["missing_items"] == []
    run.do("check_dossier", d.CHECK_OK)
    assert run.ready == ["notify_fee"]


TWINS = {
    # procedure: (receive data, appraisal's last day, total's last day), received Fri 24/4/2026, entered Tue 28/4.
    "radiation_licence_amendment": (
        {**d.APPLICANT, **d.LICENCE, "amendment_kinds": ["organisation_details"],
         "changes": [{"content": "Đổi địa chỉ liên lạc"}],
         "new_address": "Số 234 đường Đồng Khởi, phường Tam Hiệp, thành phố Biên Hòa, tỉnh Đồng Nai"},
        date(2026, 5, 20), date(2026, 5, 20)),
    "radiation_licence_supplement": (
        {**d.APPLICANT, **d.LICENCE, "changes": [{"content": "Bổ sung 01 máy X-quang kỹ thuật số"}],
         "devices": [d.device("general", "G2601")]},
        date(2026, 6, 10), date(2026, 6, 10)),
    "radiation_licence_reissue": (
        {**d.APPLICANT, **d.LICENCE, "reissue_reason": "lost", "reason_details": "Thất lạc khi chuyển trụ sở"},
        date(2026, 5, 20), date(2026, 5, 20)),
}


@pytest.mark.parametrize("process_id", sorted(TWINS))
def test_licence_procedures_count_from_the_friday_before_the_holidays(service: DossierService, process_id: str) -> None:
    # Posted, received Friday 24/4/2026; entered Tuesday 28/4 (27/4 is the Hùng Kings day in lieu). TT 4–6 d):
    # check 5 working days from receipt: 28, 29 April, 4, 5, 6 May (30/4 and 1/5 are off).
    data, appraisal, total = TWINS[process_id]
    at(date(2026, 4, 28))
    run = Run(service, process_id).start("Bệnh viện Đa khoa Thống Nhất Đồng Nai",
                                         received_at=local_at(date(2026, 4, 24), 10))
    run.do("receive", data)
    assert run.phase_dues() == {"check": date(2026, 5, 6)}
    # The total from 24/4: 15 working days end Wed 20/5 (procedures 4, 6); 30 end Wed 10/6 (procedure 5).
    assert run.total_due() == total
    at(date(2026, 5, 6))
    run.do("check_dossier", d.CHECK_OK)  # no fee (TT 4–6 h)): the appraisal runs from the check's end, 6/5
    assert run.phase_dues() == {"check": date(2026, 5, 6), "appraisal": appraisal}


def test_quantity_mark_adjustment_posted_before_the_holidays(service: DossierService) -> None:
    # TT 11 d): 3 working days to check from receipt (Fri 24/4): 28, 29 April, 4 May; the promised 8: … 11 May.
    at(date(2026, 4, 28))
    run = Run(service, "quantity_mark_adjustment").start("Công ty TNHH Thực phẩm Đồng Nai Xanh",
                                                         received_at=local_at(date(2026, 4, 24), 10))
    run.do("receive", {**DECLARATION, "adjustment_reason": "changed", "previous_reception_count": 2,
                       "previous_received_on": "2025-06-12", "changes": "Bổ sung sản phẩm"})
    assert run.phase_dues() == {"check": date(2026, 5, 4)} and run.total_due() == date(2026, 5, 11)


def test_special_appointment_decision_counts_from_the_councils_result(service: DossierService) -> None:
    # TT 9 d): rank III decided "trong thời hạn 15 ngày kể từ ngày nhận được kết quả của Hội đồng". The result
    # reached the unit Friday 6/3/2026, recorded Monday 9/3: 6/3 + 15 = Sat 21/3 → Mon 23/3 (from 9/3: 24/3).
    from test_appointments import SPECIAL, SPECIAL_NOTICE, answer, passed
    run = Run(service, "st_special_appointment").start("Nguyễn Thị Thu Hà")
    run.do("announce", SPECIAL_NOTICE).do("receive", {**SPECIAL, "rank": "III", "current_rank": "IV",
                                                      "doctorate_outstanding": False, "international_award": True})
    run.do("screen", {"candidate_eligible": True}).do("unit_council", answer("Trung tâm", "21/QĐ-TTUD", "2026-03-02"))
    at(date(2026, 3, 9))
    run.do("unit_council_result", passed(council_result_date="2026-03-06"))
    assert run.other_dues() == {"decision": (date(2026, 3, 23), None)}
    assert run.phase_dues() == {"council": date(2026, 3, 17), "appointment": date(2026, 3, 23)}


def test_statistics_count_a_posted_dossier_in_the_month_it_arrived(service: DossierService) -> None:
    # Arrived by post Friday 27/2/2026, entered Monday 2/3: February's report counts it as received, March's
    # carries it over; a supervisor moves the receipt to 2/3 (a wrong date was typed) and the reports follow.
    from engine.legal_time.business_calendar import load_calendar
    from engine.onestop import statistics
    run = Run(service, "radiation_licence_issue").start("Bệnh viện", received_at=local_at(date(2026, 2, 27)))
    run.do("receive", licence_dossier())

    def report(month: int) -> tuple[int, int]:
        with service.read_session() as session:
            stats = statistics.compute(session, date(2026, month, 1), date(2026, month, 28), local_at(date(2026, 3, 2)),
                                       load_calendar(session), "radiation_licence_issue")
        return stats.total.carried_over, stats.total.received

    assert report(2) == (0, 1) and report(3) == (1, 0)
    with pytest.raises(InvalidData) as refused:  # not after the clock's next event
        service.correct_event_date(run.dossier_id, 0, date(2026, 3, 3), "x", actor="giamsat")
    assert "Ngày này chưa đến" in refused.value.fields["day"]
    service.correct_event_date(run.dossier_id, 0, date(2026, 3, 2), "Nhập nhầm ngày", actor="giamsat")
    assert report(2) == (0, 0) and report(3) == (0, 1)
    assert run.phase_dues() == {"check": date(2026, 3, 9)}


def test_a_correction_may_not_pass_the_clocks_next_event(service: DossierService) -> None:
    run = Run(service, "radiation_licence_issue").start("Bệnh viện Đa khoa Thống Nhất Đồng Nai")
    run.do("receive", licence_dossier(devices=[d.device("general", "G1")]))
    at(date(2026, 3, 4))
    run.do("check_dossier", d.CHECK_OK).do("notify_fee", d.fee_notice(3_000_000, "2026-03-04"))
    at(date(2026, 3, 9))
    run.do("record_payment", d.paid(3_000_000, "2026-03-06"))
    receipt = run.clock().receipt
    assert receipt is not None
    with pytest.raises(InvalidData) as refused:  # the check finished and the clock paused on 4/3
        service.correct_event_date(run.dossier_id, receipt.id, date(2026, 3, 5), "x", actor="giamsat")
    assert refused.value.fields["day"] == "Ngày này sau sự kiện tiếp theo của thời hạn giải quyết (04/03/2026)"


def _items(service: DossierService, dossier_id: int) -> dict[str, tuple[str, str | None]]:
    with service.read_session() as session:
        rows = session.scalars(select(WorkItem).where(WorkItem.dossier_id == dossier_id)).all()
    return {row.task_spec: (row.status, row.closed_by) for row in rows}


def _correction_audited(service: DossierService, dossier_id: int) -> dict:
    with service.read_session() as session:
        return session.scalars(select(AuditEvent).where(AuditEvent.dossier_id == dossier_id,
                                                        AuditEvent.command == "correct_event_date")).one().data


def test_receipt_corrected_to_the_postmark_takes_the_renewal_decision_again(service: DossierService) -> None:
    # TT 3 k): at least 45 days before the licence (10/5/2025 → 11/5/2026) expires. Entered as received Saturday
    # 28/3/2026 (44 days: late), the renewal waits for its refusal letter; the postmark shows Thursday 26/3.
    run = _renewal(service, date(2026, 3, 28), date(2026, 3, 30), "2025-05-10", "2026-05-11")
    assert run.ready == ["refuse_late"]
    # Check 5 working days from Sat 28/3: 30, 31 March, 1, 2, 3 April; total 30 (27/4, 30/4, 1/5 off) → 13/5.
    assert run.phase_dues() == {"check": date(2026, 4, 3)} and run.total_due() == date(2026, 5, 13)
    at(date(2026, 3, 31))
    corrected = service.correct_event_date(run.dossier_id, 0, date(2026, 3, 26), "Dấu bưu điện 26/03",
                                           actor="giamsat")
    # 46 days before expiry: in time, so the fee path runs and the check waits.
    assert corrected.rerun_from == "Tính thời gian còn lại của giấy phép" and corrected.kept is None
    assert corrected.field == "received_on" and run.ready == ["check_dossier"]
    data = run.data()
    assert data["received_on"] == date(2026, 3, 26) and data["days_before_expiry"] == 46
    assert data["renewal_on_time"] is True and run.task("check_dossier").data["received_on"] == date(2026, 3, 26)
    items = _items(service, run.dossier_id)
    assert items["refuse_late"] == ("cancelled", "giamsat") and items["check_dossier"] == ("open", None)
    audited = _correction_audited(service, run.dossier_id)
    assert audited["rerun_from"] == "prepare" and audited["old"] == "2026-03-28" and audited["new"] == "2026-03-26"
    # The check counts from Thu 26/3: 27, 30, 31 March, 1, 2 April; the total from 26/3 ends Tue 12/5. One
    # phase only: the refusal's wait, discarded, left nothing counting.
    assert run.phase_dues() == {"check": date(2026, 4, 2)} and run.total_due() == date(2026, 5, 12)
    assert [p.finished_at for p in run.phases()] == [None]
    assert run.dossier().received_at == local_at(date(2026, 3, 26), 0)
    assert [(x.event, x.at.astimezone(ZONE).date()) for x in run.clock().dates] == [("received", date(2026, 3, 26))]
    assert run.clock().corrections[-1]["new"] == "2026-03-26"


def test_receipt_corrected_after_the_refusal_was_written_keeps_the_decision(service: DossierService) -> None:
    run = _renewal(service, date(2026, 3, 28), date(2026, 3, 30), "2025-05-10", "2026-05-11")
    run.do("refuse_late", {**d.REFUSAL, "refusal_reasons": "Nộp muộn"})
    assert run.ready == ["deliver"]
    at(date(2026, 3, 31))
    corrected = service.correct_event_date(run.dossier_id, 0, date(2026, 3, 26), "Dấu bưu điện 26/03",
                                           actor="giamsat")
    # A person acted on the old day: the refusal stands, and the supervisor is told why; later steps read the
    # corrected day.
    assert corrected.rerun_from is None and corrected.kept == "later_step"
    assert corrected.kept_by == "Văn bản từ chối: nộp hồ sơ gia hạn muộn"
    assert run.ready == ["deliver"] and run.task("deliver").data["received_on"] == date(2026, 3, 26)
    assert _items(service, run.dossier_id)["deliver"] == ("open", None)
    audited = _correction_audited(service, run.dossier_id)
    assert audited["rerun"] is False and audited["kept"] == "later_step" and "rerun_from" not in audited
    assert run.dossier().received_at == local_at(date(2026, 3, 26), 0)
