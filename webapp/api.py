"""The JSON API: for now, who the caller is; the rest comes with its issue."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/me")
def me() -> tuple[dict[str, Any], int]:
    if g.user is None:
        return {"error": "unauthorised", "message": "sign in first"}, 401
    return {"username": g.user.username, "full_name": g.user.full_name, "roles": sorted(g.user.roles)}, 200
