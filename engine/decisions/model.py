"""Reading a DMN file (DMN 1.1 to 1.5) into dataclasses, every FEEL text compiled on the way.

Loading is where problems are found: malformed XML, an unknown namespace, a cell the evaluator does not
understand, a hit policy that cannot work (PRIORITY without output values, an aggregation over several
outputs), a required decision that does not exist, a cycle. Every problem names the file, the decision,
and for a cell the rule (id and 1-based number) and the column, and all of them are raised together as
`ValidationFailed`; a table that loads never fails to understand one of its cells at run time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree

from engine.runtime.problems import Problem, ValidationFailed

from .errors import DecisionError, FeelSyntaxError
from .feel import (
    BUILTINS,
    Expression,
    Function,
    NameTable,
    Scope,
    UnaryTests,
    UnknownName,
    compile_expression,
    compile_unary_tests,
)
from .hit_policy import AGGREGATION_NAMES, HIT_POLICY_NAMES, Aggregation, HitPolicy
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


_UNSUPPORTED_LOGIC = (
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
    "iterator",
)


NESTED_TOO_DEEPLY = "the text is nested too deeply"


@dataclass(frozen=True)
class DataType:
    """What a typeRef means to the evaluator: a FEEL base type to coerce to, and allowed values."""

    name: str | None
    base: str | None = None
    allowed: UnaryTests | None = None


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


Logic = DecisionTable | LiteralExpression


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
class Definitions:
    filename: str
    namespace: str
    decisions: dict[str, Decision]
    knowledge_models: dict[str, KnowledgeModel]
    input_data: dict[str, InputData]
    source: str


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


class _Reader:
    """One pass over a <definitions> element; collects problems instead of stopping at the first."""

    def __init__(self, root: Any, filename: str, source: str) -> None:
        self.root = root
        self.filename = filename
        self.source = source
        self.namespace = etree.QName(root).namespace or ""
        self.problems: list[Problem] = []
        self.item_definitions = {item.get("name"): item for item in _children(root, "itemDefinition")}
        self._types: dict[str, DataType] = {}
        names: set[str] = set()
        for kind in ("inputData", "decision", "businessKnowledgeModel"):
            for element in _children(root, kind):
                names.add(element.get("name") or "")
                variable = _child(element, "variable")
                if variable is not None:
                    names.add(variable.get("name") or "")
        for bkm in _children(root, "businessKnowledgeModel"):
            logic = _child(bkm, "encapsulatedLogic")
            if logic is not None:
                names.update(p.get("name") or "" for p in _children(logic, "formalParameter"))
        self.names = NameTable(names)
        self.functions: dict[str, Function] = dict(BUILTINS)

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
            result = DataType(type_ref)
        self._types[type_ref] = result
        return result

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
        for child in owner:
            name = _local(child)
            if name == "decisionTable":
                return self.table(child, owner_label, owner_id)
            if name == "literalExpression":
                expression = self.expression(_text(child), f"{owner_label}, literal expression", owner_id)
                return LiteralExpression(child.get("id") or owner_id, expression) if expression else None
            if name in _UNSUPPORTED_LOGIC:
                self.problem(
                    owner_id,
                    f"{owner_label} is a boxed <{name}>; this engine evaluates decision tables and "
                    "literal expressions (S-FEEL) only",
                )
                return None
        self.problem(owner_id, f"{owner_label} has no decision logic (a decision table or a literal expression)")
        return None

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
        try:
            test.matches(sample, Scope())
        except UnknownName:
            return  # compares with data only known at run time
        except DecisionError:
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

        decisions: dict[str, Decision] = {}
        for element in _children(self.root, "decision"):
            decision_id = element.get("id") or ""
            name = element.get("name") or decision_id
            label = f"decision '{decision_id}'" if name == decision_id else f"decision '{decision_id}' ({name})"
            if not decision_id:
                self.problem("", f"decision '{name}' has no id")
                continue
            if decision_id in decisions:
                self.problem(decision_id, f"two decisions have the id '{decision_id}'")
                continue
            variable = _child(element, "variable")
            variable_name = (variable.get("name") if variable is not None else None) or name
            type_ref = variable.get("typeRef") if variable is not None else None
            required = []
            for requirement in _children(element, "informationRequirement"):
                for reference in _children(requirement, "requiredDecision"):
                    required.append(_href_id(reference))
            logic = self.logic(element, label, decision_id)
            if logic is None:
                continue
            decisions[decision_id] = Decision(
                decision_id, name, variable_name, self.data_type(type_ref, label), logic, tuple(required)
            )
        self.check_requirements(decisions)
        return Definitions(self.filename, self.namespace, decisions, models, input_data, self.source)

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


def read_definitions(source: bytes | str, filename: str) -> Definitions:
    """Parse and compile a DMN file; raises ValidationFailed with every problem found."""
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
    reader = _Reader(root, filename, text)
    definitions = reader.read()
    if reader.problems:
        raise ValidationFailed(reader.problems)
    return definitions
