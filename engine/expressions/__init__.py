"""The safe evaluator for everything a diagram contains: conditions, scripts, pre/post scripts, timers.

Diagrams are edited in the browser, and SpiffWorkflow would run their text with Python's eval/exec and
full builtins (`import os` works from a script task; emptying `__builtins__` is no sandbox: one
`().__class__.__base__.__subclasses__()` away from everything). Here the text is parsed with `ast.parse`,
every node is checked against a whitelist (`checker`), and the tree is then *interpreted*
(`compiler`): the text itself is never given to eval, exec or compile.

Why not a library. simpleeval (1.0.8) evaluates expressions only: assignments are ignored with a warning,
and there are no `if`/`for` statements, which scripts need; its attribute policy is a blacklist (any
attribute not starting with '_' and not in a short list is reachable on any object), and it has no time
budget. RestrictedPython (9.0) rewrites the tree, then compiles and execs the result: the policy is ours
to assemble from guard hooks, `while True: pass` is allowed, and nothing bounds time or memory. Our own
interpreter whitelists node kinds, functions, methods and attributes instead of blacklisting them, and it
counts steps and bounds sizes. Neither library does those things.

The language: literals, names, arithmetic, comparison and boolean operators, `in`, `x if c else y`,
subscripts and slices, list/tuple/set/dict displays, comprehensions, f-strings; calls to the built-ins
in `library.BUILTINS` and to the platform functions the caller passes in; methods and fields of
str/list/tuple/dict/set/Decimal/date/datetime/time/timedelta from `library`, and the fields of a dict as
attributes (`dossier.applicant`). Scripts add assignment (also augmented, unpacking, `x[k] = …`,
`x.k = …` on a dict), `if/elif/else`, `for` with `break`/`continue`/`else`, `pass` and `del`.
Differences from Python, each on purpose: functions and methods can only be called, never used as
values; generator expressions are evaluated at once into a list; a float meeting a Decimal in
arithmetic or comparison is read as the decimal it prints as (`fee * 0.75` works); a called name looks
for a function before task data (a field named `date` does not hide `date(…)`); expressions (as opposed
to scripts) may not call methods that change data.

Modules: `checker` (static whitelist), `compiler` (tree → closures), `operations` (what the closures do,
with their guards), `library` (built-ins, methods, attributes), `limits` (budgets and caps, and why each
exists), `api` (check/evaluate/execute, cached), `environment` (SpiffWorkflow glue).
"""

from engine.expressions.api import check, evaluate, execute
from engine.expressions.environment import SafeEnvironment, SafeScriptEngine
from engine.expressions.errors import ExpressionError, ExpressionTimeout, UnsafeExpression

__all__ = [
    "ExpressionError",
    "ExpressionTimeout",
    "SafeEnvironment",
    "SafeScriptEngine",
    "UnsafeExpression",
    "check",
    "evaluate",
    "execute",
]
