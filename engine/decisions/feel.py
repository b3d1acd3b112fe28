"""FEEL (DMN 1.5 chapter 10): the grammar (on lark) and its compilation into Python closures.

Why our own and not a library: the maintained FEEL packages on PyPI were checked; `bkflow-feel` (the only
recent pure-Python one) computes with floats and its grammar gets `5+2**5+3` wrong, and the others are
unmaintained or runtime clients. The whole language is written here on `lark` (an LALR grammar):
literals and `@"…"` temporal literals, names with spaces, paths, filters, invocation with positional or
named arguments, arithmetic on numbers, strings, dates, times and both kinds of durations, comparisons,
`between`, `in`, `instance of`, `and`/`or`, `if`, `for`/`some`/`every`, ranges, lists, contexts, function
definitions (lambdas), and the unary tests of decision-table cells (`< 5`, `[1..10)`, `"a","b"`,
`not(...)`, `-`, `? > 3`). Around it: `names` (names with spaces, string escapes), `operators`
(arithmetic, comparisons, paths), `scope` (names in scope, function values, notes), `builtins`.

Everything is parsed once, when the DMN file is loaded; each text becomes a closure, so evaluating a
table is plain Python calls. A text the grammar does not accept raises `FeelSyntaxError` at load time,
and so does a call of a function no one defines or a part made of constants that is always null.

Null semantics as the spec says (§10.3.2.2): combining values of different types (`"a" + 1`), an unknown
name, an invocation with the wrong arguments and division by zero give null, not an exception. Each such
null is explained by a note (`collect_notes`), so a null where a fee or verdict is expected can be traced.
`**` is left-associative and binds looser than unary minus (`-2**2` is 4), as in the FEEL grammar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedInput, VisitError

from .errors import DecisionError, FeelSyntaxError
from .names import STRING_LITERAL, NameTable, local_names, unescape
from .operators import (
    add,
    boolean,
    comparator,
    divide,
    equal_or_note,
    multiply,
    negative,
    path_of,
    power,
    subtract,
)
from .scope import MISSING, Function, Scope, collect_notes, invoke, note
from .temporal import (
    FarDate,
    YearsMonths,
    feel_type,
    is_date_and_time,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)
from .values import NUMBER_CONTEXT, Range, compare, equal, show

_GRAMMAR = r"""
?expression: for_expr | if_expr | quantified | function_def | disjunction
for_expr: "for" iteration ("," iteration)* "return" expression
iteration: name "in" expression -> iterate_over
         | name "in" expression ".." expression -> iterate_range
if_expr: "if" expression "then" expression "else" expression
quantified: "some" name "in" expression ("," name "in" expression)* "satisfies" expression -> some_
          | "every" name "in" expression ("," name "in" expression)* "satisfies" expression -> every_
function_def: "function" "(" [parameter ("," parameter)*] ")" expression
            | "function" "(" [parameter ("," parameter)*] ")" "external" expression -> external_function
parameter: name [":" type]

?disjunction: conjunction | disjunction "or" conjunction -> or_
?conjunction: comparison | conjunction "and" comparison -> and_
?comparison: sum
    | sum (COMPARE | LT | GT) sum -> compare
    | sum "between" sum "and" sum -> between
    | sum "in" in_tests -> in_
    | sum "instance" "of" type -> instance_of
COMPARE: "<=" | ">=" | "!=" | "="
LT: "<"
GT: ">"
in_tests: "(" unary_test ("," unary_test)+ ")" -> test_list
        | unary_test -> test_list
?sum: product | sum "+" product -> add | sum "-" product -> sub
?product: power | product "*" power -> mul | product "/" power -> div
?power: negation | power "**" negation -> pow
?negation: postfix | "-" negation -> neg
?postfix: atom
    | postfix "." name -> path
    | postfix "[" expression "]" -> filter
    | postfix "(" arguments ")" -> invoke
arguments: [expression ("," expression)*] -> positional
    | named ("," named)* -> named_arguments
