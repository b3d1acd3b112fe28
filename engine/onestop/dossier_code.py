"""Dossier codes (mã hồ sơ), Circular 01/2018/TT-VPCP art. 19: agency code, receipt date, daily number.

`000.00.19.H19-261124-0001` is the first dossier the agency `000.00.19.H19` received on 24/11/2026 (local
date, yymmdd). The daily number comes from a numbering book per agency and day (engine.onestop.numbering): one
locked row, so concurrent registrations on SQLite or PostgreSQL never share a number. The number is taken
inside the transaction that opens the dossier, so a registration that fails leaves no gap.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.engine import Connection

from engine.legal_time.business_calendar import ZONE
from engine.onestop.numbering import take_number_later

DEFAULT_AGENCY_CODE = "000.00.19.H19"
AGENCY_CODE = re.compile(r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$")
CODE = re.compile(r"^(?P<agency>[0-9A-Z.]{13})-(?P<day>\d{6})-(?P<number>\d{4,})$")


def agency_code_from_env() -> str:
    return os.environ.get("MOTCUA_AGENCY_CODE", DEFAULT_AGENCY_CODE)


def check_agency_code(agency: str) -> str:
    if not AGENCY_CODE.match(agency):
        raise ValueError(f"agency code {agency!r} is not of the form 000.00.19.H19 (Circular 01/2018/TT-VPCP)")
    return agency


def format_code(agency: str, received_at: datetime, number: int) -> str:
    return f"{agency}-{received_at.astimezone(ZONE):%y%m%d}-{number:04d}"


def _book(agency: str, received_at: datetime) -> str:
    return f"dossier:{check_agency_code(agency)}:{received_at.astimezone(ZONE):%Y-%m-%d}"


def code_taker(agency: str, received_at: datetime) -> Callable[[Connection], Callable[[], str]]:
    """The next code of the agency's day of `received_at`, for the command that opens the dossier
    (DossierService.start_in): given the transaction's connection it takes the number, and the function it
    returns reads the code, so that on PostgreSQL the number travels with the procedure's version in one round
    trip."""
    book = _book(agency, received_at)

    def take(connection: Connection) -> Callable[[], str]:
        number = take_number_later(connection, book)
        return lambda: format_code(agency, received_at, number())
    return take
