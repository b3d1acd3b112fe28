"""The `motcua` command: the engine's commands plus `serve`, which needs the web app."""

from __future__ import annotations

import logging

import click

from engine.cli.main import cli
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
    from webapp import create_app
    from webapp.server import server_for

    logging.basicConfig()  # waitress's warnings (a queue of waiting requests) and the app's errors, on stderr
    # With the outbox process that makes the papers and mails the requests' commands leave.
    server = server_for(create_app(), host, port, None if no_scheduler else tick)
    click.echo(f"motcua on http://{host}:{port}/")
    server.run()


def main() -> None:
    cli()
