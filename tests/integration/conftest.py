"""Integration fixtures: the real client over real TCP against FakeSoundCloud on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from soundcloud_async import RetryPolicy, SoundCloud, Unlimited
from soundcloud_async.testing import FakeSoundCloud


@pytest.fixture
async def fake() -> AsyncIterator[FakeSoundCloud]:
    """A started fake with the small default world."""
    async with FakeSoundCloud(seed=1) as server:
        yield server


@pytest.fixture
async def sc(fake: FakeSoundCloud) -> AsyncIterator[SoundCloud]:
    """A client logged in as the fake's default user, with no client-side rate limit."""
    async with SoundCloud(
        fake.issue_token(),
        base_url=fake.base_url,
        rate_limiter=Unlimited(),
        retry=RetryPolicy(wait=False),
    ) as client:
        yield client
