"""The transactional outbox: side effects of a command, written in the command's own transaction and carried
out after it commits (DESIGN.md, "Flow of one command").

A command that should render a paper or mail the applicant writes an `outbox` row beside its state change;
both land or neither does. A runner (the worker, the embedded scheduler's thread, or the web process right
after its commit) then carries each row out exactly once:

- an effect on the database only runs in one transaction with the row: the row is claimed by a conditional
  UPDATE (pending → running), the effect runs, the row is marked done, and all of it commits together; a
  process killed anywhere in between leaves the row pending and nothing half-done. A paper is rendered
  before that transaction, not inside it (SQLite's single writer would wait for the rendering): the row is
  claimed with a lease first, as below, and what was rendered is recorded with the row marked done only
  while the claim is still this runner's; a process killed while rendering leaves a claimed row whose lease
  (PREPARED_LEASE, a minute) runs out and which is rendered again;
- an effect outside (an SMTP conversation) cannot share a transaction: the row is claimed and committed
  first with a lease, the mail carries a Message-ID made from the row's id, and the row is marked done
  after the server's answer. A process killed during the conversation leaves a claimed row whose lease
  runs out and which is sent again; the server had not accepted the unfinished message. Only a kill in
  the instant between the server's "250 OK" and the commit can repeat it, and then with the same
  Message-ID, which mail clients show once.

A refused effect is retried with exponential backoff (RETRY_BASE × 2^(attempt−1), at most RETRY_CAP) up to
MAX_ATTEMPTS, then it is failed with its reason, on the dossier page, where an officer can retry it.
Claims take `FOR UPDATE SKIP LOCKED` on PostgreSQL so that several workers share the queue; SQLite's
writers queue on their own (BEGIN IMMEDIATE).
"""

from __future__ import annotations

import enum
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, and_, case, insert, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from engine.legal_time.clock import clock
from engine.runtime.collector import settle
from engine.runtime.db import Base, Prepared, checkpoint, insert_as_read

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=2)
# An external effect taken by a runner that then died is taken up again after this long.
LEASE = timedelta(minutes=5)
# A prepared effect is local work (a paper is drawn in well under a second): one whose runner died is taken
# up again sooner, and a runner that outlived its claim finds the row taken over and records nothing.
PREPARED_LEASE = timedelta(minutes=1)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    RUNNING = "running"  # an external effect under way (or its runner died: see claimed_until)
    DONE = "done"
    FAILED = "failed"


class OutboxEntry(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),
        Index("ix_outbox_dossier", "dossier_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"))
    kind: Mapped[str] = mapped_column(String(30))  # the effect: "paper", "mail", …
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime]  # not tried before (backoff)
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # e.g. the document made, the Message-ID
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(100))
    done_at: Mapped[datetime | None]


class EffectRefused(Exception):
    """The effect could not be carried out this time (e.g. the mail server said no): it is retried, unless
    `final` (nothing would change by trying again, e.g. no mail server is configured)."""

    def __init__(self, message: str, *, final: bool = False) -> None:
        super().__init__(message)
        self.final = final


@dataclass(frozen=True)
class Effect:
    """How to carry out one kind of row. `run` gets the runner's session (the one the row is marked done in)
    and the row; it returns what to keep as the row's result.

    An effect with a `prepare` step does its reads and its slow part without holding a writer's lock: the
    row is claimed with a lease and committed, `prepare` reads in a session of its own (rolled back: nothing
    it might write is kept), and `run(session, entry, prepared)` writes what it made in one transaction with
    the row marked done — for an internal effect (rendering a paper) only while the claim is still this
    runner's, so that it happens once even if the lease ran out meanwhile. An external effect's `run` reads
    nothing through its session before the outside has answered (what it needs comes from `prepare`): on
    SQLite that read would take the write lock for the whole conversation."""

    kind: str
    run: Callable[..., dict[str, Any] | None]
    external: bool = False
    prepare: Callable[[Session, OutboxEntry], Any] | None = None

    @property
    def lease(self) -> timedelta:
        """How long a claim holds the row (an internal effect without `prepare` holds it in its transaction)."""
        return LEASE if self.external else PREPARED_LEASE


