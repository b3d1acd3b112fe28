"""Microseconds per due-date computation over random receipts 2020-2035 (target: under 50 µs).

Run: .venv/bin/python bench/calendar_bench.py [count]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import UTC, datetime, timedelta

from engine.legal_time.business_calendar import BusinessCalendar, Duration, Unit, seed_file_overrides

TARGET_US = 50.0


def main(count: int = 200_000) -> None:
    started = time.perf_counter()
    calendar = BusinessCalendar(seed_file_overrides())
    build_ms = (time.perf_counter() - started) * 1e3

    rng = random.Random(2026)
    first = datetime(2020, 1, 1, tzinfo=UTC)
    span = (datetime(2036, 1, 1, tzinfo=UTC) - first).total_seconds()
    units = list(Unit)
    cases = [
        (first + timedelta(seconds=rng.uniform(0, span)), Duration(rng.randrange(1, 61), rng.choice(units)))
        for _ in range(count)
    ]
    started = time.perf_counter()
    for received, duration in cases:
        calendar.due_at(received, duration)
    per_call_us = (time.perf_counter() - started) / count * 1e6

    print(f"calendar built in {build_ms:.1f} ms")
    print(
        f"due_at: {per_call_us:.2f} µs per due date over {count} random receipts 2020-2035 "
        f"(target < {TARGET_US:.0f} µs): {'ok' if per_call_us < TARGET_US else 'TOO SLOW'}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000)
