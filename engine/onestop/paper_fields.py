"""A paper cannot read a field its procedure never provides: the check deploy runs on every procedure.

What a paper of a procedure reads from the dossier's data:
- its template's own reads of `data` (`data.x`, `data.get("x")`, `data["x"]`), found in the template's syntax
  tree;
- for a result paper, the fields the registry's recorder of that procedure requires (`data["x"]` in the
  recorder and the helpers it calls), because the paper prints what the registry will hold.

What the procedure provides: the fields of the forms of its tasks (called processes included), the results
of its decisions, the names its scripts assign, and what a step fixes about its papers (their numbers, the
signer). Fields another procedure passes when it opens this one (`starts-dossier-data`) do not count: a
dossier of the procedure may also be opened on its own.

A missing field is a problem naming the template, the field and the procedure, so that a certificate that
prints an ID number no form asks for never reaches a department.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from jinja2 import nodes

from engine.expressions.parsing import parse_python
from engine.onestop import registry
from engine.onestop.documents import KINDS, TEMPLATES, _environment, kinds_asked
from engine.runtime.task_properties import properties_of

# Fixed by the step that issues a paper (engine.onestop.paper_numbers), never typed.
STEP_FIELDS = frozenset({k.number_field for k in KINDS.values() if k.number_field} | {"result_signer"})


@cache
def template_reads(kind: str) -> frozenset[str]:
    """The fields of the dossier's data the template of `kind` reads."""
    source = (TEMPLATES / f"{kind}.txt").read_text(encoding="utf-8")
    tree = _environment().parse(source)
    fields: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Call)):
        if isinstance(node, nodes.Getattr) and _is_data(node.node) and node.attr != "get":
            fields.add(node.attr)
        elif isinstance(node, nodes.Getitem) and _is_data(node.node) and isinstance(node.arg, nodes.Const):
            fields.add(str(node.arg.value))
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr == "get" \
                and _is_data(node.node.node) and node.args and isinstance(node.args[0], nodes.Const):
            fields.add(str(node.args[0].value))
    return frozenset(fields)


def _is_data(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "data"


@cache
def registry_reads(entry: str) -> frozenset[str]:
    """The fields the registry's recorder of `entry` (a procedure's `result.registry`) requires (`data["x"]`),
    helpers it calls included."""
    recorder = registry.RECORDERS.get(entry)
    if recorder is None:
        return frozenset()
    module = parse_python(inspect.getsource(registry))
    functions = {f.name: f for f in module.body if isinstance(f, ast.FunctionDef)}
    fields: set[str] = set()
    seen: set[str] = set()
    pending = [recorder.__name__]
    while pending:
        name = pending.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        for node in ast.walk(functions[name]):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in (
                    "data",) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
                fields.add(node.slice.value)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                pending.append(node.func.id)
    return frozenset(fields)


def _assigned(text: str) -> set[str]:
    try:
        tree = parse_python(textwrap.dedent(text))
    except SyntaxError:
        return set()  # the expression check reports it
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def provided_fields(specs: Iterable[Any], forms_of: Mapping[str, Iterable[str]]) -> set[str]:
    """What the task specs of a procedure put into its data (`forms_of` maps a form name to its fields)."""
    fields = set(STEP_FIELDS)
    for spec in specs:
        for task in spec.task_specs.values():
            extensions = getattr(task, "extensions", {}) or {}
            fields.update(forms_of.get(properties_of(task).get("form", ""), ()))
            for text in (getattr(task, "script", None), extensions.get("preScript"), extensions.get("postScript")):
                if text:
                    fields |= _assigned(text)
            decision = getattr(task, "decision_id", None)
            if decision:
                fields.add(getattr(task, "result_name", None) or task.model.result_key(decision))
    return fields


def issued_kinds(specs: Iterable[Any], result: str) -> dict[str, str]:
    """The paper kinds a procedure's tasks issue (`result`: its result paper), each with a task issuing it."""
    kinds: dict[str, str] = {}
    for spec in specs:
        for task in spec.task_specs.values():
            for kind in kinds_asked(properties_of(task), result):
                kinds.setdefault(kind, task.bpmn_id)
    return kinds


def missing_fields(specs: list[Any], forms_of: Mapping[str, Iterable[str]], result: str,
                   registry_entry: str) -> list[tuple[str, str, str]]:
    """(task id, template, field) for every field a paper of the procedure reads and nothing provides."""
    provided = provided_fields(specs, forms_of)
    missing = []
    for kind, task_id in sorted(issued_kinds(specs, result).items()):
        needed = set(template_reads(kind)) | (registry_reads(registry_entry) if KINDS[kind].result else set())
        missing.extend((task_id, f"{kind}.txt", name) for name in sorted(needed - provided))
    return missing
