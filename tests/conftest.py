"""Fixtures shared by the unit tests: injected time and a client wired to aioresponses."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, settings

from soundcloud_async._backoff import RetryPolicy
from soundcloud_async._ratelimit import Unlimited

BASE = "https://api.soundcloud.com"

# Property tests (tests/test_fuzz.py, marked `fuzz`): a few seconds in the default run;
# `pytest --hypothesis-profile=soak` (nox -s soak) runs a hundred times as many examples.
# No example database: runs are reproducible from the printed blob, and write no files.
_FUZZ = {
    "deadline": dt.timedelta(seconds=2),  # one example, on a loaded machine; a hang fails
    "suppress_health_check": [HealthCheck.too_slow],
    "database": None,
    "print_blob": True,
}
settings.register_profile("quick", max_examples=20, **_FUZZ)
settings.register_profile("soak", max_examples=2500, **_FUZZ)
settings.load_profile("quick")


def _patch_aioresponses_for_aiohttp_314() -> None:
    """aioresponses 0.7.9 builds ClientResponse without aiohttp 3.14's new required
    ``stream_writer`` argument (pnuckowski/aioresponses#289, unfixed upstream). Give it
    a response class that supplies an inert one; a no-op on older aiohttp."""
    import inspect

    import aioresponses.core
    from aiohttp import ClientResponse

    if "stream_writer" not in inspect.signature(ClientResponse.__init__).parameters:
        return

    class _NoStreamWriter:
        output_size = 0

    class _CompatClientResponse(ClientResponse):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _NoStreamWriter())
            super().__init__(*args, **kwargs)

    aioresponses.core.ClientResponse = _CompatClientResponse  # type: ignore[misc]


_patch_aioresponses_for_aiohttp_314()


class AutoClock:
    """Time that jumps forward by exactly what a sleep asked for (single-task tests)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)


@pytest.fixture
def auto_clock() -> AutoClock:
    return AutoClock()


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses() as mock:
        yield mock


@pytest.fixture
async def sc(auto_clock: AutoClock) -> AsyncIterator[object]:
    """An open client on the real API's base URL (requests are intercepted by aioresponses)."""
    from soundcloud_async import SoundCloud

    client = SoundCloud(
        "test-token",
        rate_limiter=Unlimited(),
        retry=RetryPolicy(random=lambda: 0.5),
        clock=auto_clock,
        sleep=auto_clock.sleep,
        wall_clock=lambda: 1_433_150_000.0,
    )
    async with client:
        yield client


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A PostgreSQL cluster for the whole session (started on first use): a superuser URL."""
    from tests.pg_server import pg_cluster

    with pg_cluster() as url:
        yield url


@pytest.fixture
def pg_schema_url(pg_url: str) -> str:
    """A store URL of its own: the session's cluster, a fresh schema per test."""
    import uuid

    return f"{pg_url}?schema=t_{uuid.uuid4().hex[:12]}"
