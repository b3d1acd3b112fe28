"""The supervisors' monitor: clocks by procedure, the dossiers due soon or overdue and who holds them, the
officers' load, a heatmap of where dossiers wait in a diagram, official statistics, and the actions that
keep dossiers on time (hand work over, remind, sign the apology letter with its one new date, edit the
escalation rules). Supervisors and administrators only; every action is audited by the engine."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from engine.access.roles import BY_CODE
from engine.legal_time.business_calendar import ZONE
from engine.legal_time.clock import clock
from engine.legal_time.dossier_clock import phase_labels
from engine.legal_time.milestones import Milestone
from engine.onestop import apology, fees, statistics
from engine.onestop.documents import KINDS
from engine.oversight import alerts, escalation, incidents, monitoring
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import Correction
from engine.runtime.errors import CommandError, Conflict, InvalidData, NotFound
from webapp.people import handover_reason
from webapp.security import own_path, roles_required
from webapp.views import calendar, label, paper_title, platform, procedure_labels

MONITOR_ROLES = ("supervisor", "admin")
bp = Blueprint("supervisor", __name__, url_prefix="/supervisor",
               static_folder="templates/supervisor/assets", static_url_path="/assets")
HEAT_LEVELS = 4


# The most urgent dossiers the dashboard lists, each with its reassign form (filter by procedure for more):
# 200 rows took ~300 ms to render, against issue 16's 150 ms for the whole page.
DASHBOARD_AT_RISK = 50


def _thresholds() -> monitoring.Thresholds:
    return monitoring.Thresholds.at(clock.now(), calendar())


def _back(default: str) -> str:
    return own_path(request.form.get("back")) or default


@bp.get("/")
@roles_required(*MONITOR_ROLES)
def index() -> str:
    t = _thresholds()
    process_id = request.args.get("procedure") or None
    with platform().read_session() as db:
        counts = monitoring.clock_counts(db, t)
        risky = monitoring.at_risk(db, t, process_id=process_id, limit=DASHBOARD_AT_RISK)
        loads = monitoring.workload(db, t)
        officers = monitoring.officers_by_role(db)
        names = procedure_labels(monitoring.procedure_names(db))
        mine = alerts.recent(db, g.user.username, limit=8)
        unread = alerts.unread_count(db, g.user.username)
        failures = incidents.recent(db)
    totals = monitoring.ProcedureCounts("", _("Tổng cộng"))
    for c in counts:
        for attr in ("on_track", "due_soon", "overdue", "paused"):
            setattr(totals, attr, getattr(totals, attr) + getattr(c, attr))
    return render_template("supervisor/index.html", counts=counts, totals=totals, risky=risky, loads=loads,
                           officers=officers, names=names, process_id=process_id, alerts=mine, unread=unread,
                           thresholds=t, incidents=failures)


# -- actions ------------------------------------------------------------------------------------------------


@bp.post("/items/<int:item_id>/reassign")
@roles_required(*MONITOR_ROLES)
def reassign_item(item_id: int) -> BaseResponse:
    to = request.form.get("to", "").strip()
    try:
        name = platform().commands.reassign(item_id, to, g.user.username, request.form.get("reason", "")).name
        flash(_("Đã giao “%(step)s” cho %(who)s.", step=name, who=to), "success")
    except NotFound:
        abort(404)
    except InvalidData as err:
        flash(_("Không giao được: %(why)s", why=handover_reason(err)), "error")
    return redirect(_back(url_for("supervisor.index")))


@bp.post("/officers/<username>/reassign")
@roles_required(*MONITOR_ROLES)
def reassign_queue(username: str) -> BaseResponse:
    to = request.form.get("to", "").strip()
    try:
        moved = platform().commands.reassign_queue(username, to, g.user.username, request.form.get("reason", ""))
        flash(_("Đã chuyển %(n)s việc của %(from_)s cho %(to)s.", n=moved.moved, from_=username, to=to), "success")
        if moved.kept:
            flash(_("%(n)s việc giữ lại vì %(to)s không có vai trò tương ứng.", n=moved.kept, to=to), "warning")
    except InvalidData as err:
        flash(_("Không chuyển được: %(why)s", why=handover_reason(err)), "error")
    return redirect(_back(url_for("supervisor.index")) + "#workload")


@bp.post("/dossiers/<int:dossier_id>/remind")
@roles_required(*MONITOR_ROLES)
def remind(dossier_id: int) -> BaseResponse:
    try:
        told = platform().commands.remind(dossier_id, g.user.username, request.form.get("note", "")[:500])
        flash(_("Đã nhắc %(who)s.", who=", ".join(told) or "—"), "success")
    except InvalidData as err:
        flash(_("Không nhắc được: %(why)s", why=str(err)), "error")
    return redirect(_back(url_for("supervisor.index")))


@bp.route("/dossiers/<int:dossier_id>/apology", methods=["GET", "POST"])
@roles_required(*MONITOR_ROLES)
def apology_letter(dossier_id: int) -> BaseResponse | tuple[str, int] | str:
    paperwork = platform().paperwork
    reason = request.form.get("reason", "").strip()[:1000]
    new_day = _date(request.form.get("new_day") or request.args.get("new_day"))
    status = 200
    if request.method == "POST":
        try:
            issued = platform().commands.sign_apology(dossier_id, g.user.username, reason=reason,
                                                      new_day=new_day or date.min)
        except NotFound:
            abort(404)
        except (InvalidData, Conflict) as err:
            flash(_("Chưa ký được: %(why)s", why=_apology_problem(err)), "error")
            status = 422
        else:
            flash(_("Đã ký và phát hành phiếu xin lỗi số %(number)s.", number=issued.number), "success")
            return redirect(url_for("supervisor.apology_letter", dossier_id=dossier_id))
    try:
        draft = apology.prepare(paperwork, dossier_id, g.user.username, reason=reason, new_day=new_day)
    except (NotFound, CommandError):
        abort(404)
    with platform().read_session() as db:
        dossier = db.get(Dossier, dossier_id)
    return render_template("supervisor/apology.html", draft=draft, dossier=dossier, lines=_letter_lines(draft.text),
                           today=clock.now().astimezone(ZONE).date()), status


def _apology_problem(err: CommandError) -> str:
    if isinstance(err, Conflict) and "already" in str(err):
        return _("hồ sơ đã được hẹn lại một lần; Nghị định 61/2018/NĐ-CP chỉ cho hẹn lại một lần.")
    if isinstance(err, InvalidData) and "reason" in err.fields:
        return _("xin nêu lý do chậm.")
    if isinstance(err, InvalidData) and "new_day" in err.fields:
        return _("ngày hẹn mới phải sau hôm nay và sau ngày hẹn cũ.")
    return str(err)


def _letter_lines(text: str) -> list[tuple[str, str]]:
    """The letter's line markup (engine.onestop.documents) as (kind, text) for the preview."""
    lines = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        for prefix, kind in (("## ", "subtitle"), ("# ", "title"), ("@signature:", "signature"),
                             ("@recipients:", "recipients"), ("- ", "item")):
            if line.startswith(prefix):
                lines.append((kind, line.removeprefix(prefix).strip(" |")))
                break
        else:
            lines.append(("paragraph", line))
    return lines


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


