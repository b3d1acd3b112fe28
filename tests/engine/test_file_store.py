"""The file store: content-addressed, deduplicated, and the migration that moved the blobs out of the rows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from engine.runtime.db import make_engine
from engine.runtime.file_store import FileStore, MissingFile, file_store
from engine.runtime.schema import alembic_config

SCAN = b"%PDF-1.7\n" + bytes(range(256)) * 40


def test_a_file_is_stored_once_under_its_hash_and_read_back(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    digest = store.put(SCAN)
    assert digest == hashlib.sha256(SCAN).hexdigest()
    assert store.put(SCAN) == digest  # the same scan uploaded again
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [digest]
    assert store.get(digest) == SCAN
    assert store.put(b"%PDF-other") != digest and store.size_on_disk() == len(SCAN) + len(b"%PDF-other")
    with pytest.raises(MissingFile):
        store.get("0" * 64)
    with pytest.raises(ValueError, match="not a SHA-256"):
        store.get("../../etc/passwd")


def _upgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_the_migration_moves_papers_and_uploads_into_the_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    _upgrade(url, "0002")
    engine = make_engine(url)
    now = "2026-03-02 02:00:00.000000"  # how SQLite keeps a UTC instant
    paper = b"%PDF-1.4 receipt of an old dossier"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO process_definition (id, process_id, name, version, content_hash, spec_json, "
                          "files, catalogue, deployed_at, deployed_by) VALUES (1, 'p', 'P', 1, 'h', '{}', '{}', '{}', "
                          ":now, 't')"), {"now": now})
        conn.execute(text("INSERT INTO dossier (id, process_id, definition_id, status, title, channel, state, summary, "
                          "clock_paused, milestones_fired, created_at, created_by, updated_at, version) VALUES "
                          "(1, 'p', 1, 'running', '', 'post', '{}', '{}', 0, '[]', :now, 't', :now, 1)"),
                     {"now": now})
        conn.execute(text("INSERT INTO attachment (id, dossier_id, item, filename, content_type, size, sha256, "
                          "content, uploaded_at, uploaded_by) VALUES (1, 1, 'form', 'don.pdf', 'application/pdf', "
                          ":size, :digest, :content, :now, 't')"),
                     {"size": len(SCAN), "digest": hashlib.sha256(SCAN).hexdigest(), "content": SCAN, "now": now})
        conn.execute(text("INSERT INTO document (id, dossier_id, kind, number, title, created_at, created_by, "
                          "filename, size, facts, content) VALUES (1, 1, 'receipt', '01/TNHS', 'Giấy', :now, 't', "
                          "'r.pdf', :size, '{}', :content)"), {"size": len(paper), "content": paper, "now": now})
    engine.dispose()
    _upgrade(url, "head")
    engine = make_engine(url)
    columns = {t: {c["name"] for c in inspect(engine).get_columns(t)} for t in ("attachment", "document")}
    assert "content" not in columns["attachment"] and "content" not in columns["document"]
    with engine.connect() as conn:
        document_digest = conn.execute(text("SELECT sha256 FROM document")).scalar_one()
        attachment_digest = conn.execute(text("SELECT sha256 FROM attachment")).scalar_one()
        figures = conn.execute(text("SELECT channel, measure, count FROM daily_figure")).all()
    engine.dispose()
    assert file_store().get(document_digest) == paper and file_store().get(attachment_digest) == SCAN
    assert figures == [("post", "received", 1)]  # the old dossier is counted in the statistics' figures
