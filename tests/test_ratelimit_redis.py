"""Tests for RedisTokenBucket against a real redis-server on loopback.

Time is real here (the bucket runs on the Redis server's clock), so every test uses
high rates and small windows and stays well under two seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from soundcloud_async._errors import SoundCloudError
from soundcloud_async._ratelimit import RateLimiter
from soundcloud_async._ratelimit_redis import (
    LUA_SHA,
    RateLimiterUnavailable,
    RedisTokenBucket,
)
from tests.redis_server import free_port, missing, redis_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def r(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A client on a flushed database."""
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def r2(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A second client: another "process" sharing the same Redis."""
    client = aioredis.Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def server_now(r: aioredis.Redis) -> float:
    """The Redis server's clock, in seconds."""
    sec, usec = await r.time()
    return sec + usec / 1e6


async def admit(limiter: RedisTokenBucket, r: aioredis.Redis, times: list[float]) -> None:
    await limiter.acquire()
    times.append(await server_now(r))


class TestProtocol:
    def test_is_a_rate_limiter(self, r: aioredis.Redis) -> None:
        """RedisTokenBucket satisfies the RateLimiter protocol the transport uses."""
        limiter = RedisTokenBucket(r, rate=10, client_id="app")
        assert isinstance(limiter, RateLimiter)

    def test_validation(self, r: aioredis.Redis) -> None:
        """Bad settings are refused up front, and "local" demands an explicit share."""
        with pytest.raises(ValueError, match="rate"):
            RedisTokenBucket(r, rate=0, client_id="app")
        with pytest.raises(ValueError, match="burst"):
            RedisTokenBucket(r, rate=1, burst=0.5, client_id="app")
        with pytest.raises(ValueError, match="client_id"):
            RedisTokenBucket(r, rate=1, client_id="")
        with pytest.raises(ValueError, match="local_share"):
            RedisTokenBucket(r, rate=1, client_id="app", on_unavailable="local")
        with pytest.raises(ValueError, match="on_unavailable"):
            RedisTokenBucket(r, rate=1, client_id="app", on_unavailable="ignore")  # type: ignore[arg-type]

    async def test_cost_above_burst(self, r: aioredis.Redis) -> None:
        """A cost the bucket can never hold is refused without a round trip."""
        limiter = RedisTokenBucket(r, rate=10, burst=2, client_id="app")
        with pytest.raises(ValueError, match="burst"):
            await limiter.acquire(3)

    def test_import_without_redis(self) -> None:
        """Without redis-py the package imports and the constructor says what to install."""
        code = (
            "import sys; sys.modules['redis'] = None\n"
            "import soundcloud_async._ratelimit_redis as m\n"
            "try:\n    m.RedisTokenBucket('redis://x', rate=1, client_id='a')\n"
            "except ImportError as e:\n    print(e)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert "pip install 'soundcloud-async[redis]'" in out


class TestRate:
    async def test_rate_over_a_window(self, r: aioredis.Redis, r2: aioredis.Redis) -> None:
        """Two "processes" sharing 200/s admit 61 requests in 0.3 s by the Redis clock."""

        async def run(rate: float, client_id: str) -> float:
            a = RedisTokenBucket(r, rate=rate, burst=1, client_id=client_id)
            b = RedisTokenBucket(r2, rate=rate, burst=1, client_id=client_id)
            times: list[float] = []
            start = await server_now(r)
            await asyncio.gather(*(admit(a if i % 2 else b, r, times) for i in range(61)))
            return max(times) - start

        # 61 concurrent commands open up to 61 pooled connections, each with its own
        # handshake: on a loaded 2-core machine (and Python 3.10) that alone took
        # 0.5 s. Open them first, outside the measurement.
        await run(1e9, "warm-up")
        # The same admissions with no effective limit: what the round trips and this
        # machine's scheduling cost right now.
        overhead = await run(1e9, "baseline")
        elapsed = await run(200, "app")
        # Never early: that is the invariant. The upper bound catches a limiter that is
        # too slow (one sleeping twice its time takes 0.6 s and more).
        assert 0.3 <= elapsed < 0.3 + 0.1 + overhead, (elapsed, overhead)

    async def test_burst(self, r: aioredis.Redis) -> None:
        """A full bucket admits `burst` at once, then one per 1/rate."""
        limiter = RedisTokenBucket(r, rate=10, burst=5, client_id="app")
        start = await server_now(r)
        times: list[float] = []
        for _ in range(5):
            await admit(limiter, r, times)
        assert times[-1] - start < 0.05
        await admit(limiter, r, times)
        assert 0.09 <= times[-1] - start < 0.2

    async def test_waiters_sleep_their_own_time(self, r: aioredis.Redis) -> None:
        """Queued waiters are released one per 1/rate in arrival order, not as a herd."""
        rate = 20.0
        reserved: list[asyncio.Event] = []
        waits: list[float] = []

        async def sleep(seconds: float) -> None:
            # Called once a reservation is answered (again only if a confirm asks for
            # more): the first call tells the test that this waiter holds its slot.
            if not reserved[-1].is_set():
                waits.append(seconds)
                reserved[-1].set()
            await asyncio.sleep(seconds)

        limiter = RedisTokenBucket(r, rate=rate, burst=1, client_id="app", sleep=sleep)
        order: list[int] = []

        async def one(i: int) -> None:
            await limiter.acquire()
            order.append(i)

        await one(0)  # the burst: admitted at once, without sleeping
        tasks = []
        slots: list[float] = []  # each waiter's release time, by the Redis clock (µs)
        for i in range(1, 6):
            # The next waiter starts only once this one holds its reservation, so the
            # arrival order at Redis is this loop's order however loaded the machine
            # (started 2 ms apart, two could reach Redis out of order).
            reserved.append(asyncio.Event())
            tasks.append(asyncio.create_task(one(i)))
            await asyncio.wait_for(reserved[-1].wait(), 5)
            state = await r.hgetall(limiter.bucket_key)
            debt = -float(state[b"t"])
            slots.append(float(state[b"ts"]) + math.ceil(debt * 1_000_000 / rate))
        await asyncio.gather(*tasks)
        assert list(range(6)) == order
        assert all(w > 0 for w in waits), waits  # every waiter slept its own time...
        gaps = [b - a for a, b in itertools.pairwise(slots)]
        # ... and the slots are exactly 1/rate apart: no two released together.
        assert all(abs(g - 1_000_000 / rate) <= 1 for g in gaps), gaps


class TestPause:
    async def test_pause_is_shared(self, r: aioredis.Redis, r2: aioredis.Redis) -> None:
        """A 429 reported to one limiter holds another limiter on the same budget."""
        a = RedisTokenBucket(r, rate=100, burst=5, client_id="app")
        b = RedisTokenBucket(r2, rate=100, burst=5, client_id="app")
        start = await server_now(r)
        await a.feedback(throttled=True, pause=0.3)
        times: list[float] = []
        await admit(b, r, times)
        # The pause, then one token's refill: no burst after a pause.
        assert 0.31 <= times[0] - start < 0.45

    async def test_queued_reservations_are_shifted(
        self, r: aioredis.Redis, r2: aioredis.Redis
    ) -> None:
        """Waiters that reserved before the pause do not fire into it, and keep their order."""
        a = RedisTokenBucket(r, rate=20, burst=1, client_id="app")
        b = RedisTokenBucket(r2, rate=20, burst=1, client_id="app")
        await b.acquire()
        times: list[float] = []
        waiters = [asyncio.create_task(admit(b, r2, times)) for _ in range(3)]
        await asyncio.sleep(0.02)  # reserved for +50, +100, +150 ms
        paused_at = await server_now(r)
        await a.feedback(throttled=True, pause=0.3)
        await asyncio.gather(*waiters)
        assert all(t >= paused_at + 0.3 for t in times), [t - paused_at for t in times]
        assert max(times) - paused_at < 0.5

    async def test_longer_pause_kept(self, r: aioredis.Redis) -> None:
        """A shorter pause does not cut a longer one short."""
        limiter = RedisTokenBucket(r, rate=100, client_id="app")
        await limiter.feedback(throttled=True, pause=0.5)
        await limiter.feedback(throttled=True, pause=0.1)
        state = await limiter.state()
        assert 0.4 < state["pause"] <= 0.5
        assert 2 == limiter.throttles

    async def test_unthrottled_feedback_is_free(self, r: aioredis.Redis) -> None:
        """A success report makes no round trip and creates no key."""
        limiter = RedisTokenBucket(r, rate=100, client_id="app")
        await limiter.feedback(throttled=False)
        assert [] == await r.keys("*")


class TestKeys:
    async def test_namespaced_by_client_and_group(self, r: aioredis.Redis) -> None:
        """Keys carry the client id and group in a cluster hash tag; budgets are separate."""
        a = RedisTokenBucket(r, rate=10, burst=2, client_id="app-a")
        b = RedisTokenBucket(r, rate=10, burst=2, client_id="app-b")
        plays = RedisTokenBucket(r, rate=10, burst=2, client_id="app-a", group="plays")
        assert "soundcloud_async:{app-a:general}:bucket" == a.bucket_key
        assert "soundcloud_async:{app-a:general}:pause" == a.pause_key
        await a.feedback(throttled=True, pause=5)
        loop = asyncio.get_running_loop()
        start = loop.time()
        for limiter in (b, b, plays, plays):
            await limiter.acquire()
        assert loop.time() - start < 0.05
        expected = sorted(
            [a.bucket_key, a.pause_key, b.bucket_key, plays.bucket_key],
        )
        assert expected == sorted(
            k.decode() if isinstance(k, bytes) else k for k in await r.keys("*")
        )

    async def test_ttls(self, r: aioredis.Redis) -> None:
        """Idle keys expire: the bucket after 3x its refill time (>= 1 s), the pause with it."""
        limiter = RedisTokenBucket(r, rate=2, burst=4, client_id="app")
        await limiter.acquire()
        # 1 token to refill at 2/s: 0.5 s, times 3.
        assert 1400 < await r.pttl(limiter.bucket_key) <= 1500
        await limiter.feedback(throttled=True, pause=0.8)
        assert 700 < await r.pttl(limiter.pause_key) <= 800
        # Empty bucket refilled from the pause's end: (0.8 + 4 / 2) * 3 s.
        assert 8300 < await r.pttl(limiter.bucket_key) <= 8400


class TestScript:
    async def test_noscript_fallback(self, r: aioredis.Redis) -> None:
        """After SCRIPT FLUSH the next call reloads the script and works."""
        limiter = RedisTokenBucket(r, rate=100, client_id="app")
        await limiter.acquire()
        await r.script_flush()
        assert [False] == await r.script_exists(LUA_SHA)
        await limiter.acquire()
        assert [True] == await r.script_exists(LUA_SHA)
        assert 2 == limiter.acquired


class TestCancellation:
    async def test_cancelled_waiter_gives_back(self, r: aioredis.Redis, r2: aioredis.Redis) -> None:
        """A waiter cancelled while sleeping returns its reservation: the next one waits less."""
        a = RedisTokenBucket(r, rate=5, burst=1, client_id="app")
        b = RedisTokenBucket(r2, rate=5, burst=1, client_id="app")
        await a.acquire()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(a.acquire(), 0.02)  # reserved for +200 ms
        await a.aclose()  # waits for the refund
        start = await server_now(r)
        times: list[float] = []
        await admit(b, r, times)
        # About 180 ms with the refund; about 380 ms without it.
        assert times[0] - start < 0.28

    async def test_cancelled_during_round_trip(self, r: aioredis.Redis) -> None:
        """A reservation whose answer arrives after its caller was cancelled is refunded."""
        limiter = RedisTokenBucket(r, rate=1, burst=1, client_id="app")
        await limiter.acquire()
        task = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)  # the script call is under way
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await limiter.aclose()
        state = await limiter.state()
        assert -0.1 < state["tokens"] < 0.1  # -1 without the refund


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Raise ``TimeoutError`` in the main thread if the block takes longer than ``seconds``.

    A signal handler runs between bytecodes, so it also stops code that spins without
    ever yielding to the event loop (where ``asyncio.timeout`` could never fire).
    """
    if not hasattr(signal, "setitimer"):  # pragma: no cover - not POSIX: no watchdog
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class TestClose:
    async def test_aclose_right_after_background_work_finished(self, r: aioredis.Redis) -> None:
        """aclose() returns when its background work is done but the tasks' done-callbacks
        have not run yet (on Python 3.12+ it used to spin there forever)."""
        limiter = RedisTokenBucket(r, rate=10, burst=1, client_id="app")
        ran: list[str] = []

        async def refund() -> None:
            ran.append("refund")

        limiter._spawn(refund())
        # One loop turn: the task runs to completion, and its done-callbacks (the one
        # that removes it from the limiter's set among them) are queued for the next.
        await asyncio.sleep(0)
        with watchdog(5.0):
            await limiter.aclose()
        assert ["refund"] == ran


class TestUnavailable:
    async def test_raise(self) -> None:
        """on_unavailable="raise": a soundcloud_async error with the redis error chained."""
        limiter = RedisTokenBucket(f"redis://127.0.0.1:{free_port()}/0", rate=10, client_id="a")
        async with limiter:
            with pytest.raises(RateLimiterUnavailable) as info:
                await limiter.acquire()
        assert isinstance(info.value, SoundCloudError)
        assert isinstance(info.value.__cause__, RedisConnectionError)

    async def test_local_then_recovery(self, caplog: pytest.LogCaptureFixture) -> None:
        """on_unavailable="local": a local share, one warning, and back to Redis when it answers."""
        port = free_port()
        limiter = RedisTokenBucket(
            f"redis://127.0.0.1:{port}/0",
            rate=40,
            burst=4,
            client_id="app",
            on_unavailable="local",
            local_share=0.25,
            recheck_interval=0.05,
        )
        async with limiter:
            with caplog.at_level(logging.WARNING, logger="soundcloud_async"):
                loop = asyncio.get_running_loop()
                start = loop.time()
                for _ in range(3):  # local bucket: 10/s, burst 1
                    await limiter.acquire()
                assert 0.19 <= loop.time() - start < 0.35
                assert limiter.local
                assert 3 == limiter.local_acquired
                with redis_server(port):
                    await asyncio.sleep(0.06)
                    await limiter.acquire()
                    assert not limiter.local
                    assert 3 == limiter.local_acquired
                    assert 4 == limiter.acquired
                    client = aioredis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
                    assert 1 == await client.exists(limiter.bucket_key)
                    await client.aclose()
        warnings = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]
        assert 2 == len(warnings), warnings
        assert "limiting in-process at 10 requests/s" in warnings[0]
        assert "back on the shared budget" in warnings[1]

    async def test_pause_applies_locally(self) -> None:
        """A 429 during an outage pauses the local fallback."""
        limiter = RedisTokenBucket(
            f"redis://127.0.0.1:{free_port()}/0",
            rate=100,
            client_id="app",
            on_unavailable="local",
            local_share=0.5,
        )
        async with limiter:
            await limiter.feedback(throttled=True, pause=0.1)
            loop = asyncio.get_running_loop()
            start = loop.time()
            await limiter.acquire()
            assert 0.1 <= loop.time() - start < 0.2


class TestMissingRedisServer:
    """Without ``redis-server`` a developer's run skips these tests, but CI fails loudly."""

    def test_fails_when_ci_is_set(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Under ``CI`` a missing tool is a failure naming the package to install."""
        monkeypatch.setenv("CI", "true")
        with pytest.raises(pytest.fail.Exception, match="apt-get install redis-server"):
            missing("redis-server")

    def test_skips_without_ci(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Outside CI the same call is a skip with the same message."""
        monkeypatch.delenv("CI", raising=False)
        with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
            missing("redis-server")
