"""Registering a dossier received at the desk or by post: start it with its code, keep its papers, hand
out the receipt and appointment slip, and tell the applicant (the command: engine.service.commands,
Commands.register_at_desk)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from engine.legal_time.clock import clock
from engine.legal_time.event_dates import IN_FUTURE
from engine.onestop.vietnamese_text import local
from engine.runtime.attachment import Upload, check_uploads
from engine.runtime.errors import InvalidData
from engine.runtime.forms import BAD_DATE, FormDefinition, load_form

CHANNELS = ("desk", "post")
# Where the applicant receives the result, as the receipt words it.
DELIVERY = {
    "desk": "Bộ phận tiếp nhận và trả kết quả",
    "post": "Qua dịch vụ bưu chính công ích",
    "email": "Qua thư điện tử",
}
DESK_SAME_DAY = "Hồ sơ nộp trực tiếp được tiếp nhận trong ngày; ngày khác chỉ dùng cho hồ sơ qua bưu chính"

APPLICANT_FORM: FormDefinition = load_form({
    "id": "applicant",
    "title": {"vi": "Tổ chức, cá nhân nộp hồ sơ", "en": "Applicant"},
    "fields": [
        {"name": "applicant_name", "type": "text", "required": True, "max_length": 300,
         "label": {"vi": "Tên tổ chức, cá nhân", "en": "Organisation or person"}},
        {"name": "applicant_address", "type": "text", "required": True, "max_length": 500,
         "label": {"vi": "Địa chỉ liên hệ", "en": "Contact address"}},
        {"name": "applicant_phone", "type": "phone", "label": {"vi": "Điện thoại", "en": "Phone"}},
        {"name": "applicant_email", "type": "email", "label": {"vi": "Thư điện tử", "en": "E-mail"}},
        {"name": "applicant_id_number", "type": "id_number",
         "label": {"vi": "Số CMND/CCCD/Hộ chiếu (người nộp)", "en": "ID or passport number (submitter)"}},
        {"name": "delivery", "type": "select", "required": True,
         "label": {"vi": "Nhận kết quả", "en": "Result delivered"},
         "options": [{"value": "desk", "label": {"vi": DELIVERY["desk"], "en": "At the reception desk"}},
                     {"value": "post", "label": {"vi": DELIVERY["post"], "en": "By post"}},
                     {"value": "email", "label": {"vi": DELIVERY["email"], "en": "By e-mail"}}]},
    ],
}, name="engine/onestop/reception.py")


@dataclass(frozen=True)
class Registration:
    process_id: str
    applicant: Mapping[str, Any]  # raw, as typed
    form: Mapping[str, Any] = field(default_factory=dict)  # the official application form, raw
    form_definition: FormDefinition | None = None
    received_documents: tuple[str, ...] = ()
    channel: str = "desk"
    uploads: tuple[Upload, ...] = ()
    # The day the dossier arrived (a posted one may be entered days later), as typed; blank is today.
    received_on: str = ""


def clean(registration: Registration) -> dict[str, Any]:
    """The process data of the new dossier, or InvalidData naming every wrong field (files included)."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    for definition, raw, prefix in ((APPLICANT_FORM, registration.applicant, ""),
                                    (registration.form_definition, registration.form, "form.")):
        if definition is None:
            continue
        try:
            data.update(definition.validate(raw))
        except InvalidData as err:
            errors.update({prefix + k: v for k, v in err.fields.items()})
    if registration.channel not in CHANNELS:
        errors["channel"] = "Kênh tiếp nhận không hợp lệ"
    received_on = _received_on(registration, errors)
    try:
        check_uploads(list(registration.uploads))
    except InvalidData as err:
        errors.update(err.fields)
    if errors:
        raise InvalidData("Hồ sơ chưa hợp lệ, xin kiểm tra các trường được đánh dấu", fields=errors)
    data["received_documents"] = list(registration.received_documents)
    data["received_on"] = received_on
    return data


def _received_on(registration: Registration, errors: dict[str, str]) -> date:
    """The day of receipt the law counts from (e.g. TT 2 d) "kể từ ngày tiếp nhận hồ sơ"): today at the desk;
    for the post, the day it arrived, never in the future."""
    today = local(clock.now()).date()
    text = registration.received_on.strip()
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors["received_on"] = BAD_DATE
        return today
    if day > today:
        errors["received_on"] = IN_FUTURE
    elif day != today and registration.channel == "desk":
        errors["received_on"] = DESK_SAME_DAY
    return day
