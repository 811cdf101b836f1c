"""Client-side rate limiting: the :class:`RateLimiter` protocol and its in-process buckets.

Every attempt of every request goes through the transport, which calls
``await limiter.acquire(cost)`` before sending and
``await limiter.feedback(throttled=..., pause=...)`` after the response. One limiter may
be shared by many :class:`~soundcloud_async.SoundCloud` clients and thousands of tasks,
so it is the single place where the app-wide request budget lives.

SoundCloud publishes no rate-limit headers and usually sends 429s without
``Retry-After`` (see ``docs/background/api-facts.md``): the client cannot read its
remaining budget, it can only send at a configured pace, stop everyone when a 429 says
so, and, optionally, learn a lower pace.

* :class:`TokenBucket` -- FIFO-fair token bucket for one process, optionally adaptive.
* :class:`Unlimited` -- a no-op limiter for callers who opt out.

A Redis-backed bucket shared across processes implements the same protocol.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from typing import Protocol, runtime_checkable

from soundcloud_async._clock import Clock, Sleep, monotonic, real_sleep

__all__ = ["RateLimiter", "TokenBucket", "Unlimited"]

# Tolerance for float arithmetic on token counts: a head that sleeps exactly its deficit
# may find 0.9999999999 tokens; it must not go back to sleep for a femtosecond.
_EPS = 1e-9

# Adaptive mode, after botocore's adaptive retry mode (CUBIC, RFC 8312 constants).
_BETA = 0.7  # multiplicative decrease: rate *= _BETA on a throttle
_CUBIC_C = 0.4  # scaling constant of the cubic increase, in (req/s) / s**3
# Throttles reported within this many seconds of a decrease are treated as the same
# congestion event: the requests already in flight when the first 429 came back were
# all sent at the old rate, and each of them reports its own 429.
_DECREASE_INTERVAL = 1.0
# A second decrease within this many seconds of the previous one means the limit was
# found twice: the lowest rate that drew a 429 in that time is remembered as the limit.
_MEMORY = 60.0
# Below a remembered limit, the cubic recovers to this fraction of it (not to the rate
# that drew the 429, which is above the limit), ...
_SAFETY = 0.95
# ... and stays there this many seconds before it probes above again.
_HOLD = 30.0


@runtime_checkable
class RateLimiter(Protocol):
    """What the transport needs from a rate limiter.

    Implementations must be safe to share between many clients and tasks of one event
    loop, and must not bind to an event loop before their first use.
    """

    async def acquire(self, cost: float = 1.0) -> None:
        """Wait until the caller may send a request worth ``cost`` units, then return.

        Returning means the budget has been taken: the caller sends right away. If the
        caller is cancelled while waiting, nothing is taken and nobody else is held up.
        """
        ...

    async def feedback(self, *, throttled: bool, pause: float | None = None) -> None:
        """Report the outcome of a request that went through :meth:`acquire`.

        Args:
            throttled: ``True`` if the server answered 429 (too many requests).
            pause: with ``throttled=True``, seconds from now during which no acquirer
                (already waiting or arriving later) may proceed; an existing longer
                pause is kept. ``None`` or ``0`` pauses nobody.

        A throttled report lowers the rate of an adaptive limiter; an unthrottled one
        lets it probe back up towards its ceiling.
        """
        ...


class Unlimited:
    """A :class:`RateLimiter` that never waits and ignores all feedback.

    For callers who opt out of client-side limiting (for instance because they limit
    upstream). Note that it does not honour ``pause`` either: after a 429, only the
    retry policy of each request slows it down.
    """

    __slots__ = ()

    async def acquire(self, cost: float = 1.0) -> None:
        """Return at once."""

    async def feedback(self, *, throttled: bool, pause: float | None = None) -> None:
        """Do nothing."""

    def __repr__(self) -> str:
        return "Unlimited()"


class TokenBucket:
    """A FIFO-fair, cancellation-safe token bucket for one process, optionally adaptive.

    The bucket holds up to ``burst`` tokens and refills continuously at :attr:`rate`
    tokens per second; it starts full. ``acquire(cost)`` takes ``cost`` tokens, waiting
    until they are there. Over any window of ``t`` seconds, at most ``burst + rate * t``
    units are admitted.

    * **Fair**: waiters are served strictly in arrival order; a small request never
      overtakes an earlier big one.
    * **Wake-one**: only the head of the queue sleeps on the clock; the others wait on a
      future and are handed the head position one at a time, so waiters are released at
      the bucket's rate, never as a herd.
    * **Cancellation-safe**: a waiter cancelled while queued or while sleeping as head
      (``asyncio.timeout``, ``wait_for``, ``Task.cancel``) takes no token; the next
      waiter becomes head at once.
    * **Pause**: ``feedback(throttled=True, pause=s)`` holds every acquirer until
      :attr:`paused_until` (``max`` of the existing one and ``now + s``) and empties the
      bucket, so that afterwards requests resume at the rate, not in a burst: the first
      token is ready ``1 / rate`` seconds after the pause ends. Any throttled feedback
      empties the bucket, with or without a pause.
    * **Adaptive** (``adaptive=True``): a throttle multiplies the rate by 0.7 (not below
      ``min_rate``; further throttles within one second count as the same event). The
      rate then grows back as a cubic function of the time since that decrease, as in
      CUBIC and botocore's adaptive retry mode: ``W(t) = 0.4 * (t - K)**3 + W_max``
      with ``K = cbrt(W_max * 0.3 / 0.4)``, where ``W_max`` is the rate before the
      decrease. It is back at ``W_max`` after ``K`` seconds (3.3 s for 50 req/s), then
      probes above it, never above :attr:`max_rate`. A second decrease within 60 s of
      the previous one means the server's limit lies below the rates that drew 429s:
      the lowest of them is remembered, the cubic recovers to 0.95x that rate instead
      (``W_max``), holds there 30 s, and only then probes above. Against a fixed limit
      this settles just under it instead of crossing it every ``K`` seconds (set to
      twice a fixed-window limit: ~1.04x the ideal time, under 0.5% 429s, where plain
      CUBIC took ~1.13x and 1.1%). The rate moves up only when a
      request reports ``throttled=False``. :meth:`set_rate` restarts the probe from
      the given rate. A head already asleep keeps its deadline if the rate rises
      meanwhile (it may start up to one old token-interval late); on a fall or a
      pause it re-checks on waking and sleeps again.

    The bucket binds to no event loop when it is created: it can be built at import
    time and used by any one loop at a time. Non-waiting ``acquire`` calls take no lock
    and never yield to the loop.

    Args:
        rate: the ceiling and (unless ``initial_rate`` says otherwise) the starting
            rate, in units (requests) per second; must be > 0.
        burst: the bucket's capacity, the most units admitted at once after an idle
            period; defaults to ``max(1, rate)``, one second's worth. Must be >= 1;
            no single ``acquire`` may cost more than ``burst``.
        adaptive: lower the rate on throttles and probe back up on successes.
        min_rate: the floor of the adaptive rate; defaults to ``rate / 100``.
        initial_rate: the rate to start at, clamped to ``[min_rate, rate]`` (for example
            a rate learned in a previous run, see :meth:`set_rate`).
        clock: monotonic seconds; injected for tests.
        sleep: waits seconds; injected for tests.

    Raises:
        ValueError: on a non-positive or non-finite ``rate``, a ``burst`` below 1, or a
            ``min_rate`` outside ``(0, rate]``.
    """

    __slots__ = (
        "_acquired",
        "_adaptive",
        "_burst",
        "_clock",
        "_hold",
        "_k",
        "_last",
        "_last_decrease",
        "_limit",
        "_max_rate",
        "_min_rate",
        "_paused_until",
        "_rate",
        "_sleep",
        "_throttles",
        "_tokens",
        "_w_epoch",
        "_w_max",
        "_waited",
        "_waiters",
    )

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        adaptive: bool = False,
        min_rate: float | None = None,
        initial_rate: float | None = None,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
    ) -> None:
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(
                f"rate must be a finite number > 0 (requests per second), not {rate!r}"
            )
        if burst is None:
            burst = max(1.0, float(rate))
        elif not (math.isfinite(burst) and burst >= 1):
            raise ValueError(f"burst must be a finite number >= 1, not {burst!r}")
        if min_rate is None:
            min_rate = rate / 100
        elif not (0 < min_rate <= rate):
            raise ValueError(f"min_rate must be > 0 and <= rate ({rate!r}), not {min_rate!r}")
        self._max_rate = float(rate)
        self._min_rate = float(min_rate)
        self._burst = float(burst)
        self._adaptive = adaptive
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._rate = self._max_rate
        self._tokens = self._burst
        # Tokens are accounted up to _last; during a pause _last is the pause's end.
        self._last = now
        self._paused_until = -math.inf
        # Every waiter, in arrival order; the first one is the head (the only one that
        # sleeps). Cancelled ones stay until they reach the front (O(1) cancellation);
        # the queue is non-empty only while a live head exists.
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._acquired = 0
        self._waited = 0.0
        self._throttles = 0
        # The adaptive probe: rate(t) = C * (t - _w_epoch - _k)**3 + _w_max.
        self._w_max = self._max_rate
        self._w_epoch = now
        self._k = 0.0
        self._hold = 0.0
        self._limit = math.inf
        self._last_decrease = -math.inf
        if initial_rate is not None:
            self.set_rate(initial_rate)

    # -- public state ---------------------------------------------------------------

    @property
    def rate(self) -> float:
        """The current rate in units per second (learned, in adaptive mode)."""
        return self._rate

    @property
    def max_rate(self) -> float:
        """The configured ceiling: :attr:`rate` never goes above it."""
        return self._max_rate

    @property
    def min_rate(self) -> float:
        """The floor of the adaptive rate."""
        return self._min_rate

    @property
    def burst(self) -> float:
        """The bucket's capacity."""
        return self._burst

    @property
    def adaptive(self) -> bool:
        """Whether throttles lower the rate and successes raise it."""
        return self._adaptive

    @property
    def acquired(self) -> int:
        """How many ``acquire`` calls have completed."""
        return self._acquired

    @property
    def waited(self) -> float:
        """Total seconds (by the clock) callers spent queued in ``acquire``.

        Includes waiters that were cancelled; calls that did not wait add nothing.
        """
        return self._waited

    @property
    def throttles(self) -> int:
        """How many throttled (429) feedbacks were reported."""
        return self._throttles

    @property
    def paused_until(self) -> float:
        """Clock time before which nobody acquires; ``-inf`` if never paused."""
        return self._paused_until

    @property
    def waiting(self) -> int:
        """How many ``acquire`` calls are waiting right now."""
        return sum(1 for i, fut in enumerate(self._waiters) if i == 0 or not fut.done())

    def __repr__(self) -> str:
        return (
            f"TokenBucket(rate={self._rate:g}, max_rate={self._max_rate:g}, "
            f"burst={self._burst:g}, adaptive={self._adaptive}, waiting={self.waiting})"
        )

    # -- the protocol ---------------------------------------------------------------

    async def acquire(self, cost: float = 1.0) -> None:
        """Take ``cost`` tokens, waiting in line (FIFO) until they are available.

        Raises:
            ValueError: if ``cost`` is not > 0 or is more than :attr:`burst`.
        """
        # Fast path: nobody queued and enough tokens. No lock and no await: asyncio
        # runs one task at a time, so nothing can interleave between check and take.
        if not self._waiters:
            now = self._clock()
            tokens = self._tokens
            if now > self._last:
                tokens += (now - self._last) * self._rate
                if tokens > self._burst:
                    tokens = self._burst
                self._last = now
            if 0.0 < cost <= tokens:
                self._tokens = tokens - cost
                self._acquired += 1
                return
            self._tokens = tokens
        await self._wait(cost)

    async def feedback(self, *, throttled: bool, pause: float | None = None) -> None:
        """Report a response: see :meth:`RateLimiter.feedback`.

        A throttled report counts in :attr:`throttles`, empties the bucket, applies
        ``pause`` and, in adaptive mode, lowers the rate. An unthrottled one lets an
        adaptive bucket probe its rate back up.

        Raises:
            ValueError: if ``pause`` is negative or not finite.
        """
        if not throttled:
            if self._adaptive and self._rate < self._max_rate:
                self._probe(self._clock())
            return
        if pause is not None and not (math.isfinite(pause) and pause >= 0):
            raise ValueError(f"pause must be a finite number of seconds >= 0, not {pause!r}")
        now = self._clock()
        self._throttles += 1
        self._refill(now)
        self._tokens = 0.0
        if pause:
            until = now + pause
            if until > self._paused_until:
                self._paused_until = until
            # Refill restarts when the pause ends, from empty.
            if self._paused_until > self._last:
                self._last = self._paused_until
        if self._adaptive and now - self._last_decrease >= _DECREASE_INTERVAL:
            self._decrease(now)

    # -- adaptive rate --------------------------------------------------------------

    def set_rate(self, rate: float) -> None:
        """Set the current rate, clamped to ``[min_rate, max_rate]``.

        Lets an application persist the learned :attr:`rate` and start the next run
        there (``initial_rate`` does the same at construction). In adaptive mode the
        rate probes up from here on the next successes.

        Raises:
            ValueError: if ``rate`` is NaN.
        """
        if math.isnan(rate):
            raise ValueError("rate must be a number, not NaN")
        now = self._clock()
        self._set_current(now, min(self._max_rate, max(self._min_rate, rate)))
        self._w_max = self._rate
        self._w_epoch = now
        self._k = 0.0
        self._hold = 0.0

    def _decrease(self, now: float) -> None:
        rate = self._rate
        w_max = rate
        if now - self._last_decrease <= _MEMORY:
            # The limit was hit again: it lies below every rate that drew a 429 lately.
            # Recover to just under the lowest of them and hold there, instead of
            # climbing back over the limit every K seconds.
            self._limit = min(self._limit, rate)
            w_max = min(rate, _SAFETY * self._limit)
            self._hold = _HOLD
        else:
            self._limit = rate
            self._hold = 0.0
        self._set_current(now, max(self._min_rate, rate * _BETA))
        self._w_max = w_max
        self._w_epoch = now
        self._k = (w_max * (1 - _BETA) / _CUBIC_C) ** (1 / 3)
        self._last_decrease = now

    def _probe(self, now: float) -> None:
        t = now - self._w_epoch - self._k
        if t > 0.0:
            t = t - self._hold if t > self._hold else 0.0  # the plateau
        target = _CUBIC_C * t * t * t + self._w_max
        if target > self._rate:
            self._set_current(now, min(self._max_rate, target))

    def _set_current(self, now: float, rate: float) -> None:
        # Account the tokens earned at the old rate before switching.
        self._refill(now)
        self._rate = rate

    # -- waiting --------------------------------------------------------------------

    def _refill(self, now: float) -> None:
        if now > self._last:
            tokens = self._tokens + (now - self._last) * self._rate
            self._tokens = tokens if tokens < self._burst else self._burst
            self._last = now

    async def _wait(self, cost: float) -> None:
        if not (0 < cost <= self._burst):
            raise ValueError(
                f"cost must be > 0 and <= burst ({self._burst:g}), not {cost!r}: "
                "a request costing more than the bucket holds could never be admitted"
            )
        waiters = self._waiters
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(fut)
        start = self._clock()
        try:
            if waiters[0] is not fut:
                await fut  # resolved when this waiter becomes the head
            while True:
                now = self._clock()
                self._refill(now)
                if now >= self._paused_until and self._tokens >= cost - _EPS:
                    self._tokens = max(0.0, self._tokens - cost)
                    self._acquired += 1
                    return
                # _last may lie ahead (the end of a pause): refill resumes from there.
                delay = (self._last - now) + (cost - self._tokens) / self._rate
                await self._sleep(delay)
        finally:
            self._waited += self._clock() - start
            if waiters and waiters[0] is fut:
                waiters.popleft()
                # Drop cancelled waiters, then hand the head position to the next one.
                while waiters and waiters[0].done():
                    waiters.popleft()
                if waiters:
                    waiters[0].set_result(None)
            elif not fut.done():
                fut.cancel()  # mark it dead; it is dropped when it reaches the front
