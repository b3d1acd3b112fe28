"""Python source parsed one thread at a time.

CPython 3.11's parser keeps its recursion depth in shared state: `ast.parse` run in parallel threads (80
studio checks at once under waitress) can fail with "SystemError: AST constructor recursion depth mismatch"
(CPython gh-106905, fixed in 3.12). Parsing a diagram's snippets takes microseconds, so a lock costs nothing.
"""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse_python(source: str, mode: str = "exec") -> ast.AST:
    with _LOCK:
        return ast.parse(source, mode=mode)
