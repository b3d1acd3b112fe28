"""The process analysts' studio: the library of procedures, the diagram, table and form editors, drafts,
validation shown on the diagram, deployment of new versions, differences between versions, import of
diagrams made in other tools, and a sandbox to try a draft before deploying it.

Handlers stay thin: drafts (engine.studio.studio_draft), the deployed workspace (engine.studio.studio_workspace), the
diff (engine.studio.diagram_diff) and the sandbox (engine.studio.sandbox) are engine modules. The editors are
bpmn-js and dmn-js (npm, served from static/dist) with the studio's own small scripts (static/studio-*.js).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from engine.access.roles import ROLES
from engine.legal_time.calendar_override import CalendarOverride
from engine.legal_time.clock import clock
from engine.runtime.definition import ProcessDefinition
from engine.runtime.dossier import Dossier, DossierStatus
from engine.runtime.errors import InvalidData, NotFound
from engine.runtime.forms import FIELD_TYPES, load_form
from engine.runtime.problems import Problem, ValidationFailed
from engine.studio.diagram_diff import VersionDiff, diff_files
from engine.studio.sandbox import SandboxError, run_sandbox
from engine.studio.studio_draft import (
    DraftConflict,
    StudioDraft,
    check_files,
    check_paths,
    discard_draft,
    find_draft,
    forbidden_texts,
    list_drafts,
    save_draft,
    stale_files,
)
from engine.studio.studio_workspace import (
    Subject,
    Workspace,
    decisions_in,
    forms_available,
    load_workspace,
    processes_in,
    version_files,
    versions_of,
)
from webapp.form_fields import view_values
from webapp.security import roles_required
from webapp.studio_problems import shown
from webapp.views import local_datetime, locale, platform

bp = Blueprint("studio", __name__, url_prefix="/studio")

STUDIO_ROLES = ("analyst", "admin")
MAX_IMPORT_BYTES = 5 * 1024 * 1024
_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_\-.]{0,99}$")
FORM_SKELETON = {"id": "", "title": {"vi": "", "en": ""}, "fields": [
    {"name": "ghi_chu", "label": {"vi": "Ghi chú", "en": "Notes"}, "type": "textarea"}]}




# -- what is opened ------------------------------------------------------------------------------------


@dataclass
class Opened:
    """A subject as the studio shows it: deployed, drafted, or both."""

    key: str
    workspace: Workspace
    subject: Subject | None
    draft: StudioDraft | None

    @property
    def name(self) -> str:
        return self.subject.name if self.subject else self.key

    @property
    def main_file(self) -> str:
        return self.draft.main_file if self.draft else self.subject.main_file  # type: ignore[union-attr]

    @property
    def files(self) -> dict[str, str]:
        """The workspace as this subject's draft sees it."""
        return {**self.workspace.files, **(self.draft.files if self.draft else {})}

    @property
    def draft_version(self) -> int | None:
        return self.draft.version if self.draft else None

    def process_to_run(self) -> str | None:
        """The process a sandbox dossier starts: the subject's own, else the diagram's first executable one."""
        processes = processes_in(self.files.get(self.main_file, ""))
        if any(pid == self.key for pid, _, _ in processes):
            return self.key
        return next((pid for pid, _, executable in processes if executable), None)


def _open(key: str) -> Opened:
    with platform().read_session() as db:
        workspace = load_workspace(db)
        draft = find_draft(db, key)
    subject = workspace.subject(key)
    if subject is None and draft is None:
        abort(404)
    return Opened(key, workspace, subject, draft)


def _dossier_counts() -> dict[tuple[str, int], dict[str, int]]:
    """(process id, version) → dossiers by status."""
    with platform().read_session() as db:
        rows = db.execute(
            select(ProcessDefinition.process_id, ProcessDefinition.version, Dossier.status, func.count())
            .join(Dossier, Dossier.definition_id == ProcessDefinition.id)
            .group_by(ProcessDefinition.process_id, ProcessDefinition.version, Dossier.status))
        counts: dict[tuple[str, int], dict[str, int]] = {}
        for process_id, version, status, count in rows:
            counts.setdefault((process_id, version), {})[status] = count
        return counts


def _problems_of(draft: StudioDraft | None) -> list[Problem]:
    return [Problem(**p) for p in (draft.problems if draft else [])]


