"""`DecisionModel`: the decisions of one DMN file, evaluated against a dossier's data.

Result shapes (what `evaluate` returns; `evaluate_value` returns the bare DMN value instead, which is
also what a downstream decision sees under this decision's name):

- literal expression, or any other boxed expression (context, invocation, list, relation...):
  `{variable name: value}`, a context being a dict;
- decision table with one output: `{output name: value}`, where the output name is the output column's
  `name`, or the decision's variable name when the column has none; the value is a scalar for single hit
  policies and aggregations, and a list for COLLECT / RULE ORDER / OUTPUT ORDER;
- decision table with several outputs, single hit: `{output name: value, ...}` (all None when nothing
  matched and there are no defaults);
- decision table with several outputs, list policies: `{variable name: [{output name: value, ...}, ...]}`.

No rule matching is explicit (see `hit_policy`): defaults when the table has them, else None for
single hit, `[]` for lists, None for C+ C< C>, and 0 for C#. Any null comes with its reasons when the
caller collects notes (`explain`, `scope.collect_notes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.runtime.problems import Problem

from . import budget
from .budget import DecisionBudgetExceeded
from .errors import DecisionError
from .hit_policy import Aggregation, HitPolicy, aggregate, describe, select
from .model import (
    DataType,
    Decision,
    DecisionService,
    DecisionTable,
    Definitions,
    KnowledgeModel,
    Logic,
    OutputClause,
    conform_or_null,
)
from .scope import MISSING, Scope, collect_notes, note
from .values import coerce, show, to_feel


def _conform(value: Any, data_type: DataType, allowed: Any = None) -> Any:
    value = coerce(value, data_type.base)
    if value is not None:
        for tests in (allowed, data_type.allowed):
            if tests is not None and not tests.matches(value, _EMPTY):
                raise DecisionError(f"{show(value)} is not one of the allowed values {tests.text}")
    return value


_EMPTY = Scope()


class DecisionModel:
    """The compiled decisions of one DMN file. Immutable after loading and safe to share between
    threads; every evaluation builds its own scope."""

    def __init__(self, definitions: Definitions) -> None:
        self.definitions = definitions
        self.filename = definitions.filename
        self.source = definitions.source
        self._decisions = definitions.decisions
        self._by_name = {d.name: d for d in definitions.decisions.values()}
        self._typed_inputs = [data for data in definitions.input_data.values() if data.type.base or data.type.allowed]
        self.problems = list(definitions.problems)
        self._broken = definitions.broken
        for model in definitions.knowledge_models.values():
            model.function.implementation = self._bind_knowledge_model(model)
        for service in definitions.services.values():
            service.function.implementation = self._bind_service(service)
        self._services_by_name = {s.name: s for s in definitions.services.values()}
        self._imports = [
            (item.name, DecisionModel(definitions.imported[item.namespace])) for item in definitions.imports
        ]

    @property
    def decision_ids(self) -> list[str]:
        return list(self._decisions)

    @property
    def broken_ids(self) -> list[str]:
        """Decisions of the file that could not be read (their problems are in `problems`)."""
        return list(self._broken)

    def problems_of(self, decision_id: str) -> list[Problem]:
        return list(self._broken.get(decision_id, []))

    def explain(self, decision_id: str, context: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """`evaluate`, with the reasons for the nulls it gives (a type error, a missing value, a table
        where no rule matches), so a null fee or verdict can be shown with its cause."""
        with collect_notes() as notes:
            result = self.evaluate(decision_id, context)
        return result, notes

    def decision(self, decision_id: str) -> Decision:
        try:
            return self._decisions[decision_id]
        except KeyError:
            broken = self._broken.get(decision_id)
            if broken:
                raise DecisionError(
                    f"decision '{decision_id}' in {self.filename} cannot be evaluated: "
                    + "; ".join(p.message for p in broken)
                ) from None
            known = ", ".join(self._decisions) or "none"
            raise DecisionError(f"no decision '{decision_id}' in {self.filename} (decisions: {known})") from None

    def find(self, name_or_id: str) -> Decision | None:
        """A decision by id, else by name (TCK result nodes name decisions by name)."""
        return self._decisions.get(name_or_id) or self._by_name.get(name_or_id)

    def service(self, name_or_id: str) -> DecisionService | None:
        return self.definitions.services.get(name_or_id) or self._services_by_name.get(name_or_id)

    def invoke_service(self, name_or_id: str, context: Mapping[str, Any]) -> Any:
        """Invoke a decision service with inputs by name; its value (a context for several outputs)."""
        service = self.service(name_or_id)
        if service is None:
            raise DecisionError(f"no decision service '{name_or_id}' in {self.filename}")
        parameters = service.function.parameters or ()
        return service.function.invoke([to_feel(context.get(name)) for name in parameters], None)

    # -- public evaluation -------------------------------------------------------------------------

    def evaluate(self, decision_id: str, context: Mapping[str, Any]) -> dict[str, Any]:
        """Evaluate a decision (and the decisions it requires) against `context`; see the module doc
        for the shape. Raises DecisionError, whose message names the decision."""
        decision = self.decision(decision_id)
        with budget.evaluation():
            return self.result_of(decision_id, self._value(decision, self._scope(context), {}))

    def evaluate_value(self, decision_id: str, context: Mapping[str, Any]) -> Any:
        """The decision's DMN value: a scalar, a dict for several outputs, a list for list policies."""
        with budget.evaluation():
            return self._value(self.decision(decision_id), self._scope(context), {})

    def evaluate_each(
        self,
        decision_id: str,
        items: Sequence[Any],
        item_name: str,
        context: Mapping[str, Any] | None = None,
        aggregation: Aggregation | None = None,
    ) -> Any:
        """Evaluate a decision once per element of a list (a table has no iteration of its own), with the element
        bound to `item_name`, and collect the values like a COLLECT table: a list, or its SUM / MIN /
        MAX / COUNT. This is how a dossier's per-device fees are totalled."""
        decision = self.decision(decision_id)
        if not isinstance(items, Sequence) or isinstance(items, str | bytes):
            raise DecisionError(f"{decision.label}: '{item_name}' items must be a list, got {items!r}")
        base = self._scope(context or {})
        values = []
        for number, item in enumerate(items, 1):
            scope = Scope(parent=base)
            try:
                scope.bind(item_name, to_feel(item))
                with budget.evaluation():
                    value = self._value(decision, scope, {})
            except DecisionError as exc:
                raise DecisionError(f"{item_name} {number} of {len(items)}: {exc}") from None
            if value is None and aggregation in (Aggregation.SUM, Aggregation.MIN, Aggregation.MAX):
                raise DecisionError(
                    f"{item_name} {number} of {len(items)}: {decision.label} gives no value "
                    f"for {show(to_feel(item))}, so the {aggregation.value} cannot be taken"
                )
            values.append(value)
        if aggregation is None:
            return values
        return aggregate(aggregation, values, f"{decision.label} over each {item_name}")

    def result_key(self, decision_id: str) -> str:
        """The key under which `evaluate` puts a single value or a list of rows."""
        decision = self.decision(decision_id)
        logic = decision.logic
        if isinstance(logic, DecisionTable) and len(logic.outputs) == 1:
            return logic.outputs[0].name or decision.variable_name
        return decision.variable_name

    def result_of(self, decision_id: str, value: Any) -> dict[str, Any]:
        """Wrap a decision's DMN value in the documented result shape (module doc)."""
        decision = self.decision(decision_id)
        logic = decision.logic
        if isinstance(logic, DecisionTable) and len(logic.outputs) > 1 and logic.hit_policy.single_hit:
            if value is None:
                return {output.name: None for output in logic.outputs}
            return dict(value)
        return {self.result_key(decision_id): value}

    # -- internals ---------------------------------------------------------------------------------

    def _scope(self, context: Mapping[str, Any]) -> Scope:
        scope = Scope(context)
        for name, imported in self._imports:
            inputs = context.get(name)
            own = dict(inputs) if isinstance(inputs, Mapping) else {}
            for key, value in context.items():  # inputs addressed by namespace reach nested imports
                if key.startswith("{") and key not in own:
                    own[key] = value
            scope.bind(name, imported.exported(own))
        for data in self._typed_inputs:
            if data.name in context:
                scope.bind(
                    data.name, conform_or_null(to_feel(context[data.name]), data.type, f"input data '{data.name}'")
                )
        return scope

    def _value(self, decision: Decision, scope: Scope, memo: dict[str, Any]) -> Any:
        if decision.id in memo:
            return memo[decision.id]
        budget.step()
        inner = scope
        if decision.required_decisions:
            inner = Scope(parent=scope)
            for required_id in decision.required_decisions:
                if required_id in memo:  # given (a decision service's input decision) or already computed
                    inner.bind(self.definitions.variable_names.get(required_id, required_id), memo[required_id])
                    continue
                required = self.decision(required_id)
                inner.bind(required.variable_name, self._value(required, scope, memo))
        value = self._run(decision.logic, inner, decision.label)
        logic = decision.logic
        if not isinstance(logic, DecisionTable) or logic.hit_policy.single_hit or logic.aggregation:
            value = conform_or_null(value, decision.type, f"{decision.label} (type {decision.type.name})")
        memo[decision.id] = value
        return value

    def _run(self, logic: Logic, scope: Scope, what: str) -> Any:
        if isinstance(logic, DecisionTable):
            return run_table(logic, scope, what)
        try:
            return logic.evaluate(scope)
        except DecisionBudgetExceeded:
            raise  # said once, not once per level of the calls it stopped
        except DecisionError as exc:
            raise DecisionError(f"{what}: {exc}") from None

    def exported(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """What an importing model sees under the import's name: decisions' values for the inputs
        given under that name (or under `{its namespace}`), and the business knowledge models and
        decision services."""
        by_namespace = context.get("{" + self.definitions.model_namespace + "}")
        if isinstance(by_namespace, Mapping):
            context = {**context, **by_namespace}
        scope = self._scope(context)
        values: dict[str, Any] = {}
        for model in self.definitions.knowledge_models.values():
            values[model.name] = model.function
        for service in self.definitions.services.values():
            values[service.name] = service.function
        for data in self.definitions.input_data.values():
            found = scope.find(data.name)
            values[data.name] = None if found is MISSING else found
        memo: dict[str, Any] = {}
        for decision in self._decisions.values():
            try:
                values[decision.name] = self._value(decision, scope, memo)
            except DecisionError:
                values[decision.name] = None
        return values

    def _bind_knowledge_model(self, model: KnowledgeModel) -> Any:
        label = f"business knowledge model '{model.name}'"

        def call(*args: Any) -> Any:
            scope = Scope()
            for (name, data_type), value in zip(model.parameters, args, strict=True):
                converted = conform_or_null(value, data_type, f"{label}, parameter '{name}'")
                if converted is None and value is not None:
                    return None  # an argument of the wrong type: the invocation is null (§10.3.2.9.4)
                scope.bind(name, converted)
                if "." in name:  # "Person.Gender": the expressions read it as a path, Person.Gender
                    head, *rest = name.split(".")
                    found = scope.find(head)
                    target = found if isinstance(found, dict) else {}
                    scope.bind(head, target)
                    for part in rest[:-1]:
                        target = target.setdefault(part, {})
                    target[rest[-1]] = converted
            if model.logic is None:
                raise DecisionError(f"{label} has no body")
            with budget.call(label):
                return self._run(model.logic, scope, label)

        return call

    def _bind_service(self, service: DecisionService) -> Any:
        label = f"decision service '{service.name}'"

        def call(*args: Any) -> Any:
            memo: dict[str, Any] = {}
            scope = Scope()
            decision_args = args[len(service.input_data) :]
            for decision_id, value in zip(service.input_decisions, decision_args, strict=False):
                decision = self._decisions.get(decision_id)
                converted = value if decision is None else conform_or_null(value, decision.type, decision.label)
                if converted is None and value is not None:
                    return None  # an argument of the wrong type: the invocation is null
                memo[decision_id] = converted
            for data_id, value in zip(service.input_data, args, strict=False):
                data = self.definitions.input_data.get(data_id)
                if data is not None:
                    converted = conform_or_null(value, data.type, f"input data '{data.name}'")
                    if converted is None and value is not None:
                        return None
                    scope.bind(data.name, converted)
            results = {}
            for decision_id in service.outputs:
                decision = self._decisions.get(decision_id)
                if decision is None:
                    raise DecisionError(f"{label}: output decision '{decision_id}' cannot be evaluated")
                results[decision.name] = self._value(decision, scope, memo)
            value = next(iter(results.values())) if len(results) == 1 else results
            if service.output_type is not None:
                value = conform_or_null(value, service.output_type, label)
            return value

        return call


def run_table(table: DecisionTable, scope: Scope, what: str) -> Any:
    """A decision table's value for the data in `scope` (see `hit_policy` for the shapes)."""
    values = []
    for clause in table.inputs:
        try:
            values.append(_conform(clause.expression.evaluate(scope), clause.type, clause.allowed))
        except DecisionError as exc:
            raise DecisionError(f"{what}, input '{clause.label}': {exc}") from None

    first_only = table.hit_policy is HitPolicy.FIRST
    matched = []
    for rule in table.rules:
        column = 0
        try:
            for column, test in enumerate(rule.input_entries):
                verdict = test.verdict(values[column], scope)
                if verdict is not True:
                    if verdict is None and values[column] is not None:
                        note(
                            f"{what}, rule {rule.index} (id '{rule.id}'), input '{table.inputs[column].label}': "
                            f"{test.text.strip()} cannot be applied to {show(values[column])}"
                        )
                    break
            else:
                matched.append(rule)
                if first_only:
                    break
        except DecisionError as exc:
            raise DecisionError(
                f"{what}, rule {rule.index} (id '{rule.id}'), input '{table.inputs[column].label}': {exc}"
            ) from None

    if not matched:
        note(f"{what}: no rule matches")
        return _no_match(table, scope, what)
    hits = [
        (
            rule.index,
            rule.id,
            _row(table, rule.output_entries, scope, f"{what}, rule {rule.index} (id '{rule.id}')"),
        )
        for rule in matched
    ]
    return select(
        table.hit_policy,
        table.aggregation,
        hits,
        lambda value: _priority(table, value),
        f"{what} ({describe(table.hit_policy, table.aggregation)})",
    )


def _row(table: DecisionTable, entries: Sequence[Any], scope: Scope, where: str) -> Any:
    outputs = table.outputs
    if len(outputs) == 1:
        return _output(outputs[0], entries[0], scope, where)
    return {clause.name: _output(clause, entry, scope, where) for clause, entry in zip(outputs, entries, strict=True)}


def _output(clause: OutputClause, entry: Any, scope: Scope, where: str) -> Any:
    try:
        return _conform(entry.evaluate(scope), clause.type, clause.allowed)
    except DecisionError as exc:
        raise DecisionError(f"{where}, output '{clause.name or clause.id}': {exc}") from None


def _priority(table: DecisionTable, value: Any) -> tuple[int, ...]:
    outputs = table.outputs
    row = [value] if len(outputs) == 1 else [value[o.name] for o in outputs]
    ranks = []
    for clause, item in zip(outputs, row, strict=True):
        if clause.allowed is not None:
            position = clause.allowed.position(item, _EMPTY)
            ranks.append(len(clause.allowed.tests) if position is None else position)
    return tuple(ranks)


def _no_match(table: DecisionTable, scope: Scope, what: str) -> Any:
    aggregation = table.aggregation
    if aggregation is Aggregation.COUNT:
        return to_feel(0)
    if not any(clause.default is not None for clause in table.outputs):
        if table.hit_policy.single_hit or aggregation is not None:
            return None
        return []
    defaults = [clause.default for clause in table.outputs]
    outputs = table.outputs
    if len(outputs) == 1:
        row = _output(outputs[0], defaults[0], scope, f"{what}, default output")
    else:
        row = {
            clause.name: None if default is None else _output(clause, default, scope, f"{what}, default output")
            for clause, default in zip(outputs, defaults, strict=True)
        }
    if table.hit_policy.single_hit or aggregation is not None:
        return row
    return [row]
