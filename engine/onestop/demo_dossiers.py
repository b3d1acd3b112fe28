"""Dossiers for the demo (`motcua init --demo`): one in every state an office meets, with its history
backdated, so that a newcomer's first look at the inbox, the dashboard and the statistics shows real work.

Each dossier is received at the desk and driven step by step through the deployed procedure as officers
would, with the platform clock set back to the day each step happened: the codes, papers, work items, audit
trail and legal clocks are the ones those days would have made. Procedure 1 (radiation worker certificate,
15 working days: check 5, appraisal 10, TT 1 d)) carries most of them; procedure 10 (quantity mark
declaration, 30-day supplement window, TT 10 d)) shows a dossier lapsing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select

from engine.legal_time.business_calendar import ZONE, BusinessCalendar, load_calendar
from engine.legal_time.clock import clock
from engine.onestop.procedure_facts import load_facts
from engine.onestop.reception import Registration
from engine.runtime.dossier import Dossier
from engine.runtime.forms import find_form, load_form
from engine.service.commands import Commands

# A step: (working days after receipt, hour, task, who, the data as a function of that day).
Step = tuple[int, int, str, str, Callable[[date], dict[str, Any]]]


def _worker(name: str, id_number: str, facility: str) -> dict[str, Any]:
    return {
        "submission_channel": "post", "full_name": name, "birth_date": "12/04/1985", "id_number": id_number,
        "id_issued_on": "2021-08-20", "id_issued_by": "Cục Cảnh sát quản lý hành chính về trật tự xã hội",
        "contact_address": "Số 12 đường Võ Thị Sáu, phường Thống Nhất, thành phố Biên Hòa, tỉnh Đồng Nai",
        "phone": "0913456789", "email": "nvbx.demo@example.vn", "job": "safety_officer", "facility_name": facility,
        # Two months before today: fresh at every demo dossier's receipt (TT 1 c): not older than 6 months).
        "health_check_date": (clock.now().astimezone(ZONE).date() - timedelta(days=60)).isoformat(),
        "attachments": [{"title": "Bằng tốt nghiệp chuyên ngành"}, {"title": "Giấy chứng nhận đào tạo ATBX"}],
    }


def _certificate_steps(application: dict[str, Any], *, supplement: bool = False, late: bool = False) -> list[Step]:
    """Procedure 1 from receipt to delivery; `late` lets the appraisal run past its 10 working days."""
    appraisal_day = 24 if late else 9
    steps: list[Step] = [(0, 10, "receive", "tiepnhan", lambda day: application)]
    if supplement:
        steps += [
            (2, 9, "check_dossier", "chuyenvien", lambda day: {"dossier_complete": False, "missing_items": [
                {"item": "Giấy chứng nhận sức khỏe", "issue": "Giấy khám sức khỏe đã quá 6 tháng"}]}),
            (2, 14, "request_supplement", "chuyenvien", lambda day: {
                "request_date": day.isoformat(),
                "request_content": "Đề nghị bổ sung giấy chứng nhận sức khỏe còn hiệu lực."}),
        ]
        return steps
    steps += [
        (2, 9, "check_dossier", "chuyenvien", lambda day: {"dossier_complete": True}),
        (2, 10, "notify_fee", "chuyenvien", lambda day: {
            "fee_notice_date": day.isoformat(),
            "fee_notified": 200_000}),
        (4, 15, "record_payment", "tiepnhan", lambda day: {
            "fee_paid": 200_000, "fee_paid_on": day.isoformat(), "fee_receipt_number": f"BL-{day:%m%d}",
            "fee_payment_method": "transfer"}),
        (appraisal_day, 11, "appraise", "chuyenvien", lambda day: {
            "recommendation": "issue", "findings": "Hồ sơ đáp ứng điều kiện cấp chứng chỉ nhân viên bức xạ."}),
        (appraisal_day + 1, 9, "review", "truongphong", lambda day: {"head_agrees": True}),
        (appraisal_day + 1, 15, "decide", "lanhdao", lambda day: {
            "outcome": "issue", "signed_by": "Phó Giám đốc Phạm Văn Lãnh Đạo", "signed_on": day.isoformat()}),
        (appraisal_day + 2, 9, "issue_result", "chuyenvien", lambda day: {
            "result_issued_on": day.isoformat()}),
        (appraisal_day + 2, 14, "deliver", "tiepnhan", lambda day: {
            "delivery": "desk", "delivered_on": day.isoformat()}),
    ]
    return steps


_DECLARATION = {
    "submission_channel": "online", "declaration_number": "07/2026/CB-DL",
    "facility_name": "Công ty TNHH Thực phẩm Đồng Nai Xanh", "facility_kind": "producer", "goods_group": "2",
    "head_office_address": "Lô C5, Khu công nghiệp Amata, phường Long Bình, thành phố Biên Hòa, tỉnh Đồng Nai",
    "phone": "02513991234", "email": "qa@dongnaixanh.vn",
    "production_or_import_address": "Lô C5, Khu công nghiệp Amata, thành phố Biên Hòa",
    "goods": [{"name": "Hạt điều rang muối", "nominal_quantity": "500 g", "packaging_mass": "12 g"}],
    "head_name": "Lê Hoàng Phúc", "copies": 2,
}


@dataclass(frozen=True)
class Scenario:
    state: str  # what the demo shows with it
    process_id: str
    applicant: str
    days_ago: int  # working days between receipt and today
    steps: list[Step]
    stop_after: int | None = None  # leave the dossier after this many steps
    lapse_after_days: int | None = None  # calendar days after the last step when the timers are fired


def scenarios() -> list[Scenario]:
    worker = _worker
    return [
        Scenario("on_time", "radiation_worker_certificate", "Bệnh viện Đa khoa Đồng Nai", 1,
                 _certificate_steps(worker("Nguyễn Thị Hoa", "075190001111", "Bệnh viện Đa khoa Đồng Nai")),
                 stop_after=1),
        Scenario("due_soon", "radiation_worker_certificate", "Bệnh viện Nhi Đồng Đồng Nai", 4,
                 _certificate_steps(worker("Trần Minh Khoa", "075190002222", "Bệnh viện Nhi Đồng Đồng Nai")),
                 stop_after=1),
        Scenario("overdue", "radiation_worker_certificate", "Phòng khám Đa khoa Tâm An", 8,
                 _certificate_steps(worker("Lê Văn Tâm", "075190003333", "Phòng khám Đa khoa Tâm An")),
                 stop_after=1),
        Scenario("overdue", "radiation_worker_certificate", "Bệnh viện Thống Nhất Đồng Nai", 16,
                 _certificate_steps(worker("Phạm Thị Lan", "075190004444", "Bệnh viện Thống Nhất Đồng Nai")),
                 stop_after=4),
        Scenario("paused", "radiation_worker_certificate", "Nha khoa Sài Gòn Biên Hòa", 3,
                 _certificate_steps(worker("Võ Thị Mỹ", "075190005555", "Nha khoa Sài Gòn Biên Hòa"),
                                    supplement=True)),
        Scenario("finished_on_time", "radiation_worker_certificate", "Bệnh viện Quốc tế Đồng Nai", 20,
                 _certificate_steps(worker("Đặng Quốc Huy", "075190006666", "Bệnh viện Quốc tế Đồng Nai"))),
        Scenario("finished_late", "radiation_worker_certificate", "Bệnh viện Đa khoa Long Khánh", 35,
                 _certificate_steps(worker("Bùi Thanh Sơn", "075190007777", "Bệnh viện Đa khoa Long Khánh"),
                                    late=True)),
        Scenario("lapsed", "quantity_mark_declaration", "Công ty TNHH Thực phẩm Đồng Nai Xanh", 30, [
            (0, 10, "receive", "tiepnhan", lambda day: _DECLARATION),
            (1, 9, "check_dossier", "chicuc", lambda day: {"dossier_complete": False, "missing_items": [
                {"item": "Mẫu nhãn hàng hóa", "issue": "Chưa nộp mẫu nhãn có dấu định lượng"}]}),
            (1, 14, "request_supplement", "chicuc", lambda day: {
                "request_date": day.isoformat(),
                "request_content": "Đề nghị bổ sung mẫu nhãn hàng đóng gói sẵn có dấu định lượng."}),
        ], lapse_after_days=31),
    ]


def _working_days_back(calendar: BusinessCalendar, today: date, count: int) -> date:
    day = today
    while count > 0:
        day -= timedelta(days=1)
        if calendar.is_working(day):
            count -= 1
    return day


def _working_days_on(calendar: BusinessCalendar, start: date, count: int) -> date:
    day = start
    while count > 0:
        day += timedelta(days=1)
        if calendar.is_working(day):
            count -= 1
    return day


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


def create_demo_dossiers(commands: Commands) -> list[str]:
    """Creates the demo dossiers once (nothing when the database already holds dossiers); their codes."""
    with commands.dossiers.read_session() as session:
        if session.scalar(select(func.count()).select_from(Dossier)):
            return []
        calendar = load_calendar(session)
    real_now = clock.now()
    today = real_now.astimezone(ZONE).date()
    with clock.restored():
        return [_create(commands, calendar, scenario, today, real_now) for scenario in scenarios()]


def _create(commands: Commands, calendar: BusinessCalendar, scenario: Scenario, today: date,
            real_now: datetime) -> str:
    received = _working_days_back(calendar, today, scenario.days_ago)
    clock.freeze(_at(received, 8))
    root = commands.paperwork.office.bpmn_root
    facts = load_facts(root, scenario.process_id)
    path = find_form(root, scenario.process_id, facts.application_form) if facts.application_form else None
    application = scenario.steps[0][4](received)
    registered = commands.register_at_desk(Registration(
        process_id=scenario.process_id,
        applicant={"applicant_name": scenario.applicant, "delivery": "desk",
                   "applicant_address": "Thành phố Biên Hòa, tỉnh Đồng Nai", "applicant_phone": "0251 3822 123"},
        form={k: v for k, v in application.items()} if path else {}, form_definition=load_form(path) if path else None,
        received_documents=tuple(c.key for c in facts.checklist if c.required)), "tiepnhan")
    service = commands.dossiers
    steps = scenario.steps[:scenario.stop_after] if scenario.stop_after else scenario.steps
    last = received
    for days, hour, spec, actor, data in steps:
        day = _working_days_on(calendar, received, days)
        at = _at(day, hour)
        if at >= real_now:
            break
        clock.freeze(at)
        task = next(t for t in service.ready_tasks(registered.dossier_id) if t.spec == spec)
        commands.complete_task(registered.dossier_id, task.id, data(day), actor)
        last = day
    if scenario.lapse_after_days:
        clock.freeze(min(_at(last + timedelta(days=scenario.lapse_after_days), 9), real_now))
        service.fire_timers(registered.dossier_id)
    return registered.code
