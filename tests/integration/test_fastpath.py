"""The fast path over the wire: the same models with and without it."""

from __future__ import annotations

from typing import Any

import pytest

from soundcloud_async import SoundCloud, Track, Unlimited
from soundcloud_async.testing import FakeSoundCloud
from tests.test_fastpath import fingerprint

pytestmark = pytest.mark.integration


class TestFastPathOverTheWire:
    async def test_same_models_with_and_without_fast_path(
        self, fake: FakeSoundCloud, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """sc.tracks.get and a paginator give the same models whether the fast path runs."""
        import soundcloud_async._resources._base as base

        async def read() -> Any:
            async with SoundCloud(
                fake.issue_token(), base_url=fake.base_url, rate_limiter=Unlimited()
            ) as sc:
                items = await sc.tracks._paginate(
                    "/tracks", Track, limit=7, max_items=30, resume_from=None
                ).collect()
                one = await sc.tracks.get(items[0].urn)  # type: ignore[arg-type]
                return items, one

        fast = await read()
        monkeypatch.setattr(base, "object_decoder", lambda model: None)
        monkeypatch.setattr(base, "page_decoder", lambda model: None)
        slow = await read()
        assert 30 == len(fast[0])
        assert fingerprint(slow) == fingerprint(fast)
