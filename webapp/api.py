"""The public JSON API, version 1 (`/api/v1`), described at `/api/v1/openapi.json`.

Anyone may read the procedures, and a dossier's status with its code and the applicant's secret (header
`X-Dossier-Secret`); integrations hold a token (`Authorization: Bearer …`, engine.access.api_token) whose scopes
allow submitting dossiers, reading any dossier, and listing and completing their user's work items. Errors
are JSON: `{"error", "message", "fields": {path: message}}`. The OpenAPI document is generated from the
marshmallow schemas of webapp.api_schemas by apispec, from the same `operation` records that route here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import quote

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, Response, current_app, g, request, url_for
from marshmallow import Schema, ValidationError
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from engine.access.api_token import TokenHolder, authenticate
from engine.access.signatory import API_PREFIX
from engine.legal_time.clock import clock
from engine.legal_time.dossier_clock import clock_report
from engine.legal_time.legal_clock import LegalClock
from engine.onestop.documents import KINDS, Document, document
from engine.onestop.dossier_file import public_data, roles_on_dossier
from engine.onestop.online_submission import ONLINE_APPLICANT_FORM, Submission, papers
from engine.onestop.procedure_facts import ProcedureFacts
from engine.onestop.tracking import TrackedDossier, dossier_by_code, find_dossier, normal_code, promised_at
from engine.onestop.vietnamese_text import last_day, local
from engine.runtime.attachment import Upload
from engine.runtime.db import Prepared, connection
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import ReadyTask
from engine.runtime.errors import CommandError, Conflict, InvalidData, NotFound, ProcessError, TaskNotReady
from engine.runtime.forms import FieldDefinition, FormDefinition
from engine.runtime.inbox import ClockFilter, Cursor, inbox_page
from engine.runtime.outbox import OutboxStatus
from engine.runtime.work_item import WorkItem, WorkItemStatus
from engine.service.commands import Claimed, mail_status
from webapp import api_schemas as s
from webapp.form_fields import form_for, task_form
from webapp.portal import applicant_view
from webapp.rate_limits import RateLimits, Rule
from webapp.security import ACTING_ROLES, csrf, limit_tracking
from webapp.views import calendar, find_procedure, platform, startable_procedures

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)  # bearer tokens, never the session cookie: nothing for a forged form to ride on
V1 = "/v1"
SECRET_HEADER = "X-Dossier-Secret"
# Officers who may open any dossier (as in the officer's workspace); others only their roles' dossiers.
SEE_ALL_DOSSIERS = frozenset({"reception", "supervisor"})
MAX_ID = 2**31 - 1
NOT_FOUND_DOSSIER = "Không tìm thấy hồ sơ với mã hồ sơ và mã tra cứu này"
NO_WORK_ITEM = "Không có công việc này trong các vai trò của mã truy cập"


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.fields = status, error, message, fields or {}


def _error_response(status: int, error: str, message: str, fields: dict[str, str] | None = None) -> Response:
    response = current_app.json.response(_schema(s.ErrorSchema).dump({"error": error, "message": message,
                                                                "field_errors": fields or {}}))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="motcua"'
    return response


@bp.errorhandler(ApiError)
def _api_error(err: ApiError) -> Response:
    return _error_response(err.status, err.error, err.message, err.fields)


_WORDS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "too_large", 429: "too_many_requests"}
_MESSAGES = {413: "Yêu cầu quá lớn (tối đa 100 MB)", 429: "Quá nhiều yêu cầu; xin chờ một lúc rồi thử lại"}


def _http_error(err: HTTPException) -> Response:
    code = err.code or 500
    return _error_response(code, _WORDS.get(code, "error"), _MESSAGES.get(code, err.description or ""))


# By status code as well: the app's handlers for these codes would otherwise answer in HTML.
for _code in (HTTPException, *_WORDS):
    bp.register_error_handler(_code, _http_error)


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"  # secrets and personal data
    return response


# -- routes with their OpenAPI description ------------------------------------------------------------------

PDF = "application/pdf"
Answer = tuple[str, type[Schema] | str]  # a description, and the schema of the JSON body or a media type


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    summary: str
    tag: str
    responses: dict[int, Answer]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    scope: str | None = None
    secret: bool = False  # the applicant's secret may stand in for the token
    errors: frozenset[int] = frozenset()  # beyond those that follow from the above


OPERATIONS: list[Operation] = []
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")
ERRORS = {400: "Not JSON", 401: "No valid token", 403: "The token lacks the scope", 404: "Not found",
          409: "The task is no longer waiting, or the dossier changed meanwhile", 413: "Too large",
          422: "Invalid fields: one message per field", 429: "Too many requests"}


def operation(rule: str, method: str, summary: str, tag: str, responses: dict[int, Answer],
              **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route `rule` under /api/v1 and describe it for the OpenAPI document."""
    def register(view: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(V1 + rule, view_func=view, methods=[method])
        OPERATIONS.append(Operation(_PARAM.sub(r"{\1}", "/api" + V1 + rule), method.lower(), summary, tag,
                                    responses, **kwargs))
        return view
    return register


def _error_statuses(op: Operation) -> set[int]:
    statuses = {429, *op.errors}
    if op.body is not None:
        statuses |= {400, 413, 422}
    if op.query is not None:
        statuses.add(422)
    if op.scope:
        statuses |= {401, 403}
    if "{" in op.path:
        statuses.add(404)
    return statuses - set(op.responses)


def _parameters(op: Operation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = []
    for name in re.findall(r"{(\w+)}", op.path):
        schema = ({"type": "integer", "minimum": 1, "maximum": MAX_ID} if name.endswith("_id")
                  else {"type": "string", "minLength": 1, "maxLength": 200})
        parameters.append({"in": "path", "name": name, "required": True, "schema": schema})
    if op.secret:
        parameters.append({"in": "header", "name": SECRET_HEADER, "required": False,
                           "schema": {"type": "string", "maxLength": 100},
                           "description": "The applicant's tracking secret (not needed with a token)"})
    if op.query is not None:
        parameters.append({"in": "query", "schema": op.query})
    return parameters


def _response(description: str, schema: type[Schema] | str) -> dict[str, Any]:
    if isinstance(schema, str):
        return {"description": description, "content": {schema: {"schema": {"type": "string", "format": "binary"}}}}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_document() -> dict[str, Any]:
    spec = APISpec(title="motcua — Một cửa Sở KH&CN Đồng Nai", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()], info={"description": __doc__})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "description": "A token from `motcua token create`"})
    spec.components.schema("Error", schema=s.ErrorSchema)
    for op in OPERATIONS:
        responses = {str(status): _response(*answer) for status, answer in sorted(op.responses.items())}
        responses |= {str(status): _response(ERRORS[status], s.ErrorSchema)
                      for status in sorted(_error_statuses(op))}
        details: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "parameters": _parameters(op),
                                   "responses": responses, "security": []}
        if op.body is not None:
            details["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
        if op.scope:
            details["security"] = [{"bearer": []}, {}] if op.secret else [{"bearer": []}]
            details["description"] = f"Token scope `{op.scope}`" + (
                f", or the applicant's secret in `{SECRET_HEADER}`" if op.secret else "") + "."
        spec.path(path=op.path, operations={op.method: details})
    return spec.to_dict()


@bp.get(V1 + "/openapi.json")
def openapi() -> Response:
    if "motcua_openapi" not in current_app.extensions:
        current_app.extensions["motcua_openapi"] = openapi_document()
    return current_app.json.response(current_app.extensions["motcua_openapi"])


# -- callers ------------------------------------------------------------------------------------------------


@contextmanager
def _reads() -> Iterator[Session]:
    """The request's read session: the token's lookup and the handler's reads share it (each session is a
    connection taken from the pool and given back, and on SQLite a BEGIN and a ROLLBACK)."""
    if "api_reads" not in g:
        g.api_reads = platform().read_session()
    yield g.api_reads


@bp.teardown_request
def _end_reads(_error: BaseException | None = None) -> None:
    """At the end of the request, before a command (on SQLite a read transaction keeps the snapshot of its first
    read, so what is read after the command must be read in a new one), and before what reads in sessions of its
    own (a request holds one pooled connection at a time, as before)."""
    reads = g.pop("api_reads", None)
    if reads is not None:
        reads.close()


def _holder() -> TokenHolder | None:
    """Who the bearer token acts as; None without an Authorization header, 401 for a bad or revoked token."""
    if "token_holder" in g:
        return g.token_holder
    header = request.headers.get("Authorization")
    holder = None
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.casefold() == "bearer" and token.strip():
            with _reads() as db:
                holder = authenticate(db, token.strip())
        if holder is None:
            raise ApiError(401, "unauthorised", "Mã truy cập không hợp lệ hoặc đã bị thu hồi")
    g.token_holder = holder
    return holder


def _require(scope: str) -> TokenHolder:
    holder = _holder()
    if holder is None:
        raise ApiError(401, "unauthorised", "Cần mã truy cập: Authorization: Bearer <token>")
    if scope not in holder.scopes:
        raise ApiError(403, "forbidden", f"Mã truy cập không có quyền “{scope}”")
    return holder


def _may_see(holder: TokenHolder, dossier_id: int) -> bool:
    if holder.roles & SEE_ALL_DOSSIERS:
        return True
    with _reads() as db:
        return bool(roles_on_dossier(db, dossier_id) & holder.roles)


def _readable_dossier(code: str, scope: str) -> int:
    """The dossier the caller may read: with a token of `scope`, or with the applicant's secret."""
    holder = _holder()
    if holder is not None and scope not in holder.scopes:
        raise ApiError(403, "forbidden", f"Mã truy cập không có quyền “{scope}”")
    with _reads() as db:
        if holder is not None:
            found = dossier_by_code(db, code)
            dossier_id = found if found is not None and _may_see(holder, found) else None
        else:
            dossier_id = find_dossier(db, code, request.headers.get(SECRET_HEADER, ""))
    if dossier_id is None:
        # The same answer for an unknown code and a wrong secret: codes cannot be probed.
        raise ApiError(404, "not_found", NOT_FOUND_DOSSIER)
    return dossier_id


@cache
def _schema(kind: type[Schema]) -> Schema:
    """One instance per schema, shared by the requests: making one deep-copies its fields each time, and
    marshmallow 4 keeps no state between loads and dumps (no context)."""
    return kind()


def _load(schema: type[Schema], source: Any) -> dict[str, Any]:
    try:
        return _schema(schema).load(source)
    except ValidationError as err:
        raise ApiError(422, "invalid", "Dữ liệu chưa hợp lệ, xin xem thông báo của từng trường",
                       s.flat_messages(err.messages)) from None


def _json_body() -> Any:
    body = request.get_json(silent=True)
    if body is None:
        raise ApiError(400, "bad_request", "Thân yêu cầu phải là JSON (Content-Type: application/json)")
    return body


# -- views of engine objects --------------------------------------------------------------------------------


def _form_definition(form: FormDefinition | None) -> dict[str, Any] | None:
    if form is None:
        return None

    def field_view(f: FieldDefinition) -> dict[str, Any]:
        view = {"name": f.name, "type": f.type, "label": f.label, "required": f.required,
                "options": [{"value": o.value, "label": o.label} for o in f.options], "min": f.min, "max": f.max,
                "max_length": f.max_length, "pattern": f.pattern, "help": f.help}
        if f.columns:
            view["columns"] = [field_view(c) for c in f.columns]
        return view

    return {"id": form.id, "title": form.title, "description": form.description,
            "fields_": [field_view(f) for f in form.fields]}


def _label(value: Any) -> dict[str, str] | None:
    return value if isinstance(value, dict) and {"vi", "en"} <= set(value) else None


def _procedure_view(facts: ProcedureFacts) -> dict[str, Any]:
    raw = facts.raw
    form, _problem = form_for(facts.process_id, facts.application_form)
    part = {k: raw[k] if isinstance(raw.get(k), dict) else {} for k in ("total", "fee", "result")}
    return {
        "id": facts.process_id, "number": raw.get("number") if isinstance(raw.get("number"), int) else None,
        "name": facts.name, "authority": _label(raw.get("authority")),
        "total": {"amount": facts.total.amount, "unit": facts.total.unit.value} if facts.total else None,
        "total_excludes": _label(part["total"].get("excludes")), "fee": _label(part["fee"].get("text")),
        "result": _label(part["result"].get("label")), "papers": [vars(p) for p in papers(facts)],
        "form": _form_definition(form),
    }


def _document_ref(code: str, row: Document) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "title": row.title, "number": row.number, "issued_at": row.created_at,
            "result": bool(KINDS.get(row.kind) and KINDS[row.kind].result),
            "url": url_for("api.dossier_document", code=code, document_id=row.id)}


