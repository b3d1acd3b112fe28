"""Dossiers submitted online, through the applicants' portal or an integration's API call.

The same procedures as at the desk (engine.onestop.reception): the dossier starts with the applicant's data and
the official application form (Mẫu), its code is taken in the same transaction, its papers are stored
with it, and its first step waits in the reception desk's inbox like any other; only the channel says
"online" (the official statistics count online dossiers apart). What the desk does by hand is done here:
papers filled in as forms count as received, the other required papers must be uploaded, and the receipt
and appointment slip goes out by e-mail with the tracking secret (engine.onestop.tracking). The command
that opens the dossier is engine.service.commands.Commands.submit_online.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from engine.legal_time.clock import clock
from engine.onestop.procedure_facts import ProcedureFacts
from engine.onestop.reception import APPLICANT_FORM
from engine.onestop.vietnamese_text import local
from engine.runtime.attachment import Upload, check_uploads
from engine.runtime.errors import InvalidData
from engine.runtime.forms import FieldDefinition, FormDefinition

CHANNEL = "online"
# Every application form says how it was submitted; online it is always online, so nobody is asked.
CHANNEL_FIELD = "submission_channel"
REFUSED = "Hồ sơ chưa hợp lệ, xin kiểm tra các trường được đánh dấu"
MISSING_PAPER = "Chưa tải lên giấy tờ bắt buộc này"
UNKNOWN_PAPER = "Thủ tục này không có thành phần hồ sơ này"
BAD_CHARACTERS = "Có ký tự điều khiển không được phép"
# Control characters other than tab and line breaks: no form needs them, and PostgreSQL refuses NUL in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

_desk: dict[str, FieldDefinition] = {f.name: f for f in APPLICANT_FORM.fields}
# The desk's applicant block, less what only the desk needs: the e-mail is required (the tracking secret
# goes there), and results go by e-mail or post, never across a counter (procedures.md, step 2).
ONLINE_APPLICANT_FORM = FormDefinition(
    id="online_applicant",
    title={"vi": "Người nộp hồ sơ", "en": "Submitted by"},
    fields=(
        _desk["applicant_name"],
        replace(_desk["applicant_email"], required=True,
                help={"vi": "Mã hồ sơ, mã tra cứu và giấy tiếp nhận được gửi đến địa chỉ này",
                      "en": "The dossier code, the tracking secret and the receipt are sent here"}),
        _desk["applicant_phone"],
        replace(_desk["delivery"], options=tuple(o for o in _desk["delivery"].options if o.value != "desk")),
    ),
    source="engine/onestop/online_submission.py",
)


@dataclass(frozen=True)
class Paper:
    """One paper of the procedure's checklist, as the applicant reads it."""

    key: str
    label: dict[str, str]
    required: bool
    condition: dict[str, str] | None
    online_form: str | None  # filled in as a form online instead of uploaded

    @property
    def upload(self) -> bool:
        return self.online_form is None


def papers(facts: ProcedureFacts) -> list[Paper]:
    raw = {str(d.get("id") or d.get("key")): d for d in facts.raw.get("documents") or [] if isinstance(d, dict)}
    result = []
    for item in facts.checklist:
        entry = raw.get(item.key, {})
        condition = entry.get("condition")
        result.append(Paper(item.key, item.label, item.required,
                            condition if isinstance(condition, dict) else None,
                            entry.get("form") if isinstance(entry.get("form"), str) else None))
    return result


@dataclass(frozen=True)
class Submission:
    process_id: str
    applicant: Mapping[str, Any]  # raw, as typed
    form: Mapping[str, Any] = field(default_factory=dict)  # the application form, raw
    form_definition: FormDefinition | None = None
    # Each upload's `item` is a checklist key ("" for other papers); its `field` is where errors go.
    uploads: tuple[Upload, ...] = ()


def control_characters(value: Any, path: str = "") -> dict[str, str]:
    """The paths of the texts in `value` (nested mappings and lists) that hold control characters."""
    if isinstance(value, str):
        return {path: BAD_CHARACTERS} if _CONTROL.search(value) else {}
    items = value.items() if isinstance(value, Mapping) else enumerate(value) if isinstance(value, list) else ()
    found: dict[str, str] = {}
    for key, item in items:
        found |= control_characters(item, f"{path}.{key}" if path else str(key))
    return found


def clean(submission: Submission, facts: ProcedureFacts) -> dict[str, Any]:
    """The new dossier's process data, or InvalidData naming every wrong field: applicant fields by name,
    form fields as `form.<path>`, files by their upload's field, a missing paper as `documents.<key>`."""
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    try:
        data.update(ONLINE_APPLICANT_FORM.validate(submission.applicant))
    except InvalidData as err:
        errors.update(err.fields)
    definition = submission.form_definition
    if definition is not None:
        form = dict(submission.form)
        if any(f.name == CHANNEL_FIELD for f in definition.fields):
            form[CHANNEL_FIELD] = CHANNEL
        try:
            data.update(definition.validate(form))
        except InvalidData as err:
            errors.update({f"form.{k}": v for k, v in err.fields.items()})
    checklist = {p.key: p for p in papers(facts)}
    for upload in submission.uploads:
        if upload.item and upload.item not in checklist:
            errors[upload.field] = UNKNOWN_PAPER
    try:
        check_uploads(list(submission.uploads))
    except InvalidData as err:
        errors.update(err.fields)
    uploaded = {u.item for u in submission.uploads if u.item}
    for paper in checklist.values():
        if paper.required and paper.upload and paper.key not in uploaded:
            errors[f"documents.{paper.key}"] = MISSING_PAPER
    errors |= control_characters(dict(submission.applicant)) | control_characters(dict(submission.form), "form")
    if errors:
        raise InvalidData(REFUSED, fields=errors)
    filled = {p.key for p in checklist.values() if not p.upload and definition is not None}
    data["received_documents"] = sorted(filled | (uploaded & set(checklist)))
    data["received_on"] = local(clock.now()).date()
    return data
