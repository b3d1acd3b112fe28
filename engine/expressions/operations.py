"""The operations behind the compiled closures: operators with their size guards, reading and writing
task data, resolving a called name, formatting, and turning Python errors into plain words."""

from __future__ import annotations

import ast
import decimal
import difflib
import operator
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from engine.expressions.errors import ExpressionError, UnsafeExpression
from engine.expressions.library import BUILTINS, CLOCK_METHODS, DICT_METHODS, Function, members
from engine.expressions.limits import (
    MAX_FORMAT_NUMBER,
    MAX_INT_BITS,
    MAX_LENGTH,
    SCALARS,
    Run,
    check_result,
    guard,
    too_long,
)


def _check_concat(a: Any, b: Any) -> None:
    if isinstance(a, str | list | tuple) and isinstance(b, str | list | tuple):
        length = len(a) + len(b)
        if length > MAX_LENGTH:
            raise too_long("'+'", length)


def _check_multiply(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int):
        # The product has at least bits(a) + bits(b) - 1 bits: refuse before multiplying.
        if a.bit_length() + b.bit_length() - 1 > MAX_INT_BITS:
            raise ExpressionError(f"the result of '*' would have more than {MAX_INT_BITS:,} bits")
    elif isinstance(b, int) and isinstance(a, str | list | tuple):
        if len(a) * b > MAX_LENGTH:
            raise too_long("'*'", len(a) * b)
    elif isinstance(a, int) and isinstance(b, str | list | tuple) and len(b) * a > MAX_LENGTH:
        raise too_long("'*'", len(b) * a)


def _check_power(a: Any, b: Any) -> None:
    # a ** b has at least (bits(a) - 1) * b + 1 bits: refuse before computing it.
    if isinstance(a, int) and isinstance(b, int) and b > 0 and (a.bit_length() - 1) * b + 1 > MAX_INT_BITS:
        raise ExpressionError(f"the result of '**' would have more than {MAX_INT_BITS:,} bits")


def _check_shift(a: Any, b: Any) -> None:
    if isinstance(a, int) and isinstance(b, int) and a and b > 0 and a.bit_length() + b > MAX_INT_BITS:
        raise ExpressionError(f"the result of '<<' would have more than {MAX_INT_BITS:,} bits")


def _check_modulo(a: Any, _b: Any) -> None:
    # printf-style formatting takes widths from its arguments ('%*d' % (10**9, 1)): use f-strings.
    if isinstance(a, str | bytes):
        raise UnsafeExpression("'%' formatting of text is not allowed: use an f-string")


class Operator(NamedTuple):
    apply: Callable[[Any, Any], Any]
    apply_in_place: Callable[[Any, Any], Any]
    precheck: Callable[[Any, Any], None] | None


BINARY: dict[type[ast.operator], Operator] = {
    ast.Add: Operator(operator.add, operator.iadd, _check_concat),
    ast.Sub: Operator(operator.sub, operator.isub, None),
    ast.Mult: Operator(operator.mul, operator.imul, _check_multiply),
    ast.Div: Operator(operator.truediv, operator.itruediv, None),
    ast.FloorDiv: Operator(operator.floordiv, operator.ifloordiv, None),
    ast.Mod: Operator(operator.mod, operator.imod, _check_modulo),
    ast.Pow: Operator(operator.pow, operator.ipow, _check_power),
    ast.LShift: Operator(operator.lshift, operator.ilshift, _check_shift),
    ast.RShift: Operator(operator.rshift, operator.irshift, None),
    ast.BitOr: Operator(operator.or_, operator.ior, None),
    ast.BitXor: Operator(operator.xor, operator.ixor, None),
    ast.BitAnd: Operator(operator.and_, operator.iand, None),
}

UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
    ast.Invert: operator.invert,
    ast.Not: operator.not_,
}

