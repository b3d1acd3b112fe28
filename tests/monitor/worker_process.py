"""A scheduler worker in its own process, for the multi-worker tests: `python -m tests.monitor.worker_process
URL NOW [--batch N] [--die-at-commit K]`. It freezes the platform clock at NOW, says "ready", waits for a line
on stdin (so that several workers start together), runs one real tick and prints its report as JSON.
With --die-at-commit it SIGKILLs itself just before its K-th commit: mid-tick, holding claims."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import event
from sqlalchemy.orm import Session

from engine.legal_time.clock import clock
from engine.runtime.db import make_engine
from engine.runtime.scheduler import TimerScheduler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("now")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--lease", type=float, default=120.0)
    parser.add_argument("--die-at-commit", type=int, default=0)
    args = parser.parse_args()
    clock.freeze(datetime.fromisoformat(args.now))
    if args.die_at_commit:
        commits = 0

        @event.listens_for(Session, "before_commit")
        def die(session: Session) -> None:
            nonlocal commits
            commits += 1
            if commits == args.die_at_commit:
                os.kill(os.getpid(), signal.SIGKILL)

    scheduler = TimerScheduler(make_engine(args.url), batch=args.batch, lease=timedelta(seconds=args.lease),
                               smtp=None)
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps(asdict(scheduler.tick())), flush=True)


if __name__ == "__main__":
    main()
