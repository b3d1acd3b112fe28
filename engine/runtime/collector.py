"""The garbage collector of a long-running process (the server, a worker, the outbox process), set once the
process is ready.

CPython collects its youngest objects every 700 allocations, and now and then all of them: after start-up
that is every object of SQLAlchemy, SpiffWorkflow, Flask and the loaded procedures (~175,000), ~0.1 s a time
on this project's bench machine, paid by whichever command is running. What is alive once the process is
ready lives as long as the process: gc.freeze moves it out of the collector's reach, as the Python
documentation advises for servers. The youngest generation is then collected every 10,000 allocations: a
command's garbage is nearly all freed by reference counting as it goes, and the few cycles wait a little
longer (measured in `motcua bench`: the collector's share of a dossier 0.6 → 0.1 ms).
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000


def settle() -> None:
    """Call once the process has loaded what it serves with, before it takes work."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
