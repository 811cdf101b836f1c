"""Rate limits for the fake SoundCloud, applied the way SoundCloud applies them.

Limits are per ``client_id`` (the app), counted in fixed windows that start with the
first request of the window, by the injected monotonic clock. Groups and defaults:

* ``plays``: 15,000 per 24 h; 429 shape 1 with a real ``reset_time``.
* ``client-credentials-exchange`` (``/oauth/token`` with ``client_credentials``): 50 per
  12 h per app and 30 per hour per IP (key ``client-credentials-exchange/by-ip``);
  429 shape 2 naming the bucket (``by-app`` or ``by-ip``).
* ``general``: off unless ``general_rate`` (requests per second) is given; the 429s
  rotate through shapes 3, 4, 5 and 6.
* ``comments``, ``likes``, ``reposts``: off unless a test sets a budget; shape 1.

Every budget's shapes can be chosen (:class:`Budget` ``shapes``).

``plays`` covers ``GET /tracks/{urn}/streams``, ``/tracks/{urn}/preview`` and
``/media/…``; ``general`` covers every authenticated request. A request is checked
against its group and the general budget; it is counted only when both let it
through, and a 429 is never counted.

The spam rule (``spam_after``): after that many comment and like ``POST``s by one
client for one user, further ones get a 429 with ``spam_warning_urn`` (shape 7), which
a client must never retry.

No ``Retry-After`` header is sent unless ``retry_after_header=True`` (the real API sends
none); ``reset_time`` uses SoundCloud's ``yyyy/MM/dd HH:mm:ss +0000`` format, computed
from the injected wall clock.
"""

from __future__ import annotations

import collections
import itertools
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from soundcloud_async.testing._shared import PRINCIPAL_KEY, Principal, json_response

__all__ = [
    "DEFAULT_BUDGETS",
    "RATE_LIMIT_LINK",
    "Budget",
    "RateLimitShape",
    "RateLimiter",
    "format_reset_time",
    "group_of",
    "iso_duration",
    "too_many_requests",
]

RateLimitShape = Literal[1, 2, 3, 4, 5, 6, 7]
RATE_LIMIT_LINK: Final = "https://developers.soundcloud.com/docs/api/rate-limits#errors"
SPAM_WARNING_URN: Final = "soundcloud:spam-warnings:1"


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``max_requests`` per ``window`` seconds.

    ``shapes`` are the 429 body shapes (1-6 of ``docs/background/api-facts.md``) served in
    turn when the budget is exhausted; empty means the group's realistic default.
    """

    max_requests: int
    window: float
    shapes: tuple[RateLimitShape, ...] = ()


TOKEN_GROUP: Final = "client-credentials-exchange"
TOKEN_BY_APP: Final = TOKEN_GROUP
TOKEN_BY_IP: Final = f"{TOKEN_GROUP}/by-ip"

#: The budgets a fresh :class:`RateLimiter` starts with (``None``: unlimited).
DEFAULT_BUDGETS: Final[Mapping[str, Budget | None]] = {
    "plays": Budget(15_000, 24 * 3600.0),
    TOKEN_BY_APP: Budget(50, 12 * 3600.0),
    TOKEN_BY_IP: Budget(30, 3600.0),
    "general": None,
    "comments": None,
    "likes": None,
    "reposts": None,
}
_DEFAULT_SHAPES: Final[Mapping[str, tuple[RateLimitShape, ...]]] = {
    "plays": (1,),
    TOKEN_BY_APP: (2,),
    TOKEN_BY_IP: (2,),
    "general": (3, 4, 5, 6),
}

_PLAYS = re.compile(r"^/tracks/[^/]+/(streams|preview|stream)(\.[A-Za-z0-9]+)?$|^/media/")
_COMMENT = re.compile(r"^/tracks/[^/]+/comments(\.[A-Za-z0-9]+)?$")
_LIKE = re.compile(r"^/likes/(tracks|playlists)/[^/]+$|^/(me|users/[^/]+)/favorites/[^/]+$")
_REPOST = re.compile(r"^/reposts/(tracks|playlists)/[^/]+$")


def group_of(method: str, path: str) -> str | None:
    """The budget group of a request, other than ``general`` (``None``: no group)."""
    if method in ("GET", "HEAD") and _PLAYS.search(path):
        return "plays"
    if method == "POST" and _COMMENT.match(path):
        return "comments"
    if method in ("POST", "PUT", "DELETE") and _LIKE.match(path):
        return "likes"
    if method in ("POST", "PUT", "DELETE") and _REPOST.match(path):
        return "reposts"
    return None


def _is_spam_candidate(method: str, path: str) -> bool:
    """Comment and like creations: where SoundCloud's spam rule bites."""
    group = group_of(method, path)
    return (group == "comments" and method == "POST") or (
        group == "likes" and method in ("POST", "PUT")
    )


