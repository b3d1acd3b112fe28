"""Numeric functions (DMN 1.5 §10.3.4.5), exact on decimal128."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..temporal import YearsMonths
from ..values import NUMBER_CONTEXT, kind
from .registry import define, integer, need, whole


def _scale(value: Any) -> int:
    scale = whole(value)
    if not -6111 <= scale <= 6176:
        raise ValueError("the scale is out of range")
    return scale


def _rounding(mode: str) -> Callable[..., Decimal]:
    def round_to(number: Any, scale: Any = Decimal(0)) -> Decimal:
        need(number, Decimal)
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
    need(dividend, Decimal)
    need(divisor, Decimal)
    if not divisor:
        raise ZeroDivisionError("modulo by zero")
    quotient = NUMBER_CONTEXT.divide(dividend, divisor).to_integral_value(rounding=decimal.ROUND_FLOOR)
    return NUMBER_CONTEXT.subtract(dividend, NUMBER_CONTEXT.multiply(divisor, quotient))


def _sqrt(value: Any) -> Decimal:
    need(value, Decimal)
    if value < 0:
        raise ValueError("no square root of a negative number")
    return NUMBER_CONTEXT.sqrt(value)


def _log(value: Any) -> Decimal:
    need(value, Decimal)
    if value <= 0:
        raise ValueError("no logarithm of a number that is not positive")
    return NUMBER_CONTEXT.ln(value)


def _exp(value: Any) -> Decimal:
    return NUMBER_CONTEXT.exp(need(value, Decimal))


def _parity(remainder: int) -> Callable[[Any], bool]:
    return lambda value: integer(value) % 2 == remainder


define("decimal", (("n", "scale"), _rounding(decimal.ROUND_HALF_EVEN)))
define("floor", (("n", "scale"), _rounding(decimal.ROUND_FLOOR)))
define("ceiling", (("n", "scale"), _rounding(decimal.ROUND_CEILING)))
define("round up", (("n", "scale"), _rounding(decimal.ROUND_UP)))
define("round down", (("n", "scale"), _rounding(decimal.ROUND_DOWN)))
define("round half up", (("n", "scale"), _rounding(decimal.ROUND_HALF_UP)))
define("round half down", (("n", "scale"), _rounding(decimal.ROUND_HALF_DOWN)))
define("abs", (("n",), _abs))
define("modulo", (("dividend", "divisor"), _modulo))
define("sqrt", (("number",), _sqrt))
define("log", (("number",), _log))
define("exp", (("number",), _exp))
define("odd", (("number",), _parity(1)))
define("even", (("number",), _parity(0)))
