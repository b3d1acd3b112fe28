"""Dossiers submitted online, through the applicants' portal or an integration's API call.

The same procedures as at the desk (engine.onestop.reception): the dossier starts with the applicant's data and
the official application form (Mẫu), its code is taken in the same transaction, its papers are stored
with it, and its first step waits in the reception desk's inbox like any other; only the channel says
"online" (the official statistics count online dossiers apart). What the desk does by hand is done here:
papers filled in as forms count as received, the other required papers must be uploaded, and the receipt
and appointment slip goes out by e-mail with the tracking secret (engine.onestop.tracking).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from sqlalchemy.orm import Session

from engine.legal_time.clock import clock
from engine.onestop.documents import Document
from engine.onestop.dossier_code import next_code
from engine.onestop.notifications import OPENINGS, SUBJECTS, Sent, SmtpSettings, send, unsent
from engine.onestop.notifications import Attachment as MailAttachment
from engine.onestop.paperwork import Issued, Paperwork
from engine.onestop.procedure_facts import ProcedureFacts
from engine.onestop.reception import APPLICANT_FORM
from engine.onestop.tracking import FEE_PROOF_ITEM, keep_secret, new_secret
from engine.onestop.vietnamese_text import local
from engine.runtime import audit
from engine.runtime.attachment import Upload, add_attachments, check_uploads
from engine.runtime.dossier_service import DossierService, Outcome
from engine.runtime.errors import InvalidData
from engine.runtime.forms import FieldDefinition, FormDefinition

CHANNEL = "online"
# Every application form says how it was submitted; online it is always online, so nobody is asked.
CHANNEL_FIELD = "submission_channel"
REFUSED = "Hồ sơ chưa hợp lệ, xin kiểm tra các trường được đánh dấu"
MISSING_PAPER = "Chưa tải lên giấy tờ bắt buộc này"
UNKNOWN_PAPER = "Thủ tục này không có thành phần hồ sơ này"
NO_FILE = "Xin tải lên ít nhất một tệp"
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


@dataclass(frozen=True)
class Submitted:
    dossier_id: int
    code: str
    secret: str
    receipt: Issued
    mail: Sent


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


def submit(
    service: DossierService, paperwork: Paperwork, submission: Submission, facts: ProcedureFacts, actor: str,
    track_url: str,
) -> Submitted:
    """Open the dossier with its code, papers and secret in one transaction, then issue and mail the slip."""
    data = clean(submission, facts)
    secret = new_secret()
    codes: list[str] = []

    def take_code(session: Session) -> str:
        codes.append(next_code(session, paperwork.office.agency_code, clock.now()))
        return codes[0]

    def keep(session: Session, dossier_id: int) -> None:
        if submission.uploads:
            add_attachments(session, dossier_id, list(submission.uploads), actor)
        keep_secret(session, dossier_id, codes[0], secret, clock.now())

    outcome = service.start(submission.process_id, data, actor, title=str(data.get("applicant_name", "")),
                            channel=CHANNEL, code=take_code, within=keep)
    # The slip goes out in one message with the secret, rather than the desk's receipt mail without it.
    receipt = paperwork.issue(outcome.dossier_id, "receipt", actor, data=data, notify=False)
    mail = _mail_receipt(service, paperwork.office.smtp, outcome.dossier_id, receipt, data, codes[0], secret,
                         facts.name["vi"], track_url)
    return Submitted(outcome.dossier_id, codes[0], secret, receipt, mail)


def _mail_receipt(
    service: DossierService, smtp: SmtpSettings | None, dossier_id: int, receipt: Issued, data: Mapping[str, Any],
    code: str, secret: str, procedure: str, track_url: str,
) -> Sent:
    to = str(data.get("applicant_email") or data.get("email") or "")
    if smtp is None or not to:
        sent = unsent(to, "receipt", code) if to else Sent("", SUBJECTS["receipt"].format(code=code), None,
                                                           "the applicant gave no e-mail")
        _record_notice(service, dossier_id, sent)
        return sent
    settings = smtp
    with service.read_session() as session:
        document = session.get(Document, receipt.document_id)
        pdf = MailAttachment(document.filename, document.content)
    message = EmailMessage()
    message["From"] = formataddr((settings.sender_name, settings.sender))
    message["To"] = to
    message["Subject"] = SUBJECTS["receipt"].format(code=code)
    message["Message-ID"] = make_msgid(domain=settings.sender.rsplit("@", 1)[-1] or "localhost")
    message.set_content(
        f"Kính gửi {data.get('applicant_name', '')},\n\n"
        + OPENINGS["receipt"].format(procedure=procedure)
        + f"\n\nMã hồ sơ: {code}\nMã tra cứu: {secret}\n\n"
        f"Tra cứu tình trạng, bổ sung hồ sơ, nộp chứng từ phí và nhận kết quả tại:\n{track_url}\n"
        "Xin giữ kín mã tra cứu: ai có mã hồ sơ và mã tra cứu đều xem được hồ sơ này.\n\n"
        "Trân trọng,\n" + settings.sender_name + "\n\n(Thư được gửi tự động, xin không trả lời thư này.)\n"
    )
    message.add_attachment(pdf.content, maintype="application", subtype="pdf", filename=pdf.filename)
    sent = send(smtp, message)
    _record_notice(service, dossier_id, sent)
    return sent


def _record_notice(service: DossierService, dossier_id: int, sent: Sent) -> None:
    with service.command() as session:
        audit.record(session, actor="notifier", command="notify", dossier_id=dossier_id,
                     data={"to": sent.to, "kind": "receipt", "message_id": sent.message_id, "error": sent.error})


def _checked(uploads: list[Upload], field_name: str) -> None:
    if not uploads:
        raise InvalidData(NO_FILE, fields={field_name: NO_FILE})
    check_uploads(uploads)


def answer_supplement(
    service: DossierService, dossier_id: int, task_id: str, uploads: list[Upload], note: str, actor: str,
) -> Outcome:
    """The applicant's answer to a supplement request: the waiting step (form `supplement_received`) is
    done, so the legal clock resumes, and the papers join the dossier."""
    _checked(uploads, "files")
    answer: dict[str, object] = {"supplement_received_on": local(clock.now()).date(), "supplement_channel": CHANNEL}
    if note.strip():
        answer["supplement_notes"] = note.strip()[:4000]
    outcome = service.complete(dossier_id, task_id, answer, actor)
    with service.command() as session:
        add_attachments(session, dossier_id, uploads, actor)
    return outcome


def send_fee_proof(service: DossierService, dossier_id: int, uploads: list[Upload], actor: str) -> None:
    """The applicant's proof of payment joins the dossier; the desk confirms the fee received (the law counts
    the appraisal from the fee's receipt), which resumes the clock."""
    _checked(uploads, "files")
    with service.command() as session:
        add_attachments(session, dossier_id, [replace(u, item=FEE_PROOF_ITEM) for u in uploads], actor)
