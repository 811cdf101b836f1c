"""Observability: event hooks and counters.

Hooks are plain synchronous callables, called inline on the request path, so keep
them cheap (append to a list, bump a metric). An exception in a hook is logged and
swallowed: observability never breaks a request. URLs in events are redacted: the
values of secret query parameters (``consumer_key``, ``secret_token``, tokens, codes)
and a private share link's ``s-…`` token are shown as ``***``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

__all__ = [
    "EventHooks",
    "RateLimitWait",
    "RequestSent",
    "ResponseReceived",
    "RetryScheduled",
    "Stats",
]

logger = logging.getLogger("soundcloud_async")


@attrs.frozen
class RequestSent:
    """An attempt is about to go on the wire."""

    method: str
    url: str
    attempt: int


@attrs.frozen
class ResponseReceived:
    """An attempt got an HTTP response (any status)."""

    method: str
    url: str
    status: int
    attempt: int
    elapsed: float


@attrs.frozen
class RetryScheduled:
    """An attempt failed and will be retried after ``delay`` seconds."""

    method: str
    url: str
    attempt: int
    delay: float
    error: BaseException


@attrs.frozen
class RateLimitWait:
    """A request waited ``seconds`` for the rate limiter (``reason``: ``"limiter"``)."""

    method: str
    url: str
    seconds: float
    reason: str = "limiter"


E = TypeVar("E")


def _emit(callbacks: list[Callable[[E], Any]], event: E) -> None:
    for callback in callbacks:
        try:
            callback(event)
        except Exception:
            logger.exception("event hook %r failed", callback)


@attrs.define
class EventHooks:
    """Callbacks called on the request path, in registration order.

    Example::

        hooks = EventHooks()
        hooks.retry_scheduled.append(lambda e: print("retrying in", e.delay))
        SoundCloud(token, hooks=hooks)
    """

    request_sent: list[Callable[[RequestSent], Any]] = attrs.Factory(list)
    response_received: list[Callable[[ResponseReceived], Any]] = attrs.Factory(list)
    retry_scheduled: list[Callable[[RetryScheduled], Any]] = attrs.Factory(list)
    rate_limit_wait: list[Callable[[RateLimitWait], Any]] = attrs.Factory(list)

    emit = staticmethod(_emit)


@attrs.define
class Stats:
    """Counters a user can read (``sc.stats``); shared by everything one client sends.

    Attributes:
        requests: attempts sent on the wire (retries included).
        responses: HTTP responses received (any status).
        retries: retries scheduled.
        rate_limited: 429 responses received.
        errors: exceptions raised to the caller.
        waited: seconds spent waiting, for the rate limiter and before retries.
    """

    requests: int = 0
    responses: int = 0
    retries: int = 0
    rate_limited: int = 0
    errors: int = 0
    waited: float = 0.0
