"""The motcua web app: an application factory with one blueprint per kind of user.

auth (sign-in, language), reception (the desk registers dossiers), officer (inbox, tasks, dossier file),
and the places the other kinds of user get: supervisor, studio (analysts), portal (applicants), api, admin.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.onestop.documents import Agency
from engine.onestop.dossier_code import agency_code_from_env, check_agency_code
from engine.onestop.notifications import SmtpSettings
from engine.onestop.paperwork import Office, Paperwork
from engine.onestop.signing import SigningKey
from engine.runtime import bounded_json
from engine.runtime.db import make_engine
from engine.runtime.dossier_service import DossierService
from engine.service.commands import Commands
from engine.service.outbox_process import outbox_runner

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Platform:
    """What the web handlers reach the engine through."""

    engine: Engine
    commands: Commands  # every use case: handlers call these and translate their results and errors
    dossiers: DossierService
    paperwork: Paperwork
    office: Office
    read_session: sessionmaker


class BoundedJSONProvider(DefaultJSONProvider):
    """Request bodies parsed with a depth bound: 100,000 nested lists are a 400, not a RecursionError."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return bounded_json.loads(s, **kwargs)


def _proxy_hops() -> int:
    text = os.environ.get("MOTCUA_PROXY_HOPS", "0").strip()
    if not (text.isascii() and text.isdigit() and int(text) <= 10):
        raise ValueError(f"MOTCUA_PROXY_HOPS must be a number of proxies from 0 to 10, not {text!r}")
    return int(text)


def _secret_key(app: Flask) -> str:
    """From MOTCUA_SECRET_KEY, else a key generated at first run and kept in the instance folder (0600)."""
    if os.environ.get("MOTCUA_SECRET_KEY"):
        return os.environ["MOTCUA_SECRET_KEY"]
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


# Rate limits in the notation of `limits` ("600 per hour", several joined by ";"), per deployment.
LIMIT_VARIABLES = {
    "MOTCUA_LIMIT_API_SUBMIT": "API_SUBMIT_LIMIT",
    "MOTCUA_LIMIT_PORTAL_SUBMIT": "PORTAL_SUBMIT_LIMIT",
    "MOTCUA_LIMIT_TRACKING": "TRACKING_LIMIT",
}


def limits_from_env(environ: Mapping[str, str], login: tuple[str, str]) -> dict[str, Any]:
    """The limits the environment sets, checked now: a typo must stop the server, not lift a limit."""
    from limits import parse_many

    given = {var: environ[var] for var in (*LIMIT_VARIABLES, "MOTCUA_LIMIT_LOGIN_USER", "MOTCUA_LIMIT_LOGIN_IP")
             if environ.get(var)}
    for var, value in given.items():
        try:
            parse_many(value)
        except ValueError:
            raise RuntimeError(f"{var}: {value!r} is not a rate limit (e.g. '600 per hour;20 per minute')") \
                from None
    settings: dict[str, Any] = {key: given[var] for var, key in LIMIT_VARIABLES.items() if var in given}
    settings["LOGIN_LIMITS"] = (given.get("MOTCUA_LIMIT_LOGIN_USER", login[0]),
                                given.get("MOTCUA_LIMIT_LOGIN_IP", login[1]))
    if environ.get("MOTCUA_RATELIMIT_STORAGE"):
        settings["RATELIMIT_STORAGE_URI"] = environ["MOTCUA_RATELIMIT_STORAGE"]
    return settings


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(PROJECT_ROOT / "instance"))
    app.config.from_mapping(
        DATABASE_URL=None,
        BPMN_ROOT=str(PROJECT_ROOT / "bpmn"),
        AGENCY_CODE=agency_code_from_env(),
        SMTP=SmtpSettings.from_env(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind TLS set MOTCUA_SECURE_COOKIES=1 so the session cookie never travels in clear.
        SESSION_COOKIE_SECURE=os.environ.get("MOTCUA_SECURE_COOKIES") == "1",
        SESSION_COOKIE_NAME="motcua_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        # A form left open through a working day must still post: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=100 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="vi",
        BABEL_DEFAULT_TIMEZONE="Asia/Ho_Chi_Minh",
        LANGUAGES=("vi", "en"),
        LOGIN_LIMITS=("5 per minute", "30 per minute"),  # per IP and user name; per IP
        RATELIMIT_STORAGE_URI="motcua-memory://",  # webapp.rate_limits.MemoryCounts: this process's memory
        # How many reverse proxies stand in front (each adds itself to X-Forwarded-For): rate limits then key on
        # the applicant's address, not the proxy's. 0, the default, trusts no forwarded header at all.
        PROXY_HOPS=_proxy_hops(),
    )
    app.config.update(limits_from_env(os.environ, app.config["LOGIN_LIMITS"]))
    app.json = BoundedJSONProvider(app)
    if config:
        app.config.update(config)
    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    check_agency_code(app.config["AGENCY_CODE"])

    engine = make_engine(app.config["DATABASE_URL"])
    office = Office(agency=Agency.from_env(), agency_code=app.config["AGENCY_CODE"],
                    bpmn_root=Path(app.config["BPMN_ROOT"]), smtp=app.config["SMTP"],
                    signing=app.config.get("SIGNING", SigningKey.from_env()))
    # Tests carry out every effect right after the command, in the request, so that what they check is there;
    # a server leaves the mails (and an online submission's receipt) to its outbox process, woken
    # by each command's commit (and `motcua worker` takes up the rest).
    commands = Commands.build(engine, office, mail_inline=app.config.get("OUTBOX_INLINE", app.testing))
    if not app.testing:
        commands.outbox.start_process(outbox_runner, engine.url.render_as_string(hide_password=False), office)
    app.extensions["motcua"] = Platform(
        engine=engine, commands=commands, dossiers=commands.dossiers, paperwork=commands.paperwork, office=office,
        read_session=commands.read_session,
    )

    from webapp import (
        admin,
        api,
        auth,
        errors,
        i18n,
        officer,
        people,
        portal,
        reception,
        security,
        studio,
        supervisor,
        verification,
        views,
    )

    i18n.init_app(app)
    security.init_app(app)
    views.init_app(app)
    errors.init_app(app)
    for blueprint in (auth.bp, reception.bp, officer.bp, supervisor.bp, studio.bp, portal.bp, api.bp, admin.bp,
                      verification.bp,
                      people.bp):
        app.register_blueprint(blueprint)
    security.limit_login(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