# -- library -------------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*STUDIO_ROLES)
def index() -> str:
    with platform().read_session() as db:
        workspace = load_workspace(db)
        drafts = list_drafts(db)
    counts = _dossier_counts()
    running: dict[str, int] = {}
    for (process_id, _version), by_status in counts.items():
        running[process_id] = running.get(process_id, 0) + by_status.get(DossierStatus.RUNNING, 0)
    subjects = [s for s in (workspace.subject(p) for p in workspace.latest) if s is not None]
    procedures = sorted((s for s in subjects if s.is_procedure),
                        key=lambda s: (_procedure_number(workspace, s.process_id), s.name))
    shared = sorted((s for s in subjects if not s.is_procedure), key=lambda s: s.process_id)
    tables = []
    for path in sorted(p for p in workspace.files if p.endswith(".dmn")):
        users = [s for s in procedures if path in s.tables]
        tables.append({"path": path, "decisions": decisions_in(workspace.files[path]), "users": users})
    new_drafts = [d for key, d in sorted(drafts.items()) if key not in workspace.latest]
    return render_template("studio/index.html", procedures=procedures, shared=shared, tables=tables,
                           drafts=drafts, new_drafts=new_drafts, running=running)


def _procedure_number(workspace: Workspace, process_id: str) -> int:
    procedure = workspace.catalogues.get(process_id, {}).get("procedure") or {}
    number = procedure.get("number")
    return number if isinstance(number, int) else 999


@bp.get("/procedures/<key>")
@roles_required(*STUDIO_ROLES)
def procedure(key: str) -> str:
    return _procedure_page(_open(key))


def _procedure_page(opened: Opened, deploy_problems: list[Problem] | None = None, status: int = 200) -> Any:
    with platform().read_session() as db:
        versions = versions_of(db, opened.key)
    counts = _dossier_counts()
    draft = opened.draft
    stale = stale_files(opened.workspace, draft) if draft else []
    main = opened.main_file
    files = opened.files
    return render_template(
        "studio/procedure.html", opened=opened, versions=versions, counts=counts, stale=stale,
        problems=shown(_problems_of(draft)), deploy_problems=shown(deploy_problems or []),
        forms=forms_available(files, main), subject_forms=opened.subject.forms if opened.subject else {},
        tables=opened.subject.tables if opened.subject else [],
        calls=opened.subject.calls if opened.subject else [], latest=opened.workspace.latest,
    ), status


# -- editors -------------------------------------------------------------------------------------------


def _roles() -> list[dict[str, Any]]:
    return [{"code": r.code, "vi": r.vi, "en": r.en} for r in ROLES if r.acts_on_dossiers]


