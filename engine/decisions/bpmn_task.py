"""Business rule tasks evaluated by our decision engine instead of SpiffWorkflow's.

Three pieces, each merged by the platform's parser and serializer set-up:

- `DecisionParserMixin` for a `SpiffBpmnParser` subclass: DMN files are loaded with `load_dmn` (every
  cell checked) and kept by decision id; the same id in two files is a problem.
- `BUSINESS_RULE_PARSER_OVERRIDES` for the parser's `OVERRIDE_PARSER_CLASSES`: `bpmn:businessRuleTask`
  becomes a `DecisionTask` calling `spiffworkflow:calledDecisionId`; a decision no loaded file defines
  is a parse error naming the task.
- `DECISION_SERIALIZER_CONFIG` for `BpmnWorkflowSerializer.configure(...)`, and
  `register_data_types(registry)` for the Decimal and date values decisions put in task data.

At run time the task evaluates the decision with the task's data and merges the result into it by name
(the shapes of `DecisionModel.evaluate`). The task spec carries the DMN file's text, so a dossier keeps
the tables of the version it started on; the text is compiled once per process and content hash.

Evaluating a table over a list (a FEEL `for` works too; this keeps the table as it is): with the task
properties (`spiffworkflow:properties`)

    decision-for-each     = devices        name (or dotted path) of a list in the task data
    decision-item         = device         name each element is bound to (default: item)
    decision-aggregation  = SUM            optional: SUM, MIN, MAX or COUNT, as a COLLECT table would
    decision-result       = appraisal_fee  optional: where to store the result

the decision is evaluated once per element and the values are stored, as a list or aggregated, under
`decision-result` (default: the decision's result key). Procedure 2 totals its per-device fees this way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask

from engine.runtime.problems import Problem, ValidationFailed

from . import load_dmn
from .builtins import feel_string
from .errors import DecisionError
from .evaluator import DecisionModel
from .hit_policy import AGGREGATION_NAMES, Aggregation, HitPolicy
from .model import DecisionTable, Definitions, imported_sources, imports_of, load_order
from .scope import collect_notes, note
from .temporal import (
    FarDate,
    PreciseDateTime,
    PreciseTime,
    YearsMonths,
    format_time,
    parse_date,
    parse_date_and_time,
    parse_time,
)
from .values import Range

FOR_EACH = "decision-for-each"
ITEM = "decision-item"
AGGREGATION = "decision-aggregation"
RESULT = "decision-result"
NOTES = "decision_notes"  # task data key: {decision id: [why a result is null, ...]}

_CACHE_SIZE = 64
_compiled: OrderedDict[str, DecisionModel] = OrderedDict()
_compiled_lock = threading.Lock()


def compiled_model(
    source: str, filename: str, digest: str | None = None, imports: Mapping[str, str] | None = None
) -> DecisionModel:
    """The DecisionModel of a DMN text (with the texts it imports, by namespace), compiled once per
    process and content hash."""
    imports = imports or {}
    if digest is None:
        hashed = hashlib.sha256(source.encode("utf-8"))
        for namespace in sorted(imports):
            hashed.update(namespace.encode("utf-8") + imports[namespace].encode("utf-8"))
        digest = hashed.hexdigest()
    with _compiled_lock:
        model = _compiled.get(digest)
    if model is None:
        model = load_dmn(source, filename, strict=False, imported=_imported(source, imports, ()))
        with _compiled_lock:
            _compiled[digest] = model
            while len(_compiled) > _CACHE_SIZE:
                _compiled.popitem(last=False)
    return model


def _imported(source: str, imports: Mapping[str, str], trail: tuple[str, ...]) -> dict[str, Definitions]:
    loaded = {}
    for namespace in imports_of(source):
        if namespace in imports and namespace not in trail:
            text = imports[namespace]
            nested = _imported(text, imports, (*trail, namespace))
            loaded[namespace] = load_dmn(text, namespace, strict=False, imported=nested).definitions
    return loaded


class DecisionParserMixin:
    """Mix into a `SpiffBpmnParser` subclass (before it in the bases) to load DMN with our engine."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decision_models: dict[str, DecisionModel] = {}
        self.models_by_namespace: dict[str, Definitions] = {}

    def add_dmn_source(self, source: bytes | str, filename: str | None = None) -> DecisionModel:
        """Load one DMN file; raises ValidationFailed (bad file, a decision id already loaded, or a
        decision that cannot be read). A decision with a problem does not keep the other decisions of
        its file from loading: tasks calling those still parse, only its own callers fail."""
        name = filename or "<dmn>"
        missing = [ns for ns in imports_of(source) if ns not in self.models_by_namespace]
        if missing:
            raise ValidationFailed(
                [
                    Problem(name, "", f"imports the model {ns}, which no DMN file loaded before it defines")
                    for ns in missing
                ]
            )
        imported = {ns: self.models_by_namespace[ns] for ns in imports_of(source)}
        model = load_dmn(source, name, strict=False, imported=imported)
        clashes = [
            Problem(
                name,
                decision_id,
                f"decision '{decision_id}' is also defined in {self.decision_models[decision_id].filename}",
            )
            for decision_id in model.decision_ids
            if decision_id in self.decision_models and self.decision_models[decision_id].filename != name
        ]
        if clashes:
            raise ValidationFailed(clashes)
        for decision_id in (*model.decision_ids, *model.broken_ids):
            self.decision_models[decision_id] = model
        if model.definitions.model_namespace:
            self.models_by_namespace[model.definitions.model_namespace] = model.definitions
        if model.problems:
            raise ValidationFailed(model.problems)
        return model

    def add_dmn_xml(self, node: Any, filename: str | None = None) -> None:
        self.add_dmn_source(etree.tostring(node, encoding="utf-8"), filename)

    def add_dmn_str(self, dmn_str: bytes | str, filename: str | None = None) -> None:
        self.add_dmn_source(dmn_str, filename)

    def add_dmn_io(self, file_like_object: IO[Any], filename: str | None = None) -> None:
        self.add_dmn_source(file_like_object.read(), filename)

    def add_dmn_file(self, filename: str) -> None:
        self.add_dmn_files([filename])

    def add_dmn_files(self, filenames: Iterable[str]) -> None:
        """Load files, each after the files it imports."""
        sources = {}
        for filename in filenames:
            with open(filename, "rb") as dmn_file:
                sources[str(filename)] = dmn_file.read()
        for filename in load_order(sources):
            self.add_dmn_source(sources[filename], filename)

    def find_decision(self, decision_id: str) -> DecisionModel | None:
        """The loaded model that defines `decision_id`, or None."""
        return self.decision_models.get(decision_id)