# Every submission writes one (its receipt): compiled once and run on the driver's cursor, as the ORM's flush of
# the new row cost more than the INSERT. `result` is left out: its NULL is SQL's, not JSON's null.
_INSERT = Prepared(insert(OutboxEntry.__table__).returning(OutboxEntry.__table__.c.id), (
    "dossier_id", "kind", "payload", "status", "attempts", "available_at", "claimed_until", "last_error",
    "created_at", "created_by", "done_at"))


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, actor: str,
            dossier_id: int | None = None, failed: str | None = None) -> OutboxEntry:
    """One effect to carry out after the caller's transaction commits (the caller commits); with `failed`, one
    known to fail, for that reason, recorded for a person to retry."""
    now = clock.now()
    values: dict[str, Any] = {
        "dossier_id": dossier_id, "kind": kind, "payload": payload,
        "status": OutboxStatus.PENDING if failed is None else OutboxStatus.FAILED, "attempts": 0,
        "available_at": now, "claimed_until": None, "last_error": failed, "created_at": now, "created_by": actor,
        "done_at": None}
    return insert_as_read(session, _INSERT, OutboxEntry, values, result=None)


def entries_of(session: Session, dossier_id: int) -> list[OutboxEntry]:
    return list(session.scalars(select(OutboxEntry).where(OutboxEntry.dossier_id == dossier_id)
                                .order_by(OutboxEntry.id)))


def backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_CAP)


def retry(session: Session, entry_id: int, dossier_id: int) -> OutboxEntry | None:
    """A failed (or waiting) effect tried again now, with a fresh count; None when it is not one to retry."""
    entry = session.get(OutboxEntry, entry_id)
    if entry is None or entry.dossier_id != dossier_id or entry.status not in (OutboxStatus.FAILED,
                                                                               OutboxStatus.PENDING):
        return None
    entry.status, entry.attempts, entry.available_at = OutboxStatus.PENDING, 0, clock.now()
    return entry


_ENTRY = OutboxEntry.__table__


def _claimable(now: datetime) -> Any:
    return or_(and_(_ENTRY.c.status == OutboxStatus.PENDING, _ENTRY.c.available_at <= now),
               and_(_ENTRY.c.status == OutboxStatus.RUNNING, _ENTRY.c.claimed_until <= now))


def _oldest_due(now: datetime, dossier_ids: list[int] | None, kinds: list[str]) -> Any:
    """The id of the oldest row of `kinds` (of these dossiers) that a runner may take now."""
    query = select(_ENTRY.c.id).where(_claimable(now), _ENTRY.c.kind.in_(kinds)).order_by(_ENTRY.c.id).limit(1)
    return query if dossier_ids is None else query.where(_ENTRY.c.dossier_id.in_(dossier_ids))


