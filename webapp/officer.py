"""The officers' workspace: the inbox of their roles, the task page, the dossier file and its papers."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from engine.access.absence import acting_for
from engine.access.user import list_users
from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.legal_time.dossier_clock import clock_report
from engine.legal_time.event_dates import EVENTS, default_day, event_date_of
from engine.legal_time.legal_clock import LegalClock
from engine.onestop.documents import KINDS, document
from engine.onestop.dossier_file import (
    DossierFile,
    Section,
    load_dossier_file,
    received_papers_field,
    roles_on_dossier,
    sections,
)
from engine.onestop.dossier_map import Mark, dossier_map, in_english
from engine.onestop.online_submission import ONLINE_APPLICANT_FORM
from engine.onestop.paperwork import appointment
from engine.onestop.procedure_facts import ProcedureFacts, load_facts
from engine.onestop.reception import APPLICANT_FORM
from engine.oversight import alerts
from engine.runtime.attachment import Upload, attachment
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.dossier_service import ReadyTask
from engine.runtime.errors import CommandError, Conflict, InvalidData, NotFound, ProcessError, TaskNotReady
from engine.runtime.forms import FormDefinition
from engine.runtime.inbox import ClockFilter, Cursor, inbox_page, state_counts
from engine.runtime.outbox import entries_of
from engine.runtime.work_item import WorkItem, WorkItemStatus
from engine.service.commands import Claimed, Paper
from webapp.form_fields import errors_by_input, form_for, read_posted, task_form, view_values
from webapp.people import handover_reason
from webapp.security import ACTING_ROLES, own_path, roles_required
from webapp.views import (
    calendar,
    local_datetime,
    locale,
    paper_title,
    phase_names,
    platform,
    role_label,
    startable_procedures,
    step_name,
    unread_alerts,
)

log = logging.getLogger(__name__)
bp = Blueprint("officer", __name__)

# Who may open any dossier's file: the desk that receives and returns them all, and the supervisors.
SEE_ALL_DOSSIERS = frozenset({"reception", "supervisor"})
APOLOGY_ROLES = frozenset({"reception", "office_head", "leadership"})
TASK_GONE = ("Công việc này không còn chờ xử lý: đã được người khác hoàn thành, hoặc đã bị huỷ do quá thời hạn. "
             "Dữ liệu bạn nhập chưa được lưu.")
DOSSIER_CHANGED = ("Hồ sơ vừa được người khác thay đổi trong lúc bạn nhập. Xin xem lại thông tin bên cạnh rồi "
                   "gửi lại; dữ liệu bạn nhập vẫn còn trong biểu mẫu.")


def _procedure_names(db: Session | None = None) -> dict[str, str]:
    """The procedures people start (not the shared parts they call), in the reader's language."""
    return {p.process_id: p.label(locale()) for p in startable_procedures(db)}


def _may_see(dossier_id: int) -> bool:
    if g.user.roles & SEE_ALL_DOSSIERS:
        return True
    with platform().read_session() as db:
        return bool(roles_on_dossier(db, dossier_id) & g.user.roles)


def file_sections(file: DossierFile, facts: ProcedureFacts) -> list[Section]:
    """The dossier as a paper file: what was filed, then every completed step's form, in words."""
    application, _problem = form_for(file.dossier.process_id, facts.application_form)
    fields = [*APPLICANT_FORM.fields, *ONLINE_APPLICANT_FORM.fields, *(application.fields if application else ()),
              received_papers_field((c.key, c.label) for c in facts.checklist)]
    done = [i for i in file.work_items if i.status == WorkItemStatus.COMPLETED]
    forms = {i.task_id: task_form(file.dossier, i)[0] for i in done}
    names = {i.task_id: {"vi": i.name, "en": step_name(i.name, file.dossier.process_id, i.task_spec)} for i in done}
    return sections(file, fields, forms, names, locale=locale())


# -- inbox --------------------------------------------------------------------------------------------------


# Who may hand work over from the inbox, in bulk: the supervisors (who see every acting role's queue).
HAND_OVER_ROLES = frozenset({"supervisor"})


