"""FEEL expressions and unary tests, compiled and evaluated on their own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from engine.decisions.errors import FeelSyntaxError
from engine.decisions.feel import compile_expression, compile_unary_tests
from engine.decisions.names import NameTable
from engine.decisions.scope import Scope, collect_notes
from engine.decisions.values import to_feel


def evaluate(text: str, data: dict[str, Any] | None = None, names: tuple[str, ...] = ()) -> Any:
    return compile_expression(text, NameTable(names)).evaluate(Scope(data or {}))


def matches(text: str, value: Any, data: dict[str, Any] | None = None) -> bool:
    return compile_unary_tests(text).matches(to_feel(value), Scope(data or {}))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10+5", Decimal(15)),
        ("-10--5", Decimal(-5)),
        ("(10+20)-(-5+3)", Decimal(32)),
        ("10 + 20 / -5 - 3", Decimal(3)),
        ("10 + 20 / (-5 - 3)", Decimal("7.5")),
        ("5+2**5+3", Decimal(40)),
        ("5+2**(5+3)", Decimal(261)),
        ("10**-5", Decimal("0.00001")),
        ("-2**2", Decimal(4)),
        ("2**3**2", Decimal(64)),
        ("0.1 + 0.2", Decimal("0.3")),
        ("1/3 * 3", Decimal("0.9999999999999999999999999999999999")),
        (".872", Decimal("0.872")),
        ('"Hello " + "world"', "Hello world"),
        ("(10+20)/0", None),
        ("10 + null", None),
        ("null * 10", None),
        ("true and null", None),
        ("false and null", False),
        ("true or null", True),
        ("not(true)", False),
        ("not(null)", None),
        ('date("2024-03-01") > date("2024-02-29")', True),
        ('date("2024-03-01") - date("2024-02-01")', dt.timedelta(days=29)),
        ('date("2024-03-01").month', Decimal(3)),
        ('date and time("2024-03-01T08:30:00")', dt.datetime(2024, 3, 1, 8, 30)),
        ('time("08:30:00") < time("17:00:00")', True),
        ("3 != 4", True),
        ('"a" = "a"', True),
        ("null = null", True),
        ("1 = null", False),
    ],
)
def test_expression_values(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


def test_numbers_are_decimals_never_floats() -> None:
    value = evaluate("price * quantity", {"price": 0.1, "quantity": 3})
    assert isinstance(value, Decimal)
    assert value == Decimal("0.3")


def test_dotted_paths_and_names_with_spaces() -> None:
    data = {"applicant": {"age": 17, "address": {"province": "Đồng Nai"}}, "Monthly Salary": 1000}
    assert evaluate("applicant.age + 1", data) == Decimal(18)
    assert evaluate("applicant.address.province", data) == "Đồng Nai"
    assert evaluate("applicant.phone", data) is None
    assert evaluate("12 * Monthly Salary", data, names=("Monthly Salary",)) == Decimal(12000)


def test_a_name_missing_from_the_data_is_null_with_its_reason() -> None:
    with collect_notes() as notes:
        assert evaluate("applicant.age", {}) is None
    assert notes == ["no value named 'applicant'"]


@pytest.mark.parametrize(
    ("text", "data", "reason"),
    [
        ("x + 1", {"x": "a"}, 'cannot add string "a" and number 1'),
        ("x < 1", {"x": "a"}, 'cannot order string "a" against number 1'),
        ("x * 2", {"x": "3"}, 'cannot multiply string "3" and number 2'),
        ("x = 1", {"x": "1"}, 'cannot compare string "1" with number 1'),
    ],
)
def test_mixing_types_is_null_as_feel_says_with_a_reason(text: str, data: dict[str, Any], reason: str) -> None:
    with collect_notes() as notes:
        assert evaluate(text, data) is None
    assert notes == [reason]


def test_and_or_with_a_non_boolean_are_null_unless_decided() -> None:
    assert evaluate("true and x", {"x": 1}) is None
    assert evaluate("false and x", {"x": 1}) is False
    assert evaluate("true or x", {"x": 1}) is True


@pytest.mark.parametrize("text", ['"a" + 1', '"a" < 1', '-"a"', 'date("2024-13-01")'])
def test_constants_that_are_always_null_are_caught_when_compiled(text: str) -> None:
    with pytest.raises(FeelSyntaxError, match="so it is always null"):
        compile_expression(text)


@pytest.mark.parametrize(
    ("test", "value", "expected"),
    [
        ("-", "anything", True),
        ("", None, True),
        ("< 18", 17, True),
        ("< 18", 18, False),
        ("<= 18", 18, True),
        ("> 18", 18, False),
        (">= 18", 18, True),
        ("= 18", 18, True),
        ("!= 18", 18, False),
        ("18", 18.0, True),
        ("[1..10]", 10, True),
        ("[1..10)", 10, False),
        ("[1..10[", 10, False),
        ("(1..10]", 1, False),
        ("]1..10]", 1, False),
        ("]1..10]", 2, True),
        ("[-5..-1]", -3, True),
        ('"dental","ct"', "ct", True),
        ('"dental","ct"', "pet_ct", False),
        ('not("dental","ct")', "pet_ct", True),
        ('not("dental","ct")', "ct", False),
        ("not(< 5)", 7, True),
        ("< 5, > 10", 11, True),
        ("< 5, > 10", 7, False),
        ("< 18", None, False),
        ("not(< 18)", None, False),
        ("null", None, True),
        ("true", True, True),
        ("false", True, False),
        ('[date("2024-01-01")..date("2024-12-31")]', dt.date(2024, 6, 1), True),
        ('< date("2024-01-01")', dt.date(2024, 6, 1), False),
        ("(1+2)", 3, True),
        ("limit * 2", 10, True),
    ],
)
def test_unary_tests(test: str, value: Any, expected: bool) -> None:
    assert matches(test, value, {"limit": 5}) is expected


def test_unary_test_with_a_value_of_another_type_does_not_match() -> None:
    with collect_notes() as notes:
        assert compile_unary_tests("< 18").verdict("seventeen", Scope()) is None
    assert notes == ['cannot order string "seventeen" against number 18']
    assert matches("not(< 18)", "seventeen") is False


@pytest.mark.parametrize(
    "text",
    [">> 1", "[1..", "1..2", 'date("2024-13-01")', "unknown_function(1)", "not()", '"open', "function(x) external 1"],
)
def test_texts_the_evaluator_does_not_understand_are_rejected_when_compiled(text: str) -> None:
    with pytest.raises(FeelSyntaxError, match="cannot read"):
        compile_unary_tests(text)


def test_string_escapes_and_unicode() -> None:
    assert evaluate(r'"say \"xin chào\"\n"') == 'say "xin chào"\n'
    assert evaluate('"\\u0110"') == "Đ"
