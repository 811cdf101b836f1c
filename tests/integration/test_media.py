"""Uploads over real TCP against FakeSoundCloud: streamed bodies, memory, progress, retries."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from soundcloud_async import SoundCloud, TransportError
from soundcloud_async.models import TrackMetadata
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration

MB = 1024 * 1024
UPLOAD_SIZE = 50 * MB
#: Generous: the body is 50 MB; streaming should cost a few chunks.
RSS_BOUND = 30 * MB


def rss() -> int:
    """This process's resident set size in bytes (VmRSS), 0 where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples VmRSS every few milliseconds while an upload runs (server is in-process too)."""

    def __init__(self) -> None:
        self.baseline = rss()
        self.peak = self.baseline
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            self.peak = max(self.peak, rss())
            await asyncio.sleep(0.005)

    async def __aenter__(self) -> RssSampler:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        self.peak = max(self.peak, rss())

    @property
    def growth(self) -> int:
        return self.peak - self.baseline


async def generated(total: int, chunk: int = 256 * 1024) -> AsyncIterator[bytes]:
    """``total`` bytes in fresh chunks, never all in memory."""
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        yield os.urandom(16) * (n // 16) + b"\0" * (n % 16)
        sent += n


needs_proc = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs /proc")


class TestStreamedUpload:
    """A 50 MB upload keeps memory flat and reports progress."""

    @needs_proc
    async def test_async_iterable_rss_flat(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """50 MB from an async generator: RSS grows by far less than the body."""
        seen: list[tuple[int, int | None]] = []
        async with RssSampler() as sampler:
            track = await sc.tracks.upload(
                generated(UPLOAD_SIZE),
                title="Big one",
                filename="big.wav",
                progress=lambda d, t: seen.append((d, t)),
            )
        t = fake.world.track_index(track.urn)
        assert UPLOAD_SIZE == fake.world.upload_size(t)
        assert (UPLOAD_SIZE, None) == seen[-1]
        assert sampler.growth < RSS_BOUND, f"RSS grew by {sampler.growth / MB:.1f} MB"

    @needs_proc
    async def test_file_rss_flat(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """50 MB from a path, with artwork: RSS stays flat, progress reaches the total."""
        path = tmp_path / "big.mp3"
        with path.open("wb") as f:
            for _ in range(UPLOAD_SIZE // MB):
                f.write(os.urandom(MB))
        seen: list[tuple[int, int | None]] = []
        async with RssSampler() as sampler:
            track = await sc.tracks.upload(
                path,
                TrackMetadata(title="From disk", genre="Drum & Bass", sharing="private"),
                artwork=b"GIF89a" + b"\0" * 100,
                progress=lambda d, t: seen.append((d, t)),
            )
        total = UPLOAD_SIZE + 106
        assert (total, total) == seen[-1]
        done = [d for d, _ in seen]
        assert sorted(done) == done
        stored = fake.world.track(str(track.urn))
        assert ("From disk", "Drum & Bass", "private") == (
            stored["title"],
            stored["genre"],
            stored["sharing"],
        )
        assert UPLOAD_SIZE == fake.world.upload_size(fake.world.track_index(track.urn))
        assert sampler.growth < RSS_BOUND, f"RSS grew by {sampler.growth / MB:.1f} MB"

    async def test_seekable_file(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A binary file object uploads from where it stands."""
        f = io.BytesIO(b"skip" + b"a" * 5000)
        f.seek(4)
        track = await sc.tracks.upload(f, title="Buffer")
        assert 5000 == fake.world.upload_size(fake.world.track_index(track.urn))


class TestRetries:
    """Replayable sources are re-sent after a 429; read-once sources are not."""

    async def test_path_retried_after_429(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """A 429 on upload is retried with the file re-opened: the stored size is whole."""
        path = tmp_path / "a.mp3"
        path.write_bytes(b"z" * 300_000)
        fake.faults.add("rate_limit", method="POST", route="/tracks")
        track = await sc.tracks.upload(path, title="Again")
        assert 2 == fake.count("POST", "/tracks")
        assert 300_000 == fake.world.upload_size(fake.world.track_index(track.urn))

    async def test_async_iterable_not_retried(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A 429 on an async-iterable upload surfaces: it is sent once."""
        from soundcloud_async import RateLimited

        fake.faults.add("rate_limit", method="POST", route="/tracks")
        with pytest.raises((RateLimited, TransportError)):
            await sc.tracks.upload(generated(300_000), title="Once")
        assert 1 == fake.count("POST", "/tracks")