def _inbox_roles() -> set[str]:
    return set(ACTING_ROLES) if g.user.roles & HAND_OVER_ROLES else g.user.acting_roles


@bp.get("/inbox")
@roles_required(*ACTING_ROLES, *HAND_OVER_ROLES)
def inbox() -> str:
    state = request.args.get("state") or None
    state_filter = ClockFilter(state) if state in ClockFilter.__members__.values() else None
    process_id = request.args.get("procedure") or None
    search = (request.args.get("q") or "").strip()[:100] or None
    mine = g.user.username if request.args.get("mine") else None
    hands_over = bool(g.user.roles & HAND_OVER_ROLES)
    # Everything the page shows is read in one session (on PostgreSQL each session is two more round trips).
    with platform().read_session() as db:
        page = inbox_page(db, _inbox_roles(), clock.now(), calendar(db),
                          after=Cursor.decode(request.args.get("after")), process_id=process_id,
                          state=state_filter, search=search, mine=mine)
        counts = state_counts(db, _inbox_roles(), clock.now(), calendar(db), process_id=process_id, search=search,
                              mine=mine)
        officers = [u for u in list_users(db) if u.active and u.roles & ACTING_ROLES] if hands_over else []
        standing_in_for = acting_for(db, g.user.username)
        procedures = _procedure_names(db)
        unread_alerts(db)  # the count base.html shows in the nav, kept for the request
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    stateless = {k: v for k, v in args.items() if k != "state"}
    return render_template("officer/inbox.html", page=page, procedures=procedures, args=args, counts=counts,
                           stateless=stateless,
                           states=list(ClockFilter), state=state, process_id=process_id, search=search or "",
                           mine=bool(mine), officers=officers, hands_over=hands_over,
                           standing_in_for=standing_in_for)


@bp.post("/inbox/bulk")
@roles_required(*ACTING_ROLES, *HAND_OVER_ROLES)
def bulk() -> Response:
    """Claim, release or hand over the ticked items; each one that cannot be done is counted and said."""
    ids = [int(v) for v in request.form.getlist("items") if v.isdigit()][:200]
    action = request.form.get("action", "")
    back = request.form.get("back", "")
    back = back if back.startswith("/inbox") else url_for("officer.inbox")
    if not ids:
        flash(_("Chưa chọn việc nào."), "warning")
        return redirect(back)
    if action == "reassign":
        if not g.user.roles & HAND_OVER_ROLES:
            abort(403)
        to = request.form.get("to", "")
        try:
            moved = platform().commands.reassign_items(ids, to, g.user.username, request.form.get("reason", ""))
        except InvalidData as err:
            flash(_("Không giao được: %(why)s", why=handover_reason(err)), "error")
            return redirect(back)
        flash(_("Đã giao %(n)s việc cho %(to)s.", n=moved.moved, to=to), "success")
        if moved.kept:
            flash(_("%(n)s việc giữ lại vì %(to)s không có vai trò tương ứng.", n=moved.kept, to=to), "warning")
        return redirect(back)
    if action not in ("claim", "release"):
        abort(400)
    done = refused = 0
    commands = platform().commands
    step = commands.claim if action == "claim" else commands.release
    for item_id in ids:
        try:
            step(item_id, g.user.username, g.user.acting_roles)
            done += 1
        except (NotFound, Conflict):
            refused += 1
    flash(_("Đã nhận %(n)s việc.", n=done) if action == "claim" else _("Đã trả lại %(n)s việc.", n=done),
          "success")
    if refused:
        flash(_("%(n)s việc không thực hiện được (người khác đang giữ, hoặc không thuộc vai trò của bạn).",
                n=refused), "warning")
    return redirect(back)


def _claim_response(item_id: int) -> Response | str:
    if request.headers.get("HX-Request"):
        with platform().read_session() as db:
            item = db.get(WorkItem, item_id)
            dossier = db.get(Dossier, item.dossier_id) if item else None
        return render_template("officer/_claim.html", item=item, dossier=dossier)
    return redirect(own_path(request.form.get("back")) or url_for("officer.inbox"))


