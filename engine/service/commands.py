"""Every use case of the platform as one command: the service layer the web pages, the API and the CLI call.
(Reading is not a command: pages and the API read through read sessions and the domain modules' queries.)

A command is a unit of work (DESIGN.md, "Flow of one command"): one transaction that checks what may be
done, loads and deserializes the dossier's workflow once, runs the engine, stores the uploads, and writes
its side effects (papers, mails) to the outbox — all of it commits or none. After the commit the command
carries out its own papers at once (so that the answer can name them: the desk prints its receipt, an
officer sees the letter the step issued) and wakes the outbox runner (the server's outbox process) for its
mails; an online submission leaves its receipt to that runner too (the applicant gets the code and the
receipt's number at once, the receipt within seconds, by mail and on the tracking page). Papers are numbered
in the command's transaction and rendered outside any writer's lock (engine.runtime.outbox), so a receipt
rendered beside the server does not hold SQLite's single writer from the next commands.
A worker takes up whatever a crash or a refusing mail server left (engine.runtime.outbox).

Handlers only translate: input into a command's arguments, its result into a page or JSON, its errors
(engine.runtime.errors) into messages. None of them checks readiness, claims or forms itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.access import assignment
from engine.access.api_token import ApiToken, create_token, revoke_token
from engine.legal_time.calendar_override import CalendarOverride, add_override, remove_override
from engine.legal_time.clock import clock
from engine.legal_time.event_dates import instant_of
from engine.onestop import apology
from engine.onestop.dossier_code import code_taker
from engine.onestop.online_submission import CHANNEL, Submission, control_characters
from engine.onestop.online_submission import clean as clean_submission
from engine.onestop.paperwork import Issued, Office, Paperwork, documents_for, result_kind
from engine.onestop.procedure_facts import ProcedureFacts
from engine.onestop.reception import Registration
from engine.onestop.reception import clean as clean_registration
from engine.onestop.tracking import FEE_PROOF_ITEM, keep_secret, new_secret
from engine.onestop.vietnamese_text import local
from engine.oversight import alerts, escalation, supervision
from engine.runtime import audit, outbox
from engine.runtime.attachment import Upload, add_attachments, check_uploads
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import Deployed, deploy_files, deploy_folders
from engine.runtime.dossier_service import (
    DossierService,
    ItemToComplete,
    Outcome,
    ReadyTask,
    SeenItem,
    Started,
)
from engine.runtime.errors import Conflict, InvalidData, NotFound, TaskNotReady
from engine.runtime.messages import Delivery, MessageService
from engine.runtime.outbox import OutboxEntry, OutboxRunner, OutboxStatus
from engine.runtime.work_item import WorkItem, WorkItemStatus
from engine.studio.studio_draft import StudioDraft, deploy_draft, discard_draft, find_draft, save_draft
from engine.studio.studio_workspace import load_workspace

NO_FILE = "Xin tải lên ít nhất một tệp"


class Claimed(Conflict):
    """Another officer holds the work item."""

    def __init__(self, assignee: str) -> None:
        super().__init__(f"the work item is held by {assignee}")
        self.assignee = assignee


@dataclass(frozen=True)
class Paper:
    """A paper a command asked for: issued (document id and number) or still in the outbox (its number)."""

    entry_id: int
    kind: str
    status: str
    document_id: int | None = None
    number: str | None = None


@dataclass(frozen=True)
class Done:
    """What a completing command did: where the dossier stands and the papers the step issued."""

    outcome: Outcome
    task: ReadyTask
    papers: list[Paper] = field(default_factory=list)
    code: str | None = None  # the dossier's code


@dataclass(frozen=True)
class Opened:
    """A dossier opened at the desk or online: its code, how it started (its work items, its dates), its receipt
    and the secret (online)."""

    started: Started
    receipt: Paper
    secret: str | None = None

    @property
    def dossier_id(self) -> int:
        return self.started.dossier_id

    @property
    def code(self) -> str:
        assert self.started.code is not None  # _open takes one
        return self.started.code


def mail_status(session: Session, paper: Paper) -> str | None:
    """Where the mail carrying this paper is (an OutboxStatus: it may still wait in the outbox, or have
    failed), or None when no mail carries it. A paper not made yet holds its mail back: the paper's status."""
    entry = session.get(OutboxEntry, paper.entry_id)
    if entry is not None and entry.status != OutboxStatus.DONE:
        return entry.status
    mail_id = (entry.result or {}).get("mail") if entry is not None else None
    mail = session.get(OutboxEntry, mail_id) if mail_id else None
    return mail.status if mail is not None else None


