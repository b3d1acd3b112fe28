"""Every evaluation has a budget (issue 17): what can exceed it on valid input is refused by `validate` in the
words a running dossier would stop with, and a command that exceeds it at run time fails alone, quickly,
leaves the dossier as it was and records an incident the supervisor sees."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from engine.onestop.documents import Agency
from engine.onestop.paperwork import Office
from engine.oversight import incidents
from engine.runtime import command_budget
from engine.runtime.db import make_session_factory
from engine.runtime.deployment import deploy_files
from engine.runtime.dossier import Dossier
from engine.runtime.dossier_service import DossierService
from engine.runtime.errors import ProcessError
from engine.runtime.validation import parse_bundle
from engine.runtime.work_item import WorkItem
from engine.service.commands import Commands
from tests.engine.support import DATA, read
from tests.engine.test_dossier_service import only

SCRIPT = 'fee = Decimal("2000000") * len(devices)'
TIMER = "<bpmn:timeDate>due_in_working_days(25)</bpmn:timeDate>"


def bundle(*, script: str = SCRIPT, timer: str = TIMER) -> dict[str, str]:
    diagram = read("licence_demo.bpmn").replace(SCRIPT, script).replace(TIMER, timer)
    return {"licence_demo.bpmn": diagram, "forms/reception.json": read("forms/reception.json")}


HORIZON = "lies beyond the 100-year horizon (36,525 days)"


@pytest.mark.parametrize(("change", "words"), [
    ({"timer": "<bpmn:timeDuration>'P30000000M'</bpmn:timeDuration>"},
     f"timer: line 1: the timer 'P30000000M' {HORIZON}"),
    ({"timer": "<bpmn:timeDuration>'P9999999999Y'</bpmn:timeDuration>"}, f"the timer 'P9999999999Y' {HORIZON}"),
    ({"timer": "<bpmn:timeDate>'9999-12-31T00:00:00+07:00'</bpmn:timeDate>"}, HORIZON),
    ({"timer": "<bpmn:timeDate>due_in_working_days(2000000)</bpmn:timeDate>"},
     f"timer: line 1: due_in_working_days(2000000) {HORIZON}"),
    ({"script": "fee = working_days_between('2000-01-01', '9999-12-31')"},
     f"script: line 1: working_days_between(2000-01-01, 9999-12-31) {HORIZON}"),
    ({"script": "fee = 1\ntext = f\"{Decimal('1e999999999'):f}\""},
     "script: line 2: Decimal(): '1e999999999' is not a number within the bounds"),
])
def test_validate_refuses_what_would_exceed_a_budget_at_run_time(change: dict[str, str], words: str) -> None:
    started = time.monotonic()
    problems = parse_bundle(bundle(**change)).problems
    assert time.monotonic() - started < 5
    assert [p.element_id for p in problems] == [
        "appraisal_deadline" if "timer" in change else "compute_fee"], problems
    assert words in problems[0].message


@pytest.fixture
def service_with(db: Engine):  # type: ignore[no-untyped-def]
    def deploy(**change: str) -> DossierService:
        with make_session_factory(db, write=True)() as session:
            deploy_files(session, bundle(**change), actor="test")
            session.commit()
        return DossierService(db)
    return deploy


@pytest.mark.parametrize(("script", "data", "words"), [
    ("fee = working_days_between(span[0], span[1])", ["2000-01-01", "9999-12-31"],
     f"working_days_between(2000-01-01, 9999-12-31) {HORIZON}"),
    ("fee = due_in_working_days(len(span) * 1000000)", ["a", "b"], f"due_in_working_days(2000000) {HORIZON}"),
    ("fee = f\"{Decimal(span[0]) * Decimal(span[1]) ** 99999:f}\"", ["1", "1e17"], "is too large"),
    ("fee = f\"{Decimal(span[0]):f}\"", ["1e999999999", "x"], "is not a number within the bounds"),
])
def test_a_command_over_a_budget_fails_alone_and_leaves_an_incident(service_with, session, script: str,  # type: ignore[no-untyped-def]
                                                                    data: list[str], words: str) -> None:
    service = service_with(script=script)
    out = service.start("licence_demo", {"received": date(2026, 3, 2), "span": data}, actor="tiepnhan", title="BV")
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    check = only(out.ready, "check")
    before = session.get(Dossier, out.dossier_id)
    version, state = before.version, before.state
    session.rollback()
    started = time.monotonic()
    with pytest.raises(ProcessError) as raised:
        service.complete(out.dossier_id, check.id, {"dossier_complete": True}, actor="chuyenvien")
    assert time.monotonic() - started < 3
    assert words in str(raised.value) and raised.value.element_id == "compute_fee"
    dossier = session.get(Dossier, out.dossier_id)
    # Rolled back whole, but the incident stays.
    assert (dossier.version, dossier.state) == (version, state) and words in dossier.incident
    open_items = session.scalars(select(WorkItem.task_spec).where(WorkItem.dossier_id == dossier.id,
                                                                  WorkItem.status == "open")).all()
    assert open_items == ["check"]
    [incident] = incidents.recent(session)
    assert incident.dossier_id == dossier.id and incident.actor == "chuyenvien" and words in incident.message
    # The write lock was released: another command on the same database goes through at once.
    assert service.start("licence_demo", {"received": date(2026, 3, 2)}, actor="tiepnhan").dossier_id


def test_a_work_item_whose_step_fails_leaves_its_incident_on_its_dossier(db, service_with, session) -> None:  # type: ignore[no-untyped-def]
    # The service layer finds the item's dossier inside the command's transaction: the incident still names it.
    # The check step has no form, so an officer's fields are dropped and its gateway meets an undefined name.
    service = service_with()
    commands = Commands.build(db, Office(agency=Agency(), agency_code="000.00.19.H19", bpmn_root=DATA, smtp=None))
    out = service.start("licence_demo", {"received": date(2026, 3, 2)}, actor="tiepnhan", title="BV")
    service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    item_id, role = session.execute(select(WorkItem.id, WorkItem.role).where(
        WorkItem.dossier_id == out.dossier_id, WorkItem.status == "open")).one()
    session.rollback()
    with pytest.raises(ProcessError) as raised:
        commands.complete_work_item(item_id, {"dossier_complete": True}, "chuyenvien", {role})
    words = "'dossier_complete' is not defined"
    assert words in str(raised.value)
    [incident] = incidents.recent(session)
    assert incident.dossier_id == out.dossier_id and incident.actor == "chuyenvien" and words in incident.message
    assert words in session.get(Dossier, out.dossier_id).incident
    assert session.get(WorkItem, item_id).status == "open"


LOOP = """<bpmn:scriptTask id="compute_fee" name="Compute the fee">
      <bpmn:incoming>f_complete</bpmn:incoming>
      <bpmn:incoming>f_again</bpmn:incoming>
      <bpmn:outgoing>f_loop</bpmn:outgoing>
      <bpmn:script>fee = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="again_gw" default="f_again">
      <bpmn:incoming>f_loop</bpmn:incoming>
      <bpmn:outgoing>f_again</bpmn:outgoing>
      <bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="f_loop" sourceRef="compute_fee" targetRef="again_gw" />
    <bpmn:sequenceFlow id="f_again" sourceRef="again_gw" targetRef="compute_fee" />"""


def test_a_diagram_looping_without_waiting_is_stopped_by_the_engine_step_budget(db: Engine, session,  # type: ignore[no-untyped-def]
                                                                                monkeypatch) -> None:
    # A smaller budget, so that the loop meets the step count before the wall clock on a loaded machine.
    monkeypatch.setattr(command_budget, "MAX_ENGINE_STEPS", 100)
    files = bundle()
    diagram = files["licence_demo.bpmn"]
    start = diagram.index('<bpmn:scriptTask id="compute_fee"')
    end = diagram.index("</bpmn:scriptTask>", start) + len("</bpmn:scriptTask>")
    diagram = diagram[:start] + LOOP + diagram[end:]
    diagram = diagram.replace('<bpmn:sequenceFlow id="f4" sourceRef="compute_fee" targetRef="appraise" />',
                              '<bpmn:sequenceFlow id="f4" sourceRef="again_gw" targetRef="appraise">'
                              '<bpmn:conditionExpression>fee == 2</bpmn:conditionExpression></bpmn:sequenceFlow>')
    diagram = diagram.replace("<bpmn:flowNodeRef>compute_fee</bpmn:flowNodeRef>",
                              "<bpmn:flowNodeRef>compute_fee</bpmn:flowNodeRef><bpmn:flowNodeRef>again_gw"
                              "</bpmn:flowNodeRef>")
    with make_session_factory(db, write=True)() as writer:
        deploy_files(writer, {**files, "licence_demo.bpmn": diagram}, actor="test")
        writer.commit()
    service = DossierService(db)
    out = service.start("licence_demo", {"received": date(2026, 3, 2)}, actor="tiepnhan")
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    started = time.monotonic()
    with pytest.raises(ProcessError, match="stopped after 100 engine steps in one command"):
        service.complete(out.dossier_id, only(out.ready, "check").id, {"dossier_complete": True}, actor="chuyenvien")
    assert time.monotonic() - started < 5
    assert "stopped after 100 engine steps" in session.get(Dossier, out.dossier_id).incident


@pytest.mark.parametrize(("timer", "delay"), [
    ("<bpmn:timeDuration>delay</bpmn:timeDuration>", "P30000000M"),
    ("<bpmn:timeDuration>delay</bpmn:timeDuration>", "P9999999999Y"),
    ("<bpmn:timeCycle>delay</bpmn:timeCycle>", "R3/P30000000M"),
    ("<bpmn:timeDate>delay</bpmn:timeDate>", "9999-12-31T00:00:00+07:00"),
])
def test_a_timer_from_data_beyond_the_horizon_stops_the_command_at_once(service_with, session, timer: str,  # type: ignore[no-untyped-def]
                                                                         delay: str) -> None:
    service = service_with(timer=timer)
    out = service.start("licence_demo", {"received": date(2026, 3, 2), "delay": delay}, actor="tiepnhan")
    out = service.complete(out.dossier_id, only(out.ready, "receive").id, {"devices": ["ct"]}, actor="tiepnhan")
    started = time.monotonic()
    with pytest.raises(ProcessError) as raised:
        service.complete(out.dossier_id, only(out.ready, "check").id, {"dossier_complete": True}, actor="chuyenvien")
    assert time.monotonic() - started < 3  # P30000000M took 40 s, P9999999999Y about a day
    assert f"the timer '{delay.split('/')[-1]}' {HORIZON}" in str(raised.value)
    assert HORIZON in session.get(Dossier, out.dossier_id).incident
