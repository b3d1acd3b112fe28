"""A real server in a thread, and the check every hostile-input test makes: while the hostile request is
handled, another client's `/health` still answers within a second (one request must not stop everyone)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import requests
from flask import Flask
from werkzeug.serving import make_server

T = TypeVar("T")
HEALTH_WITHIN = 1.0  # seconds


@contextmanager
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def while_healthy(base_url: str, hostile: Callable[[], T], timeout: float = 60) -> T:
    """The result of `hostile()`, run in a thread while `/health` is asked again and again: each answer must
    come within HEALTH_WITHIN seconds, and at least one is asked while the hostile request is in flight."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = hostile()
        except BaseException as err:  # handed to the test below
            outcome["error"] = err

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    slowest = 0.0
    asked = 0
    started = time.monotonic()
    while thread.is_alive() or asked == 0:
        before = time.monotonic()
        response = requests.get(f"{base_url}/health", timeout=30)
        took = time.monotonic() - before
        assert response.status_code == 200
        slowest, asked = max(slowest, took), asked + 1
        assert time.monotonic() - started < timeout, "the hostile request is still being handled"
        time.sleep(0.02)
    thread.join()
    assert slowest < HEALTH_WITHIN, f"/health took {slowest:.2f} s while the hostile request was handled"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["result"]  # type: ignore[return-value]