@bp.post("/inbox/items/<int:item_id>/claim")
@roles_required(*ACTING_ROLES)
def claim(item_id: int) -> Response | str:
    try:
        platform().commands.claim(item_id, g.user.username, g.user.acting_roles)
    except NotFound:
        abort(404)
    except Conflict:
        flash(_("Công việc đã có người khác nhận."), "warning")
    return _claim_response(item_id)


@bp.post("/inbox/items/<int:item_id>/release")
@roles_required(*ACTING_ROLES)
def release(item_id: int) -> Response | str:
    try:
        platform().commands.release(item_id, g.user.username, g.user.acting_roles)
    except NotFound:
        abort(404)
    except Conflict:
        flash(_("Chỉ người đã nhận công việc mới trả lại được."), "warning")
    return _claim_response(item_id)


# -- task page ----------------------------------------------------------------------------------------------


def _open_item(item_id: int) -> tuple[WorkItem, Dossier]:
    with platform().read_session() as db:
        item = db.get(WorkItem, item_id)
        if item is None or item.role not in g.user.roles:
            abort(404)
        dossier = db.get(Dossier, item.dossier_id)
    return item, dossier


def _ready(item: WorkItem) -> ReadyTask | None:
    try:
        tasks = platform().dossiers.ready_tasks(item.dossier_id)
    except CommandError:
        return None
    return next((t for t in tasks if t.id == item.task_id), None)


def _signed(definition: FormDefinition, values: dict[str, Any]) -> dict[str, Any]:
    """Fields the platform fills (`filled_by: signer`) hold the signed-in officer's name, whatever was posted."""
    return {**values, **{f.name: g.user.full_name for f in definition.fields if f.filled_by == "signer"}}


def _prefill(task: ReadyTask | None, item: WorkItem, file: DossierFile | None) -> dict[str, Any]:
    """What the form opens with: the dossier's data, except values another step entered. Two outside bodies
    answer on the same form (outside_answer); each step opens empty or with what it entered itself."""
    if task is None:
        return {}
    data = dict(task.data)
    if file is None:
        return data
    spec_of = {i.task_id: i.task_spec for i in file.work_items}
    writer: dict[str, str] = {}
    for event in file.events:
        if event.command == "complete" and event.task_id and isinstance(event.data, dict):
            writer |= dict.fromkeys(event.data, spec_of.get(event.task_id, ""))
    return {k: v for k, v in data.items() if writer.get(k, item.task_spec) == item.task_spec}


def _render_task(item: WorkItem, dossier: Dossier, task: ReadyTask | None, *, values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, message: str | None = None, status: int = 200,
                 version: int | None = None) -> tuple[str, int]:
    definition, form_problem = task_form(dossier, item)
    with platform().read_session() as db:
        file = load_dossier_file(db, dossier.id, clock.now(), calendar())
        facts = load_facts(platform().office.bpmn_root, dossier.process_id, file.procedure_name if file else "")
    data = _prefill(task, item, file)
    event = event_date_of(task.properties) if task else None
    if event is not None and values is None:
        # The day of the event, as the engine would take it when left blank (engine.legal_time.event_dates).
        data = {**data, event.field: default_day(event, data, clock.now())}
    shown = view_values(definition, _signed(definition, values if values is not None else data)) if definition else {}
    return render_template(
        "officer/task.html", item=item, dossier=dossier, task=task, form=definition, form_problem=form_problem,
        values=shown, errors=errors or {}, message=message, file=file, facts=facts,
        sections=file_sections(file, facts) if file else [],
        phases=phase_names(file, facts.raw) if file else {},
        version=version if version is not None else dossier.version,
        closed=item.status != WorkItemStatus.OPEN or task is None,
    ), status


