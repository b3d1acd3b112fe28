"""The one parser every number from outside goes through (issue 17): bounds checked on the text first."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from engine.runtime.bounded_number import (
    NOT_A_NUMBER,
    TOO_LARGE,
    TOO_PRECISE,
    NumberOutOfBounds,
    parse_number,
    safe_text,
)
from engine.runtime.errors import InvalidData
from engine.runtime.forms import load_form

FORM = load_form({"id": "fee", "title": {"vi": "Phí", "en": "Fee"}, "fields": [
    {"name": "amount", "label": {"vi": "Số tiền", "en": "Amount"}, "type": "money", "required": True},
    {"name": "copies", "label": {"vi": "Số bản", "en": "Copies"}, "type": "integer", "min": 1, "max": 10},
    {"name": "dose", "label": {"vi": "Liều", "en": "Dose"}, "type": "number"},
]})


@pytest.mark.parametrize(("text", "value"), [
    ("17000000", Decimal("17000000")), ("-0.5", Decimal("-0.5")), ("1e3", Decimal("1E+3")), (".25", Decimal(".25")),
    ("999999999999999999", Decimal("999999999999999999")), (12, Decimal(12)), (0.1, Decimal("0.1")),
    ("0e9999", Decimal(0)),
])
def test_ordinary_numbers_are_read_exactly(text: object, value: Decimal) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize(("text", "reason"), [
    ("1e1000000", TOO_LARGE), ("1e999999999", TOO_LARGE), ("1e28", TOO_LARGE), ("1" * 5000, TOO_LARGE),
    ("1000000000000000000", TOO_LARGE), (10 ** 4000, TOO_LARGE), (1e300, TOO_LARGE),
    ("0." + "0" * 20 + "1", TOO_PRECISE), ("1e-999999999", TOO_PRECISE),
    ("NaN", NOT_A_NUMBER), ("Infinity", NOT_A_NUMBER), (float("nan"), NOT_A_NUMBER), ("١٢", NOT_A_NUMBER),
    ("１２", NOT_A_NUMBER), ("1_000", NOT_A_NUMBER), ("0x10", NOT_A_NUMBER), ("", NOT_A_NUMBER), (True, NOT_A_NUMBER),
    ("1e" + "9" * 5000, TOO_LARGE), ("0e999999", TOO_LARGE),  # the exponent's text is over its bound
])
def test_numbers_beyond_the_bounds_are_refused_at_once(text: object, reason: str) -> None:
    started = time.monotonic()
    with pytest.raises(NumberOutOfBounds) as refused:
        parse_number(text)
    # Refused on the text, before any arithmetic: expanding 1e999999999 would take hours, not a second.
    assert str(refused.value) == reason and time.monotonic() - started < 1


def test_a_stored_huge_number_is_shown_in_scientific_notation() -> None:
    assert safe_text(Decimal("1E+300000")) == "1E+300000"
    assert safe_text(Decimal("1E+3")) == "1000"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("amount", "1e28", TOO_LARGE),  # was an uncaught decimal.InvalidOperation
    ("amount", "17.000.000 đồng", None),
    ("copies", "1e1000000", TOO_LARGE),  # was int(Decimal(text)) before the bounds: 58 s
    ("copies", "11", "Giá trị không được lớn hơn 10"),
    ("dose", "sNaN", "Giá trị phải là một số"),
])
def test_form_fields_name_the_bound_that_refused_them(field: str, value: str, message: str | None) -> None:
    data = {"amount": "1000", field: value}
    if message is None:
        assert FORM.validate(data)[field] == Decimal(17_000_000)
        return
    with pytest.raises(InvalidData) as refused:
        FORM.validate(data)
    assert refused.value.fields == {field: message}


@pytest.mark.parametrize("name", ["copies\n", "copies٣", "a²", "１"])
def test_field_names_are_ascii_to_their_end(name: str) -> None:
    from engine.runtime.dossier_service import check_form_data

    with pytest.raises(InvalidData) as refused:
        check_form_data({name: 1})
    assert name in refused.value.fields
