"""`motcua bench` measures what it says (issue 16): not its figures, which are the machine's, but that each
side of a comparison drove every dossier it counts, and that the HTTP run waited for every receipt."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select, text

from engine.cli import bench as measure
from engine.onestop.documents import Document
from engine.runtime.db import make_engine
from engine.runtime.dossier import Dossier, DossierStatus
from tests.conftest import postgres_schema
from webapp import bench


@contextmanager
def _database(backend: str, folder: Path, name: str) -> Iterator[str]:
    if backend == "postgresql":
        with postgres_schema("bench") as url:
            yield url
    else:
        yield f"sqlite:///{folder}/{name}.sqlite"


def _count(url: str, query) -> int:  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(query)
    engine.dispose()
    return int(count or 0)


COMPLETED = select(func.count()).select_from(Dossier).where(Dossier.status == DossierStatus.COMPLETED)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_floor_and_the_platform_each_run_every_dossier_in_turns(backend, tmp_path) -> None:
    with _database(backend, tmp_path, "platform") as url:
        floor, platform, sqlite_floor = measure.compare(url, measure.CHUNK + 7)  # a last, shorter turn
        assert _count(url, COMPLETED) == measure.CHUNK + 7
        assert floor > 0 and platform > 0 and sqlite_floor > 0
        assert (sqlite_floor != floor) == (backend == "postgresql")  # on PostgreSQL the SQLite floor beside it


def test_the_floor_on_postgresql_writes_where_its_url_says() -> None:
    # A schema of its own travels in the URL's options: the floor's table lands there, not in `public`.
    with postgres_schema("bench") as url:
        runner = measure.Floor(url=url)
        try:
            runner.seconds(2)
            assert _count(url, text("SELECT count(*) FROM floor_instance")) == 2
        finally:
            runner.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_the_http_run_completes_every_instance_and_waits_for_its_receipt(backend, tmp_path) -> None:
    with _database(backend, tmp_path, "http") as url, _database(backend, tmp_path, "floor") as floor_url:
        # A last chunk as short as the warm-up is measured too.
        n = bench.HTTP_CHUNK + bench.WARM_UP
        measured = bench.http_sequence(url, n, floor_url)
        # The client's first instances warm it up; the measured ones are timed call by call.
        assert [len(values) for values in measured.timings.values()] == [n] * len(bench.CALLS)
        assert _count(url, COMPLETED) == n + bench.WARM_UP
        receipts = select(func.count()).select_from(Document).where(Document.kind == "receipt")
        assert _count(url, receipts) == n + bench.WARM_UP
        assert measured.rate >= measured.with_receipts > 0 and measured.floor > 0


def test_the_bench_client_reads_answers_by_their_length_on_one_connection_and_stops_at_a_refusal() -> None:
    from waitress.server import create_server

    seen: list[tuple[str, str, bytes]] = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], body))
        if environ["PATH_INFO"] == "/streamed":  # no Content-Length: waitress sends it chunked
            start_response("200 OK", [("Content-Type", "application/json")])
            return iter([b"{", b"}"])
        status, answer = ("401 Unauthorized", b'{"error":"unauthorised"}') \
            if environ["HTTP_AUTHORIZATION"] != "Bearer right" else ("200 OK", b'{"path":"%s"}' % environ[
                "PATH_INFO"].encode())
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))])
        return [answer]

    server = create_server(app, host="127.0.0.1", port=0, threads=1)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        client = bench._Client(int(server.effective_port), "right")
        assert client.call("POST", "/a", {"n": 1}) == {"path": "/a"}
        assert client.call("GET", "/b") == {"path": "/b"}
        assert seen == [("POST", "/a", b'{"n": 1}'), ("GET", "/b", b"")]
        with pytest.raises(click.ClickException, match="without Content-Length"):
            client.call("GET", "/streamed")
        client.close()
        refused = bench._Client(int(server.effective_port), "wrong")
        with pytest.raises(click.ClickException, match=re.escape('GET /c: 401 b\'{"error":"unauthorised"}\'')):
            refused.call("GET", "/c")
        refused.close()
    finally:
        server.close()
        thread.join(5)