def iso_duration(seconds: float) -> str:
    """``PT24H``, ``PT1H``, ``PT30M``, ``PT1S``: an ISO 8601 duration."""
    s = max(0, round(seconds))
    if s and s % 3600 == 0:
        return f"PT{s // 3600}H"
    if s and s % 60 == 0:
        return f"PT{s // 60}M"
    return f"PT{s}S"


def format_reset_time(wall_seconds: float) -> str:
    """SoundCloud's date format: ``2015/06/01 09:49:40 +0000``."""
    return time.strftime("%Y/%m/%d %H:%M:%S +0000", time.gmtime(wall_seconds))


def too_many_requests(
    shape: RateLimitShape,
    *,
    group: str = "general",
    bucket: str | None = None,
    max_requests: int = 0,
    window: float = 1.0,
    reset_time: str | None = None,
    retry_after: float | None = None,
    spam_warning_urn: str = SPAM_WARNING_URN,
) -> web.Response:
    """A 429 in one of the seven shapes seen from SoundCloud (``docs/background/api-facts.md``).

    Args:
        shape: 1 and 2 carry ``rate_limit`` metadata (2 names a bucket), 3 is the full
            error object, 4 and 5 a bare ``error``, 6 plain text, 7 a spam warning.
        retry_after: seconds for a ``Retry-After`` header; ``None`` sends none.
    """
    headers = {} if retry_after is None else {"Retry-After": str(max(1, math.ceil(retry_after)))}
    reset = reset_time or format_reset_time(time.time() + window)
    body: dict[str, Any]
    if shape == 1:
        body = {
            "errors": [
                {
                    "meta": {
                        "rate_limit": {
                            "group": group,
                            "max_nr_of_requests": max_requests,
                            "time_window": iso_duration(window),
                        },
                        "remaining_requests": 0,
                        "reset_time": reset,
                    }
                }
            ]
        }
    elif shape == 2:
        body = {
            "errors": [
                {
                    "meta": {
                        "rate_limit": {
                            "bucket": bucket or "by-app",
                            "max_nr_of_requests": max_requests,
                            "name": group,
                            "time_window": iso_duration(window),
                        },
                        "remaining_requests": 0,
                        "reset_time": reset,
                    }
                }
            ]
        }
    elif shape == 3:
        body = {
            "code": 429,
            "message": "rate_limit_exceeded",
            "link": RATE_LIMIT_LINK,
            "status": "429 - Too Many Requests",
            "errors": [{"error_message": "rate_limit_exceeded"}],
            "error": None,
            "error_code": "rate_limit_exceeded",
        }
    elif shape == 4:
        body = {"error": "rate_limit_exceeded"}
    elif shape == 5:
        body = {"error": "Rate Limit Exceeded"}
    elif shape == 6:
        return web.Response(
            status=429, text="Please slow down.", content_type="text/plain", headers=headers
        )
    elif shape == 7:
        body = {
            "code": 429,
            "message": "This action was blocked by our spam protection; "
            "see the spam warning for details.",
            "link": RATE_LIMIT_LINK,
            "spam_warning_urn": spam_warning_urn,
        }
    else:  # pragma: no cover - guarded by the Literal type
        raise ValueError(f"unknown 429 shape {shape!r}")
    return json_response(body, status=429, headers=headers)


@dataclass(slots=True)
class _Window:
    start: float
    count: int = 0


