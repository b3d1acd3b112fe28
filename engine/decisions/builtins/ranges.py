"""Range functions (DMN 1.5 §10.3.4.9): before, after, meets, overlaps, includes... on points and
ranges, and `range(from)` reading a range literal's text."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import FeelSyntaxError
from ..feel import compile_expression
from ..values import Range, compare, show
from .registry import define, need


def _bounds(value: Any) -> tuple[Any, bool, Any, bool, bool, bool]:
    """(start, start included, end, end included, no start, no end) of a range or a point."""
    if isinstance(value, Range):
        return (
            value.start,
            value.start_closed,
            value.end,
            value.end_closed,
            value.unbounded_start,
            value.unbounded_end,
        )
    return (value, True, value, True, False, False)


def _cmp(a: Any, b: Any) -> int:
    order = compare(a, b)
    if order is None:
        raise TypeError(f"cannot compare {show(a)} with {show(b)}")
    return order


def _before_fn(a: Any, b: Any) -> bool:
    _s1, _i1, e1, ei1, _ns1, ne1 = _bounds(a)
    s2, si2, _e2, _ei2, ns2, _ne2 = _bounds(b)
    if ne1 or ns2:
        return False
    order = _cmp(e1, s2)
    return order < 0 or (order == 0 and not (ei1 and si2))


def _meets(a: Any, b: Any) -> bool:
    _s1, _i1, e1, ei1, _n1, ne1 = _bounds(a)
    s2, si2, _e2, _ei2, ns2, _n2 = _bounds(b)
    return not ne1 and not ns2 and ei1 and si2 and _cmp(e1, s2) == 0


def _overlaps(a: Any, b: Any) -> bool:
    return not (_before_fn(a, b) or _before_fn(b, a))


def _overlaps_before(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    starts_first = not ns2 and (ns1 or _cmp(s1, s2) < 0 or (_cmp(s1, s2) == 0 and si1 and not si2))
    ends_inside = (
        not ne1
        and not ns2
        and (_cmp(e1, s2) > 0 or (_cmp(e1, s2) == 0 and ei1 and si2))
        and (ne2 or _cmp(e1, e2) < 0 or (_cmp(e1, e2) == 0 and (not ei1 or ei2)))
    )
    return bool(starts_first and ends_inside)


def _finishes(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    if not isinstance(a, Range):
        return not ne2 and ei2 and _cmp(e1, e2) == 0
    if ne1 or ne2 or ei1 != ei2 or _cmp(e1, e2) != 0:
        return False
    return ns2 or (not ns1 and (_cmp(s1, s2) > 0 or (_cmp(s1, s2) == 0 and (not si1 or si2))))


def _includes(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    start_ok = ns1 or (not ns2 and (_cmp(s1, s2) < 0 or (_cmp(s1, s2) == 0 and (si1 or not si2))))
    end_ok = ne1 or (not ne2 and (_cmp(e1, e2) > 0 or (_cmp(e1, e2) == 0 and (ei1 or not ei2))))
    return bool(start_ok and end_ok)


def _starts(a: Any, b: Any) -> bool:
    s1, si1, e1, ei1, ns1, ne1 = _bounds(a)
    s2, si2, e2, ei2, ns2, ne2 = _bounds(b)
    if not isinstance(a, Range):
        return not ns2 and si2 and _cmp(s1, s2) == 0
    if ns1 or ns2 or si1 != si2 or _cmp(s1, s2) != 0:
        return False
    return ne2 or (not ne1 and (_cmp(e1, e2) < 0 or (_cmp(e1, e2) == 0 and (not ei1 or ei2))))


def _coincides(a: Any, b: Any) -> bool:
    return _bounds(a)[4:] == _bounds(b)[4:] and _includes(a, b) and _includes(b, a)


def _range_fn(fn: Callable[[Any, Any], bool]) -> tuple[tuple[tuple[str, ...], Callable[..., Any]], ...]:
    return (
        (("point1", "point2"), fn),
        (("point", "range"), fn),
        (("range", "point"), fn),
        (("range1", "range2"), fn),
    )


define("before", *_range_fn(_before_fn))
define("after", *_range_fn(lambda a, b: _before_fn(b, a)))
define("meets", (("range1", "range2"), _meets))
define("met by", (("range1", "range2"), lambda a, b: _meets(b, a)))
define("overlaps", (("range1", "range2"), _overlaps))
define("overlaps before", (("range1", "range2"), _overlaps_before))
define("overlaps after", (("range1", "range2"), lambda a, b: _overlaps_before(b, a)))
define("finishes", (("point", "range"), _finishes), (("range1", "range2"), _finishes))
define(
    "finished by",
    (("range", "point"), lambda a, b: _finishes(b, a)),
    (("range1", "range2"), lambda a, b: _finishes(b, a)),
)
define("includes", (("range", "point"), _includes), (("range1", "range2"), _includes))
define(
    "during", (("point", "range"), lambda a, b: _includes(b, a)), (("range1", "range2"), lambda a, b: _includes(b, a))
)
define("starts", (("point", "range"), _starts), (("range1", "range2"), _starts))
define(
    "started by", (("range", "point"), lambda a, b: _starts(b, a)), (("range1", "range2"), lambda a, b: _starts(b, a))
)
define("coincides", (("point1", "point2"), _coincides), (("range1", "range2"), _coincides))


def _range_from(text: Any) -> Range | None:
    """`range(from)`: a range literal's text (`"[1..10)"`), endpoints literals; a unary comparison
    such as `">= 10"` is not a range literal (DMN 1.5 §10.3.4.9.1)."""
    need(text, str)
    if not text.strip() or text.strip()[0] not in "[(]":
        raise ValueError("not a range literal")
    try:
        expression = compile_expression(text)
    except FeelSyntaxError as exc:
        raise ValueError(str(exc)) from None
    if not _literal_endpoints(text) or not expression.is_constant:
        raise ValueError("a range's endpoints must be literals")
    value = expression.node.value
    if not isinstance(value, Range):
        raise ValueError("not a range")
    if value.start is None and value.end is None:
        raise ValueError("a range needs at least one endpoint")
    if value.start is not None and value.end is not None and compare(value.start, value.end) == 1:
        raise ValueError("the range's start is after its end")
    return value


def _literal_endpoints(text: str) -> bool:
    """Endpoints are literals: numbers, strings, temporal literals or constructor calls, no names."""
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    stripped = re.sub(r"\b(date and time|date|time|duration|null)\b", "", stripped)
    return re.search(r"[^\W\d]", stripped) is None


define("range", (("from",), _range_from))
