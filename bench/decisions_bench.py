"""Time to compute the fees of a 10-device licence dossier with dmn/radiation_fees.dmn.

Run: .venv/bin/python bench/decisions_bench.py
Target: under 1 ms for the appraisal fee (device_fee evaluated per device, summed) and its renewal.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.decisions import Aggregation, load_dmn  # noqa: E402

DEVICES = [
    {"purpose": purpose, "serial": f"SN-{number}"}
    for number, purpose in enumerate(
        ["dental", "mammography", "mobile", "general", "bone_density", "fluoroscopy", "ct", "pet_ct", "ct", "general"],
        1,
    )
]
RUNS = 5000


def main() -> None:
    path = ROOT / "dmn" / "radiation_fees.dmn"
    started = time.perf_counter()
    model = load_dmn(path.read_bytes(), path.name)
    load_ms = (time.perf_counter() - started) * 1000
    dossier = {"devices": DEVICES}

    def fees() -> tuple[object, object]:
        appraisal = model.evaluate_each("device_fee", dossier["devices"], "device", dossier, Aggregation.SUM)
        renewal = model.evaluate("renewal_appraisal_fee", {"appraisal_fee": appraisal})
        return appraisal, renewal

    for _ in range(200):
        fees()
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fees()
        timings.append(time.perf_counter() - started)
    appraisal, renewal = fees()
    median_us = statistics.median(timings) * 1e6
    p95_us = statistics.quantiles(timings, n=20)[-1] * 1e6
    print(f"load radiation_fees.dmn: {load_ms:.1f} ms")
    print(f"10-device licence dossier: appraisal fee {appraisal} VND, renewal {renewal['renewal_appraisal_fee']} VND")
    print(f"median {median_us:.0f} µs ({median_us / 1000:.3f} ms), p95 {p95_us:.0f} µs over {RUNS} runs; target < 1 ms")


if __name__ == "__main__":
    main()