def _clocks_view(dossier_id: int) -> dict[str, Any] | None:
    """Each clock (the total and the phases) with its start, due day, pauses and the effective dates it counted
    from (engine.legal_time.event_dates): the dates an inspector checks."""
    with _reads() as db:
        data = db.scalar(select(Dossier.legal_clock).where(Dossier.id == dossier_id))
        if not data:
            return None
        report = clock_report(LegalClock.from_dict(data), calendar(db))

    def counted(date_id: int | None) -> dict[str, Any] | None:
        entry = next((d for d in report.dates if d.id == date_id), None)
        return None if entry is None else {"event": entry.event, "on": local(entry.at).date()}

    def duration(value: Any) -> dict[str, Any]:
        return {"amount": value.amount, "unit": value.unit.value}

    return {
        "total": None if report.total is None else {
            "duration": duration(report.total), "started_at": report.total_started_at,
            "due_on": last_day(report.total_due_at) if report.total_due_at else None,
            "counted_from": counted(report.total_counted_from)},
        "phases": [{"name": p.name, "duration": duration(p.duration), "started_at": p.started_at,
                    "due_on": last_day(p.due_at), "finished_at": p.finished_at,
                    "counted_from": counted(p.counted_from)} for p in report.phases],
        "others": [{"name": p.name, "duration": duration(p.duration), "started_at": p.started_at,
                    "due_on": last_day(p.due_at), "finished_at": p.finished_at,
                    "counted_from": counted(p.counted_from)} for p in report.others],
        "pauses": [{"reason": p.reason, "phase": p.phase, "paused_at": p.paused_at, "resumed_at": p.resumed_at,
                    "resumed_from": counted(p.resumed_from)} for p in report.pauses],
        "effective_dates": [{"id": d.id, "event": d.event, "on": local(d.at).date(), "step": d.task,
                             "recorded_at": d.recorded_at} for d in report.dates],
        "corrections": [{k: c.get(k) for k in ("event", "old", "new", "reason", "by", "at")}
                        for c in report.corrections],
    }


