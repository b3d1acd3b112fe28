"""Parsing and checking a set of BPMN and DMN files before anything is stored.

Every problem names the file, the element id and says what is wrong in plain words; the caller gets the
whole list at once. Nothing here raises a traceback at the analyst.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.defaults import ManualTask, UserTask

from engine import expressions
from engine.access.roles import role_for_lane
from engine.decisions.model import load_order
from engine.expressions import ExpressionError
from engine.expressions.library import BUILTINS
from engine.expressions.parsing import parse_python
from engine.expressions.refusals import run_refusals
from engine.legal_time import event_dates
from engine.legal_time.business_calendar import BusinessCalendar, Duration
from engine.legal_time.clock import clock
from engine.legal_time.dossier_clock import other_clock_problems
from engine.legal_time.legal_clock import parse_phase_property
from engine.onestop.documents import KINDS as DOCUMENT_KINDS
from engine.onestop.registry import RECORDERS as REGISTRY_ENTRIES
from engine.runtime import bounded_json, completion_guard
from engine.runtime.bpmn_parser import MotcuaParser
from engine.runtime.forms import FormDefinition, load_form
from engine.runtime.horizon import BeyondHorizon, check_timer_text
from engine.runtime.message_events import KEY_PROPERTY, message_problems
from engine.runtime.problems import Problem, ValidationFailed
from engine.runtime.script_engine import PLATFORM_FUNCTIONS, platform_functions
from engine.runtime.task_properties import properties_of

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Constructs SpiffWorkflow cannot execute (it would reject them or silently run them differently).
UNSUPPORTED = {
    "complexGateway": "complex gateways are not executable by the engine",
    "compensateEventDefinition": "compensation events are not executable by the engine",
    "linkEventDefinition": "link events are not executable by the engine",
    "globalTask": "global tasks are not executable by the engine",
    "choreographyTask": "choreographies are not executable by the engine",
}

# Where a diagram carries text the engine evaluates, and in which mode.
EXPRESSION_XPATHS = (
    (".//bpmn:conditionExpression", "eval", "condition"),
    (".//bpmn:scriptTask/bpmn:script", "exec", "script"),
    (".//spiffworkflow:preScript", "exec", "pre-script"),
    (".//spiffworkflow:postScript", "exec", "post-script"),
    (".//bpmn:timeDate", "eval", "timer"),
    (".//bpmn:timeDuration", "eval", "timer"),
    (".//bpmn:timeCycle", "eval", "timer"),
    (".//bpmn:loopCardinality", "eval", "loop cardinality"),
    (".//bpmn:completionCondition", "eval", "completion condition"),
    (".//spiffworkflow:messagePayload", "eval", "message payload"),
    (".//bpmn:conditionalEventDefinition/bpmn:condition", "eval", "condition"),
)


# The largest procedure (st_staff_admission) is 38 KB with about 750 elements: fifty times that is enough.
MAX_XML_CHARS = 2_000_000
MAX_XML_ELEMENTS = 40_000
TIMER_KINDS = frozenset({"timeDate", "timeDuration", "timeCycle"})
PROCEDURE_FILE = "procedure.json"
_ELEMENT_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>")
# SpiffWorkflow's own words for some problems are an exception's repr or its internals: say them plainly.
_LIBRARY_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^NotImplementedError\('Unsupported Catch Event", re.S),
     "a boundary event needs an event definition (timer, message, error, escalation, signal, conditional or "
     "cancel); this one has none"),
    (re.compile(r"^A Service Task must have an operator"),
     "service tasks call outside services, which the platform does not run: make the step a user task, or wait "
     "for the outside system with a receive task (it answers through POST /api/v1/messages)"),
    (re.compile(r"^Data Store with name (.*) has no implementation", re.S),
     r"the data store '\1' is not supported by the engine: keep the data in the process data or in a form"),
    (re.compile(r"^Cannot resolve data(?:Input|Output)Association"),
     "a data association points at no data object of the process"),
    (re.compile(r"^(\w+(?:Error|Exception))\(", re.S),
     r"the engine cannot read this element (\1): it uses a construct the engine does not support"),
)


def plain_words(message: str) -> str:
    """The library's message as words an analyst can act on, never an exception's repr."""
    for pattern, words in _LIBRARY_WORDS:
        match = pattern.match(message)
        if match:
            return match.expand(words)
    return _ELEMENT_REPR.sub(lambda m: f"bpmn:{m.group(1)}", message)


@dataclass
class ParsedBundle:
    parser: MotcuaParser
    files: dict[str, str]
    problems: list[Problem] = field(default_factory=list)
    process_files: dict[str, str] = field(default_factory=dict)
    executable: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    forms: dict[str, FormDefinition] = field(default_factory=dict)

    def form_path(self, bpmn_file: str, name: str) -> str | None:
        """Where the form a task names lives: beside its diagram, else in the shared forms."""
        folder = posixpath.dirname(bpmn_file)
        top = bpmn_file.split("/", 1)[0] if "/" in folder else ""
        for candidate in (posixpath.join(folder, "forms", f"{name}.json"),
                          posixpath.join(top, "shared", "forms", f"{name}.json")):
            if candidate in self.forms:
                return candidate
        return None

    def specs(self, process_id: str) -> tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]:
        return self.parser.get_spec(process_id), self.parser.get_subprocess_specs(process_id)


def _owner_id(node: etree._Element) -> str:
    """The id of the flow element an expression belongs to (not of the expression or event definition)."""
    node = node.getparent()
    while node is not None:
        if node.get("id") and not node.tag.endswith("EventDefinition"):
            return node.get("id")
        node = node.getparent()
    return ""


def _xml_problem(name: str, err: etree.XMLSyntaxError) -> Problem:
    line = err.lineno if err.lineno else "?"
    return Problem(name, "", f"the file is not well-formed XML (line {line}): {err.msg}")


def _spiff_problem(name: str, err: SpiffWorkflowException) -> Problem:
    element = getattr(err, "id", "") or getattr(getattr(err, "task_spec", None), "bpmn_id", "") or ""
    message = str(err.args[0]) if err.args else err.__class__.__name__
    notes = [n for n in getattr(err, "__notes__", []) if n]
    if notes:
        message = f"{message} ({'; '.join(notes)})"
    return Problem(getattr(err, "file_name", "") or name, element or "", plain_words(message))


def _check_tree(name: str, tree: etree._Element) -> list[Problem]:
    problems = []
    for tag, message in UNSUPPORTED.items():
        for node in tree.iter(f"{{{BPMN_NS}}}{tag}"):
            element = node.get("id") if not tag.endswith("EventDefinition") else _owner_id(node)
            problems.append(Problem(name, element or _owner_id(node), message))
    for node in tree.xpath(".//bpmn:scriptTask[.//spiffworkflow:preScript or .//spiffworkflow:postScript]",
                           namespaces=NS):
        problems.append(Problem(name, node.get("id", ""), "pre- and post-scripts of a script task are never run "
                                                          "by the engine: put their statements in the script"))
    for node in tree.xpath(".//bpmn:*[@id='Start' or @id='End']", namespaces=NS):
        problems.append(Problem(name, node.get("id"), f"the id '{node.get('id')}' is reserved by the engine "
                                                      "(its own start and end): choose another id"))
    for xpath, mode, what in EXPRESSION_XPATHS:
        for node in tree.xpath(xpath, namespaces=NS):
            text = (node.text or "").strip()
            if not text:
                continue
            kind = etree.QName(node).localname
            messages = expressions.check(text, mode) or (run_refusals(text, mode, PLATFORM_FUNCTIONS)
                                                         + _constant_problems(text, mode, kind))
            problems.extend(Problem(name, _owner_id(node), f"{what}: {message}") for message in messages)
    return problems


@cache
def _checked_functions() -> dict[str, Callable[..., Any]]:
    # The statutory calendar is enough to check ranges; built once (0.2 s).
    return {**platform_functions(BusinessCalendar()), "Decimal": BUILTINS["Decimal"].call}


def _constant_problems(text: str, mode: str, kind: str) -> list[str]:
    """What a constant in a safe text would stop every dossier with, in the words of the run time: a timer
    beyond the horizon, a platform function's range beyond it, a Decimal beyond the bounds of a number."""
    source = textwrap.dedent(text)
    tree = parse_python(source.strip() if mode == "eval" else source, mode=mode)
    problems = []
    body = getattr(tree, "body", None)
    if kind in TIMER_KINDS and isinstance(body, ast.Constant) and isinstance(body.value, str):
        try:
            check_timer_text(kind, body.value, clock.now())
        except BeyondHorizon as err:
            problems.append(f"line 1: {err}")
    functions = _checked_functions()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in functions
                and not node.keywords and all(isinstance(a, ast.Constant) for a in node.args)):
            try:
                functions[node.func.id](*(a.value for a in node.args))
            except ExpressionError as err:
                problems.append(f"line {node.lineno}: {err.message}")
            except (ValueError, ArithmeticError, TypeError) as err:
                problems.append(f"line {node.lineno}: {err}")
    return problems


