"""Turning workflows into JSON and back, with the definition stored once per version, not per dossier.

SpiffWorkflow's serializer embeds the whole definition in every instance (DESIGN.md: 29 KB → 13 KB when
it is stored once). We serialize specs once at deploy time, keep instance state without them, and give
the cached spec objects back when a dossier is loaded.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnSubWorkflowConverter, BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.dictionary import DictionaryConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION, BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.event_definition import MessageEventDefinitionConverter

from engine.decisions.bpmn_task import DECISION_SERIALIZER_CONFIG, register_data_types
from engine.runtime.message_events import PlatformMessage
from engine.runtime.timers import TIMER_CLASSES

STATE_FORMAT = f"motcua-1/spiff-{VERSION}"


def _tasks_to_dict(registry: DictionaryConverter, tasks: dict[UUID, Any]) -> dict[str, dict[str, Any]]:
    """What SpiffWorkflow 3.2 writes for a workflow's tasks (BpmnConverter.mapping_to_dict of TaskConverter.to_dict,
    through the registry), written here directly: the registry's dispatch for every task and for each of its
    values, and each task id formatted three or four times over, made 60 % of the time (~80 µs of a save of 15
    tasks). A task's data is written as what changed from its parent's, as there."""
    ids = {key: str(key) for key in tasks}
    convert = registry.convert
    written = {}
    for key, task in tasks.items():
        parent = tasks.get(task._parent)
        if parent is None:
            data, delta = task.data, {}
        else:
            before, after = parent.data, task.data
            data = {}
            delta = {"updates": {k: after[k] for k in after if k not in before or after[k] != before[k]},
                     "deletions": [k for k in before if k not in after]}
        internal = task.internal_data
        written[ids[key]] = {
            "id": ids[key],
            "parent": None if parent is None else ids[task._parent],
            "children": [ids.get(child) or str(child) for child in task._children],
            "last_state_change": task.last_state_change,
            "state": task.state,
            "task_spec": task.task_spec.name,
            "triggered": task.triggered,
            "internal_data": convert(internal) if internal else {},
            "data": data,
            "delta": delta,
            "typename": "Task",
        }
    return written


def _workflow_to_dict(registry: DictionaryConverter, workflow: BpmnWorkflow | BpmnSubWorkflow) -> dict[str, Any]:
    """SpiffWorkflow 3.2's WorkflowConverter.to_dict, the tasks written by `_tasks_to_dict`."""
    return {
        "data": registry.convert(registry.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": _tasks_to_dict(registry, workflow.tasks),
        "root": str(workflow.task_tree.id),
    }


class _SubWorkflowConverter(BpmnSubWorkflowConverter):
    def to_dict(self, workflow: BpmnSubWorkflow) -> dict[str, Any]:
        return {**_workflow_to_dict(self.registry, workflow), "parent_task_id": str(workflow.parent_task_id),
                "spec": workflow.spec.name}


class _StatelessSpecWorkflowConverter(BpmnWorkflowConverter):
    """Writes a workflow without its specs and restores it onto specs the caller already holds."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        # BpmnWorkflowConverter.to_dict without its specs: converting them only to drop them took half
        # the time of every save.
        dct = _workflow_to_dict(self.registry, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def restore_onto(
        self, dct: dict[str, Any], spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def serializer_config() -> dict[type, type]:
    config = dict(SPIFF_CONFIG)
    for cls in TIMER_CLASSES:
        config[cls] = TimerConditionalEventDefinitionConverter
    config[PlatformMessage] = MessageEventDefinitionConverter
    config.update(DECISION_SERIALIZER_CONFIG)
    return config


class WorkflowSerializer:
    def __init__(self) -> None:
        config = serializer_config()
        config.pop(BpmnWorkflow)
        config[BpmnSubWorkflow] = _SubWorkflowConverter
        registry = BpmnWorkflowSerializer.configure(config)
        self._state = _StatelessSpecWorkflowConverter(BpmnWorkflow, registry)
        # Task data holds dates and money; both must come back as the same types.
        register_data_types(registry)
        self.registry = registry
        # SpiffWorkflow leaves task data deltas to the JSON encoder to convert.
        self._encoder = create_encoder(registry)

    def spec_to_json(self, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
        dct = {
            "spec": self.registry.convert(spec),
            "subprocess_specs": {k: self.registry.convert(v) for k, v in subprocess_specs.items()},
        }
        return json.dumps(dct, sort_keys=True, separators=(",", ":"))

    def spec_from_json(self, text: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
        dct = json.loads(text)
        spec = self.registry.restore(dct["spec"])
        subprocess_specs = {k: self.registry.restore(v) for k, v in dct["subprocess_specs"].items()}
        return spec, subprocess_specs

    def state_to_json(self, workflow: BpmnWorkflow) -> str:
        return json.dumps(self._state.to_dict(workflow), separators=(",", ":"), cls=self._encoder)

    def state_from_json(
        self, text: str, spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]
    ) -> BpmnWorkflow:
        return self._state.restore_onto(json.loads(text), spec, subprocess_specs)

    def jsonable(self, data: Any) -> Any:
        """Task data as plain JSON values, dates and money tagged as in the engine state (for audit)."""
        return self.registry.convert(data)


@cache
def _data_registry() -> Any:
    return WorkflowSerializer().registry


def restore_data(data: Any) -> Any:
    """The inverse of `WorkflowSerializer.jsonable`: tagged dates and money back to `date` and `Decimal`."""
    return _data_registry().restore(data)
