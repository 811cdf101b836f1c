"""A rate limiter shared by many processes and machines: :class:`RedisTokenBucket`.

SoundCloud's budgets are per ``client_id``: every process of one application draws on
the same one. :class:`RedisTokenBucket` keeps the bucket in Redis and implements the
:class:`~soundcloud_async.RateLimiter` protocol, so it drops in wherever the in-process
:class:`~soundcloud_async.TokenBucket` goes::

    limiter = RedisTokenBucket("redis://localhost:6379/0", rate=100, client_id=CLIENT_ID)
    async with SoundCloud(token, rate_limiter=limiter) as sc: ...

Needs the optional extra ``soundcloud-async[redis]`` (redis-py's asyncio client).

**The algorithm.** One Lua script, run atomically by Redis and timed by the Redis
server's clock (``TIME``), so machines with skewed clocks agree. It is a token bucket
that may go into debt (a *reservation* design, as in GCRA):

* ``acquire(cost)`` refills the bucket up to now, takes ``cost`` tokens even if that
  leaves it negative, and answers how long the caller must sleep: the time until the
  debt is paid off at ``rate``. One round trip; each waiter sleeps its own computed
  time (no thundering herd) and waiters are admitted in the order their requests
  reached Redis, across all processes (FIFO).
* ``feedback(throttled=True, pause=s)`` empties the bucket, sets the shared pause key
  (``SET … PX``, keeping the later deadline) and moves the bucket's clock to the end of
  the pause, so arrivals wait for the pause and then go at ``rate``. Reservations made
  before the pause are *shifted* by the new pause: the script keeps the cumulative
  shift, every reservation carries the shift it was made under, and a waiter confirms
  with one more round trip when it wakes (``confirm``: the shift added since), sleeping
  the difference if a pause came in between. So a 429 seen by any process holds every
  process, waiters keep their order, and nothing already queued fires into the pause.
* A waiter cancelled while it sleeps (``asyncio.timeout``, ``Task.cancel``) gives its
  tokens back (``refund``, in a background task), so a cancelled reservation does not
  hold up anybody arriving later. The round trips themselves are shielded from
  cancellation: a reservation whose answer arrives after its caller was cancelled is
  refunded too.
* TTLs: the bucket key expires three times the time it takes to refill completely
  (at least one second) after its last use: a missing key *is* a full bucket, so idle
  keys vanish without changing the behaviour. The pause key expires when the pause ends.

**Keys.** ``soundcloud_async:{<client_id>:<group>}:bucket`` (a hash: tokens, the time
they are accounted to and the cumulative pause shift) and ``…:pause`` (the pause's end,
in server microseconds). The braces are a Redis Cluster hash tag: both keys of one
bucket live in the same slot.

**Redis unreachable.** ``on_unavailable="raise"`` raises :class:`RateLimiterUnavailable`;
``on_unavailable="local"`` falls back to an in-process :class:`TokenBucket` at
``local_share`` of the rate (say ``1/N`` for ``N`` processes), logs one warning per
outage, tries Redis again every ``recheck_interval`` seconds and goes back to it as soon
as it answers. There is no silent unlimited mode.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from collections.abc import Awaitable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from soundcloud_async._clock import Clock, Sleep, monotonic, real_sleep
from soundcloud_async._errors import SoundCloudError
from soundcloud_async._ratelimit import TokenBucket

try:
    import redis.asyncio as _redis
    from redis.exceptions import NoScriptError, RedisError

    _IMPORT_ERROR: ImportError | None = None
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without redis
    _IMPORT_ERROR = exc

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ["RateLimiterUnavailable", "RedisTokenBucket"]

logger = logging.getLogger("soundcloud_async")

OnUnavailable = Literal["raise", "local"]

KEY_PREFIX: Final = "soundcloud_async"

# KEYS[1]: the bucket hash {t: tokens, ts: time they are accounted to (server µs),
#          shift: cumulative pause shift (µs)}.  KEYS[2]: the pause key (its end, µs).
# ARGV: op, rate (units/s), burst, argument (cost | shift | pause µs).
# Returns {wait µs, shift µs, remaining pause µs}. Numbers are written with
# string.format: Lua's default conversion keeps 14 digits, too few for µs timestamps.
LUA_SCRIPT: Final = """
local op = ARGV[1]
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local arg = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 't', 'ts', 'shift')
local shift = tonumber(state[3]) or 0
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
if op == 'confirm' then
  -- A waiter wakes: sleep again for any pause shift added since its reservation.
  local extra = shift - arg
  if extra < 0 then extra = 0 end
  return {extra, shift, 0}