COMPARE: dict[type[ast.cmpop], Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


def _decimal_pair(a: Any, b: Any) -> tuple[Any, Any]:
    # Money arrives as Decimal; an analyst writes 0.75. Read the float as the decimal it prints as,
    # which is what they meant, instead of failing (arithmetic) or comparing binary fractions (==).
    if type(a) is float and isinstance(b, Decimal):
        return Decimal(repr(a)), b
    if isinstance(a, Decimal) and type(b) is float:
        return a, Decimal(repr(b))
    return a, b


def arithmetic(run: Run, op: Operator, apply: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    if op.precheck is not None:
        op.precheck(a, b)
    try:
        result = apply(a, b)
    except TypeError:
        a2, b2 = _decimal_pair(a, b)
        if a2 is a and b2 is b:
            raise
        result = apply(a2, b2)
    return check_result(run, result)


def compare(run: Run, test: Callable[[Any, Any], Any], a: Any, b: Any) -> Any:
    kind_a = type(a)
    kind_b = type(b)
    if kind_b not in SCALARS:
        run.check_time()  # `x in big_list` is one C call, but can be a long one
        if kind_a not in SCALARS:
            guard(a)
            guard(b)
    elif kind_a is not kind_b:
        a, b = _decimal_pair(a, b)
    return test(a, b)


def type_name(value: Any) -> str:
    return type(value).__name__


def read_attribute(value: Any, attr: str) -> Any:
    if isinstance(value, dict):
        # `dossier.applicant` reads a field of task data; dict methods keep their meaning.
        if attr in DICT_METHODS:
            raise ExpressionError(f"'.{attr}' is a method: call it, as in .{attr}(…)")
        try:
            return value[attr]
        except KeyError:
            raise ExpressionError(f"the dict has no field '{attr}'") from None
    found = members(type(value))
    if found is not None:
        if attr in found.fields:
            return getattr(value, attr)
        if attr in found.methods:
            raise ExpressionError(f"'.{attr}' is a method: call it, as in .{attr}(…)")
    raise UnsafeExpression(f"the attribute '.{attr}' of {type_name(value)} is not allowed")


def set_item(run: Run, container: Any, key: Any, value: Any) -> None:
    if not isinstance(container, dict | list):
        raise UnsafeExpression(f"cannot assign into a {type_name(container)}: only lists and dicts can change")
    if type(key) is tuple:
        guard(key)
    size = len(container)
    container[key] = value
    charge_growth(run, container, size)


def set_field(run: Run, container: Any, attr: str, value: Any) -> None:
    if not isinstance(container, dict):
        raise UnsafeExpression(f"cannot set '.{attr}' on a {type_name(container)}: only dict fields can be set")
    if attr in DICT_METHODS:
        raise ExpressionError(f"'{attr}' is the name of a dict method: write x['{attr}'] = … instead")
    set_item(run, container, attr, value)


def delete_item(container: Any, key: Any) -> None:
    if not isinstance(container, dict | list):
        raise UnsafeExpression(f"cannot delete from a {type_name(container)}: only lists and dicts can change")
    del container[key]


def charge_growth(run: Run, container: Any, size_before: int) -> None:
    grown = len(container) - size_before
    if grown > 0:
        if len(container) > MAX_LENGTH:
            raise too_long(f"a {type_name(container)}", len(container))
        run.charge(grown)


def unpack(value: Any, count: int) -> Sequence[Any]:
    items = value if isinstance(value, list | tuple) else list(value)
    if len(items) != count:
        raise ExpressionError(f"expected {count} values to unpack, got {len(items)}")
    return items


def undefined(run: Run, name: str) -> ExpressionError:
    if name in run.functions or name in BUILTINS:
        return ExpressionError(f"'{name}' is a function: call it, as in {name}(…)")
    close = difflib.get_close_matches(name, [key for key in run.names if isinstance(key, str)], n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return ExpressionError(f"'{name}' is not defined: no task data field or function has that name{hint}")


def refused_class_method(name: str, attr: str) -> UnsafeExpression:
    hint = " (the current date and time come from platform functions)" if attr in CLOCK_METHODS else ""
    return UnsafeExpression(f"'{name}.{attr}()' is not allowed{hint}")


def resolve_function(run: Run, name: str) -> Function:
    # A call looks for a function first: data can never be called, so a form field named `date`
    # does not hide date(…).
    platform = run.functions.get(name)
    if platform is not None:
        return Function(platform, inspects=True, platform=True)
    builtin = BUILTINS.get(name)
    if builtin is not None:
        return builtin
    if name in run.names:
        raise ExpressionError(f"'{name}' is task data, not a function")
    raise undefined(run, name)


_SPEC_NUMBER = re.compile(r"\d+")
CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("s"): str, ord("r"): repr, ord("a"): ascii}


def format_value(value: Any, spec: str) -> str:
    # A width or precision in the spec sizes the output: f"{1:>1000000000}" is a gigabyte.
    if not hasattr(value, "strftime"):  # dates take strftime codes, whose literal digits are harmless
        for number in _SPEC_NUMBER.findall(spec):
            if len(number) > 4 or int(number) > MAX_FORMAT_NUMBER:
                raise ExpressionError(f"a width or precision in a format spec is over {MAX_FORMAT_NUMBER:,}")
    text = format(value, spec)
    if len(text) > MAX_LENGTH:
        raise too_long("a formatted value", len(text))
    return text


# What data can make Python raise. Anything else (NameError, AssertionError…) is a bug of the evaluator
# and must surface as one, not as a message to the analyst.
TRANSLATED = (ArithmeticError, LookupError, TypeError, ValueError, RuntimeError, MemoryError)


def translate(err: Exception, line: int | None) -> ExpressionError:
    """A Python error in plain words, at the line of the statement that raised it."""
    if isinstance(err, decimal.Overflow):
        message = "a number is too large"
    elif isinstance(err, ZeroDivisionError):
        message = "division by zero"
    elif isinstance(err, decimal.DecimalException):
        message = "invalid decimal operation (not a number, or a result with too many digits)"
    elif isinstance(err, KeyError):
        message = f"no key {err.args[0]!r}" if err.args else "no such key"
    elif isinstance(err, RecursionError):
        message = "the data is nested too deeply"
    elif isinstance(err, MemoryError):
        message = "not enough memory"
    else:
        message = str(err) or type(err).__name__
    return ExpressionError(message, line)


def no_method(value: Any, attr: str, is_field: bool) -> ExpressionError:
    if is_field:
        return ExpressionError(f"'.{attr}' is a field, not a method: write .{attr} without ()")
    return UnsafeExpression(f"the method '.{attr}()' of {type_name(value)} is not allowed")
