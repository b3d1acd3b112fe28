"""How a built-in is declared and invoked: its signatures (parameter names, for named invocation), which
parameters may be null, and the argument checks every built-in shares. A wrong argument gives null with a
note (DMN 1.5 §10.3.2.2: an invocation error is null), never an exception."""

from __future__ import annotations

import decimal
import inspect
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ..feel import FOLDABLE
from ..scope import Function, note
from ..temporal import feel_type
from ..values import kind, show

_ERRORS = (TypeError, ValueError, ArithmeticError, AttributeError, KeyError, IndexError, OverflowError, TimeoutError)


class Builtin(Function):
    """A built-in with one or more signatures; the first whose parameters fit the call is used."""

    def __init__(
        self,
        name: str,
        signatures: Sequence[tuple[tuple[str, ...], Callable[..., Any]]],
        nullable: frozenset[str] = frozenset(),
        variadic: bool = False,
    ) -> None:
        super().__init__(name, None, None)
        self.signatures = [(params, impl, max(_required(impl), 1 if variadic else 0)) for params, impl in signatures]
        self.nullable = nullable
        self.variadic = variadic

    def invoke(self, args: list[Any], named: dict[str, Any] | None) -> Any:
        chosen = None
        for params, impl, required in self.signatures:
            if named is not None:
                if set(named) <= set(params) and all(p in named for p in params[:required]):
                    chosen = params, impl
                    args = [named.get(p) for p in params[: max(required, _last_given(params, named))]]
                    break
            elif required <= len(args) <= len(params) or (self.variadic and len(args) >= required):
                chosen = params, impl
                break
        if chosen is None:
            note(f"{self.name}() cannot be called with these arguments")
            return None
        params, impl = chosen
        args = list(args)
        for index, (param, value) in enumerate(zip(params, args, strict=False)):
            if value is None and param not in self.nullable:
                return None
            if type(value) is list and len(value) == 1 and param in _SINGLE_VALUES:
                args[index] = value[0]  # a singleton list where one value is expected (DMN 1.5 §10.3.2.9.4)
        try:
            return impl(*args)
        except _ERRORS as exc:
            note(f"{self.name}({', '.join(show(a) for a in args)}): {exc or 'not defined for these values'}")
            return None


# Parameters that take one value, never a list: a singleton list passed there is its element.
_SINGLE_VALUES = frozenset(
    {"string", "n", "number", "date", "time", "input", "pattern", "replacement", "flags", "delimiter", "dividend"}
    | {"divisor", "scale", "start position", "length", "year", "month", "day", "hour", "minute", "second"}
    | {"grouping separator", "decimal separator", "negand"}
)


def _required(impl: Callable[..., Any]) -> int:
    signature = inspect.signature(impl)
    return sum(
        1
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind is not inspect.Parameter.VAR_POSITIONAL
    )


def _last_given(params: tuple[str, ...], named: dict[str, Any]) -> int:
    return max((i + 1 for i, p in enumerate(params) if p in named), default=0)


BUILTINS: dict[str, Function] = {}


def define(
    name: str,
    *signatures: tuple[tuple[str, ...], Callable[..., Any]],
    nullable: Sequence[str] = (),
    variadic: bool = False,
    foldable: bool = True,
) -> None:
    BUILTINS[name] = Builtin(name, signatures, frozenset(nullable), variadic)
    if foldable:
        FOLDABLE.add(name)


def need(value: Any, *types: type) -> Any:
    if feel_type(value) not in types:
        raise TypeError(f"{kind(value)} {show(value)} is not of the expected type")
    return value


def integer(value: Any) -> int:
    need(value, Decimal)
    if value != value.to_integral_value():
        raise ValueError(f"{show(value)} is not a whole number")
    return int(value)


def whole(value: Any) -> int:
    """A position, length or scale given as a number: its whole part (`substring("foobar", 3, 3.8)`
    is "oba", as the TCK expects)."""
    return int(need(value, Decimal).to_integral_value(decimal.ROUND_DOWN))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def list_or_args(args: tuple[Any, ...]) -> list[Any]:
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    if not args:
        raise TypeError("no values given")
    return list(args)
