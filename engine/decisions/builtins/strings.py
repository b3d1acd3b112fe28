"""String functions (DMN 1.5 §10.3.4.3); regular expressions are XPath's, see `xpath_regex`."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..xpath_regex import TIME_LIMIT, compile_xpath, python_replacement
from .registry import as_list, define, need, whole


def _substring(text: Any, start: Any, length: Any = None) -> str:
    need(text, str)
    position = whole(start)
    if position == 0:
        raise ValueError("positions start at 1")
    begin = position - 1 if position > 0 else len(text) + position
    begin = max(begin, 0)
    if length is None:
        return text[begin:]
    count = whole(length)
    if count < 0:
        raise ValueError("the length is negative")
    return text[begin : begin + count]


def _text_fn(fn: Callable[[str], Any]) -> Callable[[Any], Any]:
    return lambda text: fn(need(text, str))


def _two_texts(fn: Callable[[str, str], Any]) -> Callable[[Any, Any], Any]:
    return lambda text, match: fn(need(text, str), need(match, str))


def _before(text: str, match: str) -> str:
    index = text.find(match)
    return "" if index < 0 else text[:index]


def _after(text: str, match: str) -> str:
    index = text.find(match)
    return "" if index < 0 else text[index + len(match) :]


def _matches(text: Any, pattern: Any, flags: Any = None) -> bool:
    need(text, str)
    need(pattern, str)
    if flags is not None:
        need(flags, str)
    return compile_xpath(pattern, flags).search(text, timeout=TIME_LIMIT) is not None


def _replace(text: Any, pattern: Any, replacement: Any, flags: Any = None) -> str:
    for value in (text, pattern, replacement):
        need(value, str)
    if flags is not None:
        need(flags, str)
    compiled = compile_xpath(pattern, flags)
    if compiled.search("", timeout=TIME_LIMIT) is not None and pattern:
        raise ValueError("the pattern matches an empty text")
    if "q" in (flags or ""):
        return compiled.sub(lambda match: replacement, text, timeout=TIME_LIMIT)
    return compiled.sub(python_replacement(replacement), text, timeout=TIME_LIMIT)


def _split(text: Any, delimiter: Any) -> list[str]:
    need(text, str)
    need(delimiter, str)
    return compile_xpath(delimiter, None).split(text, timeout=TIME_LIMIT)


def _string_join(items: Any, delimiter: Any = None) -> str:
    values = as_list(items)
    if delimiter is not None:
        need(delimiter, str)
    for value in values:
        if value is not None:
            need(value, str)
    return (delimiter or "").join(v for v in values if v is not None)


define("substring", (("string", "start position", "length"), _substring))
define("string length", (("string",), _text_fn(lambda text: Decimal(len(text)))))
define("upper case", (("string",), _text_fn(str.upper)))
define("lower case", (("string",), _text_fn(str.lower)))
define("substring before", (("string", "match"), _two_texts(_before)))
define("substring after", (("string", "match"), _two_texts(_after)))
define("contains", (("string", "match"), _two_texts(lambda t, m: m in t)))
define("starts with", (("string", "match"), _two_texts(str.startswith)))
define("ends with", (("string", "match"), _two_texts(str.endswith)))
define("matches", (("input", "pattern", "flags"), _matches), nullable=("flags",))
define("replace", (("input", "pattern", "replacement", "flags"), _replace), nullable=("flags",))
define("split", (("string", "delimiter"), _split))
define("string join", (("list", "delimiter"), _string_join), nullable=("delimiter",))