def _editor_messages() -> dict[str, str]:
    """The editors' words, translated here so that the scripts carry none of their own."""
    return {
        "saved": _("Đã lưu bản nháp (phiên bản nháp %(version)s)."),
        "saving": _("Đang lưu…"),
        "nothing_to_save": _("Không có thay đổi nào để lưu."),
        "checking": _("Đang kiểm tra…"),
        "valid": _("Hợp lệ: không có vấn đề nào."),
        "draft_info": _("Bản nháp %(version)s · %(by)s · %(at)s"),
        "drd": _("Sơ đồ quyết định (DRD)"),
        "problems": _("Có %(count)s vấn đề cần sửa trước khi triển khai."),
        "refused": _("Không lưu được: có biểu thức hoặc kịch bản dùng cấu trúc bị cấm (vì an toàn hệ thống)."),
        "conflict": _("Không lưu được: %(by)s đã lưu bản nháp lúc %(at)s trong khi bạn sửa. Nội dung của bạn vẫn "
                      "còn trong trình soạn thảo: tải tệp về để giữ lại, hoặc mở lại trang để xem bản của "
                      "đồng nghiệp."),
        "conflict_gone": _("Không lưu được: bản nháp vừa được triển khai hoặc huỷ bởi người khác. Nội dung của "
                           "bạn vẫn còn trong trình soạn thảo: tải tệp về để giữ lại."),
        "error": _("Đã có lỗi khi gửi yêu cầu; xin thử lại."),
        "unsaved": _("Có thay đổi chưa lưu."),
        "import_failed": _("Không mở được sơ đồ: %(error)s"),
        "whole_process": _("Toàn quy trình"),
        "no_selection": _("Chọn một phần tử trên sơ đồ để xem và sửa thuộc tính."),
        "element": _("Phần tử"),
        "id": _("Mã (id)"),
        "name": _("Tên"),
        "type": _("Loại"),
        "role": _("Vai trò (làn)"),
        "role_known": _("Làn này là vai trò: %(role)s"),
        "role_unknown": _("Tên làn không phải vai trò nào đã biết: người dùng sẽ không nhận được công việc."),
        "role_choose": _("— chọn vai trò —"),
        "task_role": _("Công việc này thuộc làn “%(lane)s”."),
        "task_no_lane": _("Công việc này chưa nằm trong làn nào: kéo nó vào làn của vai trò thực hiện."),
        "form": _("Biểu mẫu"),
        "form_none": _("— không có biểu mẫu —"),
        "form_edit": _("Sửa biểu mẫu"),
        "phase": _("Giai đoạn pháp lý"),
        "phase_name": _("Tên giai đoạn"),
        "phase_amount": _("Số ngày"),
        "phase_unit": _("Đơn vị"),
        "working_days": _("ngày làm việc"),
        "calendar_days": _("ngày (lịch)"),
        "phase_hint": _("Đồng hồ giai đoạn chạy từ khi bước này bắt đầu đến khi nó xong. Để trống tên để bỏ."),
        "total": _("Tổng thời hạn giải quyết"),
        "clock_pause": _("Dừng đồng hồ pháp lý khi chờ bước này (người nộp đang nợ phí hoặc hồ sơ bổ sung)"),
        "decision": _("Bảng quyết định được gọi"),
        "decision_none": _("— chọn bảng quyết định —"),
        "for_each": _("Tính cho từng phần tử của danh sách (decision-for-each)"),
        "item": _("Tên mỗi phần tử (decision-item)"),
        "aggregation": _("Gộp kết quả (decision-aggregation)"),
        "result": _("Lưu kết quả vào (decision-result)"),
        "timer": _("Hẹn giờ"),
        "timer_kind": _("Kiểu"),
        "timer_expression": _("Biểu thức"),
        "timer_timeDate": _("Đến hạn vào một thời điểm (timeDate)"),
        "timer_timeDuration": _("Sau một khoảng thời gian (timeDuration)"),
        "timer_timeCycle": _("Lặp lại (timeCycle)"),
        "timer_hint": _("Ví dụ: due_in_working_days(5) — hạn sau 5 ngày làm việc, tính theo lịch làm việc."),
        "timer_working": _("Hạn sau N ngày làm việc"),
        "timer_calendar": _("Hạn sau N ngày"),
        "condition": _("Điều kiện đi theo nhánh này"),
        "script": _("Kịch bản (script)"),
        "called": _("Quy trình con được gọi"),
        "linked": _("Mở hồ sơ liên thông (starts-dossier)"),
        "linked_when": _("Khi (starts-dossier-when)"),
        "linked_data": _("Dữ liệu chuyển sang (starts-dossier-data)"),
        "executable": _("Thực thi được (isExecutable)"),
        "properties": _("Thuộc tính khác (spiffworkflow:property)"),
        "property_add": _("Thêm thuộc tính"),
        "remove": _("Xoá"),
        "documentation": _("Mô tả, căn cứ pháp lý"),
        "problems_here": _("Vấn đề ở phần tử này"),
        "preview_failed": _("Biểu mẫu chưa hợp lệ, chưa xem trước được."),
        "json_invalid": _("JSON không hợp lệ: %(error)s"),
        "field_add": _("Thêm trường"),
        "field_name": _("Tên trường"),
        "field_type": _("Kiểu"),
        "label_vi": _("Nhãn (tiếng Việt)"),
        "label_en": _("Nhãn (tiếng Anh)"),
        "required": _("Bắt buộc"),
        "options": _("Lựa chọn (mỗi dòng: giá trị|nhãn tiếng Việt|nhãn tiếng Anh)"),
        "move_up": _("Lên"),
        "move_down": _("Xuống"),
        "form_id": _("Mã biểu mẫu (id)"),
        "form_title_vi": _("Tiêu đề (tiếng Việt)"),
        "form_title_en": _("Tiêu đề (tiếng Anh)"),
        "sandbox_complete": _("Hoàn thành"),
        "sandbox_no_tasks": _("Không có công việc nào đang chờ."),
        "sandbox_status": _("Trạng thái"),
        "sandbox_now": _("Thời điểm trong hộp thử"),
        "sandbox_error": _("Bước %(index)s không thực hiện được: %(message)s"),
        "sandbox_paused": _("Đồng hồ pháp lý đang dừng"),
        "sandbox_due": _("Hạn giai đoạn hiện tại"),
        "sandbox_total": _("Hạn giải quyết"),
        "sandbox_timer": _("Hẹn giờ kế tiếp"),
        "sandbox_linked": _("Hồ sơ liên thông đã mở"),
        "sandbox_running": _("Đang chạy…"),
        "sandbox_completed": _("Hồ sơ đã kết thúc."),
        "sandbox_step_start": _("Mở hồ sơ"),
        "sandbox_step_complete": _("Hoàn thành “%(task)s”"),
        "sandbox_step_advance": _("Tua nhanh %(days)s ngày"),
        "sandbox_role": _("Vai trò"),
        "sandbox_form": _("Biểu mẫu"),
        "sandbox_days_invalid": _("Nhập số ngày là số nguyên dương."),
        "status_running": _("đang xử lý"),
        "status_completed": _("đã kết thúc"),
        "status_cancelled": _("đã huỷ"),
        "yes": _("có"),
    }


