"""The web server as `motcua serve` runs it, shared with the bench so that what it measures is what runs."""

from __future__ import annotations

from flask import Flask
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from engine.runtime.collector import settle
from engine.runtime.scheduler import TimerScheduler

THREADS = 8  # waitress's workers: requests wait on the database more than they compute


def server_for(app: Flask, host: str, port: int, tick: float | None) -> BaseWSGIServer | MultiSocketServer:
    """Waitress bound to `host`:`port` (0: a free one), ready to `run()`. With `tick`, the embedded timer
    scheduler beside it, sleeping at most that long when no timer is due (timers only: the app's outbox
    process takes every outbox row, retries too, off the requests' GIL)."""
    if tick is not None:
        TimerScheduler(app.extensions["motcua"].engine, interval=tick).start()
    # What the process loaded to serve with is kept out of the collector's way before it takes traffic.
    settle()
    return create_server(app, host=host, port=port, threads=THREADS)
