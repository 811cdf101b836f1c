"""Token stores and the refreshes they coordinate: one refresh per expiry, whoever asks.

The auth objects run against the stub transport of ``test_auth`` with an injected
clock; the file lock is a real ``flock`` (two stores on one path exclude each other
even in one process), the Redis store talks to a throwaway ``redis-server``. The
many-process acceptance test is ``test_token_refresh_multiprocess.py``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import stat
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

from soundcloud_async import (
    AuthError,
    JSONFileTokenStore,
    LockingTokenStore,
    MemoryTokenStore,
    RedisTokenStore,
    TokenStore,
)
from soundcloud_async._clock import ManualClock
from soundcloud_async.models import OAuthToken
from tests.redis_server import free_port, redis_server
from tests.test_auth import (
    StubTransport,
    UnlockedStore,
    credentials,
    oauth_rejection,
    user_token,
)

EXPIRED = OAuthToken(access_token="SECRET-at-0", refresh_token="SECRET-rt-0", expires_in=0)


async def no_wait(seconds: float) -> None:
    """A lock poll's sleep that only yields: the holder runs, no time passes."""
    await asyncio.sleep(0)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1000.0)


@pytest.fixture
def transport() -> StubTransport:
    return StubTransport()


def file_store(path: Path, clock: ManualClock, **kwargs: Any) -> JSONFileTokenStore:
    return JSONFileTokenStore(path, wall_clock=clock.now, sleep=no_wait, **kwargs)


class TestProtocols:
    """The built-in stores lock; a plain store still works without."""

    def test_locking(self, tmp_path: Path) -> None:
        """Memory, file and Redis stores are LockingTokenStores; a bare one is not."""
        redis = RedisTokenStore(f"redis://127.0.0.1:{free_port()}/0", key="k")
        stores: list[object] = [MemoryTokenStore(), JSONFileTokenStore(tmp_path / "t"), redis]
        assert [True] * 3 == [isinstance(s, LockingTokenStore) for s in stores]
        assert (True, False) == (
            isinstance(UnlockedStore(), TokenStore),
            isinstance(UnlockedStore(), LockingTokenStore),
        )

    def test_file_store_locks_across_processes_here(self, tmp_path: Path) -> None:
        """On this platform the file lock is an OS lock (fcntl)."""
        assert JSONFileTokenStore(tmp_path / "t").cross_process == (os.name != "nt")


