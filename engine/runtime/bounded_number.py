"""Numbers from outside, parsed with their bounds checked before anything is computed from them.

`Decimal("1e999999999")` is cheap, but turning it into an int, formatting it with `:f` or grouping its
thousands builds a billion digits in C code that no budget can interrupt: one anonymous form held the
interpreter for a minute. Every number that comes in (a form field, an API body, a DMN input, a literal of an
expression, stored task data being shown) goes through `parse_number` or `check_number`, which refuse on the
text's length and exponent first, then on magnitude and precision: whatever passes is small enough for any
later conversion. Unicode digits are refused: "١٢" is not how an applicant writes twelve.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_TEXT = 64  # characters of a number as written, signs and separators included
MAX_EXPONENT_DIGITS = 4  # digits of an exponent as written (1e9999 at most, refused later on magnitude)
MAX_INTEGER_DIGITS = 18  # digits before the point: 10**18 đồng is far beyond any fee or quantity
MAX_FRACTION_DIGITS = 12  # digits after the point (a dose in mSv, a percentage)
MAX_SIGNIFICANT = 34  # digits in all: the decimal128 precision of FEEL numbers

NOT_A_NUMBER = "Giá trị phải là một số"
TOO_LARGE = f"Số quá lớn (tối đa {MAX_INTEGER_DIGITS} chữ số phần nguyên)"
TOO_PRECISE = f"Số có quá nhiều chữ số (tối đa {MAX_FRACTION_DIGITS} chữ số thập phân, {MAX_SIGNIFICANT} chữ số)"

# ASCII digits only (re.ASCII): Decimal() would read Arabic-Indic or full-width digits as well.
_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?)(\d+))?", re.ASCII)


class NumberOutOfBounds(ValueError):
    """A number refused with the reason an applicant reads (Vietnamese), e.g. TOO_LARGE."""


def parse_number(value: Any) -> Decimal:
    """A finite Decimal within the bounds, from text (ASCII digits, '.' as the point), int, float or Decimal."""
    if isinstance(value, bool):
        raise NumberOutOfBounds(NOT_A_NUMBER)
    if isinstance(value, str):
        return check_number(_from_text(value.strip()))
    if isinstance(value, int):
        # An int's digit count is known from its bit length without converting it to text.
        if value.bit_length() > MAX_INTEGER_DIGITS * 10 // 3 + 4:
            raise NumberOutOfBounds(TOO_LARGE)
        return check_number(Decimal(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise NumberOutOfBounds(NOT_A_NUMBER)
        return check_number(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return check_number(value)
    raise NumberOutOfBounds(NOT_A_NUMBER)


def _from_text(text: str) -> Decimal:
    match = _TEXT.fullmatch(text) if len(text) <= MAX_TEXT else None
    if match is None:
        raise NumberOutOfBounds(TOO_LARGE if len(text) > MAX_TEXT and _TEXT.fullmatch(text[:MAX_TEXT])
                                else NOT_A_NUMBER)
    sign, exponent = match.group(1), match.group(2)
    if exponent is not None and len(exponent.lstrip("0")) > MAX_EXPONENT_DIGITS:
        raise NumberOutOfBounds(TOO_PRECISE if sign == "-" else TOO_LARGE)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise NumberOutOfBounds(NOT_A_NUMBER) from None


def check_number(number: Decimal) -> Decimal:
    """The number itself when it is finite and within the bounds; reads only its exponent and digit count."""
    if not number.is_finite():
        raise NumberOutOfBounds(NOT_A_NUMBER)
    if number.is_zero():
        return number
    if number.adjusted() >= MAX_INTEGER_DIGITS:
        raise NumberOutOfBounds(TOO_LARGE)
    digits = len(number.as_tuple().digits)
    exponent = number.as_tuple().exponent
    if digits > MAX_SIGNIFICANT or (isinstance(exponent, int) and -exponent > MAX_FRACTION_DIGITS
                                    and -number.normalize().as_tuple().exponent > MAX_FRACTION_DIGITS):
        raise NumberOutOfBounds(TOO_PRECISE)
    return number


def within_bounds(value: Any) -> bool:
    """Whether a number already in hand (stored data, a decision's result) may be converted and formatted."""
    try:
        parse_number(value)
    except NumberOutOfBounds:
        return False
    return True


def safe_text(value: Decimal) -> str:
    """A Decimal as plain digits when within bounds, else in scientific notation (never a billion digits)."""
    return format(value, "f") if within_bounds(value) else str(value)
