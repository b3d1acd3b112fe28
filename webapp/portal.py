"""The applicants' portal: public, a placeholder until online submission and tracking land."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.get("/")
def index() -> str:
    return render_template("placeholder/page.html", area="portal")