named: name ":" expression
?atom: NUMBER -> number
     | STRING -> string
     | "@" STRING -> at_literal
     | "true" -> true
     | "false" -> false
     | "null" -> null
     | "?" -> input_value
     | name -> ref
     | "(" expression ")"
     | EMPTY_LIST -> list_
     | "[" expression ("," expression)* "]" -> list_
     | "{" [entry ("," entry)*] "}" -> context
     | "[" expression ".." expression range_end -> closed_range
     | "(" expression ".." expression range_end -> open_range
     | "]" expression ".." expression range_end -> open_range
     | "(" (COMPARE | LT | GT) expression ")" -> comparison_range
range_end: "]" -> closed | ")" -> open | OPEN_END -> open
EMPTY_LIST.2: /\[\s*\]/
OPEN_END.2: /\[(?=\s*($|[,)\]]|\.(?!\.)|and\b|or\b|then\b|else\b|return\b|satisfies\b))/
entry: key ":" expression
?key: name | STRING -> string_key
name: NAME | PROTECTED_NAME

type: name -> simple_type
    | name LT type GT -> generic_type
    | name LT type_field ("," type_field)* GT -> context_type
    | "function" LT [type ("," type)*] GT "->" type -> function_type
type_field: name ":" type

unary_tests: unary_test ("," unary_test)*
unary_test: (COMPARE | LT | GT) sum -> op_test
    | expression -> expression_test

NUMBER: /(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?/
STRING: /"(?:[^"\\]|\\.)*"/
NAME: /([^\W\d]|[\U00010000-\U000EFFFF])(\w|[\U00010000-\U000EFFFF])*/
PROTECTED_NAME: /\ue000\d+\ue001/
COMMENT: /\/\/[^\n]*/ | /\/\*(.|\n)*?\*\//
%ignore /\s+/
%ignore COMMENT
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", start=["expression", "unary_tests"], maybe_placeholders=True)

Evaluator = Callable[["Scope"], Any]
Test = Callable[[Any, "Scope"], "bool | None"]

# -- types (instance of, typed parameters) ---------------------------------------------------------

TypeCheck = Callable[[Any], bool]

_BASE_CHECKS: dict[str, TypeCheck] = {
    "number": lambda v: type(v) is Decimal,
    "string": lambda v: type(v) is str,
    "boolean": lambda v: type(v) is bool,
    "date": lambda v: type(v) is dt.date or (type(v) is FarDate and not is_date_and_time(v)),
    "time": lambda v: feel_type(v) is dt.time,
    "date and time": lambda v: feel_type(v) is dt.datetime or (type(v) is FarDate and is_date_and_time(v)),
    "dateTime": lambda v: feel_type(v) is dt.datetime or (type(v) is FarDate and is_date_and_time(v)),
    "days and time duration": lambda v: type(v) is dt.timedelta,
    "dayTimeDuration": lambda v: type(v) is dt.timedelta,
    "years and months duration": lambda v: type(v) is YearsMonths,
    "yearMonthDuration": lambda v: type(v) is YearsMonths,
    "duration": lambda v: type(v) in (dt.timedelta, YearsMonths),
    "list": lambda v: type(v) is list,
    "context": lambda v: type(v) is dict,
    "range": lambda v: type(v) is Range,
    "function": lambda v: callable(v) and not isinstance(v, Range),
    "Any": lambda v: v is not None,
    "Null": lambda v: v is None,
}


def base_check(name: str) -> TypeCheck | None:
    return _BASE_CHECKS.get(name)


# -- the compiler ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A compiled expression: its closure, and its value when it is a constant (folded at load time)."""

    evaluate: Evaluator
    constant: bool = False
    value: Any = None
    uses_input: bool = False
    name: str | None = None  # for a bare name: the name


def _const(value: Any) -> Node:
    return Node(lambda scope: value, True, value)


def _binary(function: Callable[[Any, Any], Any], left: Node, right: Node) -> Node:
    if left.constant and right.constant:
        return _const(function(left.value, right.value))
    lhs, rhs = left.evaluate, right.evaluate
    return Node(lambda scope: function(lhs(scope), rhs(scope)), uses_input=left.uses_input or right.uses_input)


