"""The process analysts' studio (diagrams, tables, deployments): a placeholder until its issue fills it."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.security import roles_required

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.get("/")
@roles_required("analyst")
def index() -> str:
    return render_template("placeholder/page.html", area="studio")
