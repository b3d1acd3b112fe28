"""A diagram cannot hang the server or exhaust its memory: every bomb is refused or stopped, quickly."""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from engine.expressions import ExpressionError, ExpressionTimeout, check, evaluate, execute
from engine.expressions.limits import MAX_SECONDS, MAX_STEPS

QUICK = 1.0  # seconds: "well under a second" for refusals, and the budget plus slack for stops


@contextmanager
def within(seconds: float) -> Iterator[None]:
    started = time.perf_counter()
    yield
    elapsed = time.perf_counter() - started
    assert elapsed < seconds, f"took {elapsed:.2f} s"


def test_a_billion_pass_loop_is_refused_before_it_starts() -> None:
    data: dict[str, Any] = {}
    with within(QUICK), pytest.raises(ExpressionError, match=r"range\(…\) would have 1,000,000,000 items"):
        execute("for i in range(10**9):\n    x = i", data)
    assert data == {}


def test_a_long_loop_within_the_range_cap_is_stopped_by_the_step_budget() -> None:
    data: dict[str, Any] = {}
    with within(QUICK), pytest.raises(ExpressionTimeout, match=f"stopped after {MAX_STEPS:,} steps"):
        execute("for i in range(100000):\n    x = i", data)
    assert 0 < data["x"] < 100000  # it ran, and was stopped part-way


def test_few_slow_steps_are_stopped_by_the_clock() -> None:
    # 1,000 sorts of 100,000 numbers is ~5,000 steps but many seconds of C: the clock stops it.
    shuffled = list(range(100_000))
    random.Random(1).shuffle(shuffled)
    with within(MAX_SECONDS + QUICK), pytest.raises(ExpressionTimeout, match=f"stopped after {MAX_SECONDS} s"):
        execute("for i in range(1000):\n    s = sorted(numbers)", {"numbers": shuffled})


def test_a_loop_over_a_list_it_extends_is_stopped() -> None:
    with within(QUICK), pytest.raises(ExpressionError, match=r"stopped after|a list would have"):
        execute("l = [1]\nfor x in l:\n    l.append(x)", {})


def test_nested_comprehension_bombs_are_stopped() -> None:
    bombs = [
        "[[[[1 for a in range(1000)] for b in range(1000)] for c in range(1000)] for d in range(1000)]",
        "[1 for a in range(1000) for b in range(1000) for c in range(1000)]",
        "sum(1 for a in range(100000) for b in range(100000))",
        "{a: {b: [c for c in range(1000)] for b in range(1000)} for a in range(1000)}",
    ]
    for bomb in bombs:
        with within(QUICK), pytest.raises(ExpressionTimeout, match="stopped after"):
            evaluate(bomb, {})


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("'a' * 10**10", r"'\*' would have 10,000,000,000 items"),
        ("[0] * 10**9", r"'\*' would have 1,000,000,000 items"),
        ("2 ** 10**8", r"'\*\*' would have more than 4,096 bits"),
        ("10 ** 5000", r"'\*\*' would have more than 4,096 bits"),
        ("1 << 10**9", "'<<' would have more than 4,096 bits"),
        ("int(Decimal(10) ** 999998)", "more than 1,233 digits"),
        ("Decimal('1e999999')", "not a number within the bounds"),
        ("f'{Decimal(10) ** 999998:f}'", "a formatted value would have 999,998"),
        ("round(Decimal(10) ** 999998)", "more than 1,233 digits"),
        ("round(5, -10**7)", "ndigits must be between"),
        ("f'{1:>1000000000}'", "width or precision in a format spec is over 1,000"),
        ("f'{Decimal(1):.{10**6}f}'", "width or precision in a format spec is over 1,000"),
        ("'x'.zfill(10**9)", "padding would have 1,000,000,000"),
        ("'ab'.replace('', 'x' * 99999)", r"\.replace\(…\) would have"),
        ("'-'.join(['x' * 60000] * 2)", r"\.join\(…\) would have 120,001"),
        ("sum([[1]] * 10, [])", "the start value must be a number"),
        ("list(range(10**6))", r"range\(…\) would have 1,000,000"),
    ],
)
def test_size_caps_refuse_before_computing(source: str, message: str) -> None:
    with within(QUICK), pytest.raises(ExpressionError, match=message):
        evaluate(source, {})


def test_sizes_just_under_the_caps_work() -> None:
    assert len(evaluate("'a' * 100000", {})) == 100_000
    assert evaluate("2 ** 4095", {}) == 2**4095
    assert len(evaluate("list(range(100000))", {})) == 100_000