def _status_view(view: TrackedDossier) -> dict[str, Any]:
    state = view.clock
    return {
        "code": view.code, "procedure": {"id": view.process_id, "name": view.facts.name}, "status": view.status,
        "channel": view.channel, "received_at": view.received_at, "finished_at": view.finished_at,
        "appointment_on": last_day(view.appointment_at) if view.appointment_at else None,
        "clock": None if state is None else {
            "state": state.status.value, "phase": state.phase,
            "phase_due_on": last_day(state.due_at) if state.due_at else None,
            "total_due_on": last_day(state.total_due_at) if state.total_due_at else None,
            "remaining": {"amount": state.remaining.amount, "unit": state.remaining.unit.value}
            if state.remaining else None,
            "paused_since": state.paused_since, "pause_reason": state.pause_reason,
        },
        "clocks": _clocks_view(view.dossier_id),
        "steps_done": [{"name": st.name, "role": st.role, "done_at": st.at} for st in view.done],
        "under_way": [{"name": st.name, "role": st.role, "done_at": None} for st in view.under_way],
        "awaiting_applicant": [{"kind": a.kind, "name": a.name, "since": a.since, "asked": a.asked,
                                "fee": int(a.fee) if a.fee is not None else None} for a in view.awaited],
        "documents": [_document_ref(view.code, d) for d in view.documents],
        "documents_coming": [vars(c) for c in view.coming],
    }


