"""The interpreter: every node of a checked syntax tree becomes a Python closure, once per text.

Closures rather than a visitor that dispatches on node type at every evaluation: the dispatch happens
once, when the text is first seen, and evaluating is calling nested functions. Nothing here hands the
text to eval, exec or compile. Every value that reaches C code which could run long (comparing, hashing,
printing, concatenating, repeating) goes through a guard from `limits` first.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, MutableMapping
from typing import Any, NamedTuple, cast

from engine.expressions.checker import Mode
from engine.expressions.errors import ExpressionError, UnsafeExpression
from engine.expressions.library import (
    BUILTINS,
    CLASS_METHODS,
    COMPARING_METHODS,
    STR_PRECHECKS,
    members,
)
from engine.expressions.limits import MAX_LENGTH, Run, check_assignable, check_result, guard, too_long
from engine.expressions.operations import (
    BINARY,
    COMPARE,
    CONVERSIONS,
    TRANSLATED,
    UNARY,
    arithmetic,
    charge_growth,
    compare,
    delete_item,
    format_value,
    no_method,
    read_attribute,
    refused_class_method,
    resolve_function,
    set_field,
    set_item,
    translate,
    type_name,
    undefined,
    unpack,
)

Code = Callable[[Run], Any]
Store = Callable[[Run, Any], None]


class _BreakLoop(BaseException):
    """Leaves a for loop. A BaseException, so no `except` meant for errors stops it on its way."""


class _ContinueLoop(BaseException):
    """Goes to the next pass of a for loop."""


def compile_tree(tree: ast.AST, mode: Mode) -> Code:
    compiler = _Compiler()
    if mode == "eval":
        assert isinstance(tree, ast.Expression)
        return compiler.expression_root(tree)
    assert isinstance(tree, ast.Module)
    return compiler.block(tree.body)


def _node_count(node: ast.AST) -> int:
    return sum(1 for _ in ast.walk(node))


def _own_cost(statement: ast.stmt) -> int:
    """Nodes of a statement without the statements nested in it, which count themselves."""
    return 1 + sum(
        _node_count(child) for child in ast.iter_child_nodes(statement) if not isinstance(child, ast.stmt)
    )


def _target_names(target: ast.AST) -> frozenset[str]:
    return frozenset(node.id for node in ast.walk(target) if isinstance(node, ast.Name))


class _Loop(NamedTuple):
    iterable: Code
    store: Store
    conditions: tuple[Code, ...]
    cost: int


def _run_comprehension(run: Run, loops: tuple[_Loop, ...], produce: Code) -> list[Any]:
    out: list[Any] = []
    saved = run.locals
    run.locals = dict(saved)  # comprehension variables live in their own scope, as in Python
    try:
        _fill(run, loops, 0, produce, out)
    finally:
        run.locals = saved
    return out


def _fill(run: Run, loops: tuple[_Loop, ...], level: int, produce: Code, out: list[Any]) -> None:
    loop = loops[level]
    last = level + 1 == len(loops)
    for item in loop.iterable(run):
        run.tick(loop.cost)
        loop.store(run, item)
        for condition in loop.conditions:
            if not condition(run):
                break
        else:
            if last:
                out.append(produce(run))
            else:
                _fill(run, loops, level + 1, produce, out)


def _pair(key: Code, value: Code) -> Code:
    return lambda run: (key(run), value(run))


def _build_set(run: Run, items: list[Any]) -> set[Any]:
    for item in items:
        if type(item) is tuple:
            guard(item)  # hashing a tuple walks it
    return check_result(run, set(items))


# ---------------------------------------------------------------- the compiler

class _Compiler:
    def __init__(self) -> None:
        # Names bound by the enclosing comprehensions: they read and write Run.locals, not task data.
        self.local_names: frozenset[str] = frozenset()

    def expression_root(self, tree: ast.Expression) -> Code:
        body = self.expr(tree.body)
        size = _node_count(tree)
        line = tree.body.lineno

        def expression(run: Run) -> Any:
            run.tick(size)
            try:
                return body(run)
            except ExpressionError as err:
                err.at_line(line)
                raise
            except TRANSLATED as err:
                raise translate(err, line) from err

        return expression

    # ------------------------------------------------------------ statements

    def block(self, statements: list[ast.stmt]) -> Code:
        codes = tuple(self.statement(s) for s in statements)
        if len(codes) == 1:
            return codes[0]

        def block(run: Run) -> None:
            for code in codes:
                code(run)

        return block

    def statement(self, node: ast.stmt) -> Code:
        code: Code = getattr(self, f"visit_{type(node).__name__}")(node)
        line = node.lineno
        cost = _own_cost(node)

        def statement(run: Run) -> None:
            run.tick(cost)
            try:
                code(run)
            except ExpressionError as err:
                err.at_line(line)
                raise
            except TRANSLATED as err:
                raise translate(err, line) from err

        return statement

    def visit_Expr(self, node: ast.Expr) -> Code:
        return self.expr(node.value)

    def visit_Pass(self, node: ast.Pass) -> Code:
        return lambda run: None

    def visit_Break(self, node: ast.Break) -> Code:
        def break_(run: Run) -> None:
            raise _BreakLoop

        return break_

    def visit_Continue(self, node: ast.Continue) -> Code:
        def continue_(run: Run) -> None:
            raise _ContinueLoop

        return continue_

    def visit_Assign(self, node: ast.Assign) -> Code:
        value = self.expr(node.value)
        stores = tuple(self.target(t) for t in node.targets)

        def assign(run: Run) -> None:
            result = value(run)
            for store in stores:
                store(run, result)

        return assign

    def visit_AugAssign(self, node: ast.AugAssign) -> Code:
        op = BINARY[type(node.op)]
        apply = op.apply_in_place
        value = self.expr(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            load = self.visit_Name(target)
            store = self.target(target)

            def augment_name(run: Run) -> None:
                store(run, arithmetic(run, op, apply, load(run), value(run)))

            return augment_name
        if isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)

            def augment_item(run: Run) -> None:
                obj = container(run)
                k = key(run)
                if type(k) is tuple:
                    guard(k)
                set_item(run, obj, k, arithmetic(run, op, apply, obj[k], value(run)))

            return augment_item
        assert isinstance(target, ast.Attribute)
        owner = self.expr(target.value)
        attr = target.attr

        def augment_field(run: Run) -> None:
            obj = owner(run)
            set_field(run, obj, attr, arithmetic(run, op, apply, read_attribute(obj, attr), value(run)))

        return augment_field

    def visit_If(self, node: ast.If) -> Code:
        test = self.expr(node.test)
        body = self.block(node.body)
        orelse = self.block(node.orelse) if node.orelse else None

        def if_(run: Run) -> None:
            if test(run):
                body(run)
            elif orelse is not None:
                orelse(run)

        return if_

    def visit_For(self, node: ast.For) -> Code:
        iterable = self.expr(node.iter)
        store = self.target(node.target)
        body = self.block(node.body)
        orelse = self.block(node.orelse) if node.orelse else None
        cost = _node_count(node.target)

        def for_(run: Run) -> None:
            for item in iterable(run):
                run.tick(cost)
                store(run, item)
                try:
                    body(run)
                except _BreakLoop:
                    return
                except _ContinueLoop:
                    continue
            if orelse is not None:
                orelse(run)

        return for_

    def visit_Delete(self, node: ast.Delete) -> Code:
        deletions = tuple(self._deletion(t) for t in node.targets)

        def delete(run: Run) -> None:
            for deletion in deletions:
                deletion(run)

        return delete

    def _deletion(self, target: ast.expr) -> Code:
        if isinstance(target, ast.Name):
            name = target.id

            def delete_name(run: Run) -> None:
                if name not in run.names:
                    raise ExpressionError(f"cannot delete '{name}': it is not task data")
                del cast(MutableMapping[str, Any], run.names)[name]

            return delete_name
        if isinstance(target, ast.Subscript):
            container = self.expr(target.value)
            key = self.expr(target.slice)
            return lambda run: delete_item(container(run), key(run))
        assert isinstance(target, ast.Attribute)
        owner = self.expr(target.value)
        attr = target.attr

        def delete_field(run: Run) -> None:
            obj = owner(run)
            if not isinstance(obj, dict):
                raise UnsafeExpression(f"cannot delete '.{attr}' of a {type_name(obj)}")
            del obj[attr]

        return delete_field

    # ------------------------------------------------------------ assignment targets

    def target(self, node: ast.expr) -> Store:
        if isinstance(node, ast.Name):
            return self._store_name(node.id)
        if isinstance(node, ast.Tuple | ast.List):
            stores = tuple(self.target(element) for element in node.elts)

            def store_each(run: Run, value: Any) -> None:
                for store, item in zip(stores, unpack(value, len(stores)), strict=True):
                    store(run, item)

            return store_each
        if isinstance(node, ast.Subscript):
            container = self.expr(node.value)
            key = self.expr(node.slice)
            return lambda run, value: set_item(run, container(run), key(run), value)
        if isinstance(node, ast.Attribute):
            owner = self.expr(node.value)
            attr = node.attr
            return lambda run, value: set_field(run, owner(run), attr, value)
        raise UnsafeExpression(f"cannot assign to {type(node).__name__}", getattr(node, "lineno", None))

    def _store_name(self, name: str) -> Store:
        if name in self.local_names:
            def store_local(run: Run, value: Any) -> None:
                run.locals[name] = value

            return store_local

        def store(run: Run, value: Any) -> None:
            if name in run.functions:
                raise ExpressionError(f"cannot assign to '{name}': it is a platform function")
            check_assignable(value, name)
            # Only scripts assign to names, and execute() is given a mutable mapping.
            cast(MutableMapping[str, Any], run.names)[name] = value

        return store

    # ------------------------------------------------------------ expressions

    def expr(self, node: ast.expr) -> Code:
        code: Code = getattr(self, f"visit_{type(node).__name__}")(node)
        return code

    def visit_Constant(self, node: ast.Constant) -> Code:
        value = node.value
        return lambda run: value

    def visit_Name(self, node: ast.Name) -> Code:
        name = node.id
        if name in self.local_names:
            return lambda run: run.locals[name]

        def load(run: Run) -> Any:
            try:
                return run.names[name]
            except KeyError:
                raise undefined(run, name) from None

        return load

    def visit_Attribute(self, node: ast.Attribute) -> Code:
        owner = self.expr(node.value)
        attr = node.attr
        return lambda run: read_attribute(owner(run), attr)

    def visit_Subscript(self, node: ast.Subscript) -> Code:
        container = self.expr(node.value)
        key = self.expr(node.slice)

        def subscript(run: Run) -> Any:
            obj = container(run)
            k = key(run)
            kind = type(k)
            if kind is slice:
                return check_result(run, obj[k])  # a slice is a new string or list
            if kind is tuple:
                guard(k)
            return obj[k]

        return subscript

    def visit_Slice(self, node: ast.Slice) -> Code:
        parts = tuple(None if part is None else self.expr(part) for part in (node.lower, node.upper, node.step))
        return lambda run: slice(*(None if part is None else part(run) for part in parts))

    def visit_BinOp(self, node: ast.BinOp) -> Code:
        op = BINARY[type(node.op)]
        apply = op.apply
        left = self.expr(node.left)
        right = self.expr(node.right)
        return lambda run: arithmetic(run, op, apply, left(run), right(run))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Code:
        apply = UNARY[type(node.op)]
        operand = self.expr(node.operand)
        return lambda run: apply(operand(run))

    def visit_BoolOp(self, node: ast.BoolOp) -> Code:
        values = tuple(self.expr(v) for v in node.values)
        if isinstance(node.op, ast.And):
            def and_(run: Run) -> Any:
                result = True
                for value in values:
                    result = value(run)
                    if not result:
                        return result
                return result

            return and_

        def or_(run: Run) -> Any:
            result = False
            for value in values:
                result = value(run)
                if result:
                    return result
            return result

        return or_

    def visit_Compare(self, node: ast.Compare) -> Code:
        left = self.expr(node.left)
        steps = tuple(
            (COMPARE[type(op)], self.expr(right)) for op, right in zip(node.ops, node.comparators, strict=True)
        )
        if len(steps) == 1:
            test, right = steps[0]
            return lambda run: compare(run, test, left(run), right(run))

        def chain(run: Run) -> Any:
            a = left(run)
            result: Any = True
            for test, right in steps:
                b = right(run)
                result = compare(run, test, a, b)
                if not result:
                    return result
                a = b
            return result

        return chain

    def visit_IfExp(self, node: ast.IfExp) -> Code:
        test = self.expr(node.test)
        body = self.expr(node.body)
        orelse = self.expr(node.orelse)
        return lambda run: body(run) if test(run) else orelse(run)

    def _elements(self, nodes: list[ast.expr]) -> Callable[[Run], list[Any]]:
        if not any(isinstance(n, ast.Starred) for n in nodes):
            codes = tuple(self.expr(n) for n in nodes)
            return lambda run: [code(run) for code in codes]
        parts = tuple(
            (True, self.expr(n.value)) if isinstance(n, ast.Starred) else (False, self.expr(n)) for n in nodes
        )

        def elements(run: Run) -> list[Any]:
            out: list[Any] = []
            for starred, code in parts:
                if starred:
                    out.extend(code(run))
                    if len(out) > MAX_LENGTH:
                        raise too_long("'*' unpacking", len(out))
                else:
                    out.append(code(run))
            return out

        return elements

    def visit_List(self, node: ast.List) -> Code:
        items = self._elements(node.elts)
        return lambda run: check_result(run, items(run))

    def visit_Tuple(self, node: ast.Tuple) -> Code:
        if all(isinstance(e, ast.Constant) for e in node.elts):
            value = tuple(e.value for e in node.elts if isinstance(e, ast.Constant))
            return lambda run: value  # immutable: built once, as CPython folds it too
        items = self._elements(node.elts)
        return lambda run: check_result(run, tuple(items(run)))

    def visit_Set(self, node: ast.Set) -> Code:
        items = self._elements(node.elts)
        return lambda run: _build_set(run, items(run))

    def visit_Dict(self, node: ast.Dict) -> Code:
        entries = tuple(
            (None if key is None else self.expr(key), self.expr(value))
            for key, value in zip(node.keys, node.values, strict=True)
        )

        def build(run: Run) -> dict[Any, Any]:
            result: dict[Any, Any] = {}
            for key, value in entries:
                if key is None:
                    result.update(value(run))  # {**other}
                    continue
                k = key(run)
                if type(k) is tuple:
                    guard(k)
                result[k] = value(run)
            return check_result(run, result)

        return build

    def _comprehension(self, generators: list[ast.comprehension], produced: ast.expr,
                       key: ast.expr | None = None) -> tuple[tuple[_Loop, ...], Code]:
        saved = self.local_names
        loops: list[_Loop] = []
        try:
            for generator in generators:
                iterable = self.expr(generator.iter)  # the first one is read in the enclosing scope
                self.local_names = self.local_names | _target_names(generator.target)
                store = self.target(generator.target)
                conditions = tuple(self.expr(c) for c in generator.ifs)
                cost = _node_count(generator.target) + sum(_node_count(c) for c in generator.ifs)
                loops.append(_Loop(iterable, store, conditions, cost))
            produce = self.expr(produced)
            extra = _node_count(produced)
            if key is not None:
                produce = _pair(self.expr(key), produce)
                extra += _node_count(key)
        finally:
            self.local_names = saved
        last = loops[-1]
        loops[-1] = last._replace(cost=last.cost + extra)
        return tuple(loops), produce

    def visit_ListComp(self, node: ast.ListComp) -> Code:
        loops, produce = self._comprehension(node.generators, node.elt)
        return lambda run: check_result(run, _run_comprehension(run, loops, produce))

    # Generator expressions are evaluated at once into a list: no generator object (with its gi_frame)
    # ever exists, nothing lazy outlives the budget of its call, and the result can be stored.
    visit_GeneratorExp = visit_ListComp

    def visit_SetComp(self, node: ast.SetComp) -> Code:
        loops, produce = self._comprehension(node.generators, node.elt)
        return lambda run: _build_set(run, _run_comprehension(run, loops, produce))

    def visit_DictComp(self, node: ast.DictComp) -> Code:
        loops, produce = self._comprehension(node.generators, node.value, key=node.key)

        def build(run: Run) -> dict[Any, Any]:
            pairs = _run_comprehension(run, loops, produce)
            for k, _ in pairs:
                if type(k) is tuple:
                    guard(k)
            return check_result(run, dict(pairs))

        return build

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Code:
        parts = tuple(self.expr(value) for value in node.values)
        return lambda run: check_result(run, "".join([part(run) for part in parts]))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Code:
        value = self.expr(node.value)
        convert = CONVERSIONS.get(node.conversion)
        spec = None if node.format_spec is None else self.expr(node.format_spec)

        def formatted(run: Run) -> str:
            v = value(run)
            guard(v)  # printing walks the whole value
            if convert is not None:
                v = convert(v)
            return format_value(v, "" if spec is None else spec(run))

        return formatted

    # ------------------------------------------------------------ calls

    def visit_Call(self, node: ast.Call) -> Code:
        args = self._elements(node.args)
        keywords = tuple((k.arg, self.expr(k.value)) for k in node.keywords)
        func = node.func
        if isinstance(func, ast.Name):
            return self._call_function(func.id, args, keywords)
        assert isinstance(func, ast.Attribute)
        return self._call_method(func, args, keywords)

    def _call_function(self, name: str, args: Callable[[Run], list[Any]],
                       keywords: tuple[tuple[Any, Code], ...]) -> Code:
        if name in self.local_names:
            def not_callable(run: Run) -> Any:
                raise ExpressionError(f"'{name}' is a value, not a function")

            return not_callable

        def call(run: Run) -> Any:
            function = resolve_function(run, name)
            positional = args(run)
            named = {k: v(run) for k, v in keywords}
            run.check_time()
            if function.inspects:
                for value in positional:
                    guard(value)
                for value in named.values():
                    guard(value)
            if not function.platform:
                return check_result(run, function.call(*positional, **named))
            try:
                result = function.call(*positional, **named)
            except ExpressionError:
                raise
            except Exception as err:
                raise ExpressionError(f"{name}(): {err}") from err
            return check_result(run, result)

        return call

    def _call_method(self, func: ast.Attribute, args: Callable[[Run], list[Any]],
                     keywords: tuple[tuple[Any, Code], ...]) -> Code:
        attr = func.attr
        receiver = func.value
        if isinstance(receiver, ast.Name) and receiver.id not in self.local_names and receiver.id in BUILTINS:
            return self._call_class_method(receiver.id, attr, args, keywords)
        return self._call_instance_method(self.expr(receiver), attr, args, keywords)

    def _call_class_method(self, name: str, attr: str, args: Callable[[Run], list[Any]],
                           keywords: tuple[tuple[Any, Code], ...]) -> Code:
        owner_class, allowed = CLASS_METHODS.get(name, (None, frozenset()))
        if attr not in allowed:
            data = self.visit_Name(ast.Name(id=name))
            method_call = self._call_instance_method(data, attr, args, keywords)

            def refused(run: Run) -> Any:
                if name in run.names:  # a task data field that happens to share the name
                    return method_call(run)
                raise refused_class_method(name, attr)

            return refused
        method = getattr(owner_class, attr)

        def class_call(run: Run) -> Any:
            positional = args(run)
            named = {k: v(run) for k, v in keywords}
            run.check_time()
            return check_result(run, method(*positional, **named))

        return class_call

    def _call_instance_method(self, owner: Code, attr: str, args: Callable[[Run], list[Any]],
                              keywords: tuple[tuple[Any, Code], ...]) -> Code:

        def call(run: Run) -> Any:
            obj = owner(run)
            found = members(type(obj))
            if found is None or attr not in found.methods:
                raise no_method(obj, attr, found is not None and attr in found.fields)
            positional = args(run)
            named = {k: v(run) for k, v in keywords}
            run.check_time()
            for value in positional:
                guard(value)
            for value in named.values():
                guard(value)
            if attr in COMPARING_METHODS:
                guard(obj)
            if found.base is str:
                precheck = STR_PRECHECKS.get(attr)
                if precheck is not None:
                    precheck(obj, positional, named)
            size = len(obj) if isinstance(obj, list | dict | set) else -1
            result = getattr(obj, attr)(*positional, **named)
            if size >= 0:
                charge_growth(run, obj, size)
            return check_result(run, result)

        return call
