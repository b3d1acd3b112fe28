"""`motcua calendar ...`: due dates, working days and the Government's overrides, from the command line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import click
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from engine.legal_time.business_calendar import (
    BusinessCalendar,
    Duration,
    Unit,
    load_calendar,
    seed_file_overrides,
    seed_overrides,
)
from engine.legal_time.calendar_override import CalendarOverride, OverrideKind
from engine.runtime.db import make_engine, make_session_factory

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _database_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--database-url",
        envvar="DATABASE_URL",
        default=None,
        help="Database to read the overrides from (default: $DATABASE_URL, else the embedded SQLite).",
    )(command)


@click.group("calendar")
def calendar_group() -> None:
    """Working days, due dates and the Government's calendar overrides."""


@calendar_group.command("add")
@click.argument("start", type=DATE)
@click.argument("amount", type=click.IntRange(min=0))
@click.argument("unit", type=click.Choice([u.value for u in Unit]))
@_database_option
def add_command(start: datetime, amount: int, unit: str, database_url: str | None) -> None:
    """Print the due date of AMOUNT UNIT counted from the receipt on START (YYYY-MM-DD)."""
    calendar = _calendar(database_url)
    click.echo(calendar.add(start.date(), Duration(amount, Unit(unit))).isoformat())


@calendar_group.command("is-working")
@click.argument("day", type=DATE)
@_database_option
def is_working_command(day: datetime, database_url: str | None) -> None:
    """Print yes if DAY is a working day, else no."""
    click.echo("yes" if _calendar(database_url).is_working(day.date()) else "no")


@calendar_group.command("list")
@click.argument("year", type=click.IntRange(1995, 2100))
@_database_option
def list_command(year: int, database_url: str | None) -> None:
    """Print the weekdays off and the weekend days worked in YEAR, with their reasons."""
    calendar = _calendar(database_url)
    days = [(d, OverrideKind.DAY_OFF) for d in calendar.non_working_days(year)]
    days += [(d, OverrideKind.WORKING_DAY) for d in calendar.working_saturdays(year)]
    for entry, kind in sorted(days, key=lambda item: item[0].day):
        click.echo(f"{entry.day.isoformat()} {entry.day:%a} {kind.value:<11} {entry.reason}")


@calendar_group.command("override-add")
@click.argument("day", type=DATE)
@click.argument("kind", type=click.Choice([k.value for k in OverrideKind]))
@click.argument("reason")
@click.option("--by", "created_by", default="cli", show_default=True, help="Who records the override.")
@_database_option
def override_add_command(
    day: datetime, kind: str, reason: str, created_by: str, database_url: str | None
) -> None:
    """Record a Government decision: DAY is a day_off or a working_day, because REASON."""
    from engine.cli.main import commands_on

    with _override_engine(database_url) as engine:
        try:
            commands_on(engine).add_calendar_override(day.date(), kind, reason, created_by)
        except ValueError as err:
            raise click.ClickException(str(err)) from None
    click.echo(f"{day.date().isoformat()}: {kind} recorded")


@calendar_group.command("override-remove")
@click.argument("day", type=DATE)
@_database_option
def override_remove_command(day: datetime, database_url: str | None) -> None:
    """Remove the override on DAY (the rules apply to it again)."""
    from engine.cli.main import commands_on

    with _override_engine(database_url) as engine:
        try:
            commands_on(engine).remove_calendar_override(day.date(), "cli")
        except LookupError as err:
            raise click.ClickException(str(err)) from None
    click.echo(f"{day.date().isoformat()}: override removed")


@calendar_group.command("seed")
@_database_option
def seed_command(database_url: str | None) -> None:
    """Load the decisions shipped in engine/data/calendar_overrides.json (dates already set are kept)."""
    with _override_engine(database_url) as engine, make_session_factory(engine, write=True)() as session:
        added = seed_overrides(session)
        session.commit()
    click.echo(f"calendar overrides seeded: {added}")


def _calendar(database_url: str | None) -> BusinessCalendar:
    engine = make_engine(database_url)
    try:
        if not _has_override_table(engine):
            click.echo(
                "note: the database has no calendar_override table yet; using the seed file's overrides",
                err=True,
            )
            return BusinessCalendar(seed_file_overrides())
        with make_session_factory(engine)() as session:
            return load_calendar(session)
    finally:
        engine.dispose()


@contextmanager
def _override_engine(database_url: str | None) -> Iterator[Engine]:
    """A database that has the override table (edits need the real table)."""
    engine = make_engine(database_url)
    try:
        if not _has_override_table(engine):
            raise click.ClickException("the database has no calendar_override table: run `motcua init` first")
        yield engine
    finally:
        engine.dispose()


def _has_override_table(engine: Engine) -> bool:
    return inspect(engine).has_table(CalendarOverride.__tablename__)
