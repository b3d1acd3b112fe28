"""FEEL's built-in functions (DMN 1.5 §10.3.4): conversion, boolean, string, list, numeric, date and
time, temporal, range and context functions, and `sort`.

Each built-in lists its signatures (parameter names, for named invocation). A wrong argument gives null
with a note (§10.3.2.2: an invocation error is null), never an exception; a null argument gives null
except where the function is about nulls (`list contains`, `append`, `is`...).
"""

from __future__ import annotations

import datetime as dt
import decimal
import functools
import inspect
import re
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from .errors import FeelSyntaxError
from .feel import FOLDABLE, compile_expression
from .scope import Function, invoke, note
from .temporal import (
    FarDate,
    YearsMonths,
    combine,
    feel_type,
    format_date,
    format_date_and_time,
    format_duration,
    format_time,
    is_date_and_time,
    make_date,
    months_between,
    parse_date,
    parse_date_and_time,
    parse_duration,
    parse_time,
)
from .values import NUMBER_CONTEXT, Range, compare, equal, kind, plain_number, show
from .xpath_regex import TIME_LIMIT, compile_xpath, python_replacement

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


def _define(
    name: str,
    *signatures: tuple[tuple[str, ...], Callable[..., Any]],
    nullable: Sequence[str] = (),
    variadic: bool = False,
    foldable: bool = True,
) -> None:
    BUILTINS[name] = Builtin(name, signatures, frozenset(nullable), variadic)
    if foldable:
        FOLDABLE.add(name)


def _need(value: Any, *types: type) -> Any:
    if feel_type(value) not in types:
        raise TypeError(f"{kind(value)} {show(value)} is not of the expected type")
    return value


def _integer(value: Any) -> int:
    _need(value, Decimal)
    if value != value.to_integral_value():
        raise ValueError(f"{show(value)} is not a whole number")
    return int(value)


def _whole(value: Any) -> int:
    """A position, length or scale given as a number: its whole part (`substring("foobar", 3, 3.8)`
    is "oba", as the TCK expects)."""
    return int(_need(value, Decimal).to_integral_value(decimal.ROUND_DOWN))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _list_or_args(args: tuple[Any, ...]) -> list[Any]:
    if len(args) == 1 and isinstance(args[0], list):
        return args[0]
    if not args:
        raise TypeError("no values given")
    return list(args)


# -- conversion -------------------------------------------------------------------------------------


def _parsed(value: Any, what: str) -> Any:
    if value is None:
        raise ValueError(f"not a valid {what}")
    return value


def _date_from(value: Any) -> Any:
    if type(value) is str:
        return _parsed(parse_date(value), "date")
    if feel_type(value) is dt.datetime:
        return value.date()
    if type(value) is FarDate:
        return FarDate(value.base.date(), value.cycles) if is_date_and_time(value) else value
    return _need(value, dt.date)


def _date_parts(year: Any, month: Any, day: Any) -> Any:
    return make_date(_integer(year), _integer(month), _integer(day))


def _date_and_time_from(value: Any) -> Any:
    if type(value) is str:
        return _parsed(parse_date_and_time(value), "date and time")
    if feel_type(value) is dt.date or (type(value) is FarDate and not is_date_and_time(value)):
        return combine(value, dt.time(0))
    return _need(value, dt.datetime, FarDate)


def _date_and_time_parts(day: Any, clock: Any) -> Any:
    _need(day, dt.date, dt.datetime, FarDate)
    _need(clock, dt.time)
    if is_date_and_time(day):
        day = _date_from(day)
    return combine(day, clock)


def _time_from(value: Any) -> dt.time | None:
    if type(value) is str:
        return _parsed(parse_time(value), "time")
    if type(value) is FarDate and is_date_and_time(value):
        return value.base.timetz()
    if feel_type(value) is dt.datetime:
        return value.timetz()
    if feel_type(value) is dt.date:
        return dt.time(0, tzinfo=dt.UTC)
    return _need(value, dt.time)


def _time_parts(hour: Any, minute: Any, second: Any, offset: Any = None) -> dt.time:
    _need(second, Decimal)
    whole = int(second)
    micros = int((second - whole) * 1_000_000)
    zone = None
    if offset is not None:
        _need(offset, dt.timedelta)
        zone = dt.timezone(offset)
    return dt.time(_integer(hour), _integer(minute), whole, micros, tzinfo=zone)


_GROUPING = {" ", ",", ".", None}
_DECIMAL_MARKS = {".", ",", None}


