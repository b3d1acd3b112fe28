"""Workflows kept in memory between the commands of one process, as Temporal's workers keep their executions
("sticky" cache): a dossier moved again soon after (the next step of the same officer, an integration driving
it through the API, a timer right after a step) is not rebuilt from its stored state.

A command takes its dossier's workflow out of the cache, so no two commands ever share one; a read (the ready
tasks, the data) takes it too and gives it back unchanged. A command's workflow is put back only when its
transaction has committed, under the version that commit wrote: a command that fails leaves nothing behind,
and any other writer (another process, a supervisor's correction) bumps the dossier's version, so a stale
entry is never used, only dropped. A process holds at most
MOTCUA_WORKFLOW_CACHE workflows (default 256; a demo dossier of the real procedures takes 77–161 KB in
memory, so ~25 MB in all; 0 turns the cache off).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy.orm import Session

DEFAULT_CAPACITY = 256
_PENDING = "motcua_workflows_saved"


@dataclass(frozen=True)
class Kept:
    version: int
    content_hash: str
    workflow: BpmnWorkflow
    # The ids of the user tasks it waits on (its open work items), so that they need no walk of its tree.
    waiting: frozenset[str]


class WorkflowCache:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, Kept] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> WorkflowCache:
        value = os.environ.get("MOTCUA_WORKFLOW_CACHE", "").strip()
        try:
            capacity = int(value) if value else DEFAULT_CAPACITY
        except ValueError:
            raise ValueError(f"MOTCUA_WORKFLOW_CACHE must be a whole number of workflows, not {value!r}") from None
        if capacity < 0:
            raise ValueError("MOTCUA_WORKFLOW_CACHE cannot be negative")
        return cls(capacity)

    def take(self, dossier_id: int, version: int, content_hash: str) -> Kept | None:
        """The dossier's workflow as its `version` left it, removed from the cache; None when not kept."""
        with self._lock:
            entry = self._entries.pop(dossier_id, None)
        if entry is None or entry.version != version or entry.content_hash != content_hash:
            return None
        return entry

    def saved(self, session: Session, dossier_id: int, kept: Kept) -> None:
        """The command in `session` wrote the dossier at `kept.version`: kept once it commits (`committed`).
        The workflow must not change after this."""
        if self.capacity:
            session.info.setdefault(_PENDING, {})[dossier_id] = kept

    def give_back(self, dossier_id: int, kept: Kept) -> None:
        """A workflow taken to be read, unchanged, back in the cache; unless a command kept a newer one
        meanwhile."""
        if not self.capacity:
            return
        with self._lock:
            if dossier_id in self._entries:
                return
            self._entries[dossier_id] = kept
            self._evict()

    def committed(self, session: Session) -> None:
        saved = session.info.pop(_PENDING, None)
        if not saved:
            return
        with self._lock:
            for dossier_id, entry in saved.items():
                self._entries[dossier_id] = entry
                self._entries.move_to_end(dossier_id)
            self._evict()

    def _evict(self) -> None:
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    @staticmethod
    def discarded(session: Session) -> None:
        session.info.pop(_PENDING, None)

    def __len__(self) -> int:
        return len(self._entries)
