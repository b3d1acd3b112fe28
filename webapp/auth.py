"""Sign-in, sign-out, the language switch, and the home page that sends each role to its place."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.access.user import find_user
from webapp.security import ACTING_ROLES, login_required, own_path, sign_in, sign_out
from webapp.views import platform

bp = Blueprint("auth", __name__)

# Where each role lands after signing in, most specific first.
HOME_BY_ROLE = (
    ("reception", "reception.index"),
    (None, "officer.inbox"),  # any acting role
    ("supervisor", "supervisor.index"),
    ("analyst", "studio.index"),
    ("admin", "admin.index"),
)


def home_url() -> str:
    roles = g.user.roles if g.user else frozenset()
    for role, endpoint in HOME_BY_ROLE:
        if (role is None and roles & ACTING_ROLES) or (role is not None and role in roles):
            return url_for(endpoint)
    return url_for("portal.index")


@bp.get("/")
def home() -> Response:
    if g.user is None:
        return redirect(url_for("auth.login"))
    return redirect(home_url())


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return render_template("auth/login.html", next=own_path(request.args.get("next")))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    with platform().read_session() as db:
        user = find_user(db, username) if username else None
        valid = user is not None and user.active and user.check_password(password)
    if not valid:
        return render_template("auth/login.html", error=_("Tên đăng nhập hoặc mật khẩu không đúng."),
                               username=username, next=own_path(request.form.get("next"))), 401
    sign_in(user)
    current_app.logger.info("sign-in: %s", username)
    target = own_path(request.form.get("next"))
    g.user = None  # the next request loads the user afresh
    return redirect(target or url_for("auth.home"))


@bp.post("/logout")
@login_required
def logout() -> Response:
    sign_out()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.get("/language/<code>")
def language(code: str) -> Response:
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(own_path(request.args.get("next")) or url_for("auth.home"))