@bp.get("/tasks/<int:item_id>")
@roles_required(*ACTING_ROLES)
def task(item_id: int) -> tuple[str, int]:
    item, dossier = _open_item(item_id)
    ready = _ready(item) if item.status == WorkItemStatus.OPEN else None
    message = None
    if ready is None:
        message = _(TASK_GONE)
        if item.status == WorkItemStatus.COMPLETED:
            message = _("Công việc này đã được %(who)s hoàn thành lúc %(when)s.", who=item.closed_by or "?",
                        when=item.closed_at.astimezone(ZONE).strftime("%H:%M %d/%m/%Y") if item.closed_at else "?")
    return _render_task(item, dossier, ready, message=message)


def _uploads(field: str = "files") -> list[Upload]:
    item = request.form.get("file_item", "")
    return [Upload(field, item, f.filename or "", f.read()) for f in request.files.getlist(field) if f.filename]


@bp.post("/tasks/<int:item_id>")
@roles_required(*ACTING_ROLES)
def complete(item_id: int) -> Response | tuple[str, int]:
    item, dossier = _open_item(item_id)
    definition, problem = task_form(dossier, item)
    if problem:
        return _render_task(item, dossier, _ready(item), message=problem, status=422)
    raw = _signed(definition, read_posted(definition, request.form)) if definition else {}
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        abort(400)
    try:
        done = platform().commands.complete_work_item(item_id, raw, g.user.username, g.user.roles,
                                                      expected_version=version, uploads=_uploads())
    except NotFound:
        abort(404)
    except Claimed as err:
        return _render_task(item, dossier, _ready(item), status=409, message=_(
            "Công việc này đang do %(who)s xử lý; chỉ người đó hoặc sau khi được trả lại mới hoàn thành được.",
            who=err.assignee))
    except TaskNotReady:
        return _render_task(item, dossier, None, message=_(TASK_GONE), status=409)
    except Conflict:
        fresh = _open_item(item_id)[1]
        return _render_task(item, fresh, _ready(item), values=raw, message=_(DOSSIER_CHANGED), status=409,
                            version=fresh.version)
    except InvalidData as err:
        # Field by field when the form refused it; else the engine's reason (e.g. the registry's).
        message = _("Dữ liệu chưa hợp lệ, xin sửa các trường được đánh dấu.") if err.fields else str(err)
        return _render_task(item, dossier, _ready(item), values=raw, errors=errors_by_input(err.fields), status=422,
                            message=message, version=version)
    except ProcessError as err:
        log.error("process error completing %s of dossier %s: %s", item.task_id, dossier.id, err)
        return _render_task(item, dossier, _ready(item), values=raw, status=422, version=version, message=_(
            "Quy trình không chạy tiếp được (%(detail)s). Dữ liệu chưa được lưu; xin báo chuyên viên quy trình.",
            detail=str(err)))
    flash(_("Đã hoàn thành “%(task)s” của hồ sơ %(code)s.",
            task=step_name(item.name, dossier.process_id, item.task_spec), code=dossier.code or dossier.id),
          "success")
    _flash_papers(done.papers)
    return redirect(_next_url(done.outcome.dossier_id, [t.id for t in done.outcome.ready]))


def _flash_papers(papers: list[Paper]) -> None:
    for paper in papers:
        if paper.number:
            flash(_("Đã tạo văn bản %(title)s số %(number)s.",
                    title=paper_title(paper.kind, KINDS[paper.kind].title), number=paper.number), "info")
        else:
            flash(_("Bước đã hoàn thành; văn bản %(title)s chưa tạo được và sẽ được thử lại (xem hồ sơ).",
                    title=paper_title(paper.kind, KINDS[paper.kind].title)), "warning")


def _next_url(dossier_id: int, ready_ids: list[str]) -> str:
    """The next step of the same dossier when it is the officer's too; else back to the inbox."""
    if ready_ids:
        with platform().read_session() as db:
            item = db.scalar(select(WorkItem).where(WorkItem.task_id.in_(ready_ids),
                                                    WorkItem.status == WorkItemStatus.OPEN,
                                                    WorkItem.role.in_(sorted(g.user.roles))).limit(1))
        if item is not None:
            return url_for("officer.task", item_id=item.id)
    return url_for("officer.inbox")


