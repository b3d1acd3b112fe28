"""Dossier codes (mã hồ sơ), Circular 01/2018/TT-VPCP art. 19: agency code, receipt date, daily number.

`000.00.19.H19-261124-0001` is the first dossier the agency `000.00.19.H19` received on 24/11/2026 (local
date, yymmdd). The daily number comes from a numbering book per agency and day (engine.numbering), taken in
the transaction that inserts the dossier: DossierService.start owns that transaction, so the caller passes
`pending(agency)` as the code and the insert hook below swaps in the real code on the same connection.
"""

from __future__ import annotations

import os
import re
from datetime import datetime

from sqlalchemy import event
from sqlalchemy.engine import Connection

from engine.business_calendar import ZONE
from engine.dossier import Dossier
from engine.numbering import take_number

DEFAULT_AGENCY_CODE = "000.00.19.H19"
AGENCY_CODE = re.compile(r"^[0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[0-9A-Z]{3}$")
CODE = re.compile(r"^(?P<agency>[0-9A-Z.]{13})-(?P<day>\d{6})-(?P<number>\d{4,})$")
_PENDING = "pending:"


def agency_code_from_env() -> str:
    return os.environ.get("MOTCUA_AGENCY_CODE", DEFAULT_AGENCY_CODE)


def check_agency_code(agency: str) -> str:
    if not AGENCY_CODE.match(agency):
        raise ValueError(f"agency code {agency!r} is not of the form 000.00.19.H19 (Circular 01/2018/TT-VPCP)")
    return agency


def pending(agency: str) -> str:
    """The placeholder to pass as `code` to DossierService.start: the real code is given at insert."""
    return _PENDING + check_agency_code(agency)


def format_code(agency: str, received_at: datetime, number: int) -> str:
    return f"{agency}-{received_at.astimezone(ZONE):%y%m%d}-{number:04d}"


def next_code(connection: Connection, agency: str, received_at: datetime) -> str:
    day = received_at.astimezone(ZONE)
    number = take_number(connection, f"dossier:{agency}:{day:%Y-%m-%d}")
    return format_code(agency, received_at, number)


@event.listens_for(Dossier, "before_insert")
def _assign_code(_mapper, connection: Connection, dossier: Dossier) -> None:  # type: ignore[no-untyped-def]
    if dossier.code and dossier.code.startswith(_PENDING):
        dossier.code = next_code(connection, dossier.code.removeprefix(_PENDING), dossier.created_at)
