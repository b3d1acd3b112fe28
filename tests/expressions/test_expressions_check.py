"""check(): the deploy-time verdict on a text, every problem at once, with its line, in plain words."""

from __future__ import annotations

from engine.expressions import check


def test_safe_texts_have_no_problems() -> None:
    assert check('fee_paid and rank in ("I", "II") and len(devices) > 0', "eval") == []
    assert check("due_in_working_days(5)", "eval") == []
    script = """
total = Decimal(0)
for d in devices:
    if d.get("exempt"):
        continue
    total += d["fee"]
summary = f"{len(devices)} devices"
del d
"""
    assert check(script, "exec") == []


def test_every_problem_is_listed_with_its_line_in_reading_order() -> None:
    script = """x = 1
import os
while x:
    pass
y = [].__class__
f = lambda: 1
def g():
    return 1
"""
    assert check(script, "exec") == [
        "line 2: 'import' is not allowed",
        "line 3: 'while' loops are not allowed: use 'for' over a list or a range",
        "line 5: the attribute '.__class__' is not allowed: names starting with '_' are reserved",
        "line 6: 'lambda' is not allowed",
        "line 7: defining functions ('def') is not allowed",
    ]


def test_syntax_errors_are_reported_with_their_line() -> None:
    assert check("x = 1\ny = (", "exec") == ["line 2: syntax error: '(' was never closed"]
    assert check("fee >", "eval") == ["line 1: syntax error: invalid syntax"]


def test_a_statement_where_an_expression_is_expected() -> None:
    assert check("x = 1", "eval") == ["line 1: expected an expression, not a statement"]
    assert check("import os", "eval") == ["line 1: 'import' is not allowed"]


def test_expressions_may_not_change_data() -> None:
    assert check("items.append(1) or True", "eval") == [
        "line 1: '.append()' changes data: only scripts may change data, not expressions"
    ]
    assert check("items.append(1)", "exec") == []


def test_break_outside_a_loop() -> None:
    assert check("if x:\n    break", "exec") == ["line 2: 'break' outside a 'for' loop"]
    assert check("for i in x:\n    pass\nelse:\n    continue", "exec") == ["line 4: 'continue' outside a 'for' loop"]


def test_huge_number_literals_and_odd_literals() -> None:
    assert check("1" + "0" * 2000, "eval") == ["line 1: the number has more than 4,096 bits"]
    assert check("1j", "eval") == ["line 1: complex literals are not allowed"]
    assert check("...", "eval") == ["line 1: ellipsis literals are not allowed"]


def test_starred_assignment_and_del_of_expressions() -> None:
    assert check("a, *b = x", "exec") == ["line 1: starred assignment ('*x = …') is not allowed"]
    assert check("del (a, b)", "exec") == ["line 1: 'del' takes a name, an item (x[k]) or a field (x.k)"]


def test_comprehension_variables_are_plain_names() -> None:
    # Python accepts `for d["k"] in …` in a comprehension: an expression could then write task data.
    message = "line 1: the variable of a comprehension must be a plain name, such as 'for x in …'"
    assert check("[0 for d['k'] in [1]]", "eval") == [message]
    assert check("[0 for d.k in [1]]", "eval") == [message]
    assert check("{k: v for k, (v, w) in pairs}", "eval") == []
