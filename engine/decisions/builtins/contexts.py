"""Context functions (DMN 1.5 §10.3.4.12): `get value`, `get entries`, `context`, `context put`,
`context merge`."""

from __future__ import annotations

from typing import Any

from .registry import as_list, define, need


def _get_value(context: Any, key: Any) -> Any:
    need(context, dict)
    need(key, str)
    return context.get(key)


def _get_entries(context: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": v} for k, v in need(context, dict).items()]


def _context(entries: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in as_list(entries):
        need(entry, dict)
        key = need(entry.get("key"), str)
        if "value" not in entry or key in result:
            raise ValueError("each entry needs a key and a value, keys once")
        result[key] = entry["value"]
    return result


def _context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    need(context, dict)
    keys = [key] if isinstance(key, str) else need(key, list)
    if not keys:
        raise ValueError("no key")
    first = need(keys[0], str)
    result = dict(context)
    if len(keys) == 1:
        result[first] = value
    else:
        result[first] = _context_put(result.get(first), keys[1:], value)
    return result


def _context_merge(contexts: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for context in as_list(contexts):
        result.update(need(context, dict))
    return result


define("get value", (("m", "key"), _get_value), (("context", "key"), _get_value))
define("get entries", (("m",), _get_entries), (("context",), _get_entries))
define("context", (("entries",), _context))
define(
    "context put",
    (("context", "key", "value"), _context_put),
    (("context", "keys", "value"), _context_put),
    nullable=("value",),
)
define("context merge", (("contexts",), _context_merge))
