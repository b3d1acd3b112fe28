"""The workflows a process keeps between commands (engine.runtime.workflow_cache), on SQLite and PostgreSQL:
used only for the version its own commit wrote, never after a failed command or another writer's change."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.engine import Engine

from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import InvalidData
from engine.runtime.workflow_cache import Kept, WorkflowCache
from tests.engine.test_dossier_service import only


def test_the_next_command_continues_on_the_workflow_its_predecessor_committed(service: DossierService) -> None:
    out = service.start("licence_demo", {}, actor="tiepnhan")
    kept = service.workflows._entries[out.dossier_id]
    assert kept.version == out.version
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    # The same object moved on: nothing was rebuilt from the stored state.
    assert service.workflows._entries[out.dossier_id].workflow is kept.workflow
    assert service.workflows._entries[out.dossier_id].version == out.version
    # With the ids of the tasks it waits on: the open work items, found without walking the tree again.
    assert service.workflows._entries[out.dossier_id].waiting == {t.id for t in out.ready}
    assert service.data(out.dossier_id)["devices"] == ["ct"]


def test_a_failed_command_leaves_nothing_behind(service: DossierService) -> None:
    out = service.start("licence_demo", {}, actor="tiepnhan")
    receive = only(out.ready, "receive")
    with pytest.raises(InvalidData), service.command() as session:
        service.complete_in(session, out.dossier_id, receive.id, {"devices": ["ct"]}, actor="tiepnhan")
        raise InvalidData("the step's paper could not be issued")  # after the engine ran, before the commit
    assert out.dossier_id not in service.workflows._entries
    # The task the rolled-back command completed in memory is still waiting, as the database says.
    assert [t.spec for t in service.ready_tasks(out.dossier_id)] == ["receive"]
    out = service.complete(out.dossier_id, receive.id, {"devices": ["dental"]}, actor="tiepnhan")
    assert [t.spec for t in out.ready] == ["check"]
    assert service.data(out.dossier_id)["devices"] == ["dental"]


def test_a_change_by_another_process_is_never_overwritten(service: DossierService, db: Engine) -> None:
    """Two processes (two services) on one database: each keeps the workflow of its own last command, and
    the dossier moves on from what the other committed."""
    elsewhere = DossierService(db)
    out = service.start("licence_demo", {}, actor="tiepnhan")
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    stale = service.workflows._entries[out.dossier_id]
    out = elsewhere.complete(out.dossier_id, only(out.ready, "check").id, {"dossier_complete": True},
                             actor="chuyenvien")
    assert [t.spec for t in out.ready] == ["appraise"]
    # This process's entry is one version behind: its next command loads what the other one wrote.
    appraise = only(out.ready, "appraise")
    out = service.complete(out.dossier_id, appraise.id, {}, actor="chuyenvien")
    assert out.status == "completed"
    assert service.workflows._entries[out.dossier_id].workflow is not stale.workflow
    assert service.data(out.dossier_id)["fee"] == 2_000_000


def test_the_least_recently_used_workflow_goes_first() -> None:
    cache, session = WorkflowCache(2), SimpleNamespace(info={})
    for dossier_id in (1, 2, 3):
        cache.saved(session, dossier_id, Kept(1, "h", object(), frozenset()))  # type: ignore[arg-type]
        cache.committed(session)  # type: ignore[arg-type]
    assert list(cache._entries) == [2, 3]
    assert cache.take(2, 2, "h") is None  # another version: dropped, not returned
    assert list(cache._entries) == [3]


@pytest.mark.parametrize("value", ["many", "-1"])
def test_a_wrong_cache_size_is_refused_clearly(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MOTCUA_WORKFLOW_CACHE", value)
    with pytest.raises(ValueError, match="MOTCUA_WORKFLOW_CACHE"):
        WorkflowCache.from_env()


def test_size_zero_keeps_nothing(monkeypatch: pytest.MonkeyPatch, db: Engine, service: DossierService) -> None:
    monkeypatch.setenv("MOTCUA_WORKFLOW_CACHE", "0")
    uncached = DossierService(db)
    out = uncached.start("licence_demo", {}, actor="tiepnhan")
    out = uncached.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    assert len(uncached.workflows) == 0
    assert [t.spec for t in out.ready] == ["check"]


def test_a_read_gives_the_workflow_back_and_hands_out_copies(service: DossierService) -> None:
    out = service.start("licence_demo", {}, actor="tiepnhan")
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    kept = service.workflows._entries[out.dossier_id].workflow
    [check] = service.ready_tasks(out.dossier_id)
    check.data["devices"].append("dental")  # a caller changing what it read changes nothing kept
    service.data(out.dossier_id)["devices"].append("mobile")
    assert service.workflows._entries[out.dossier_id].workflow is kept
    out = service.complete(out.dossier_id, check.id, {"dossier_complete": True}, actor="chuyenvien")
    assert service.workflows._entries[out.dossier_id].workflow is kept
    assert service.data(out.dossier_id)["devices"] == ["ct"]
    assert service.data(out.dossier_id)["fee"] == 2_000_000


def test_a_read_does_not_put_back_an_older_workflow_than_a_command_kept() -> None:
    cache, session = WorkflowCache(4), SimpleNamespace(info={})
    newer, older = object(), object()
    cache.saved(session, 7, Kept(6, "h", newer, frozenset()))  # type: ignore[arg-type]
    cache.committed(session)  # type: ignore[arg-type]
    cache.give_back(7, Kept(5, "h", older, frozenset()))  # type: ignore[arg-type]
    kept = cache.take(7, 6, "h")
    assert kept is not None and kept.workflow is newer


def test_the_ready_tasks_of_a_version_just_read_come_from_the_kept_workflow(service: DossierService, db: Engine,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's work item: its query read the dossier's version, so the kept workflow of that version answers
    without a second read; any other version is read from the database."""
    out = service.start("licence_demo", {}, actor="tiepnhan")
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    kept = service.workflows._entries[out.dossier_id]
    reading = service.read_session

    def no_read() -> None:
        raise AssertionError("the dossier was read again")

    monkeypatch.setattr(service, "read_session", no_read)
    [check] = service.ready_tasks(out.dossier_id, seen=(out.version, kept.content_hash))
    assert check.spec == "check" and check.data["devices"] == ["ct"]
    check.data["devices"].append("dental")  # a copy, as from a read
    assert service.workflows._entries[out.dossier_id].workflow is kept.workflow
    # Another process moves the dossier on: the version its reader saw is newer than the one kept here.
    out = DossierService(db).complete(out.dossier_id, check.id, {"dossier_complete": True}, actor="chuyenvien")
    monkeypatch.setattr(service, "read_session", reading)
    [appraise] = service.ready_tasks(out.dossier_id, seen=(out.version, kept.content_hash))
    assert appraise.spec == "appraise" and appraise.data["devices"] == ["ct"]