def _editor_data(opened: Opened, path: str, text: str, problems: list[Problem], *, unsaved: bool,
                 refused: list[Problem] | None = None) -> dict[str, Any]:
    files = {**opened.files, path: text}
    main = opened.main_file if opened.draft or opened.subject else path
    decisions = []
    for file in sorted(p for p in files if p.endswith(".dmn")):
        decisions += [{"id": d, "name": n, "file": file} for d, n in decisions_in(files[file])]
    processes = sorted({pid for f in files if f.endswith(".bpmn") for pid, _, _ in processes_in(files[f])})
    return {
        "key": opened.key, "path": path, "main_file": main, "text": text, "unsaved": unsaved,
        "draft_version": opened.draft_version, "problems": shown(problems, refused=refused or []),
        "roles": _roles(), "forms": forms_available(files, main), "decisions": decisions, "processes": processes,
        "messages": _editor_messages(), "lang": locale(),
        "urls": {"save": url_for(".save", key=opened.key), "check": url_for(".check", key=opened.key),
                 "page": url_for(".procedure", key=opened.key) if (opened.draft or opened.subject) else None,
                 "form": url_for(".form_editor", key=opened.key, name="__name__")},
    }


@bp.get("/procedures/<key>/diagram")
@roles_required(*STUDIO_ROLES)
def diagram(key: str) -> str:
    opened = _open(key)
    path = opened.main_file
    data = _editor_data(opened, path, opened.files.get(path, ""), _problems_of(opened.draft), unsaved=False)
    return render_template("studio/diagram.html", opened=opened, data=data)


@bp.get("/procedures/<key>/tables/<path:path>")
@roles_required(*STUDIO_ROLES)
def table_editor(key: str, path: str) -> Response:
    opened = _open(key)
    if not path.endswith(".dmn") or path not in opened.files:
        abort(404)
    data = _editor_data(opened, path, opened.files[path], _problems_of(opened.draft), unsaved=False)
    response = make_response(render_template("studio/table.html", opened=opened, data=data))
    # dmn-js sizes its table menus and cells with inline style attributes, which the app's policy
    # (style-src 'self') blocks; this page allows them for styles only, scripts stay restricted.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'")
    return response


@bp.get("/procedures/<key>/forms/<name>")
@roles_required(*STUDIO_ROLES)
def form_editor(key: str, name: str) -> str:
    opened = _open(key)
    if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", name):
        abort(404)
    files = opened.files
    path = forms_available(files, opened.main_file).get(name)
    text = files.get(path, "") if path else ""
    if path is None:  # a new form, beside the diagram
        path = posixpath.join(posixpath.dirname(opened.main_file), "forms", f"{name}.json")
        text = json.dumps({**FORM_SKELETON, "id": name}, ensure_ascii=False, indent=2)
    data = _editor_data(opened, path, text, _problems_of(opened.draft), unsaved=path not in files)
    data["urls"]["preview"] = url_for(".form_preview")
    data["field_types"] = sorted(FIELD_TYPES)
    return render_template("studio/form.html", opened=opened, data=data, name=name)


