"""Reading a DMN file (DMN 1.1 to 1.5) into dataclasses, every FEEL text compiled on the way.

Loading is where problems are found: malformed XML, an unknown namespace, a cell the evaluator does not
understand, a hit policy that cannot work (PRIORITY without output values, an aggregation over several
outputs), a required decision that does not exist, a cycle, a function that does not exist, a constant
part that is always null by a type error. Every problem names the file, the decision, and for a cell the
rule (id and 1-based number) and the column. Problems stay with their decision (`Definitions.broken`):
the other decisions of the file still load, and a decision that loads never fails to understand one of
its cells at run time. Boxed expressions (chapter 8) compile into closures like FEEL texts do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

from engine.runtime.problems import Problem, ValidationFailed

from .builtins import BUILTINS
from .errors import DecisionError, FeelSyntaxError
from .feel import (
    Expression,
    UnaryTests,
    base_check,
    compile_expression,
    compile_unary_tests,
    filter_list,
    iteration_items,
)
from .hit_policy import AGGREGATION_NAMES, HIT_POLICY_NAMES, Aggregation, HitPolicy
from .names import NameTable
from .scope import Function, Scope, collect_notes, invoke, note
from .values import base_type, coerce, show

DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}


def _version(namespace: str) -> str | None:
    """The DMN version of a namespace; http and https spellings are both seen in exported files."""
    return DMN_NAMESPACES.get(namespace) or DMN_NAMESPACES.get(
        namespace.replace("http://", "https://", 1)
        if namespace.startswith("http://")
        else namespace.replace("https://", "http://", 1)
    )


# The boxed expressions of DMN 1.5 chapter 8, by element name.
EXPRESSION_ELEMENTS = frozenset(
    {
        "literalExpression",
        "decisionTable",
        "context",
        "invocation",
        "relation",
        "list",
        "functionDefinition",
        "conditional",
        "filter",
        "for",
        "every",
        "some",
    }
)


NESTED_TOO_DEEPLY = "the text is nested too deeply"


@dataclass(frozen=True)
class DataType:
    """What a typeRef means to the evaluator: a FEEL base type to coerce to, and allowed values."""

    name: str | None
    base: str | None = None
    allowed: UnaryTests | None = None
    check: Callable[[Any], bool] | None = field(default=None, compare=False)  # collections, structures


@dataclass(frozen=True)
class InputClause:
    id: str
    label: str
    expression: Expression
    type: DataType
    allowed: UnaryTests | None


@dataclass(frozen=True)
class OutputClause:
    id: str
    name: str
    type: DataType
    allowed: UnaryTests | None
    default: Expression | None


@dataclass(frozen=True)
class Rule:
    id: str
    index: int  # 1-based, as an analyst counts rows
    input_entries: tuple[UnaryTests, ...]
    output_entries: tuple[Expression, ...]


@dataclass(frozen=True)
class DecisionTable:
    id: str
    hit_policy: HitPolicy
    aggregation: Aggregation | None
    inputs: tuple[InputClause, ...]
    outputs: tuple[OutputClause, ...]
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class LiteralExpression:
    id: str
    expression: Expression
    type: DataType | None = None  # the literal expression's own typeRef, when it has one

    def evaluate(self, scope: Scope) -> Any:
        value = self.expression.evaluate(scope)
        if self.type is None:
            return value
        return conform_or_null(value, self.type, f"literal expression (type {self.type.name})")


@dataclass(frozen=True)
class Boxed:
    """A boxed expression other than a decision table (context, invocation, list, relation,
    function definition, conditional, filter, iterator), compiled into one closure."""

    id: str
    kind: str
    evaluate: Callable[[Scope], Any] = field(repr=False)


Logic = DecisionTable | LiteralExpression | Boxed


@dataclass(frozen=True)
class InputData:
    id: str
    name: str
    type: DataType


@dataclass
class Decision:
    id: str
    name: str
    variable_name: str
    type: DataType
    logic: Logic
    required_decisions: tuple[str, ...] = ()  # ids, in document order

    @property
    def label(self) -> str:
        return f"decision '{self.id}'" if self.name == self.id else f"decision '{self.id}' ({self.name})"


@dataclass
class KnowledgeModel:
    """A business knowledge model: a function of its parameters, body a literal expression or table."""

    id: str
    name: str
    parameters: tuple[tuple[str, DataType], ...]
    function: Function = field(repr=False, compare=False)
    logic: Logic | None = None  # attached once every function name in the file is known


@dataclass
class DecisionService:
    """A decision service: a function of its input decisions and input data giving its output
    decisions (one value, or a context of them)."""

    id: str
    name: str
    outputs: tuple[str, ...]  # decision ids
    input_decisions: tuple[str, ...]
    input_data: tuple[str, ...]
    encapsulated: tuple[str, ...]
    function: Function = field(repr=False, compare=False)
    output_type: DataType | None = None  # the result type its function type (functionItem) declares


@dataclass
class Import:
    name: str
    namespace: str


@dataclass
class Definitions:
    filename: str
    namespace: str
    decisions: dict[str, Decision]
    knowledge_models: dict[str, KnowledgeModel]
    input_data: dict[str, InputData]
    source: str
    services: dict[str, DecisionService] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    broken: dict[str, list[Problem]] = field(default_factory=dict)  # decision id -> its problems
    names: set[str] = field(default_factory=set)
    imported: dict[str, Definitions] = field(default_factory=dict)  # by namespace
    variable_names: dict[str, str] = field(default_factory=dict)  # decision id -> its variable's name
    model_namespace: str = ""  # the `namespace` attribute, by which other models import this one


# One value per FEEL type, to try input cells against their column's type at load time.
_SAMPLES: dict[str, Any] = {
    "number": Decimal(0),
    "string": "",
    "boolean": False,
    "date": dt.date(2000, 1, 1),
    "date and time": dt.datetime(2000, 1, 1),
    "time": dt.time(0),
}


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local(child) == name]


def _child(element: Any, name: str) -> Any:
    found = _children(element, name)
    return found[0] if found else None


def _text(element: Any) -> str:
    """The FEEL text of an element with a <text> child (inputEntry, outputEntry, literalExpression...)."""
    if element is None:
        return ""
    text = _child(element, "text")
    return (text.text or "") if text is not None else ""


def _href_id(element: Any) -> str:
    href = element.get("href", "")
    return href.split("#", 1)[1] if "#" in href else href


_NAMED_ELEMENTS = frozenset(
    {
        "inputData",
        "decision",
        "businessKnowledgeModel",
        "decisionService",
        "variable",
        "formalParameter",
        "column",
        "itemDefinition",
        "itemComponent",
        "parameter",
    }
)


def declared_names(root: Any) -> set[str]:
    """Every name a DMN file declares (elements, variables, parameters, columns, type components,
    iterator variables): FEEL texts may use any of them, spaces included."""
    names: set[str] = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if _local(element) in _NAMED_ELEMENTS and element.get("name"):
            names.add(element.get("name"))
        if element.get("iteratorVariable"):
            names.add(element.get("iteratorVariable"))
    return names


def _expression_children(element: Any) -> list[Any]:
    return [child for child in element if _local(child) in EXPRESSION_ELEMENTS]


def _expression_child(element: Any) -> Any:
    found = _expression_children(element)
    return found[0] if found else None


def _null(scope: Scope) -> None:
    return None


def _runner(logic: Logic | None, label: str) -> Callable[[Scope], Any]:
    if logic is None:
        return _null
    if isinstance(logic, DecisionTable):
        from .evaluator import run_table

        return lambda scope: run_table(logic, scope, label)
    return logic.evaluate


def conform_or_null(value: Any, data_type: DataType, what: str) -> Any:
    """A value checked against a declared type: a value that does not conform becomes null
    (DMN 1.5 §7.3.2, type conformance), with a note saying why."""
    if value is None or (data_type.base is None and data_type.allowed is None and data_type.check is None):
        return value
    if data_type.check is not None:
        if data_type.check(value):
            return value
        if isinstance(value, list) and len(value) == 1 and data_type.check(value[0]):
            return value[0]
        if not isinstance(value, list) and data_type.check([value]):
            return [value]
        note(f"{what}: {show(value)} is not a {data_type.name}")
        return None
    if data_type.base is not None and isinstance(value, list) and len(value) == 1 and data_type.base != "list":
        value = value[0]
    try:
        value = coerce(value, data_type.base)
    except DecisionError as exc:
        note(f"{what}: {exc}")
        return None
    if data_type.allowed is not None and value is not None and not data_type.allowed.matches(value, Scope()):
        note(f"{what}: {show(value)} is not one of the allowed values {data_type.allowed.text}")
        return None
    return value


class _Reader:
    """One pass over a <definitions> element; collects problems instead of stopping at the first."""

    def __init__(
        self, root: Any, filename: str, source: str, imported: Mapping[str, Definitions] | None = None
    ) -> None:
        self.root = root
        self.filename = filename
        self.source = source
        self.namespace = etree.QName(root).namespace or ""
        self.problems: list[Problem] = []
        self.item_definitions = {item.get("name"): item for item in _children(root, "itemDefinition")}
        self._types: dict[str, DataType] = {}
        self.imported = imported or {}
        names = declared_names(root) | {e.get("name") or "" for e in _children(root, "import")}
        self.namespace_uri = root.get("namespace") or ""
        for definitions in self.imported.values():
            names |= definitions.names
        self.declared = names
        self.names = NameTable(names)
        self.functions: dict[str, Function] = dict(BUILTINS)
        for type_name in self.item_definitions:
            self.functions[f"type:{type_name}"] = Function(
                type_name, None, lambda value, name=type_name: self.type_check(name)(value)
            )
        self._checks: dict[str, Callable[[Any], bool]] = {}
        self.variable_names: dict[str, str] = {}

    def problem(self, element_id: str, message: str) -> None:
        self.problems.append(Problem(self.filename, element_id, message))

    # -- types -------------------------------------------------------------------------------------

    def data_type(self, type_ref: str | None, where: str) -> DataType:
        if not type_ref:
            return DataType(None)
        if type_ref in self._types:
            return self._types[type_ref]
        local = type_ref.split(":", 1)[1] if ":" in type_ref and type_ref not in self.item_definitions else type_ref
        item = self.item_definitions.get(local)
        result = DataType(type_ref, base_type(type_ref))
        self._types[type_ref] = result  # a placeholder while resolving, so a cycle of types ends
        if item is not None and item.get("isCollection") != "true" and not _children(item, "itemComponent"):
            inner_ref = _child(item, "typeRef")
            inner = (
                self.data_type(inner_ref.text.strip(), where)
                if inner_ref is not None and inner_ref.text and inner_ref.text.strip() != local
                else DataType(None)
            )
            allowed = _child(item, "allowedValues")
            allowed_tests = self.unary_tests(_text(allowed), where + " allowed values") if allowed is not None else None
            result = DataType(type_ref, inner.base, allowed_tests or inner.allowed)
        elif item is not None:
            result = DataType(type_ref, check=self.type_check(local))
        self._types[type_ref] = result
        return result

    def type_check(self, type_ref: str) -> Callable[[Any], bool]:
        """`instance of` a type the file defines: base type, collection, components (structural, extra
        entries allowed); allowed values are constraints on values, not part of the type."""
        if type_ref in self._checks:
            return self._checks[type_ref]
        self._checks[type_ref] = lambda value: True  # while resolving a recursive type
        item = self.item_definitions.get(type_ref)
        check = self._item_check(item) if item is not None else base_check(type_ref) or (lambda value: True)
        self._checks[type_ref] = check
        return check

    def _item_check(self, item: Any) -> Callable[[Any], bool]:
        components = _children(item, "itemComponent")
        if components:
            fields = [(c.get("name") or "", self._item_check(c)) for c in components]

            def element(value: Any) -> bool:
                return isinstance(value, dict) and all(
                    key in value and (value[key] is None or check(value[key])) for key, check in fields
                )

        elif _child(item, "functionItem") is not None:
            element = base_check("function") or (lambda value: True)
        else:
            inner = _child(item, "typeRef")
            name = (inner.text or "").strip() if inner is not None else ""
            element = (lambda value, name=name: self.type_check(name)(value)) if name else (lambda value: True)
        if item.get("isCollection") == "true":
            return lambda value: isinstance(value, list) and all(v is None or element(v) for v in value)
        return element

    # -- FEEL --------------------------------------------------------------------------------------

    def expression(self, text: str, where: str, element_id: str = "") -> Expression | None:
        try:
            return compile_expression(text, self.names, self.functions)
        except FeelSyntaxError as exc:
            self.problem(element_id, f"{where}: {exc}")
            return None
        except RecursionError:  # e.g. thousands of signs in a row: the parser recurses on each
            self.problem(element_id, f"{where}: {NESTED_TOO_DEEPLY}")
            return None

    def unary_tests(self, text: str, where: str, element_id: str = "") -> UnaryTests | None:
        try:
            return compile_unary_tests(text, self.names, self.functions)
        except FeelSyntaxError as exc:
            self.problem(element_id, f"{where}: {exc}")
            return None
        except RecursionError:  # e.g. thousands of signs in a row: the parser recurses on each
            self.problem(element_id, f"{where}: {NESTED_TOO_DEEPLY}")
            return None

    # -- decision logic ----------------------------------------------------------------------------

    def logic(self, owner: Any, owner_label: str, owner_id: str) -> Logic | None:
        element = _expression_child(owner)
        if element is None:
            self.problem(owner_id, f"{owner_label} has no decision logic (a decision table or an expression)")
            return None
        return self.boxed(element, owner_label, owner_id)

    def boxed(self, element: Any, label: str, owner_id: str) -> Logic | None:
        """Compile a boxed expression (DMN 1.5 chapter 8) into a Logic; None after a problem."""
        name = _local(element)
        if name == "decisionTable":
            return self.table(element, label, owner_id)
        if name == "literalExpression":
            expression = self.expression(_text(element), f"{label}, literal expression", owner_id)
            own_type = self.data_type(element.get("typeRef"), label) if element.get("typeRef") else None
            return LiteralExpression(element.get("id") or owner_id, expression, own_type) if expression else None
        before = len(self.problems)
        build = getattr(self, f"_boxed_{name}")
        evaluate = build(element, f"{label}, <{name}>", owner_id)
        if len(self.problems) > before or evaluate is None:
            return None
        return Boxed(element.get("id") or owner_id, name, evaluate)

    def _part(self, element: Any, part: str, label: str, owner_id: str) -> Callable[[Scope], Any]:
        """The expression inside a child element (`<if>`, `<in>`, `<return>`...), as a closure."""
        holder = _child(element, part)
        inner = _expression_child(holder) if holder is not None else None
        if inner is None:
            self.problem(owner_id, f"{label} has no <{part}> expression")
            return _null
        logic = self.boxed(inner, f"{label} <{part}>", owner_id)
        return _runner(logic, f"{label} <{part}>")

    def _boxed_context(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        entries: list[tuple[str | None, DataType, Callable[[Scope], Any]]] = []
        for number, entry in enumerate(_children(element, "contextEntry"), 1):
            variable = _child(entry, "variable")
            key = variable.get("name") if variable is not None else None
            data_type = self.data_type(variable.get("typeRef") if variable is not None else None, label)
            inner = _expression_child(entry)
            where = f"{label}, entry '{key or number}'"
            run = _runner(self.boxed(inner, where, owner_id), where) if inner is not None else _null
            entries.append((key, data_type, run))

        def evaluate(scope: Scope) -> Any:
            inner_scope = Scope(parent=scope)
            result: dict[str, Any] = {}
            for key, data_type, run in entries:
                value = run(inner_scope)
                if key is None:
                    return value
                value = conform_or_null(value, data_type, f"context entry '{key}'")
                inner_scope.bind(key, value)
                result[key] = value
            return result

        return evaluate

    def _boxed_list(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        runs = [
            _runner(self.boxed(item, f"{label} item {n}", owner_id), label)
            for n, item in enumerate(_expression_children(element), 1)
        ]
        return lambda scope: [run(scope) for run in runs]

    def _boxed_relation(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        columns = [c.get("name") or "" for c in _children(element, "column")]
        rows = []
        for number, row in enumerate(_children(element, "row"), 1):
            cells = _expression_children(row)
            if len(cells) != len(columns):
                self.problem(owner_id, f"{label}: row {number} has {len(cells)} cells for {len(columns)} columns")
                continue
            rows.append([_runner(self.boxed(cell, f"{label} row {number}", owner_id), label) for cell in cells])
        return lambda scope: [{column: run(scope) for column, run in zip(columns, row, strict=True)} for row in rows]

    def _boxed_invocation(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        callee_element = _expression_child(element)
        if callee_element is None:
            self.problem(owner_id, f"{label} names no function")
            return _null
        callee = _runner(self.boxed(callee_element, label, owner_id), label)
        bindings = []
        for binding in _children(element, "binding"):
            parameter = _child(binding, "parameter")
            name = parameter.get("name") if parameter is not None else ""
            inner = _expression_child(binding)
            where = f"{label}, parameter '{name}'"
            bindings.append((name, _runner(self.boxed(inner, where, owner_id), where) if inner is not None else _null))

        def evaluate(scope: Scope) -> Any:
            named = {name: run(scope) for name, run in bindings}
            return invoke(callee(scope), [], named, label)

        return evaluate

    def _boxed_functionDefinition(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        kind = element.get("kind") or "FEEL"
        if kind.upper() != "FEEL":
            self.problem(owner_id, f"{label}: {kind} functions are not supported, only FEEL")
            return _null
        parameters = [
            (p.get("name") or "", self.data_type(p.get("typeRef"), label))
            for p in _children(element, "formalParameter")
        ]
        body_element = _expression_child(element)
        body = _runner(self.boxed(body_element, label, owner_id), label) if body_element is not None else _null

        def define(scope: Scope) -> Function:
            def call(*args: Any) -> Any:
                inner = Scope(parent=scope)
                for (name, data_type), value in zip(parameters, args, strict=True):
                    converted = conform_or_null(value, data_type, f"parameter '{name}'")
                    if converted is None and value is not None:
                        return None  # an argument of the wrong type: the invocation is null
                    inner.bind(name, converted)
                return body(inner)

            return Function("function", tuple(name for name, _ in parameters), call)

        return define

    def _boxed_conditional(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        test = self._part(element, "if", label, owner_id)
        then = self._part(element, "then", label, owner_id)
        otherwise = self._part(element, "else", label, owner_id)

        def choose(scope: Scope) -> Any:
            condition = test(scope)
            if condition is not None and not isinstance(condition, bool):
                note(f"{label}: the condition {show(condition)} is not a boolean")
                return None
            return then(scope) if condition is True else otherwise(scope)

        return choose

    def _boxed_filter(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        source = self._part(element, "in", label, owner_id)
        match = self._part(element, "match", label, owner_id)
        return lambda scope: filter_list(source(scope), match, scope, strict=True)

    def _iterator(self, element: Any, label: str, owner_id: str, body: str) -> tuple[str, Any, Any]:
        variable = element.get("iteratorVariable") or ""
        return variable, self._part(element, "in", label, owner_id), self._part(element, body, label, owner_id)

    def _boxed_for(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        variable, source, body = self._iterator(element, label, owner_id, "return")

        def loop(scope: Scope) -> Any:
            items = iteration_items(source(scope))
            if items is None:
                return None
            results: list[Any] = []
            for item in items:
                inner = Scope(parent=scope)
                inner.bind(variable, item)
                inner.bind("partial", results)
                results.append(body(inner))
            return results

        return loop

    def _quantifier(self, element: Any, label: str, owner_id: str, every: bool) -> Callable[[Scope], Any]:
        variable, source, body = self._iterator(element, label, owner_id, "satisfies")

        def check(scope: Scope) -> Any:
            for item in iteration_items(source(scope)) or []:
                inner = Scope(parent=scope)
                inner.bind(variable, item)
                verdict = body(inner)
                if verdict is not None and not isinstance(verdict, bool):
                    note(f"{label}: {show(verdict)} is not a boolean")
                    return None
                if every and verdict is not True:
                    return False
                if not every and verdict is True:
                    return True
            return every

        return check

    def _boxed_every(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        return self._quantifier(element, label, owner_id, True)

    def _boxed_some(self, element: Any, label: str, owner_id: str) -> Callable[[Scope], Any]:
        return self._quantifier(element, label, owner_id, False)

    def table(self, element: Any, owner: str, owner_id: str) -> DecisionTable | None:
        before = len(self.problems)
        policy_text = (element.get("hitPolicy") or "UNIQUE").strip()
        policy = HIT_POLICY_NAMES.get(policy_text.upper())
        if policy is None:
            self.problem(owner_id, f"{owner}: unknown hit policy '{policy_text}'")
            policy = HitPolicy.UNIQUE
        aggregation = None
        if element.get("aggregation"):
            aggregation = AGGREGATION_NAMES.get(element.get("aggregation").strip().upper())
            if aggregation is None:
                self.problem(owner_id, f"{owner}: unknown aggregation '{element.get('aggregation')}'")
            elif policy is not HitPolicy.COLLECT:
                self.problem(owner_id, f"{owner}: aggregation {aggregation.value} needs hit policy COLLECT")

        inputs = []
        for number, clause in enumerate(_children(element, "input"), 1):
            inputs.append(self.input_clause(clause, number, owner, owner_id))
        outputs = []
        raw_outputs = _children(element, "output")
        for number, clause in enumerate(raw_outputs, 1):
            outputs.append(self.output_clause(clause, number, len(raw_outputs), owner, owner_id))
        if not raw_outputs:
            self.problem(owner_id, f"{owner}: the decision table has no output column")
        names = [o.name for o in outputs if o is not None]
        if len(names) != len(set(names)):
            self.problem(owner_id, f"{owner}: two output columns have the same name")
        if aggregation is not None and len(raw_outputs) > 1:
            self.problem(owner_id, f"{owner}: COLLECT {aggregation.value} needs exactly one output column")
        if policy.needs_output_values and not any(o is not None and o.allowed for o in outputs):
            self.problem(
                owner_id,
                f"{owner}: hit policy {policy.value} ranks rules by the output values, "
                "but no output column lists its values",
            )

        rules = []
        for index, rule in enumerate(_children(element, "rule"), 1):
            rules.append(self.rule(rule, index, inputs, outputs, owner, owner_id))
        if len(self.problems) > before:
            return None
        return DecisionTable(
            element.get("id") or owner_id,
            policy,
            aggregation,
            tuple(i for i in inputs if i is not None),
            tuple(o for o in outputs if o is not None),
            tuple(r for r in rules if r is not None),
        )

    def input_clause(self, clause: Any, number: int, owner: str, owner_id: str) -> InputClause | None:
        expression_element = _child(clause, "inputExpression")
        text = _text(expression_element)
        label = clause.get("label") or (text.strip() if text.strip() else "") or clause.get("id") or f"#{number}"
        where = f"{owner}, input '{label}'"
        expression = self.expression(text, f"{where}, input expression", owner_id)
        if expression is not None and not text.strip():
            self.problem(owner_id, f"{where}: the input expression is empty")
        data_type = self.data_type(expression_element.get("typeRef") if expression_element is not None else None, where)
        values = _child(clause, "inputValues")
        allowed = self.unary_tests(_text(values), f"{where}, input values", owner_id) if values is not None else None
        if expression is None:
            return None
        return InputClause(clause.get("id") or "", label, expression, data_type, allowed)

    def output_clause(self, clause: Any, number: int, count: int, owner: str, owner_id: str) -> OutputClause | None:
        name = clause.get("name") or ""
        if not name and count > 1:
            self.problem(owner_id, f"{owner}: output column {number} has no name (needed with several outputs)")
        label = name or clause.get("label") or clause.get("id") or f"#{number}"
        where = f"{owner}, output '{label}'"
        data_type = self.data_type(clause.get("typeRef"), where)
        values = _child(clause, "outputValues")
        allowed = self.unary_tests(_text(values), f"{where}, output values", owner_id) if values is not None else None
        default_element = _child(clause, "defaultOutputEntry")
        default = (
            self.expression(_text(default_element), f"{where}, default output", owner_id)
            if default_element is not None
            else None
        )
        return OutputClause(clause.get("id") or "", name, data_type, allowed, default)

    def rule(
        self,
        rule: Any,
        index: int,
        inputs: list[InputClause | None],
        outputs: list[OutputClause | None],
        owner: str,
        owner_id: str,
    ) -> Rule | None:
        rule_id = rule.get("id") or ""
        where = f"{owner}, rule {index} (id '{rule_id}')"
        input_entries = _children(rule, "inputEntry")
        output_entries = _children(rule, "outputEntry")
        if len(input_entries) != len(inputs) or len(output_entries) != len(outputs):
            self.problem(
                rule_id or owner_id,
                f"{where}: has {len(input_entries)} input and {len(output_entries)} output cells, "
                f"the table has {len(inputs)} inputs and {len(outputs)} outputs",
            )
            return None
        tests = []
        for entry, clause in zip(input_entries, inputs, strict=True):
            column = f"input '{clause.label}'" if clause else "input"
            test = self.unary_tests(_text(entry), f"{where}, {column}", rule_id or owner_id)
            if test is not None and clause is not None:
                self.check_entry_type(test, clause, f"{where}, {column}", rule_id or owner_id)
            tests.append(test)
        results = []
        for entry, output in zip(output_entries, outputs, strict=True):
            column = f"output '{output.name or output.id}'" if output else "output"
            expression = self.expression(_text(entry), f"{where}, {column}", rule_id or owner_id)
            if expression is not None and output is not None and expression.is_constant:
                self.check_constant_output(expression, output, f"{where}, {column}", rule_id or owner_id)
            results.append(expression)
        if any(t is None for t in tests) or any(r is None for r in results):
            return None
        return Rule(
            rule_id, index, tuple(t for t in tests if t is not None), tuple(r for r in results if r is not None)
        )

    def check_entry_type(self, test: UnaryTests, clause: InputClause, where: str, element_id: str) -> None:
        """An input cell comparing with a literal of another type than its column's ("High" under a number
        column) could never match; it is caught here rather than failing on every dossier."""
        sample = _SAMPLES.get(clause.type.base or "")
        if sample is None:
            return
        with collect_notes() as notes:
            verdict = test.verdict(sample, Scope())
        if any(n.startswith("no value named") for n in notes):
            return  # compares with data only known at run time
        if verdict is None:
            self.problem(element_id, f"{where}: {test.text.strip()} does not fit the column's type {clause.type.name}")

    def check_constant_output(self, expression: Expression, output: OutputClause, where: str, element_id: str) -> None:
        """A literal output cell that breaks its column's type or values list is caught at load time."""
        value = expression.node.value
        try:
            value = coerce(value, output.type.base)
            for allowed in (output.allowed, output.type.allowed):
                if allowed is not None and value is not None and not allowed.matches(value, Scope()):
                    self.problem(element_id, f"{where}: {show(value)} is not one of the output values {allowed.text}")
        except DecisionError as exc:
            self.problem(element_id, f"{where}: {exc}")

    # -- the file ----------------------------------------------------------------------------------

    def read(self) -> Definitions:
        input_data = {}
        for element in _children(self.root, "inputData"):
            variable = _child(element, "variable")
            name = element.get("name") or (variable.get("name") if variable is not None else "") or ""
            type_ref = variable.get("typeRef") if variable is not None else None
            input_data[element.get("id") or name] = InputData(
                element.get("id") or "", name, self.data_type(type_ref, f"input data '{name}'")
            )

        models: dict[str, KnowledgeModel] = {}
        bkm_elements = _children(self.root, "businessKnowledgeModel")
        for element in bkm_elements:
            name = element.get("name") or element.get("id") or ""
            logic = _child(element, "encapsulatedLogic")
            parameters = tuple(
                (p.get("name") or "", self.data_type(p.get("typeRef"), f"parameter '{p.get('name')}'"))
                for p in (_children(logic, "formalParameter") if logic is not None else [])
            )
            function = Function(name, tuple(p for p, _ in parameters))
            self.functions[name] = function
            models[element.get("id") or name] = KnowledgeModel(element.get("id") or "", name, parameters, function)
        for element in bkm_elements:
            model = models[element.get("id") or element.get("name") or ""]
            label = f"business knowledge model '{model.name}'"
            logic = _child(element, "encapsulatedLogic")
            if logic is None:
                self.problem(model.id, f"{label} has no encapsulated logic")
                continue
            model.logic = self.logic(logic, label, model.id)

        services = self.decision_services()
        broken: dict[str, list[Problem]] = {}
        decisions: dict[str, Decision] = {}
        for element in _children(self.root, "decision"):
            decision_id = element.get("id") or element.get("name") or ""
            name = element.get("name") or decision_id
            label = f"decision '{decision_id}'" if name == decision_id else f"decision '{decision_id}' ({name})"
            if not decision_id:
                self.problem("", "a decision has neither id nor name")
                continue
            if decision_id in decisions:
                self.problem(decision_id, f"two decisions have the id '{decision_id}'")
                continue
            before = len(self.problems)
            variable = _child(element, "variable")
            variable_name = (variable.get("name") if variable is not None else None) or name
            self.variable_names[decision_id] = variable_name
            type_ref = variable.get("typeRef") if variable is not None else None
            required = []
            for requirement in _children(element, "informationRequirement"):
                for reference in _children(requirement, "requiredDecision"):
                    namespace = reference.get("href", "").partition("#")[0]
                    if namespace and namespace != self.namespace_uri:
                        continue  # a decision of an imported model: read as `import name.decision`
                    required.append(_href_id(reference))
            logic = self.logic(element, label, decision_id)
            if logic is None or len(self.problems) > before:
                broken[decision_id] = self.problems[before:]
                continue
            decisions[decision_id] = Decision(
                decision_id, name, variable_name, self.data_type(type_ref, label), logic, tuple(required)
            )
        self.check_requirements(decisions)
        imports = [
            Import(element.get("name") or "", element.get("namespace") or "")
            for element in _children(self.root, "import")
            if element.get("namespace") in self.imported
        ]
        return Definitions(
            self.filename,
            self.namespace,
            decisions,
            models,
            input_data,
            self.source,
            services,
            imports,
            self.problems,
            broken,
            self.declared,
            dict(self.imported),
            self.variable_names,
            self.namespace_uri,
        )

    def decision_services(self) -> dict[str, DecisionService]:
        services = {}
        for element in _children(self.root, "decisionService"):
            name = element.get("name") or element.get("id") or ""

            def refs(kind: str, owner: Any = element) -> tuple[str, ...]:
                return tuple(_href_id(r) for r in _children(owner, kind))

            input_ids = refs("inputData")
            decision_inputs = refs("inputDecision")
            names_by_id = {
                e.get("id"): e.get("name") or "" for e in self.root if _local(e) in ("decision", "inputData")
            }
            # Input data first, then input decisions: the order the TCK's 0085 invokes services with.
            parameters = tuple(names_by_id.get(i, i) for i in (*input_ids, *decision_inputs))
            function = Function(name, parameters)
            self.functions[name] = function
            variable = _child(element, "variable")
            item = self.item_definitions.get(variable.get("typeRef") if variable is not None else None)
            signature = _child(item, "functionItem") if item is not None else None
            output_ref = signature.get("outputTypeRef") if signature is not None else None
            services[element.get("id") or name] = DecisionService(
                element.get("id") or "",
                name,
                refs("outputDecision"),
                decision_inputs,
                input_ids,
                refs("encapsulatedDecision"),
                function,
                self.data_type(output_ref, f"decision service '{name}'") if output_ref else None,
            )
        return services

    def check_requirements(self, decisions: dict[str, Decision]) -> None:
        all_ids = {e.get("id") for e in _children(self.root, "decision")}
        for decision in decisions.values():
            for required in decision.required_decisions:
                if required not in all_ids:
                    self.problem(
                        decision.id,
                        f"{decision.label} requires decision '{required}', which is not in the file",
                    )
        state: dict[str, int] = {}

        def visit(decision_id: str, path: list[str]) -> None:
            if state.get(decision_id) == 2 or decision_id not in decisions:
                return
            if state.get(decision_id) == 1:
                cycle = [*path[path.index(decision_id) :], decision_id]
                self.problem(decision_id, f"decisions require one another in a cycle: {' -> '.join(cycle)}")
                return
            state[decision_id] = 1
            for required in decisions[decision_id].required_decisions:
                visit(required, [*path, decision_id])
            state[decision_id] = 2

        for decision_id in decisions:
            visit(decision_id, [])


