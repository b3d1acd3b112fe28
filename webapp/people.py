"""People: the administrator adds users, changes their name, e-mail, roles and unit, resets passwords and
deactivates them; officers (or their supervisor) record an absence with the colleague who acts for them.
The rules and the audit are in engine.access.user and engine.access.absence; here are the pages and words."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.access import absence as absences
from engine.access.roles import BY_CODE
from engine.access.user import (
    ASSIGNABLE_ROLES,
    MIN_PASSWORD,
    create_user,
    edit_user,
    find_user,
    list_users,
    reset_password,
    set_active,
)
from engine.runtime.errors import InvalidData
from webapp.security import ACTING_ROLES, roles_required
from webapp.views import platform

bp = Blueprint("people", __name__)
# Who records absences for others than themselves.
MANAGE_ABSENCES = frozenset({"supervisor", "admin"})

# The engine's reason codes, in the reader's language.
REASONS = {
    ("username", "invalid"): _l("Tên đăng nhập gồm 3–50 chữ thường không dấu, số, dấu chấm, gạch ngang, gạch dưới."),
    ("username", "taken"): _l("Tên đăng nhập này đã có người dùng."),
    ("username", "unknown"): _l("Không có người dùng này."),
    ("username", "self"): _l("Không thể tự khoá tài khoản của chính mình."),
    ("full_name", "required"): _l("Nhập họ và tên (tối đa 200 ký tự)."),
    ("email", "invalid"): _l("Địa chỉ e-mail không hợp lệ."),
    ("roles", "required"): _l("Chọn ít nhất một vai trò."),
    ("roles", "unknown"): _l("Vai trò không hợp lệ."),
    ("unit", "long"): _l("Tên đơn vị tối đa 200 ký tự."),
    ("password", "short"): _l("Mật khẩu cần ít nhất %(n)s ký tự.", n=MIN_PASSWORD),
    ("delegate", "unknown"): _l("Chọn một người đang làm việc."),
    ("delegate", "same"): _l("Người được uỷ quyền phải là người khác."),
    ("delegate", "role"): _l("Người được uỷ quyền phải có mọi vai trò xử lý hồ sơ của người vắng mặt."),
    ("ends_on", "order"): _l("Ngày kết thúc phải từ ngày bắt đầu trở đi."),
    ("ends_on", "past"): _l("Khoảng thời gian này đã qua."),
    ("ends_on", "long"): _l("Một lần vắng mặt tối đa một năm."),
    ("starts_on", "overlap"): _l("Trong khoảng này đã có một lần vắng mặt được ghi."),
    ("absence", "unknown"): _l("Không có lần vắng mặt này."),
    ("to", "unknown"): _l("chọn một cán bộ đang làm việc"),
    ("to", "absent"): _l("người này đang vắng mặt; hãy giao cho người được uỷ quyền"),
    ("to", "role"): _l("người này không có vai trò mà bước cần"),
    ("to", "same"): _l("hãy chọn một cán bộ khác"),
}


def reasons(err: InvalidData) -> dict[str, str]:
    return {name: str(REASONS.get((name, code), code)) for name, code in err.fields.items()}


def handover_reason(err: InvalidData) -> str:
    return "; ".join(reasons(err).values()) or str(err)


def _flash_all(messages: dict[str, str]) -> None:
    for message in messages.values():
        flash(message, "error")


def _posted_roles() -> list[str]:
    return [r for r in request.form.getlist("roles") if r]


# -- users --------------------------------------------------------------------------------------------------


def _users_page(form: dict[str, object] | None = None, errors: dict[str, str] | None = None,
                status: int = 200) -> tuple[str, int]:
    with platform().read_session() as db:
        users = list_users(db)
    return render_template("admin/users.html", users=users, roles=[BY_CODE[r] for r in ASSIGNABLE_ROLES],
                           form=form or {}, errors=errors or {}, min_password=MIN_PASSWORD), status


@bp.get("/admin/users")
@roles_required("admin")
def users() -> tuple[str, int]:
    return _users_page()


@bp.post("/admin/users")
@roles_required("admin")
def create() -> Response | tuple[str, int]:
    form = {k: request.form.get(k, "").strip() for k in ("username", "full_name", "email", "unit")}
    roles = _posted_roles()
    try:
        with platform().dossiers.command() as db:
            create_user(db, form["username"], request.form.get("password", ""), form["full_name"], roles,
                        email=form["email"], unit=form["unit"], actor=g.user.username)
    except InvalidData as err:
        return _users_page({**form, "roles": roles}, reasons(err), status=422)
    flash(_("Đã tạo người dùng %(name)s.", name=form["username"]), "success")
    return redirect(url_for("people.user", username=form["username"]))


def _user_page(username: str, errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    with platform().read_session() as db:
        person = find_user(db, username)
        if person is None:
            abort(404)
        away = absences.absences(db, username)
    return render_template("admin/user.html", person=person, roles=[BY_CODE[r] for r in ASSIGNABLE_ROLES],
                           errors=errors or {}, min_password=MIN_PASSWORD, away=away), status


@bp.get("/admin/users/<username>")
@roles_required("admin")
def user(username: str) -> tuple[str, int]:
    return _user_page(username)


@bp.post("/admin/users/<username>")
@roles_required("admin")
def edit(username: str) -> Response | tuple[str, int]:
    try:
        with platform().dossiers.command() as db:
            edit_user(db, username, g.user.username, full_name=request.form.get("full_name", ""),
                      email=request.form.get("email", ""), roles=_posted_roles(), unit=request.form.get("unit", ""))
    except InvalidData as err:
        if err.fields.get("username") == "unknown":
            abort(404)
        return _user_page(username, reasons(err), status=422)
    flash(_("Đã lưu thông tin của %(name)s.", name=username), "success")
    return redirect(url_for("people.user", username=username))


@bp.post("/admin/users/<username>/active")
@roles_required("admin")
def activate(username: str) -> Response:
    active = request.form.get("active") == "1"
    try:
        with platform().dossiers.command() as db:
            set_active(db, username, active, g.user.username)
    except InvalidData as err:
        _flash_all(reasons(err))
        return redirect(url_for("people.user", username=username))
    flash(_("Đã mở lại tài khoản %(name)s.", name=username) if active
          else _("Đã khoá tài khoản %(name)s: người này không đăng nhập được nữa.", name=username), "success")
    return redirect(url_for("people.user", username=username))


@bp.post("/admin/users/<username>/password")
@roles_required("admin")
def password(username: str) -> Response | tuple[str, int]:
    try:
        with platform().dossiers.command() as db:
            reset_password(db, username, request.form.get("password", ""), g.user.username)
    except InvalidData as err:
        return _user_page(username, reasons(err), status=422)
    flash(_("Đã đặt mật khẩu mới cho %(name)s; hãy báo cho người đó.", name=username), "success")
    return redirect(url_for("people.user", username=username))


# -- absences -----------------------------------------------------------------------------------------------


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.form.get(name, ""))
    except ValueError:
        return None


@bp.get("/absences")
@roles_required(*ACTING_ROLES, *MANAGE_ABSENCES)
def absence_page() -> str:
    manages = bool(g.user.roles & MANAGE_ABSENCES)
    with platform().read_session() as db:
        rows = absences.absences(db, None if manages else g.user.username)
        people = [u for u in list_users(db) if u.active and u.roles & ACTING_ROLES]
    return render_template("officer/absences.html", rows=rows, people=people, manages=manages,
                           today=absences.today())


@bp.post("/absences")
@roles_required(*ACTING_ROLES, *MANAGE_ABSENCES)
def record_absence() -> Response:
    username = request.form.get("username", "") if g.user.roles & MANAGE_ABSENCES else g.user.username
    starts_on, ends_on = _day("starts_on"), _day("ends_on")
    if starts_on is None or ends_on is None:
        flash(_("Nhập ngày bắt đầu và ngày kết thúc."), "error")
        return redirect(url_for("people.absence_page"))
    try:
        with platform().dossiers.command() as db:
            absences.record_absence(db, username, request.form.get("delegate", ""), starts_on, ends_on,
                                    g.user.username, request.form.get("reason", ""))
    except InvalidData as err:
        _flash_all(reasons(err))
        return redirect(url_for("people.absence_page"))
    flash(_("Đã ghi lịch vắng mặt từ %(start)s đến %(end)s.", start=starts_on.strftime("%d/%m/%Y"),
             end=ends_on.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("people.absence_page"))


@bp.post("/absences/<int:absence_id>/withdraw")
@roles_required(*ACTING_ROLES, *MANAGE_ABSENCES)
def withdraw_absence(absence_id: int) -> Response:
    with platform().dossiers.command() as db:
        row = db.get(absences.Absence, absence_id)
        if row is None or not (g.user.roles & MANAGE_ABSENCES or row.username == g.user.username):
            abort(404)
        absences.withdraw_absence(db, absence_id, g.user.username)
    flash(_("Đã huỷ lịch vắng mặt."), "success")
    return redirect(url_for("people.absence_page"))