def _text_constant(text: str) -> str | None:
    """The value of a timer text that is a quoted constant ('P10D'), which can be checked before it runs."""
    try:
        node = parse_python(text.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _check_spec(bundle: ParsedBundle, name: str, spec: BpmnProcessSpec) -> list[Problem]:
    problems = []
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, UserTask | ManualTask):
            label = task_spec.bpmn_name or task_spec.bpmn_id
            if not task_spec.lane:
                problems.append(Problem(name, task_spec.bpmn_id,
                                        f"user task '{label}' is in no lane, so no role would receive it"))
            elif role_for_lane(task_spec.lane) is None:
                problems.append(Problem(name, task_spec.bpmn_id,
                                        f"lane '{task_spec.lane}' of task '{label}' is not a known role"))
        problems.extend(Problem(name, task_spec.bpmn_id, message) for message in message_problems(task_spec))
        properties = properties_of(task_spec)
        problems.extend(Problem(name, task_spec.bpmn_id, message) for message in _property_problems(properties))
        linked = properties.get("starts-dossier")
        if linked and linked not in bundle.executable:
            problems.append(Problem(name, task_spec.bpmn_id, f"property starts-dossier: no executable process "
                                                             f"'{linked}' in the deployed files"))
        form = properties.get("form")
        if form and bundle.form_path(name, form) is None:
            problems.append(Problem(name, task_spec.bpmn_id, f"form '{form}' is neither in the diagram's forms/ "
                                                             "folder nor in shared/forms/"))
    return problems