# -- procedures ---------------------------------------------------------------------------------------------


@operation("/procedures", "GET", "The procedures that can be submitted, with their papers and form", "procedures",
           {200: ("The procedures", s.ProcedureListSchema)})
def procedures() -> Response:
    return current_app.json.response(_schema(s.ProcedureListSchema).dump({
        "applicant_form": _form_definition(ONLINE_APPLICANT_FORM),
        "procedures": [_procedure_view(f) for f in startable_procedures()],
    }))


@operation("/procedures/<process_id>", "GET", "One procedure", "procedures",
           {200: ("The procedure", s.ProcedureSchema)})
def procedure(process_id: str) -> Response:
    facts = find_procedure(process_id)
    if facts is None:
        raise ApiError(404, "not_found", "Không có thủ tục này")
    return current_app.json.response(_schema(s.ProcedureSchema).dump(_procedure_view(facts)))


# -- dossiers -----------------------------------------------------------------------------------------------


@operation("/dossiers", "POST", "Submit a dossier online (documents as base64)", "dossiers",
           {201: ("Received: the code, the tracking secret and the receipt", s.SubmittedSchema)},
           body=s.SubmissionSchema, scope="dossiers:submit")
def submit_dossier() -> tuple[Response, int]:
    holder = _require("dossiers:submit")
    body = _load(s.SubmissionSchema, _json_body())
    with _reads() as db:
        facts = find_procedure(body["procedure"], db)
    if facts is None:
        raise ApiError(422, "invalid", "Không có thủ tục này", {"procedure": "Không có thủ tục này"})
    form, problem = form_for(facts.process_id, facts.application_form)
    if problem:
        raise ApiError(422, "invalid", problem)
    uploads = tuple(Upload(f"documents.{i}", d["item"], d["filename"], d["content"])
                    for i, d in enumerate(body["documents"]))
    submission = Submission(facts.process_id, body["applicant"], body["form"], form, uploads, body["received_at"])
    _end_reads()
    try:
        done = platform().commands.submit_online(submission, facts, f"{API_PREFIX}{holder.name}",
                                                 url_for("portal.track", _external=True))
    except InvalidData as err:
        raise ApiError(422, "invalid", str(err), err.fields) from None
    except CommandError as err:
        raise ApiError(422, "invalid", str(err)) from None
    started = done.started
    appointment = promised_at(started, facts, lambda: started.calendar, clock_started=started.clock_started)
    # The receipt is made by the outbox right after this answer (within seconds), unless already done.
    receipt, mailed = None, False
    if done.receipt.document_id is not None:
        with _reads() as db:
            issued = db.get(Document, done.receipt.document_id)
            receipt = _document_ref(done.code, issued) if issued is not None else None
            mailed = issued is not None and mail_status(db, done.receipt) == OutboxStatus.DONE
    return current_app.json.response(_schema(s.SubmittedSchema).dump({
        "code": done.code, "secret": done.secret, "status": started.status, "received_at": started.received_at,
        "appointment_on": last_day(appointment) if appointment else None,
        "receipt_number": done.receipt.number or "", "receipt": receipt,
        "mail_sent": mailed,
        "work_items": sorted(({"id": started.items[t.id], "task": t.spec, "name": t.name, "role": t.role}
                              for t in started.ready if t.id in started.items), key=lambda w: w["id"]),
    })), 201