# -- heatmap ------------------------------------------------------------------------------------------------


def _heatmap(process_id: str) -> monitoring.Heatmap:
    with platform().read_session() as db:
        heat = monitoring.heatmap(db, process_id, clock.now())
    if heat is None:
        abort(404)
    return heat


@bp.get("/heatmap")
@roles_required(*MONITOR_ROLES)
def heatmap_choose() -> BaseResponse:
    return redirect(url_for("supervisor.heatmap", process_id=request.args.get("procedure") or "-"))


@bp.get("/heatmap/<process_id>")
@roles_required(*MONITOR_ROLES)
def heatmap(process_id: str) -> str:
    heat = _heatmap(process_id)
    with platform().read_session() as db:
        names = procedure_labels(monitoring.procedure_names(db))
    return render_template("supervisor/heatmap.html", heat=heat, names=names, days=_days)


@bp.get("/heatmap/<process_id>/diagram.bpmn")
@roles_required(*MONITOR_ROLES)
def heatmap_diagram(process_id: str) -> Response:
    return Response(_heatmap(process_id).diagram, mimetype="application/xml")


@bp.get("/heatmap/<process_id>/spots.json")
@roles_required(*MONITOR_ROLES)
def heatmap_spots(process_id: str) -> Response:
    heat = _heatmap(process_id)
    most = max((s.count for s in heat.spots), default=0)
    return jsonify([
        {"element": s.element, "tasks": list(s.tasks), "count": s.count, "wait": _("TB %(d)s", d=_days(s.mean_wait_s)),
         "level": max(1, -(-s.count * HEAT_LEVELS // most)),
         "label": _("%(n)s hồ sơ · chờ TB %(mean)s, lâu nhất %(max)s", n=s.count, mean=_days(s.mean_wait_s),
                    max=_days(s.max_wait_s))}
        for s in heat.spots
    ])


def _days(seconds: float) -> str:
    if seconds < 86400:
        return _("%(h)s giờ", h=int(seconds // 3600))
    return _("%(d)s ngày", d=f"{seconds / 86400:.1f}".replace(".", ","))


# -- statistics ---------------------------------------------------------------------------------------------


@bp.get("/statistics")
@roles_required(*MONITOR_ROLES)
def statistics_report() -> BaseResponse | str:
    today = clock.now().astimezone(ZONE).date()
    start = _date(request.args.get("from")) or today.replace(day=1)
    end = _date(request.args.get("to")) or today
    if end < start:
        start, end = end, start
    process_id = request.args.get("procedure") or None
    with platform().read_session() as db:
        stats = statistics.report(db, start, end, clock.now(), process_id)
        names = procedure_labels(monitoring.procedure_names(db))
    english = request.args.get("lang") == "en"
    fmt = request.args.get("format")
    stem = f"thong-ke-{start:%Y%m%d}-{end:%Y%m%d}"
    if fmt == "csv":
        return _download(statistics.to_csv(stats, english), "text/csv; charset=utf-8", f"{stem}.csv")
    if fmt == "xlsx":
        return _download(statistics.to_xlsx(stats, english),
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx")
    return render_template("supervisor/statistics.html", stats=stats, names=names, columns=statistics.COLUMNS,
                           process_id=process_id)


@bp.get("/fees")
@roles_required(*MONITOR_ROLES)
def fee_report() -> BaseResponse | str:
    """Fees notified and collected per procedure and month (the fee ledger), exportable."""
    today = clock.now().astimezone(ZONE).date()
    start = _date(request.args.get("from")) or today.replace(month=1, day=1)
    end = _date(request.args.get("to")) or today
    if end < start:
        start, end = end, start
    with platform().read_session() as db:
        rows = fees.fee_report(db, start, end, monitoring.procedure_names(db))
    english = request.args.get("lang") == "en"
    stem = f"phi-le-phi-{start:%Y%m%d}-{end:%Y%m%d}"
    if request.args.get("format") == "csv":
        return _download(fees.fees_csv(rows, english), "text/csv; charset=utf-8", f"{stem}.csv")
    if request.args.get("format") == "xlsx":
        return _download(fees.fees_xlsx(rows, english),
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"{stem}.xlsx")
    return render_template("supervisor/fees.html", rows=rows, start=start, end=end,
                           total_notified=sum(r.notified for r in rows), total_collected=sum(r.collected for r in rows))


def _download(content: bytes, mime: str, filename: str) -> Response:
    response = Response(content, mimetype=mime.split(";")[0])
    response.headers["Content-Type"] = mime
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


# -- escalation rules and alerts ----------------------------------------------------------------------------


def _phase_choices() -> dict[str, str]:
    """The legal phases the procedures' diagrams carry (the names the clocks count), each with the label of
    its procedure.json in the reader's language, or the diagram element's name."""
    latest: dict[str, dict] = {}
    with platform().read_session() as db:
        for process_id, catalogue in db.execute(select(ProcessDefinition.process_id, ProcessDefinition.catalogue)
                                                .order_by(ProcessDefinition.process_id, ProcessDefinition.version)):
            latest[process_id] = catalogue or {}
    choices: dict[str, str] = {}
    for catalogue in latest.values():
        sheet = catalogue.get("procedure") or {}
        if not sheet:
            continue  # a shared part: its phases belong to the procedures calling it
        written = {p["name"]: p["label"] for p in sheet.get("phases") or []
                   if isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("label"), dict)}
        for name, element in phase_labels(catalogue).items():
            choices.setdefault(name, f"{label(written[name]) if name in written else element} ({name})")
    return dict(sorted(choices.items(), key=lambda kv: kv[1]))


@bp.route("/escalation", methods=["GET", "POST"])
@roles_required(*MONITOR_ROLES)
def escalation_rules() -> BaseResponse | str:
    phases = _phase_choices()
    if request.method == "POST":
        try:
            if request.form.get("phase", "") not in {"*", *phases}:
                raise ValueError("a phase of no procedure")
            rule = escalation.check_rule(request.form.get("phase", ""), request.form.get("milestone", ""),
                                         request.form.get("notify", ""))
        except ValueError:
            flash(_("Quy tắc chưa hợp lệ."), "error")
        else:
            rule = escalation.Rule(rule.phase, rule.milestone, rule.notify, request.form.get("by_email") == "1")
            platform().commands.add_escalation_rule(rule, g.user.username)
            flash(_("Đã thêm quy tắc."), "success")
        return redirect(url_for("supervisor.escalation_rules"))
    with platform().read_session() as db:
        rules = escalation.rules(db)
    return render_template("supervisor/escalation.html", rules=rules, milestones=list(Milestone), phases=phases,
                           roles=[r for r in BY_CODE.values() if r.code != "applicant"],
                           defaults=all(r.id is None for r in rules))


@bp.post("/escalation/<int:rule_id>/delete")
@roles_required(*MONITOR_ROLES)
def delete_rule(rule_id: int) -> BaseResponse:
    if not platform().commands.delete_escalation_rule(rule_id, g.user.username):
        abort(404)
    flash(_("Đã xoá quy tắc."), "success")
    return redirect(url_for("supervisor.escalation_rules"))


@bp.get("/alerts")
@roles_required(*MONITOR_ROLES)
def my_alerts() -> str:
    with platform().read_session() as db:
        rows = alerts.recent(db, g.user.username, limit=200)
    return render_template("supervisor/alerts.html", alerts=rows)


@bp.post("/alerts/read")
@roles_required(*MONITOR_ROLES)
def read_alerts() -> BaseResponse:
    platform().commands.mark_alerts_read(g.user.username)
    return redirect(_back(url_for("supervisor.my_alerts")))


@bp.app_template_filter("wait")
def _wait(since: datetime) -> str:
    return _days(max(0.0, (clock.now() - since).total_seconds()))


def _labels() -> dict[str, Any]:
    return {"milestones": {Milestone.DUE_SOON: _("Sắp đến hạn"), Milestone.OVERDUE: _("Quá hạn")},
            "states": {"on_track": _("Trong hạn"), "due_soon": _("Sắp đến hạn"), "overdue": _("Quá hạn"),
                       "paused": _("Tạm dừng")}}


@bp.context_processor
def _monitor_globals() -> dict[str, Any]:
    return {"labels": _labels(), "one_day": timedelta(days=1)}


@bp.post("/dossiers/<int:dossier_id>/dates/<int:date_id>")
@roles_required("supervisor")
def correct_event_date(dossier_id: int, date_id: int) -> BaseResponse:
    """A supervisor corrects the day a legal event happened; every deadline of the dossier is computed again."""
    back = url_for("officer.dossier_file", dossier_id=dossier_id) + "#dates"
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash(_("Ngày điều chỉnh: %(why)s", why=_("Ngày không hợp lệ")), "error")
        return redirect(back)
    try:
        corrected = platform().dossiers.correct_event_date(dossier_id, date_id, day, request.form.get("reason", ""),
                                                           g.user.username)
    except InvalidData as err:
        for name, message in err.fields.items():
            label = _("Lý do") if name == "reason" else _("Ngày điều chỉnh")
            flash(_("%(field)s: %(why)s", field=label, why=message), "error")
        return redirect(back)
    except NotFound:
        abort(404)
    except Conflict:
        flash(_("Hồ sơ vừa được người khác thay đổi; xin thử lại."), "error")
        return redirect(back)
    flash(_("Đã điều chỉnh ngày; các thời hạn của hồ sơ đã được tính lại."), "success")
    flash(*_correction_result(corrected))
    return redirect(back)


def _correction_result(corrected: Correction) -> tuple[str, str]:
    """What the correction did to the decisions taken on the old day, as the supervisor reads it."""
    if corrected.rerun_from is not None:
        return _("Các bước tự động sau sự kiện đã chạy lại từ bước «%(step)s» theo ngày mới; hồ sơ chờ ở bước "
                 "pháp luật dẫn tới theo ngày này.", step=corrected.rerun_from), "success"
    if corrected.kept == "no_decision":
        return _("Chưa bước tự động nào quyết định theo ngày cũ; các bước sau sẽ dùng ngày mới."), "success"
    why = {
        "later_step": _("bước «%(step)s» đã được thực hiện sau sự kiện", step=corrected.kept_by),
        "outside": _("bước «%(step)s» đã trao đổi với bên ngoài hồ sơ (thông điệp hoặc hồ sơ liên thông)",
                     step=corrected.kept_by),
        "paper": _("giấy tờ «%(title)s» đã được phát hành sau sự kiện",
                   title=paper_title(corrected.kept_by or "", KINDS[corrected.kept_by].title)
                   if corrected.kept_by in KINDS else corrected.kept_by),
        "finished": _("hồ sơ đã kết thúc"),
    }.get(corrected.kept or "")
    if why is None:  # no step of the workflow recorded the event
        return _("Không tìm thấy bước đã ghi nhận sự kiện này: dữ liệu hồ sơ giữ nguyên."), "warning"
    return _("Các quyết định đã có vẫn giữ nguyên vì %(why)s; các bước sau sẽ dùng ngày mới.", why=why), "warning"