@bp.post("/forms/preview")
@roles_required(*STUDIO_ROLES)
def form_preview() -> Any:
    """The form as the officer will see it (the same macros as the task page), or its problems."""
    payload = request.get_json(silent=True) or {}
    path, text = str(payload.get("path", "form.json")), payload.get("text", "")
    try:
        definition = load_form(json.loads(text), name=path)
    except json.JSONDecodeError as err:
        return jsonify(html="", problems=shown([Problem(path, "", f"the form is not valid JSON: {err}")]))
    except ValidationFailed as failed:
        return jsonify(html="", problems=shown(failed.problems))
    except (TypeError, AttributeError):
        return jsonify(html="", problems=shown([Problem(path, "", "a form definition is a JSON object with id, "
                                                                  "title and fields")]))
    html = render_template("studio/_form_preview.html", form=definition, values=view_values(definition, {}))
    return jsonify(html=html, problems=[])


# -- drafts --------------------------------------------------------------------------------------------


def _json_files(payload: dict[str, Any]) -> dict[str, str]:
    files = payload.get("files")
    if not isinstance(files, dict) or not files:
        abort(400)
    return files


def _main_for_new(key: str, payload: dict[str, Any]) -> str:
    """Where an imported diagram goes: its own folder, named by its key."""
    main = payload.get("main_file")
    if not _KEY.match(key) or not isinstance(main, str) or not main.startswith(f"bpmn/{key}/") \
            or not main.endswith(".bpmn"):
        abort(400)
    return main


@bp.post("/procedures/<key>/draft")
@roles_required(*STUDIO_ROLES)
def save(key: str) -> Any:
    payload = request.get_json(silent=True) or {}
    files = _json_files(payload)
    expected = payload.get("version")
    if expected is not None and not isinstance(expected, int):
        abort(400)
    try:
        with platform().dossiers.command() as db:
            workspace = load_workspace(db)
            subject = workspace.subject(key)
            existing = find_draft(db, key)
            main = existing.main_file if existing else subject.main_file if subject else _main_for_new(key, payload)
            draft = save_draft(db, workspace, key, files, g.user.username, expected_version=expected, main_file=main)
            result = {"version": draft.version, "saved_by": draft.updated_by,
                      "saved_at": local_datetime(draft.updated_at), "problems": shown(_problems_of(draft)),
                      "page": url_for(".procedure", key=key)}
    except ValidationFailed as failed:
        return jsonify(refused=shown(failed.problems, refused=failed.problems)), 422
    except DraftConflict as conflict:
        return jsonify(conflict={"by": conflict.by, "at": local_datetime(conflict.at) if conflict.at else None,
                                 "version": conflict.version}), 409
    except InvalidData as err:
        return jsonify(error=str(err)), 400
    return jsonify(result)


@bp.post("/procedures/<key>/check")
@roles_required(*STUDIO_ROLES)
def check(key: str) -> Any:
    """Validate the editor's text with the draft and the workspace, storing nothing."""
    payload = request.get_json(silent=True) or {}
    files = _json_files(payload)
    with platform().read_session() as db:
        workspace = load_workspace(db)
        draft = find_draft(db, key)
    try:
        check_paths(files)
    except InvalidData as err:
        return jsonify(error=str(err)), 400
    changes = {**(draft.files if draft else {}), **files}
    return jsonify(problems=shown(check_files(workspace, changes), refused=forbidden_texts(files)))


