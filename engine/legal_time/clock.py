"""The platform clock: every 'now' in the engine comes from here, so tests move time without sleeping."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class PlatformClock:
    def __init__(self) -> None:
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        """Aware UTC datetime."""
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("the platform clock takes aware datetimes")
        self._frozen = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def reset(self) -> None:
        self._frozen = None
        self._offset = timedelta()

    @contextmanager
    def restored(self) -> Iterator[None]:
        """Whatever is done to the clock inside (the demo's backdated history), it is as before afterwards."""
        frozen, offset = self._frozen, self._offset
        try:
            yield
        finally:
            self._frozen, self._offset = frozen, offset


clock = PlatformClock()
