"""The papers a dossier's steps produce, and the e-mail that carries them to the applicant.

A user task says which papers completing it issues, with the property `documents`: a list of kinds
(engine.onestop.documents.KINDS), each optionally behind the value of the task's `decision` field, e.g.
`supplement:supplement_request, accept:fee_notice` on a completeness check, or `licence` on the signing
task; `result` stands for the procedure's own result paper, named in its procedure.json (`result.kind`).
The papers are filled from the process data by field name (see paper_context): the reception desk's
applicant_* fields, or the application forms' own names for the same facts.

Papers and mails are side effects of the command that asks for them: it writes them to the outbox
(engine.runtime.outbox) in its own transaction, and `effects()` carries them out after it commits — the
paper in one transaction with its outbox row, the mail after it with a Message-ID of its own row.
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
from engine.onestop.documents import KINDS, Agency, Document, issue_document
from engine.onestop.dossier_code import agency_code_from_env
from engine.onestop.notifications import Attachment as MailAttachment
from engine.onestop.notifications import SmtpSettings, compose, mail_domain, notice_kind, send
from engine.onestop.procedure_facts import ProcedureFacts, load_facts
from engine.runtime import audit, outbox
from engine.runtime.attachment import Attachment
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.serialization import WorkflowSerializer

DELIVERY = {
    "desk": "Bộ phận tiếp nhận và trả kết quả",
    "post": "Qua dịch vụ bưu chính công ích",
    "email": "Qua thư điện tử",
}
NO_SERVER = "no SMTP server configured (MOTCUA_SMTP_HOST)"
UNIT_WORDS = {Unit.WORKING_DAYS: "ngày làm việc", Unit.CALENDAR_DAYS: "ngày"}


@dataclass(frozen=True)
class Office:
    """The configuration the papers need: who issues them, where procedures live, how mail goes out."""

    agency: Agency
    agency_code: str
    bpmn_root: Path
    smtp: SmtpSettings | None = None

    @classmethod
    def from_env(cls, bpmn_root: Path) -> Office:
        """As the web app configures it: the MOTCUA_AGENCY_* and MOTCUA_SMTP_* variables (a worker's)."""
        return cls(agency=Agency.from_env(), agency_code=agency_code_from_env(), bpmn_root=bpmn_root,
                   smtp=SmtpSettings.from_env())


@dataclass(frozen=True)
class Issued:
    document_id: int
    kind: str
    number: str
    mail: int | None  # the outbox row of the mail that carries it


def result_kind(session: Session, definition_id: int) -> str:
    """The procedure's result paper, from the procedure sheet deployed with the dossier's version."""
    catalogue = session.scalar(select(ProcessDefinition.catalogue).where(ProcessDefinition.id == definition_id))
    result = ((catalogue or {}).get("procedure") or {}).get("result")
    kind = result.get("kind") if isinstance(result, Mapping) else None
    return kind if isinstance(kind, str) else ""


def documents_for(properties: Mapping[str, str], data: Mapping[str, Any], result: str = "") -> list[str]:
    """The kinds of paper the `documents` property asks for, given the submitted decision; `result` is the
    procedure's result paper (result_kind)."""
    kinds = []
    decision = str(data.get("decision", ""))
    for entry in properties.get("documents", "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        condition, _, kind = entry.rpartition(":")
        kind = result if kind.strip() == "result" else kind.strip()
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


PAPER = "paper"
MAIL = "mail"
_serializer = WorkflowSerializer()


class Paperwork:
    """The papers of the dossiers and the mails that carry them to the applicant, through the outbox."""

    def __init__(self, service: DossierService, office: Office) -> None:
        self.service = service
        self.office = office

    def facts(self, session: Session, dossier: Dossier) -> ProcedureFacts:
        definition = session.get(ProcessDefinition, dossier.definition_id)
        return load_facts(self.office.bpmn_root, dossier.process_id, definition.name if definition else "")

    # -- in the command's transaction ----------------------------------------------------------------

    @staticmethod
    def enqueue(session: Session, dossier_id: int, kinds: list[str], actor: str, *, data: Mapping[str, Any],
                extra: Mapping[str, Any] | None = None, notify: bool = True,
                mail_extra: Mapping[str, Any] | None = None) -> list[int]:
        """The papers to issue after the caller's transaction commits, filled from `data` as it is now;
        `mail_extra` goes to the mail that carries them (kept until then only: it may hold a secret)."""
        return [outbox.enqueue(session, PAPER, {
            "kind": kind, "actor": actor, "notify": notify, "data": _serializer.jsonable(dict(data)),
            "extra": _serializer.jsonable(dict(extra or {})), "_mail_extra": dict(mail_extra or {}),
        }, actor=actor, dossier_id=dossier_id).id for kind in kinds]

    def issue_in(
        self, session: Session, dossier_id: int, kind: str, actor: str, *, data: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None, notify: bool = True, mail_extra: Mapping[str, Any] | None = None,
    ) -> tuple[Document, int | None]:
        """Render and store one paper in the caller's transaction, and queue the mail that carries it (its
        outbox id, None when the kind is not mailed or the applicant gave no address)."""
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
        notice = notice_kind(kind, KINDS[kind].result)
        to = str(context["applicant"].get("email") or "")
        if not notify or notice is None:
            return document, None
        if not to:
            audit.record(session, actor="notifier", command="notify", dossier_id=dossier_id,
                         data={"to": "", "kind": notice, "message_id": None,
                               "error": "the applicant gave no e-mail address"})
            return document, None
        mail = outbox.enqueue(session, MAIL, {
            "notice": notice, "to": to, "applicant": str(context["applicant"].get("name") or ""),
            "code": dossier.code or str(dossier.id), "procedure": facts.name["vi"], "document_id": document.id,
            **(mail_extra or {}),
        }, actor=actor, dossier_id=dossier_id)
        return document, mail.id

    # -- after the commit: the outbox's effects ------------------------------------------------------

    def effects(self) -> list[outbox.Effect]:
        return [outbox.Effect(PAPER, self._run_paper), outbox.Effect(MAIL, self._run_mail, external=True)]

    def _run_paper(self, session: Session, entry: outbox.OutboxEntry) -> dict[str, Any]:
        payload = entry.payload
        registry = _serializer.registry
        document, mail = self.issue_in(
            session, entry.dossier_id, payload["kind"], payload["actor"], data=registry.restore(payload["data"]),
            extra=registry.restore(payload.get("extra") or {}), notify=payload.get("notify", True),
            mail_extra=payload.get("_mail_extra"))
        return {"document_id": document.id, "number": document.number, "mail": mail}

    def _run_mail(self, session: Session, entry: outbox.OutboxEntry) -> dict[str, Any]:
        payload = entry.payload
        settings = self.office.smtp
        if settings is None:
            raise outbox.EffectRefused(NO_SERVER, final=True)
        attachments = []
        if payload.get("document_id"):
            paper = session.get(Document, payload["document_id"])
            attachments.append(MailAttachment(paper.filename, paper.content))
        extra = ""
        if payload.get("_secret"):
            extra = secret_lines(payload["_secret"], payload.get("track_url", ""))
        # The same Message-ID each time this row is tried: a mail sent twice reads as one.
        message_id = f"<motcua.{entry.id}.{int(entry.created_at.timestamp())}@{mail_domain(settings)}>"
        message = compose(settings, payload["to"], payload["notice"], code=payload["code"],
                          procedure=payload["procedure"], applicant=payload["applicant"], attachments=attachments,
                          message_id=message_id, extra=extra)
        sent = send(settings, message)
        audit.record(session, actor="notifier", command="notify", dossier_id=entry.dossier_id,
                     data={"to": sent.to, "kind": payload["notice"], "message_id": sent.message_id,
                           "error": sent.error, "outbox_id": entry.id})
        if not sent.ok:
            session.commit()  # the failed attempt stays in the audit trail
            raise outbox.EffectRefused(sent.error or "not sent")
        return {"message_id": sent.message_id}


def secret_lines(secret: str, track_url: str) -> str:
    """What the receipt of an online dossier adds: the tracking secret and where to use it."""
    return (f"Mã tra cứu: {secret}\n\nTra cứu tình trạng, bổ sung hồ sơ, nộp chứng từ phí và nhận kết quả tại:\n"
            f"{track_url}\nXin giữ kín mã tra cứu: ai có mã hồ sơ và mã tra cứu đều xem được hồ sơ này.\n")
