"""S-FEEL: the grammar (on lark) and its compilation into Python closures.

Why our own and not a library: the maintained FEEL packages on PyPI were checked; `bkflow-feel` (the only
recent pure-Python one) computes with floats and its grammar gets `5+2**5+3` wrong, and the others are
unmaintained or runtime clients. S-FEEL is small, so it is written here on `lark` (already a dependency):
literals (string, number, boolean, null, `date(...)`, `time(...)`, `date and time(...)`), names with
spaces, dotted paths, arithmetic (`+ - * / **`, unary minus), comparisons, `and`/`or`/`not(...)`,
invocation of business knowledge models, and the unary tests of decision-table cells (`< 5`, `[1..10)`,
`"a","b"`, `not(...)`, `-`).

Everything is parsed once, when the DMN file is loaded; each text becomes a closure, so evaluating a
table is plain Python calls. A text the grammar does not accept raises `FeelSyntaxError` at load time.

Departures from FEEL, on purpose (fees are money): comparing or combining values of different types
(`"a" < 1`, `"a" * 2`) raises `DecisionError` instead of quietly giving null; a name missing from the
data is an error, not null. Division by zero gives null, as FEEL says. `**` is left-associative and
binds looser than unary minus (`-2**2` is 4), as in the FEEL grammar's precedence table.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedInput, VisitError

from .errors import DecisionError, FeelSyntaxError
from .values import NUMBER_CONTEXT, compare, equal, kind, show, to_feel

_GRAMMAR = r"""
?expression: disjunction
?disjunction: conjunction | disjunction "or" conjunction -> or_
?conjunction: comparison | conjunction "and" comparison -> and_
?comparison: sum | sum COMP_OP sum -> compare
?sum: product | sum "+" product -> add | sum "-" product -> sub
?product: power | product "*" power -> mul | product "/" power -> div
?power: negation | power "**" negation -> pow
?negation: postfix | "-" negation -> neg
?postfix: atom | postfix "." name -> path
?atom: NUMBER -> number
     | STRING -> string
     | "true" -> true
     | "false" -> false
     | "null" -> null
     | name -> ref
     | name "(" [expression ("," expression)*] ")" -> call
     | "not" "(" expression ")" -> not_
     | "(" expression ")"
name: NAME | PROTECTED_NAME

positive_unary_tests: positive_unary_test ("," positive_unary_test)*
?positive_unary_test: COMP_OP sum -> op_test
    | "[" sum ".." sum interval_end -> closed_start
    | "(" sum ".." sum interval_end -> open_start
    | "]" sum ".." sum interval_end -> open_start
    | sum -> eq_test
!interval_end: "]" | ")" | "["

