"""check, evaluate and execute: parse once (cached), refuse what the whitelist does not allow, run."""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from engine.expressions.checker import Mode, Problem, find_problems
from engine.expressions.compiler import Code, compile_tree
from engine.expressions.errors import ExpressionError, UnsafeExpression
from engine.expressions.limits import MAX_SOURCE_LENGTH, Run, check_storable, guard
from engine.expressions.parsing import parse_python

_NO_FUNCTIONS: Mapping[str, Callable[..., Any]] = {}


@dataclass(frozen=True, slots=True)
class _Program:
    code: Code | None
    problems: tuple[Problem, ...] = ()
    unsafe: bool = False  # the problems are forbidden constructs, not syntax errors
    names: frozenset[str] = frozenset()  # every name the text mentions


def check(source: str, mode: Mode) -> list[str]:
    """Syntax and whitelist problems of a text, in plain words with their line; empty when it is safe."""
    _, problems, _ = _examine(source, mode)  # not cached: deploy-time texts need not be compiled
    return [f"line {line}: {message}" for line, message in problems]


def evaluate(
    expression: str,
    names: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Any:
    """The value of an expression over `names` (task data), which it cannot change."""
    program = _load(expression, "eval")
    assert program.code is not None
    result = program.code(Run(names, functions or _NO_FUNCTIONS))
    guard(result)  # the caller may compare, print or store it
    return result


def execute(
    script: str,
    names: MutableMapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> None:
    """Run a script; its assignments land in `names` (task data). Functions never land there."""
    program = _load(script, "exec")
    assert program.code is not None
    program.code(Run(names, functions or _NO_FUNCTIONS))
    # Whatever the script could reach, it reached through a name it mentions: check those values
    # once, at the end, rather than at every change.
    for name in program.names:
        if name in names:
            check_storable(names[name], name)


def _load(source: str, mode: Mode) -> _Program:
    if not isinstance(source, str):
        raise ExpressionError(f"expected text, got {type(source).__name__}")
    program = _program(source, mode)
    if program.code is None:
        line, message = program.problems[0]
        raise (UnsafeExpression if program.unsafe else ExpressionError)(message, line)
    return program


# A compiled text of the largest size takes about 1 MB: 512 of them bound the cache, and hold every
# text of every deployed procedure many times over.
@lru_cache(maxsize=512)
def _program(source: str, mode: Mode) -> _Program:
    # Cached on the text: the same condition runs for every dossier.
    tree, problems, unsafe = _examine(source, mode)
    if tree is None:
        return _Program(None, problems, unsafe)
    names = frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))
    return _Program(compile_tree(tree, mode), names=names)


def _examine(source: str, mode: Mode) -> tuple[ast.AST | None, tuple[Problem, ...], bool]:
    """The syntax tree when the text is safe, else its problems and whether they are forbidden constructs."""
    if len(source) > MAX_SOURCE_LENGTH:
        return None, ((1, f"the text is longer than {MAX_SOURCE_LENGTH:,} characters"),), False
    # XML indents the text of a script or condition; Python would refuse the indentation.
    text = textwrap.dedent(source)
    if mode == "eval":
        text = text.strip()
    try:
        tree = parse_python(text, mode=mode)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
        return None, *_unparsable(text, mode, err)
    problems = find_problems(tree, mode)
    if problems:
        return None, tuple(problems), True
    return tree, (), False


def _unparsable(text: str, mode: Mode, err: Exception) -> tuple[tuple[Problem, ...], bool]:
    if mode == "eval":
        # `import os` as a condition is a syntax error in eval mode; say what is wrong with it.
        try:
            statements = parse_python(text, mode="exec")
        except (SyntaxError, ValueError, MemoryError, RecursionError):
            pass
        else:
            problems = find_problems(statements, "exec")
            if problems:
                return tuple(problems), True
            return ((1, "expected an expression, not a statement"),), False
    if isinstance(err, SyntaxError):
        return ((err.lineno or 1, f"syntax error: {err.msg}"),), False
    if isinstance(err, ValueError):
        return ((1, str(err)),), False
    return ((1, "the text is nested too deeply"),), False