# The dossier and its items in one statement (a dossier with none has one row), compiled once and run on the
# driver's cursor (an integration asks at every dossier it handles); the token's roles pick the items.
_ITEMS_OF = Prepared(select(Dossier.id.label("dossier"), WorkItem.id, WorkItem.task_spec, WorkItem.name,
                            WorkItem.role, WorkItem.status, WorkItem.assignee, WorkItem.created_at,
                            WorkItem.due_at, WorkItem.closed_at)
                     .outerjoin(WorkItem, WorkItem.dossier_id == Dossier.id)
                     .where(Dossier.code == bindparam("code")).order_by(WorkItem.id), ("code",))


@operation("/dossiers/<code>/work-items", "GET", "The work items of one dossier that the token's roles hold",
           "work items", {200: ("Its work items, oldest first, open and closed", s.DossierWorkItemsSchema)},
           scope="work_items:read")
def dossier_work_items(code: str) -> Response:
    holder = _require("work_items:read")
    with _reads() as db:
        found = _ITEMS_OF.rows(connection(db), {"code": normal_code(code)})
    if not found or not _may_see(holder, found[0]["dossier"]):
        raise ApiError(404, "not_found", NOT_FOUND_DOSSIER)
    rows = [w for w in found if w["id"] is not None and w["role"] in holder.roles]
    return current_app.json.response(_schema(s.DossierWorkItemsSchema).dump({
        "dossier_code": normal_code(code),  # found by it (engine.onestop.tracking.dossier_by_code)
        "items": [{"id": w["id"], "task": w["task_spec"], "name": w["name"], "role": w["role"],
                   "status": w["status"], "assignee": w["assignee"], "created_at": w["created_at"],
                   "due_at": w["due_at"], "closed_at": w["closed_at"]} for w in rows],
    }))


