"""Rate limits on the routes that take them (sign-in, submissions, tracking, verification), counted by the
`limits` library in fixed windows, in the store RATELIMIT_STORAGE_URI names (this process's memory by default,
Redis with several web processes).

Only those routes pay for it. Flask-Limiter, used before, ran its hooks before, after and at the end of every
request, limited or not: 6-10 % of an API instance (measured side by side), for routes without any limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from flask import Flask, Response, after_this_request, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests


class MemoryCounts(MemoryStorage):
    """limits' in-process counts without the timer thread it starts at the first hit after 10 ms without one:
    starting a thread waits for the GIL, 0.3 ms on an idle server and tens of ms beside a busy request, paid
    by every submission. Expired counts are dropped when read (MemoryStorage.get) and, so that keys never
    asked again do not pile up, swept at most once a minute by the hits themselves."""

    STORAGE_SCHEME = ["motcua-memory"]
    SWEEP_EVERY = 60.0
    _next_sweep = 0.0

    # The hook MemoryStorage calls at every hit (its private name): a sweep now and then, in this thread.
    def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


def remote_address() -> str:
    """The client's address (the proxy's X-Forwarded-For when PROXY_HOPS trusts it: ProxyFix)."""
    return request.remote_addr or "127.0.0.1"


@dataclass(frozen=True)
class Rule:
    """A route's limit. `limits`: in the notation of `limits` ("600 per hour", several joined by ";"), or a
    function giving it at each request (from the app's config)."""

    limits: str | Callable[[], str]
    key: Callable[[], str] = remote_address  # whose requests count together
    scope: str = ""  # routes naming the same scope share the counts; by default a route counts alone
    methods: frozenset[str] = frozenset()  # only these methods count (all when empty)
    deduct_when: Callable[[Response], bool] | None = None  # only the answers it accepts count (all when None)
    exempt_when: Callable[[], bool] | None = None  # requests it accepts neither count nor are refused


@lru_cache(maxsize=64)
def _items(notation: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(notation))


class RateLimits:
    """The app's limits and their counts (app.extensions["motcua_limits"])."""

    def __init__(self, storage_uri: str) -> None:
        self.storage = storage_from_string(storage_uri)
        self._windows = FixedWindowRateLimiter(self.storage)

    def limit(self, app: Flask, endpoint: str, rule: Rule) -> None:
        """Put `rule` on the route `endpoint`; a route may take several (each counts on its own)."""
        app.view_functions[endpoint] = self._limited(app.view_functions[endpoint], rule, rule.scope or endpoint)

    def _limited(self, view: Callable[..., Any], rule: Rule, scope: str) -> Callable[..., Any]:
        @wraps(view)
        def limited(*args: Any, **kwargs: Any) -> Any:
            if (rule.methods and request.method not in rule.methods) or (rule.exempt_when and rule.exempt_when()):
                return view(*args, **kwargs)
            items = _items(rule.limits() if callable(rule.limits) else rule.limits)
            who = (scope, rule.key())
            if rule.deduct_when is None:
                refused = [item for item in items if not self._windows.hit(item, *who)]
            else:
                refused = [item for item in items if not self._windows.test(item, *who)]

            @after_this_request
            def count_and_tell(response: Response) -> Response:
                # After the error handlers too: a refusal or a 404 raised in the view is the answer counted here.
                if rule.deduct_when is not None and not refused and rule.deduct_when(response):
                    for item in items:
                        self._windows.hit(item, *who)
                self._headers(response, refused or items, who)
                return response

            if refused:
                raise TooManyRequests()
            return view(*args, **kwargs)

        return limited

    def _headers(self, response: Response, items: tuple[RateLimitItem, ...] | list[RateLimitItem],
                 who: tuple[str, str]) -> None:
        """The tightest of the limits, as clients read it (X-RateLimit-*, and Retry-After on a refusal)."""
        stats = [(self._windows.get_window_stats(item, *who), item) for item in items]
        (reset_at, remaining), item = min(stats, key=lambda s: (s[0].remaining, -s[0].reset_time))
        response.headers["X-RateLimit-Limit"] = str(item.amount)
        response.headers["X-RateLimit-Remaining"] = str(max(remaining, 0))
        response.headers["X-RateLimit-Reset"] = str(int(reset_at))
        if response.status_code == 429:
            response.headers["Retry-After"] = str(max(int(reset_at - time.time()) + 1, 1))
