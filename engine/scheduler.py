"""The timer scheduler: each tick advances the dossiers whose next timer is due."""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from engine.dossier_service import DossierService

log = logging.getLogger(__name__)


class TimerScheduler:
    def __init__(self, engine: Engine, interval: float = 5.0, batch: int = 100) -> None:
        self.service = DossierService(engine)
        self.interval = interval
        self.batch = batch
        self._scheduler = BackgroundScheduler(timezone="UTC")

    def tick(self) -> int:
        """One pass: advance every due dossier, batch by batch, until none is due."""
        total = 0
        while True:
            fired = self.service.fire_due_timers(self.batch)
            total += fired
            if fired < self.batch:
                return total

    def _safe_tick(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("timer tick failed; the next tick retries")

    def start(self) -> None:
        self._scheduler.add_job(self._safe_tick, "interval", seconds=self.interval, max_instances=1,
                                coalesce=True, id="timers")
        self._scheduler.start()

    def shutdown(self) -> None:
        self._scheduler.shutdown(wait=True)
