"""SpiffWorkflow glue: every condition, script and timer text of a workflow goes through our evaluator.

`SafeEnvironment` is the piece SpiffWorkflow asks for. `SafeScriptEngine` is the stock engine with one
difference that matters to the platform: when an expression fails, the stock engine raises
`WorkflowTaskException("Error evaluating expression '…'")` and the reason ("'__import__' is not allowed")
survives only as `exc.__context__`. Ours puts it in the message, after the element id, as
"element Gateway_1: line 1: …", and keeps the ExpressionError as `__cause__`.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.expressions.api import evaluate, execute
from engine.expressions.errors import ExpressionError


class SafeEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates task data expressions with the safe evaluator; `functions` are callable by name."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None):
        super().__init__({})  # no environment globals: only `functions` are reachable
        self.functions: dict[str, Callable[..., Any]] = dict(functions or {})

    def evaluate(self, expression: str, context: dict[str, Any],
                 external_context: Mapping[str, Any] | None = None) -> Any:
        return evaluate(expression, _names(context, external_context), self.functions)

    def execute(self, script: str, context: dict[str, Any],
                external_context: Mapping[str, Any] | None = None) -> bool:
        # Assignments go to the task data; data objects (external context) can be read, not replaced.
        execute(script, _names(context, external_context), self.functions)
        return True  # what the stock environment returns: the script task is complete


class SafeScriptEngine(PythonScriptEngine):
    """PythonScriptEngine(environment=SafeEnvironment(functions)), with errors that name the element."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None):
        super().__init__(environment=SafeEnvironment(functions))

    def evaluate(self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except ExpressionError as err:
            raise _task_error(task, expression.strip(), err) from err

    def execute(self, task: Any, script: str, external_context: Mapping[str, Any] | None = None) -> bool:
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except ExpressionError as err:
            raise _task_error(task, script, err) from err


def _names(context: dict[str, Any], external: Mapping[str, Any] | None) -> MutableMapping[str, Any]:
    # Task data wins over data objects, as in SpiffWorkflow's own environment.
    return ChainMap(context, external) if external else context


def _task_error(task: Any, source: str, err: ExpressionError) -> WorkflowTaskException:
    lines = source.splitlines()
    error_line = lines[err.line - 1] if err.line and err.line <= len(lines) else ""
    return WorkflowTaskException(
        f"element {task.task_spec.bpmn_id}: {err}",
        task=task,
        exception=err,
        line_number=err.line,
        error_line=error_line,
    )