class DecisionTask(SpiffBpmnTask):
    """A business rule task evaluated by `engine.decisions`."""

    def __init__(
        self,
        wf_spec: Any,
        name: str,
        decision_id: str,
        dmn_source: str,
        dmn_filename: str,
        for_each: str | None = None,
        dmn_imports: dict[str, str] | None = None,
        item_name: str | None = None,
        aggregation: str | None = None,
        result_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(wf_spec, name, **kwargs)
        self.decision_id = decision_id
        self.dmn_source = dmn_source
        self.dmn_filename = dmn_filename
        self.dmn_imports = dmn_imports or {}  # the DMN texts the file imports, by namespace
        self.for_each = for_each
        self.item_name = item_name
        self.aggregation = aggregation
        self.result_name = result_name
        self._model: DecisionModel | None = None

    @property
    def model(self) -> DecisionModel:
        if self._model is None:
            self._model = compiled_model(self.dmn_source, self.dmn_filename, imports=self.dmn_imports)
        return self._model

    def decide(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The values this task writes into the task data."""
        model = self.model
        if self.for_each:
            items = _lookup(data, self.for_each)
            aggregation = Aggregation(self.aggregation) if self.aggregation else None
            value = model.evaluate_each(self.decision_id, items, self.item_name or "item", data, aggregation)
            return {self.result_name or model.result_key(self.decision_id): value}
        if self.result_name:
            return {self.result_name: model.evaluate_value(self.decision_id, data)}
        return model.evaluate(self.decision_id, data)

    def _run_hook(self, my_task: Any) -> bool:
        try:
            with collect_notes() as notes:
                result = {key: task_value(value) for key, value in self.decide(my_task.data).items()}
        except DecisionError as exc:
            raise WorkflowTaskException(str(exc), task=my_task, exception=exc) from exc
        my_task.data.update(result)
        explained = my_task.data.get(NOTES)
        if notes and _has_null(result):
            # A null fee or verdict stays in the data under its name; why it is null is kept beside it.
            explained = dict(explained) if isinstance(explained, dict) else {}
            explained[self.decision_id] = notes[:10]
            my_task.data[NOTES] = explained
        return bool(super()._run_hook(my_task))


def task_value(value: Any) -> Any:
    """A decision's value as task data keeps it (the dossier is saved as JSON): FEEL's own temporal
    and range values are registered with the serializer, times keep their microseconds, and a function
    (a FEEL lambda) cannot be kept, so it is null with a note."""
    if isinstance(value, dict):
        return {key: task_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [task_value(item) for item in value]
    if isinstance(value, PreciseDateTime):
        return dt.datetime.combine(value.date(), value.timetz())
    if isinstance(value, PreciseTime):
        return dt.time(value.hour, value.minute, value.second, value.microsecond, value.tzinfo)
    if callable(value) and not isinstance(value, Range):
        note(f"{value!r} is a function, which the dossier's data cannot keep")
        return None
    return value


def _has_null(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_null(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_null(item) for item in value)
    return value is None


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise DecisionError(f"'{path}' is not in the task data, so there is no list to evaluate for each")
        value = value[part]
    return value


class DecisionTaskParser(SpiffTaskParser):
    """Parses `bpmn:businessRuleTask` into a DecisionTask; needs a parser with `DecisionParserMixin`."""

    def create_task(self) -> DecisionTask:
        task_label = f"business rule task '{self.node.get('name') or self.bpmn_id}'"
        decision_id = self.get_decision_ref(self.node)
        if not decision_id:
            raise ValidationException(
                f"{task_label} names no decision (spiffworkflow:calledDecisionId)",
                node=self.node,
                file_name=self.filename,
            )
        parser = self.process_parser.parser
        model = parser.find_decision(decision_id) if hasattr(parser, "find_decision") else None
        if model is None:
            known = ", ".join(sorted(getattr(parser, "decision_models", {}))) or "none"
            raise ValidationException(
                f"{task_label} calls decision '{decision_id}', which no loaded DMN file defines "
                f"(loaded decisions: {known})",
                node=self.node,
                file_name=self.filename,
            )
        if decision_id in model.broken_ids:
            raise ValidationException(
                f"{task_label} calls decision '{decision_id}', which cannot be read: "
                + "; ".join(problem.message for problem in model.problems_of(decision_id)),
                node=self.node,
                file_name=self.filename,
            )
        extensions = self.parse_extensions()
        properties = extensions.get("properties", {})
        aggregation = self._aggregation(properties.get(AGGREGATION), model, decision_id, task_label)
        return self.spec_class(
            self.spec,
            self.bpmn_id,
            decision_id=decision_id,
            dmn_source=model.source,
            dmn_filename=model.filename,
            dmn_imports=imported_sources(model.definitions),
            for_each=properties.get(FOR_EACH) or None,
            item_name=properties.get(ITEM) or None,
            aggregation=aggregation,
            result_name=properties.get(RESULT) or None,
            prescript=extensions.get("preScript"),
            postscript=extensions.get("postScript"),
            **self.bpmn_attributes,
        )

    def _aggregation(self, text: str | None, model: DecisionModel, decision_id: str, task_label: str) -> str | None:
        if not text:
            return None
        aggregation = AGGREGATION_NAMES.get(text.strip().upper())
        if aggregation is None:
            raise ValidationException(
                f"{task_label}: {AGGREGATION} must be SUM, MIN, MAX or COUNT, not '{text}'",
                node=self.node,
                file_name=self.filename,
            )
        logic = model.decision(decision_id).logic
        several = isinstance(logic, DecisionTable) and (
            len(logic.outputs) > 1
            or not (logic.hit_policy.single_hit or logic.aggregation or logic.hit_policy is HitPolicy.COLLECT)
        )
        if several and aggregation is not Aggregation.COUNT:
            raise ValidationException(
                f"{task_label}: {aggregation.value} needs a decision with one value per item; "
                f"decision '{decision_id}' gives several outputs or a list",
                node=self.node,
                file_name=self.filename,
            )
        return aggregation.value

    @staticmethod
    def get_decision_ref(node: Any) -> str | None:
        return SpiffTaskParser._parse_extensions(node).get("calledDecisionId")


class DecisionTaskConverter(SpiffBpmnTaskConverter):
    def to_dict(self, spec: DecisionTask) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct.update(
            decision_id=spec.decision_id,
            dmn_source=spec.dmn_source,
            dmn_filename=spec.dmn_filename,
            dmn_imports=spec.dmn_imports,
            for_each=spec.for_each,
            item_name=spec.item_name,
            aggregation=spec.aggregation,
            result_name=spec.result_name,
        )
        return dct

    def from_dict(self, dct: dict[str, Any]) -> DecisionTask:
        spec: DecisionTask = self.task_spec_from_dict(dct)
        return spec


BUSINESS_RULE_PARSER_OVERRIDES: dict[str, tuple[type, type]] = {
    full_tag("businessRuleTask"): (DecisionTaskParser, DecisionTask),
}

DECISION_SERIALIZER_CONFIG: dict[type, type] = {DecisionTask: DecisionTaskConverter}


def register_data_types(registry: Any) -> None:
    """Teach a serializer registry the values decisions write into task data: Decimal (as exact text)
    and date (ISO). `datetime` is already known to SpiffWorkflow's default registry."""
    registry.register(Decimal, lambda value: {"value": str(value)}, lambda dct: Decimal(dct["value"]))
    registry.register(
        dt.date, lambda value: {"value": value.isoformat()}, lambda dct: dt.date.fromisoformat(dct["value"])
    )
    registry.register(dt.time, lambda value: {"value": format_time(value)}, lambda dct: parse_time(dct["value"]))
    registry.register(YearsMonths, lambda value: {"months": value.months}, lambda dct: YearsMonths(dct["months"]))
    registry.register(
        FarDate,
        lambda value: {"value": feel_string(value)},
        lambda dct: parse_date_and_time(dct["value"]) if "T" in dct["value"] else parse_date(dct["value"]),
    )
    registry.register(
        Range,
        lambda value: {
            "value": str(value),
            "bounds": registry.convert([value.start, value.end]),
            "flags": [value.start_closed, value.end_closed, value.unbounded_start, value.unbounded_end, value.only],
        },
        lambda dct: Range(*registry.restore(dct["bounds"]), *dct["flags"]),
    )
