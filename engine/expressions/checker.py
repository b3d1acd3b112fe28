"""The static check: every node of the syntax tree must be of a whitelisted kind.

Run at deploy time (an unsafe diagram is refused before it runs) and again before the first evaluation
of any text. Names and attributes starting with '_' are refused outright: every known escape from a
Python sandbox goes through a dunder (`__class__`, `__globals__`, `__subclasses__`, `__builtins__`).
"""

from __future__ import annotations

import ast
from typing import Literal

from engine.expressions.library import FORBIDDEN_CALLS, MUTATING_METHODS
from engine.expressions.limits import MAX_DEPTH, MAX_INT_BITS

Mode = Literal["eval", "exec"]
Problem = tuple[int, str]

_OPERATORS = (ast.operator, ast.unaryop, ast.cmpop, ast.boolop, ast.expr_context)

EXPRESSION_NODES: frozenset[type[ast.AST]] = frozenset({
    ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Dict, ast.Set, ast.ListComp,
    ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.Compare, ast.Call, ast.FormattedValue, ast.JoinedStr,
    ast.Constant, ast.Attribute, ast.Subscript, ast.Starred, ast.Name, ast.List, ast.Tuple, ast.Slice,
    ast.comprehension, ast.keyword,
})
SCRIPT_NODES = EXPRESSION_NODES | {
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.If, ast.For, ast.Pass, ast.Break, ast.Continue,
    ast.Delete,
}

_FORBIDDEN: dict[type[ast.AST], str] = {
    ast.Import: "'import' is not allowed",
    ast.ImportFrom: "'from … import' is not allowed",
    ast.FunctionDef: "defining functions ('def') is not allowed",
    ast.AsyncFunctionDef: "defining functions ('async def') is not allowed",
    ast.ClassDef: "defining classes ('class') is not allowed",
    ast.Lambda: "'lambda' is not allowed",
    ast.While: "'while' loops are not allowed: use 'for' over a list or a range",
    ast.Global: "'global' is not allowed",
    ast.Nonlocal: "'nonlocal' is not allowed",
    ast.Try: "'try' is not allowed",
    ast.TryStar: "'try' is not allowed",
    ast.With: "'with' is not allowed",
    ast.AsyncWith: "'async with' is not allowed",
    ast.AsyncFor: "'async for' is not allowed",
    ast.Yield: "'yield' is not allowed",
    ast.YieldFrom: "'yield from' is not allowed",
    ast.Await: "'await' is not allowed",
    ast.Raise: "'raise' is not allowed",
    ast.Assert: "'assert' is not allowed",
    ast.Return: "'return' is not allowed",
    ast.NamedExpr: "the ':=' operator is not allowed",
    ast.AnnAssign: "annotated assignment ('x: int = …') is not allowed",
    ast.Match: "'match' is not allowed",
}

_CONSTANT_TYPES = (bool, int, float, str, type(None))


def find_problems(tree: ast.AST, mode: Mode) -> list[Problem]:
    """Every forbidden construct in the tree, with its line, in source order."""
    allowed = SCRIPT_NODES if mode == "exec" else EXPRESSION_NODES
    found: set[tuple[int, int, str]] = set()
    too_deep = False
    # (node, depth, line, column, inside a for loop): iterative, so a deep tree cannot exhaust the stack.
    stack: list[tuple[ast.AST, int, int, int, bool]] = [(tree, 0, 1, 0, False)]
    while stack:
        node, depth, line, column, in_loop = stack.pop()
        line = getattr(node, "lineno", line)
        # An attribute's own name is at its end: `().__class__.__base__` should name `.__class__` first.
        column = getattr(node, "end_col_offset" if isinstance(node, ast.Attribute) else "col_offset", column)
        if depth > MAX_DEPTH:
            if not too_deep:  # once: every branch of a deep tree would say the same
                found.add((line, column, f"the text is nested too deeply (more than {MAX_DEPTH} levels)"))
                too_deep = True
            continue
        if isinstance(node, _OPERATORS):
            continue
        problem = _problem(node, allowed, mode, in_loop)
        if problem is not None:
            found.add((line, column, problem))
            if type(node) not in allowed:
                continue  # the body of a forbidden construct would only repeat the same complaint
        for child in ast.iter_child_nodes(node):
            child_in_loop = in_loop or (isinstance(node, ast.For) and child in node.body)
            stack.append((child, depth + 1, line, column, child_in_loop))
    return [(line, message) for line, _, message in sorted(found)]  # in reading order


def _problem(node: ast.AST, allowed: frozenset[type[ast.AST]], mode: Mode, in_loop: bool) -> str | None:
    if type(node) not in allowed:
        return _FORBIDDEN.get(type(node), f"'{type(node).__name__}' is not allowed")
    if isinstance(node, ast.Name):
        return _name_problem(node.id, "name")
    if isinstance(node, ast.Attribute):
        return _attribute_problem(node)
    if isinstance(node, ast.Call):
        return _call_problem(node, mode)
    if isinstance(node, ast.keyword):
        return None if node.arg is None else _name_problem(node.arg, "keyword argument")
    if isinstance(node, ast.Constant):
        return _constant_problem(node.value)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
        return "the '@' operator is not allowed"
    if isinstance(node, ast.Starred) and isinstance(node.ctx, ast.Store):
        return "starred assignment ('*x = …') is not allowed"
    if isinstance(node, ast.Break | ast.Continue) and not in_loop:
        return f"'{type(node).__name__.lower()}' outside a 'for' loop"
    if isinstance(node, ast.comprehension):
        if node.is_async:
            return "'async for' is not allowed"
        # `[0 for d["k"] in xs]` would let an expression write into task data.
        if not all(isinstance(n, ast.Name | ast.Tuple | ast.List | ast.Store) for n in ast.walk(node.target)):
            return "the variable of a comprehension must be a plain name, such as 'for x in …'"
    if isinstance(node, ast.Delete):
        for target in node.targets:
            if not isinstance(target, ast.Name | ast.Subscript | ast.Attribute):
                return "'del' takes a name, an item (x[k]) or a field (x.k)"
    return None


def _name_problem(name: str, what: str) -> str | None:
    if name.startswith("_"):
        return f"the {what} '{name}' is not allowed: names starting with '_' are reserved"
    return None


def _attribute_problem(node: ast.Attribute) -> str | None:
    if node.attr.startswith("_"):
        return f"the attribute '.{node.attr}' is not allowed: names starting with '_' are reserved"
    if node.attr in ("format", "format_map"):
        return f"'.{node.attr}()' is not allowed (its fields can reach hidden attributes): use an f-string"
    return None


def _call_problem(node: ast.Call, mode: Mode) -> str | None:
    func = node.func
    if any(keyword.arg is None for keyword in node.keywords):
        return "'**' unpacking in a call is not allowed"
    if isinstance(func, ast.Name):
        if func.id in FORBIDDEN_CALLS:
            return f"calling '{func.id}()' is not allowed"
        return None
    if isinstance(func, ast.Attribute):
        if mode == "eval" and func.attr in MUTATING_METHODS:
            return f"'.{func.attr}()' changes data: only scripts may change data, not expressions"
        return None
    return "only named functions and methods can be called, such as len(x) or x.get('k')"


def _constant_problem(value: object) -> str | None:
    if not isinstance(value, _CONSTANT_TYPES):
        return f"{type(value).__name__} literals are not allowed"
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        return f"the number has more than {MAX_INT_BITS:,} bits"
    return None
