"""How far ahead a diagram may count: a hundred years, more than any legal period or validity.

Counting beyond it is never meant and costs dearly: SpiffWorkflow adds a timer's months one by one
(`P30000000M` took 40 s, `P9999999999Y` would take a day) and the working-day functions walk the days
beyond the precomputed calendar (`working_days_between` over ten thousand years took 8 s). The same checks
run when `validate` reads a constant in a diagram and when a dossier evaluates it, so that the analyst reads
at deployment the very words a running dossier would have stopped with.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

HORIZON_YEARS = 100
HORIZON_DAYS = 36_525
MAX_TIMER_TEXT = 60  # characters of an ISO 8601 duration, date or cycle
# The longest each designator can be, in days (months and years as their longest, to stay on the safe side).
_DAYS_PER = {"years": 366, "months": 31, "weeks": 7, "days": 1, "hours": 1 / 24, "minutes": 1 / 1440,
             "seconds": 1 / 86400}


class BeyondHorizon(ValueError):
    """A period, date or timer beyond the horizon; the message is the same at validation and at run time."""


def _beyond(what: str) -> BeyondHorizon:
    return BeyondHorizon(f"{what} lies beyond the {HORIZON_YEARS}-year horizon ({HORIZON_DAYS:,} days)")


def check_days(function: str, amount: Any) -> int:
    """A number of days for `function` (e.g. due_in_working_days): a whole number from 0 to the horizon."""
    if isinstance(amount, bool) or not isinstance(amount, int | float | Decimal):
        raise ValueError(f"{function}(): the number of days must be a number")
    # Compared before int(): int(Decimal("1e999999")) would build a million digits.
    if not 0 <= amount <= HORIZON_DAYS:
        raise _beyond(f"{function}({amount})") if amount > HORIZON_DAYS else \
            ValueError(f"{function}(): the number of days cannot be negative")
    return int(amount)


def check_seconds(function: str, seconds: Any) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | Decimal):
        raise ValueError(f"{function}(): the number of seconds must be a number")
    if not abs(seconds) <= HORIZON_DAYS * 86_400:
        raise _beyond(f"{function}({seconds})")
    return float(seconds)


def check_span(function: str, first: date, last: date) -> None:
    if abs((last - first).days) > HORIZON_DAYS:
        raise _beyond(f"{function}({first.isoformat()}, {last.isoformat()})")


def _check_length(text: str) -> None:
    # 'P' and four thousand nines is a valid int() for the library, which would then count that many months.
    if len(text) > MAX_TIMER_TEXT:
        raise BeyondHorizon(f"the timer {text[:MAX_TIMER_TEXT]!r}… is longer than {MAX_TIMER_TEXT} characters")


def check_duration(text: str) -> None:
    """An ISO 8601 duration refused beyond the horizon; one that does not parse is the timer parser's to
    refuse (engine.runtime.timers), in its own words."""
    _check_length(text)
    try:
        parsed = TimerEventDefinition.parse_iso_duration(text)
    except Exception:  # the library raises a bare Exception, or ValueError from int()
        return
    if sum(value * _DAYS_PER[part] for part, value in parsed.items()) > HORIZON_DAYS:
        raise _beyond(f"the timer {text!r}")


def check_timer_text(kind: str, text: str, now: datetime) -> None:
    """A timer's evaluated text, `kind` being timeDuration, timeDate or timeCycle (BPMN's element names):
    BeyondHorizon when it lies beyond the horizon, before the library counts anything with it."""
    _check_length(text)
    if kind == "timeDuration":
        check_duration(text)
        return
    if kind == "timeDate":
        try:
            due = TimerEventDefinition.get_datetime(text)
        except Exception:
            return
        if abs(due - now) > timedelta(days=HORIZON_DAYS):
            raise _beyond(f"the timer {text!r}")
        return
    for part in text.upper().replace("--", "/").split("/"):
        if part.startswith("P"):
            check_duration(part)
        elif part[:1].isdigit() and "-" in part:
            check_timer_text("timeDate", part, now)
