"""Runner for the DMN TCK (Technology Compatibility Kit) test files (`*-test-*.xml`, testCases.xsd).

Each result node of each test case is one outcome. The comparison goes through the public API: the
actual side is `DecisionModel.evaluate(...)`, the expected side is the TCK's value put in the same
documented shape by `DecisionModel.result_of(...)`.

Numbers compare exactly, except an expected number written with 15 or more significant digits: those are
double-precision results printed by the TCK's authors (0008 case 002 expects 562.707359373292 where the
exact value, checked at 100 digits, is 562.70735937326592...), so they match within a relative 1e-12.
Expected numbers of 8 to 14 significant digits are the authors' rounded or cut figures of irrational
results (0052 expects exp(4) = 54.59815003, 0100 expects 5 ** 2.55 = 60.58617166606): they match when
the exact value is within one unit of their last digit. Short figures (2, 1200, 64.32) must be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from lxml import etree

from engine.runtime.problems import ValidationFailed

from . import load_dmn
from .errors import DecisionError
from .evaluator import DecisionModel
from .model import Definitions, imports_of
from .temporal import parse_date, parse_date_and_time, parse_duration, parse_time
from .values import kind, show

_XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
_XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_RELATIVE_TOLERANCE = Decimal("1e-12")
_ROUNDED_DIGITS = 8
_NUMBER_TYPES = {"decimal", "double", "float", "integer", "int", "long", "short"}


@dataclass(frozen=True)
class Outcome:
    folder: str
    case_id: str
    decision: str
    passed: bool
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.folder} case {self.case_id} [{self.decision}]: {self.detail}"


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _children(element: Any, name: str) -> list[Any]:
    return [child for child in element if _local(child) == name]


def _scalar(element: Any) -> Any:
    if element.get(_XSI_NIL) == "true":
        return None
    text = element.text or ""
    type_name = (element.get(_XSI_TYPE) or "").split(":")[-1]
    if type_name in _NUMBER_TYPES:
        return Decimal(text.strip())
    if type_name == "boolean":
        return text.strip() == "true"
    parse = _TEMPORAL.get(type_name)
    if parse is not None:
        value = parse(text.strip())
        if value is None:
            raise ValueError(f"not a {type_name}: {text!r}")
        return value
    return text


_TEMPORAL = {"date": parse_date, "dateTime": parse_date_and_time, "time": parse_time, "duration": parse_duration}


def read_value(element: Any) -> Any:
    """A TCK valueType element (inputNode, expected, component, item) as a FEEL value."""
    if element.get(_XSI_NIL) == "true":
        return None
    lists = _children(element, "list")
    if lists:
        if lists[0].get(_XSI_NIL) == "true":
            return None
        return [read_value(item) for item in _children(lists[0], "item")]
    components = _children(element, "component")
    if components:
        return {c.get("name"): read_value(c) for c in components}
    values = _children(element, "value")
    if values:
        return _scalar(values[0])
    return None


def _number_matches(expected: Decimal, actual: Decimal) -> bool:
    if expected == actual:
        return True
    digits = len(expected.as_tuple().digits)
    if digits >= 15:
        return abs(actual - expected) <= abs(expected) * _RELATIVE_TOLERANCE
    exponent = expected.as_tuple().exponent
    if digits >= _ROUNDED_DIGITS and isinstance(exponent, int):
        return abs(actual - expected) < Decimal(1).scaleb(exponent)
    return False


def same(expected: Any, actual: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if kind(expected) != kind(actual):
        return False
    if isinstance(expected, Decimal):
        return _number_matches(expected, actual)
    if isinstance(expected, dict):
        return expected.keys() == actual.keys() and all(same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual, strict=True))
    return bool(expected == actual)


def _run_result_node(model: DecisionModel, node: Any, inputs: dict[str, Any], service: str | None) -> tuple[bool, str]:
    """One result node. An expected error (`errorResult`) is met by an error or by null, the value
    FEEL gives for an error."""
    name = node.get("name") or ""
    decision = model.find(name)
    error_expected = node.get("errorResult") == "true"
    expected_elements = _children(node, "expected")
    try:
        expected_value = read_value(expected_elements[0]) if expected_elements else None
    except (ValueError, InvalidOperation) as exc:
        return False, f"cannot read the expected value: {exc}"
    try:
        if service is not None:
            actual = model.invoke_service(service, inputs)
            found = model.service(service)
            if found is not None and len(found.outputs) > 1 and isinstance(actual, dict):
                actual = actual.get(name)
            expected = expected_value
        elif decision is None:
            return (True, "") if error_expected else (False, f"no decision named '{name}' in the model")
        else:
            actual = model.evaluate(decision.id, inputs)
            expected = model.result_of(decision.id, expected_value)
    except DecisionError as exc:
        return (True, "") if error_expected else (False, f"error: {_first_line(str(exc))}")
    if error_expected:
        nothing = actual is None or (isinstance(actual, dict) and all(v is None for v in actual.values()))
        return (True, "") if nothing else (False, f"expected an error, got {_short(show(actual))}")
    if same(expected, actual):
        return True, ""
    return False, f"expected {_short(show(expected))}, got {_short(show(actual))}"


def _first_line(text: str) -> str:
    return _short(text.splitlines()[0] if text else text)


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _test_files(model_path: Path) -> Iterator[Path]:
    for candidate in sorted(model_path.parent.glob("*-test-*.xml")):
        root = etree.parse(str(candidate)).getroot()
        model_names = _children(root, "modelName")
        model_name = (model_names[0].text or "").strip() if model_names else ""
        if model_name in ("", model_path.name):
            yield candidate


def _namespace(path: Path) -> str:
    try:
        return etree.parse(str(path)).getroot().get("namespace") or ""
    except etree.XMLSyntaxError:
        return ""


def _load_folder_model(model_path: Path, loaded: dict[Path, Definitions]) -> DecisionModel:
    """Load a model and, first, the models of the same folder it imports (by namespace)."""
    siblings = {_namespace(p): p for p in model_path.parent.glob("*.dmn")}

    def definitions(path: Path, trail: tuple[Path, ...]) -> Definitions:
        if path not in loaded:
            source = path.read_bytes()
            imported = {
                namespace: definitions(siblings[namespace], (*trail, path))
                for namespace in imports_of(source)
                if namespace in siblings and siblings[namespace] not in trail
            }
            loaded[path] = load_dmn(source, path.name, strict=False, imported=imported).definitions
        return loaded[path]

    return DecisionModel(definitions(model_path, ()))


def _inputs(case: Any, namespace: str) -> dict[str, Any]:
    """A test case's input values; one addressed to an imported model's namespace goes under
    `{namespace}`, where that model looks for its inputs."""
    inputs: dict[str, Any] = {}
    for node in _children(case, "inputNode"):
        target = node.get("namespace")
        if target and target != namespace:
            inputs.setdefault("{" + target + "}", {})[node.get("name")] = read_value(node)
        else:
            inputs[node.get("name")] = read_value(node)
    return inputs


def run_tck(path: Path) -> list[Outcome]:
    """Run every TCK test file found under `path` against the `.dmn` model it names."""
    outcomes: list[Outcome] = []
    loaded: dict[Path, Definitions] = {}
    for model_path in sorted(Path(path).rglob("*.dmn")):
        folder = model_path.parent.name
        tests = list(_test_files(model_path))
        if not tests:
            continue
        load_error = ""
        model = None
        try:
            model = _load_folder_model(model_path, loaded)
        except ValidationFailed as failed:
            load_error = "model not loaded: " + _first_line("; ".join(p.message for p in failed.problems))
        for test_file in tests:
            root = etree.parse(str(test_file)).getroot()
            for case in _children(root, "testCase"):
                case_id = case.get("id") or "?"
                case_error = load_error
                try:
                    inputs = _inputs(case, model.definitions.model_namespace if model else "")
                except (ValueError, InvalidOperation) as exc:
                    inputs, case_error = {}, f"cannot read the inputs: {exc}"
                case_type = case.get("type") or "decision"
                service = case.get("invocableName") if case_type == "decisionService" else None
                for node in _children(case, "resultNode"):
                    decision = node.get("name") or "?"
                    if model is None or case_error:
                        outcomes.append(Outcome(folder, case_id, decision, False, case_error))
                    elif case_type not in ("decision", "decisionService"):
                        outcomes.append(
                            Outcome(folder, case_id, decision, False, f"test type {case_type} is not supported")
                        )
                    else:
                        passed, detail = _run_result_node(model, node, inputs, service)
                        outcomes.append(Outcome(folder, case_id, decision, passed, detail))
    return outcomes
