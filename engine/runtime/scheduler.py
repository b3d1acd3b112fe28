"""The scheduler: each tick claims the dossiers whose next timer or clock milestone is due and advances them.

Several workers may tick against one PostgreSQL database (DESIGN.md, "Scale"). A tick
1. claims a batch in one short transaction: `SELECT … FOR UPDATE SKIP LOCKED` picks due dossiers that no
   live claim holds, and stamps them with this worker's name and a lease (`timer_claimed_by`,
   `timer_claimed_until`); workers claiming at once skip each other's rows instead of waiting;
2. advances each claimed dossier in its own transaction, which first locks the row and checks that the
   claim is still this worker's (a worker slower than its lease may have been overtaken), then fires the
   timers that are due, escalates the milestones reached, and releases the claim — all in one commit, so
   a timer fires exactly once;
3. mails the alerts the escalations queued (engine.oversight.alerts), and carries out the papers and mails
   the commands left in the outbox (engine.runtime.outbox), retrying those a mail server refused.
Between ticks it sleeps until the next due timer or milestone (at most `interval`), and a command that sets
an earlier one wakes it (engine.runtime.timer_bell: in-process, and NOTIFY on PostgreSQL), so a timer
fires when it falls due rather than at the next poll.
A worker that dies keeps its claims until the lease runs out; then any worker takes them up: no timer is
lost, and those dossiers are late by at most the lease. On SQLite (one process) the same statements run
without the row locks, which SQLite does not have and does not need (its writers queue).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.engine import Engine

from engine.legal_time.clock import clock
from engine.onestop.notifications import SmtpSettings
from engine.oversight import alerts
from engine.oversight.escalation import Context, escalate_due_milestones
from engine.runtime import audit
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import CommandError, ProcessError
from engine.runtime.outbox import OutboxEntry, OutboxRunner, OutboxStatus
from engine.runtime.timer_bell import CHANNEL, LONGEST_SLEEP, bell

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = LONGEST_SLEEP.total_seconds()
# While something due is held by another worker, look again this often.
HELD_POLL = 1.0
DEFAULT_BATCH = 100
# Long against the time a batch takes (~10 ms a dossier), short against a lost worker's dossiers waiting.
DEFAULT_LEASE = timedelta(minutes=2)
MAIL_BATCH = 50

_DOSSIER = Dossier.__table__
# Only running dossiers have a next timer or milestone (a command clears both when a dossier ends), so the
# status is not asked: with it, SQLite would scan the running dossiers instead of the two due ranges.
_CLAIMABLE = (
    select(_DOSSIER.c.id)
    .where(or_(_DOSSIER.c.next_timer_at <= bindparam("p_now"), _DOSSIER.c.next_milestone_at <= bindparam("p_now")),
           or_(_DOSSIER.c.timer_claimed_until.is_(None), _DOSSIER.c.timer_claimed_until <= bindparam("p_now")))
    .limit(bindparam("p_limit"))
    .with_for_update(skip_locked=True)
)
_CLAIM = update(_DOSSIER).where(_DOSSIER.c.id.in_(bindparam("p_ids", expanding=True)))
_NEXT_DUE = select(func.min(_DOSSIER.c.next_timer_at), func.min(_DOSSIER.c.next_milestone_at))
_NEXT_RETRY = select(func.min(OutboxEntry.available_at)).where(OutboxEntry.status == OutboxStatus.PENDING)
_HELD = (
    select(_DOSSIER.c.next_timer_at, _DOSSIER.c.next_milestone_at)
    .where(_DOSSIER.c.id == bindparam("p_id"), _DOSSIER.c.timer_claimed_by == bindparam("p_owner"))
    .with_for_update()
)
# Releasing returns when the next milestone falls, as the command that fired the timer computed it.
_RELEASE = (update(_DOSSIER).where(_DOSSIER.c.id == bindparam("p_id"))
            .values(timer_claimed_by=None, timer_claimed_until=None).returning(_DOSSIER.c.next_milestone_at))


@dataclass
class TickReport:
    claimed: int = 0
    fired: int = 0  # dossiers whose timers fired
    escalated: int = 0  # milestones escalated
    incidents: int = 0
    mailed: int = 0
    effects: int = 0  # outbox rows carried out (papers, applicants' mails)

    def __str__(self) -> str:
        # `motcua worker --once` prints "fired: <this>".
        return (f"{self.fired} (claimed {self.claimed}, milestones escalated {self.escalated}, "
                f"incidents {self.incidents}, mails sent {self.mailed}, outbox {self.effects})")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class TimerScheduler:
    def __init__(
        self, engine: Engine, interval: float = DEFAULT_INTERVAL, batch: int = DEFAULT_BATCH,
        lease: timedelta = DEFAULT_LEASE, smtp: SmtpSettings | Literal["env"] | None = "env",
        name: str | None = None, outbox: OutboxRunner | None = None,
    ) -> None:
        self.service = DossierService(engine)
        # The bell only rings for timers due within LONGEST_SLEEP: a longer sleep could miss one.
        self.interval = min(interval, LONGEST_SLEEP.total_seconds())
        self.batch = batch
        self.lease = lease
        # "env": the MOTCUA_SMTP_* variables, as the web app reads them; None: no mail leaves.
        self.smtp = SmtpSettings.from_env() if smtp == "env" else smtp
        self.name = name or worker_name()
        self.outbox = outbox
        self._context: Context | None = None  # read once a tick
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    def claim(self) -> list[int]:
        """Take up to `batch` due dossiers that no live claim holds."""
        now = clock.now()
        with self.service.command() as session:
            conn = session.connection()
            ids = list(conn.execute(_CLAIMABLE, {"p_now": now, "p_limit": self.batch}).scalars())
            if ids:
                conn.execute(_CLAIM, {"p_ids": ids, "timer_claimed_by": self.name,
                                      "timer_claimed_until": now + self.lease})
        return ids

    def advance(self, dossier_id: int, report: TickReport) -> None:
        """Fire the due timers and escalate the reached milestones of one claimed dossier, then release it."""
        try:
            with self.service.command() as session:
                conn = session.connection()
                held = conn.execute(_HELD, {"p_id": dossier_id, "p_owner": self.name}).first()
                if held is None:
                    return  # the claim expired and another worker took the dossier over
                now = clock.now()
                context = self._context or Context.load(session)
                timer = held.next_timer_at if held.next_timer_at is not None and held.next_timer_at <= now else None
                milestone = held.next_milestone_at
                # In the order they happened: a milestone reached before the timer fired is told even if the
                # timer then ends its phase; after a timer, the new phase may have reached milestones too.
                if milestone is not None and milestone <= now and (timer is None or milestone <= timer):
                    report.escalated += len(escalate_due_milestones(session, dossier_id, context))
                if timer is not None:
                    self.service.fire_timers_in(session, dossier_id)
                    report.fired += 1
                following = conn.execute(_RELEASE, {"p_id": dossier_id}).scalar_one()
                if timer is not None and following is not None and following <= now:
                    report.escalated += len(escalate_due_milestones(session, dossier_id, context))
        except ProcessError as err:
            report.incidents += 1
            self._incident(dossier_id, str(err))
        except CommandError as err:
            # Changed under us (a conflict): the claim lapses and a later tick tries again.
            log.warning("dossier %s not advanced: %s", dossier_id, err)

    def _incident(self, dossier_id: int, message: str) -> None:
        """The engine failed on this dossier: park its timers until someone resolves it, keep its milestones."""
        with self.service.command() as session:
            session.execute(update(_DOSSIER)
                            .where(_DOSSIER.c.id == dossier_id, _DOSSIER.c.timer_claimed_by == self.name)
                            .values(incident=message, next_timer_at=None, timer_claimed_by=None,
                                    timer_claimed_until=None))
            audit.record(session, actor="timer", command="incident", dossier_id=dossier_id,
                         data={"message": message})

    def tick(self) -> TickReport:
        """One pass: advance what is due, carry out the outbox, then mail the alerts queued."""
        report = self.advance_due()
        if self.outbox is not None:
            report.effects = self.outbox.drain()
        while True:
            delivered = alerts.deliver(self.service.write_session, self.smtp, MAIL_BATCH)
            report.mailed += delivered.sent
            if delivered.taken < MAIL_BATCH:
                return report

    def advance_due(self) -> TickReport:
        """Claim and advance batch after batch until nothing is due."""
        report = TickReport()
        with self.service.read_session() as session:
            self._context = Context.load(session)
        seen: set[int] = set()
        while True:
            ids = self.claim()
            report.claimed += len(ids)
            for dossier_id in ids:
                self.advance(dossier_id, report)
            # A dossier still due after its turn (its engine disagrees with its columns) must not spin the tick.
            if len(ids) < self.batch or seen.issuperset(ids):
                break
            seen.update(ids)
        return report

    def next_due(self) -> datetime | None:
        """The earliest next timer or milestone of any dossier, or outbox retry this scheduler carries out
        (index look-ups)."""
        with self.service.read_session() as session:
            due = list(session.execute(_NEXT_DUE).one())
            if self.outbox is not None:
                due.append(session.scalar(_NEXT_RETRY))
        return min((d for d in due if d is not None), default=None)

    def seconds_to_sleep(self, due: datetime | None) -> float:
        if due is None:
            return self.interval
        left = (due - clock.now()).total_seconds()
        # Due already after a tick: another worker holds it (or its engine is stuck); look again soon.
        return min(self.interval, left if left > 0 else HELD_POLL)

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("scheduler tick failed; the next tick retries")

    def _run(self) -> None:
        while not self._stop.is_set():
            self._safe_tick()
            self._wake.clear()
            if self._stop.is_set():  # shut down during the tick: its wake-up was just cleared
                break
            bell.sleep_until(self._wake, None)  # a command committing from now on wakes us
            try:
                due = self.next_due()
            except Exception:
                log.exception("scheduler could not read the next due timer")
                due = None
            bell.sleep_until(self._wake, due)
            self._wake.wait(self.seconds_to_sleep(due))
        bell.leave(self._wake)

    def _listen(self) -> None:
        """PostgreSQL: the commands of other processes ring through NOTIFY."""
        import psycopg

        url = self.service.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            bell.ring(datetime.fromisoformat(note.payload))
            except (psycopg.Error, ValueError):
                log.exception("listening for timers failed; retrying in 5 s (timers still fire on time "
                              "from this process's own sleep)")
                self._stop.wait(5)

    def start(self) -> None:
        self._stop.clear()
        targets = [self._run]
        if self.service.engine.dialect.name == "postgresql":
            targets.append(self._listen)
        self._threads = [threading.Thread(target=t, name=f"motcua-{t.__name__.strip('_')}", daemon=True)
                         for t in targets]
        for thread in self._threads:
            thread.start()

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(10)
