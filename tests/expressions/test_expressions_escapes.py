"""The known ways out of a Python sandbox: each is refused with words that name it, and nothing runs."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine.expressions
from engine.expressions import ExpressionError, UnsafeExpression, check, evaluate, execute

ESCAPES_IN_EXPRESSIONS = [
    ("__import__('os')", "'__import__'"),
    ("().__class__.__base__.__subclasses__()", "'.__class__'"),
    ("open('/etc/passwd')", "'open()'"),
    ('"{0.__class__}".format(1)', "'.format()'"),
    ("'{x.__class__}'.format_map({'x': 1})", "'.format_map()'"),
    ("getattr(x, '__class__')", "'getattr()'"),
    ("[].__class__", "'.__class__'"),
    ("type(1)", "'type()'"),
    ("eval('1')", "'eval()'"),
    ("exec('x=1')", "'exec()'"),
    ("compile('1', 'f', 'eval')", "'compile()'"),
    ("globals()", "'globals()'"),
    ("vars()", "'vars()'"),
    ("lambda: 1", "'lambda'"),
    ("sorted([1], key=lambda v: v)", "'lambda'"),
    ("x.__dict__", "'.__dict__'"),
    ("__builtins__", "'__builtins__'"),
    ("[c for c in ().__class__.__mro__]", "'.__class__'"),
    ("f'{x.__class__}'", "'.__class__'"),
    ("dict(__class__=1)", "'__class__'"),
    ("len(**x)", "'**'"),
    ("x.get('a')()", "only named functions"),
    ("(y := 1)", "':='"),
    ("b'bytes'", "bytes literals"),
]

ESCAPES_IN_SCRIPTS = [
    ("import os", "'import'"),
    ("from os import system", "'from … import'"),
    ("def f():\n    pass", "'def'"),
    ("class A:\n    pass", "'class'"),
    ("while True:\n    pass", "'while'"),
    ("global x", "'global'"),
    ("try:\n    pass\nexcept Exception:\n    pass", "'try'"),
    ("with x as y:\n    pass", "'with'"),
    ("raise ValueError()", "'raise'"),
    ("x: int = 1", "annotated assignment"),
    ("def f():\n    yield 1", "'def'"),
    ("__import__('os').system('id')", "'__import__'"),
]


@pytest.mark.parametrize(("source", "named"), ESCAPES_IN_EXPRESSIONS)
def test_escape_in_an_expression_is_refused_by_name(source: str, named: str) -> None:
    with pytest.raises(UnsafeExpression) as caught:
        evaluate(source, {"x": {"a": 1}})
    assert named in str(caught.value)
    assert caught.value.line == 1
    assert any(named in problem for problem in check(source, "eval"))


@pytest.mark.parametrize(("source", "named"), ESCAPES_IN_SCRIPTS)
def test_escape_in_a_script_is_refused_by_name(source: str, named: str) -> None:
    data: dict[str, Any] = {"x": 1}
    with pytest.raises(UnsafeExpression) as caught:
        execute(source, data)
    assert named in str(caught.value)
    assert data == {"x": 1}


def test_generator_frames_are_out_of_reach() -> None:
    # Generator expressions become lists, so there is no generator, and no frame, to reach. The static
    # check cannot refuse `.gi_frame` (it could be a field of a dict): the run-time whitelist does.
    assert check("(x for x in []).gi_frame", "eval") == []
    with pytest.raises(UnsafeExpression, match=r"'\.gi_frame' of list is not allowed"):
        evaluate("(x for x in []).gi_frame", {})
    assert evaluate("sum(x for x in [1, 2, 3])", {}) == 6


def test_import_as_a_condition_names_the_import() -> None:
    # In eval mode `import os` is a syntax error; the analyst is told what is wrong, not "invalid syntax".
    with pytest.raises(UnsafeExpression, match="'import' is not allowed"):
        evaluate("import os", {})


def test_printf_formatting_is_refused_at_run_time() -> None:
    # '%*d' takes its width from the data: the type of the left operand is known only when it runs.
    with pytest.raises(UnsafeExpression, match="'%' formatting of text is not allowed"):
        evaluate("'%*d' % (10**9, 1)", {})
    assert evaluate("7 % 3", {}) == 1


def test_forbidden_attributes_and_methods_of_whitelisted_types() -> None:
    with pytest.raises(UnsafeExpression, match=r"'\.translate\(\)' of str is not allowed"):
        evaluate("'a'.translate({})", {})
    with pytest.raises(UnsafeExpression, match=r"'\.real' of Decimal is not allowed"):
        evaluate("fee.real", {"fee": __import__("decimal").Decimal(1)})
    with pytest.raises(UnsafeExpression, match=r"'date\.today\(\)' is not allowed .*platform"):
        evaluate("date.today()", {})


def test_objects_of_unknown_types_are_opaque() -> None:
    class Secret:
        token = "s3cr3t"

        def reveal(self) -> str:
            return self.token

    with pytest.raises(UnsafeExpression, match=r"'\.token' of Secret is not allowed"):
        evaluate("obj.token", {"obj": Secret()})
    with pytest.raises(UnsafeExpression, match=r"'\.reveal\(\)' of Secret is not allowed"):
        evaluate("obj.reveal()", {"obj": Secret()})


def test_functions_are_not_values() -> None:
    # A function held as a value could be passed where a key or callback is expected, or stored.
    with pytest.raises(ExpressionError, match="'len' is a function: call it"):
        evaluate("len", {})
    with pytest.raises(ExpressionError, match="'sorted' is a function"):
        evaluate("sorted([2, 1], key=sorted)", {})
    with pytest.raises(ExpressionError, match=r"'\.get' is a method: call it"):
        execute("m = {}.get", {})


def test_nothing_runs_when_a_forbidden_construct_appears_anywhere(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    calls: list[str] = []
    functions: dict[str, Callable[..., Any]] = {"spy": lambda: calls.append("spy")}
    scripts = [
        f"spy()\n__import__('os').system('touch {marker}')",
        f"spy()\nf = open('{marker}', 'w')",
        "spy()\nwhile True:\n    pass",
        "spy()\nx = ().__class__",
    ]
    for script in scripts:
        with pytest.raises(UnsafeExpression):
            execute(script, {}, functions)
    assert calls == []  # refused before the first statement, not when reaching the bad one
    assert not marker.exists()


def test_the_evaluator_itself_never_calls_eval_exec_or_compile() -> None:
    package = Path(engine.expressions.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec", "compile", "__import__"}, f"{path.name}:{node.lineno}"