def _uses(*nodes: Any) -> bool:
    return any(getattr(n, "uses_input", False) for n in nodes)


def _items(value: Any) -> list[Any] | None:
    if isinstance(value, list):
        return value
    if value is None:
        return None
    return [value]


def test_value(result: Any, value: Any, uses_input: bool) -> bool | None:
    """A unary test's verdict from its expression's value (DMN 1.5 §10.3.2.9 / Table 53): a boolean
    when the test uses `?`, a range contains the input, a list holds it, else equality."""
    if uses_input and (isinstance(result, bool) or result is None):
        return result
    if isinstance(result, Range):
        return result.contains(value)
    if isinstance(result, list):
        for item in result:
            if (item.contains(value) if isinstance(item, Range) else equal(item, value)) is True:
                return True
        return equal(value, result) is True if isinstance(value, list) else False
    if isinstance(result, bool) and not isinstance(value, bool) and value is not None:
        return result
    if callable(result) and not isinstance(result, Range):
        verdict = invoke(result, [value], None, "test")
        return verdict if isinstance(verdict, bool) else None
    return equal_or_note(value, result)


@v_args(inline=True)
class _Compiler(Transformer[Token, Any]):
    def __init__(self, names: NameTable, functions: Mapping[str, Function]) -> None:
        super().__init__()
        self._names = names
        self._functions = functions

    # names and literals

    def name(self, token: Token) -> str:
        return self._names.restore(str(token))

    def number(self, token: Token) -> Node:
        return _const(NUMBER_CONTEXT.create_decimal(str(token)))

    def string(self, token: Token) -> Node:
        return _const(unescape(str(token)))

    def string_key(self, token: Token) -> str:
        return unescape(str(token))

    def at_literal(self, token: Token) -> Node:
        text = unescape(str(token))
        timed = re.match(r"-?\d+-\d\d-\d\dT", text) is not None
        for parse in (parse_date, parse_date_and_time if timed else parse_time, parse_duration):
            value = parse(text)
            if value is not None:
                return _const(value)
        raise FeelSyntaxError(f"@{token!s} is not a date, time, date and time or duration")

    def true(self) -> Node:
        return _const(True)

    def false(self) -> Node:
        return _const(False)

    def null(self) -> Node:
        return _const(None)

    def input_value(self) -> Node:
        return Node(lambda scope: scope.find("?") if scope.find("?") is not MISSING else None, uses_input=True)

    def ref(self, name: str) -> Node:
        fallback = self._functions.get(name, MISSING)
        if isinstance(fallback, Function) and name in FOLDABLE and name not in self._names.declared:
            return _const(fallback)  # a built-in no name of the file hides: known at load time

        def lookup(scope: Scope) -> Any:
            value = scope.find(name)
            if value is MISSING:
                if fallback is not MISSING:
                    return fallback
                note(f"no value named '{name}'")
                return None
            return value

        return Node(lookup, name=name)

    def list_(self, *items: Node | Token) -> Node:
        nodes = [item for item in items if isinstance(item, Node)]
        if all(n.constant for n in nodes):
            values = [n.value for n in nodes]
            return Node(lambda scope: list(values), uses_input=False)
        evaluators = [n.evaluate for n in nodes]
        return Node(lambda scope: [e(scope) for e in evaluators], uses_input=_uses(*nodes))

    def entry(self, key: str | Node, value: Node) -> tuple[str, Node]:
        return (key if isinstance(key, str) else str(key.value)), value

    def context(self, *entries: tuple[str, Node] | None) -> Node:
        pairs = [e for e in entries if e is not None]
        keys = [k for k, _ in pairs]
        if len(keys) != len(set(keys)):
            raise FeelSyntaxError("a context has two entries with the same name")

        def build(scope: Scope) -> dict[str, Any]:
            inner = Scope(parent=scope)
            result: dict[str, Any] = {}
            for key, node in pairs:
                value = node.evaluate(inner)
                inner.bind(key, value)
                result[key] = value
            return result

        return Node(build, uses_input=_uses(*(n for _, n in pairs)))

    def closed(self) -> bool:
        return True

    def open(self, _token: Token | None = None) -> bool:
        return False

    def closed_range(self, low: Node, high: Node, end_closed: bool) -> Node:
        return self._range(True, low, high, end_closed)

    def open_range(self, low: Node, high: Node, end_closed: bool) -> Node:
        return self._range(False, low, high, end_closed)

    def comparison_range(self, op: Token, endpoint: Node) -> Node:
        """`(< 10)`, `(>= x)`, `(= 5)`, `(!= 5)`: a unary comparison as a range value (DMN 1.5 §10.3.2.7)."""
        text = str(op)

        def build(scope: Scope) -> Range | None:
            value = endpoint.evaluate(scope)
            if text in ("<", "<="):
                return Range(None, value, False, text == "<=", unbounded_start=True)
            if text in (">", ">="):
                return Range(value, None, text == ">=", False, unbounded_end=True)
            return Range(value, value, True, True, only=text)

        if endpoint.constant:
            return _const(build(Scope()))
        return Node(build, uses_input=endpoint.uses_input)

    def _range(self, start_closed: bool, low: Node, high: Node, end_closed: bool) -> Node:
        def build(scope: Scope) -> Range | None:
            start, end = low.evaluate(scope), high.evaluate(scope)
            if start is not None and end is not None and compare(start, end) is None:
                note(f"a range from {show(start)} to {show(end)} mixes types")
                return None
            return Range(start, end, start_closed, end_closed)

        if low.constant and high.constant:
            return _const(build(Scope()))
        return Node(build, uses_input=_uses(low, high))

    # operators

    def or_(self, left: Node, right: Node) -> Node:
        lhs, rhs = left.evaluate, right.evaluate

        def disjunction(scope: Scope) -> bool | None:
            a = boolean(lhs(scope))
            if a is True:
                return True
            b = boolean(rhs(scope))
            if b is True:
                return True
            return None if a is None or b is None else False

        return Node(disjunction, uses_input=_uses(left, right))

    def and_(self, left: Node, right: Node) -> Node:
        lhs, rhs = left.evaluate, right.evaluate

        def conjunction(scope: Scope) -> bool | None:
            a = boolean(lhs(scope))
            if a is False:
                return False
            b = boolean(rhs(scope))
            if b is False:
                return False
            return None if a is None or b is None else True

        return Node(conjunction, uses_input=_uses(left, right))

    def compare(self, left: Node, op: Token, right: Node) -> Node:
        return _binary(comparator(str(op)), left, right)

    def between(self, value: Node, low: Node, high: Node) -> Node:
        get, lo, hi = value.evaluate, low.evaluate, high.evaluate
        at_least, at_most = comparator(">="), comparator("<=")

        def within(scope: Scope) -> bool | None:
            item = get(scope)
            a, b = at_least(item, lo(scope)), at_most(item, hi(scope))
            if a is False or b is False:
                return False
            return None if a is None or b is None else True

        return Node(within, uses_input=_uses(value, low, high))

    def in_(self, value: Node, tests: tuple[Test, ...]) -> Node:
        get = value.evaluate

        def member(scope: Scope) -> bool | None:
            item = get(scope)
            inner = Scope(parent=scope)
            inner.bind("?", item)
            outcome: bool | None = False
            for test in tests:
                verdict = test(item, inner)
                if verdict is True:
                    return True
                if verdict is None:
                    outcome = None
            return outcome

        return Node(member, uses_input=value.uses_input)

    def test_list(self, *tests: Test) -> tuple[Test, ...]:
        return tests

    def instance_of(self, value: Node, check: TypeCheck) -> Node:
        get = value.evaluate
        return Node(lambda scope: check(get(scope)), uses_input=value.uses_input)

    def add(self, left: Node, right: Node) -> Node:
        return _binary(add, left, right)

    def sub(self, left: Node, right: Node) -> Node:
        return _binary(subtract, left, right)

    def mul(self, left: Node, right: Node) -> Node:
        return _binary(multiply, left, right)

    def div(self, left: Node, right: Node) -> Node:
        return _binary(divide, left, right)

    def pow(self, left: Node, right: Node) -> Node:
        return _binary(power, left, right)

    def neg(self, operand: Node) -> Node:
        if operand.constant:
            return _const(negative(operand.value))
        get = operand.evaluate
        return Node(lambda scope: negative(get(scope)), uses_input=operand.uses_input)

    # postfix

    def path(self, target: Node, key: str) -> Node:
        if target.constant:
            return _const(path_of(target.value, key))
        get = target.evaluate
        return Node(lambda scope: path_of(get(scope), key), uses_input=target.uses_input)

    def filter(self, target: Node, condition: Node) -> Node:
        get, test = target.evaluate, condition.evaluate
        if condition.constant:
            index = condition.value

            def pick(scope: Scope) -> Any:
                return _filter_with(_items(get(scope)), index, None, scope)

            return Node(pick, uses_input=target.uses_input)

        def select(scope: Scope) -> Any:
            return _filter_with(_items(get(scope)), MISSING, test, scope)

        return Node(select, uses_input=_uses(target, condition))

    def positional(self, *args: Node | None) -> tuple[list[Node], None]:
        return [a for a in args if a is not None], None

    def named(self, name: str, value: Node) -> tuple[str, Node]:
        return name, value

    def named_arguments(self, *pairs: tuple[str, Node]) -> tuple[list[Node], list[str]]:
        return [v for _, v in pairs], [k for k, _ in pairs]

    def invoke(self, target: Node, arguments: tuple[list[Node], list[str] | None]) -> Node:
        nodes, names = arguments
        if target.name is not None and target.name not in self._functions and target.name not in self._names.declared:
            raise FeelSyntaxError(f"unknown function '{target.name}'")
        callee = target.evaluate
        evaluators = [n.evaluate for n in nodes]
        label = "function"
        builtin = target.constant and isinstance(target.value, Function) and target.value.name in FOLDABLE
        if builtin and all(n.constant for n in nodes):
            values = [n.value for n in nodes]
            return _const(invoke(target.value, values, dict(zip(names, values, strict=True)) if names else None, label))
        if names is None:
            return Node(
                lambda scope: invoke(callee(scope), [e(scope) for e in evaluators], None, label),
                uses_input=_uses(target, *nodes),
            )
        keys = names
        return Node(
            lambda scope: invoke(
                callee(scope), [], {k: e(scope) for k, e in zip(keys, evaluators, strict=True)}, label
            ),
            uses_input=_uses(target, *nodes),
        )

    # control

    def if_expr(self, condition: Node, then: Node, otherwise: Node) -> Node:
        test, yes, no = condition.evaluate, then.evaluate, otherwise.evaluate
        return Node(
            lambda scope: yes(scope) if test(scope) is True else no(scope), uses_input=_uses(condition, then, otherwise)
        )

    def iterate_over(self, name: str, source: Node) -> tuple[str, Evaluator]:
        get = source.evaluate

        return name, lambda scope: iteration_items(get(scope))

    def iterate_range(self, name: str, low: Node, high: Node) -> tuple[str, Evaluator]:
        lo, hi = low.evaluate, high.evaluate
        return name, lambda scope: _range_values(Range(lo(scope), hi(scope)))

    def for_expr(self, *parts: Any) -> Node:
        iterations, body = parts[:-1], parts[-1].evaluate

        def loop(scope: Scope) -> list[Any] | None:
            results: list[Any] = []
            for inner in _combinations(iterations, Scope(parent=scope)):
                if inner is None:
                    return None
                if len(results) >= MAX_ITERATIONS:
                    note(f"a for loop goes through more than {MAX_ITERATIONS:,} combinations")
                    return None
                inner.bind("partial", results)
                results.append(body(inner))
            return results

        return Node(loop)

    def some_(self, *parts: Any) -> Node:
        return self._quantified(False, parts)

    def every_(self, *parts: Any) -> Node:
        return self._quantified(True, parts)

    def _quantified(self, every: bool, parts: tuple[Any, ...]) -> Node:
        pairs = [self.iterate_over(parts[i], parts[i + 1]) for i in range(0, len(parts) - 1, 2)]
        body = parts[-1].evaluate

        def check(scope: Scope) -> bool | None:
            for count, inner in enumerate(_combinations(pairs, Scope(parent=scope))):
                if inner is None:
                    return None
                if count >= MAX_ITERATIONS:
                    note(f"some/every goes through more than {MAX_ITERATIONS:,} combinations")
                    return None
                verdict = body(inner)
                if every and verdict is not True:
                    return False
                if not every and verdict is True:
                    return True
            return every

        return Node(check)

    def parameter(self, name: str, check: TypeCheck | None) -> tuple[str, TypeCheck | None]:
        return name, check

    def external_function(self, *parts: Any) -> Node:
        raise FeelSyntaxError("external functions (Java, PMML) are not supported")

    def function_def(self, *parts: Any) -> Node:
        body: Node = parts[-1]
        parameters = [p for p in parts[:-1] if p is not None]
        names = tuple(name for name, _ in parameters)
        checks = [check for _, check in parameters]

        def define(scope: Scope) -> Function:
            def call(*args: Any) -> Any:
                inner = Scope(parent=scope)
                for name, check, value in zip(names, checks, args, strict=True):
                    if check is not None and value is not None and not check(value):
                        note(f"parameter '{name}': {show(value)} is not of its type")
                        return None
                    inner.bind(name, value)
                return body.evaluate(inner)

            return Function("function", names, call)

        return Node(define)

    # types

    def simple_type(self, name: str) -> TypeCheck:
        check = _BASE_CHECKS.get(name)
        if check is None:
            custom = self._functions.get(f"type:{name}")
            if isinstance(custom, Function) and custom.implementation is not None:
                return custom.implementation
            raise FeelSyntaxError(f"unknown type '{name}'")
        return check

    def generic_type(self, name: str, _lt: Token, inner: TypeCheck, _gt: Token) -> TypeCheck:
        if name == "list":
            return lambda v: type(v) is list and all(x is None or inner(x) for x in v)
        if name == "range":
            return lambda v: type(v) is Range and all(x is None or inner(x) for x in (v.start, v.end))
        if name == "context":
            raise FeelSyntaxError("context<...> needs named fields")
        raise FeelSyntaxError(f"unknown type '{name}<...>'")

    def type_field(self, name: str, check: TypeCheck) -> tuple[str, TypeCheck]:
        return name, check

    def context_type(self, name: str, _lt: Token, *rest: Any) -> TypeCheck:
        fields = [f for f in rest if isinstance(f, tuple)]
        if name != "context":
            raise FeelSyntaxError(f"unknown type '{name}<...>'")
        return lambda v: type(v) is dict and all(k in v and (v[k] is None or c(v[k])) for k, c in fields)

    def function_type(self, _lt: Token, *rest: Any) -> TypeCheck:
        return _BASE_CHECKS["function"]

    # unary tests: each positive test becomes fn(input_value, scope) -> True / False / None

    def op_test(self, op: Token, endpoint: Node) -> Test:
        check = comparator(str(op))
        if endpoint.constant:
            bound = endpoint.value
            return lambda value, scope: check(value, bound)
        get = endpoint.evaluate
        return lambda value, scope: check(value, get(scope))

    def expression_test(self, node: Node) -> Test:
        uses_input = node.uses_input
        if node.constant:
            result = node.value
            if isinstance(result, Range):
                return lambda value, scope: result.contains(value)
            if not isinstance(result, list | bool) and result is not None:
                return lambda value, scope: equal_or_note(value, result)
            return lambda value, scope: test_value(result, value, False)
        get = node.evaluate
        if not uses_input:
            return lambda value, scope: test_value(get(scope), value, False)

        def with_input(value: Any, scope: Scope) -> bool | None:
            inner = Scope(parent=scope)
            inner.bind("?", value)
            return test_value(get(inner), value, True)

        return with_input

    def unary_tests(self, *tests: Test) -> tuple[Test, ...]:
        return tests


