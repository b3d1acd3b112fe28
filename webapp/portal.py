"""The applicants' portal (Cổng dịch vụ công): public, no account. Read what a procedure needs, fill its
official form, upload the papers and submit; get the code, the secret and the receipt; track the dossier,
answer a supplement request, send the proof of payment, download the result.

A browser that gave a dossier's code and secret (or submitted it) may open that dossier for the session;
nothing is looked up for a code the session has not proven, so a code alone reveals nothing.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from engine.access.signatory import PORTAL_ACTOR
from engine.legal_time.clock import clock
from engine.onestop import tracking
from engine.onestop.documents import document
from engine.onestop.online_submission import CHANNEL_FIELD, ONLINE_APPLICANT_FORM, Paper, Submission, papers
from engine.onestop.procedure_facts import ProcedureFacts
from engine.onestop.tracking import TrackedDossier, dossier_by_code, find_dossier, normal_code
from engine.runtime.attachment import Upload
from engine.runtime.errors import CommandError, InvalidData, TaskNotReady
from engine.runtime.forms import FormDefinition
from engine.service.commands import mail_status
from webapp.form_fields import errors_by_input, form_for, read_posted, view_values
from webapp.rate_limits import RateLimits, Rule
from webapp.security import limit_tracking
from webapp.views import calendar, find_procedure, platform, startable_procedures

bp = Blueprint("portal", __name__, url_prefix="/portal")
ACTOR = PORTAL_ACTOR
FORM_PREFIX = "form-"
OTHER = "other"
REMEMBERED = 20  # dossiers one browser session may hold open


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # secrets and personal data on shared computers
    return response


@bp.errorhandler(TooManyRequests)
def _too_many(err: TooManyRequests) -> tuple[str, int]:
    return render_template("portal/message.html", title=_("Quá nhiều lần thử"), message=_(
        "Bạn đã gửi quá nhiều yêu cầu trong thời gian ngắn. Xin chờ một lúc rồi thử lại.")), 429


# -- procedures ---------------------------------------------------------------------------------------------


def _procedure(process_id: str) -> ProcedureFacts:
    facts = find_procedure(process_id)
    if facts is None:
        abort(404)
    return facts


@bp.get("/")
def index() -> str:
    return render_template("portal/index.html", procedures=startable_procedures())


@bp.get("/procedures/<process_id>")
def procedure(process_id: str) -> str:
    facts = _procedure(process_id)
    return render_template("portal/procedure.html", facts=facts, papers=papers(facts))


def _render_submit(facts: ProcedureFacts, form: FormDefinition | None, *, applicant: dict[str, Any] | None = None,
                   values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                   message: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "portal/submit.html", facts=facts, papers=papers(facts), applicant_form=ONLINE_APPLICANT_FORM, form=form,
        form_fields=[f for f in form.fields if f.name != CHANNEL_FIELD] if form else [],
        applicant=view_values(ONLINE_APPLICANT_FORM, applicant or {"delivery": "email"}),
        values=view_values(form, values or {}) if form else {}, errors=errors or {}, message=message,
        form_prefix=FORM_PREFIX, other=OTHER,
    ), status


@bp.get("/procedures/<process_id>/submit")
def new(process_id: str) -> tuple[str, int]:
    facts = _procedure(process_id)
    form, problem = form_for(process_id, facts.application_form)
    return _render_submit(facts, form, message=problem)


def _uploads(checklist: list[Paper], prefix: str) -> list[Upload]:
    """The files posted per paper (`<prefix><key>`) and as other papers (`<prefix>other`)."""
    named = [(f"{prefix}{p.key}", p.key) for p in checklist] + [(f"{prefix}{OTHER}", "")]
    return [Upload(name, item, f.filename or "", f.read())
            for name, item in named for f in request.files.getlist(name) if f.filename]


def _input_errors(fields: dict[str, str]) -> dict[str, str]:
    """Engine field paths → the names of the inputs they belong on (a paper's is its file input)."""
    errors: dict[str, str] = {}
    for path, message in fields.items():
        if path.startswith("form."):
            errors |= errors_by_input({path.removeprefix("form."): message}, FORM_PREFIX)
        elif path.startswith("documents."):
            errors["file-" + path.removeprefix("documents.")] = message
        else:
            errors[path] = message
    return errors


@bp.post("/procedures/<process_id>/submit")
def create(process_id: str) -> Response | tuple[str, int]:
    facts = _procedure(process_id)
    form, problem = form_for(process_id, facts.application_form)
    if problem:
        return _render_submit(facts, None, message=problem, status=422)
    applicant = read_posted(ONLINE_APPLICANT_FORM, request.form)
    values = read_posted(form, request.form, FORM_PREFIX) if form else {}
    submission = Submission(process_id, applicant, values, form, tuple(_uploads(papers(facts), "file-")))
    try:
        done = platform().commands.submit_online(submission, facts, ACTOR, url_for("portal.track", _external=True))
    except InvalidData as err:
        return _render_submit(facts, form, applicant=applicant, values=values, status=422,
                              errors=_input_errors(err.fields), message=_(
                                  "Hồ sơ chưa hợp lệ, xin sửa các mục được đánh dấu rồi chọn lại các tệp đính kèm."))
    except CommandError as err:
        return _render_submit(facts, form, applicant=applicant, values=values, status=422,
                              message=_("Chưa nộp được hồ sơ: %(why)s", why=str(err)))
    _remember(done.code)
    with platform().read_session() as db:
        mailed = mail_status(db, done.receipt)
    session["portal_submitted"] = {"code": done.code, "secret": done.secret, "mailed": mailed}
    return redirect(url_for("portal.submitted"))


@bp.get("/submitted")
def submitted() -> Response | str:
    """The code and secret once, and the receipt and appointment slip on screen."""
    new_dossier = session.pop("portal_submitted", None)
    if not new_dossier:
        return redirect(url_for("portal.index"))
    dossier_id = _open(new_dossier["code"])
    if dossier_id is None:
        return redirect(url_for("portal.index"))
    view = applicant_view(dossier_id)
    data = platform().dossiers.data(dossier_id)
    received = set(data.get("received_documents") or [])
    return render_template("portal/submitted.html", view=view, secret=new_dossier["secret"],
                           mailed=new_dossier["mailed"], email=data.get("applicant_email", ""),
                           delivery=data.get("delivery"),
                           received=[p for p in papers(view.facts) if p.key in received])


# -- tracking -----------------------------------------------------------------------------------------------


def _remember(code: str) -> None:
    codes = [c for c in session.get("portal_codes", []) if c != code]
    session["portal_codes"] = [*codes, code][-REMEMBERED:]


def _open(code: str) -> int | None:
    """The dossier of `code` if this session has proven it (by its secret or by submitting it)."""
    code = normal_code(code)
    if code not in session.get("portal_codes", []):
        return None
    with platform().read_session() as db:
        return dossier_by_code(db, code)


def applicant_view(dossier_id: int) -> TrackedDossier:
    """What the applicant sees of a dossier (the API answers the same)."""
    try:
        ready = platform().dossiers.ready_tasks(dossier_id)
    except CommandError:
        ready = []
    with platform().read_session() as db:
        view = tracking.track(db, dossier_id, ready, clock.now(), calendar())
    if view is None:
        abort(404)
    return view


@bp.route("/track", methods=["GET", "POST"])
def track() -> Response | tuple[str, int]:
    if request.method == "GET":
        return render_template("portal/track.html", code=request.args.get("code", "")), 200
    code, secret = request.form.get("code", "")[:60], request.form.get("secret", "")[:100]
    with platform().read_session() as db:
        dossier_id = find_dossier(db, code, secret)
    if dossier_id is None:
        # One answer whether the code exists or not; the failures count against the rate limit.
        return render_template("portal/track.html", code=code, error=_("Mã hồ sơ hoặc mã tra cứu không đúng.")), 404
    _remember(normal_code(code))
    return redirect(url_for("portal.dossier", code=normal_code(code)))


@bp.post("/forget")
def forget() -> Response:
    session.pop("portal_codes", None)
    flash(_("Đã đóng các hồ sơ đang xem trên trình duyệt này."), "info")
    return redirect(url_for("portal.index"))


def _render_dossier(dossier_id: int, *, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    view = applicant_view(dossier_id)
    return render_template("portal/dossier.html", view=view, papers=[p for p in papers(view.facts) if p.upload],
                           errors=errors or {}, other=OTHER), status


@bp.get("/dossiers/<code>")
def dossier(code: str) -> Response | tuple[str, int]:
    dossier_id = _open(code)
    if dossier_id is None:
        return redirect(url_for("portal.track", code=normal_code(code)))
    return _render_dossier(dossier_id)


@bp.get("/dossiers/<code>/documents/<int:document_id>")
def download(code: str, document_id: int) -> Response:
    dossier_id = _open(code)
    if dossier_id is None:
        abort(404)
    with platform().read_session() as db:
        row = document(db, dossier_id, document_id) if document_id < 2**31 else None
        if row is None:
            abort(404)
        content, filename = row.content, row.filename
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    return response


@bp.post("/dossiers/<code>/supplement")
def supplement(code: str) -> Response | tuple[str, int]:
    dossier_id = _open(code)
    if dossier_id is None:
        abort(404)
    view = applicant_view(dossier_id)
    awaited = next((a for a in view.awaited if a.kind == "supplement"), None)
    if awaited is None:
        flash(_("Hồ sơ không còn chờ bổ sung."), "warning")
        return redirect(url_for("portal.dossier", code=view.code))
    uploads = _uploads([p for p in papers(view.facts) if p.upload], "supplement-")
    try:
        platform().commands.answer_supplement(dossier_id, awaited.task_id, uploads, request.form.get("note", ""),
                                              ACTOR)
    except InvalidData as err:
        # A file's message lands beside its input; "no file at all" beside the form.
        return _render_dossier(dossier_id, errors={"supplement" if k == "files" else k: v
                                                   for k, v in err.fields.items()}, status=422)
    except TaskNotReady:
        flash(_("Hồ sơ không còn chờ bổ sung."), "warning")
        return redirect(url_for("portal.dossier", code=view.code))
    flash(_("Đã nhận hồ sơ bổ sung. Thời hạn giải quyết được tính tiếp từ hôm nay."), "success")
    return redirect(url_for("portal.dossier", code=view.code))


@bp.post("/dossiers/<code>/fee")
def fee(code: str) -> Response | tuple[str, int]:
    dossier_id = _open(code)
    if dossier_id is None:
        abort(404)
    view = applicant_view(dossier_id)
    if not any(a.kind == "fee" for a in view.awaited):
        flash(_("Hồ sơ không chờ nộp phí."), "warning")
        return redirect(url_for("portal.dossier", code=view.code))
    uploads = [Upload("fee", "", f.filename or "", f.read()) for f in request.files.getlist("fee") if f.filename]
    try:
        platform().commands.record_payment_proof(dossier_id, uploads, ACTOR)
    except InvalidData as err:
        return _render_dossier(dossier_id, errors={"fee": next(iter(err.fields.values()), str(err))}, status=422)
    flash(_("Đã nhận chứng từ nộp phí. Bộ phận tiếp nhận sẽ xác nhận khi nhận được phí."), "success")
    return redirect(url_for("portal.dossier", code=view.code))


# -- limits -------------------------------------------------------------------------------------------------


@bp.record_once
def _limits(state: Any) -> None:
    """Submissions and uploads per address; failed tracking attempts share the API's lookup limit."""
    app: Flask = state.app
    app.config.setdefault("PORTAL_SUBMIT_LIMIT", "20 per hour")
    limits: RateLimits = app.extensions["motcua_limits"]
    for endpoint in ("portal.create", "portal.supplement", "portal.fee"):
        limits.limit(app, endpoint, Rule(lambda: current_app.config["PORTAL_SUBMIT_LIMIT"],
                                         methods=frozenset({"POST"})))
    limit_tracking(app, "portal.track")
