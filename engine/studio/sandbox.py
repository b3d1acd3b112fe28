"""Trying a draft before it is deployed: a throwaway dossier in a throwaway database, time under control.

The platform clock is one per process, and the web server's must keep the real time, so a sandbox runs
in a child process (`python -m engine.studio.sandbox`): its own SQLite database in a temporary folder (in memory
under /dev/shm where there is one) removed when it ends, its own clock frozen at the start instant and
moved only by the analyst, the engine services as they run for real dossiers
(deploy, start, complete, fire due timers). The child is bounded in memory, CPU time and wall time.

It keeps no state between requests: each request carries the whole list of actions and the child replays
them from the start (the clock is frozen, so the replay is exact). Tasks are named by their element id,
not by the engine's random task ids, for the same reason.

    {"files": {...}, "process_id": "...", "start_at": "2026-03-02T02:00:00+00:00", "overrides": [...],
     "actions": [{"do": "start", "data": {}}, {"do": "complete", "task": "receive", "data": {...}},
                 {"do": "advance", "days": 3}]}
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # the repository: engine/studio/sandbox.py
TIMEOUT_SECONDS = 60
MEMORY_BYTES = 2 * 1024**3
CPU_SECONDS = 60
MAX_ACTIONS = 200
MAX_ADVANCE_DAYS = 3660
ACTOR = "sandbox"


class SandboxError(Exception):
    """The sandbox could not run (time limit, memory, a crash): says so in plain words."""


def run_sandbox(request: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """Run one sandbox request in a child process and return its report."""
    # Only what Python needs: the server's database address and secrets stay with the server.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PYTHONPATH": str(PROJECT_ROOT),
           "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run([sys.executable, "-m", "engine.studio.sandbox"], input=json.dumps(request, default=str),
                              capture_output=True, text=True, timeout=timeout, env=env, cwd=PROJECT_ROOT,
                              check=False)
    except subprocess.TimeoutExpired as err:
        raise SandboxError(f"the sandbox took longer than {timeout:g} seconds and was stopped") from err
    if done.returncode != 0 or not done.stdout.strip():
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise SandboxError(f"the sandbox stopped unexpectedly: {last}")
    return json.loads(done.stdout)


# -- the child ------------------------------------------------------------------------------------------


def _limit_resources() -> None:
    import resource

    for limit, value in ((resource.RLIMIT_AS, MEMORY_BYTES), (resource.RLIMIT_CPU, CPU_SECONDS)):
        _, hard = resource.getrlimit(limit)
        ceiling = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (ceiling, hard))


def _plain(value: Any) -> Any:
    """Task data as JSON shows it: dates as ISO text, money and numbers as numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


_EXAMPLES = {"date": lambda: date.today().isoformat(), "number": lambda: 0, "money": lambda: 0,
             "integer": lambda: 0, "checkbox": lambda: False, "multiselect": list}


def _example(field: Any) -> Any:
    if field.type == "select":
        return field.options[0].value if field.options else ""
    if field.type == "table":
        return [{c.name: _example(c) for c in field.columns}]
    return _EXAMPLES.get(field.type, str)()


def _form_of(definition: Any, spec: str) -> Any:
    from engine.runtime.forms import load_form

    key = next((k for k in definition.catalogue.get("forms", {}) if k.rsplit("/", 1)[-1] == spec), None)
    if key is None:
        return None
    path = definition.catalogue["forms"][key]
    return load_form(json.loads(definition.files[path]), name=path)