# Built-ins whose result depends only on their arguments, computed once when every argument is constant.
FOLDABLE: set[str] = set()


def _filter_with(items: list[Any] | None, index: Any, test: Evaluator | None, scope: Scope) -> Any:
    if items is None:
        return None
    if test is None:
        return _pick(items, index)
    if not items:
        return []
    first = _item_scope(items[0], scope)
    head = test(first)
    if isinstance(head, Decimal):
        return _pick(items, head)
    result = [items[0]] if head is True else []
    for item in items[1:]:
        if test(_item_scope(item, scope)) is True:
            result.append(item)
    return result


def filter_list(value: Any, match: Evaluator, scope: Scope, strict: bool = False) -> Any:
    """`value[match]` with a compiled condition. Strict (the boxed filter): a condition that is not a
    boolean for some item makes the result null."""
    items = _items(value)
    if not strict or items is None:
        return _filter_with(items, MISSING, match, scope)
    result = []
    for item in items:
        verdict = match(_item_scope(item, scope))
        if verdict is not None and not isinstance(verdict, bool):
            note(f"the filter condition gives {show(verdict)}, not a boolean")
            return None
        if verdict is True:
            result.append(item)
    return result


def iteration_items(value: Any) -> list[Any] | None:
    """What `for x in value` runs over: a list's items, a range's whole numbers, or one value."""
    if isinstance(value, Range):
        return _range_values(value)
    return _items(value)


