"""Administration: for now the list of users and their roles (managing them comes with its issue)."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from engine.user import User
from webapp.security import roles_required
from webapp.views import platform

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@roles_required("admin")
def index() -> str:
    with platform().read_session() as db:
        users = list(db.scalars(select(User).order_by(User.username)))
    return render_template("placeholder/admin.html", users=users)