@bp.post("/procedures/<key>/deploy")
@roles_required(*STUDIO_ROLES)
def deploy(key: str) -> Any:
    opened = _open(key)
    expected = request.form.get("version", type=int)
    if expected is None:
        abort(400)
    try:
        deployed = platform().commands.deploy_draft(key, g.user.username, expected_version=expected)
    except IntegrityError:  # another deployment took the same version number at the same moment
        flash(_("Chưa triển khai: một phiên bản khác vừa được triển khai cùng lúc; xin thử lại."), "warning")
        return redirect(url_for(".procedure", key=key))
    except ValidationFailed as failed:
        flash(_("Chưa triển khai: bản nháp còn vấn đề (xem bên dưới)."), "error")
        return _procedure_page(_open(key), failed.problems, 422)
    except DraftConflict as conflict:
        if conflict.files:
            flash(_("Chưa triển khai: đã có phiên bản mới triển khai sau khi bản nháp bắt đầu, thay đổi cùng các "
                    "tệp: %(files)s. Hãy so sánh, rồi huỷ bản nháp và sửa lại trên phiên bản mới.",
                    files=", ".join(conflict.files)), "error")
        else:
            flash(_("Chưa triển khai: %(by)s đã lưu bản nháp lúc %(at)s; xin xem lại trước khi triển khai.",
                    by=conflict.by or "?", at=local_datetime(conflict.at) if conflict.at else "?"), "error")
        return redirect(url_for(".procedure", key=key))
    except NotFound:
        flash(_("Không còn bản nháp để triển khai (đã được triển khai hoặc huỷ)."), "warning")
        return redirect(url_for(".procedure", key=key))
    except InvalidData:
        flash(_("Bản nháp không thay đổi gì so với phiên bản đang chạy."), "info")
        return redirect(url_for(".procedure", key=key))
    if deployed:
        flash(_("Đã triển khai: %(versions)s. Hồ sơ đang xử lý giữ phiên bản cũ; hồ sơ mới dùng phiên bản mới.",
                versions=", ".join(f"{d.process_id} v{d.version}" for d in deployed)), "success")
    else:
        flash(_("Không có quy trình nào thay đổi."), "info")
    target = key if any(d.process_id == key for d in deployed) or opened.subject else None
    return redirect(url_for(".procedure", key=target) if target else url_for(".index"))


@bp.post("/procedures/<key>/discard")
@roles_required(*STUDIO_ROLES)
def discard(key: str) -> Response:
    expected = request.form.get("version", type=int)
    if expected is None:
        abort(400)
    try:
        with platform().dossiers.command() as db:
            discard_draft(db, key, expected)
    except DraftConflict:
        flash(_("Chưa huỷ: bản nháp vừa được người khác lưu; xin xem lại."), "warning")
        return redirect(url_for(".procedure", key=key))
    except NotFound:
        pass
    flash(_("Đã huỷ bản nháp."), "info")
    with platform().read_session() as db:
        deployed = db.scalar(select(func.count()).where(ProcessDefinition.process_id == key))
    return redirect(url_for(".procedure", key=key) if deployed else url_for(".index"))


# -- import --------------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:60]
    return slug if slug[:1].isalpha() else f"p_{slug}"


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*STUDIO_ROLES)
def import_diagram() -> Any:
    with platform().read_session() as db:
        workspace = load_workspace(db)
    targets = sorted(workspace.latest.values(), key=lambda v: v.process_id)
    if request.method == "GET":
        return render_template("studio/import.html", targets=targets)
    upload = request.files.get("diagram")
    error = None
    raw = upload.read(MAX_IMPORT_BYTES + 1) if upload and upload.filename else b""
    text = ""
    if not raw:
        error = _("Chọn một tệp .bpmn để nhập.")
    elif len(raw) > MAX_IMPORT_BYTES:
        error = _("Tệp lớn hơn 5 MB.")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            error = _("Tệp không phải văn bản UTF-8.")
    if error is None and not processes_in(text) and "definitions" not in text[:2000]:
        error = _("Tệp không phải sơ đồ BPMN 2.0.")
    if error:
        return render_template("studio/import.html", targets=targets, error=error), 400
    target = request.form.get("target", "")
    if target:
        if target not in workspace.latest:
            abort(400)
        key = target
    else:
        key = _slug(request.form.get("key", "").strip() or posixpath.splitext(upload.filename or "")[0])
    opened = _open_or_new(key, workspace)
    path = opened.main_file if (opened.subject or opened.draft) else f"bpmn/{key}/{key}.bpmn"
    changes = {**(opened.draft.files if opened.draft else {}), path: text}
    problems = check_files(workspace, changes)
    data = _editor_data(opened, path, text, problems, unsaved=True, refused=forbidden_texts({path: text}))
    data["main_file"] = path
    data["imported_from"] = upload.filename if upload else ""
    return render_template("studio/diagram.html", opened=opened, data=data)


