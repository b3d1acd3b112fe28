"""Who is signed in, what they may open, and the protections every page gets: CSRF tokens on every
form (Flask-WTF), a rate limit on sign-in attempts (webapp.rate_limits), HttpOnly SameSite cookies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, Request, Response, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from engine.access.roles import BY_CODE
from engine.access.sign_in_session import close_session, open_session
from engine.access.user import User, signed_in
from engine.onestop.tracking import normal_code
from webapp.rate_limits import RateLimits, Rule, remote_address

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
    from webapp.views import platform

    with platform().dossiers.command() as db:
        token = open_session(db, user.id)
    lang = session.get("lang")
    session.clear()  # nothing from before the sign-in survives it (session fixation)
    session.permanent = True
    session["user_id"] = user.id
    session["sid"] = token
    if lang:
        session["lang"] = lang


def sign_out() -> None:
    """Ends the session on the server too: a copy of the cookie is worth nothing afterwards."""
    from webapp.views import platform

    with platform().dossiers.command() as db:
        close_session(db, session.get("sid"))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    from webapp.views import platform

    with platform().read_session() as db:
        # The cookie is signed, but only a session the server still holds counts (engine.access.sign_in_session).
        user = signed_in(db, session.get("sid"), user_id)
    if user is None:
        session.pop("user_id", None)
        session.pop("sid", None)
        return
    g.user = SignedIn(user_id, *user)


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


def tracking_key() -> str:
    """Failed tracking attempts count per address AND dossier code: a guesser behind the same proxy or NAT as
    an applicant fails on the codes they guess, not on the applicant's (a looser limit per address still
    stops spraying many codes: TRACKING_ADDRESS_LIMIT)."""
    code = request.form.get("code") or (request.view_args or {}).get("code") or ""
    return f"{remote_address()}|{normal_code(str(code)[:60])}"


def limit_tracking(app: Flask, *endpoints: str) -> None:
    """The failed lookups of a dossier by code and secret (portal and API share the counts)."""
    limits: RateLimits = app.extensions["motcua_limits"]
    app.config.setdefault("TRACKING_LIMIT", "10 per minute;60 per hour")
    app.config.setdefault("TRACKING_ADDRESS_LIMIT", "30 per minute;300 per hour")

    # Only failures count; integrations sign their lookups with a token, and the empty form is free.
    def failed(response: Response) -> bool:
        return response.status_code == 404

    def exempt() -> bool:
        return "Authorization" in request.headers or (request.method == "GET" and request.endpoint == "portal.track")

    for endpoint in endpoints:
        limits.limit(app, endpoint, Rule(lambda: current_app.config["TRACKING_ADDRESS_LIMIT"], scope="tracking-address",
                                         deduct_when=failed, exempt_when=exempt))
        limits.limit(app, endpoint, Rule(lambda: current_app.config["TRACKING_LIMIT"], key=tracking_key,
                                         scope="tracking", deduct_when=failed, exempt_when=exempt))


def own_path(target: str | None) -> str | None:
    """`target` when it is a page of this platform (a path its routes answer with GET), else None: `next=`
    and `back=` must not send anyone to another site (//evil.example, /\\evil.example, https://…)."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    if any(c == "\\" or ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    try:
        current_app.url_map.bind("localhost").match(parts.path, method="GET")
    except RequestRedirect:
        pass  # e.g. the missing trailing slash of a folder: still one of ours
    except HTTPException:
        return None
    return target


def _ip_and_username() -> str:
    return f"{remote_address()}|{request.form.get('username', '').strip().casefold()}"


# The integration API answers bearer tokens and the applicant's secret, never the session cookie.
STATELESS = "/api/v1/"


class _Sessions(SecureCookieSessionInterface):
    """The pages' signed session cookie; the integration API neither reads nor sets it, so its answers do not
    vary with it (and no cookie is opened for each of its calls)."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(STATELESS):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = _Sessions()
    csrf.init_app(app)
    app.before_request(_load_user)
    app.extensions["motcua_limits"] = RateLimits(app.config["RATELIMIT_STORAGE_URI"])

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
        )
        if g.get("user") is not None or request.path.startswith(STATELESS):  # what a person or a token may read
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def limit_login(app: Flask) -> None:
    """Sign-in attempts: a few per minute per IP and user name (guessing), more per IP (spraying)."""
    limits: RateLimits = app.extensions["motcua_limits"]
    per_user, per_ip = app.config["LOGIN_LIMITS"]
    limits.limit(app, "auth.login", Rule(per_ip, methods=frozenset({"POST"})))
    limits.limit(app, "auth.login", Rule(per_user, key=_ip_and_username, methods=frozenset({"POST"})))