def _paper_field_problems(bundle: ParsedBundle, pid: str, specs: list[BpmnProcessSpec]) -> list[Problem]:
    """Every field a paper of the procedure reads is provided by its forms, decisions or scripts."""
    from engine.onestop.paper_fields import missing_fields

    forms_of: dict[str, list[str]] = {}
    for spec in specs:
        for task in spec.task_specs.values():
            form = properties_of(task).get("form")
            path = bundle.form_path(bundle.process_files.get(spec.name, ""), form) if form else None
            if path is not None:
                forms_of[form] = [f.name for f in bundle.forms[path].fields]
    name = bundle.process_files[pid]
    return [Problem(name, task_id, f"paper template {template} reads the field '{field_name}', which no form, "
                                   f"decision or script of procedure '{pid}' provides")
            for task_id, template, field_name in missing_fields(specs, forms_of, _result_of(bundle, name, "kind"),
                                                                _result_of(bundle, name, "registry"))]


def _result_of(bundle: ParsedBundle, name: str, key: str) -> str:
    """What the procedure sheet beside the diagram says of its result: `kind` (the result paper) or
    `registry` (the registry entry it makes); both are checked by _check_result_paper."""
    try:
        sheet = json.loads(bundle.files.get(posixpath.join(posixpath.dirname(name), PROCEDURE_FILE), "{}"))
    except json.JSONDecodeError:
        return ""
    result = sheet.get("result") if isinstance(sheet, dict) else None
    value = result.get(key) if isinstance(result, dict) else None
    return value if isinstance(value, str) else ""


