"""Administration: the users and their roles, the calendar's yearly overrides (bridge days, worked
Saturdays) that the Government decides, and the API tokens of the integrations (the provincial portal)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.access.api_token import SCOPES, list_tokens
from engine.access.user import User
from engine.legal_time.business_calendar import FIRST_YEAR, LAST_YEAR, load_calendar
from engine.legal_time.calendar_override import OverrideKind, list_overrides
from engine.legal_time.clock import clock
from webapp.security import roles_required
from webapp.views import platform

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@roles_required("admin")
def index() -> str:
    return render_template("admin/index.html")


@bp.get("/calendar")
@roles_required("admin")
def calendar() -> str:
    year = request.args.get("year", type=int) or clock.now().year
    year = min(max(year, FIRST_YEAR), LAST_YEAR)
    with platform().read_session() as db:
        working_calendar = load_calendar(db)
        overrides = list_overrides(db, year)
    return render_template(
        "admin/calendar.html", year=year, overrides=overrides, kinds=list(OverrideKind),
        days_off=working_calendar.non_working_days(year), saturdays=working_calendar.working_saturdays(year),
        years=range(FIRST_YEAR, LAST_YEAR + 1),
        weekdays=[_("Thứ Hai"), _("Thứ Ba"), _("Thứ Tư"), _("Thứ Năm"), _("Thứ Sáu"), _("Thứ Bảy"), _("Chủ nhật")],
    )


@bp.post("/calendar/overrides")
@roles_required("admin")
def add_calendar_override() -> object:
    errors = {}
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        errors["day"] = _("Ngày không hợp lệ")
    kind = request.form.get("kind", "")
    if kind not in set(OverrideKind):
        errors["kind"] = _("Chọn ngày nghỉ hoặc ngày làm việc")
    reason = request.form.get("reason", "").strip()
    if not reason:
        errors["reason"] = _("Ghi rõ căn cứ (số văn bản của Chính phủ, Bộ)")
    if not errors:
        try:
            platform().commands.add_calendar_override(day, kind, reason, g.user.username)
        except ValueError:  # the reason was checked above: the day has an override already
            errors["day"] = _("Ngày này đã có điều chỉnh; xóa điều chỉnh cũ trước")
    if errors:
        for message in errors.values():
            flash(message, "error")
        return redirect(url_for("admin.calendar", year=request.form.get("year")))
    flash(_("Đã ghi điều chỉnh lịch làm việc ngày %(day)s.", day=day.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("admin.calendar", year=day.year))


@bp.post("/calendar/overrides/<day>/delete")
@roles_required("admin")
def remove_calendar_override(day: str) -> object:
    try:
        when = date.fromisoformat(day)
        platform().commands.remove_calendar_override(when, g.user.username)
    except (ValueError, LookupError):
        flash(_("Không có điều chỉnh nào vào ngày này."), "error")
        return redirect(url_for("admin.calendar"))
    flash(_("Đã xóa điều chỉnh ngày %(day)s.", day=when.strftime("%d/%m/%Y")), "success")
    return redirect(url_for("admin.calendar", year=when.year))


@bp.get("/tokens")
@roles_required("admin")
def tokens() -> str:
    return _tokens_page()


def _tokens_page(new_token: str | None = None) -> str:
    with platform().read_session() as db:
        rows = list_tokens(db)
        users = list(db.scalars(select(User).where(User.active).order_by(User.username)))
    return render_template("admin/tokens.html", rows=rows, users=users, scopes=SCOPES, new_token=new_token)


@bp.post("/tokens")
@roles_required("admin")
def create_api_token() -> object:
    name = request.form.get("name", "").strip()
    username = request.form.get("username", "")
    scopes = request.form.getlist("scopes") or None
    if not name:
        flash(_("Đặt tên cho mã truy cập (hệ thống nào sẽ dùng nó)."), "error")
        return redirect(url_for("admin.tokens"))
    try:
        _row, clear = platform().commands.create_token(name, username, g.user.username, scopes)
    except ValueError as err:
        flash(_("Không tạo được mã truy cập: %(reason)s", reason=str(err)), "error")
        return redirect(url_for("admin.tokens"))
    # The clear token is shown once, on this response, and never stored.
    return _tokens_page(new_token=clear)


@bp.post("/tokens/<int:token_id>/revoke")
@roles_required("admin")
def revoke_api_token(token_id: int) -> object:
    try:
        platform().commands.revoke_token(token_id, g.user.username)
    except ValueError:
        flash(_("Không có mã truy cập này."), "error")
        return redirect(url_for("admin.tokens"))
    flash(_("Đã thu hồi mã truy cập."), "success")
    return redirect(url_for("admin.tokens"))