# -- dossier file -------------------------------------------------------------------------------------------


@bp.get("/dossiers/<int:dossier_id>")
@roles_required(*ACTING_ROLES, "supervisor")
def dossier_file(dossier_id: int) -> str:
    if not _may_see(dossier_id):
        abort(404)
    with platform().read_session() as db:
        file = load_dossier_file(db, dossier_id, clock.now(), calendar())
        effects = entries_of(db, dossier_id)
    if file is None:
        abort(404)
    facts = load_facts(platform().office.bpmn_root, file.dossier.process_id, file.procedure_name)
    try:
        fee = platform().dossiers.data(dossier_id).get("fee")
    except CommandError:
        fee = None
    legal = file.dossier.legal_clock
    return render_template("officer/dossier.html", file=file, facts=facts, fee=fee, kinds=KINDS,
                           sections=file_sections(file, facts), phases=phase_names(file, facts.raw),
                           event_labels=EVENTS,
                           clocks=clock_report(LegalClock.from_dict(legal), calendar()) if legal else None,
                           appointment_at=appointment(file.dossier, facts, calendar()),
                           may_correct="supervisor" in g.user.roles,
                           may_apologise=bool(g.user.roles & APOLOGY_ROLES)
                           and file.dossier.status == DossierStatus.RUNNING,
                           may_attach=bool(g.user.roles & ACTING_ROLES), effects=effects)


@bp.get("/dossiers/<int:dossier_id>/map.json")
@roles_required(*ACTING_ROLES, "supervisor")
def dossier_map_json(dossier_id: int) -> Response:
    """The dossier on its diagram (static/dossier-map.js draws it): the path taken, where it waits, who
    did each step and when, and the diagrams of the shared parts it called."""
    if not _may_see(dossier_id):
        abort(404)
    try:
        trail = platform().dossiers.trail(dossier_id)
    except CommandError:
        abort(404)
    with platform().read_session() as db:
        dossier = db.get(Dossier, dossier_id)
        if dossier is None:
            abort(404)
        found = dossier_map(db, dossier, trail)
        names = {u.username: u.full_name for u in list_users(db)}

    def title(mark: Mark) -> str:
        if mark.waiting_role:
            who = names.get(mark.assignee, mark.assignee) if mark.assignee else _("chưa ai nhận")
            return _("Đang chờ %(role)s: %(who)s", role=role_label(mark.waiting_role), who=who)
        if mark.done_by:
            return _("Đã xong: %(who)s, %(when)s", who=names.get(mark.done_by, mark.done_by),
                     when=local_datetime(mark.done_at))
        return _("Đang ở bước này") if mark.current else _("Đã qua")

    diagrams = {p: in_english(xml) for p, xml in found.diagrams.items()} if locale() == "en" else found.diagrams
    return jsonify(main=found.main, diagrams=diagrams, marks=[
        {"process": m.process, "element": m.element, "state": "current" if m.current else "done",
         "calls": m.calls if m.calls in found.diagrams else None, "title": title(m)} for m in found.marks])


@bp.get("/dossiers/<int:dossier_id>/documents/<int:document_id>")
@roles_required(*ACTING_ROLES, "supervisor")
def download_document(dossier_id: int, document_id: int) -> Response:
    if not _may_see(dossier_id):
        abort(404)
    with platform().read_session() as db:
        row = document(db, dossier_id, document_id)
        if row is None:
            abort(404)
        content, filename = row.content, row.filename
    return _file_response(content, "application/pdf", filename)


@bp.get("/dossiers/<int:dossier_id>/attachments/<int:attachment_id>")
@roles_required(*ACTING_ROLES, "supervisor")
def download_attachment(dossier_id: int, attachment_id: int) -> Response:
    if not _may_see(dossier_id):
        abort(404)
    with platform().read_session() as db:
        row = attachment(db, dossier_id, attachment_id)
        if row is None:
            abort(404)
        content, mime, filename = row.content, row.content_type, row.filename
    return _file_response(content, mime, filename)


