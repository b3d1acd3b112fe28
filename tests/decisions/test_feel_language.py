"""The FEEL language beyond S-FEEL (DMN 1.5 chapter 10): each expression with its exact value."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from typing import Any

import pytest

from engine.decisions.builtins import feel_string
from engine.decisions.errors import FeelSyntaxError
from engine.decisions.feel import compile_expression
from engine.decisions.names import NameTable
from engine.decisions.scope import Scope, collect_notes
from engine.decisions.temporal import YearsMonths
from engine.decisions.values import Range


def evaluate(text: str, **data: Any) -> Any:
    return compile_expression(text).evaluate(Scope(data))


def text_of(text: str, **data: Any) -> str | None:
    return feel_string(evaluate(text, **data))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # durations are compared as durations, not as their texts (issue 18)
        ('duration("PT10H") > duration("PT9H")', True),
        ('@"PT10H" > @"PT9H"', True),
        ('@"P1Y" > @"P11M"', True),
        ('@"P1D" = @"PT24H"', True),
        ('@"P1Y" = @"P12M"', True),
        ("days < months", None),  # a days and time duration cannot be ordered against a months one
        # null semantics (§10.3.2.2): type errors and missing values are null, never an exception
        ('"a" + n', None),
        ("s < 1", None),
        ("null = null", True),
        ("1 = null", False),
        ("n = s", None),
        ("missing + 1", None),
        ("1 != null", True),
        ("null < 1", None),
        ("[1, 2, 3][5]", None),
        ("{a: 1}.b", None),
        ("true and null", None),
        ("false and null", False),
        ("null instance of number", False),
        ("if null then 1 else 2", Decimal(2)),
    ],
)
def test_comparisons_and_nulls(text: str, expected: Any) -> None:
    data = {"n": 1, "s": "1", "days": dt.timedelta(days=1), "months": YearsMonths(1)}
    assert evaluate(text, **data) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("for i in 1..3 return i * i", [Decimal(1), Decimal(4), Decimal(9)]),
        ("for i in [1, 2], j in [10, 20] return i + j", [Decimal(v) for v in (11, 21, 12, 22)]),
        ("for i in 0..4 return if i = 0 then 1 else i * partial[-1]", [Decimal(v) for v in (1, 1, 2, 6, 24)]),
        ("some x in [1, 5, 9] satisfies x > 8", True),
        ("every x in [1, 5, 9] satisfies x > 0", True),
        ("every x in [1, 5, 9] satisfies x > 1", False),
        ("[1, 2, 3, 4][item > 2]", [Decimal(3), Decimal(4)]),
        ("[1, 2, 3, 4][-1]", Decimal(4)),
        ('[{n: "a", v: 1}, {n: "b", v: 2}][v > 1].n', ["b"]),
        ('{name: "An", age: 40}.age', Decimal(40)),
        ("{a: 2, b: a * 3}.b", Decimal(6)),
        ('{"monthly fee": 5, yearly: monthly fee * 12}.yearly', Decimal(60)),
        ("(function(a, b) a * b)(6, 7)", Decimal(42)),
        ("{square: function(n) n * n, r: square(9)}.r", Decimal(81)),
        ('substring(string: "xin chào", start position: 5)', "chào"),
        ('if 3 > 2 then "yes" else "no"', "yes"),
        ("5 between 1 and 10", True),
        ("5 in [1..5)", False),
        ("5 in (1, 5, 9)", True),
        ("5 in < 10", True),
        ('"b" in ["a", "b"]', True),
        ("[1, 2] instance of list<number>", True),
        ('{a: "x"} instance of context<a: string>', True),
        ('@"2024-03-01" instance of date', True),
        ("(function(x) x) instance of function<Any> -> Any", True),
        ("[1..10].end included", True),
        ("(< 10).start", None),
        ("sum([1, 2, 3]) + count([1, 2]) + max(4, 9, 2) + min([3, 1])", Decimal(18)),
        ("mean([1, 2, 3, 4])", Decimal("2.5")),
        ("median([5, 1, 3])", Decimal(3)),
        ("mode([1, 2, 2, 3, 3])", [Decimal(2), Decimal(3)]),
        ("product(2, 3, 4)", Decimal(24)),
        ("decimal(2.345, 2)", Decimal("2.34")),
        ("round half up(2.345, 2)", Decimal("2.35")),
        ("floor(-1.5)", Decimal(-2)),
        ("ceiling(1.1)", Decimal(2)),
        ("modulo(-7, 3)", Decimal(2)),
        ("abs(-4)", Decimal(4)),
        ("odd(5) and even(4)", True),
        ('string length("Đồng Nai")', Decimal(8)),
        ('upper case("đồng nai")', "ĐỒNG NAI"),
        ('replace("2024-03-01", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")', "01/03/2024"),
        ('matches("HS-2024-001", "^HS-\\d{4}-\\d{3}$")', True),
        ('split("a, b,c", ",\\s*")', ["a", "b", "c"]),
        ('string join(["a", null, "c"], "-")', "a-c"),
        ('contains("motcua", "cua") and starts with("motcua", "mot") and ends with("motcua", "cua")', True),
        ('substring before("hồ sơ 12", " 12")', "hồ sơ"),
        ("list contains([1, null], null)", True),
        ("append([1], 2, 3)", [Decimal(1), Decimal(2), Decimal(3)]),
        ("concatenate([1], [], [2])", [Decimal(1), Decimal(2)]),
        ("insert before([1, 3], 2, 2)", [Decimal(1), Decimal(2), Decimal(3)]),
        ("remove([1, 2, 3], 2)", [Decimal(1), Decimal(3)]),
        ("reverse([1, 2])", [Decimal(2), Decimal(1)]),
        ("index of([1, 2, 1], 1)", [Decimal(1), Decimal(3)]),
        ("union([1, 2], [2, 3])", [Decimal(1), Decimal(2), Decimal(3)]),
        ("distinct values([1, 1, 2])", [Decimal(1), Decimal(2)]),
        ("flatten([1, [2, [3]]])", [Decimal(1), Decimal(2), Decimal(3)]),
        ("sublist([1, 2, 3, 4], 2, 2)", [Decimal(2), Decimal(3)]),
        ("sort([3, 1, 2], function(a, b) a > b)", [Decimal(3), Decimal(2), Decimal(1)]),
        ("list replace([1, 2, 3], 2, 9)", [Decimal(1), Decimal(9), Decimal(3)]),
        ("all([true, true]) and not(any([false]))", True),
        ('get value({a: 1}, "a")', Decimal(1)),
        ("get entries({a: 1})", [{"key": "a", "value": Decimal(1)}]),
        ('context([{key: "a", value: 1}])', {"a": Decimal(1)}),
        ('context put({a: 1}, "b", 2)', {"a": Decimal(1), "b": Decimal(2)}),
        ("context merge([{a: 1}, {a: 2, b: 3}])", {"a": Decimal(2), "b": Decimal(3)}),
        ('number("1.000,5", ".", ",")', Decimal("1000.5")),
        ("before(1, 10) and after([5..8], 2) and includes([1..10], 5) and overlaps([1..5], [4..9])", True),
        ('range("[1..10)")', Range(Decimal(1), Decimal(10), True, False)),
        ("is(1, 1) and not(is(1, 1.0 + 0 = 1))", True),
        ("0.1 + 0.2 = 0.3", True),
        ("1.5e3", Decimal(1500)),
        ("10 / 4", Decimal("2.5")),
        ("2 ** -1", Decimal("0.5")),
        ("// a comment\n 1 + /* inline */ 2", Decimal(3)),
    ],
)
def test_expressions(text: str, expected: Any) -> None:
    assert evaluate(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2024-01-31") + duration("P1M")', "2024-02-29"),
        ('date("2024-03-01") - date("2024-02-01")', "P29D"),
        ('date and time("2024-03-30T23:00:00@Europe/Paris") + duration("PT2H")', "2024-03-31T01:00:00@Europe/Paris"),
        ('date and time("2024-01-01T10:00:00+07:00") - date and time("2024-01-01T03:00:00Z")', "PT0S"),
        ('date and time("2024-01-01T10:00:00+07:00") = date and time("2024-01-01T03:00:00Z")', "true"),
        ('time("23:30:00") + duration("PT1H")', "00:30:00"),
        ('time("10:00:00+07:00").time offset', "PT7H"),
        ('date and time("2024-05-06T07:08:09@Asia/Ho_Chi_Minh").timezone', "Asia/Ho_Chi_Minh"),
        ('date("2024-05-06").weekday', "1"),
        ('day of week(date("2024-05-06"))', "Monday"),
        ('week of year(date("2024-12-30"))', "1"),
        ('years and months duration(date("2020-05-31"), date("2024-05-30"))', "P3Y11M"),
        ('duration("P2Y3M") * 2', "P4Y6M"),
        ('duration("PT1H30M") / 2', "PT45M"),
        ('duration("P1D") / duration("PT6H")', "4"),
        ('date and time(date("2024-05-06"), time("08:00:00Z"))', "2024-05-06T08:00:00Z"),
        ('@"-0044-03-15" + duration("P1Y")', "-0043-03-15"),
        ('string(date("999999999-12-31"))', "999999999-12-31"),
        ('time(9, 5, 0, duration("PT2H45M55S"))', "09:05:00+02:45:55"),
        (
            'date and time("2024-05-06T07:08:09.123456789@Asia/Ho_Chi_Minh")',
            "2024-05-06T07:08:09.123456789@Asia/Ho_Chi_Minh",
        ),
        ('date and time(date("2024-05-06"), time("07:08:09.000000001Z"))', "2024-05-06T07:08:09.000000001Z"),
    ],
)
def test_temporal_arithmetic_with_time_zones(text: str, expected: str) -> None:
    assert text_of(text) == expected


def test_durations_of_both_kinds() -> None:
    assert evaluate('duration("P1Y2M")') == YearsMonths(14)
    assert evaluate('duration("P1DT2H")') == dt.timedelta(days=1, hours=2)
    assert evaluate("duration(d)", d="P1Y2D") is None


def test_every_null_from_an_error_has_a_reason() -> None:
    with collect_notes() as notes:
        assert evaluate("substring(s, 0)", s="abc") is None
        assert compile_expression("f(1)", NameTable(["f"])).evaluate(Scope({"f": "not a function"})) is None
        assert evaluate("date(s)", s="2024-02-30") is None
    assert notes == [
        'substring("abc", 0): positions start at 1',
        "'function' is not a function",
        'date("2024-02-30"): not a valid date',
    ]


def test_a_misspelt_function_is_refused_when_compiled() -> None:
    with pytest.raises(FeelSyntaxError, match="unknown function 'uper'"):
        compile_expression('uper("abc")')


def test_a_pattern_that_backtracks_for_ever_stops_with_a_null() -> None:
    started = time.monotonic()
    with collect_notes() as notes:
        assert evaluate('matches(s, "(a|aa)+$")', s="a" * 60 + "!") is None
    assert time.monotonic() - started < 5
    assert "timed out" in notes[0]


def test_loops_are_bounded() -> None:
    with collect_notes() as notes:
        assert evaluate("for i in 1..n return i", n=10**9) is None
        assert evaluate("count(for i in 1..n return i)", n=1000) == Decimal(1000)
    assert notes == ["a loop over 1..1000000000 is longer than 1,000,000 items"]


def test_a_text_nested_thousands_deep_is_refused_not_a_crash() -> None:
    with pytest.raises(FeelSyntaxError, match="nested too deeply"):
        compile_expression("[" * 5000 + "1" + "]" * 5000)


def test_results_as_json_use_feel_texts() -> None:
    from engine.decisions.values import dumps_json

    value = evaluate('{wait: @"P1Y2M", span: @"PT36H", band: [1..10), on: @"2024-05-06", f: function(x) x, n: 1.50}')
    assert dumps_json(value) == (
        '{"wait": "P1Y2M", "span": "P1DT12H", "band": "[1..10)", "on": "2024-05-06", "f": null, "n": 1.5}'
    )