COMP_OP: "<=" | ">=" | "!=" | "<" | ">" | "="
NUMBER: /\d+(\.\d+)?|\.\d+/
STRING: /"(?:[^"\\]|\\.)*"/
NAME: /[^\W\d]\w*/
PROTECTED_NAME: /\ue000\d+\ue001/
%ignore /\s+/
"""

_PARSER = Lark(_GRAMMAR, parser="lalr", start=["expression", "positive_unary_tests"], maybe_placeholders=False)

_STRING_LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
_PROTECTED = re.compile("\ue000(\\d+)\ue001")
_SIMPLE_NAME = re.compile(r"[^\W\d]\w*")
_KEYWORDS = frozenset({"true", "false", "null", "and", "or", "not"})
_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "r": "\r", "t": "\t", "'": "'"}

Evaluator = Callable[["Scope"], Any]
Test = Callable[[Any, "Scope"], "bool | None"]


class UnknownName(DecisionError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(f"no value named '{name}' in the data")


class Scope:
    """Names visible to an expression. Raw Python values (task data) are converted to FEEL values the
    first time a name is read, so a large task data dict costs only what the decision touches."""

    __slots__ = ("_parent", "_raw", "_values")

    def __init__(self, raw: Mapping[str, Any] | None = None, parent: Scope | None = None) -> None:
        self._raw: Mapping[str, Any] = raw if raw is not None else {}
        self._values: dict[str, Any] = {}
        self._parent = parent

    def bind(self, name: str, value: Any) -> None:
        """Bind a value that is already a FEEL value (a decision's result, a parameter)."""
        self._values[name] = value

    def get(self, name: str) -> Any:
        values = self._values
        if name in values:
            return values[name]
        if name in self._raw:
            value = values[name] = to_feel(self._raw[name])
            return value
        if self._parent is not None:
            return self._parent.get(name)
        raise UnknownName(name)


@dataclass
class Function:
    """A function an expression may invoke: a built-in, or a business knowledge model whose body is
    attached after every name in the file is known (bodies may call one another)."""

    name: str
    parameters: Sequence[str] | None  # None: checked by the implementation itself
    implementation: Callable[..., Any] | None = field(default=None, repr=False)

    def __call__(self, *args: Any) -> Any:
        if self.implementation is None:
            raise DecisionError(f"function '{self.name}' has no body")
        return self.implementation(*args)


def _date(*args: Any) -> dt.date | None:
    if len(args) == 1 and isinstance(args[0], str):
        try:
            return dt.date.fromisoformat(args[0])
        except ValueError:
            raise DecisionError(f'date("{args[0]}"): not a date (YYYY-MM-DD)') from None
    if len(args) == 3 and all(isinstance(a, Decimal) for a in args):
        try:
            return dt.date(int(args[0]), int(args[1]), int(args[2]))
        except ValueError as exc:
            raise DecisionError(f"date({', '.join(show(a) for a in args)}): {exc}") from None
    if any(a is None for a in args):
        return None
    raise DecisionError(f"date() takes a text or year, month, day, not {', '.join(kind(a) for a in args)}")


def _one_text(name: str, parse: Callable[[str], Any]) -> Callable[..., Any]:
    def build(*args: Any) -> Any:
        if len(args) != 1 or not isinstance(args[0], str | type(None)):
            raise DecisionError(f"{name}() takes one text")
        if args[0] is None:
            return None
        try:
            return parse(args[0])
        except ValueError:
            raise DecisionError(f'{name}("{args[0]}"): not a valid {name}') from None

    return build


BUILTINS: dict[str, Function] = {
    "date": Function("date", None, _date),
    "time": Function("time", None, _one_text("time", dt.time.fromisoformat)),
    "date and time": Function("date and time", None, _one_text("date and time", dt.datetime.fromisoformat)),
}


class NameTable:
    """The names of one DMN file that are not plain identifiers ("Monthly Salary"). FEEL allows spaces
    in names; the lexer cannot know where such a name ends, so known names are swapped for placeholder
    tokens before parsing (never inside string literals)."""

    def __init__(self, names: Collection[str] = ()) -> None:
        special = {n for n in names if n and not _SIMPLE_NAME.fullmatch(n) and n not in _KEYWORDS}
        special |= {n for n in BUILTINS if not _SIMPLE_NAME.fullmatch(n)}
        self.names = sorted(special, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(n) for n in self.names) + r")(?!\w)") if self.names else None
        )

    def protect(self, text: str) -> str:
        if self._pattern is None:
            return text
        pattern = self._pattern
        index = {name: i for i, name in enumerate(self.names)}

        def swap(segment: str) -> str:
            return pattern.sub(lambda m: f"\ue000{index[m.group(0)]}\ue001", segment)

        pieces, last = [], 0
        for literal in _STRING_LITERAL.finditer(text):
            pieces.append(swap(text[last : literal.start()]))
            pieces.append(literal.group(0))
            last = literal.end()
        pieces.append(swap(text[last:]))
        return "".join(pieces)

    def restore(self, text: str) -> str:
        return _PROTECTED.sub(lambda m: self.names[int(m.group(1))], text)


@dataclass(frozen=True)
class Node:
    """A compiled expression: its closure, and its value when it is a constant (folded at load time)."""

    evaluate: Evaluator
    constant: bool = False
    value: Any = None


def _const(value: Any) -> Node:
    return Node(lambda scope: value, True, value)


def _unescape(literal: str) -> str:
    body = literal[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", body[i + 2 : i + 6]):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _add(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return NUMBER_CONTEXT.add(a, b)
    if isinstance(a, str) and isinstance(b, str):
        return a + b
    if isinstance(a, dt.date) and isinstance(b, dt.timedelta):
        return a + b
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta | dt.date):
        return b + a
    raise DecisionError(f"cannot add {kind(a)} {show(a)} and {kind(b)} {show(b)}")


