"""Real diagrams run by SpiffWorkflow with the safe environment: scripts, gateways, pre/post scripts, timers."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.expressions import ExpressionError, SafeEnvironment, SafeScriptEngine, UnsafeExpression, check

DATA = Path(__file__).parent / "data"
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}


def _due_in_working_days(n: int) -> str:
    return (datetime(2024, 2, 1, 10, tzinfo=UTC) + timedelta(days=n)).isoformat()


FUNCTIONS: dict[str, Callable[..., Any]] = {"due_in_working_days": _due_in_working_days}


def start(process: str, engine: PythonScriptEngine, **data: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DATA / f"{process}.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec(process), script_engine=engine)
    workflow.get_tasks(state=TaskState.READY)[0].data.update(data)
    return workflow


def run_to_end(workflow: BpmnWorkflow) -> dict[str, Any]:
    """Run, completing manual tasks as an officer would, and return the data at the end event."""
    workflow.do_engine_steps()
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.name.startswith("End_")]
    assert len(ends) == 1
    return dict(ends[0].data, _end=ends[0].task_spec.name)


DOSSIER = {
    "fee": Decimal("2000"),
    "received": date(2024, 1, 31),
    "rank": "II",
    "devices": [{"fee": Decimal("10.5")}, {"fee": Decimal("4")}],
}


@pytest.mark.parametrize("engine", [PythonScriptEngine(environment=SafeEnvironment(FUNCTIONS)),
                                    SafeScriptEngine(FUNCTIONS)], ids=["stock-engine", "safe-engine"])
def test_script_with_decimal_and_dates_then_gateway(engine: PythonScriptEngine) -> None:
    data = run_to_end(start("fee_and_route", engine, **DOSSIER))
    assert data["_end"] == "End_review"
    assert data["fee_due"] == Decimal("1500.00")
    assert data["deadline"] == date(2024, 3, 1)
    assert data["deadline_text"] == "2024-03-01"
    assert data["due"] == "2024-02-06T10:00:00+00:00"  # from the platform function
    assert data["total"] == Decimal("14.5")
    assert data["summary"] == "2 devices, 14.50 VND"
    assert data["route"] == "review"  # the pre-script of the manual task
    assert data["review_weekday"] == 4  # its post-script: 1 March 2024 is a Friday


def test_the_gateway_takes_the_default_flow_when_the_condition_is_false() -> None:
    data = run_to_end(start("fee_and_route", SafeScriptEngine(FUNCTIONS), **dict(DOSSIER, rank="III")))
    assert (data["_end"], data["route"]) == ("End_standard", "standard")
    assert "review_weekday" not in data


def test_task_data_stays_serialisable_and_free_of_functions() -> None:
    data = run_to_end(start("fee_and_route", SafeScriptEngine(FUNCTIONS), **DOSSIER))
    assert "due_in_working_days" not in data
    assert not [key for key, value in data.items() if callable(value)]
    json.dumps(data, default=str)  # Decimal and date need converters; nothing else does


def test_unsafe_script_fails_naming_the_element_and_the_construct(capfd: pytest.CaptureFixture[str]) -> None:
    # The set-up of the brief: SpiffWorkflow's own engine with our environment.
    workflow = start("unsafe_script", PythonScriptEngine(environment=SafeEnvironment(FUNCTIONS)))
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.task.task_spec.bpmn_id == "Run_shell"
    assert "'__import__' is not allowed" in str(caught.value)
    assert isinstance(caught.value.__context__, UnsafeExpression)
    assert "uid=" not in capfd.readouterr().out  # `id` never ran
    assert not workflow.is_completed()


def test_safe_engine_puts_the_element_id_in_the_message() -> None:
    workflow = start("unsafe_script", SafeScriptEngine(FUNCTIONS))
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    error = caught.value
    assert str(error).startswith(
        "element Run_shell: line 1: the name '__import__' is not allowed: names starting with '_' are reserved"
    )
    assert (error.line_number, error.error_line) == (1, "__import__('os').system('id')")
    assert isinstance(error.__cause__, UnsafeExpression)


def test_unsafe_gateway_condition_names_the_gateway() -> None:
    workflow = start("unsafe_condition", SafeScriptEngine(FUNCTIONS))
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert caught.value.task.task_spec.bpmn_id == "Probe"
    assert str(caught.value).startswith("element Probe: line 1: the attribute '.__class__' is not allowed")


def test_stock_engine_hides_the_reason_of_a_failed_condition() -> None:
    # Why SafeScriptEngine exists: SpiffWorkflow replaces the message of an expression error.
    workflow = start("unsafe_condition", PythonScriptEngine(environment=SafeEnvironment(FUNCTIONS)))
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert str(caught.value).startswith("Error evaluating expression 'len(().__class__")
    assert "not allowed" not in str(caught.value)
    assert "'.__class__' is not allowed" in str(caught.value.__context__)


@pytest.mark.parametrize(("days", "fires"), [(-1, True), (3, False)])
def test_timer_date_comes_from_a_platform_function(days: int, fires: bool) -> None:
    def due_in_working_days(n: int) -> str:
        return (datetime.now(UTC) + timedelta(days=n)).isoformat()

    workflow = start("timer", SafeScriptEngine({"due_in_working_days": due_in_working_days}), days=days)
    workflow.do_engine_steps()
    workflow.refresh_timers()
    workflow.do_engine_steps()
    assert workflow.is_completed() is fires


def test_unsafe_diagrams_are_refused_at_deploy_time() -> None:
    # What validation does with every condition and script before a diagram is stored.
    def problems(name: str) -> list[str]:
        tree = etree.parse(str(DATA / f"{name}.bpmn"))
        texts = [(n.text, "eval") for n in tree.iterfind(".//bpmn:conditionExpression", NS)]
        texts += [(n.text, "exec") for n in tree.iterfind(".//bpmn:script", NS)]
        return [problem for text, mode in texts for problem in check(text, mode)]

    assert problems("fee_and_route") == []
    assert problems("unsafe_script") == [
        "line 1: the name '__import__' is not allowed: names starting with '_' are reserved"
    ]
    assert problems("unsafe_condition")[0].startswith("line 1: the attribute '.__class__' is not allowed")


def test_data_objects_are_readable_but_not_replaced() -> None:
    environment = SafeEnvironment({})
    task_data: dict[str, Any] = {"a": 2}
    data_objects = {"rate": Decimal("0.5")}
    assert environment.evaluate("a * rate", task_data, data_objects) == Decimal("1.0")
    assert environment.execute("b = a * rate\nrate = 1", task_data, data_objects) is True
    assert task_data == {"a": 2, "b": Decimal("1.0"), "rate": 1}
    assert data_objects == {"rate": Decimal("0.5")}


def test_errors_from_the_environment_are_expression_errors() -> None:
    environment = SafeEnvironment({})
    with pytest.raises(ExpressionError, match="line 2: division by zero"):
        environment.execute("a = 1\nb = a / 0", {})


def test_each_script_engine_gets_its_own_platform_functions() -> None:
    """The functions are made once per calendar; a script engine that changed its globals changes no other's."""
    from engine.legal_time.business_calendar import BusinessCalendar
    from engine.runtime.script_engine import platform_functions

    calendar = BusinessCalendar()
    first, second = platform_functions(calendar), platform_functions(calendar)
    first["due_in_working_days"] = _due_in_working_days
    assert second["due_in_working_days"] is not _due_in_working_days
    assert platform_functions(calendar)["due_in_working_days"] is not _due_in_working_days
