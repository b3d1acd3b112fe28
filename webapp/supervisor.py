"""The supervisors' place (watching clocks): a placeholder until the supervision issue fills it."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security import roles_required

bp = Blueprint("supervisor", __name__, url_prefix="/supervisor")


@bp.get("/")
@roles_required("supervisor")
def index() -> str:
    return render_template("placeholder/page.html", area="supervisor")
