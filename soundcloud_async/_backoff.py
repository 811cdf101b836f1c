"""Which failures are retried, and how long to wait first.

Pure decisions: :meth:`RetryPolicy.decide` looks at one failure and answers with a
delay in seconds, or ``None`` for "raise it now". The transport does the waiting,
with its injected ``sleep``; randomness (for jitter) is injected here.

The rules:

- A 429 is retried for every method, except an account spam block
  (``spam_warning_urn``) and 429s from the token endpoint (the caller says
  ``retry_429=False``). The wait is ``Retry-After`` if present, else the body's
  ``reset_time``, else exponential backoff with full jitter. A wait longer than
  ``max_wait`` (a plays window can reset hours later) is not slept: the
  :class:`~soundcloud_async.RateLimited` is raised at once so the caller decides.
- 5xx, timeouts, broken connections, undecodable success bodies and a gateway's
  401/403 (a CloudFront HTML page or an empty body, not SoundCloud's JSON answer) are
  retried only for idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS).
- A connection that could not be made at all (:class:`ConnectError`) proves the
  request was never sent, so it is retried for every method, POST included.
- ``max_attempts`` (the first attempt included) and ``deadline`` (seconds since the
  first attempt, waits included) bound everything.
- A :class:`RetryBudget` shared by all requests (botocore's "standard" mode): each
  retry of a 5xx or transport failure spends tokens, each success earns one back;
  an empty budget means failures are raised at once, so thousands of tasks do not
  hammer a failing API. 429s do not spend the budget: the rate limiter's pause and
  adaptive rate already slow every task down.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

import attrs

from soundcloud_async._errors import (
    ConnectError,
    DecodeError,
    Forbidden,
    RateLimited,
    RequestTimeout,
    ServerError,
    SoundCloudError,
    TransportError,
    Unauthorized,
)

__all__ = ["IDEMPOTENT_METHODS", "RetryBudget", "RetryPolicy"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def _optional_seconds(value: float | dt.timedelta | None) -> float | None:
    return None if value is None else _seconds(value)


class RetryBudget:
    """A token bucket of retries shared by every request of one (or more) clients.

    Args:
        capacity: tokens when full (botocore uses 500).
        retry_cost: tokens one retry of a 5xx or broken connection spends.
        timeout_cost: tokens one retry of a timeout spends (timeouts are costlier).
        success_refund: tokens one successful request earns back (up to capacity).
    """

    __slots__ = ("_tokens", "capacity", "retry_cost", "success_refund", "timeout_cost")

    def __init__(
        self,
        capacity: float = 500,
        *,
        retry_cost: float = 5,
        timeout_cost: float = 10,
        success_refund: float = 1,
    ) -> None:
        if capacity <= 0 or retry_cost < 0 or timeout_cost < 0 or success_refund < 0:
            raise ValueError("RetryBudget needs capacity > 0 and non-negative costs")
        self.capacity = float(capacity)
        self.retry_cost = float(retry_cost)
        self.timeout_cost = float(timeout_cost)
        self.success_refund = float(success_refund)
        self._tokens = float(capacity)

    @property
    def tokens(self) -> float:
        """Tokens left."""
        return self._tokens

    def try_spend(self, cost: float) -> bool:
        """Take ``cost`` tokens if there are enough; say whether it did."""
        if cost > self._tokens:
            return False
        self._tokens -= cost
        return True

    def refund(self) -> None:
        """Earn back the refund of one successful request."""
        self._tokens = min(self.capacity, self._tokens + self.success_refund)

    def __repr__(self) -> str:
        return f"RetryBudget(tokens={self._tokens:g}/{self.capacity:g})"


@attrs.define(kw_only=True)
class RetryPolicy:
    """How the transport retries failed requests.

    Attributes:
        max_attempts: attempts per request, the first one included (1 disables retries).
        deadline: seconds from the first attempt after which no retry starts
            (``None``: no deadline).
        backoff_base: the first exponential backoff ceiling, in seconds.
        backoff_max: the cap of the exponential backoff ceiling.
        max_wait: the longest server-requested wait (``Retry-After`` or ``reset_time``)
            that is slept; a longer one raises :class:`RateLimited` at once.
        budget: the shared :class:`RetryBudget` (``None``: unlimited retries).
        wait: set ``False`` in tests to make every wait zero (decisions are unchanged).
        random: returns a float in [0, 1): the jitter source.
    """

    max_attempts: int = attrs.field(default=5)
    deadline: float | None = attrs.field(default=300.0, converter=_optional_seconds)
    backoff_base: float = attrs.field(default=0.5, converter=_seconds)
    backoff_max: float = attrs.field(default=30.0, converter=_seconds)
    max_wait: float = attrs.field(default=120.0, converter=_seconds)
    budget: RetryBudget | None = attrs.field(factory=RetryBudget)
    wait: bool = True
    random: Callable[[], float] = attrs.field(default=random.random, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.backoff_base < 0 or self.backoff_max < 0 or self.max_wait < 0:
            raise ValueError("backoff_base, backoff_max and max_wait must not be negative")
        if self.deadline is not None and self.deadline < 0:
            raise ValueError("deadline must not be negative")

    @classmethod
    def never(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1, budget=None)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter for the retry after ``attempt``."""
        # The exponent is capped: 2.0 ** 1024 overflows, and 2**62 exceeds any cap anyway.
        ceiling = min(self.backoff_max, self.backoff_base * (2.0 ** min(62, max(0, attempt - 1))))
        return float(self.random()) * ceiling

    def decide(
        self,
        error: SoundCloudError,
        *,
        method: str,
        attempt: int,
        elapsed: float,
        retry_429: bool = True,
    ) -> float | None:
        """Seconds to wait before the next attempt, or ``None`` to raise ``error`` now.

        Args:
            error: the failure of attempt number ``attempt`` (1-based).
            method: the HTTP method of the request.
            elapsed: seconds since the first attempt began.
            retry_429: ``False`` for requests whose 429 must surface (token exchange).
        """
        if attempt >= self.max_attempts:
            return None
        if isinstance(error, RateLimited):
            if error.spam_warning_urn or not retry_429:
                return None
            if error.retry_after is not None:
                if error.retry_after > self.max_wait:
                    return None
                delay = error.retry_after
            else:
                delay = self.backoff(attempt)
            cost = 0.0
        elif self._retryable(error, method):
            delay = self.backoff(attempt)
            cost = self._cost(error)
        else:
            return None
        if self.deadline is not None and elapsed + delay > self.deadline:
            return None
        if cost and self.budget is not None and not self.budget.try_spend(cost):
            return None
        return delay if self.wait else 0.0

    def record_success(self) -> None:
        """Tell the budget a request succeeded."""
        if self.budget is not None:
            self.budget.refund()

    @staticmethod
    def _retryable(error: SoundCloudError, method: str) -> bool:
        if isinstance(error, ConnectError):
            return True
        if method.upper() not in IDEMPOTENT_METHODS:
            return False
        if isinstance(error, (ServerError, TransportError)):
            return True
        if isinstance(error, (Unauthorized, Forbidden)) and error.from_gateway:
            # A CloudFront block page or an empty 401/403: a gateway's refusal, usually
            # transient (SoundCloud's own refusals carry a JSON error body).
            return True
        # A success status with an undecodable body is usually a proxy hiccup.
        return isinstance(error, DecodeError) and error.status < 300

    def _cost(self, error: SoundCloudError) -> float:
        if self.budget is None:
            return 0.0
        if isinstance(error, RequestTimeout):
            return self.budget.timeout_cost
        return self.budget.retry_cost
