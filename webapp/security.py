"""Who is signed in, what they may open, and the protections every page gets: CSRF tokens on every
form (Flask-WTF), a rate limit on sign-in attempts (Flask-Limiter), HttpOnly SameSite cookies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from engine.access.roles import BY_CODE
from engine.access.user import User

F = TypeVar("F", bound=Callable[..., Any])
csrf = CSRFProtect()
# Roles whose people do the steps of dossiers (the lanes), as opposed to watching or configuring.
ACTING_ROLES = frozenset(code for code, role in BY_CODE.items() if role.acts_on_dossiers and code != "applicant")


@dataclass(frozen=True)
class SignedIn:
    id: int
    username: str
    full_name: str
    roles: frozenset[str]

    @property
    def acting_roles(self) -> set[str]:
        return set(self.roles & ACTING_ROLES)


def sign_in(user: User) -> None:
    lang = session.get("lang")
    session.clear()  # nothing from before the sign-in survives it (session fixation)
    session.permanent = True
    session["user_id"] = user.id
    if lang:
        session["lang"] = lang


def _load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    from webapp.views import platform

    with platform().read_session() as db:
        user = db.get(User, user_id)
        if user is None or not user.active:
            session.pop("user_id", None)
            return
        g.user = SignedIn(user.id, user.username, user.full_name, frozenset(user.roles))


def login_required(view: F) -> F:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if g.user is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapped  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Signed in, with at least one of `roles`; else the sign-in page, or 403."""
    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if not g.user.roles & set(roles):
                abort(403)
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate


def _ip_and_username() -> str:
    return f"{get_remote_address()}|{request.form.get('username', '').strip().casefold()}"


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    app.before_request(_load_user)
    app.extensions["motcua_limiter"] = Limiter(get_remote_address, app=app, default_limits=[],
                                               storage_uri=app.config["RATELIMIT_STORAGE_URI"])

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        if g.get("user") is not None:
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def limit_login(app: Flask) -> None:
    """Sign-in attempts: a few per minute per IP and user name (guessing), more per IP (spraying)."""
    limiter: Limiter = app.extensions["motcua_limiter"]
    per_user, per_ip = app.config["LOGIN_LIMITS"]
    view = app.view_functions["auth.login"]
    view = limiter.limit(per_ip, methods=["POST"])(view)
    app.view_functions["auth.login"] = limiter.limit(per_user, key_func=_ip_and_username, methods=["POST"])(view)