def _pick(items: list[Any], index: Any) -> Any:
    if isinstance(index, bool):
        return list(items) if index else []
    if not isinstance(index, Decimal) or index != index.to_integral_value():
        note(f"{show(index)} is not a position in a list")
        return None
    position = int(index)
    if position > 0 and position <= len(items):
        return items[position - 1]
    if position < 0 and -position <= len(items):
        return items[position]
    return None


def _item_scope(item: Any, scope: Scope) -> Scope:
    inner = Scope(parent=scope)
    inner.bind("item", item)
    if isinstance(item, dict):
        for key, value in item.items():
            inner.bind(key, value)
    return inner


MAX_ITERATIONS = 1_000_000  # items a `for`, `some` or `every` may go through in one evaluation


def _range_values(bounds: Range) -> list[Any] | None:
    low, high = bounds.start, bounds.end
    if isinstance(low, Decimal) and isinstance(high, Decimal):
        if low != low.to_integral_value() or high != high.to_integral_value():
            return None
        if abs(high - low) >= MAX_ITERATIONS:
            note(f"a loop over {show(low)}..{show(high)} is longer than {MAX_ITERATIONS:,} items")
            return None
        step = 1 if high >= low else -1
        return [Decimal(n) for n in range(int(low), int(high) + step, step)]
    if type(low) is dt.date and type(high) is dt.date:
        if abs((high - low).days) >= MAX_ITERATIONS:
            note(f"a loop over {show(low)}..{show(high)} is longer than {MAX_ITERATIONS:,} days")
            return None
        step = 1 if high >= low else -1
        return [low + dt.timedelta(days=n * step) for n in range(abs((high - low).days) + 1)]
    note("a for loop's range must run between two whole numbers or two dates")
    return None