class _Sandbox:
    def __init__(self, request: Mapping[str, Any], folder: str) -> None:
        from engine.legal_time.clock import clock
        from engine.runtime.db import Base, make_engine
        from engine.runtime.schema import import_models

        self.clock = clock
        self.clock.freeze(datetime.fromisoformat(request["start_at"]).astimezone(UTC))
        # A file, not ":memory:": the engine's read and write sessions run side by side on their own
        # connections, which an in-memory database cannot share.
        self.engine = make_engine(f"sqlite:///{folder}/sandbox.sqlite")
        import_models()
        Base.metadata.create_all(self.engine)
        self.process_id = request["process_id"]
        self.dossier_id: int | None = None

    def deploy(self, files: Mapping[str, str], overrides: list[dict[str, str]]) -> list[dict[str, str]]:
        from engine.legal_time.calendar_override import CalendarOverride, OverrideKind
        from engine.runtime.db import make_session_factory
        from engine.runtime.deployment import deploy_files
        from engine.runtime.problems import ValidationFailed

        with make_session_factory(self.engine, write=True)() as session:
            for item in overrides:
                session.add(CalendarOverride(day=date.fromisoformat(item["day"]), kind=OverrideKind(item["kind"]),
                                             reason=item.get("reason", ""), created_by=ACTOR,
                                             created_at=self.clock.now()))
            try:
                deploy_files(session, files, ACTOR)
            except ValidationFailed as failed:
                return [{"file": p.file, "element_id": p.element_id, "message": p.message} for p in failed.problems]
            session.commit()
        from engine.runtime.dossier_service import DossierService

        self.service = DossierService(self.engine)
        return []

    def apply(self, action: Mapping[str, Any]) -> None:
        from engine.runtime.errors import InvalidData, TaskNotReady

        kind = action.get("do")
        data = action.get("data") or {}
        if kind == "start":
            if self.dossier_id is not None:
                raise InvalidData("the sandbox dossier is already started")
            self.dossier_id = self.service.start(self.process_id, data, ACTOR, title="Sandbox").dossier_id
        elif self.dossier_id is None:
            raise InvalidData("start the sandbox dossier first")
        elif kind == "complete":
            matches = [t for t in self.service.ready_tasks(self.dossier_id) if t.spec == action.get("task")]
            if not matches:
                raise TaskNotReady(f"the task '{action.get('task')}' is not waiting")
            self.service.complete(self.dossier_id, matches[0].id, data, ACTOR)
        elif kind == "advance":
            days = action.get("days")
            if not isinstance(days, int) or isinstance(days, bool) or not 0 < days <= MAX_ADVANCE_DAYS:
                raise InvalidData(f"fast-forward by a whole number of days from 1 to {MAX_ADVANCE_DAYS}")
            self.clock.advance(timedelta(days=days))
            for _ in range(100):  # a fired timer may start another one that is already due
                if not self.service.fire_due_timers():
                    break
        else:
            raise InvalidData(f"unknown action '{kind}'")

    def report(self) -> dict[str, Any]:
        from SpiffWorkflow.util.task import TaskState
        from sqlalchemy import select

        from engine.legal_time.business_calendar import load_calendar
        from engine.legal_time.legal_clock import LegalClock
        from engine.onestop.vietnamese_text import last_day
        from engine.runtime.db import make_session_factory
        from engine.runtime.definition import ProcessDefinition
        from engine.runtime.deployment import spec_cache
        from engine.runtime.dossier import Dossier
        from engine.runtime.serialization import WorkflowSerializer

        report: dict[str, Any] = {"now": self.clock.now().isoformat(), "started": self.dossier_id is not None}
        if self.dossier_id is None:
            return report
        with make_session_factory(self.engine)() as session:
            dossier = session.get(Dossier, self.dossier_id)
            definition = session.get(ProcessDefinition, dossier.definition_id)
            calendar = load_calendar(session)
            spec, called = spec_cache.get(session, definition.id, definition.content_hash)
            workflow = WorkflowSerializer().state_from_json(dossier.state, spec, called)
            legal = LegalClock.from_dict(dossier.legal_clock) if dossier.legal_clock else None
            ready = [] if dossier.status != "running" else self.service.ready_tasks(self.dossier_id)
            tasks = []
            for task in ready:
                form = _form_of(definition, task.spec)
                tasks.append({
                    "spec": task.spec, "name": task.name, "role": task.role, "form": task.form,
                    "fields": [{"name": f.name, "type": f.type, "label": f.label.get("vi", f.name),
                                "required": f.required} for f in form.fields] if form else [],
                    "template": {f.name: _example(f) for f in form.fields} if form else {},
                })
            linked = session.execute(select(Dossier.process_id, Dossier.status)
                                     .where(Dossier.parent_id == self.dossier_id)).all()
            report.update(
                status=dossier.status, incident=dossier.incident, ready=tasks,
                data=_plain(self.service.data(self.dossier_id)),
                completed=sorted({t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)
                                  if getattr(t.task_spec, "bpmn_id", None)}),
                phases=[{"name": p.name, "duration": str(p.duration), "started_at": p.started_at.isoformat(),
                         "last_day": last_day(p.due_at).isoformat(),
                         "finished_at": p.finished_at.isoformat() if p.finished_at else None, "late": p.late}
                        for p in (legal.phases(calendar) if legal else [])],
                paused=dossier.clock_paused,
                due_last_day=last_day(dossier.due_at).isoformat() if dossier.due_at else None,
                total_last_day=last_day(dossier.total_due_at).isoformat() if dossier.total_due_at else None,
                next_timer_at=dossier.next_timer_at.isoformat() if dossier.next_timer_at else None,
                linked=[{"process_id": p, "status": s} for p, s in linked],
            )
        return report


def run(request: Mapping[str, Any]) -> dict[str, Any]:
    """The report of a sandbox request (in this process: the child calls it, and the tests may)."""
    from engine.runtime.errors import CommandError, InvalidData

    actions = request.get("actions") or []
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        return {"problems": [], "error": {"index": 0, "message": f"at most {MAX_ACTIONS} actions"}}
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="motcua-sandbox-", dir=shm if shm.is_dir() else None) as folder:
        sandbox = _Sandbox(request, folder)
        try:
            problems = sandbox.deploy(request["files"], request.get("overrides") or [])
            if problems:
                return {"problems": problems, "applied": 0}
            applied, error = 0, None
            for index, action in enumerate(actions):
                try:
                    if not isinstance(action, dict):
                        raise InvalidData("an action is an object such as {\"do\": \"start\"}")
                    sandbox.apply(action)
                except CommandError as err:
                    error = {"index": index, "message": str(err), "fields": getattr(err, "fields", {}),
                             "element_id": getattr(err, "element_id", "")}
                    break
                applied += 1
            return {"problems": [], "applied": applied, "error": error, **sandbox.report()}
        finally:
            sandbox.engine.dispose()


def main() -> None:
    _limit_resources()
    request = json.loads(sys.stdin.read())
    json.dump(run(request), sys.stdout)


if __name__ == "__main__":
    main()
