"""The Redis limiter's acceptance test: one budget for four processes (issue 7).

Four worker processes (``tests/ratelimit_redis_worker.py``) of sixteen tasks each run
the real client against one ``FakeSoundCloud`` served from this process, all sharing a
100 req/s ``RedisTokenBucket``. Measured at the server, from its request log: 100 req/s
±3 % over 20 s of steady state, no 429 from a server that allows 110 req/s, and a 429
reported to one process (``feedback(throttled=True, pause=2)``) silences all four for
those two seconds. Takes about 26 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
from aiohttp import web

from soundcloud_async.testing import FakeSoundCloud
from tests.redis_server import redis_server

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("ratelimit_redis_worker.py")
ROOT = Path(__file__).resolve().parent.parent
PROCESSES = 4
TASKS = 16
RATE = 100.0
#: Any 1 s window admits at most burst + rate = 105 < the server's 110.
BURST = 5.0
SERVER_RATE = 110.0
WARMUP = 1.0
STEADY = 20.0
PAUSE = 2.0
#: Requests admitted just before the pause may still be on the wire.
IN_FLIGHT = 0.05


@pytest.fixture
def alone_on_this_machine() -> Iterator[None]:
    """Run while no other suite on this machine runs this test (CI runs two side by side).

    Two copies at once are eight worker processes and two servers on CI's two cores: each
    copy then measures the other's stalls, not the limiter (both failed at once, with
    per-second dips to 13 and 33 requests). A lock file in the temporary directory lets
    one copy wait for the other; the bounds stay as they are.
    """
    if sys.platform == "win32":  # no fcntl; CI and the suites side by side are POSIX
        yield
        return
    import fcntl

    path = Path(tempfile.gettempdir()) / "soundcloud_async-realtime-test.lock"
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def ensure_me_route(app: web.Application) -> None:
    """Serve ``GET /me`` if the fake's data routes do not (yet): a minimal user."""
    if any(getattr(r.resource, "canonical", None) == "/me" for r in app.router.routes()):
        return

    async def me(request: web.Request) -> web.Response:
        return web.json_response(
            {"kind": "user", "urn": "soundcloud:users:1", "username": "fake", "id": 1}
        )

    app.router.add_get("/me", me)


async def read_line(proc: asyncio.subprocess.Process, timeout: float = 30.0) -> str:
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    if not line:
        raise AssertionError(f"worker exited early with {await proc.wait()}")
    return line.decode().strip()


async def send(proc: asyncio.subprocess.Process, line: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line.encode() + b"\n")
    await proc.stdin.drain()


class TestSharedBudget:
    @pytest.mark.usefixtures("alone_on_this_machine")
    async def test_four_processes_share_one_budget(self, redis_url: str) -> None:
        """4 x 16 tasks keep 100 req/s +-3% at the server, no 429s, and pause together."""
        client = aioredis.Redis.from_url(redis_url)
        await client.flushdb()
        await client.aclose()
        fake = FakeSoundCloud(general_rate=SERVER_RATE)
        ensure_me_route(fake.app)
        procs: list[asyncio.subprocess.Process] = []
        summaries: list[dict[str, Any]] = []
        async with fake:
            token = fake.issue_token()
            try:
                for _ in range(PROCESSES):
                    procs.append(
                        await asyncio.create_subprocess_exec(
                            sys.executable,
                            str(WORKER),
                            "--base-url",
                            fake.base_url,
                            "--token",
                            token,
                            "--redis-url",
                            redis_url,
                            "--client-id",
                            fake.client_id,
                            "--rate",
                            str(RATE),
                            "--burst",
                            str(BURST),
                            "--tasks",
                            str(TASKS),
                            cwd=ROOT,
                            stdin=asyncio.subprocess.PIPE,
                            stdout=asyncio.subprocess.PIPE,
                        )
                    )
                for proc in procs:
                    assert "ready" == await read_line(proc)
                for proc in procs:
                    await send(proc, "go")
                # The window is counted from the first request the server sees, which a
                # loaded machine can delay well past "go": start the clock there.
                for _ in range(1000):
                    if any(r.path == "/me" for r in fake.requests):
                        break
                    await asyncio.sleep(0.01)
                await asyncio.sleep(WARMUP + STEADY + 0.5)
                await send(procs[0], f"pause {PAUSE}")
                word, before, after = (await read_line(procs[0])).split()
                assert "paused" == word
                paused_from, paused_ack = float(before), float(after)
                await asyncio.sleep(PAUSE + 1.5)
                for proc in procs:
                    await send(proc, "stop")
                for proc in procs:
                    summaries.append(json.loads(await read_line(proc)))
                    assert 0 == await proc.wait()
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
            records = [r for r in fake.requests if r.path == "/me"]
            rate_limited = fake.counters.rate_limited

        times = sorted(r.at for r in records)
        t0 = times[0]
        start, end = t0 + WARMUP, t0 + WARMUP + STEADY
        assert end < paused_from
        per_second = [
            sum(1 for t in times if start + i <= t < start + i + 1) for i in range(int(STEADY))
        ]
        achieved = sum(per_second) / STEADY
        split = [s["ok"] for s in summaries]
        report = (
            f"achieved {achieved:.2f} req/s (configured {RATE:g}); per second {per_second}; "
            f"per process {split}; 429s {rate_limited}"
        )
        print(report)
        assert abs(achieved - RATE) <= 0.03 * RATE, report
        assert 0 == rate_limited, report
        assert [{}] * PROCESSES == [s["errors"] for s in summaries]
        assert [0] * PROCESSES == [s["local"] for s in summaries]
        # Every process got a fair share of the budget.
        assert all(abs(n / sum(split) - 1 / PROCESSES) < 0.05 for n in split), split

        # The pause: nothing from any process for PAUSE seconds, then the rate again.
        during = [t for t in times if paused_ack + IN_FLIGHT < t < paused_from + PAUSE]
        gap = max(b - a for a, b in itertools.pairwise(times) if a >= paused_from - 1)
        resumed = sum(1 for t in times if paused_from + PAUSE <= t < paused_from + PAUSE + 1)
        print(
            f"pause: {len(during)} requests during it, longest gap {gap:.3f} s, "
            f"{resumed} requests in the second after it"
        )
        assert [] == during
        assert PAUSE - IN_FLIGHT <= gap < PAUSE + 0.1
        assert RATE * 0.9 <= resumed <= RATE + BURST
