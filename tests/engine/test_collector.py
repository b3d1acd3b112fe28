"""A long-running process sets its garbage collector once it is ready (engine.runtime.collector)."""

from __future__ import annotations

import subprocess
import sys

from engine.runtime.collector import YOUNG_THRESHOLD


def test_what_the_process_loaded_is_out_of_the_collectors_reach() -> None:
    # In a process of its own: the test run's collector stays as it is.
    probe = ("import gc, sqlalchemy, SpiffWorkflow.bpmn.workflow\n"
             "from engine.runtime.collector import settle\n"
             "settle()\n"
             "print(gc.get_threshold()[0], gc.get_freeze_count(), len(gc.get_objects()))\n")
    young, frozen, tracked = map(int, subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                                     check=True).stdout.split())
    assert young == YOUNG_THRESHOLD
    assert frozen > 10_000  # the libraries' objects
    assert tracked < 1_000  # what a full collection still walks