class OutboxRunner:
    """Carries out due outbox rows with the effects registered by kind."""

    def __init__(self, write_session: sessionmaker, effects: Iterable[Effect],
                 read_session: sessionmaker | None = None) -> None:
        self.write_session = write_session
        self.read_session = read_session or write_session
        self.effects = {e.kind: e for e in effects}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._process: Any = None  # a multiprocessing Process, with its own wake and stop events
        self._process_wake: Any = None
        self._process_stop: Any = None
        self._process_ready: Any = None

    # -- one row ------------------------------------------------------------------------------

    def _claim(self, session: Session, dossier_ids: list[int] | None, kinds: list[str]) -> tuple[int, str, int] | None:
        """The oldest due row of `kinds` claimed (with the lease of its effect) in one statement: its id, kind and
        attempts, or None. On SQLite the claim holds the write lock for that statement only."""
        now = clock.now()
        oldest = _oldest_due(now, dossier_ids, kinds).with_for_update(skip_locked=True)
        # The condition is checked again by the UPDATE itself: of two runners, one changes the row.
        row = session.execute(
            update(_ENTRY).where(_ENTRY.c.id == oldest.scalar_subquery(), _claimable(now))
            .values(status=OutboxStatus.RUNNING, attempts=_ENTRY.c.attempts + 1,
                    claimed_until=case({k: now + self.effects[k].lease for k in kinds}, value=_ENTRY.c.kind))
            .returning(_ENTRY.c.id, _ENTRY.c.kind, _ENTRY.c.attempts)
        ).first()
        return None if row is None else (row.id, row.kind, row.attempts)

    def run_next(self, dossier_ids: list[int] | None = None, *, internal_only: bool = False) -> bool:
        """Carry out the oldest due row (of these dossiers; only the database effects when `internal_only`);
        False when none is due."""
        kinds = self._kinds(internal_only)
        with self.write_session() as session:
            claimed = self._claim(session, dossier_ids, kinds)
            if claimed is None:
                session.commit()
                return False
            entry_id, kind, attempts = claimed
            effect = self.effects[kind]
            aside = effect.external or effect.prepare is not None
            if aside:
                # The claim, before the conversation with the outside or the slow part, which read in a
                # session of their own: on SQLite a read in the runner's session would take the write lock.
                session.commit()
            try:
                if aside:
                    with self.read_session() as reading:
                        entry = reading.get(OutboxEntry, entry_id)
                        prepared = None if effect.prepare is None else effect.prepare(reading, entry)
                else:
                    entry, prepared = session.get(OutboxEntry, entry_id), None
                result = effect.run(session, entry) if effect.prepare is None else effect.run(session, entry, prepared)
            except EffectRefused as err:
                session.rollback()
                self._refused(entry_id, str(err), final=err.final)
                return True
            except Exception as err:
                session.rollback()
                log.exception("outbox row %s (%s) failed", entry_id, effect.kind)
                self._refused(entry_id, f"{type(err).__name__}: {err}")
                return True
            mine = [_ENTRY.c.id == entry_id]
            if effect.prepare is not None and not effect.external:
                # Still this runner's claim (a claim counts an attempt): else another runner took the row over.
                mine += [_ENTRY.c.status == OutboxStatus.RUNNING, _ENTRY.c.attempts == attempts]
            marked = session.execute(update(_ENTRY).where(*mine).values(
                status=OutboxStatus.DONE, done_at=clock.now(), claimed_until=None, last_error=None,
                result=result or {},
                # Keys starting with "_" (e.g. the applicant's tracking secret a receipt mail carries) are kept
                # only until the effect is done.
                payload={k: v for k, v in entry.payload.items() if not k.startswith("_")})).rowcount
            if not marked:
                session.rollback()
                log.warning("outbox row %s (%s) was taken over by another runner; its work here is undone",
                            entry_id, effect.kind)
                return True
            session.commit()
        return True

    def _refused(self, entry_id: int, reason: str, *, final: bool = False) -> None:
        with self.write_session() as session:
            entry = session.get(OutboxEntry, entry_id)
            if entry is None:
                return
            # An internal effect's claim rolled back with it: count this attempt here.
            attempts = max(entry.attempts, 1) if entry.status == OutboxStatus.RUNNING else entry.attempts + 1
            entry.attempts = attempts
            entry.last_error = reason[:2000]
            entry.claimed_until = None
            if final or attempts >= MAX_ATTEMPTS:
                entry.status = OutboxStatus.FAILED
            else:
                entry.status = OutboxStatus.PENDING
                entry.available_at = clock.now() + backoff(attempts)
            session.commit()

    def drain(self, limit: int = 200, dossier_ids: list[int] | None = None, *, internal_only: bool = False) -> int:
        """Carry out due rows until none is left (at most `limit`); how many were taken."""
        taken = 0
        while (taken < limit and self._due(dossier_ids, internal_only)
               and self.run_next(dossier_ids, internal_only=internal_only)):
            taken += 1
        return taken

    def _due(self, dossier_ids: list[int] | None, internal_only: bool) -> bool:
        """Whether a row may be due, looked at without the write lock: most commits that wake a runner leave
        no row (or one that the last run took), and on SQLite the claim's BEGIN IMMEDIATE that found nothing
        still made a command of the server wait for it."""
        oldest = _oldest_due(clock.now(), dossier_ids, self._kinds(internal_only))
        with self.read_session() as session:
            return session.execute(oldest).first() is not None

    def _kinds(self, internal_only: bool) -> list[str]:
        return sorted(k for k, e in self.effects.items() if not (internal_only and e.external))

    # -- the background thread of the single-process server -----------------------------------------

    def kick(self) -> None:
        """Wake the background thread or process (if one runs) to carry out what a command just committed."""
        self._wake.set()
        if self._process_wake is not None:
            self._process_wake.set()

    def start_thread(self, interval: float = 5.0) -> None:
        if self._thread is not None:
            return

        def loop() -> None:
            while not self._stop.is_set():
                self._wake.wait(interval)
                self._wake.clear()
                try:
                    self.drain()
                except Exception:
                    log.exception("outbox run failed; the next one retries")

        self._thread = threading.Thread(target=loop, name="motcua-outbox", daemon=True)
        self._thread.start()

    def stop_thread(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        self._thread = None

    # -- a process of its own beside the web server --------------------------------------------------

    def start_process(self, build: Callable[..., OutboxRunner], *args: Any, interval: float = 5.0) -> None:
        """Carry out the rows in a process of its own, woken by kick() like the thread: a paper rendered there
        runs on another core instead of taking the web process's GIL from the requests (a CPU-bound thread
        makes every other thread wait up to a switch interval at each database call). `build(*args)` makes
        that process's runner (spawned: its own imports and connections); a top-level function."""
        if self._process is not None:
            return
        context = multiprocessing.get_context("spawn")
        self._process_wake, self._process_stop, self._process_ready = context.Event(), context.Event(), context.Event()
        self._process = context.Process(target=_run_rows, name="motcua-outbox", daemon=True,
                                        args=(build, args, self._process_wake, self._process_stop,
                                              self._process_ready, interval))
        self._process.start()

    def process_ready(self, timeout: float) -> bool:
        """Whether the outbox process has started (its imports and connections take seconds), waiting at most
        `timeout` seconds."""
        return self._process_ready is not None and self._process_ready.wait(timeout)

    def stop_process(self) -> None:
        if self._process is None:
            return
        self._process_stop.set()
        self._process_wake.set()
        self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
        self._process = self._process_wake = self._process_stop = self._process_ready = None


NICENESS = 10
CHECKPOINT_EVERY = 1.0  # s: the outbox process copies the SQLite WAL into the database at most this often


def _run_rows(build: Callable[..., OutboxRunner], args: tuple[Any, ...], wake: Any, stop: Any, ready: Any,
              interval: float) -> None:
    """The loop of the outbox process (OutboxRunner.start_process); it ends with the server, however that
    ends (a killed server runs no exit handlers to stop it)."""
    runner = build(*args)
    settle()
    # Below the server's requests on the CPU: a receipt waits the few milliseconds of a request, not a request
    # the ~15 ms of a receipt (the scheduler gives this process the time the requests leave).
    os.nice(NICENESS)
    ready.set()
    server = multiprocessing.parent_process()
    last = time.monotonic()
    engine = runner.write_session.kw["bind"]
    next_checkpoint = last
    while not stop.is_set() and (server is None or server.is_alive()):
        # Woken by a commit, or every `interval` for retries; a look at the server each second meanwhile.
        if not wake.wait(min(interval, 1.0)) and time.monotonic() - last < interval:
            continue
        wake.clear()
        last = time.monotonic()
        try:
            runner.drain()
            if last >= next_checkpoint:  # woken by commits: there are pages to copy, off the requests' path
                checkpoint(engine)
                next_checkpoint = last + CHECKPOINT_EVERY
        except Exception:
            log.exception("outbox run failed; the next one retries")