def _combinations(iterations: Sequence[tuple[str, Evaluator]], scope: Scope) -> Iterator[Scope | None]:
    if not iterations:
        yield scope
        return
    (name, values), rest = iterations[0], iterations[1:]
    items = values(scope)
    if items is None:
        yield None  # a null source: the whole loop is null
        return
    for item in items:
        inner = Scope(parent=scope)
        inner.bind(name, item)
        yield from _combinations(rest, inner)


def _parse(text: str, start: str, names: NameTable, functions: Mapping[str, Function]) -> Any:
    extra = local_names(text) - names.declared
    if extra:
        names = NameTable({*names.declared, *extra})
    protected = names.protect(text)
    try:
        tree = _PARSER.parse(protected, start=start)
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        where = f" at position {exc.column}" if protected == text and exc.column > 0 else ""
        if token is not None and token.type == "$END":
            found = "the text ends too early"
        elif token is not None:
            found = f"unexpected {names.restore(str(token))!r}{where}"
        else:
            found = f"unexpected character{where}"
        raise FeelSyntaxError(f"cannot read {text!r}: {found}") from None
    except LarkError as exc:
        raise FeelSyntaxError(f"cannot read {text!r}: {exc}") from None
    try:
        with collect_notes() as problems:
            compiled = _Compiler(names, functions).transform(tree)
    except RecursionError:  # thousands of nested brackets or signs: the tree is walked recursively
        raise FeelSyntaxError("the text is nested too deeply") from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, FeelSyntaxError | DecisionError):
            raise FeelSyntaxError(f"cannot read {text!r}: {exc.orig_exc}") from None
        raise
    if problems:
        # A part made of constants that is always null by a type error is an authoring mistake.
        raise FeelSyntaxError(f"cannot read {text!r}: {problems[0]}, so it is always null")
    return compiled