class TestCoordinatedRefresh:
    """Auth objects sharing a locking store make one refresh per expiry."""

    @pytest.mark.parametrize("kind", ["memory", "file"])
    async def test_two_holders_one_refresh(
        self, kind: str, transport: StubTransport, clock: ManualClock, tmp_path: Path
    ) -> None:
        """Two RefreshingTokens (two processes' worth) with one expired token: the one
        that gets the lock refreshes, the other adopts what it saved."""
        stores: list[TokenStore]
        if kind == "memory":
            shared = MemoryTokenStore(wall_clock=clock.now)
            stores = [shared, shared]
        else:
            stores = [file_store(tmp_path / "t.json", clock) for _ in range(2)]
        await stores[0].save(EXPIRED)
        auths = [user_token(transport, clock, store=s, token=None) for s in stores]
        transport.gate = asyncio.Event()
        calls = [asyncio.create_task(a.authorization()) for a in auths for _ in range(4)]
        for _ in range(2000):  # file I/O runs in threads: wait for the first refresh
            if transport.calls:
                break
            await asyncio.sleep(0.001)
        for _ in range(20):  # and give the other holder time to reach the lock
            await asyncio.sleep(0.001)
        assert 1 == len(transport.calls)
        transport.gate.set()
        headers = await asyncio.gather(*calls)
        assert 1 == len(transport.calls)
        assert "SECRET-rt-0" == transport.calls[0].form["refresh_token"]
        assert {"OAuth SECRET-at-1"} == set(headers)
        assert [1, 0] == sorted((a.refreshes for a in auths), reverse=True)
        stored = await stores[1].load()
        assert stored is not None
        assert "SECRET-rt-1" == stored.refresh_token

    async def test_later_holder_adopts_without_a_request(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A holder that finds its expired token rotated by another takes the stored one."""
        store = MemoryTokenStore(wall_clock=clock.now)
        await store.save(EXPIRED)
        first = user_token(transport, clock, store=store, token=None)
        second = user_token(transport, clock, store=store, token=None)
        await second._flight.run(second._load)  # holds SECRET-at-0 too
        assert "OAuth SECRET-at-1" == await first.authorization()
        assert "OAuth SECRET-at-1" == await second.authorization()
        assert (1, 0) == (first.refreshes, second.refreshes)

    async def test_401_adopts_the_rotated_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """After a 401, a token another holder rotated into the store is used at once."""
        store = MemoryTokenStore(wall_clock=clock.now)
        await store.save(EXPIRED)
        first = user_token(transport, clock, store=store, token=None)
        second = user_token(transport, clock, store=store, token=None)
        await second._flight.run(second._load)  # holds SECRET-at-0, which it believes
        assert "OAuth SECRET-at-1" == await first.authorization()
        assert True is await second.on_unauthorized("OAuth SECRET-at-0")
        assert "OAuth SECRET-at-1" == await second.authorization()
        assert 1 == len(transport.calls)

    async def test_stale_rotated_token_is_refreshed_with_its_own_refresh_token(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """A newer but also expired stored token is refreshed with the live refresh token."""
        store = MemoryTokenStore(wall_clock=clock.now)
        await store.save(EXPIRED)
        auth = user_token(transport, clock, store=store, token=None)
        await auth._flight.run(auth._load)
        await store.save(
            OAuthToken(access_token="SECRET-at-x", refresh_token="SECRET-rt-x", expires_in=0)
        )
        assert "OAuth SECRET-at-1" == await auth.authorization()
        assert ["SECRET-rt-x"] == [c.form["refresh_token"] for c in transport.calls]

    async def test_lock_timeout_goes_ahead(
        self,
        transport: StubTransport,
        clock: ManualClock,
        tmp_path: Path,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A lock held past lock_timeout (a hung holder) is given up with a warning."""
        ticks = itertools.count()
        path = tmp_path / "t.json"
        holder = file_store(path, clock)
        await holder.save(EXPIRED)
        waiter = JSONFileTokenStore(
            path, wall_clock=clock.now, lock_timeout=5, clock=lambda: float(next(ticks)),
            sleep=no_wait,
        )  # fmt: skip
        auth = user_token(transport, clock, store=waiter, token=None)
        async with holder.lock():
            assert "OAuth SECRET-at-1" == await auth.authorization()
        assert 1 == len(transport.calls)
        assert "going ahead without it" in caplog.text

    async def test_unlocked_store_falls_back_to_rejection_rescue(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """Without a lock, a rejected refresh still adopts a token rotated into the store."""
        store = UnlockedStore()
        await store.save(EXPIRED)
        auth = user_token(transport, clock, store=store, token=None)
        await auth._flight.run(auth._load)
        await store.save(
            OAuthToken(access_token="SECRET-at-x", refresh_token="SECRET-rt-x", expires_in=3600)
        )
        transport.script.append(oauth_rejection(400, "invalid_grant", "already used"))
        assert "OAuth SECRET-at-x" == await auth.authorization()
        assert 1 == len(transport.calls)


class TestCoordinatedExchange:
    """ClientCredentials sharing a locking store exchange once."""

    async def test_two_apps_one_exchange(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """The second object finds the first one's token in the store under the lock."""
        store = MemoryTokenStore(wall_clock=clock.now)
        first = credentials(transport, clock, store=store)
        second = credentials(transport, clock, store=store)
        transport.gate = asyncio.Event()
        calls = [asyncio.create_task(a.authorization()) for a in (first, second)]
        for _ in range(20):
            await asyncio.sleep(0)
        transport.gate.set()
        headers = await asyncio.gather(*calls)
        assert ["OAuth SECRET-at-1"] * 2 == headers
        assert (1, 1, 0) == (len(transport.calls), first.exchanges, second.exchanges)

    async def test_refused_token_is_not_adopted_again(
        self, transport: StubTransport, clock: ManualClock
    ) -> None:
        """After a 401, the store's copy of the refused token is not believed."""
        store = MemoryTokenStore(
            OAuthToken(access_token="SECRET-refused", expires_in=3600), wall_clock=clock.now
        )
        auth = credentials(transport, clock, store=store)
        assert "OAuth SECRET-refused" == await auth.authorization()
        assert True is await auth.on_unauthorized("OAuth SECRET-refused")
        assert "OAuth SECRET-at-1" == await auth.authorization()
        assert 1 == len(transport.calls)


class TestFileLock:
    """The file store's lock: an flock on ``<path>.lock``."""

    async def test_excludes_a_second_holder(self, tmp_path: Path, clock: ManualClock) -> None:
        """A second store on the same path waits until the first releases."""
        path = tmp_path / "t.json"
        a, b = file_store(path, clock), file_store(path, clock)
        order: list[str] = []
        async with a.lock():
            waiting = asyncio.create_task(self._hold(b, order))
            for _ in range(20):
                await asyncio.sleep(0)
            order.append("a releases")
        await waiting
        assert ["a releases", "b holds"] == order

    async def _hold(self, store: JSONFileTokenStore, order: list[str]) -> None:
        async with store.lock():
            order.append("b holds")

    async def test_times_out(self, tmp_path: Path, clock: ManualClock) -> None:
        """A lock held past lock_timeout raises TimeoutError in the waiter."""
        ticks = itertools.count()
        path = tmp_path / "t.json"
        waiter = JSONFileTokenStore(
            path, lock_timeout=3, clock=lambda: float(next(ticks)), sleep=no_wait
        )
        async with file_store(path, clock).lock():
            with pytest.raises(TimeoutError, match="held for more than 3s"):
                async with waiter.lock():
                    pass

    async def test_lock_file(self, tmp_path: Path, clock: ManualClock) -> None:
        """The lock file sits beside the token file, mode 0600, and stays."""
        store = file_store(tmp_path / "dir" / "t.json", clock)
        async with store.lock():
            pass
        assert tmp_path / "dir" / "t.json.lock" == store.lock_path
        assert 0o600 == stat.S_IMODE(store.lock_path.stat().st_mode)
        assert not store.path.exists()

    async def test_cancelled_waiter_leaves_the_lock_free(
        self, tmp_path: Path, clock: ManualClock
    ) -> None:
        """A waiter cancelled while it polls never takes the lock afterwards."""
        path = tmp_path / "t.json"
        a, b = file_store(path, clock), file_store(path, clock)
        async with a.lock():
            waiting = asyncio.create_task(self._hold(b, []))
            for _ in range(5):
                await asyncio.sleep(0)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
        order: list[str] = []
        await asyncio.wait_for(self._hold(b, order), 5)
        assert ["b holds"] == order


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
async def redis_store(redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    def make(**kwargs: Any) -> RedisTokenStore:
        return RedisTokenStore(redis_url, key=f"t-{request.node.name}", **kwargs)

    made: list[RedisTokenStore] = []

    def factory(**kwargs: Any) -> RedisTokenStore:
        store = make(**kwargs)
        made.append(store)
        return store

    first = factory()
    await first._redis.delete(first.redis_key, first.lock_key)
    yield factory
    for store in made:
        await store.aclose()


class TestRedisStore:
    """The Redis store: the stored form, the lock, and an unreachable server."""

    async def test_round_trip_counts_down(self, redis_store: Any) -> None:
        """A saved token loads back with the seconds it has left."""
        now = [5000.0]
        store = redis_store(wall_clock=lambda: now[0])
        await store.save(
            OAuthToken(access_token="SECRET-a", refresh_token="SECRET-r", expires_in=3600)
        )
        now[0] += 600
        token = await store.load()
        assert token is not None
        assert ("SECRET-a", "SECRET-r", 3000) == (
            token.access_token,
            token.refresh_token,
            token.expires_in,
        )

    async def test_empty(self, redis_store: Any) -> None:
        """Nothing saved loads as None."""
        assert None is await redis_store().load()

    async def test_lock_excludes(self, redis_store: Any) -> None:
        """A second store on the same key waits; with a short timeout it gives up."""
        holder, waiter = redis_store(), redis_store(lock_timeout=0.05)
        async with holder.lock():
            with pytest.raises(TimeoutError):
                async with waiter.lock():
                    pass
        async with waiter.lock():
            pass

    async def test_abandoned_lock_expires(self, redis_store: Any) -> None:
        """A lock whose holder never released it frees itself after lock_ttl."""
        dead = redis_store(lock_ttl=0.2)
        context: AbstractAsyncContextManager[None] = dead.lock()
        await context.__aenter__()  # "dies" holding it
        async with redis_store(lock_timeout=5).lock():
            pass
        assert None is await dead._redis.get(dead.lock_key)
        # The "dead" holder's context is finished here, on this loop: left to the garbage
        # collector, its release would run after the loop closed and leak a connection.
        await context.__aexit__(None, None, None)

    async def test_unreachable(self, caplog: pytest.LogCaptureFixture) -> None:
        """Redis down: AuthError naming the store, never the URL's password."""
        url = f"redis://:SECRET-pw@127.0.0.1:{free_port()}/0"
        store = RedisTokenStore(url, key="k")
        try:
            for attempt in (store.load(), store.save(EXPIRED), _enter(store.lock())):
                with pytest.raises(AuthError, match="Redis token store") as caught:
                    await attempt
                assert "SECRET" not in f"{caught.value} {caught.value!r}"
        finally:
            await store.aclose()
        assert "SECRET" not in repr(store) + caplog.text

    def test_validation(self) -> None:
        """An empty key or a non-positive lock_ttl is refused."""
        with pytest.raises(ValueError, match="key"):
            RedisTokenStore("redis://127.0.0.1:1/0", key="")
        with pytest.raises(ValueError, match="lock_ttl"):
            RedisTokenStore("redis://127.0.0.1:1/0", key="k", lock_ttl=0)


async def _enter(context: AbstractAsyncContextManager[None]) -> None:
    async with context:
        pass
