"""What every template and handler shares: the platform, dates in Vietnam's time, labels by locale."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from flask import Flask, current_app, g, url_for
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.roles import BY_CODE
from engine.legal_time.business_calendar import ZONE, load_calendar
from engine.legal_time.clock import clock
from engine.onestop.dossier_file import DossierFile
from engine.onestop.dossier_file import money_words as money
from engine.onestop.procedure_facts import ProcedureFacts, published
from engine.onestop.vietnamese_text import last_day
from engine.oversight import alerts
from engine.runtime.definition import ProcessDefinition
from webapp import Platform


def platform() -> Platform:
    return current_app.extensions["motcua"]


def locale() -> str:
    # Kept on g for the request, as flask_babel keeps its Locale: filters ask it for every row of a page, and
    # flask_babel's lookup through the context costs five times more.
    try:
        return str(g.locale_code)
    except AttributeError:
        g.locale_code = str(get_locale() or "vi")
        return str(g.locale_code)
    except RuntimeError:  # no application context: what flask_babel answers there
        return "vi"


@contextmanager
def _reading(db: Session | None) -> Iterator[Session]:
    """`db` when the caller holds a session (on PostgreSQL a session of its own is two more round trips), else
    a read session of its own."""
    if db is not None:
        yield db
    else:
        with platform().read_session() as own:
            yield own


def startable_procedures(db: Session | None = None) -> list[ProcedureFacts]:
    """The procedures people can start (not the shared parts they call), from their deployed versions."""
    with _reading(db) as session:
        return published(session)


def procedure_labels(names: dict[str, str]) -> dict[str, str]:
    """Deployed names by process id, with each startable procedure's own name in the reader's language."""
    return {**names, **{p.process_id: p.label(locale()) for p in startable_procedures()}}


def find_procedure(process_id: str, db: Session | None = None) -> ProcedureFacts | None:
    return next((p for p in startable_procedures(db) if p.process_id == process_id), None)


def calendar(db: Session | None = None) -> Any:
    """The business calendar, once per request."""
    if "calendar" not in g:
        with _reading(db) as session:
            g.calendar = load_calendar(session)
    return g.calendar


def unread_alerts(db: Session | None = None) -> int:
    """The signed-in user's unread alerts (the officer's nav), one indexed count, once per request."""
    user = g.get("user")
    if user is None:
        return 0
    if "unread_alerts" not in g:
        with _reading(db) as session:
            g.unread_alerts = alerts.unread_count(session, user.username)
    return int(g.unread_alerts)


def local_datetime(value: datetime | None) -> str:
    return value.astimezone(ZONE).strftime("%d/%m/%Y %H:%M") if value else ""


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(ZONE).date()
    return value.strftime("%d/%m/%Y")


def deadline(value: datetime | None) -> str:
    """A legal deadline as its last day (it is stored as 24:00 of that day, i.e. 00:00 of the next)."""
    return last_day(value).strftime("%d/%m/%Y") if value else ""


def role_label(code: str) -> str:
    role = BY_CODE.get(code)
    if role is None:
        return code
    return role.en if locale() == "en" else role.vi


def label(labels: dict[str, str] | None) -> str:
    if not labels:
        return ""
    return labels.get(locale()) or labels.get("vi") or next(iter(labels.values()))


def _english_step_names() -> dict[str, dict[str, str]]:
    """Procedure → task id → the step's English name (diagram property `name-en`), newest version winning."""
    if "step_names_en" not in g:
        names: dict[str, dict[str, str]] = {}
        with platform().read_session() as db:
            for process_id, catalogue in db.execute(select(ProcessDefinition.process_id, ProcessDefinition.catalogue)
                                                    .order_by(ProcessDefinition.version)):
                names[process_id] = {task: info["properties"]["name-en"]
                                     for task, info in (catalogue or {}).get("tasks", {}).items()
                                     if info.get("properties", {}).get("name-en")}
        g.step_names_en = names
    return g.step_names_en


def step_name(name: str, process_id: str, task_spec: str | None) -> str:
    """A step's name in the reader's language: the diagram's name, or its `name-en` in English."""
    if locale() != "en" or not task_spec:
        return name
    return _english_step_names().get(process_id, {}).get(task_spec) or name


# The official papers' names in English; in Vietnamese they are the printed titles (engine.onestop.documents).
PAPER_TITLES_EN = {
    "receipt": "Receipt and appointment slip",
    "supplement_request": "Request to complete the dossier",
    "fee_notice": "Fee notice",
    "refusal": "Refusal of the dossier",
    "apology": "Apology and new appointment date",
    "certificate": "Radiation worker certificate",
    "licence": "Radiation work licence",
    "declaration_confirmation": "Confirmation of the medical X-ray device declaration",
    "quantity_mark_declaration": "Declaration of the quantity mark on prepackaged goods",
}


def paper_title(kind: str, title: str) -> str:
    return PAPER_TITLES_EN.get(kind, title) if locale() == "en" else title


def phase_names(file: DossierFile, procedure_sheet: dict[str, Any]) -> dict[str, str]:
    """Each legal phase's name: the diagram element's (Vietnamese); in English the procedure sheet's, else the
    English name of the element that carries the phase."""
    if locale() != "en":
        return file.phase_labels
    written = {p["name"]: label(p["label"]) for p in procedure_sheet.get("phases") or []
               if isinstance(p, dict) and isinstance(p.get("label"), dict) and "name" in p}
    return {name: written.get(name) or step_name(text, file.dossier.process_id, file.phase_steps.get(name))
            for name, text in file.phase_labels.items()}


# Stands in for the id in a URL built once (id_url): no URL of ours holds this number anywhere else.
_ID_MARK = 918273645


def id_url(endpoint: str, key: str) -> Callable[[int], str]:
    """url_for(endpoint, **{key: id}) for a page of rows: the URL is built once and each row's id put in the
    place of a mark (url_for costs ~8 µs; an inbox page of 50 rows asked it 150 times)."""
    head, tail = url_for(endpoint, **{key: _ID_MARK}).split(str(_ID_MARK))
    return lambda value: f"{head}{int(value)}{tail}"


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, local_date=local_date, money=money, deadline=deadline,
                                 role_label=role_label, label=label, step_name=step_name,
                                 paper_title=paper_title)
    app.jinja_env.globals["id_url"] = id_url

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_user": g.get("user"), "now": clock.now(), "locale": locale(), "unread_alerts": unread_alerts}
