"""The engine's commands (`motcua ...`). The web app adds `serve` on top of this group."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy.engine import Engine

from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.problems import ValidationFailed

if TYPE_CHECKING:
    from engine.service.commands import Commands

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def commands_on(engine: Engine) -> Commands:
    """The service layer's commands as the CLI runs them: the office of the MOTCUA_* variables."""
    from engine.onestop.paperwork import Office
    from engine.service.commands import Commands

    return Commands.build(engine, Office.from_env(PROJECT_ROOT / "bpmn"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """motcua: the one-stop-shop process platform."""


@cli.command()
@click.option("--demo", is_flag=True,
              help="Also create demo users (two per officer role), a signing certificate and dossiers in every state.")
def init(demo: bool) -> None:
    """Create or upgrade the database schema and seed the calendar overrides."""
    from engine.access.user import DEMO_PASSWORD, seed_demo_users
    from engine.legal_time.business_calendar import seed_overrides
    from engine.runtime.schema import upgrade

    engine = make_engine()
    upgrade(engine)
    with make_session_factory(engine, write=True)() as session:
        seeded = seed_overrides(session)
        users = seed_demo_users(session) if demo else 0
        session.commit()
    click.echo(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    click.echo(f"calendar overrides seeded: {seeded}")
    if demo:
        click.echo(f"demo users created: {users} (password: {DEMO_PASSWORD})")
        from engine.onestop.signing import write_demo_certificate

        key = write_demo_certificate()
        click.echo(f"demo signing certificate: {key.cert} (a real one: MOTCUA_SIGNING_KEY, MOTCUA_SIGNING_CERT)")
        codes = _demo_dossiers(engine)
        click.echo(f"demo dossiers created: {len(codes)}")


def _demo_dossiers(engine: Engine) -> list[str]:
    """The procedures deployed (if they are not yet) and the demo's dossiers in every state."""
    from engine.onestop.demo_dossiers import create_demo_dossiers
    from engine.onestop.documents import Agency
    from engine.onestop.dossier_code import agency_code_from_env
    from engine.onestop.paperwork import Office
    from engine.runtime.deployment import deploy_folders
    from engine.service.commands import Commands

    with make_session_factory(engine, write=True)() as session:
        deploy_folders(session, [PROJECT_ROOT / "bpmn", PROJECT_ROOT / "dmn"], "demo")
        session.commit()
    # No mail server: the demo's applicants are invented, nothing is sent to them.
    office = Office(agency=Agency.from_env(), agency_code=agency_code_from_env(), bpmn_root=PROJECT_ROOT / "bpmn")
    return create_demo_dossiers(Commands.build(engine, office))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Who deploys (recorded with the version).")
def deploy(paths: tuple[Path, ...], actor: str) -> None:
    """Validate and deploy folders of diagrams and tables (default: bpmn/ and dmn/)."""
    roots = list(paths) or [PROJECT_ROOT / "bpmn", PROJECT_ROOT / "dmn"]
    try:
        results = commands_on(make_engine()).deploy_folders(roots, actor)
    except ValidationFailed as failed:
        for problem in failed.problems:
            click.echo(str(problem), err=True)
        click.echo(f"nothing deployed: {len(failed.problems)} problem(s)", err=True)
        sys.exit(1)
    for r in results:
        click.echo(f"{r.process_id}: version {r.version} ({'new' if r.created else 'unchanged'})")


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check diagrams and tables; exit 0 when valid, 1 with one line per problem."""
    from engine.runtime.validation import validate_paths

    problems = validate_paths(list(files))
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo(f"valid: {', '.join(str(f) for f in files)}")


@cli.command()
@click.option("--interval", default=60.0, show_default=True,
              help="Longest sleep in seconds when no timer is due (at most 60); a due timer wakes it sooner.")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
def worker(interval: float, once: bool) -> None:
    """Fire due timers and carry out the outbox (papers, mails) without the web server."""
    from engine.runtime.collector import settle
    from engine.runtime.scheduler import TimerScheduler

    engine = make_engine()
    scheduler = TimerScheduler(engine, interval=interval, outbox=commands_on(engine).outbox)
    if once:
        click.echo(f"fired: {scheduler.tick()}")
        return
    scheduler.start()
    settle()
    click.echo("worker running: it wakes when a timer falls due (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.shutdown()


def _register() -> None:
    from engine.cli.calendar_cli import calendar_group
    from engine.cli.dates_cli import dates_group
    from engine.cli.message_cli import message_group
    from engine.cli.token_cli import token_group
    from engine.cli.user_cli import user_group
    from engine.decisions.cli import decide, dmn_tck

    for command in (calendar_group, dates_group, decide, dmn_tck, message_group, token_group, user_group):
        cli.add_command(command)


_register()