def test_growing_by_doubling_is_stopped() -> None:
    scripts = {
        "s = 'a'\nfor i in range(64):\n    s = s + s": "line 3: '+' would have 131,072",
        "s = 'a'\nfor i in range(64):\n    s += s": "line 3: '+' would have 131,072",
        "l = [1]\nfor i in range(64):\n    l.extend(l)": "line 3: a list would have 131,072",
        "n = 3\nfor i in range(64):\n    n = n * n": "line 3: the result of '*' would have more than 4,096 bits",
        "s = 'ab'\nfor i in range(64):\n    s = f'{s}{s}'": "line 3: a str would have 131,072",
    }
    for script, message in scripts.items():
        with within(QUICK), pytest.raises(ExpressionError, match=re.escape(message)):
            execute(script, {})


def test_many_allowed_allocations_hit_the_allocation_budget() -> None:
    with within(QUICK), pytest.raises(ExpressionError, match="makes more than 5,000,000 items or characters"):
        execute("rows = [[0] * 100000 for i in range(1000)]", {})


def test_shared_structure_cannot_be_expanded_by_printing() -> None:
    # 60 doublings make 2**60 elements to print from a few hundred bytes of objects.
    script = "x = [0]\nfor i in range(60):\n    x = [x, x]\ny = str(x)"
    with within(QUICK), pytest.raises(ExpressionError, match="line 4: a value is too large"):
        execute(script, {})


def test_shared_structure_cannot_be_expanded_by_comparing_or_hashing() -> None:
    make = "a = [0]\nb = [0]\nt = ()\nfor i in range(60):\n    a = [a, a]\n    b = [b, b]\n    t = (t, t)\n"
    for last in ("same = a == b", "found = a in [b]", "d = {t: 1}", "s = {t}", "text = f'{a}'"):
        with within(QUICK), pytest.raises(ExpressionError, match="too large"):
            execute(make + last, {})


def test_shared_structure_cannot_be_stored_in_task_data() -> None:
    # Task data is serialised as JSON, which would expand it.
    data: dict[str, Any] = {}
    with within(QUICK), pytest.raises(ExpressionError, match="'x' is too large"):
        execute("x = [0]\nfor i in range(60):\n    x = [x, x]", data)


def test_a_value_that_contains_itself_is_refused() -> None:
    with pytest.raises(ExpressionError, match="contains itself"):
        execute("a = []\na.append(a)", {})
    with pytest.raises(ExpressionError, match="contains itself"):
        execute("a = []\na.append(a)\nb = []\nb.append(b)\nsame = a == b", {})


def test_values_that_json_cannot_hold_never_become_task_data() -> None:
    refused = [
        ("r = range(3)", "would hold a range"),
        ("k = {'a': 1}.keys()", "would hold a dict_keys"),
        ("l = [range(2)]", "would hold a range"),
        ("s = {1, 2}", "would hold a set"),
        ("d = {'a': [{1}]}", "would hold a set"),
        ("d = {(1, 2): 'pair'}", "would hold a dict whose keys are not all text or numbers"),
    ]
    for script, message in refused:
        with pytest.raises(ExpressionError, match=message):
            execute(script, {})
    data: dict[str, Any] = {}
    execute("r = list(range(3))\nz = zip([1, 2], 'ab')\ne = enumerate('ab')", data)
    assert data == {"r": [0, 1, 2], "z": [(1, "a"), (2, "b")], "e": [(0, "a"), (1, "b")]}


def test_source_size_and_nesting_are_capped() -> None:
    assert check("1 + " * 5000 + "1", "eval") == ["line 1: the text is longer than 10,000 characters"]
    problems = check("-" * 5000 + "1", "eval")
    assert len(problems) == 1 and "nested too deeply" in problems[0]
    problems = check("+".join(["a"] * 500), "eval")
    assert problems == ["line 1: the text is nested too deeply (more than 100 levels)"]
    problems = check("(" * 300 + "1" + ")" * 300, "eval")
    assert problems == ["line 1: syntax error: too many nested parentheses"]


def test_deeply_nested_data_is_an_error_not_a_crash() -> None:
    nested: Any = 0
    for _ in range(100_000):
        nested = [nested]
    with within(QUICK), pytest.raises(ExpressionError):
        evaluate("x == y", {"x": nested, "y": [nested]})


def test_a_deeply_nested_list_cannot_be_stored_in_task_data() -> None:
    # Small, but the JSON writer and every recursive reader of task data would fail on it (issue 17).
    data: dict[str, Any] = {}
    with within(QUICK), pytest.raises(ExpressionError, match="'x' is nested more than 32 levels deep"):
        execute("x = []\nfor i in range(100):\n    x = [x]", data)
    execute("x = []\nfor i in range(31):\n    x = [x]", data)
    assert len(json.dumps(data["x"])) == 64