def _sub(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return NUMBER_CONTEXT.subtract(a, b)
    if isinstance(a, dt.date) and isinstance(b, dt.timedelta):
        return a - b
    if isinstance(a, dt.timedelta) and isinstance(b, dt.timedelta):
        return a - b
    if kind(a) == kind(b) and kind(a) in ("date", "date and time"):
        return a - b
    raise DecisionError(f"cannot subtract {kind(b)} {show(b)} from {kind(a)} {show(a)}")


def _numbers(op: str, a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return True
    raise DecisionError(f"cannot {op} {kind(a)} {show(a)} and {kind(b)} {show(b)}")


def _mul(a: Any, b: Any) -> Any:
    return NUMBER_CONTEXT.multiply(a, b) if _numbers("multiply", a, b) else None


def _div(a: Any, b: Any) -> Any:
    if not _numbers("divide", a, b) or b == 0:
        return None
    return NUMBER_CONTEXT.divide(a, b)


def _pow(a: Any, b: Any) -> Any:
    if not _numbers("raise", a, b):
        return None
    try:
        return NUMBER_CONTEXT.power(a, b)
    except decimal.Overflow:
        raise DecisionError(f"{show(a)} ** {show(b)} is too large") from None
    except (decimal.InvalidOperation, decimal.DivisionByZero):
        return None


def _neg(a: Any) -> Any:
    if a is None:
        return None
    if isinstance(a, Decimal):
        return NUMBER_CONTEXT.minus(a)
    if isinstance(a, dt.timedelta):
        return -a
    raise DecisionError(f"cannot negate {kind(a)} {show(a)}")


def _boolean(value: Any, op: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise DecisionError(f"'{op}' needs booleans, got {kind(value)} {show(value)}")


_DATE_PARTS = {"year", "month", "day", "hour", "minute", "second"}


def _path(value: Any, key: str) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list):
        return [_path(item, key) for item in value]
    if isinstance(value, dt.date | dt.time) and key in _DATE_PARTS and hasattr(value, key):
        return Decimal(getattr(value, key))
    raise DecisionError(f"{kind(value)} {show(value)} has no '{key}'")


def _comparator(op: str) -> Callable[[Any, Any], bool | None]:
    if op == "=":
        return equal
    if op == "!=":
        return lambda a, b: not equal(a, b)
    wanted = {"<": (-1,), "<=": (-1, 0), ">": (1,), ">=": (1, 0)}[op]

    def ordered(a: Any, b: Any) -> bool | None:
        order = compare(a, b)
        return None if order is None else order in wanted

    return ordered


def _binary(function: Callable[[Any, Any], Any], left: Node, right: Node) -> Node:
    if left.constant and right.constant:
        return _const(function(left.value, right.value))
    lhs, rhs = left.evaluate, right.evaluate
    return Node(lambda scope: function(lhs(scope), rhs(scope)))


@v_args(inline=True)
class _Compiler(Transformer[Token, Any]):
    def __init__(self, names: NameTable, functions: Mapping[str, Function]) -> None:
        super().__init__()
        self._names = names
        self._functions = functions

    def name(self, token: Token) -> str:
        return self._names.restore(str(token))

    def number(self, token: Token) -> Node:
        return _const(NUMBER_CONTEXT.create_decimal(str(token)))

    def string(self, token: Token) -> Node:
        return _const(_unescape(str(token)))

    def true(self) -> Node:
        return _const(True)

    def false(self) -> Node:
        return _const(False)

    def null(self) -> Node:
        return _const(None)

    def ref(self, name: str) -> Node:
        return Node(lambda scope: scope.get(name))

    def path(self, target: Node, key: str) -> Node:
        if target.constant:
            return _const(_path(target.value, key))
        get = target.evaluate
        return Node(lambda scope: _path(get(scope), key))

    def call(self, name: str, *args: Node) -> Node:
        function = self._functions.get(name)
        if function is None:
            raise FeelSyntaxError(f"unknown function '{name}'")
        if function.parameters is not None and len(args) != len(function.parameters):
            raise FeelSyntaxError(
                f"'{name}' takes {len(function.parameters)} arguments "
                f"({', '.join(function.parameters)}), not {len(args)}"
            )
        if name in BUILTINS and all(a.constant for a in args):
            try:
                return _const(function(*(a.value for a in args)))
            except DecisionError as exc:
                raise FeelSyntaxError(str(exc)) from None
        evaluators = [a.evaluate for a in args]
        return Node(lambda scope: function(*(e(scope) for e in evaluators)))

    def not_(self, operand: Node) -> Node:
        def negate(value: Any) -> bool | None:
            value = _boolean(value, "not")
            return None if value is None else not value

        if operand.constant:
            return _const(negate(operand.value))
        get = operand.evaluate
        return Node(lambda scope: negate(get(scope)))

    def and_(self, left: Node, right: Node) -> Node:
        lhs, rhs = left.evaluate, right.evaluate

        def conjunction(scope: Scope) -> bool | None:
            a = _boolean(lhs(scope), "and")
            if a is False:
                return False
            b = _boolean(rhs(scope), "and")
            if b is False:
                return False
            return None if a is None or b is None else True

        return Node(conjunction)

    def or_(self, left: Node, right: Node) -> Node:
        lhs, rhs = left.evaluate, right.evaluate

        def disjunction(scope: Scope) -> bool | None:
            a = _boolean(lhs(scope), "or")
            if a is True:
                return True
            b = _boolean(rhs(scope), "or")
            if b is True:
                return True
            return None if a is None or b is None else False

        return Node(disjunction)

    def compare(self, left: Node, op: Token, right: Node) -> Node:
        return _binary(_comparator(str(op)), left, right)

    def add(self, left: Node, right: Node) -> Node:
        return _binary(_add, left, right)

    def sub(self, left: Node, right: Node) -> Node:
        return _binary(_sub, left, right)

    def mul(self, left: Node, right: Node) -> Node:
        return _binary(_mul, left, right)

    def div(self, left: Node, right: Node) -> Node:
        return _binary(_div, left, right)

    def pow(self, left: Node, right: Node) -> Node:
        return _binary(_pow, left, right)

    def neg(self, operand: Node) -> Node:
        if operand.constant:
            return _const(_neg(operand.value))
        get = operand.evaluate
        return Node(lambda scope: _neg(get(scope)))

    # Unary tests: each positive test becomes fn(input_value, scope) -> True / False / None.

    def op_test(self, op: Token, endpoint: Node) -> Test:
        check = _comparator(str(op))
        if endpoint.constant:
            bound = endpoint.value
            return lambda value, scope: check(value, bound)
        get = endpoint.evaluate
        return lambda value, scope: check(value, get(scope))

    def eq_test(self, endpoint: Node) -> Test:
        return self.op_test(Token("COMP_OP", "="), endpoint)

    def interval_end(self, token: Token) -> str:
        return str(token)

    def _interval(self, low: Node, high: Node, low_closed: bool, end: str) -> Test:
        high_closed = end == "]"
        low_get, high_get = low.evaluate, high.evaluate

        def within(value: Any, scope: Scope) -> bool | None:
            lower = compare(value, low_get(scope))
            upper = compare(value, high_get(scope))
            if lower is None or upper is None:
                return None
            return (lower > 0 or (low_closed and lower == 0)) and (upper < 0 or (high_closed and upper == 0))

        return within

    def closed_start(self, low: Node, high: Node, end: str) -> Test:
        return self._interval(low, high, True, end)

    def open_start(self, low: Node, high: Node, end: str) -> Test:
        return self._interval(low, high, False, end)

    def positive_unary_tests(self, *tests: Test) -> tuple[Test, ...]:
        return tests


def _parse(text: str, start: str, names: NameTable, functions: Mapping[str, Function]) -> Any:
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
        return _Compiler(names, functions).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, FeelSyntaxError):
            raise FeelSyntaxError(f"cannot read {text!r}: {exc.orig_exc}") from None
        if isinstance(exc.orig_exc, DecisionError):
            raise FeelSyntaxError(f"cannot read {text!r}: {exc.orig_exc}") from None
        raise


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

    def matches(self, value: Any, scope: Scope) -> bool:
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
            return outcome is False
        return outcome is True

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
            literal = _STRING_LITERAL.match(rest, i)
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
    stripped = text.strip()
    if stripped in ("", "-"):
        return UnaryTests(text, ())
    inner = _split_not(stripped)
    body = inner if inner is not None else stripped
    if not body.strip():
        raise FeelSyntaxError(f"cannot read {text!r}: not() needs at least one test")
    tests = _parse(body, "positive_unary_tests", names or NameTable(), functions or BUILTINS)
    return UnaryTests(text, tuple(tests), negated=inner is not None)
