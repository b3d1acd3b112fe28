"""The motcua web app: an application factory with one blueprint per kind of user.

auth (sign-in, language), reception (the desk registers dossiers), officer (inbox, tasks, dossier file),
and the places the other kinds of user get: supervisor, studio (analysts), portal (applicants), api, admin.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from engine.onestop.documents import Agency
from engine.onestop.dossier_code import agency_code_from_env, check_agency_code
from engine.onestop.notifications import SmtpSettings
from engine.onestop.paperwork import Office, Paperwork
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.dossier_service import DossierService
from engine.service.commands import Commands

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
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
    )
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(app)
    check_agency_code(app.config["AGENCY_CODE"])

    engine = make_engine(app.config["DATABASE_URL"])
    office = Office(agency=Agency.from_env(), agency_code=app.config["AGENCY_CODE"],
                    bpmn_root=Path(app.config["BPMN_ROOT"]), smtp=app.config["SMTP"])
    # Tests carry out every effect right after the command, in the request, so that what they check is there;
    # a server mails from its outbox thread (started by `motcua serve`) or from `motcua worker`.
    commands = Commands.build(engine, office, mail_inline=app.config.get("OUTBOX_INLINE", app.testing))
    app.extensions["motcua"] = Platform(
        engine=engine, commands=commands, dossiers=commands.dossiers, paperwork=commands.paperwork, office=office,
        read_session=make_session_factory(engine),
    )

    from webapp import admin, api, auth, errors, i18n, officer, portal, reception, security, studio, supervisor, views

    i18n.init_app(app)
    security.init_app(app)
    views.init_app(app)
    errors.init_app(app)
    for blueprint in (auth.bp, reception.bp, officer.bp, supervisor.bp, studio.bp, portal.bp, api.bp, admin.bp):
        app.register_blueprint(blueprint)
    security.limit_login(app)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