def _open_or_new(key: str, workspace: Workspace) -> Opened:
    with platform().read_session() as db:
        draft = find_draft(db, key)
    return Opened(key, workspace, workspace.subject(key), draft)


# -- versions and differences --------------------------------------------------------------------------


def _main_of(files: dict[str, str], key: str) -> str | None:
    return next((p for p in sorted(files) if p.endswith(".bpmn")
                 and any(pid == key for pid, _, _ in processes_in(files[p]))), None)


@bp.get("/procedures/<key>/diff")
@roles_required(*STUDIO_ROLES)
def diff(key: str) -> str:
    opened = _open(key)
    with platform().read_session() as db:
        versions = versions_of(db, key)
        numbers = [v.version for v in versions]
        default_to = "draft" if opened.draft else (str(numbers[0]) if numbers else "")
        to = request.args.get("to", default_to)
        if to != "draft" and not to.isdigit():
            abort(404)
        default_from = (numbers[0] if to == "draft" else int(to) - 1) if numbers else None
        start = request.args.get("from", type=int, default=default_from)
        before = version_files(db, key, start) if start else None
        if to == "draft":
            if opened.draft is None:
                abort(404)
            # The draft as this subject's version would carry it: the files of the version it starts from.
            base = version_files(db, key, numbers[0]) if numbers else {}
            after = {p: opened.files[p] for p in {*(base or {}), *opened.draft.files} if p in opened.files}
        else:
            after = version_files(db, key, int(to))
    if after is None:
        abort(404)
    before = before or {}
    changes: VersionDiff = diff_files(before, after)
    main = opened.main_file if to == "draft" else (_main_of(after, key) or opened.main_file)
    main_change = changes.for_file(main)
    data = {
        "before": before.get(_main_of(before, key) or main, ""), "after": after.get(main, ""),
        "elements": [{"id": c.element_id, "kind": c.kind} for c in (main_change.elements if main_change else ())],
        "messages": {"import_failed": _("Không mở được sơ đồ: %(error)s")},
    }
    return render_template("studio/diff.html", opened=opened, versions=versions, start=start, to=to,
                           changes=changes, main=main, data=data)


# -- sandbox -------------------------------------------------------------------------------------------


@bp.get("/procedures/<key>/sandbox")
@roles_required(*STUDIO_ROLES)
def sandbox(key: str) -> str:
    opened = _open(key)
    data = _editor_data(opened, opened.main_file, opened.files.get(opened.main_file, ""), [], unsaved=False)
    data.update(process_id=opened.process_to_run(), start_at=clock.now().replace(microsecond=0).isoformat(),
                run_url=url_for(".sandbox_run", key=key))
    return render_template("studio/sandbox.html", opened=opened, data=data)


@bp.post("/procedures/<key>/sandbox")
@roles_required(*STUDIO_ROLES)
def sandbox_run(key: str) -> Any:
    opened = _open(key)
    payload = request.get_json(silent=True) or {}
    actions = payload.get("actions")
    try:
        start_at = datetime.fromisoformat(str(payload.get("start_at")))
    except ValueError:
        abort(400)
    process_id = opened.process_to_run()
    if not isinstance(actions, list) or start_at.tzinfo is None or process_id is None:
        abort(400)
    with platform().read_session() as db:
        overrides = [{"day": o.day.isoformat(), "kind": str(o.kind), "reason": o.reason}
                     for o in db.scalars(select(CalendarOverride))]
    forbidden = forbidden_texts(opened.draft.files if opened.draft else {})
    if forbidden:  # a draft never holds these (refused at save); the check is cheap and keeps it so
        return jsonify(problems=shown(forbidden)), 422
    try:
        report = run_sandbox({"files": opened.files, "process_id": process_id, "start_at": start_at.isoformat(),
                              "overrides": overrides, "actions": actions})
    except SandboxError as err:
        return jsonify(error=str(err)), 500
    report["problems"] = shown(Problem(**p) for p in report.get("problems", []))
    return jsonify(report)