def read_definitions(
    source: bytes | str, filename: str, imported: Mapping[str, Definitions] | None = None
) -> Definitions:
    """Parse and compile a DMN file. A malformed or foreign file raises ValidationFailed; problems
    inside decisions are listed in `problems` (and per decision in `broken`), the rest still loads."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ValidationFailed([Problem(filename, "", f"malformed XML: {exc}")]) from None
    namespace = etree.QName(root).namespace or ""
    if etree.QName(root).localname != "definitions" or _version(namespace) is None:
        raise ValidationFailed(
            [
                Problem(
                    filename,
                    "",
                    f"not a DMN file: root element is {{{namespace}}}{etree.QName(root).localname}, "
                    "expected <definitions> in a DMN 1.1-1.5 namespace",
                )
            ]
        )
    text = source if isinstance(source, str) else data.decode("utf-8", errors="replace")
    return _Reader(root, filename, text, imported).read()


def _root(source: bytes | str) -> Any:
    data = source.encode("utf-8") if isinstance(source, str) else source
    try:
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None


def imports_of(source: bytes | str) -> list[str]:
    """The namespaces a DMN file imports (to find and load those models first)."""
    root = _root(source)
    return [] if root is None else [e.get("namespace") or "" for e in root if _local(e) == "import"]


def load_order(files: Mapping[str, bytes | str]) -> list[str]:
    """The names of DMN files in an order where each comes after the files it imports (by namespace);
    files in an import cycle keep their name order."""
    namespaces = {}
    for name, source in files.items():
        root = _root(source)
        if root is not None and root.get("namespace"):
            namespaces[root.get("namespace")] = name
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for namespace in imports_of(files[name]):
            if namespace in namespaces:
                visit(namespaces[namespace])
        ordered.append(name)

    for name in sorted(files):
        visit(name)
    return ordered


def imported_sources(definitions: Definitions) -> dict[str, str]:
    """The DMN texts a model imports, directly or not, by namespace: what a task must carry to
    evaluate the model again later."""
    found: dict[str, str] = {}
    pending = list(definitions.imported.items())
    while pending:
        namespace, imported = pending.pop()
        if namespace not in found:
            found[namespace] = imported.source
            pending.extend(imported.imported.items())
    return found
