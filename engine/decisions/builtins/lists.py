"""List functions (DMN 1.5 §10.3.4.4), their statistics (§10.3.4.5 `product`, `median`, `stddev`,
`mode`) and `sort` (§10.3.4.10)."""

from __future__ import annotations

import decimal
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..scope import invoke
from ..values import NUMBER_CONTEXT, Range, compare, equal
from .registry import as_list, define, integer, list_or_args, need


def _list_contains(items: Any, element: Any) -> bool:
    return any(equal(item, element) for item in need(items, list))


def _count(items: Any) -> Decimal:
    return Decimal(len(as_list(items)))


def _extreme(sign: int) -> Callable[..., Any]:
    def pick(*args: Any) -> Any:
        values = list_or_args(args)
        if not values:
            return None
        best = values[0]
        for value in values[1:]:
            order = compare(value, best)
            if order is None:
                raise TypeError("the values cannot be ordered")
            if order == sign:
                best = value
        if compare(best, best) is None:
            raise TypeError("the values cannot be ordered")
        return best

    return pick


def _numbers(args: tuple[Any, ...]) -> list[Decimal]:
    values = list_or_args(args)
    for value in values:
        need(value, Decimal)
    return values


def _fold(args: tuple[Any, ...], combine: Callable[[Decimal, Decimal], Decimal]) -> Decimal | None:
    """Numbers combined left to right (exactly, in decimal128); null for none."""
    values = _numbers(args)
    return functools.reduce(combine, values) if values else None


def _sum(*args: Any) -> Decimal | None:
    return _fold(args, NUMBER_CONTEXT.add)


def _product(*args: Any) -> Decimal | None:
    return _fold(args, NUMBER_CONTEXT.multiply)


def _mean(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if not values:
        return None
    return NUMBER_CONTEXT.divide(_sum(values) or Decimal(0), Decimal(len(values)))


def _median(*args: Any) -> Decimal | None:
    values = sorted(_numbers(args))
    if not values:
        return None
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return NUMBER_CONTEXT.divide(NUMBER_CONTEXT.add(values[middle - 1], values[middle]), Decimal(2))


def _stddev(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if len(values) < 2:
        return None
    mean = _mean(values) or Decimal(0)
    squares = sum((NUMBER_CONTEXT.power(v - mean, 2) for v in values), Decimal(0))
    return NUMBER_CONTEXT.sqrt(NUMBER_CONTEXT.divide(squares, Decimal(len(values) - 1)))


def _mode(*args: Any) -> list[Decimal]:
    values = _numbers(args)
    counts: dict[Decimal, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    if not counts:
        return []
    most = max(counts.values())
    return sorted(v for v, n in counts.items() if n == most)


def _all(*args: Any) -> bool | None:
    values = list_or_args(args) if args else []
    if any(v is False for v in values):
        return False
    if any(not isinstance(v, bool) for v in values):
        return None
    return True


def _any(*args: Any) -> bool | None:
    values = list_or_args(args) if args else []
    if any(v is True for v in values):
        return True
    if any(not isinstance(v, bool) for v in values):
        return None
    return False


def _sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    need(items, list)
    position = integer(start)
    if position == 0 or abs(position) > len(items):
        raise IndexError("the start position is outside the list")
    begin = position - 1 if position > 0 else len(items) + position
    if length is None:
        return items[begin:]
    count = integer(length)
    if count < 0 or begin + count > len(items):
        raise IndexError("the length runs past the end of the list")
    return items[begin : begin + count]


def _append(items: Any, *new: Any) -> list[Any]:
    return [*as_list(items), *new]


def _concatenate(*lists: Any) -> list[Any]:
    result: list[Any] = []
    for item in lists:
        result.extend(need(item, list))
    return result


def _position(items: list[Any], position: Any) -> int:
    index = integer(position)
    if index == 0 or abs(index) > len(items):
        raise IndexError("the position is outside the list")
    return index - 1 if index > 0 else len(items) + index


def _insert_before(items: Any, position: Any, new_item: Any) -> list[Any]:
    values = as_list(items)
    index = _position(values, position)
    return [*values[:index], new_item, *values[index:]]


def _remove(items: Any, position: Any) -> list[Any]:
    values = as_list(items)
    index = _position(values, position)
    return values[:index] + values[index + 1 :]


def _list_replace(items: Any, position: Any, new_item: Any) -> list[Any]:
    values = list(as_list(items))
    if callable(position) and not isinstance(position, Range):
        result = []
        for value in values:
            verdict = invoke(position, [value, new_item], None, "match")
            if not isinstance(verdict, bool):
                raise TypeError("the match function must give a boolean")
            result.append(new_item if verdict else value)
        return result
    need(position, Decimal)
    index = _position(values, position.to_integral_value(decimal.ROUND_DOWN))
    values[index] = new_item
    return values


def _index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(i) for i, v in enumerate(as_list(items), 1) if equal(v, match)]


def _distinct(values: list[Any]) -> list[Any]:
    result: list[Any] = []
    for value in values:
        if not any(equal(value, seen) is True for seen in result):
            result.append(value)
    return result


def _union(*lists: Any) -> list[Any]:
    return _distinct([v for item in lists for v in as_list(item)])


def _flatten(items: Any) -> list[Any]:
    result: list[Any] = []
    for value in as_list(items):
        if isinstance(value, list):
            result.extend(_flatten(value))
        else:
            result.append(value)
    return result


def _sort(items: Any, precedes: Any = None) -> list[Any]:
    values = as_list(items)
    if precedes is None:
        for value in values:
            if compare(value, values[0]) is None:
                raise TypeError("the values cannot be ordered")
        return sorted(values, key=functools.cmp_to_key(lambda a, b: compare(a, b) or 0))

    def order(a: Any, b: Any) -> int:
        if invoke(precedes, [a, b], None, "precedes") is True:
            return -1
        if invoke(precedes, [b, a], None, "precedes") is True:
            return 1
        return 0

    if not callable(precedes) or isinstance(precedes, Range):
        raise TypeError("precedes must be a function")
    return sorted(values, key=functools.cmp_to_key(order))


define("list contains", (("list", "element"), _list_contains), nullable=("element",))
define("count", (("list",), _count))
for _name, _impl in (
    ("min", _extreme(-1)),
    ("max", _extreme(1)),
    ("sum", _sum),
    ("product", _product),
    ("mean", _mean),
    ("median", _median),
    ("stddev", _stddev),
    ("mode", _mode),
):
    define(_name, (("list",), _impl), variadic=True)
define("all", (("list",), _all), variadic=True, nullable=("list",))
define("any", (("list",), _any), variadic=True, nullable=("list",))
define("sublist", (("list", "start position", "length"), _sublist))
define("append", (("list", "item"), _append), variadic=True, nullable=("item",))
define("concatenate", (("list",), _concatenate), variadic=True)
define("insert before", (("list", "position", "newItem"), _insert_before), nullable=("newItem",))
define("remove", (("list", "position"), _remove))
define("reverse", (("list",), lambda items: list(reversed(as_list(items)))))
define("index of", (("list", "match"), _index_of), nullable=("match",))
define("union", (("list",), _union), variadic=True)
define("distinct values", (("list",), lambda items: _distinct(as_list(items))))
define("flatten", (("list",), _flatten))
define("sort", (("list", "precedes"), _sort))
define(
    "list replace",
    (("list", "position", "newItem"), _list_replace),
    (("list", "match", "newItem"), _list_replace),
    nullable=("newItem",),
)
