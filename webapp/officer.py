"""The officers' workspace: the inbox of their roles, the task page, the dossier file and its papers."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.onestop.documents import KINDS, document
from engine.onestop.dossier_file import load_dossier_file, public_data, roles_on_dossier
from engine.onestop.procedure_facts import load_facts
from engine.onestop.reception import APPLICANT_FORM
from engine.oversight import alerts
from engine.runtime.attachment import Upload, attachment
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.dossier_service import ReadyTask
from engine.runtime.errors import CommandError, Conflict, InvalidData, NotFound, ProcessError, TaskNotReady
from engine.runtime.inbox import ClockFilter, Cursor, inbox_page
from engine.runtime.outbox import entries_of
from engine.runtime.work_item import WorkItem, WorkItemStatus
from engine.service.commands import Claimed, Paper
from webapp.form_fields import errors_by_input, form_for, read_posted, task_form, view_values
from webapp.security import ACTING_ROLES, roles_required
from webapp.views import calendar, platform

log = logging.getLogger(__name__)
bp = Blueprint("officer", __name__)

# Who may open any dossier's file: the desk that receives and returns them all, and the supervisors.
SEE_ALL_DOSSIERS = frozenset({"reception", "supervisor"})
APOLOGY_ROLES = frozenset({"reception", "office_head", "leadership"})
TASK_GONE = ("Công việc này không còn chờ xử lý: đã được người khác hoàn thành, hoặc đã bị huỷ do quá thời hạn. "
             "Dữ liệu bạn nhập chưa được lưu.")
DOSSIER_CHANGED = ("Hồ sơ vừa được người khác thay đổi trong lúc bạn nhập. Xin xem lại thông tin bên cạnh rồi "
                   "gửi lại; dữ liệu bạn nhập vẫn còn trong biểu mẫu.")


def _procedure_names() -> dict[str, str]:
    with platform().read_session() as db:
        rows = db.execute(select(ProcessDefinition.process_id, ProcessDefinition.name)
                          .order_by(ProcessDefinition.process_id, ProcessDefinition.version))
        return {process_id: name for process_id, name in rows}


def _may_see(dossier_id: int) -> bool:
    if g.user.roles & SEE_ALL_DOSSIERS:
        return True
    with platform().read_session() as db:
        return bool(roles_on_dossier(db, dossier_id) & g.user.roles)


# -- inbox --------------------------------------------------------------------------------------------------


@bp.get("/inbox")
@roles_required(*ACTING_ROLES)
def inbox() -> str:
    state = request.args.get("state") or None
    state_filter = ClockFilter(state) if state in ClockFilter.__members__.values() else None
    process_id = request.args.get("procedure") or None
    search = (request.args.get("q") or "").strip()[:100] or None
    mine = g.user.username if request.args.get("mine") else None
    with platform().read_session() as db:
        page = inbox_page(db, g.user.acting_roles, clock.now(), calendar(),
                          after=Cursor.decode(request.args.get("after")), process_id=process_id,
                          state=state_filter, search=search, mine=mine)
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    return render_template("officer/inbox.html", page=page, procedures=_procedure_names(), args=args,
                           states=list(ClockFilter), state=state, process_id=process_id, search=search or "",
                           mine=bool(mine))


def _claim_response(item_id: int) -> Response | str:
    if request.headers.get("HX-Request"):
        with platform().read_session() as db:
            item = db.get(WorkItem, item_id)
            dossier = db.get(Dossier, item.dossier_id) if item else None
        return render_template("officer/_claim.html", item=item, dossier=dossier)
    return redirect(request.form.get("back") or url_for("officer.inbox"))


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


def _render_task(item: WorkItem, dossier: Dossier, task: ReadyTask | None, *, values: dict[str, Any] | None = None,
                 errors: dict[str, str] | None = None, message: str | None = None, status: int = 200,
                 version: int | None = None) -> tuple[str, int]:
    definition, form_problem = task_form(dossier, item)
    with platform().read_session() as db:
        file = load_dossier_file(db, dossier.id, clock.now(), calendar())
        facts = load_facts(platform().office.bpmn_root, dossier.process_id, file.procedure_name if file else "")
    data = task.data if task else {}
    shown = view_values(definition, values if values is not None else data) if definition else {}
    return render_template(
        "officer/task.html", item=item, dossier=dossier, task=task, form=definition, form_problem=form_problem,
        values=shown, errors=errors or {}, message=message, file=file, facts=facts, data=public_data(data),
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
    raw = read_posted(definition, request.form) if definition else {}
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
        return _render_task(item, dossier, _ready(item), values=raw, errors=errors_by_input(err.fields), status=422,
                            message=_("Dữ liệu chưa hợp lệ, xin sửa các trường được đánh dấu."), version=version)
    except ProcessError as err:
        log.error("process error completing %s of dossier %s: %s", item.task_id, dossier.id, err)
        return _render_task(item, dossier, _ready(item), values=raw, status=422, version=version, message=_(
            "Quy trình không chạy tiếp được (%(detail)s). Dữ liệu chưa được lưu; xin báo chuyên viên quy trình.",
            detail=str(err)))
    flash(_("Đã hoàn thành “%(task)s” của hồ sơ %(code)s.", task=item.name, code=dossier.code or dossier.id),
          "success")
    _flash_papers(done.papers)
    return redirect(_next_url(done.outcome.dossier_id, [t.id for t in done.outcome.ready]))


def _flash_papers(papers: list[Paper]) -> None:
    for paper in papers:
        if paper.number:
            flash(_("Đã tạo văn bản %(title)s số %(number)s.", title=KINDS[paper.kind].title, number=paper.number),
                  "info")
        else:
            flash(_("Bước đã hoàn thành; văn bản %(title)s chưa tạo được và sẽ được thử lại (xem hồ sơ).",
                    title=KINDS[paper.kind].title), "warning")


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
        data = platform().dossiers.data(dossier_id)
    except CommandError:
        data = {}
    labels = {f.name: f.label for f in APPLICANT_FORM.fields}
    application, _problem = form_for(file.dossier.process_id, facts.application_form)
    if application is not None:
        labels |= {f.name: f.label for f in application.fields}
    return render_template("officer/dossier.html", file=file, facts=facts, data=public_data(data), kinds=KINDS,
                           labels=labels,
                           may_apologise=bool(g.user.roles & APOLOGY_ROLES)
                           and file.dossier.status == DossierStatus.RUNNING,
                           may_attach=bool(g.user.roles & ACTING_ROLES), effects=effects)


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
    flash(_("Đã tạo văn bản %(title)s số %(number)s.", title=KINDS["apology"].title, number=paper.number), "info")
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
    with platform().dossiers.command() as db:
        alerts.mark_read(db, g.user.username)
    return redirect(url_for("officer.my_alerts"))