@dataclass(slots=True, eq=False)
class RateLimiter:
    """Per-client budgets, the spam rule and the 429s they produce.

    Tests change budgets at run time with :meth:`set_budget`, and start every window
    afresh with :meth:`reset`.
    """

    budgets: dict[str, Budget | None] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))
    spam_after: int | None = None
    retry_after_header: bool = False
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    #: 429s served, by budget key (``spam`` for the spam rule).
    served: collections.Counter[str] = field(default_factory=collections.Counter)
    _windows: dict[tuple[str, str], _Window] = field(default_factory=dict, repr=False)
    _spam: collections.Counter[tuple[str, str | None]] = field(
        default_factory=collections.Counter, repr=False
    )
    _rotation: dict[str, Iterator[RateLimitShape]] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls,
        *,
        general_rate: float | None = None,
        general_window: float = 1.0,
        budgets: Mapping[str, Budget | None] | None = None,
        spam_after: int | None = None,
        retry_after_header: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> RateLimiter:
        """A limiter with the defaults, ``general_rate`` req/s, and ``budgets`` overrides."""
        table = dict(DEFAULT_BUDGETS)
        if general_rate is not None:
            if general_rate <= 0:
                raise ValueError("general_rate must be positive (or None for no limit)")
            allowed = int(general_rate * general_window)
            if allowed < 1:  # slower than one per window: one per 1/rate seconds
                allowed, general_window = 1, 1.0 / general_rate
            table["general"] = Budget(allowed, general_window)
        table.update(budgets or {})
        return cls(
            budgets=table,
            spam_after=spam_after,
            retry_after_header=retry_after_header,
            clock=clock,
            wall_clock=wall_clock,
        )

    def set_budget(self, key: str, budget: Budget | None) -> None:
        """Replace one budget (``None`` lifts it); its windows start afresh."""
        self.budgets[key] = budget
        for k in [k for k in self._windows if k[0] == key]:
            del self._windows[k]
        self._rotation.pop(key, None)

    def reset(self) -> None:
        """Forget every window and spam count (budgets stay)."""
        self._windows.clear()
        self._spam.clear()
        self._rotation.clear()

    def remaining(self, key: str, subject: str) -> int | None:
        """What is left of budget ``key`` for ``subject`` (a client id or an IP)."""
        budget = self.budgets.get(key)
        if budget is None:
            return None
        return budget.max_requests - self._current(key, subject, budget).count

    # -- checks ---------------------------------------------------------------------

    def _current(self, key: str, subject: str, budget: Budget) -> _Window:
        now = self.clock()
        win = self._windows.get((key, subject))
        if win is None or now >= win.start + budget.window:
            win = _Window(now)
            self._windows[(key, subject)] = win
        return win

    def _take(self, keys: list[tuple[str, str]]) -> web.Response | None:
        """Count one request against every ``(key, subject)``, or the 429 of the first full one."""
        windows = []
        for key, subject in keys:
            budget = self.budgets.get(key)
            if budget is None:
                continue
            win = self._current(key, subject, budget)
            if win.count >= budget.max_requests:
                return self._reject(key, budget, win)
            windows.append(win)
        for win in windows:
            win.count += 1
        return None

    def _next_shape(self, key: str, budget: Budget) -> RateLimitShape:
        shapes = budget.shapes or _DEFAULT_SHAPES.get(key, (1,))
        it = self._rotation.get(key)
        if it is None:
            it = self._rotation[key] = itertools.cycle(shapes)
        return next(it)

    def _reject(self, key: str, budget: Budget, win: _Window) -> web.Response:
        self.served[key] += 1
        left = max(0.0, win.start + budget.window - self.clock())
        group, _, bucket = key.partition("/")
        if group == TOKEN_GROUP:
            bucket = bucket or "by-app"
        return too_many_requests(
            self._next_shape(key, budget),
            group=group,
            bucket=bucket or None,
            max_requests=budget.max_requests,
            window=budget.window,
            reset_time=format_reset_time(self.wall_clock() + left),
            retry_after=left if self.retry_after_header else None,
        )

    def check_token_exchange(self, client_id: str, ip: str) -> web.Response | None:
        """Count a client-credentials exchange; the 429 when a bucket is empty."""
        return self._take([(TOKEN_BY_APP, client_id), (TOKEN_BY_IP, ip)])

    def check(self, method: str, path: str, principal: Principal) -> web.Response | None:
        """Count an API request of ``principal``; the 429 when it is over a budget."""
        spam_key = (principal.client_id, principal.user_urn)
        spam = self.spam_after is not None and _is_spam_candidate(method, path)
        if spam and self.spam_after is not None and self._spam[spam_key] >= self.spam_after:
            self.served["spam"] += 1
            return too_many_requests(7)
        keys = [("general", principal.client_id)]
        group = group_of(method, path)
        if group is not None:
            keys.insert(0, (group, principal.client_id))
        limited = self._take(keys)
        if limited is None and spam:
            self._spam[spam_key] += 1
        return limited

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Apply the budgets to authenticated requests (the token endpoint counts its own)."""
        principal = request.get(PRINCIPAL_KEY)
        if isinstance(principal, Principal):
            limited = self.check(request.method, request.path, principal)
            if limited is not None:
                return limited
        return await handler(request)
