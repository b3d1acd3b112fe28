"""The reception desk: register a dossier received at the desk or by post, and hand out its slip."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from engine.onestop.procedure_facts import ProcedureFacts
from engine.onestop.reception import APPLICANT_FORM, CHANNELS, Registration
from engine.runtime.attachment import Upload
from engine.runtime.dossier import Dossier
from engine.runtime.errors import CommandError, InvalidData
from engine.runtime.forms import FormDefinition
from webapp.form_fields import errors_by_input, form_for, read_posted, view_values
from webapp.security import roles_required
from webapp.views import find_procedure, platform, startable_procedures

bp = Blueprint("reception", __name__, url_prefix="/reception")
FORM_PREFIX = "form-"
RECENT = 20


def _procedure(process_id: str) -> ProcedureFacts:
    facts = find_procedure(process_id)
    if facts is None:
        abort(404)
    return facts


@bp.get("/")
@roles_required("reception")
def index() -> str:
    with platform().read_session() as db:
        recent = list(db.scalars(select(Dossier).where(Dossier.channel.in_(CHANNELS))
                                 .order_by(Dossier.id.desc()).limit(RECENT)))
    return render_template("reception/index.html", procedures=startable_procedures(), recent=recent)


def _render(facts: ProcedureFacts, form: FormDefinition | None, *, applicant: dict | None = None,
            values: dict | None = None, errors: dict | None = None, received: list[str] | None = None,
            channel: str = "desk", message: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template(
        "reception/register.html", facts=facts, applicant_form=APPLICANT_FORM, form=form,
        applicant=view_values(APPLICANT_FORM, applicant or {"delivery": "desk"}),
        values=view_values(form, values or {}) if form else {}, errors=errors or {}, received=received or [],
        channel=channel, message=message, form_prefix=FORM_PREFIX,
    ), status


@bp.get("/new/<process_id>")
@roles_required("reception")
def new(process_id: str) -> tuple[str, int]:
    facts = _procedure(process_id)
    form, problem = form_for(process_id, facts.application_form)
    return _render(facts, form, message=problem)


@bp.post("/new/<process_id>")
@roles_required("reception")
def create(process_id: str) -> Response | tuple[str, int]:
    facts = _procedure(process_id)
    form, problem = form_for(process_id, facts.application_form)
    if problem:
        return _render(facts, None, message=problem, status=422)
    applicant = read_posted(APPLICANT_FORM, request.form)
    values = read_posted(form, request.form, FORM_PREFIX) if form else {}
    received = [k for k in request.form.getlist("received") if facts.item(k)]
    channel = request.form.get("channel", "desk")
    uploads = [Upload(f"file-{item.key}", item.key, f.filename or "", f.read())
               for item in facts.checklist for f in request.files.getlist(f"file-{item.key}") if f.filename]
    uploads += [Upload("file-other", "", f.filename or "", f.read())
                for f in request.files.getlist("file-other") if f.filename]
    registration = Registration(
        process_id=process_id, applicant=applicant, form=values, form_definition=form,
        received_documents=tuple(sorted(set(received) | {u.item for u in uploads if u.item})),
        channel=channel, uploads=tuple(uploads),
    )
    try:
        registered = platform().commands.register_at_desk(registration, g.user.username)
    except InvalidData as err:
        errors = errors_by_input({k.removeprefix("form."): v for k, v in err.fields.items() if k.startswith("form.")},
                                 FORM_PREFIX)
        errors |= {k: v for k, v in err.fields.items() if not k.startswith("form.")}
        return _render(facts, form, applicant=applicant, values=values, errors=errors, received=received,
                       channel=channel, status=422, message=_("Hồ sơ chưa hợp lệ, xin sửa các trường được đánh dấu."))
    except CommandError as err:
        return _render(facts, form, applicant=applicant, values=values, received=received, channel=channel,
                       status=422, message=_("Chưa tiếp nhận được hồ sơ: %(why)s", why=str(err)))
    flash(_("Đã tiếp nhận hồ sơ %(code)s. In giấy tiếp nhận và hẹn trả kết quả cho người nộp.",
            code=registered.code), "success")
    return redirect(url_for("officer.dossier_file", dossier_id=registered.dossier_id))