def _file_response(content: bytes, mime: str, filename: str) -> Response:
    response = Response(content, mimetype=mime)
    disposition = "inline" if mime == "application/pdf" else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(filename)}"
    return response


@bp.post("/dossiers/<int:dossier_id>/attachments")
@roles_required(*ACTING_ROLES)
def attach(dossier_id: int) -> Response:
    if not _may_see(dossier_id):
        abort(404)
    uploads = _uploads()
    if not uploads:
        flash(_("Chưa chọn tệp nào."), "warning")
    else:
        try:
            platform().commands.attach(dossier_id, uploads, g.user.username)
            flash(_("Đã đính kèm %(n)s tệp.", n=len(uploads)), "success")
        except InvalidData as err:
            flash(" ".join(err.fields.values()) or str(err), "error")
    return redirect(url_for("officer.dossier_file", dossier_id=dossier_id) + "#attachments")


@bp.post("/dossiers/<int:dossier_id>/effects/<int:entry_id>/<any(retry, resend):action>")
@roles_required(*ACTING_ROLES)
def effect_again(dossier_id: int, entry_id: int, action: str) -> Response:
    """A paper or mail that failed (or waits for its next try) is tried again now ("retry"); a mail that went
    out is sent once more ("resend": the applicant says it never arrived)."""
    if not _may_see(dossier_id):
        abort(404)
    commands = platform().commands
    try:
        if action == "retry":
            commands.retry_effect(dossier_id, entry_id, g.user.username)
        else:
            commands.resend_mail(dossier_id, entry_id, g.user.username)
    except NotFound:
        abort(404)
    flash(_("Đã thử lại; trạng thái mới ở bảng dưới.") if action == "retry" else _("Đã gửi lại thư điện tử."), "info")
    return redirect(url_for("officer.dossier_file", dossier_id=dossier_id) + "#effects")


@bp.post("/dossiers/<int:dossier_id>/apology")
@roles_required(*APOLOGY_ROLES)
def apology(dossier_id: int) -> Response:
    if not _may_see(dossier_id):
        abort(404)
    reason = request.form.get("reason", "").strip()
    try:
        new_day = date.fromisoformat(request.form.get("new_appointment", ""))
    except ValueError:
        new_day = None
    if not reason or new_day is None or new_day <= clock.now().astimezone(ZONE).date():
        flash(_("Xin nêu lý do và một ngày hẹn mới sau hôm nay."), "error")
        return redirect(url_for("officer.dossier_file", dossier_id=dossier_id) + "#apology")
    try:
        # Decree 61/2018/NĐ-CP art. 19: one new appointment date only, recorded with the letter.
        paper = platform().commands.sign_apology(dossier_id, g.user.username, reason=reason, new_day=new_day)
    except InvalidData:
        flash(_("Ngày hẹn mới phải sau hôm nay và sau ngày hẹn đã lỡ."), "error")
        return redirect(url_for("officer.dossier_file", dossier_id=dossier_id) + "#apology")
    except Conflict:
        flash(_("Hồ sơ này đã được hẹn lại một lần; pháp luật chỉ cho hẹn lại một lần."), "error")
        return redirect(url_for("officer.dossier_file", dossier_id=dossier_id) + "#apology")
    flash(_("Đã tạo văn bản %(title)s số %(number)s.", title=paper_title("apology", KINDS["apology"].title),
          number=paper.number), "info")
    return redirect(url_for("officer.dossier_file", dossier_id=dossier_id) + "#documents")


@bp.get("/alerts")
@roles_required(*ACTING_ROLES)
def my_alerts() -> str:
    """Reminders and escalations addressed to this officer (they also arrive by e-mail)."""
    with platform().read_session() as db:
        rows = alerts.recent(db, g.user.username, limit=200)
    return render_template("officer/alerts.html", alerts=rows)


@bp.post("/alerts/read")
@roles_required(*ACTING_ROLES)
def read_alerts() -> Response:
    platform().commands.mark_alerts_read(g.user.username)
    return redirect(url_for("officer.my_alerts"))