@operation("/dossiers/<code>", "GET", "A dossier's status, steps, clock and due dates", "dossiers",
           {200: ("The dossier as its applicant sees it", s.DossierStatusSchema)}, scope="dossiers:read",
           secret=True)
def dossier_status(code: str) -> Response:
    dossier_id = _readable_dossier(code, "dossiers:read")
    _end_reads()  # the applicant's view reads in sessions of its own
    view = applicant_view(dossier_id)
    return current_app.json.response(_schema(s.DossierStatusSchema).dump(_status_view(view)))


@operation("/dossiers/<code>/documents/<int:document_id>", "GET", "Download a paper of the dossier (PDF)",
           "dossiers", {200: ("The PDF", PDF)}, scope="documents:read", secret=True)
def dossier_document(code: str, document_id: int) -> Response:
    dossier_id = _readable_dossier(code, "documents:read")
    with _reads() as db:
        row = document(db, dossier_id, document_id) if document_id <= MAX_ID else None
        if row is None:
            raise ApiError(404, "not_found", "Hồ sơ không có văn bản này")
        content, filename = row.content, row.filename
    response = Response(content, mimetype=PDF)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


# -- work items ---------------------------------------------------------------------------------------------


@operation("/work-items", "GET", "The open work items of the token user's roles, most urgent first",
           "work items", {200: ("A page of work items", s.WorkItemPageSchema)}, query=s.WorkItemQuerySchema,
           scope="work_items:read")
def work_items() -> Response:
    holder = _require("work_items:read")
    query = _load(s.WorkItemQuerySchema, request.args.to_dict())
    after = Cursor.decode(query.get("after"))
    if query.get("after") and after is None:
        raise ApiError(422, "invalid", "Dữ liệu chưa hợp lệ", {"after": "Không phải giá trị `next` của trang trước"})
    with _reads() as db:
        page = inbox_page(db, set(holder.roles & ACTING_ROLES), clock.now(), calendar(db), after=after,
                          process_id=query.get("procedure"),
                          state=ClockFilter(query["state"]) if query.get("state") else None,
                          mine=holder.username if query.get("mine") else None, limit=query["limit"])
    return current_app.json.response(_schema(s.WorkItemPageSchema).dump({
        "items": [{"id": r.item_id, "dossier_code": r.code, "procedure": r.process_id, "applicant": r.applicant,
                   "name": r.name, "role": r.role, "assignee": r.assignee, "created_at": r.created_at,
                   "due_at": r.due_at, "clock_state": r.state.value} for r in page.rows],
        "next": page.next.encode() if page.next else None,
    }))


