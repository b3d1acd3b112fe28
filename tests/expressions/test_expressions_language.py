"""What diagrams legitimately write: conditions, money, dates, data building, loops, f-strings, functions."""

from __future__ import annotations

from collections import ChainMap
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from engine.expressions import ExpressionError, UnsafeExpression, evaluate, execute
from engine.expressions.api import _program

DOSSIER: dict[str, Any] = {
    "fee_paid": True,
    "dossier_complete": False,
    "rank": "II",
    "devices": [{"name": "X-ray", "fee": Decimal("1500000")}, {"name": "CT", "fee": Decimal("2500000.50")}],
    "fee": Decimal("1000"),
    "received": date(2024, 1, 31),
    "applicant": {"name": "Công ty TNHH An Phú", "province": "Đà Nẵng"},
}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("fee_paid and dossier_complete", False),
        ("fee_paid or dossier_complete", True),
        ("not dossier_complete", True),
        ('rank in ("I", "II")', True),
        ('rank not in ["III"]', True),
        ("len(devices) > 0", True),
        ("0 < len(devices) <= 2", True),
        ("0 < len(devices) < 2", False),
        ("applicant.province == 'Đà Nẵng'", True),
        ("applicant['name'].startswith('Công ty')", True),
        ("applicant.get('tax_code') is None", True),
        ("any(d['fee'] > 2000000 for d in devices)", True),
        ("all(d.fee > 2000000 for d in devices)", False),
        ("'review' if fee > 500 else 'standard'", "review"),
        ("received.year == 2024 and received.month == 1", True),
        ("sorted(d.name for d in devices)[0]", "CT"),
    ],
)
def test_conditions_on_task_data(condition: str, expected: Any) -> None:
    assert evaluate(condition, DOSSIER) == expected


def test_decimal_arithmetic_stays_decimal() -> None:
    assert evaluate('fee * Decimal("0.75")', DOSSIER) == Decimal("750.00")
    assert evaluate("sum(d['fee'] for d in devices)", DOSSIER) == Decimal("4000000.50")
    assert evaluate("(fee / 3).quantize(Decimal('0.01'), rounding='ROUND_HALF_UP')", DOSSIER) == Decimal("333.33")
    assert evaluate("fee // 3 + fee % 3", DOSSIER) == Decimal("334")
    assert evaluate("max(fee, Decimal('999.99'))", DOSSIER) == Decimal("1000")


def test_a_float_meeting_a_decimal_is_read_as_the_decimal_it_prints() -> None:
    # Python would raise TypeError for Decimal * float, and compare 0.1 as a binary fraction.
    result = evaluate("fee * 0.75", DOSSIER)
    assert result == Decimal("750.00") and isinstance(result, Decimal)
    assert evaluate("Decimal('0.1') == 0.1", {}) is True
    assert evaluate("0.3 + Decimal('0.1')", {}) == Decimal("0.4")
    assert evaluate("1.5 * 2", {}) == 3.0  # plain floats stay Python floats


def test_date_arithmetic() -> None:
    assert evaluate("received + timedelta(days=30)", DOSSIER) == date(2024, 3, 1)
    assert evaluate("(date(2024, 3, 1) - received).days", DOSSIER) == 30
    assert evaluate("date.fromisoformat('2024-09-02').weekday()", {}) == 0
    assert evaluate("datetime(2024, 1, 31, 8, 30).date() == received", DOSSIER) is True
    assert evaluate("datetime.fromisoformat('2024-01-31T08:30:00').hour", {}) == 8
    assert evaluate("received.isoformat()", DOSSIER) == "2024-01-31"
    assert evaluate("timedelta(hours=36).total_seconds()", {}) == 129600.0
    assert evaluate("received.isocalendar().week", DOSSIER) == 5


def test_building_dicts_and_lists() -> None:
    data: dict[str, Any] = dict(DOSSIER)
    execute(
        """
        names = [d["name"] for d in devices]
        by_name = {d["name"]: d["fee"] for d in devices}
        ranks = sorted({rank, "I", rank})
        first, second = names
        summary = {"count": len(names), **applicant}
        summary["count"] += 1
        summary.status = "received"
        del summary["province"]
        tail = names[1:]
        names.append("MRI")
        by_name.update({"MRI": Decimal(0)})
        """,
        data,
    )
    assert data["names"] == ["X-ray", "CT", "MRI"]
    assert data["by_name"] == {"X-ray": Decimal("1500000"), "CT": Decimal("2500000.50"), "MRI": Decimal(0)}
    assert data["ranks"] == ["I", "II"]
    assert (data["first"], data["second"]) == ("X-ray", "CT")
    assert data["summary"] == {"count": 3, "name": "Công ty TNHH An Phú", "status": "received"}
    assert data["tail"] == ["CT"]


def test_for_loops_with_if_break_continue_and_else() -> None:
    data: dict[str, Any] = {"fees": [5, 10, 0, 20, 99]}
    execute(
        """
        total = 0
        for fee in fees:
            if fee == 0:
                continue
            elif fee > 50:
                break
            total += fee
        else:
            total = -1
        pairs = 0
        for i in range(3):
            for j in range(3):
                if i < j:
                    pairs += 1
        """,
        data,
    )
    assert data["total"] == 35
    assert data["pairs"] == 3


def test_for_else_runs_when_the_loop_was_not_broken() -> None:
    data: dict[str, Any] = {}
    execute("found = False\nfor i in range(3):\n    pass\nelse:\n    found = True", data)
    assert data["found"] is True


