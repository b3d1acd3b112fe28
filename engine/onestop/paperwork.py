"""The papers a dossier's steps produce, and the e-mail that carries them to the applicant.

A user task says which papers completing it issues, with the property `documents`: a list of kinds
(engine.onestop.documents.KINDS), each optionally behind the value of the task's `decision` field, e.g.
`supplement:supplement_request, accept:fee_notice` on a completeness check, or `licence` on the signing
task. The papers are filled from the process data by field name (see paper_context): the reception
desk's applicant_* fields, or the application forms' own names for the same facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.user import find_user
from engine.legal_time.business_calendar import Duration, Unit, load_calendar
from engine.onestop.documents import KINDS, Agency, issue_document
from engine.onestop.notifications import Attachment as MailAttachment
from engine.onestop.notifications import Sent, SmtpSettings, compose, notice_kind, send, unsent
from engine.onestop.procedure_facts import ProcedureFacts, load_facts
from engine.runtime import audit
from engine.runtime.attachment import Attachment
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService

DELIVERY = {
    "desk": "Bộ phận tiếp nhận và trả kết quả",
    "post": "Qua dịch vụ bưu chính công ích",
    "email": "Qua thư điện tử",
}
UNIT_WORDS = {Unit.WORKING_DAYS: "ngày làm việc", Unit.CALENDAR_DAYS: "ngày"}


@dataclass(frozen=True)
class Office:
    """The configuration the papers need: who issues them, where procedures live, how mail goes out."""

    agency: Agency
    agency_code: str
    bpmn_root: Path
    smtp: SmtpSettings | None = None


@dataclass(frozen=True)
class Issued:
    document_id: int
    kind: str
    number: str
    mail: Sent | None


# The paper each procedure issues as its result (procedures.md, column "result"); `result` in a task's
# `documents` property stands for it, so that a shared part such as the appraisal serves every procedure.
RESULT_KINDS = {
    "radiation_worker_certificate": "certificate",
    "radiation_licence_issue": "licence",
    "radiation_licence_renewal": "licence",
    "radiation_licence_amendment": "licence",
    "radiation_licence_supplement": "licence",
    "radiation_licence_reissue": "licence",
    "xray_declaration": "declaration_confirmation",
    "quantity_mark_declaration": "quantity_mark_declaration",
    "quantity_mark_adjustment": "quantity_mark_declaration",
}


def documents_for(properties: Mapping[str, str], data: Mapping[str, Any], process_id: str = "") -> list[str]:
    """The kinds of paper the `documents` property asks for, given the submitted decision."""
    kinds = []
    decision = str(data.get("decision", ""))
    for entry in properties.get("documents", "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        condition, _, kind = entry.rpartition(":")
        kind = RESULT_KINDS.get(process_id, "") if kind.strip() == "result" else kind.strip()
        if (not condition or condition.strip() == decision) and kind in KINDS:
            kinds.append(kind)
    return kinds


def deadline_words(duration: Duration | None) -> str:
    return f"{duration.amount:02d} {UNIT_WORDS[duration.unit]}" if duration else "theo quy định"


def _lines(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        # A table row (e.g. missing item and what to add) reads as its cells joined.
        return [": ".join(str(c) for c in v.values() if str(c).strip()) if isinstance(v, Mapping) else str(v)
                for v in value if str(v).strip()]
    if isinstance(value, str):
        return [line.strip(" -•\t") for line in value.splitlines() if line.strip(" -•\t")]
    return []


def _rows(value: Any, keys: tuple[str, ...]) -> list[dict[str, Any]]:
    rows = []
    for item in value if isinstance(value, list | tuple) else []:
        if isinstance(item, Mapping):
            rows.append({k: item.get(k, "") for k in keys} | dict(item))
        else:
            rows.append({k: "" for k in keys} | {keys[0]: str(item)})
    return rows


def appointment(dossier: Dossier, facts: ProcedureFacts, calendar: Any) -> datetime | None:
    """When the result is promised: the legal clock's total, or the procedure's total counted from receipt."""
    if dossier.total_due_at is not None:
        return dossier.total_due_at
    if facts.total is not None:
        return calendar.due_at(dossier.created_at, facts.total)
    return dossier.due_at


def paper_context(
    dossier: Dossier, facts: ProcedureFacts, data: Mapping[str, Any], attachments: list[Attachment],
    officer: str, appointment_at: datetime | None, extra: Mapping[str, Any],
) -> dict[str, Any]:
    """What every template may use, from the process data under the conventional field names."""
    received = set(_lines(data.get("received_documents")))
    uploaded: dict[str, int] = {}
    for row in attachments:
        uploaded[row.item] = uploaded.get(row.item, 0) + 1
    checklist = [
        {"label": item.label["vi"],
         "form": "Bản điện tử" if uploaded.get(item.key) else "Bản giấy",
         "note": f"{uploaded[item.key]} tệp" if uploaded.get(item.key) else ""}
        for item in facts.checklist if item.key in received or uploaded.get(item.key)
    ]
    missing = [facts.item(k).label["vi"] if facts.item(k) else k
               for k in _lines(data.get("missing_items")) or _lines(data.get("request_content"))]
    fee = data.get("fee_notified", data.get("fee"))
    fee_amount = Decimal(str(fee)) if isinstance(fee, int | Decimal | str) and str(fee).strip() else Decimal(0)
    fee_lines = _rows(data.get("fee_lines"), ("label", "amount")) or [
        {"label": "Phí thẩm định, lệ phí cấp theo quy định", "amount": fee_amount}]
    context = {
        "applicant": {
            "name": data.get("applicant_name") or dossier.title or "",
            # The reception desk's names first, then those of the procedures' application forms.
            "address": data.get("applicant_address") or data.get("contact_address", ""),
            "phone": data.get("applicant_phone") or data.get("phone", ""),
            "email": data.get("applicant_email") or data.get("email", ""),
            "id_number": data.get("applicant_id_number", ""),
        },
        "procedure": facts.name["vi"],
        "checklist": checklist,
        "deadline": deadline_words(facts.total),
        "appointment_at": appointment_at,
        "delivery": DELIVERY.get(str(data.get("delivery", dossier.channel)), DELIVERY["desk"]),
        "officer": officer,
        "missing": missing,
        "note": data.get("supplement_note", ""),
        "fee": fee_amount,
        "fee_lines": fee_lines,
        "reasons": _lines(data.get("refusal_reasons")) or ["(không nêu lý do)"],
        "devices": _rows(data.get("devices"), ("name", "purpose", "serial")),
        "goods": _rows(data.get("goods"), ("name", "nominal_quantity", "packaging_mass")),
        "valid_until": data.get("valid_until") or data.get("result_valid_until"),
        "reception_count": data.get("reception_count", 1),
        "reason": "",
        "new_appointment_at": None,
    }
    context.update(extra)
    return context


class Paperwork:
    """Issuing papers and telling the applicant, each paper in its own short transaction after the step."""

    def __init__(self, service: DossierService, office: Office) -> None:
        self.service = service
        self.office = office

    def facts(self, session: Session, dossier: Dossier) -> ProcedureFacts:
        definition = session.get(ProcessDefinition, dossier.definition_id)
        return load_facts(self.office.bpmn_root, dossier.process_id, definition.name if definition else "")

    def issue(
        self, dossier_id: int, kind: str, actor: str, *, data: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None, notify: bool = True,
    ) -> Issued:
        data = dict(self.service.data(dossier_id) if data is None else data)
        with self.service.command() as session:
            dossier = session.get(Dossier, dossier_id)
            if dossier is None:
                raise ValueError(f"no dossier {dossier_id}")
            facts = self.facts(session, dossier)
            user = find_user(session, actor)
            attachments = list(session.scalars(select(Attachment).where(Attachment.dossier_id == dossier_id)))
            context = paper_context(dossier, facts, data, attachments, user.full_name if user else actor,
                                    appointment(dossier, facts, load_calendar(session)), extra or {})
            document = issue_document(session, dossier_id, kind, actor, data=data, agency=self.office.agency,
                                      extra=context)
            issued = (document.id, document.number, document.filename, document.content)
            code, procedure, applicant = dossier.code or str(dossier.id), facts.name["vi"], context["applicant"]
        mail = None
        notice = notice_kind(kind, KINDS[kind].result)
        if notify and notice is not None:
            mail = self._mail(dossier_id, notice, applicant, code, procedure,
                              MailAttachment(issued[2], issued[3]))
        return Issued(issued[0], kind, issued[1], mail)

    def _mail(self, dossier_id: int, notice: str, applicant: Mapping[str, str], code: str, procedure: str,
              attachment: MailAttachment) -> Sent:
        to = str(applicant.get("email") or "")
        if not to:
            sent = Sent("", notice, None, "the applicant gave no e-mail address")
        elif self.office.smtp is None:
            sent = unsent(to, notice, code)
        else:
            settings = self.office.smtp
            message = compose(settings, to, notice, code=code, procedure=procedure,
                              applicant=str(applicant.get("name") or ""), attachments=[attachment])
            sent = send(self.office.smtp, message)
        with self.service.command() as session:
            audit.record(session, actor="notifier", command="notify", dossier_id=dossier_id,
                         data={"to": sent.to, "kind": notice, "message_id": sent.message_id, "error": sent.error})
        return sent

    def issue_for_task(self, dossier_id: int, properties: Mapping[str, str], submitted: Mapping[str, Any],
                       actor: str) -> list[Issued]:
        with self.service.read_session() as session:
            process_id = session.scalar(select(Dossier.process_id).where(Dossier.id == dossier_id)) or ""
        kinds = documents_for(properties, submitted, process_id)
        if not kinds:
            return []
        data = self.service.data(dossier_id)
        return [self.issue(dossier_id, kind, actor, data=data) for kind in kinds]

