"""The public verification page of result papers (`/verify/<number>`), where a paper's QR code leads.

Anyone holding a licence, certificate, declaration confirmation or quantity-mark stamp reads here, from the
registry, whether it is valid, amended, replaced or expired (engine.onestop.verification).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template, request

from engine.onestop.verification import verify
from webapp.rate_limits import RateLimits, Rule
from webapp.views import platform

bp = Blueprint("verification", __name__)


@bp.get("/verify")
@bp.get("/verify/<path:number>")
def page(number: str = "") -> tuple[str, int]:
    number = (number or request.args.get("number", "")).strip()[:60]
    if not number:
        return render_template("portal/verify.html", number="", verdict=None), 200
    with platform().read_session() as db:
        verdict = verify(db, number)
    return render_template("portal/verify.html", number=number, verdict=verdict), 200 if verdict else 404


@bp.record_once
def _limits(state: Any) -> None:
    """Lookups per address, like the tracking of dossiers: numbers are not secrets, but not for harvesting."""
    app: Flask = state.app
    app.config.setdefault("VERIFY_LIMIT", "30 per minute;300 per hour")
    limits: RateLimits = app.extensions["motcua_limits"]
    limits.limit(app, "verification.page", Rule(lambda: current_app.config["VERIFY_LIMIT"]))