def test_f_strings() -> None:
    assert evaluate('f"{rank}: {len(devices)} devices, {fee:,.2f} VND"', DOSSIER) == "II: 2 devices, 1,000.00 VND"
    assert evaluate('f"{received:%d/%m/%Y}"', DOSSIER) == "31/01/2024"
    assert evaluate('f"{rank!r:>6}"', DOSSIER) == "  'II'"
    assert evaluate('f"{7:0{width}d}"', {"width": 3}) == "007"


def test_str_methods() -> None:
    assert evaluate("'  Hồ sơ  '.strip().upper()", {}) == "HỒ SƠ"
    assert evaluate("'a,b,,c'.split(',')", {}) == ["a", "b", "", "c"]
    assert evaluate("'-'.join(['2024', '01', '31'])", {}) == "2024-01-31"
    assert evaluate("'12'.zfill(5)", {}) == "00012"
    assert evaluate("'abc'[::-1]", {}) == "cba"


def test_platform_functions_are_called_but_never_stored() -> None:
    calls: list[int] = []

    def due_in_working_days(n: int) -> str:
        calls.append(n)
        return f"2024-02-{n:02d}T17:00:00+07:00"

    functions = {"due_in_working_days": due_in_working_days}
    data: dict[str, Any] = {"days": 5}
    execute("due = due_in_working_days(days)\nlater = due_in_working_days(days + 2)", data, functions)
    assert data == {"days": 5, "due": "2024-02-05T17:00:00+07:00", "later": "2024-02-07T17:00:00+07:00"}
    assert calls == [5, 7]
    assert evaluate("due_in_working_days(1) < due", data, functions) is True


def test_a_platform_function_error_names_the_function() -> None:
    def working_days_between(a: date, b: date) -> int:
        raise LookupError("no calendar for 2031")

    with pytest.raises(ExpressionError, match=r"line 1: working_days_between\(\): no calendar for 2031"):
        evaluate("working_days_between(received, received)", DOSSIER, {"working_days_between": working_days_between})


def test_a_script_cannot_replace_a_platform_function() -> None:
    with pytest.raises(ExpressionError, match="cannot assign to 'today': it is a platform function"):
        execute("today = 1", {}, {"today": date.today})


def test_a_called_name_finds_the_function_even_when_a_field_has_its_name() -> None:
    data = {"date": "2024-01-31"}  # a form field called "date"
    assert evaluate("date(2024, 1, 31).isoformat() == date", data) is True
    assert evaluate("date.fromisoformat(date)", data) == date(2024, 1, 31)
    with pytest.raises(ExpressionError, match="'fee' is task data, not a function"):
        evaluate("fee()", DOSSIER)


def test_unknown_names_suggest_the_closest_field() -> None:
    with pytest.raises(ExpressionError, match=r"'fee_payed' is not defined.*did you mean 'fee_paid'"):
        evaluate("fee_payed", DOSSIER)


def test_comprehension_variables_stay_in_the_comprehension() -> None:
    data: dict[str, Any] = {"x": "kept"}
    execute("squares = [x * x for x in range(4)]", data)
    assert data == {"x": "kept", "squares": [0, 1, 4, 9]}


def test_expressions_cannot_change_data_but_scripts_can() -> None:
    data: dict[str, Any] = {"items": [1]}
    with pytest.raises(UnsafeExpression, match=r"'\.append\(\)' changes data"):
        evaluate("items.append(2)", data)
    assert data == {"items": [1]}
    execute("items.append(2)", data)
    assert data == {"items": [1, 2]}


def test_runtime_errors_are_plain_words_with_the_line() -> None:
    cases = {
        "x = 1\ny = fee / 0": "line 2: division by zero",
        "x = applicant['tax_code']": "line 1: no key 'tax_code'",
        "x = applicant.tax_code": "line 1: the dict has no field 'tax_code'",
        "x = devices[5]": "line 1: list index out of range",
        "x = 1\n\nx = date(2024, 2, 30)": "line 3: day is out of range for month",
        "x = Decimal('abc')": "line 1: Decimal(): 'abc' is not a number within the bounds",
        "x = rank + 1": 'line 1: can only concatenate str (not "int") to str',
        "a, b = [1, 2, 3]": "line 1: expected 2 values to unpack, got 3",
        "x = received.year()": "line 1: '.year' is a field, not a method",
    }
    for script, message in cases.items():
        with pytest.raises(ExpressionError) as caught:
            execute(script, dict(DOSSIER))
        assert str(caught.value).startswith(message), script


def test_assignments_land_in_a_chain_map_front_only() -> None:
    # SafeEnvironment reads data objects behind task data: a script writes to the task data only.
    task_data: dict[str, Any] = {"a": 1}
    data_objects = {"limit": 10}
    execute("b = a + limit", ChainMap(task_data, data_objects))
    assert task_data == {"a": 1, "b": 11}
    assert data_objects == {"limit": 10}


def test_parsed_texts_are_cached() -> None:
    condition = "fee_paid and rank == 'II' and len(devices) == 2"
    evaluate(condition, DOSSIER)
    hits = _program.cache_info().hits
    for _ in range(3):
        assert evaluate(condition, DOSSIER) is True
    assert _program.cache_info().hits == hits + 3


def test_scripts_in_xml_may_be_indented() -> None:
    data: dict[str, Any] = {}
    execute("\n    a = 1\n    if a:\n        b = 2\n", data)
    assert data == {"a": 1, "b": 2}
    assert evaluate("\n    1 + 1\n  ", {}) == 2


def test_results_of_datetime_values_from_platform_functions() -> None:
    now = datetime(2024, 1, 31, 9, 15)
    assert evaluate("now().hour * 60 + now().minute", {}, {"now": lambda: now}) == 555
    assert evaluate("now() + timedelta(days=1) > now()", {}, {"now": lambda: now}) is True
    assert evaluate("(now() - timedelta(hours=9)).time().hour", {}, {"now": lambda: now}) == 0
