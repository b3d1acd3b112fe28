"""Waking the schedulers when a command sets a timer sooner than they planned to look.

A scheduler sleeps until the next due timer or clock milestone (engine.runtime.scheduler). A command that
commits an earlier one rings the bell: in this process directly, and on PostgreSQL with NOTIFY on the
channel `motcua_timers`, which the server delivers to every listening worker when (and only if) the
command's transaction commits. Only timers due within a scheduler's longest sleep ring: a later one is seen
anyway when the scheduler next looks.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

CHANNEL = "motcua_timers"
# The longest a scheduler sleeps without looking at the database (a safety net, e.g. for a calendar change).
LONGEST_SLEEP = timedelta(seconds=60)
_PENDING = "motcua_timer_due"


class TimerBell:
    """The schedulers of this process, each with the moment it plans to wake."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sleepers: dict[threading.Event, datetime | None] = {}

    def sleep_until(self, wake: threading.Event, at: datetime | None) -> None:
        with self._lock:
            self._sleepers[wake] = at

    def leave(self, wake: threading.Event) -> None:
        with self._lock:
            self._sleepers.pop(wake, None)

    def ring(self, due: datetime) -> None:
        """Wake every scheduler that planned to sleep past `due`."""
        with self._lock:
            for wake, planned in self._sleepers.items():
                if planned is None or due < planned:
                    wake.set()


bell = TimerBell()


def timer_set(session: Session, due: datetime | None, now: datetime) -> None:
    """A command set a timer or milestone due at `due`: ring when it commits, if it falls soon."""
    if due is None or due > now + LONGEST_SLEEP:
        return
    pending = session.info.get(_PENDING)
    if pending is not None and pending <= due:
        return
    session.info[_PENDING] = due
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, :due)"), {"channel": CHANNEL, "due": due.isoformat()})


def committed(session: Session) -> None:
    """After the commit: ring this process's schedulers for the earliest timer the command set."""
    due = session.info.pop(_PENDING, None)
    if due is not None:
        bell.ring(due)


def discarded(session: Session) -> None:
    session.info.pop(_PENDING, None)