def _check_item(session: Session, item: SeenItem | None, roles: set[str] | frozenset[str], actor: str) -> SeenItem:
    """The work item, if the actor may complete it now: one of their roles', open, not held by another (read
    with its dossier under the command's write lock, where no claim moves meanwhile)."""
    if item is None or item.role not in roles:
        raise NotFound("no such work item among your roles")
    if item.status != WorkItemStatus.OPEN:
        raise TaskNotReady("this work item is no longer open")
    if not assignment.may_act_for(session, actor, item.assignee):
        raise Claimed(item.assignee or "")
    return item


class _Unit:
    """The state of one unit of work: its session and the dossiers whose outbox rows it wrote."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dossiers: list[int] = []
        self.papers: list[OutboxEntry] = []
        self.papers_now = True  # False: the outbox runner makes them after the answer, not the caller


class Commands:
    def __init__(self, dossiers: DossierService, paperwork: Paperwork, runner: OutboxRunner, *,
                 mail_inline: bool = False) -> None:
        self.dossiers = dossiers
        self.paperwork = paperwork
        self.outbox = runner
        self.mail_inline = mail_inline
        self.read_session = dossiers.read_session  # the pages', the API's and the checks' reads
        # An online receipt after the answer, by the outbox runner, unless every effect is carried out inline.
        self.receipt_later = not mail_inline

    @classmethod
    def build(cls, engine: Engine, office: Office, *, mail_inline: bool = False) -> Commands:
        dossiers = DossierService(engine)
        paperwork = Paperwork(dossiers, office)
        # Papers are drawn in a transaction that is rolled back: a result paper previews the registry in it.
        drawing = make_session_factory(dossiers.engine)
        return cls(dossiers, paperwork, OutboxRunner(dossiers.write_session, paperwork.effects(), drawing),
                   mail_inline=mail_inline)

    # -- the unit of work -------------------------------------------------------------------------

    @contextmanager
    def _unit(self) -> Iterator[_Unit]:
        with self.dossiers.command() as session:
            unit = _Unit(session)
            yield unit
        self._after_commit(unit.dossiers, papers_now=unit.papers_now)

    def _after_commit(self, dossier_ids: list[int], *, papers_now: bool = True) -> None:
        """The papers at once, in this thread (each exactly once, see outbox), unless left to the outbox runner;
        the mails by that runner (or here too with `mail_inline`)."""
        if dossier_ids:
            if papers_now:
                self.outbox.drain(dossier_ids=sorted(set(dossier_ids)), internal_only=not self.mail_inline)
            self.outbox.kick()

    def _papers(self, unit: _Unit) -> list[Paper]:
        ids = [e.id for e in unit.papers]
        if not ids:
            return []
        if not unit.papers_now:  # as the command left them: nothing to read back
            return [Paper(e.id, e.payload["kind"], e.status, None, e.payload["number"]) for e in unit.papers]
        with self.read_session() as session:
            rows = session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(ids)).order_by(OutboxEntry.id))
            # A paper not made yet has its number already (Paperwork.enqueue).
            return [Paper(r.id, r.payload["kind"], r.status, (r.result or {}).get("document_id"),
                          (r.result or {}).get("number") or r.payload.get("number")) for r in rows]

    def _enqueue_papers(self, unit: _Unit, dossier_id: int, kinds: list[str], actor: str,
                        data: Mapping[str, Any], **kwargs: Any) -> None:
        unit.papers += self.paperwork.enqueue(unit.session, dossier_id, kinds, actor, data=data, **kwargs)
        unit.dossiers.append(dossier_id)

    # -- work items -------------------------------------------------------------------------------

    def complete_work_item(
        self, item_id: int, data: Mapping[str, Any], actor: str, roles: set[str] | frozenset[str], *,
        expected_version: int | None = None, uploads: list[Upload] | tuple[Upload, ...] = (),
    ) -> Done:
        """An officer (or an integration acting as one) completes a work item of their roles with its form's
        fields and files: the claim, the form and the task's readiness are checked here, the files land
        with the step, and the papers the step calls for are issued."""
        bad = control_characters(dict(data))
        if bad:
            raise InvalidData(next(iter(bad.values())), fields=bad)
        return self._complete(None, "", dict(data), actor, expected_version=expected_version, uploads=list(uploads),
                              form_only=True, item_id=item_id, roles=roles)

    def complete_task(self, dossier_id: int, task_id: str, data: Mapping[str, Any], actor: str, *,
                      expected_version: int | None = None, uploads: list[Upload] | tuple[Upload, ...] = ()) -> Done:
        """Complete a task of a dossier by its id (the applicant's answers, tests and scripts)."""
        return self._complete(dossier_id, task_id, dict(data), actor, expected_version=expected_version,
                              uploads=list(uploads))

    def _complete(self, dossier_id: int | None, task_id: str, data: dict[str, Any], actor: str, *,
                  expected_version: int | None, uploads: list[Upload], form_only: bool = False,
                  item_id: int | None = None, roles: set[str] | frozenset[str] = frozenset()) -> Done:
        """Complete the task `task_id` of the dossier, or the task of the work item `item_id`, which is checked
        against the actor's `roles` in the command's transaction."""
        if uploads:
            check_uploads(uploads)
        with (self.dossiers.incident_on_failure("complete", actor, dossier_id=dossier_id) as incident,
              self._unit() as unit):
            session = unit.session

            def check(found: SeenItem | None) -> None:
                # Before the engine runs: a failing step's incident names the dossier.
                incident.dossier_id = _check_item(session, found, roles, actor).dossier_id

            done = self.dossiers.complete_in(session, dossier_id, task_id, data, actor,
                                             expected_version=expected_version, form_only=form_only,
                                             item=None if item_id is None else ItemToComplete(item_id, check))
            dossier_id = done.outcome.dossier_id
            if done.refused is None:
                assert done.task is not None
                if uploads:
                    add_attachments(session, dossier_id, uploads, actor)
                result = result_kind(session, done.definition_id, done.content_hash)
                kinds = documents_for(done.task.properties, done.data, result)
                if kinds:
                    self._enqueue_papers(unit, dossier_id, kinds, actor, done.process_data)
        if done.refused is not None:
            raise done.refused  # after the commit of the timers that fell due meanwhile
        assert done.task is not None
        return Done(done.outcome, done.task, self._papers(unit), done.code)

    def claim(self, item_id: int, actor: str, roles: set[str]) -> WorkItem:
        with self._unit() as unit:
            return assignment.claim(unit.session, item_id, actor, roles)

    def release(self, item_id: int, actor: str, roles: set[str]) -> WorkItem:
        with self._unit() as unit:
            return assignment.release(unit.session, item_id, actor, roles)

    def reassign(self, item_id: int, to: str, actor: str, reason: str = "") -> WorkItem:
        with self._unit() as unit:
            return supervision.reassign_item(unit.session, item_id, to, actor, reason)

    def reassign_items(self, item_ids: list[int], to: str, actor: str, reason: str = "") -> supervision.Moved:
        with self._unit() as unit:
            return supervision.reassign_items(unit.session, item_ids, to, actor, reason)

    def reassign_queue(self, from_username: str, to: str, actor: str, reason: str = "") -> supervision.Moved:
        with self._unit() as unit:
            return supervision.reassign_queue(unit.session, from_username, to, actor, reason)

    # -- opening dossiers -------------------------------------------------------------------------

    def register_at_desk(self, registration: Registration, actor: str) -> Opened:
        """The desk registers a dossier received at the counter or by post: code, dossier, papers received
        and the receipt (mailed when the applicant gave an address) in one transaction."""
        data = clean_registration(registration)
        # The day it arrived (a posted dossier entered later): the law counts from it (engine.legal_time).
        received_at = instant_of(data["received_on"], clock.now(), None)
        return self._open(registration.process_id, data, actor, channel=registration.channel,
                          uploads=list(registration.uploads), received_at=received_at)

    def submit_online(self, submission: Submission, facts: ProcedureFacts, actor: str, track_url: str) -> Opened:
        """An applicant (portal) or an integration (API) submits a dossier: as at the desk, plus the tracking
        secret, which only the receipt's mail carries (the database keeps its digest)."""
        data = clean_submission(submission, facts)
        return self._open(submission.process_id, data, actor, channel=CHANNEL, uploads=list(submission.uploads),
                          secret=new_secret(), track_url=track_url, received_at=submission.received_at,
                          receipt_now=not self.receipt_later)

    def _open(self, process_id: str, data: dict[str, Any], actor: str, *, channel: str, uploads: list[Upload],
              secret: str | None = None, track_url: str = "", received_at: datetime | None = None,
              receipt_now: bool = True) -> Opened:
        with self.dossiers.incident_on_failure("start", actor, process_id=process_id), self._unit() as unit:
            session = unit.session
            unit.papers_now = receipt_now
            started = self.dossiers.start_in(session, process_id, data, actor,
                                             title=str(data.get("applicant_name", "")), channel=channel,
                                             code=code_taker(self.paperwork.office.agency_code, clock.now()),
                                             received_at=received_at)
            dossier_id, code = started.dossier_id, started.code
            assert code is not None
            if uploads:
                add_attachments(session, dossier_id, uploads, actor)
            mail_extra = None
            if secret is not None:
                keep_secret(session, dossier_id, code, secret, clock.now())
                mail_extra = {"_secret": secret, "track_url": track_url}
            self._enqueue_papers(unit, dossier_id, ["receipt"], actor, data, mail_extra=mail_extra)
        return Opened(started, self._papers(unit)[0], secret)

    def attach(self, dossier_id: int, uploads: list[Upload], actor: str) -> None:
        """Papers an officer adds to a dossier (scanned later, received by post)."""
        with self._unit() as unit:
            add_attachments(unit.session, dossier_id, uploads, actor)

    # -- the applicant's answers ------------------------------------------------------------------

    def answer_supplement(self, dossier_id: int, task_id: str, uploads: list[Upload], note: str,
                          actor: str) -> Done:
        """The applicant's answer to a supplement request: the waiting step (form `supplement_received`) is
        done, so the legal clock resumes, and the papers join the dossier, in one transaction."""
        if not uploads:
            raise InvalidData(NO_FILE, fields={"files": NO_FILE})
        answer: dict[str, Any] = {"supplement_received_on": local(clock.now()).date(), "supplement_channel": CHANNEL}
        if note.strip():
            answer["supplement_notes"] = note.strip()[:4000]
        return self.complete_task(dossier_id, task_id, answer, actor, uploads=uploads)

    def record_payment_proof(self, dossier_id: int, uploads: list[Upload], actor: str) -> None:
        """The applicant's proof of payment joins the dossier; the desk confirms the fee received (the law
        counts the appraisal from the fee's receipt), which resumes the clock."""
        if not uploads:
            raise InvalidData(NO_FILE, fields={"files": NO_FILE})
        with self._unit() as unit:
            add_attachments(unit.session, dossier_id, [replace(u, item=FEE_PROOF_ITEM) for u in uploads], actor)

    def deliver_message(self, name: str, key: str, payload: dict[str, Any], sender: str,
                        message_id: str | None = None) -> Delivery:
        """A message from an outside system to the dossier waiting for it (engine.runtime.messages: found by
        its correlation key, kept when it comes early, taken once by its message id)."""
        return MessageService(self.dossiers).send(name, key, payload, sender, message_id)

    # -- papers and their mails -------------------------------------------------------------------

    def sign_apology(self, dossier_id: int, actor: str, *, reason: str, new_day: date) -> Issued:
        """Decree 61/2018/NĐ-CP art. 19: the letter with one new appointment date (engine.onestop.apology)."""
        issued = apology.sign(self.paperwork, dossier_id, actor, reason=reason, new_day=new_day)
        self._after_commit([dossier_id])
        return issued

    def retry_effect(self, dossier_id: int, entry_id: int, actor: str) -> OutboxEntry:
        """An officer tries a failed paper or mail again now."""
        with self._unit() as unit:
            entry = outbox.retry(unit.session, entry_id, dossier_id)
            if entry is None:
                raise NotFound("no such failed paper or mail on this dossier")
            audit.record(unit.session, actor=actor, command="outbox_retry", dossier_id=dossier_id,
                         data={"outbox_id": entry_id, "kind": entry.kind})
            unit.dossiers.append(dossier_id)
        return entry

    def resend_mail(self, dossier_id: int, entry_id: int, actor: str) -> OutboxEntry:
        """An officer sends a mail that went out again (the applicant lost it): a new row, a new Message-ID."""
        with self._unit() as unit:
            entry = unit.session.get(OutboxEntry, entry_id)
            if entry is None or entry.dossier_id != dossier_id or entry.kind != "mail" \
                    or entry.status != OutboxStatus.DONE:
                raise NotFound("no such sent mail on this dossier")
            again = outbox.enqueue(unit.session, "mail", dict(entry.payload), actor=actor, dossier_id=dossier_id)
            audit.record(unit.session, actor=actor, command="outbox_resend", dossier_id=dossier_id,
                         data={"outbox_id": entry_id, "new_outbox_id": again.id})
            unit.dossiers.append(dossier_id)
        return again

    # -- the office's own people ------------------------------------------------------------------

    def mark_alerts_read(self, username: str) -> int:
        with self._unit() as unit:
            return alerts.mark_read(unit.session, username)

    def remind(self, dossier_id: int, actor: str, note: str = "") -> list[str]:
        """A supervisor reminds whoever holds a dossier's open work; the mail goes at once, not at the tick."""
        with self._unit() as unit:
            told = supervision.remind(unit.session, dossier_id, actor, note)
        alerts.deliver(self.dossiers.write_session, self.paperwork.office.smtp)
        return told

    def add_escalation_rule(self, rule: escalation.Rule, actor: str) -> None:
        with self._unit() as unit:
            escalation.add_rule(unit.session, rule, actor)

    def delete_escalation_rule(self, rule_id: int, actor: str) -> bool:
        with self._unit() as unit:
            return escalation.delete_rule(unit.session, rule_id, actor)

    # -- administration ---------------------------------------------------------------------------

    def add_calendar_override(self, day: date, kind: str, reason: str, actor: str) -> CalendarOverride:
        """A Government decision moves a working day (ValueError: no reason, or the day has one already);
        every deadline follows at once."""
        with self._unit() as unit:
            override = add_override(unit.session, day, kind, reason, actor)
            audit.record(unit.session, actor=actor, command="calendar_override_add",
                         data={"day": day.isoformat(), "kind": override.kind, "reason": override.reason})
            return override

    def remove_calendar_override(self, day: date, actor: str) -> None:
        """LookupError when the day has none."""
        with self._unit() as unit:
            remove_override(unit.session, day)
            audit.record(unit.session, actor=actor, command="calendar_override_remove", data={"day": day.isoformat()})

    def create_token(self, name: str, username: str, actor: str,
                     scopes: list[str] | tuple[str, ...] | None = None) -> tuple[ApiToken, str]:
        """An integration's API token and its one clear copy (ValueError when the user or a scope does not fit)."""
        with self._unit() as unit:
            return create_token(unit.session, name, username, actor, scopes or None)

    def revoke_token(self, token_id: int, actor: str) -> ApiToken:
        with self._unit() as unit:
            return revoke_token(unit.session, token_id, actor)

    # -- definitions ------------------------------------------------------------------------------

    def deploy(self, files: Mapping[str, str | bytes], actor: str) -> list[Deployed]:
        """Validate and deploy diagrams, tables, forms and procedure sheets (ValidationFailed: nothing is)."""
        with self._unit() as unit:
            return deploy_files(unit.session, files, actor)

    def save_draft(self, subject: str, files: Mapping[str, str], actor: str, *, expected_version: int | None,
                   new_main: Callable[[], str]) -> StudioDraft:
        """An analyst saves the studio's editors into the subject's draft; `new_main` names the main diagram
        of a procedure that is neither deployed nor drafted yet (called only then)."""
        with self._unit() as unit:
            session = unit.session
            workspace = load_workspace(session)
            deployed = workspace.subject(subject)
            existing = find_draft(session, subject)
            main = existing.main_file if existing else deployed.main_file if deployed else new_main()
            return save_draft(session, workspace, subject, files, actor, expected_version=expected_version,
                              main_file=main)

    def discard_draft(self, subject: str, expected_version: int) -> None:
        with self._unit() as unit:
            discard_draft(unit.session, subject, expected_version)

    def deploy_draft(self, subject: str, actor: str, *, expected_version: int) -> list[Deployed]:
        """The studio deploys an analyst's draft over the deployed files (engine.studio.studio_draft)."""
        with self._unit() as unit:
            # The workspace read in the deployment's own transaction: what it checks is what it builds on.
            return deploy_draft(unit.session, load_workspace(unit.session), subject, actor,
                                expected_version=expected_version)

    def deploy_folders(self, roots: list[Path], actor: str) -> list[Deployed]:
        with self._unit() as unit:
            return deploy_folders(unit.session, roots, actor)