def _number_from(text: Any, grouping: Any = None, decimal_mark: Any = None) -> Decimal | None:
    _need(text, str)
    if grouping not in _GROUPING or decimal_mark not in _DECIMAL_MARKS:
        raise ValueError("unknown separators")
    if grouping is not None and grouping == decimal_mark:
        raise ValueError("the grouping and decimal separators are the same")
    if grouping:
        text = text.replace(grouping, "")
    if decimal_mark:
        text = text.replace(decimal_mark, ".")
    if not re.fullmatch(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", text):
        raise ValueError("not a number")
    return NUMBER_CONTEXT.create_decimal(text)


def feel_string(value: Any) -> str | None:
    """`string(from)`: the text of a value (dates and durations in their ISO forms)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return plain_number(value)
    if isinstance(value, dt.datetime) or (isinstance(value, FarDate) and is_date_and_time(value)):
        return format_date_and_time(value)
    if isinstance(value, dt.date | FarDate):
        return format_date(value)
    if isinstance(value, dt.time):
        return format_time(value)
    if isinstance(value, dt.timedelta):
        return format_duration(value)
    if isinstance(value, YearsMonths):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(feel_string(v) or "null" for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {feel_string(v) or 'null'}" for k, v in value.items()) + "}"
    return show(value)


def _duration_from(value: Any) -> Any:
    _need(value, str)
    return _parsed(parse_duration(value), "duration")


def _years_and_months(start: Any, end: Any) -> YearsMonths:
    _need(start, dt.date, dt.datetime, FarDate)
    _need(end, dt.date, dt.datetime, FarDate)
    return months_between(start, end)


_define("date", (("from",), _date_from), (("year", "month", "day"), _date_parts))
_define("date and time", (("from",), _date_and_time_from), (("date", "time"), _date_and_time_parts))
_define("time", (("from",), _time_from), (("hour", "minute", "second", "offset"), _time_parts), nullable=("offset",))
_define(
    "number",
    (("from", "grouping separator", "decimal separator"), _number_from),
    nullable=("grouping separator", "decimal separator"),
)
_define("string", (("from",), feel_string))
_define("duration", (("from",), _duration_from))
_define("years and months duration", (("from", "to"), _years_and_months))


# -- boolean ----------------------------------------------------------------------------------------


def _not(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


_define("not", (("negand",), _not))


# -- strings ----------------------------------------------------------------------------------------


def _substring(text: Any, start: Any, length: Any = None) -> str:
    _need(text, str)
    position = _whole(start)
    if position == 0:
        raise ValueError("positions start at 1")
    begin = position - 1 if position > 0 else len(text) + position
    begin = max(begin, 0)
    if length is None:
        return text[begin:]
    count = _whole(length)
    if count < 0:
        raise ValueError("the length is negative")
    return text[begin : begin + count]


def _text_fn(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda text: fn(_need(text, str))


def _two_texts(fn: Callable[[str, str], Any]) -> Callable[[Any, Any], Any]:
    return lambda text, match: fn(_need(text, str), _need(match, str))


def _before(text: str, match: str) -> str:
    index = text.find(match)
    return "" if index < 0 else text[:index]


def _after(text: str, match: str) -> str:
    index = text.find(match)
    return "" if index < 0 else text[index + len(match) :]


def _matches(text: Any, pattern: Any, flags: Any = None) -> bool:
    _need(text, str)
    _need(pattern, str)
    if flags is not None:
        _need(flags, str)
    return compile_xpath(pattern, flags).search(text, timeout=TIME_LIMIT) is not None


def _replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    for value in (text, pattern, replacement):
        _need(value, str)
    if flags is not None:
        _need(flags, str)
    compiled = compile_xpath(pattern, flags)
    if compiled.search("", timeout=TIME_LIMIT) is not None and pattern:
        raise ValueError("the pattern matches an empty text")
    if "q" in (flags or ""):
        return compiled.sub(lambda match: replacement, text, timeout=TIME_LIMIT)
    return compiled.sub(python_replacement(replacement), text, timeout=TIME_LIMIT)


def _split(text: Any, delimiter: Any) -> list[str]:
    _need(text, str)
    _need(delimiter, str)
    return compile_xpath(delimiter, None).split(text, timeout=TIME_LIMIT)


def _string_join(items: Any, delimiter: Any = None) -> str:
    values = _as_list(items)
    if delimiter is not None:
        _need(delimiter, str)
    for value in values:
        if value is not None:
            _need(value, str)
    return (delimiter or "").join(v for v in values if v is not None)


_define("substring", (("string", "start position", "length"), _substring))
_define("string length", (("string",), _text_fn(lambda text: Decimal(len(text)))))
_define("upper case", (("string",), _text_fn(str.upper)))
_define("lower case", (("string",), _text_fn(str.lower)))
_define("substring before", (("string", "match"), _two_texts(_before)))
_define("substring after", (("string", "match"), _two_texts(_after)))
_define("contains", (("string", "match"), _two_texts(lambda t, m: m in t)))
_define("starts with", (("string", "match"), _two_texts(str.startswith)))
_define("ends with", (("string", "match"), _two_texts(str.endswith)))
_define("matches", (("input", "pattern", "flags"), _matches), nullable=("flags",))
_define("replace", (("input", "pattern", "replacement", "flags"), _replace), nullable=("flags",))
_define("split", (("string", "delimiter"), _split))
_define("string join", (("list", "delimiter"), _string_join), nullable=("delimiter",))


# -- lists ------------------------------------------------------------------------------------------


def _list_contains(items: Any, element: Any) -> bool:
    return any(equal(item, element) for item in _need(items, list))


def _count(items: Any) -> Decimal:
    return Decimal(len(_as_list(items)))


def _extreme(sign: int) -> Callable[..., Any]:
    def pick(*args: Any) -> Any:
        values = _list_or_args(args)
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
    values = _list_or_args(args)
    for value in values:
        _need(value, Decimal)
    return values


def _sum(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if not values:
        return None
    total = Decimal(0)
    for value in values:
        total = NUMBER_CONTEXT.add(total, value)
    return total


def _product(*args: Any) -> Decimal | None:
    values = _numbers(args)
    if not values:
        return None
    total = Decimal(1)
    for value in values:
        total = NUMBER_CONTEXT.multiply(total, value)
    return total


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
    values = _list_or_args(args) if args else []
    if any(v is False for v in values):
        return False
    if any(not isinstance(v, bool) for v in values):
        return None
    return True


def _any(*args: Any) -> bool | None:
    values = _list_or_args(args) if args else []
    if any(v is True for v in values):
        return True
    if any(not isinstance(v, bool) for v in values):
        return None
    return False


def _sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    _need(items, list)
    position = _integer(start)
    if position == 0 or abs(position) > len(items):
        raise IndexError("the start position is outside the list")
    begin = position - 1 if position > 0 else len(items) + position
    if length is None:
        return items[begin:]
    count = _integer(length)
    if count < 0 or begin + count > len(items):
        raise IndexError("the length runs past the end of the list")
    return items[begin : begin + count]


def _append(items: Any, *new: Any) -> list[Any]:
    return [*_as_list(items), *new]


def _concatenate(*lists: Any) -> list[Any]:
    result: list[Any] = []
    for item in lists:
        result.extend(_need(item, list))
    return result


def _position(items: list[Any], position: Any) -> int:
    index = _integer(position)
    if index == 0 or abs(index) > len(items):
        raise IndexError("the position is outside the list")
    return index - 1 if index > 0 else len(items) + index


def _insert_before(items: Any, position: Any, new_item: Any) -> list[Any]:
    values = _as_list(items)
    index = _position(values, position)
    return [*values[:index], new_item, *values[index:]]


def _remove(items: Any, position: Any) -> list[Any]:
    values = _as_list(items)
    index = _position(values, position)
    return values[:index] + values[index + 1 :]


def _list_replace(items: Any, position: Any, new_item: Any) -> list[Any]:
    values = list(_as_list(items))
    if callable(position) and not isinstance(position, Range):
        result = []
        for value in values:
            verdict = invoke(position, [value, new_item], None, "match")
            if not isinstance(verdict, bool):
                raise TypeError("the match function must give a boolean")
            result.append(new_item if verdict else value)
        return result
    _need(position, Decimal)
    index = _position(values, position.to_integral_value(decimal.ROUND_DOWN))
    values[index] = new_item
    return values


def _index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(i) for i, v in enumerate(_as_list(items), 1) if equal(v, match)]


def _distinct(values: list[Any]) -> list[Any]:
    result: list[Any] = []
    for value in values:
        if not any(equal(value, seen) is True for seen in result):
            result.append(value)
    return result


def _union(*lists: Any) -> list[Any]:
    return _distinct([v for item in lists for v in _as_list(item)])


def _flatten(items: Any) -> list[Any]:
    result: list[Any] = []
    for value in _as_list(items):
        if isinstance(value, list):
            result.extend(_flatten(value))
        else:
            result.append(value)
    return result


def _sort(items: Any, precedes: Any = None) -> list[Any]:
    values = _as_list(items)
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


_define("list contains", (("list", "element"), _list_contains), nullable=("element",))
_define("count", (("list",), _count))
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
    _define(_name, (("list",), _impl), variadic=True)
_define("all", (("list",), _all), variadic=True, nullable=("list",))
_define("any", (("list",), _any), variadic=True, nullable=("list",))
_define("sublist", (("list", "start position", "length"), _sublist))
_define("append", (("list", "item"), _append), variadic=True, nullable=("item",))
_define("concatenate", (("list",), _concatenate), variadic=True)
_define("insert before", (("list", "position", "newItem"), _insert_before), nullable=("newItem",))
_define("remove", (("list", "position"), _remove))
_define("reverse", (("list",), lambda items: list(reversed(_as_list(items)))))
_define("index of", (("list", "match"), _index_of), nullable=("match",))
_define("union", (("list",), _union), variadic=True)
_define("distinct values", (("list",), lambda items: _distinct(_as_list(items))))
_define("flatten", (("list",), _flatten))
_define("sort", (("list", "precedes"), _sort))
_define(
    "list replace",
    (("list", "position", "newItem"), _list_replace),
    (("list", "match", "newItem"), _list_replace),
    nullable=("newItem",),
)


# -- numbers ----------------------------------------------------------------------------------------


def _scale(value: Any) -> int:
    scale = _whole(value)
    if not -6111 <= scale <= 6176:
        raise ValueError("the scale is out of range")
    return scale


def _rounding(mode: str) -> Callable[..., Decimal]:
    def round_to(number: Any, scale: Any = Decimal(0)) -> Decimal:
        _need(number, Decimal)
        places = _scale(scale)
        if number.as_tuple().exponent >= -places:  # already that precise (also avoids 34-digit overflow)
            return number
        return number.quantize(Decimal(1).scaleb(-places), rounding=mode, context=NUMBER_CONTEXT) + 0

    return round_to


def _abs(value: Any) -> Any:
    if isinstance(value, Decimal):
        return abs(value)
    if isinstance(value, dt.timedelta):
        return abs(value)
    if isinstance(value, YearsMonths):
        return YearsMonths(abs(value.months))
    raise TypeError(f"{kind(value)} has no absolute value")


def _modulo(dividend: Any, divisor: Any) -> Decimal | None:
    _need(dividend, Decimal)
    _need(divisor, Decimal)
    if not divisor:
        raise ZeroDivisionError("modulo by zero")
    quotient = NUMBER_CONTEXT.divide(dividend, divisor).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return NUMBER_CONTEXT.subtract(dividend, NUMBER_CONTEXT.multiply(divisor, quotient))


def _sqrt(value: Any) -> Decimal:
    _need(value, Decimal)
    if value < 0:
        raise ValueError("no square root of a negative number")
    return NUMBER_CONTEXT.sqrt(value)


def _log(value: Any) -> Decimal:
    _need(value, Decimal)
    if value <= 0:
        raise ValueError("no logarithm of a number that is not positive")
    return NUMBER_CONTEXT.ln(value)


def _exp(value: Any) -> Decimal:
    return NUMBER_CONTEXT.exp(_need(value, Decimal))


def _parity(remainder: int) -> Callable[[Any], bool]:
    return lambda value: _integer(value) % 2 == remainder


_define("decimal", (("n", "scale"), _rounding(decimal.ROUND_HALF_EVEN)))
_define("floor", (("n", "scale"), _rounding(decimal.ROUND_FLOOR)))
_define("ceiling", (("n", "scale"), _rounding(decimal.ROUND_CEILING)))
_define("round up", (("n", "scale"), _rounding(decimal.ROUND_UP)))
_define("round down", (("n", "scale"), _rounding(decimal.ROUND_DOWN)))
_define("round half up", (("n", "scale"), _rounding(decimal.ROUND_HALF_UP)))
_define("round half down", (("n", "scale"), _rounding(decimal.ROUND_HALF_DOWN)))
_define("abs", (("n",), _abs))
_define("modulo", (("dividend", "divisor"), _modulo))
_define("sqrt", (("number",), _sqrt))
_define("log", (("number",), _log))
_define("exp", (("number",), _exp))
_define("odd", (("number",), _parity(1)))
_define("even", (("number",), _parity(0)))


# -- dates and times --------------------------------------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _a_date(value: Any) -> dt.date:
    return _need(value, dt.date, dt.datetime)


def _is(left: Any = None, right: Any = None) -> bool:
    if kind(left) != kind(right):
        return False
    if isinstance(left, dt.datetime | dt.time):
        return left == right and left.tzinfo == right.tzinfo and left.utcoffset() == right.utcoffset()
    return equal(left, right) is True


_define("is", (("value1", "value2"), _is), nullable=("value1", "value2"))
_define("day of year", (("date",), lambda d: Decimal(_a_date(d).timetuple().tm_yday)))
_define("day of week", (("date",), lambda d: _DAYS[_a_date(d).weekday()]))
_define("month of year", (("date",), lambda d: _MONTHS[_a_date(d).month - 1]))
_define("week of year", (("date",), lambda d: Decimal(_a_date(d).isocalendar()[1])))
_define("now", ((), lambda: dt.datetime.now(dt.UTC).replace(microsecond=0)), foldable=False)
_define("today", ((), lambda: dt.date.today()), foldable=False)


# -- ranges (DMN 1.5 §10.3.4.9) ---------------------------------------------------------------------


def _bounds(value: Any) -> tuple[Any, bool, Any, bool, bool, bool]:
    """(start, start included, end, end included, no start, no end) of a range or a point."""
    if isinstance(value, Range):
        return (
            value.start,
            value.start_closed,
            value.end,
            value.end_closed,
            value.unbounded_start,
            value.unbounded_end,
        )
    return (value, True, value, True, False, False)


def _cmp(a: Any, b: Any) -> int:
    order = compare(a, b)
    if order is None:
        raise TypeError(f"cannot compare {show(a)} with {show(b)}")
    return order


def _before_fn(a: Any, b: Any) -> bool:
    _s1, _i1, e1, ei1, _ns1, ne1 = _bounds(a)
    s2, si2, _e2, _ei2, ns2, _ne2 = _bounds(b)
    if ne1 or ns2:
        return False
    order = _cmp(e1, s2)
    return order < 0 or (order == 0 and not (ei1 and si2))


def _meets(a: Any, b: Any) -> bool:
    _s1, _i1, e1, ei1, _n1, ne1 = _bounds(a)
    s2, si2, _e2, _ei2, ns2, _n2 = _bounds(b)
    return not ne1 and not ns2 and ei1 and si2 and _cmp(e1, s2) == 0


def _overlaps(a: Any, b: Any) -> bool:
    return not (_before_fn(a, b) or _before_fn(b, a))


def _overlaps_before(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    starts_first = not ns2 and (ns1 or _cmp(s1, s2) < 0 or (_cmp(s1, s2) == 0 and si1 and not si2))
    ends_inside = (
        not ne1
        and not ns2
        and (_cmp(e1, s2) > 0 or (_cmp(e1, s2) == 0 and ei1 and si2))
        and (ne2 or _cmp(e1, e2) < 0 or (_cmp(e1, e2) == 0 and (not ei1 or ei2)))
    )
    return bool(starts_first and ends_inside)


def _finishes(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    if not isinstance(a, Range):
        return not ne2 and ei2 and _cmp(e1, e2) == 0
    if ne1 or ne2 or ei1 != ei2 or _cmp(e1, e2) != 0:
        return False
    return ns2 or (not ns1 and (_cmp(s1, s2) > 0 or (_cmp(s1, s2) == 0 and (not si1 or si2))))


def _includes(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    start_ok = ns1 or (not ns2 and (_cmp(s1, s2) < 0 or (_cmp(s1, s2) == 0 and (si1 or not si2))))
    end_ok = ne1 or (not ne2 and (_cmp(e1, e2) > 0 or (_cmp(e1, e2) == 0 and (ei1 or not ei2))))
    return bool(start_ok and end_ok)


def _starts(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    if not isinstance(a, Range):
        return not ns2 and si2 and _cmp(s1, s2) == 0
    if ns1 or ns2 or si1 != si2 or _cmp(s1, s2) != 0:
        return False
    return ne2 or (not ne1 and (_cmp(e1, e2) < 0 or (_cmp(e1, e2) == 0 and (not ei1 or ei2))))


def _coincides(a: Any, b: Any) -> bool:
    return _bounds(a)[4:] == _bounds(b)[4:] and _includes(a, b) and _includes(b, a)


def _range_fn(fn: Callable[[Any, Any], bool]) -> tuple[tuple[tuple[str, ...], Callable[..., Any]], ...]:
    return (
        (("point1", "point2"), fn),
        (("point", "range"), fn),
        (("range", "point"), fn),
        (("range1", "range2"), fn),
    )


_define("before", *_range_fn(_before_fn))
_define("after", *_range_fn(lambda a, b: _before_fn(b, a)))
_define("meets", (("range1", "range2"), _meets))
_define("met by", (("range1", "range2"), lambda a, b: _meets(b, a)))
_define("overlaps", (("range1", "range2"), _overlaps))
_define("overlaps before", (("range1", "range2"), _overlaps_before))
_define("overlaps after", (("range1", "range2"), lambda a, b: _overlaps_before(b, a)))
_define("finishes", (("point", "range"), _finishes), (("range1", "range2"), _finishes))
_define(
    "finished by",
    (("range", "point"), lambda a, b: _finishes(b, a)),
    (("range1", "range2"), lambda a, b: _finishes(b, a)),
)
_define("includes", (("range", "point"), _includes), (("range1", "range2"), _includes))
_define(
    "during", (("point", "range"), lambda a, b: _includes(b, a)), (("range1", "range2"), lambda a, b: _includes(b, a))
)
_define("starts", (("point", "range"), _starts), (("range1", "range2"), _starts))
_define(
    "started by", (("range", "point"), lambda a, b: _starts(b, a)), (("range1", "range2"), lambda a, b: _starts(b, a))
)
_define("coincides", (("point1", "point2"), _coincides), (("range1", "range2"), _coincides))


def _range_from(text: Any) -> Range | None:
    """`range(from)`: a range literal's text (`"[1..10)"`), endpoints literals; a unary comparison
    such as `">= 10"` is not a range literal (DMN 1.5 §10.3.4.9.1)."""
    _need(text, str)
    if not text.strip() or text.strip()[0] not in "[(]":
        raise ValueError("not a range literal")
    try:
        expression = compile_expression(text)
    except FeelSyntaxError as exc:
        raise ValueError(str(exc)) from None
    if not _literal_endpoints(text) or not expression.is_constant:
        raise ValueError("a range's endpoints must be literals")
    value = expression.node.value
    if not isinstance(value, Range):
        raise ValueError("not a range")
    if value.start is None and value.end is None:
        raise ValueError("a range needs at least one endpoint")
    if value.start is not None and value.end is not None and compare(value.start, value.end) == 1:
        raise ValueError("the range's start is after its end")
    return value


def _literal_endpoints(text: str) -> bool:
    """Endpoints are literals: numbers, strings, temporal literals or constructor calls, no names."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    stripped = re.sub(r"\b(date and time|date|time|duration|null)\b", "", stripped)
    return re.search(r"[^\W\d]", stripped) is None


_define("range", (("from",), _range_from))


# -- contexts ---------------------------------------------------------------------------------------


def _get_value(context: Any, key: Any) -> Any:
    _need(context, dict)
    _need(key, str)
    return context.get(key)


def _get_entries(context: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in _need(context, dict).items()]


def _context(entries: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in _as_list(entries):
        _need(entry, dict)
        key = _need(entry.get("key"), str)
        if "value" not in entry or key in result:
            raise ValueError("each entry needs a key and a value, keys once")
        result[key] = entry["value"]
    return result


def _context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    _need(context, dict)
    keys = [key] if isinstance(key, str) else _need(key, list)
    if not keys:
        raise ValueError("no key")
    first = _need(keys[0], str)
    result = dict(context)
    if len(keys) == 1:
        result[first] = value
    else:
        result[first] = _context_put(result.get(first), keys[1:], value)
    return result


def _context_merge(contexts: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for context in _as_list(contexts):
        result.update(_need(context, dict))
    return result


_define("get value", (("m", "key"), _get_value), (("context", "key"), _get_value))
_define("get entries", (("m",), _get_entries), (("context",), _get_entries))
_define("context", (("entries",), _context))
_define(
    "context put",
    (("context", "key", "value"), _context_put),
    (("context", "keys", "value"), _context_put),
    nullable=("value",),
)
_define("context merge", (("contexts",), _context_merge))

__all__ = ["BUILTINS", "Builtin", "feel_string"]
