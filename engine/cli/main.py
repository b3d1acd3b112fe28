"""The engine's commands (`motcua ...`). The web app adds `serve` on top of this group."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from engine.runtime.db import make_engine, make_session_factory
from engine.runtime.problems import ValidationFailed

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """motcua: the one-stop-shop process platform."""


@cli.command()
@click.option("--demo", is_flag=True, help="Also create the demo users (one per role).")
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


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Who deploys (recorded with the version).")
def deploy(paths: tuple[Path, ...], actor: str) -> None:
    """Validate and deploy folders of diagrams and tables (default: bpmn/ and dmn/)."""
    from engine.onestop.paperwork import Office
    from engine.service.commands import Commands

    roots = list(paths) or [PROJECT_ROOT / "bpmn", PROJECT_ROOT / "dmn"]
    commands = Commands.build(make_engine(), Office.from_env(PROJECT_ROOT / "bpmn"))
    try:
        results = commands.deploy_folders(roots, actor)
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
@click.option("--interval", default=5.0, show_default=True, help="Seconds between scheduler ticks.")
@click.option("--once", is_flag=True, help="Run one tick and exit.")
def worker(interval: float, once: bool) -> None:
    """Fire due timers and carry out the outbox (papers, mails) without the web server."""
    from engine.onestop.paperwork import Office
    from engine.runtime.scheduler import TimerScheduler
    from engine.service.commands import Commands

    engine = make_engine()
    commands = Commands.build(engine, Office.from_env(PROJECT_ROOT / "bpmn"))
    scheduler = TimerScheduler(engine, interval=interval, outbox=commands.outbox)
    if once:
        click.echo(f"fired: {scheduler.tick()}")
        return
    scheduler.start()
    click.echo(f"worker running, tick every {interval:g} s (Ctrl+C to stop)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.shutdown()


def _register() -> None:
    from engine.cli.bench import bench
    from engine.cli.calendar_cli import calendar_group
    from engine.cli.message_cli import message_group
    from engine.cli.token_cli import token_group
    from engine.decisions.cli import decide, dmn_tck

    for command in (bench, calendar_group, decide, dmn_tck, message_group, token_group):
        cli.add_command(command)


_register()
