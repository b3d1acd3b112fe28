"""JSON from outside, nested no deeper than anything the platform reads.

The C parser refuses very deep nesting with a RecursionError (not a ValueError, so callers expecting a
"not JSON" error gave a 500), and a value nested a few hundred levels deep would still make every later
recursive walk (schemas, decisions, rendering) fail. Nothing the platform reads is nested beyond a dozen
levels: a form's table of rows inside a dossier inside a request.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32
TOO_DEEP = f"the JSON is nested more than {MAX_DEPTH} levels deep"


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """json.loads, with too deep nesting a ValueError (json.JSONDecodeError is one too) like any bad JSON."""
    try:
        value = json.loads(text, **kwargs)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """ValueError when lists and objects nest more than MAX_DEPTH levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise ValueError(TOO_DEEP)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
