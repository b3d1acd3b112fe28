"""`motcua dates`: the effective dates a dossier's legal clock counts from, and a supervisor's correction."""

from __future__ import annotations

import sys
from datetime import date, datetime

import click
from sqlalchemy import select

from engine.legal_time.event_dates import local_day
from engine.legal_time.legal_clock import LegalClock
from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.dossier import Dossier
from engine.runtime.errors import CommandError, InvalidData


def _dossier_id(code: str) -> int:
    with make_session_factory(make_engine())() as session:
        found = session.scalar(select(Dossier.id).where(Dossier.code == code))
        if found is None and code.isdigit():
            found = session.scalar(select(Dossier.id).where(Dossier.id == int(code)))
    if found is None:
        click.echo(f"no dossier {code}", err=True)
        sys.exit(1)
    return found


# Why a correction left the decisions taken on the old day standing (DossierService.correct_event_date).
_KEPT = {"later_step": "a person completed a later step", "outside": "a step dealt with the world beyond the dossier",
         "paper": "a paper was issued after the event", "finished": "the dossier has ended"}


@click.group("dates")
def dates_group() -> None:
    """Effective dates of legal events (receipt, fee paid, supplement received, …)."""


@dates_group.command("list")
@click.argument("code")
def list_dates(code: str) -> None:
    """One line per effective date: id, event, day, the step that recorded it and when."""
    with make_session_factory(make_engine())() as session:
        dossier = session.get(Dossier, _dossier_id(code))
        legal = LegalClock.from_dict(dossier.legal_clock) if dossier and dossier.legal_clock else LegalClock()
    for entry in legal.dates:
        click.echo(f"{entry.id}\t{entry.event}\t{local_day(entry.at).isoformat()}\t{entry.task or '-'}\t"
                   f"recorded {local_day(entry.recorded_at).isoformat()}")
    for change in legal.corrections:
        click.echo(f"corrected {change['date']}: {change['old']} → {change['new']} "
                   f"by {change['by']}: {change['reason']}")


@dates_group.command("correct")
@click.argument("code")
@click.argument("date_id", type=int)
@click.argument("day", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--reason", required=True, help="Why the date is corrected (kept in the audit trail).")
@click.option("--actor", required=True, help="The supervisor correcting it.")
def correct(code: str, date_id: int, day: datetime, reason: str, actor: str) -> None:
    """Correct effective date DATE_ID of dossier CODE to DAY; every deadline is computed again."""
    from engine.runtime.dossier_service import DossierService

    new_day: date = day.date()
    try:
        corrected = DossierService(make_engine()).correct_event_date(_dossier_id(code), date_id, new_day, reason,
                                                                     actor)
    except InvalidData as err:
        for name, message in err.fields.items():
            click.echo(f"{name}: {message}", err=True)
        click.echo(f"not corrected: {err}", err=True)
        sys.exit(1)
    except CommandError as err:
        click.echo(f"not corrected: {err}", err=True)
        sys.exit(1)
    click.echo(f"{code}: date {date_id} is now {new_day.isoformat()}; deadlines recomputed")
    if corrected.rerun_from is not None:
        click.echo(f"the engine's steps after the event ran again from '{corrected.rerun_from}' on the new day; "
                   f"waiting at: {', '.join(t.name for t in corrected.outcome.ready) or '-'}")
    elif corrected.field is None:
        click.echo("no step recording this event was found: the dossier's data is unchanged")
    elif corrected.kept == "no_decision":
        click.echo(f"no step decided on the old day since the event; later steps read {corrected.field} = "
                   f"{new_day.isoformat()}")
    else:
        click.echo(f"the decisions already taken stand ({_KEPT[corrected.kept or '']}"
                   f"{f': {corrected.kept_by}' if corrected.kept_by else ''}); later steps read "
                   f"{corrected.field} = {new_day.isoformat()}")