def _property_problems(properties: Mapping[str, str]) -> list[str]:
    """The platform's own properties (bpmn/README.md), checked so that a typo fails at deploy."""
    problems = []
    if "legal-phase" in properties:
        try:
            parse_phase_property(properties["legal-phase"])
        except ValueError as err:
            problems.append(f"property legal-phase: {err}")
    if "legal-total" in properties:
        try:
            Duration.parse(properties["legal-total"])
        except ValueError as err:
            problems.append(f"property legal-total: {err}")
    for name in ("starts-dossier-when", KEY_PROPERTY):
        if name in properties:
            text = properties[name]
            problems.extend(f"property {name}: {m}" for m in expressions.check(text, "eval")
                            or run_refusals(text, "eval", PLATFORM_FUNCTIONS))
    for entry in filter(None, (e.strip() for e in properties.get("documents", "").split(","))):
        kind = entry.rpartition(":")[2].strip()
        if kind != "result" and kind not in DOCUMENT_KINDS:
            problems.append(f"property documents: '{kind}' is not a kind of official paper "
                            f"({', '.join(sorted(DOCUMENT_KINDS))} or result)")
    problems.extend(completion_guard.property_problems(properties, expressions.check))
    problems.extend(other_clock_problems(dict(properties)))
    problems.extend(f"property event-date: {m}" for m in event_dates.property_problems(properties))
    if properties.get("clock", "pause") != "pause":
        problems.append(f"property clock: '{properties['clock']}' is not understood; the only value is 'pause'")
    return problems


def size_problem(name: str, text: str) -> Problem | None:
    """A diagram or table over the bounds, refused before it is parsed: a tree of a million elements costs
    hundreds of megabytes, whatever it says. Counting '<' is a bound on the elements without parsing."""
    if len(text) > MAX_XML_CHARS:
        return Problem(name, "", f"the file has {len(text):,} characters; the limit is {MAX_XML_CHARS:,}")
    tags = text.count("<")
    if tags > MAX_XML_ELEMENTS:
        return Problem(name, "", f"the file has about {tags:,} elements; the limit is {MAX_XML_ELEMENTS:,}")
    return None


def _check_result_paper(bundle: ParsedBundle, name: str, pid: str, specs: list[BpmnProcessSpec]) -> list[Problem]:
    """A procedure whose steps issue `result` names its result paper in its procedure sheet (`result.kind`,
    a result kind of engine.onestop.documents), and the registry entry it makes (`result.registry`, one of
    engine.onestop.registry's), so that no engine code needs to know either."""
    sheet_name = posixpath.join(posixpath.dirname(name), PROCEDURE_FILE)
    if sheet_name not in bundle.files:
        return []  # a shared part: the procedures that call it are checked
    try:
        sheet = bounded_json.loads(bundle.files[sheet_name])
    except ValueError as err:  # not JSON, or nested too deeply
        return [Problem(sheet_name, "", f"the procedure sheet is not valid JSON: {err}")]
    result = sheet.get("result") if isinstance(sheet, dict) else None
    kind = result.get("kind") if isinstance(result, dict) else None
    problems = []
    if kind is not None and (kind not in DOCUMENT_KINDS or not DOCUMENT_KINDS[kind].result):
        results = ", ".join(sorted(k for k, v in DOCUMENT_KINDS.items() if v.result))
        problems.append(Problem(sheet_name, "", f"result.kind: '{kind}' is not a kind of result paper ({results})"))
    entry = result.get("registry") if isinstance(result, dict) else None
    if entry is not None and entry not in REGISTRY_ENTRIES:
        problems.append(Problem(sheet_name, "", f"result.registry: '{entry}' is not a kind of registry entry "
                                                f"({', '.join(sorted(REGISTRY_ENTRIES))})"))
    for spec in specs:
        for task_spec in spec.task_specs.values():
            documents = properties_of(task_spec).get("documents", "")
            asks = any(e.rpartition(":")[2].strip() == "result" for e in documents.split(","))
            if asks and kind is None:
                problems.append(Problem(name, task_spec.bpmn_id, f"property documents: 'result' in procedure "
                                                                 f"'{pid}', whose {PROCEDURE_FILE} names no result "
                                                                 "paper (result.kind)"))
    return problems


