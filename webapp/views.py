"""What every template and handler shares: the platform, dates in Vietnam's time, labels by locale."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, current_app, g
from flask_babel import get_locale

from engine.access.roles import BY_CODE
from engine.legal_time.business_calendar import ZONE, load_calendar
from engine.legal_time.clock import clock
from engine.onestop.procedure_facts import ProcedureFacts, published
from engine.onestop.vietnamese_text import last_day
from engine.oversight import alerts
from engine.runtime.bounded_number import NumberOutOfBounds, parse_number, within_bounds
from webapp import Platform


def platform() -> Platform:
    return current_app.extensions["motcua"]


def locale() -> str:
    return str(get_locale() or "vi")


def startable_procedures() -> list[ProcedureFacts]:
    """The procedures people can start (not the shared parts they call), from their deployed versions."""
    with platform().read_session() as db:
        return published(db)


def find_procedure(process_id: str) -> ProcedureFacts | None:
    return next((p for p in startable_procedures() if p.process_id == process_id), None)


def calendar() -> Any:
    """The business calendar, once per request."""
    if "calendar" not in g:
        with platform().read_session() as db:
            g.calendar = load_calendar(db)
    return g.calendar


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


def money(value: Any) -> str:
    try:
        amount = parse_number(value)
    except NumberOutOfBounds:
        return str(value)  # shown as stored, never expanded into its digits
    return f"{int(amount):,}".replace(",", ".") + " đ"


def role_label(code: str) -> str:
    role = BY_CODE.get(code)
    if role is None:
        return code
    return role.en if locale() == "en" else role.vi


def label(labels: dict[str, str] | None) -> str:
    if not labels:
        return ""
    return labels.get(locale()) or labels.get("vi") or next(iter(labels.values()))


def show_value(value: Any) -> str:
    """A process value as an officer reads it."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, datetime):
        return local_datetime(value)
    if isinstance(value, date):
        return local_date(value)
    if isinstance(value, Decimal):
        if not within_bounds(value):
            return str(value)
        return f"{value:,}".replace(",", ".") if value == value.to_integral_value() else str(value)
    if isinstance(value, list):
        return "; ".join(show_value(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    return "" if value is None else str(value)


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(local_datetime=local_datetime, local_date=local_date, money=money, deadline=deadline,
                                 role_label=role_label, label=label, show_value=show_value)

    def unread_alerts() -> int:
        """Counted only where a template asks (the officer's nav), one indexed count."""
        user = g.get("user")
        if user is None:
            return 0
        with platform().read_session() as db:
            return alerts.unread_count(db, user.username)

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"current_user": g.get("user"), "now": clock.now(), "locale": locale(), "unread_alerts": unread_alerts}
