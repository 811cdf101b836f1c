"""One refresh per expiry across processes: the acceptance test of issue 11.

Four worker processes (``tests/token_refresh_worker.py``) of eight tasks each use the
same user's token, kept in one shared store (a JSON file with an OS file lock, or
Redis with a short lock), against one ``FakeSoundCloud`` served from this process,
which enforces single-use refresh tokens. The token is expired when they start: by the
clock the store keeps (everyone refreshes before the first call), or only at the server
(everyone's first call gets a 401). Measured at the server, from its request log:
exactly one request reaches the token endpoint; every task's calls succeed; every
process ends with the same access token, the one in the store; and the user stays
logged in: the stored refresh token still refreshes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from soundcloud_async import (
    JSONFileTokenStore,
    RedisTokenStore,
    RefreshingToken,
    SoundCloud,
    TokenStore,
)
from soundcloud_async._ratelimit import Unlimited
from soundcloud_async.models import OAuthToken
from soundcloud_async.testing import FakeSoundCloud
from tests.redis_server import redis_server
from tests.token_refresh_worker import fingerprint

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("token_refresh_worker.py")
ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 4
TASKS = 8
CALLS = 3


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


class Shared:
    """A store spec for the workers (``file:PATH``/``redis:URL``, a key) and the same
    store here."""

    def __init__(self, spec: str, store: TokenStore, key: str = "user") -> None:
        self.spec, self.store, self.key = spec, store, key


@pytest.fixture(params=["file", "redis"])
async def shared(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Shared]:
    if request.param == "file":
        path = tmp_path / "tokens" / "user.json"
        yield Shared(f"file:{path}", JSONFileTokenStore(path))
        return
    url = request.getfixturevalue("redis_url")
    key = f"user-{request.node.name}"
    store = RedisTokenStore(url, key=key)
    try:
        await store._redis.delete(store.redis_key, store.lock_key)
        yield Shared(f"redis:{url}", store, key)
    finally:
        await store.aclose()


async def read_line(proc: asyncio.subprocess.Process, timeout: float = 60.0) -> str:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    if not line:
        raise AssertionError(f"worker exited early with {await proc.wait()}")
    return line.decode().strip()


async def run_workers(fake: FakeSoundCloud, shared: Shared) -> list[dict[str, Any]]:
    """Start the workers, let them go at once, and collect their summaries."""
    procs: list[asyncio.subprocess.Process] = []
    try:
        for _ in range(PROCESSES):
            procs.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(WORKER),
                    *("--base-url", fake.base_url, "--store", shared.spec),
                    *("--key", shared.key),
                    *("--client-id", fake.client_id, "--client-secret", fake.client_secret),
                    *("--tasks", str(TASKS), "--calls", str(CALLS)),
                    cwd=ROOT,
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                )
            )
        for proc in procs:
            assert "ready" == await read_line(proc)
        for proc in procs:  # as close together as the pipes allow
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
        await asyncio.gather(*(proc.stdin.drain() for proc in procs if proc.stdin))
        summaries = [json.loads(await read_line(proc)) for proc in procs]
        for proc in procs:
            assert 0 == await proc.wait()
        return summaries
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            # Python 3.13 warns of a StreamWriter collected unclosed (the stdin pipe).
            if proc.stdin is not None:
                proc.stdin.close()
                with contextlib.suppress(OSError):
                    await proc.stdin.wait_closed()


class TestOneRefreshAcrossProcesses:
    """4 processes x 8 tasks, one expired token in one shared store: one refresh."""

    @pytest.mark.parametrize("expired", ["by-clock", "at-server"])
    async def test_one_refresh(self, shared: Shared, expired: str) -> None:
        """Exactly one refresh reaches the token endpoint; every call succeeds; the
        processes adopt the rotated token and the user stays logged in."""
        async with FakeSoundCloud(size="tiny") as fake:
            issued = fake.issue_tokens(expires_in=0)  # dead at the server already
            await shared.store.save(
                OAuthToken(
                    access_token=issued["access_token"],
                    refresh_token=issued["refresh_token"],
                    # "by-clock": the store says it is expired too; "at-server": the
                    # clients believe it and learn otherwise from a 401.
                    expires_in=0 if expired == "by-clock" else 3600,
                )
            )
            fake.reset_log()
            summaries = await run_workers(fake, shared)

            token_requests = fake.count("POST", "/oauth/token")
            unauthorized = fake.counters.unauthorized
            stored = await shared.store.load()
            assert stored is not None
            report = (
                f"{shared.spec.split(':')[0]} store, expired {expired}: {PROCESSES} processes x "
                f"{TASKS} tasks x {CALLS} calls; token endpoint requests {token_requests}; "
                f"401s {unauthorized}; refreshes per process "
                f"{[s['refreshes'] for s in summaries]}; calls ok {sum(s['ok'] for s in summaries)}"
            )
            print(report)
            assert 1 == token_requests, report
            assert 1 == fake.counters.refreshes, report
            assert [1] == [n for n in (s["refreshes"] for s in summaries) if n], report
            assert [PROCESSES * TASKS * CALLS, {}] == [
                sum(s["ok"] for s in summaries),
                {k: v for s in summaries for k, v in s["errors"].items()},
            ], report
            assert {fingerprint(stored.access_token)} == {s["token"] for s in summaries}
            assert issued["refresh_token"] != stored.refresh_token
            if expired == "by-clock":
                assert 0 == unauthorized, report
            else:
                # One 401 per process at most: after the first, a process waits for
                # the refresh (single flight) and retries with the adopted token.
                assert PROCESSES <= unauthorized <= PROCESSES * TASKS, report

            # Still logged in: the stored token works, and its refresh token refreshes.
            principal = fake.oauth.principal_for(stored.access_token or "")
            assert principal is not None
            assert fake.oauth.default_user_urn == principal.user_urn
            again = RefreshingToken(
                OAuthToken(
                    access_token=stored.access_token,
                    refresh_token=stored.refresh_token,
                    expires_in=0,
                ),
                client_id=fake.client_id,
                client_secret=fake.client_secret,
                token_url=fake.url("/oauth/token"),
                store=shared.store,
            )
            async with SoundCloud(
                auth=again, base_url=fake.base_url, rate_limiter=Unlimited()
            ) as sc:
                me = await sc.me.get()
            assert (fake.oauth.default_user_urn, 1, 2) == (
                me.urn,
                again.refreshes,
                fake.counters.refreshes,
            )
