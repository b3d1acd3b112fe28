"""The `motcua` command: the engine's commands plus `serve`, which needs the web app."""

from __future__ import annotations

import click

from engine.cli.main import cli
from engine.runtime.collector import settle
from webapp.bench import bench

cli.add_command(bench)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-scheduler", is_flag=True, help="Do not fire timers in this process (run `motcua worker`).")
@click.option("--tick", default=60.0, show_default=True,
              help="Longest sleep of the scheduler when no timer is due (at most 60 s).")
def serve(host: str, port: int, no_scheduler: bool, tick: float) -> None:
    """Serve the web app (with the embedded timer scheduler unless --no-scheduler)."""
    from waitress import serve as waitress_serve

    from webapp import create_app

    app = create_app()  # with the outbox process that makes the papers and mails the requests' commands leave
    platform = app.extensions["motcua"]
    if not no_scheduler:
        from engine.runtime.scheduler import TimerScheduler

        # Timers only: the outbox process takes every row (retries too), off the requests' GIL.
        TimerScheduler(platform.engine, interval=tick).start()
    settle()
    click.echo(f"motcua on http://{host}:{port}/")
    waitress_serve(app, host=host, port=port, threads=8)


def main() -> None:
    cli()