def parse_bundle(files: Mapping[str, str | bytes]) -> ParsedBundle:
    """Parse and check every file; `files` maps a relative path to its content."""
    parser = MotcuaParser()
    texts = {n: c.decode("utf-8") if isinstance(c, bytes) else c for n, c in files.items()}
    bundle = ParsedBundle(parser=parser, files=dict(texts))
    trees: dict[str, etree._Element] = {}
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    for name in sorted(n for n in texts if _is_form(n)):
        try:
            bundle.forms[name] = load_form(bounded_json.loads(texts[name]), name=name)
        except ValueError as err:  # not JSON, or nested too deeply
            bundle.problems.append(Problem(name, "", f"the form is not valid JSON: {err}"))
        except ValidationFailed as failed:
            bundle.problems.extend(failed.problems)
    for name in sorted(n for n in texts if n.endswith((".bpmn", ".dmn"))):
        too_large = size_problem(name, texts[name])
        if too_large is not None:
            bundle.problems.append(too_large)
            continue
        try:
            trees[name] = etree.fromstring(texts[name].encode("utf-8"), xml_parser)
        except etree.XMLSyntaxError as err:
            bundle.problems.append(_xml_problem(name, err))

    for name in load_order({n: texts[n] for n in trees if n.endswith(".dmn")}):  # imported files first
        try:
            parser.add_dmn_xml(trees[name], filename=name)
        except ValidationFailed as failed:
            bundle.problems.extend(failed.problems)

    for name in sorted(n for n in trees if n.endswith(".bpmn")):
        tree = trees[name]
        if tree.tag != f"{{{BPMN_NS}}}definitions":
            bundle.problems.append(Problem(name, "", "the file is not a BPMN 2.0 diagram (no bpmn:definitions)"))
            continue
        bundle.problems.extend(_check_tree(name, tree))
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except SpiffWorkflowException as err:
            bundle.problems.append(_spiff_problem(name, err))
            continue
        for process in tree.iterfind(f"{{{BPMN_NS}}}process"):
            pid = process.get("id")
            bundle.process_files[pid] = name
            bundle.names[pid] = process.get("name") or pid
            if process.get("isExecutable", "true") == "true":
                bundle.executable.append(pid)

    for pid in sorted(bundle.process_files):
        name = bundle.process_files[pid]
        if pid not in bundle.executable:
            bundle.problems.append(Problem(name, pid, "the process is marked not executable (isExecutable=false): "
                                                      "it can be shown but the engine will not run it"))
            continue
        try:
            specs = [parser.get_spec(pid)]
            specs.extend(s for s in parser.get_subprocess_specs(pid).values() if s is not None)
        except SpiffWorkflowException as err:
            bundle.problems.append(_spiff_problem(name, err))
            continue
        except Exception as err:  # the library raises bare exceptions on some malformed input
            bundle.problems.append(Problem(name, pid, "the process could not be read: "
                                                      + plain_words(f"{type(err).__name__}({err})")))
            continue
        for spec in specs:
            bundle.problems.extend(_check_spec(bundle, bundle.process_files.get(spec.name, name), spec))
        bundle.problems.extend(_check_result_paper(bundle, name, pid, specs))
        bundle.problems.extend(_paper_field_problems(bundle, pid, specs))
    bundle.problems = sorted(set(bundle.problems))
    return bundle


def _is_form(name: str) -> bool:
    return name.endswith(".json") and posixpath.basename(posixpath.dirname(name)) == "forms"


def read_folder(root: Path) -> dict[str, str]:
    """Every diagram, table, form and procedure sheet below `root`, by path relative to it."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        wanted = path.suffix in (".bpmn", ".dmn") or _is_form(relative) or path.name == PROCEDURE_FILE
        if wanted and path.is_file():
            files[relative] = path.read_text(encoding="utf-8")
    return files


def validate_paths(paths: list[Path]) -> list[Problem]:
    files: dict[str, str] = {}
    for path in paths:
        if path.is_dir():
            files.update({f"{path.name}/{k}": v for k, v in read_folder(path).items()})
        elif not path.exists():
            return [Problem(str(path), "", "no such file")]
        else:
            try:
                files[str(path)] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                return [Problem(str(path), "", "the file is not UTF-8 text")]
            # A diagram checked alone still finds the forms beside it.
            for form in sorted((path.parent / "forms").glob("*.json")):
                files.setdefault((path.parent / "forms" / form.name).as_posix(), form.read_text(encoding="utf-8"))
    return parse_bundle(files).problems
