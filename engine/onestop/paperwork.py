"""The papers a dossier's steps produce, and the e-mail that carries them to the applicant.

A user task says which papers completing it issues, with the property `documents`: a list of kinds
(engine.onestop.documents.KINDS), each optionally behind the value of the task's `decision` (or `outcome`)
field, e.g.
`supplement:supplement_request, accept:fee_notice` on a completeness check, or `licence` on the signing
task; `result` stands for the procedure's own result paper, named in its procedure.json (`result.kind`).
The papers are filled from the process data by field name (see paper_context): the reception desk's
applicant_* fields, or the application forms' own names for the same facts.

Papers and mails are side effects of the command that asks for them: it writes them to the outbox
(engine.runtime.outbox) in its own transaction, and `effects()` carries them out after it commits — the
paper in one transaction with its outbox row, the mail after it with a Message-ID of its own row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.signatory import signatory
from engine.access.user import find_user
from engine.legal_time.business_calendar import Duration, Unit, load_calendar
from engine.legal_time.clock import clock
from engine.onestop.documents import (
    KINDS,
    PAPER,
    Agency,
    Document,
    Rendered,
    number_for,
    render_document,
    store_document,
)
from engine.onestop.dossier_code import agency_code_from_env
from engine.onestop.notifications import Attachment as MailAttachment
from engine.onestop.notifications import SmtpSettings, compose, mail_domain, notice_kind, send
from engine.onestop.online_submission import CHANNEL as ONLINE
from engine.onestop.procedure_facts import ProcedureFacts, load_facts
from engine.onestop.reception import DELIVERY
from engine.onestop.registry import preview_result
from engine.onestop.signing import SigningKey
from engine.oversight.alerts import link
from engine.runtime import audit, outbox
from engine.runtime.attachment import Attachment
from engine.runtime.definition import ProcessDefinition, procedure_result
from engine.runtime.dossier import Dossier
from engine.runtime.forms import FieldDefinition, load_form
from engine.runtime.problems import ValidationFailed
from engine.runtime.serialization import WorkflowSerializer

if TYPE_CHECKING:  # the service calls back into this package when a step numbers its papers
    from engine.runtime.dossier_service import DossierService

NO_SERVER = "no SMTP server configured (MOTCUA_SMTP_HOST)"
UNIT_WORDS = {Unit.WORKING_DAYS: "ngày làm việc", Unit.CALENDAR_DAYS: "ngày"}


@dataclass(frozen=True)
class Office:
    """The configuration the papers need: who issues them, where procedures live, how mail goes out."""

    agency: Agency
    agency_code: str
    bpmn_root: Path
    smtp: SmtpSettings | None = None
    signing: SigningKey | None = None  # the agency's certificate for result papers (engine.onestop.signing)

    @classmethod
    def from_env(cls, bpmn_root: Path) -> Office:
        """As the web app configures it: the MOTCUA_AGENCY_* and MOTCUA_SMTP_* variables (a worker's)."""
        return cls(agency=Agency.from_env(), agency_code=agency_code_from_env(), bpmn_root=bpmn_root,
                   smtp=SmtpSettings.from_env(), signing=SigningKey.from_env())


@dataclass(frozen=True)
class Drafted:
    """A paper rendered by Paperwork.render, with what the mail that carries it needs."""

    rendered: Rendered
    actor: str
    to: str  # the applicant's e-mail address, "" when none was given
    applicant: str
    code: str
    procedure: str


@dataclass(frozen=True)
class Issued:
    document_id: int
    kind: str
    number: str
    mail: int | None  # the outbox row of the mail that carries it


def result_kind(session: Session, definition_id: int, content_hash: str | None = None) -> str:
    """The procedure's result paper, from the procedure sheet deployed with the dossier's version."""
    kind = procedure_result(session, definition_id, content_hash).get("kind")
    return kind if isinstance(kind, str) else ""


def documents_for(properties: Mapping[str, str], data: Mapping[str, Any], result: str = "") -> list[str]:
    """The kinds of paper the `documents` property asks for, given the submitted decision; `result` is the
    procedure's result paper (result_kind)."""
    kinds = []
    # The task's decision: a `decision` field, or the `outcome` of a decision form (issue, refuse).
    decisions = {str(data.get("decision", "")), str(data.get("outcome", ""))} - {""}
    for entry in properties.get("documents", "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        condition, _, kind = entry.rpartition(":")
        kind = result if kind.strip() == "result" else kind.strip()
        if (not condition or condition.strip() in decisions) and kind in KINDS:
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


@cache
def option_words(bpmn_root: Path) -> dict[str, dict[str, str]]:
    """The Vietnamese label of every option of the procedures' forms, by field name: papers print
    "Chụp răng" and "Di động" where the data says `dental` and `mobile`."""
    words: dict[str, dict[str, str]] = {}

    def walk(fields: Iterable[FieldDefinition]) -> None:
        for field in fields:
            for option in field.options:
                words.setdefault(field.name, {}).setdefault(option.value, option.label["vi"])
            walk(field.columns)

    for path in sorted(bpmn_root.glob("*/forms/*.json")):
        try:
            walk(load_form(path).fields)
        except ValidationFailed:
            continue  # deployment reports a broken form; a paper still prints the others' words
    return words


def in_words(rows: list[dict[str, Any]], words: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Rows with every coded value replaced by its words (purpose, fixed/mobile, …)."""
    return [{k: words.get(k, {}).get(str(v), v) if isinstance(v, str) else v for k, v in row.items()}
            for row in rows]


def fee_lines(data: Mapping[str, Any], words: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """One line per device with its rate, when the fee decision ran for each device (`device_fees`)."""
    devices, rates = data.get("devices"), data.get("device_fees")
    if not isinstance(devices, list) or not isinstance(rates, list) or len(devices) != len(rates):
        return []
    lines = []
    for device, rate in zip(devices, rates, strict=True):
        purpose = words.get("purpose", {}).get(str(device.get("purpose")), device.get("purpose", ""))
        mobility = words.get("mobility", {}).get(str(device.get("mobility")), "")
        label = f"{device.get('name', '')} ({purpose}{', ' + mobility.lower() if mobility else ''}), " \
                f"số sê-ri {device.get('tube_serial', '')}"
        lines.append({"label": label, "amount": Decimal(str(rate))})
    return lines


def signer(session: Session, data: Mapping[str, Any], agency: Agency) -> dict[str, str]:
    """Who signs a result: the user who took the decision (`result_signer`), else the agency's head.

    Decree 30/2020, art. 13: a deputy signs "KT." (ký thay) for the head, under their own title.
    """
    user = find_user(session, str(data.get("result_signer") or "")) if data.get("result_signer") else None
    if user is None:
        return {"capacity": agency.signer_title, "title": "", "name": agency.signer_name}
    title = (user.title or agency.signer_in_text).strip()
    if title.casefold() == agency.signer_in_text.casefold():
        return {"capacity": agency.signer_title, "title": "", "name": user.full_name}
    return {"capacity": f"KT. {agency.signer_title}", "title": title.upper(), "name": user.full_name}


def verification_url(number: str) -> str:
    """The public page that tells from the registry whether a result is still valid (MOTCUA_PUBLIC_URL, else
    the address `make run` serves)."""
    url = link(f"/verify/{quote(number, safe='/')}")
    return url if url.startswith("http") else f"http://127.0.0.1:5000{url}"


def appointment(dossier: Dossier, facts: ProcedureFacts, calendar: Any) -> datetime | None:
    """When the result is promised: the legal clock's total, or the procedure's total counted from receipt."""
    if dossier.total_due_at is not None:
        return dossier.total_due_at
    if facts.total is not None:
        return calendar.due_at(dossier.received_at or dossier.created_at, facts.total)
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
    # Filed online, every paper came electronic: uploaded, or filled in the portal's form (the Mẫu).
    online = dossier.channel == ONLINE
    checklist = [
        {"label": item.label["vi"],
         "form": "Bản điện tử" if online or uploaded.get(item.key) else "Bản giấy",
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
        # The letter's own words, when the items came from the check's table.
        "note": data.get("supplement_note") or (data.get("request_content", "") if _lines(data.get("missing_items"))
                                                else ""),
        "fee": fee_amount,
        "fee_lines": fee_lines,
        "reasons": _lines(data.get("refusal_reasons")) or ["(không nêu lý do)"],
        "devices": _rows(data.get("devices"), ("name", "purpose", "serial")),
        "goods": _rows(data.get("goods"), ("name", "nominal_quantity", "packaging_mass")),
        "valid_until": data.get("valid_until") or data.get("result_valid_until"),
        "reception_count": data.get("reception_count", 1),
        # TT c) "Số lượng hồ sơ": 01 bộ, or 02 bản for the quantity-mark declarations.
        "copies": f"{int(facts.raw.get('dossier_sets') or 1):02d} ({facts.raw.get('dossier_sets_unit') or 'bộ'})",
        "legal_basis": [str(b) for b in facts.raw.get("legal_basis", []) if str(b).strip()],
        "phases": [p for p in facts.raw.get("phases", []) if isinstance(p, Mapping) and "amount" in p],
        "reason": "",
        "new_appointment_at": None,
    }
    context.update(extra)
    return context


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

    def enqueue(self, session: Session, dossier_id: int, kinds: list[str], actor: str, *, data: Mapping[str, Any],
                extra: Mapping[str, Any] | None = None, notify: bool = True,
                mail_extra: Mapping[str, Any] | None = None) -> list[outbox.OutboxEntry]:
        """The papers to issue after the caller's transaction commits, filled from `data` as it is now;
        `mail_extra` goes to the mail that carries them (kept until then only: it may hold a secret).

        Each paper's number is taken here, in the command's transaction: the answer names it at once, and the
        runner renders the paper without writing (outside SQLite's write lock), then records it."""
        now = clock.now()
        # Dated when numbered, not when drawn: a paper rendered after midnight of 31 December keeps the date and
        # the year of the book its number came from.
        return [outbox.enqueue(session, PAPER, {
            "kind": kind, "actor": actor, "notify": notify, "issued_at": now.isoformat(),
            "number": number_for(session, KINDS[kind], data, self.office.agency, now),
            "data": _serializer.jsonable(dict(data)), "extra": _serializer.jsonable(dict(extra or {})),
            "_mail_extra": dict(mail_extra or {}),
        }, actor=actor, dossier_id=dossier_id) for kind in kinds]

    def issue_in(
        self, session: Session, dossier_id: int, kind: str, actor: str, *, data: Mapping[str, Any],
        extra: Mapping[str, Any] | None = None, notify: bool = True, mail_extra: Mapping[str, Any] | None = None,
    ) -> tuple[Document, int | None]:
        """Render and store one paper in the caller's transaction, and queue the mail that carries it (its
        outbox id, None when the kind is not mailed or the applicant gave no address)."""
        return self.record(session, self.render(session, dossier_id, kind, actor, data=data, extra=extra),
                           notify=notify, mail_extra=mail_extra)

    def render(self, session: Session, dossier_id: int, kind: str, actor: str, *, data: Mapping[str, Any],
               extra: Mapping[str, Any] | None = None, number: str = "", issued_at: datetime | None = None,
               ) -> Drafted:
        """One paper rendered into the file store; it writes to the database only to take a number it has not
        (see render_document). `issued_at`: when its number was taken, if before now."""
        dossier = session.get(Dossier, dossier_id)
        if dossier is None:
            raise ValueError(f"no dossier {dossier_id}")
        facts = self.facts(session, dossier)
        attachments = list(session.scalars(select(Attachment).where(Attachment.dossier_id == dossier_id)))
        words = option_words(self.office.bpmn_root)
        extra = dict(extra or {})
        lines = fee_lines(data, words)
        if lines:
            extra.setdefault("fee_lines", lines)
        extra.setdefault("signer", signer(session, data, self.office.agency))
        if KINDS[kind].result:
            # What the registry will hold; a procedure the registry does not know prints the dossier's own.
            entry = procedure_result(session, dossier.definition_id).get("registry")
            result = preview_result(session, dossier, dict(data), entry if isinstance(entry, str) else "") or {}
            devices = result.get("devices") or _rows(data.get("devices"), ("name", "purpose", "serial"))
            extra.setdefault("result", {**in_words([result], words)[0], "devices": in_words(devices, words)})
        context = paper_context(dossier, facts, data, attachments,
                                signatory(session, actor, self.office.agency.portal_name),
                                appointment(dossier, facts, load_calendar(session)), extra)
        # Papers print words, never codes: "Hạng III: nghiên cứu viên, kỹ sư", not "III".
        rendered = render_document(session, dossier_id, kind, data=in_words([dict(data)], words)[0],
                                   agency=self.office.agency, number=number, issued_at=issued_at, extra=context,
                                   signing=self.office.signing, verify_url=verification_url)
        applicant = context["applicant"]
        return Drafted(rendered, actor, str(applicant.get("email") or ""), str(applicant.get("name") or ""),
                       dossier.code or str(dossier.id), facts.name["vi"])

    def record(self, session: Session, drafted: Drafted, *, notify: bool = True,
               mail_extra: Mapping[str, Any] | None = None) -> tuple[Document, int | None]:
        """Record a rendered paper and queue the mail that carries it, in the caller's transaction."""
        document = store_document(session, drafted.rendered, drafted.actor)
        dossier_id = document.dossier_id
        notice = notice_kind(document.kind, KINDS[document.kind].result)
        if not notify or notice is None:
            return document, None
        if not drafted.to:
            audit.record(session, actor="notifier", command="notify", dossier_id=dossier_id,
                         data={"to": "", "kind": notice, "message_id": None,
                               "error": "the applicant gave no e-mail address"})
            return document, None
        mail = outbox.enqueue(session, MAIL, {
            "notice": notice, "to": drafted.to, "applicant": drafted.applicant, "code": drafted.code,
            "procedure": drafted.procedure, "document_id": document.id, **(mail_extra or {}),
        }, actor=drafted.actor, dossier_id=dossier_id,
            # Without a mail server, failed at once with the reason an officer reads (and retries from once a
            # server is configured): no runner takes the write lock twice to find that out.
            failed=NO_SERVER if self.office.smtp is None else None)
        return document, mail.id

    # -- after the commit: the outbox's effects ------------------------------------------------------

    def effects(self) -> list[outbox.Effect]:
        return [outbox.Effect(PAPER, self._record_paper, prepare=self._render_paper),
                outbox.Effect(MAIL, self._run_mail, external=True, prepare=self._attachments)]

    def _render_paper(self, session: Session, entry: outbox.OutboxEntry) -> Drafted | None:
        if "number" not in entry.payload:
            return None  # queued before enqueue took the numbers: rendered with its number when recorded
        return self._draft(session, entry)

    def _draft(self, session: Session, entry: outbox.OutboxEntry) -> Drafted:
        payload = entry.payload
        registry = _serializer.registry
        return self.render(session, entry.dossier_id, payload["kind"], payload["actor"],
                           data=registry.restore(payload["data"]), extra=registry.restore(payload.get("extra") or {}),
                           number=payload.get("number", ""),
                           issued_at=datetime.fromisoformat(payload["issued_at"]) if "issued_at" in payload else None)

    def _record_paper(self, session: Session, entry: outbox.OutboxEntry, drafted: Drafted | None) -> dict[str, Any]:
        payload = entry.payload
        document, mail = self.record(session, drafted or self._draft(session, entry),
                                     notify=payload.get("notify", True), mail_extra=payload.get("_mail_extra"))
        return {"document_id": document.id, "number": document.number, "mail": mail}

    @staticmethod
    def _attachments(session: Session, entry: outbox.OutboxEntry) -> list[MailAttachment]:
        """The paper a mail carries, read before the conversation with the mail server (outbox.Effect)."""
        if not entry.payload.get("document_id"):
            return []
        paper = session.get(Document, entry.payload["document_id"])
        return [MailAttachment(paper.filename, paper.content)]

    def _run_mail(self, session: Session, entry: outbox.OutboxEntry,
                  attachments: list[MailAttachment]) -> dict[str, Any]:
        payload = entry.payload
        settings = self.office.smtp
        if settings is None:
            raise outbox.EffectRefused(NO_SERVER, final=True)
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