@dataclass(frozen=True)
class Expression:
    """A compiled FEEL expression (input expression, output entry, literal expression)."""

    text: str
    node: Node

    def evaluate(self, scope: Scope) -> Any:
        return self.node.evaluate(scope)

    @property
    def is_constant(self) -> bool:
        return self.node.constant


def compile_expression(
    text: str, names: NameTable | None = None, functions: Mapping[str, Function] | None = None
) -> Expression:
    """Compile a FEEL expression; an empty text is null (an empty output cell)."""
    from .builtins import BUILTINS

    if not text.strip():
        return Expression(text, _const(None))
    node = _parse(text, "expression", names or NameTable(), functions or BUILTINS)
    return Expression(text, node)


@dataclass(frozen=True)
class UnaryTests:
    """A compiled input entry (or allowed-values list): `-`, positive tests, or `not(...)` of them."""

    text: str
    tests: tuple[Test, ...]
    negated: bool = False

    @property
    def matches_anything(self) -> bool:
        return not self.tests and not self.negated

    def verdict(self, value: Any, scope: Scope) -> bool | None:
        if not self.tests:
            return not self.negated
        outcome: bool | None = False
        for test in self.tests:
            result = test(value, scope)
            if result:
                outcome = True
                break
            if result is None:
                outcome = None
        if self.negated:
            return None if outcome is None else not outcome
        return outcome

    def matches(self, value: Any, scope: Scope) -> bool:
        return self.verdict(value, scope) is True

    def position(self, value: Any, scope: Scope) -> int | None:
        """Index of the first positive test the value meets: its priority among the output values."""
        for index, test in enumerate(self.tests):
            if test(value, scope):
                return index
        return None


def _split_not(text: str) -> str | None:
    """The inside of `not( ... )` when the whole text is one negation, else None."""
    if not text.startswith("not"):
        return None
    rest = text[3:].lstrip()
    if not rest.startswith("("):
        return None
    depth, i = 0, 0
    while i < len(rest):
        char = rest[i]
        if char == '"':
            literal = STRING_LITERAL.match(rest, i)
            if literal is None:
                return None
            i = literal.end()
            continue
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return rest[1:i] if rest[i + 1 :].strip() == "" else None
        i += 1
    return None


def compile_unary_tests(
    text: str, names: NameTable | None = None, functions: Mapping[str, Function] | None = None
) -> UnaryTests:
    """Compile an input entry. `-` and an empty cell match anything."""
    from .builtins import BUILTINS

    stripped = text.strip()
    if stripped in ("", "-"):
        return UnaryTests(text, ())
    inner = _split_not(stripped)
    body = inner if inner is not None else stripped
    if not body.strip():
        raise FeelSyntaxError(f"cannot read {text!r}: not() needs at least one test")
    tests = _parse(body, "unary_tests", names or NameTable(), functions or BUILTINS)
    return UnaryTests(text, tuple(tests), negated=inner is not None)