end
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
local pause_until = tonumber(redis.call('GET', KEYS[2])) or 0
if pause_until > ts then
  -- The bucket expired or was deleted during a pause: the pause still holds.
  ts = pause_until
  if tokens > 0 then tokens = 0 end
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000000)
  ts = now
end
-- From here on ts = max(now, end of the current pause).
local wait = 0
if op == 'acquire' then
  tokens = tokens - arg
  wait = ts - now
  if tokens < 0 then wait = wait + math.ceil(-tokens * 1000000 / rate) end
elseif op == 'refund' then
  tokens = math.min(burst, tokens + arg)
elseif op == 'throttle' then
  if tokens > 0 then tokens = 0 end
  if arg > 0 then
    local new_until = now + arg
    if new_until > ts then
      shift = shift + (new_until - ts)
      ts = new_until
    end
    if new_until > pause_until then
      redis.call('SET', KEYS[2], string.format('%.0f', new_until),
                 'PX', math.ceil(arg / 1000))
      pause_until = new_until
    end
  end
else
  return redis.error_reply('unknown op ' .. tostring(op))
end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens),
           'ts', string.format('%.0f', ts), 'shift', string.format('%.0f', shift))
local full = (ts - now) + (burst - tokens) * 1000000 / rate
redis.call('PEXPIRE', KEYS[1], math.max(1000, math.ceil(full * 3 / 1000)))
local remaining = pause_until - now
if remaining < 0 then remaining = 0 end
return {wait, shift, remaining}
"""

LUA_SHA: Final = hashlib.sha1(LUA_SCRIPT.encode()).hexdigest()

_INSTALL_HINT: Final = (
    "RedisTokenBucket needs redis-py: install it with pip install 'soundcloud-async[redis]'"
)


class RateLimiterUnavailable(SoundCloudError):
    """The shared rate limiter's Redis could not be reached (``on_unavailable="raise"``).

    The redis-py error is chained as ``__cause__``.
    """


def _us(seconds: float) -> int:
    return math.ceil(seconds * 1_000_000)


class RedisTokenBucket:
    """A token bucket in Redis: one request budget for many processes and machines.

    Implements :class:`~soundcloud_async.RateLimiter`; see the module docstring for the
    algorithm. Every process sharing a budget must use the same ``client_id``, ``group``,
    ``rate`` and ``burst``. Over any window of ``t`` seconds (by the Redis server's
    clock) at most ``burst + rate * t`` units are admitted in total.

    Args:
        redis: a ``redis.asyncio.Redis`` client (borrowed: :meth:`aclose` leaves it
            open) or a Redis URL (``redis://host:6379/0``; the client made from it is
            closed by :meth:`aclose`).
        rate: units (requests) per second for all processes together; must be > 0.
        burst: the bucket's capacity; defaults to ``max(1, rate)``, one second's worth.
            Must be >= 1; no single ``acquire`` may cost more.
        client_id: the SoundCloud app whose budget this is; names the keys.
        group: which of the app's budgets (``"general"``, ``"plays"``, …); names the keys.
        on_unavailable: when Redis cannot be reached, ``"raise"``
            :class:`RateLimiterUnavailable`, or go ``"local"``: limit in-process at
            ``local_share * rate`` until Redis answers again.
        local_share: the fraction of ``rate`` (and ``burst``) this process takes while
            Redis is unreachable, in ``(0, 1]``; required with ``on_unavailable="local"``
            (``1 / N`` when ``N`` processes share the budget).
        recheck_interval: seconds between attempts to reach Redis again while limiting
            locally.
        clock: monotonic seconds, for the local fallback; injected for tests.
        sleep: waits seconds; injected for tests.

    Raises:
        ImportError: redis-py is not installed (``pip install 'soundcloud-async[redis]'``).
        ValueError: on a bad ``rate``, ``burst``, ``local_share``, ``on_unavailable`` or
            an empty ``client_id``/``group``.
    """

    def __init__(
        self,
        redis: Redis | str,
        *,
        rate: float,
        burst: float | None = None,
        client_id: str,
        group: str = "general",
        on_unavailable: OnUnavailable = "raise",
        local_share: float | None = None,
        recheck_interval: float = 1.0,
        clock: Clock = monotonic,
        sleep: Sleep = real_sleep,
    ) -> None:
        if _IMPORT_ERROR is not None:
            raise ImportError(_INSTALL_HINT) from _IMPORT_ERROR
        if not (math.isfinite(rate) and rate > 0):
            raise ValueError(
                f"rate must be a finite number > 0 (requests per second), not {rate!r}"
            )
        if burst is None:
            burst = max(1.0, float(rate))
        elif not (math.isfinite(burst) and burst >= 1):
            raise ValueError(f"burst must be a finite number >= 1, not {burst!r}")
        if not client_id:
            raise ValueError("client_id must be a non-empty string: it names the budget")
        if not group:
            raise ValueError("group must be a non-empty string")
        if on_unavailable not in ("raise", "local"):
            raise ValueError(f"on_unavailable must be 'raise' or 'local', not {on_unavailable!r}")
        if local_share is not None and not (0 < local_share <= 1):
            raise ValueError(f"local_share must be in (0, 1], not {local_share!r}")
        if on_unavailable == "local" and local_share is None:
            raise ValueError(
                "on_unavailable='local' needs local_share: the fraction of the rate this "
                "process may use alone (1/N for N processes)"
            )
        if not (math.isfinite(recheck_interval) and recheck_interval >= 0):
            raise ValueError(f"recheck_interval must be >= 0, not {recheck_interval!r}")
        if isinstance(redis, str):
            self._redis: Redis = _redis.Redis.from_url(redis)
            self._owns_redis = True
        else:
            self._redis = redis
            self._owns_redis = False
        self._rate = float(rate)
        self._burst = float(burst)
        self._client_id = client_id
        self._group = group
        tag = f"{KEY_PREFIX}:{{{client_id}:{group}}}"
        self._keys = (f"{tag}:bucket", f"{tag}:pause")
        self._on_unavailable: OnUnavailable = on_unavailable
        self._local_share = local_share
        self._recheck_interval = float(recheck_interval)
        self._clock = clock
        self._sleep = sleep
        self._local: TokenBucket | None = None
        self._retry_redis_at = -math.inf
        self._in_outage = False
        self._background: set[asyncio.Task[Any]] = set()
        self._acquired = 0
        self._throttles = 0
        self._local_acquired = 0

    # -- public state -----------------------------------------------------------------

    @property
    def rate(self) -> float:
        """The shared rate, in units per second, for all processes together."""
        return self._rate

    @property
    def burst(self) -> float:
        """The bucket's capacity."""
        return self._burst

    @property
    def client_id(self) -> str:
        """The app whose budget this is."""
        return self._client_id

    @property
    def group(self) -> str:
        """Which of the app's budgets this is."""
        return self._group

    @property
    def bucket_key(self) -> str:
        """The Redis key of the bucket hash."""
        return self._keys[0]

    @property
    def pause_key(self) -> str:
        """The Redis key of the shared pause."""
        return self._keys[1]

    @property
    def on_unavailable(self) -> OnUnavailable:
        """What happens when Redis cannot be reached: ``"raise"`` or ``"local"``."""
        return self._on_unavailable

    @property
    def local_share(self) -> float | None:
        """The fraction of the rate this process uses while Redis is unreachable."""
        return self._local_share

    @property
    def local(self) -> bool:
        """Whether this process is limiting locally right now (Redis unreachable)."""
        return self._in_outage

    @property
    def acquired(self) -> int:
        """How many ``acquire`` calls have completed (through Redis or locally)."""
        return self._acquired

    @property
    def local_acquired(self) -> int:
        """How many of them were admitted by the local fallback bucket."""
        return self._local_acquired

    @property
    def throttles(self) -> int:
        """How many throttled (429) feedbacks this process reported."""
        return self._throttles

    def __repr__(self) -> str:
        return (
            f"RedisTokenBucket(rate={self._rate:g}, burst={self._burst:g}, "
            f"client_id={self._client_id!r}, group={self._group!r}, "
            f"on_unavailable={self._on_unavailable!r}, local={self._in_outage})"
        )

    # -- lifecycle --------------------------------------------------------------------

    async def aclose(self) -> None:
        """Finish pending refunds and close the Redis client if it was made from a URL."""
        while self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
            # A finished task leaves the set in a done-callback, which the loop runs on
            # its next turn; so does a refund spawned for a reservation answered after
            # its caller was cancelled. Yield once so they run. Without this, when every
            # task was already done, Python 3.12+'s gather() completes without yielding
            # (3.10 and 3.11 always yield) and this loop spun forever.
            await asyncio.sleep(0)
        if self._owns_redis:
            await self._redis.aclose()

    async def __aenter__(self) -> RedisTokenBucket:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- the protocol -----------------------------------------------------------------

    async def acquire(self, cost: float = 1.0) -> None:
        """Take ``cost`` tokens from the shared bucket, sleeping for the reservation.

        Raises:
            ValueError: if ``cost`` is not > 0 or is more than :attr:`burst`.
            RateLimiterUnavailable: Redis is unreachable and ``on_unavailable="raise"``.
        """
        if not (0 < cost <= self._burst):
            raise ValueError(
                f"cost must be > 0 and <= burst ({self._burst:g}), not {cost!r}: "
                "a request costing more than the bucket holds could never be admitted"
            )
        if self._in_outage and self._clock() < self._retry_redis_at:
            await self._acquire_locally(cost)
            return
        try:
            wait_us, shift, _ = await self._call_shielded("acquire", cost, refund=cost)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            await self._acquire_locally(cost)
            return
        self._back_on_redis()
        if wait_us > 0:
            try:
                while wait_us > 0:
                    await self._sleep(wait_us / 1_000_000)
                    wait_us, shift, _ = await self._call_shielded("confirm", shift)
            except asyncio.CancelledError:
                self._spawn(self._refund(cost))
                raise
            except (RedisError, OSError) as exc:
                # Redis went away while we held a reservation: we cannot tell whether a
                # pause was set meanwhile, so take a local token as well.
                self._unavailable(exc)
                await self._acquire_locally(cost)
                return
        self._acquired += 1

    async def feedback(self, *, throttled: bool, pause: float | None = None) -> None:
        """Report a response: a throttled one empties the shared bucket and pauses everyone.

        ``pause`` seconds (from now, by the Redis clock) hold every process sharing the
        bucket, keeping a longer pause already set. An unthrottled report costs nothing
        (no round trip).

        Raises:
            ValueError: if ``pause`` is negative or not finite.
            RateLimiterUnavailable: Redis is unreachable and ``on_unavailable="raise"``.
        """
        if not throttled:
            return
        if pause is not None and not (math.isfinite(pause) and pause >= 0):
            raise ValueError(f"pause must be a finite number of seconds >= 0, not {pause!r}")
        self._throttles += 1
        if self._local is not None:
            # Keep the fallback in step, in case Redis goes away during the pause.
            await self._local.feedback(throttled=True, pause=pause)
        try:
            await self._call_shielded("throttle", _us(pause) if pause else 0)
        except (RedisError, OSError) as exc:
            self._unavailable(exc)
            assert self._local is not None  # _unavailable made it
            await self._local.feedback(throttled=True, pause=pause)
            return
        self._back_on_redis()

    async def state(self) -> dict[str, float]:
        """The bucket as Redis holds it: ``tokens`` and ``pause`` (remaining seconds).

        For monitoring and tests; the tokens are as of the last operation (not refilled).
        """
        raw = await cast(
            "Awaitable[Sequence[Any]]", self._redis.hmget(self.bucket_key, ["t", "ts"])
        )
        pttl = await self._redis.pttl(self.pause_key)
        tokens = float(raw[0]) if raw[0] is not None else self._burst
        return {"tokens": tokens, "pause": max(0, pttl) / 1000}

    # -- Redis ------------------------------------------------------------------------

    async def _call(self, op: str, arg: float) -> tuple[int, int, int]:
        keys_and_args = (*self._keys, op, repr(self._rate), repr(self._burst), repr(arg))
        try:
            reply = await cast(
                "Awaitable[Sequence[Any]]", self._redis.evalsha(LUA_SHA, 2, *keys_and_args)
            )
        except NoScriptError:
            # First use on this server, or after SCRIPT FLUSH / a restart: EVAL loads it.
            reply = await cast(
                "Awaitable[Sequence[Any]]", self._redis.eval(LUA_SCRIPT, 2, *keys_and_args)
            )
        return int(reply[0]), int(reply[1]), int(reply[2])

    async def _call_shielded(
        self, op: str, arg: float, *, refund: float | None = None
    ) -> tuple[int, int, int]:
        # Cancelling redis-py mid-command drops its connection and leaves us not knowing
        # whether the script ran: let the call finish, and give back what it reserved.
        task = asyncio.ensure_future(self._call(op, arg))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            if refund is not None:
                task.add_done_callback(lambda t: self._refund_if_reserved(t, refund))
            raise

    def _refund_if_reserved(self, task: asyncio.Task[tuple[int, int, int]], cost: float) -> None:
        if not task.cancelled() and task.exception() is None:
            self._spawn(self._refund(cost))

    async def _refund(self, cost: float) -> None:
        try:
            await self._call("refund", cost)
        except (RedisError, OSError):
            logger.debug("could not give back a cancelled reservation", exc_info=True)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- Redis unreachable ------------------------------------------------------------

    def _unavailable(self, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"
        if self._on_unavailable == "raise":
            raise RateLimiterUnavailable(
                f"the shared rate limiter cannot reach Redis ({reason}); pass "
                "on_unavailable='local' to fall back to an in-process bucket"
            ) from exc
        self._retry_redis_at = self._clock() + self._recheck_interval
        if self._local is None:
            assert self._local_share is not None
            self._local = TokenBucket(
                self._rate * self._local_share,
                max(1.0, self._burst * self._local_share),
                clock=self._clock,
                sleep=self._sleep,
            )
        if not self._in_outage:
            self._in_outage = True
            logger.warning(
                "RedisTokenBucket %s:%s cannot reach Redis (%s): limiting in-process at "
                "%g requests/s (%g of %g) until Redis answers again",
                self._client_id,
                self._group,
                reason,
                self._local.rate,
                self._local_share,
                self._rate,
            )

    async def _acquire_locally(self, cost: float) -> None:
        assert self._local is not None
        await self._local.acquire(cost)
        self._acquired += 1
        self._local_acquired += 1

    def _back_on_redis(self) -> None:
        if self._in_outage:
            self._in_outage = False
            logger.warning(
                "RedisTokenBucket %s:%s reaches Redis again: back on the shared budget",
                self._client_id,
                self._group,
            )