# The item, what the answer names of its dossier (not the engine state or the clock: _ready takes the workflow
# this process keeps of that version, else reads it, if the task is open) and the version's content hash
# (task_form's key), in one statement; plain columns, as the ORM's loading of two entities cost ten times the
# statement.
_ITEM_COLUMNS = ("id", "dossier_id", "task_id", "task_spec", "name", "role", "assignee", "status", "form")
_DOSSIER_COLUMNS = ("code", "process_id", "version", "definition_id")
_ITEM_TABLE, _DOSSIER_TABLE, _DEFINITION_TABLE = WorkItem.__table__, Dossier.__table__, ProcessDefinition.__table__
_ITEM = Prepared(select(*(_ITEM_TABLE.c[c] for c in _ITEM_COLUMNS),
                        *(_DOSSIER_TABLE.c[c].label(f"dossier_{c}") for c in _DOSSIER_COLUMNS),
                        _DEFINITION_TABLE.c.content_hash)
                 .join(_DOSSIER_TABLE, _DOSSIER_TABLE.c.id == _ITEM_TABLE.c.dossier_id)
                 .join(_DEFINITION_TABLE, _DEFINITION_TABLE.c.id == _DOSSIER_TABLE.c.definition_id)
                 .where(_ITEM_TABLE.c.id == bindparam("item_id")), ("item_id",))


def _work_item(holder: TokenHolder, item_id: int) -> tuple[WorkItem, Dossier, str]:
    """The work item and its dossier as read (objects of no session), and the version's content hash."""
    with _reads() as db:
        rows = _ITEM.rows(connection(db), {"item_id": item_id}) if item_id <= MAX_ID else []
    if not rows or rows[0]["role"] not in holder.roles:
        raise ApiError(404, "not_found", NO_WORK_ITEM)
    row = rows[0]
    return (WorkItem(**{c: row[c] for c in _ITEM_COLUMNS}),
            Dossier(id=row["dossier_id"], **{c: row[f"dossier_{c}"] for c in _DOSSIER_COLUMNS}), row["content_hash"])


def _ready(item: WorkItem, dossier: Dossier, content_hash: str) -> ReadyTask | None:
    if item.status != WorkItemStatus.OPEN:
        return None
    try:
        with _reads() as db:
            ready = platform().dossiers.ready_tasks(item.dossier_id, db, seen=(dossier.version, content_hash))
    except CommandError:
        return None
    return next((t for t in ready if t.id == item.task_id), None)


@operation("/work-items/<int:item_id>", "GET", "One work item, with its form and data", "work items",
           {200: ("The work item", s.WorkItemDetailSchema)}, scope="work_items:read")
def work_item(item_id: int) -> Response:
    holder = _require("work_items:read")
    item, dossier, content_hash = _work_item(holder, item_id)
    task = _ready(item, dossier, content_hash)
    form, _problem = task_form(dossier, item, content_hash)
    return current_app.json.response(_schema(s.WorkItemDetailSchema).dump({
        "id": item.id, "dossier_code": dossier.code, "procedure": dossier.process_id, "task": item.task_spec,
        "name": item.name, "role": item.role, "assignee": item.assignee, "status": item.status,
        "ready": task is not None, "version": dossier.version, "form": _form_definition(form),
        "data": s.plain(public_data(task.data)) if task else {},
    }))


@operation("/work-items/<int:item_id>/complete", "POST", "Complete a work item with its form's fields",
           "work items", {200: ("Done: where the dossier goes next", s.CompletedSchema)}, body=s.CompletionSchema,
           scope="work_items:complete", errors=frozenset({409}))
