"""What a text would be refused for when it runs, found before it runs (`motcua validate` agrees with the run).

The whitelist (`checker`) cannot know which functions exist: a call of a name that is no built-in and no
platform function, or of `datetime.now()`, passes it and fails at the first evaluation. Both are visible
in the text, since task data can never be called; they are reported here in the run's own words.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable

from engine.expressions.checker import Mode
from engine.expressions.library import BUILTINS, CLASS_METHODS, FORBIDDEN_CALLS
from engine.expressions.limits import Run
from engine.expressions.operations import refused_class_method, undefined
from engine.expressions.parsing import parse_python


def run_refusals(source: str, mode: Mode, functions: Iterable[str]) -> list[str]:
    """The refusals the run would give, as "line N: message"; texts that do not parse are `check`'s business."""
    text = textwrap.dedent(source)
    try:
        tree = parse_python(text.strip() if mode == "eval" else text, mode=mode)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return []
    known = frozenset(functions)
    # A name the text itself assigns (or loops over) is a value there, and its own error is the run's.
    assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store | ast.Del)}
    run = Run({}, dict.fromkeys(known))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name = func.id
            if name not in known and name not in BUILTINS and name not in FORBIDDEN_CALLS and name not in assigned:
                found.append(f"line {node.lineno}: {undefined(run, name)}")
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            owner = func.value.id
            allowed = CLASS_METHODS.get(owner, (None, frozenset()))[1]
            if owner in BUILTINS and owner not in assigned and func.attr not in allowed:
                found.append(f"line {node.lineno}: {refused_class_method(owner, func.attr)}")
    return found