def complete_work_item(item_id: int) -> Response:
    holder = _require("work_items:complete")
    body = _load(s.CompletionSchema, _json_body())
    if item_id > MAX_ID:
        raise ApiError(404, "not_found", NO_WORK_ITEM)
    p = platform()
    _end_reads()
    try:
        done = p.commands.complete_work_item(item_id, body["data"], holder.username, holder.roles,
                                             expected_version=body["version"])
    except NotFound:
        raise ApiError(404, "not_found", NO_WORK_ITEM) from None
    except Claimed as err:
        raise ApiError(409, "claimed", f"Công việc này đang do {err.assignee} xử lý") from None
    except TaskNotReady:
        raise ApiError(409, "not_ready", "Công việc này không còn chờ xử lý") from None
    except Conflict as err:
        raise ApiError(409, "conflict", str(err)) from None
    except InvalidData as err:
        raise ApiError(422, "invalid", str(err), err.fields) from None
    except ProcessError as err:
        raise ApiError(422, "invalid", str(err)) from None
    code = done.code or ""
    # The papers the step issued, as in the officers' workspace (they are mailed to the applicant).
    issued = [paper.document_id for paper in done.papers if paper.document_id is not None]
    refs: list[dict[str, Any]] = []
    if issued:
        with _reads() as db:
            refs = [_document_ref(code, db.get(Document, document_id)) for document_id in issued]
    return current_app.json.response(_schema(s.CompletedSchema).dump({
        "dossier_code": code, "status": done.outcome.status, "version": done.outcome.version,
        "next": [{"name": t.name, "role": t.role} for t in done.outcome.ready], "documents": refs,
    }))


# -- messages -----------------------------------------------------------------------------------------------


@operation("/messages", "POST", "Deliver a message from an outside system to the dossier waiting for it",
           "messages", {200: ("Delivered (or already received: status duplicate)", s.DeliverySchema),
                        202: ("Kept: it came before its catcher was ready", s.DeliverySchema)},
           body=s.MessageSchema, scope="messages:send", errors=frozenset({404, 409}))
def send_message() -> tuple[Response, int]:
    holder = _require("messages:send")
    body = _load(s.MessageSchema, _json_body())
    _end_reads()
    try:
        delivery = platform().commands.deliver_message(
            body["name"], body["correlation_key"], body["payload"], f"{API_PREFIX}{holder.name}", body["message_id"])
    except NotFound:
        raise ApiError(404, "not_found", f"Không có hồ sơ nào đang chờ hoặc sẽ nhận thông điệp “{body['name']}” "
                                         f"với khoá “{body['correlation_key']}”") from None
    except InvalidData as err:
        raise ApiError(422, "invalid", str(err), err.fields) from None
    except Conflict as err:
        raise ApiError(409, "conflict", str(err)) from None
    except ProcessError as err:
        raise ApiError(422, "invalid", str(err)) from None
    ready = delivery.outcome.ready if delivery.outcome else []
    return current_app.json.response(_schema(s.DeliverySchema).dump({
        "status": delivery.status, "message_id": delivery.message_id, "dossier_code": delivery.dossier_code,
        "element": delivery.element_id, "keep_until": delivery.keep_until,
        "next": [{"name": t.name, "role": t.role} for t in ready],
    })), 202 if delivery.status == "kept" else 200


# -- who is signed in (the officers' pages) -----------------------------------------------------------------


@bp.get("/me")
def me() -> tuple[dict[str, Any], int]:
    if g.user is None:
        return {"error": "unauthorised", "message": "sign in first"}, 401
    return {"username": g.user.username, "full_name": g.user.full_name, "roles": sorted(g.user.roles)}, 200


# -- limits -------------------------------------------------------------------------------------------------


def _token_key() -> str:
    header = request.headers.get("Authorization", "")
    return hashlib.sha256(header.encode()).hexdigest()[:32] if header else request.remote_addr or "-"


@bp.record_once
def _limits(state: Any) -> None:
    """Submissions per token; lookups without a token share the applicants' tracking limit with the portal,
    and only the failed ones count (a guesser fails, an applicant checking often does not)."""
    app: Flask = state.app
    app.config.setdefault("API_SUBMIT_LIMIT", "600 per hour")
    limits: RateLimits = app.extensions["motcua_limits"]
    limits.limit(app, "api.submit_dossier", Rule(lambda: current_app.config["API_SUBMIT_LIMIT"], key=_token_key))
    limit_tracking(app, "api.dossier_status", "api.dossier_document")
