"""HLS downloads and streams over TCP against the fake: bytes, auth, expiry, faults, resume."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from soundcloud_async import (
    DownloadProgress,
    Forbidden,
    PreviewOnly,
    RetryPolicy,
    SoundCloud,
    Unlimited,
)
from soundcloud_async.testing import FakeSoundCloud
from soundcloud_async.testing._media import MEDIA_LOG_KEY, MediaHit
from soundcloud_async.testing._world import World
from tests.ffprobe import DURATION_TOLERANCE, decode_errors, probe

pytestmark = pytest.mark.integration

FORMATS = ["hls_aac_160_url", "hls_mp3_128_url", "hls_aac_96_url"]
#: (format, ffprobe's format_name, codec)
PROBED = {
    "hls_aac_160_url": ("mov,mp4,m4a,3gp,3g2,mj2", "aac"),
    "hls_mp3_128_url": ("mp3", "mp3"),
    "hls_aac_96_url": ("mpegts", "aac"),
    "http_mp3_128_url": ("mp3", "mp3"),
}


def pick(world: World, *, access: int = 0, master: bool | None = None, longest: int = 200_000,
         shortest: int = 45_000) -> str:  # fmt: skip
    """A public track of ``access`` lasting shortest..longest ms (with a master or not)."""
    for t in world.all_tracks().live_keys():
        meta = world.track_meta(t)
        if meta.private or meta.access != access:
            continue
        duration = world.track_dict(t)["duration"]
        if not shortest <= duration <= longest:
            continue
        if master is not None and (world.track_id(t) % 3 == 0) != master:
            continue
        return world.track_urn(t)
    raise AssertionError("no such track")


def hits(fake: FakeSoundCloud) -> list[MediaHit]:
    return list(fake.app[MEDIA_LOG_KEY])


def segment_hits(fake: FakeSoundCloud) -> list[str]:
    """Paths of the segment requests the CDN saw, in order."""
    return [
        h.path
        for h in hits(fake)
        if h.path.startswith("/cdn/") and not h.path.endswith((".m3u8", "init.mp4"))
    ]


def ours() -> list[asyncio.Task[Any]]:
    """The client's tasks still alive (the fake's server tasks share the loop)."""
    return [t for t in asyncio.all_tasks() if "HLSStream" in repr(t.get_coro())]


class Stop(Exception):
    """Raised from a progress callback to interrupt a download."""


def stop_after(n: int, seen: list[DownloadProgress] | None = None) -> Any:
    def progress(p: DownloadProgress) -> None:
        if seen is not None:
            seen.append(p)
        if (p.segments_done or 0) >= n:
            raise Stop

    return progress


class TestDownload:
    """The downloaded file is the fake's segments joined, for every format."""

    @pytest.mark.parametrize("format", FORMATS)
    async def test_file_equals_segments_joined(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path, format: str
    ) -> None:
        """Init (fMP4) then every segment in order; no Authorization reached the CDN."""
        urn = pick(fake.world, master=False)
        dest = tmp_path / "track.audio"
        seen: list[DownloadProgress] = []
        result = await sc.tracks.download(urn, dest, format=format, progress=seen.append)  # type: ignore[arg-type]
        expected = fake.media.expected_audio(urn, format)
        segments = len(fake.media.segments(urn, format.removesuffix("_url")))
        assert expected == dest.read_bytes()
        assert (len(expected), format, segments, 0) == (
            result.size,
            result.format,
            result.segments,
            result.resumed_from,
        )
        assert [(i + 1, segments) for i in range(segments)] == [
            (p.segments_done, p.segments_total) for p in seen
        ]
        assert len(expected) == seen[-1].bytes_done
        assert ["track.audio"] == os.listdir(tmp_path)
        log = hits(fake)
        assert [False] == sorted({h.authorization for h in log if h.path.startswith("/cdn/")})
        assert [True] == sorted({h.authorization for h in log if h.path.startswith("/media/")})
        assert {fake.base_url.split("//")[1]} != {h.host for h in log if "/cdn/" in h.path}
        cdn = [r for r in fake.requests if r.path.startswith("/cdn/")]
        assert len(cdn) > segments
        assert not any(r.had_authorization for r in cdn)

    async def test_default_is_aac_160_through_a_master_playlist(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """No format: AAC 160; a master playlist is followed to its best variant."""
        urn = pick(fake.world, master=True)
        result = await sc.tracks.download(urn, tmp_path / "a.m4a")
        assert ("hls_aac_160_url", "mp4", "m4a") == (
            result.format,
            result.container,
            result.extension,
        )
        assert fake.media.expected_audio(urn, "hls_aac_160") == (tmp_path / "a.m4a").read_bytes()
        assert any(h.path.endswith("/master.m3u8") for h in hits(fake))

    async def test_file_object(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A binary file object receives the same bytes, in place."""
        import io

        urn = pick(fake.world)
        buf = io.BytesIO(b"keep:")
        buf.seek(5)
        result = await sc.tracks.download(urn, buf, format="hls_mp3_128_url")
        assert b"keep:" + fake.media.expected_audio(urn, "hls_mp3_128") == buf.getvalue()
        assert result.size == len(buf.getvalue()) - 5

    async def test_progressive_is_deprecated_and_asked_for(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """http_mp3_128_url downloads only when asked, with a DeprecationWarning."""
        urn = pick(fake.world)
        with pytest.warns(DeprecationWarning, match="http_mp3_128_url is deprecated"):
            result = await sc.tracks.download(urn, tmp_path / "a.mp3", format="http_mp3_128_url")
        assert fake.media.expected_audio(urn, "http_mp3_128") == (tmp_path / "a.mp3").read_bytes()
        assert (0, "mp3") == (result.segments, result.container)

    async def test_download_url_of_a_stream_url(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """download_url on an HLS stream URL fetches the segments, not the playlist text."""
        urn = pick(fake.world)
        streams = await sc.tracks.streams(urn)
        assert streams.hls_aac_96_url is not None
        result = await sc.tracks.download_url(streams.hls_aac_96_url, tmp_path / "a.ts")
        assert fake.media.expected_audio(urn, "hls_aac_96") == (tmp_path / "a.ts").read_bytes()
        assert (None, "mpegts") == (result.format, result.container)

    @pytest.mark.parametrize("format", [*FORMATS, "http_mp3_128_url"])
    async def test_ffprobe_reads_the_track_duration(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path, format: str
    ) -> None:
        """ffprobe reads each download, its codec, and the duration the track says."""
        urn = pick(fake.world, master=False)
        track = await sc.tracks.get(urn)
        dest = tmp_path / "probe.audio"
        with (
            pytest.warns(DeprecationWarning, match="deprecated")
            if format.startswith("http")
            else contextlib.nullcontext()
        ):
            await sc.tracks.download(urn, dest, format=format)  # type: ignore[arg-type]
        info = probe(dest)
        assert track.duration is not None
        format_name, codec = PROBED[format]
        assert format_name == info["format"]["format_name"]
        assert [codec] == [s["codec_name"] for s in info["streams"]]
        assert float(info["format"]["duration"]) == pytest.approx(
            track.duration / 1000, abs=DURATION_TOLERANCE
        )
        assert "" == decode_errors(dest)


class TestPreviewOnly:
    """Preview-only tracks say so instead of downloading 30 seconds."""

    async def test_track_offering_only_a_preview(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """access=preview: PreviewOnly, no file, no media request."""
        urn = pick(fake.world, access=1, shortest=0, longest=10**9)
        with pytest.raises(PreviewOnly, match="preview_mp3_128_url"):
            await sc.tracks.download(urn, tmp_path / "a.m4a")
        assert ([], []) == (os.listdir(tmp_path), hits(fake))

    async def test_every_full_length_format_refused(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """All full-length formats 403 while the preview works: PreviewOnly (api#534)."""
        urn = pick(fake.world)
        fake.media.refuse_full_length(urn)
        with pytest.raises(PreviewOnly) as info:
            await sc.tracks.download(urn, tmp_path / "a.m4a")
        media = [h.path.split("/")[3] for h in hits(fake) if h.path.startswith("/media/")]
        assert ["hls_aac_160", "hls_mp3_128", "hls_aac_96", "preview_mp3_128"] == media
        assert isinstance(info.value, Forbidden)
        assert [] == os.listdir(tmp_path)

    async def test_preview_on_purpose(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """format='preview_mp3_128_url' downloads the 30-second preview."""
        urn = pick(fake.world, longest=600_000, shortest=60_000)
        await sc.tracks.download(urn, tmp_path / "p.mp3", format="preview_mp3_128_url")
        expected = fake.media.expected_audio(urn, "preview_mp3_128")
        assert expected == (tmp_path / "p.mp3").read_bytes()

    async def test_explicit_format_refused_is_forbidden(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """An explicit format that answers 403 raises Forbidden (no fallback, no preview)."""
        urn = pick(fake.world)
        fake.media.refuse_full_length(urn)
        with pytest.raises(Forbidden) as info:
            await sc.tracks.download(urn, tmp_path / "a.mp3", format="hls_mp3_128_url")
        assert not isinstance(info.value, PreviewOnly)


class TestExpiry:
    """Signed links that expire mid-download are fetched again; the file has no gap."""

    async def test_expired_links_mid_download(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """After 3 segments every link expires: one refresh, same segment, same bytes."""
        urn = pick(fake.world, master=False, shortest=60_000)

        def expire_once(p: DownloadProgress) -> None:
            if p.segments_done == 3:
                fake.media.expire_links()

        result = await sc.tracks.download(
            urn,
            tmp_path / "a.mp3",
            format="hls_mp3_128_url",
            progress=expire_once,
            concurrency=1,  # so segment 4 is surely fetched after the expiry
        )
        assert fake.media.expected_audio(urn, "hls_mp3_128") == (tmp_path / "a.mp3").read_bytes()
        assert (1, True) == (result.refreshes, fake.media.denied >= 1)
        media = [h for h in hits(fake) if h.path.startswith("/media/")]
        assert 2 == len(media)

    async def test_expiry_by_the_wall_clock(self, tmp_path: Path) -> None:
        """Links expire when the fake's wall clock passes their time; the download recovers."""
        now = [1_700_000_000.0]
        async with (
            FakeSoundCloud(seed=1, wall_clock=lambda: now[0], media_link_lifetime=300) as fake,
            SoundCloud(
                fake.issue_token(),
                base_url=fake.base_url,
                rate_limiter=Unlimited(),
                retry=RetryPolicy(wait=False),
            ) as sc,
        ):
            urn = pick(fake.world, master=False, shortest=60_000)

            def five_minutes_later(p: DownloadProgress) -> None:
                if p.segments_done == 2:
                    now[0] += 301

            result = await sc.tracks.download(
                urn,
                tmp_path / "a.m4a",
                format="hls_aac_160_url",
                progress=five_minutes_later,
                concurrency=1,
            )
            expected = fake.media.expected_audio(urn, "hls_aac_160")
        assert expected == (tmp_path / "a.m4a").read_bytes()
        assert 1 == result.refreshes

    async def test_refused_with_fresh_links_is_reported(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """A CDN that refuses fresh links too: Forbidden after one refresh, no hammering."""
        urn = pick(fake.world, master=False)
        fake.faults.add("cloudfront_403", route=r"^/cdn/\d+/hls_mp3_128/\d+\.mp3$", times=None)
        with pytest.raises(Forbidden):
            await sc.tracks.download(urn, tmp_path / "a.mp3", format="hls_mp3_128_url")
        assert 2 == len([h for h in hits(fake) if h.path.startswith("/media/")])
        assert len(segment_hits(fake)) <= 8
        assert [] == os.listdir(tmp_path)


class TestFaults:
    """Transient CDN failures are retried per segment; the file is still exact."""

    @pytest.mark.parametrize(
        "kind", ["server_error", "plain_503", "reset", "truncated_json", "error_200", "rate_limit"]
    )
    async def test_segment_faults(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path, kind: str
    ) -> None:
        """Two faults on segments: retried, and the bytes are the fake's."""
        urn = pick(fake.world, master=False)
        fake.faults.add(kind, route=r"^/cdn/\d+/hls_aac_96/[1-9]\.ts$", times=2)
        await sc.tracks.download(urn, tmp_path / "a.ts", format="hls_aac_96_url")
        assert fake.media.expected_audio(urn, "hls_aac_96") == (tmp_path / "a.ts").read_bytes()
        assert 2 == fake.counters.faults[kind]

    async def test_segments_take_no_api_budget(self, fake: FakeSoundCloud, tmp_path: Path) -> None:
        """Only the API requests (streams, stream URL) ask the rate limiter."""

        class Counting(Unlimited):
            acquired = 0

            async def acquire(self, cost: float = 1.0) -> None:
                Counting.acquired += 1

        async with SoundCloud(
            fake.issue_token(), base_url=fake.base_url, rate_limiter=Counting()
        ) as sc:
            urn = pick(fake.world, master=False)
            await sc.tracks.download(urn, tmp_path / "a.mp3", format="hls_mp3_128_url")
        assert 2 == Counting.acquired
        assert len(segment_hits(fake)) == len(fake.media.segments(urn, "hls_mp3_128"))


class TestResume:
    """An interrupted download resumes from its last complete segment."""

    async def test_interrupted_then_resumed(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """Stopped after 3 segments; the resumed call fetches only the rest (and a probe)."""
        urn = pick(fake.world, master=False)
        dest = tmp_path / "a.m4a"
        with pytest.raises(Stop):
            await sc.tracks.download(urn, dest, resume=True, progress=stop_after(3))
        sidecar = json.loads((tmp_path / "a.m4a.part.json").read_text())
        assert (3, False) == (sidecar["done"], dest.exists())
        text = json.dumps(sidecar)
        assert [] == [word for word in ("http", "Signature", "Policy") if word in text]
        fake.reset_log()
        fake.app[MEDIA_LOG_KEY].clear()
        seen: list[DownloadProgress] = []
        result = await sc.tracks.download(urn, dest, resume=True, progress=seen.append)
        assert fake.media.expected_audio(urn, "hls_aac_160") == dest.read_bytes()
        assert (3, 3) == (result.resumed_from, seen[0].segments_done)
        fetched = [p.rsplit("/", 1)[1] for p in segment_hits(fake)]
        total = len(fake.media.segments(urn, "hls_aac_160"))
        assert ["0.m4s"] + [f"{i}.m4s" for i in range(3, total)] == fetched
        assert ["a.m4a"] == os.listdir(tmp_path)

    async def test_cancelled_then_resumed(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """A cancelled task keeps its part file (resume=True); the resume completes it."""
        urn = pick(fake.world, master=False)
        dest = tmp_path / "a.mp3"
        started = asyncio.Event()

        def progress(p: DownloadProgress) -> None:
            if p.segments_done == 2:
                started.set()

        task = asyncio.create_task(
            sc.tracks.download(urn, dest, format="hls_mp3_128_url", resume=True, progress=progress)
        )
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        done = json.loads((tmp_path / "a.mp3.part.json").read_text())["done"]
        result = await sc.tracks.download(urn, dest, format="hls_mp3_128_url", resume=True)
        assert fake.media.expected_audio(urn, "hls_mp3_128") == dest.read_bytes()
        assert done == result.resumed_from >= 2

    async def test_without_resume_nothing_is_left(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """resume=False: an interrupted download removes its part file and sidecar."""
        urn = pick(fake.world)
        with pytest.raises(Stop):
            await sc.tracks.download(urn, tmp_path / "a.m4a", progress=stop_after(2))
        assert [] == os.listdir(tmp_path)

    async def test_another_format_starts_over(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """A part file of another format is not resumed: the file starts over, correct."""
        urn = pick(fake.world, master=False)
        dest = tmp_path / "a.audio"
        with pytest.raises(Stop):
            await sc.tracks.download(
                urn, dest, format="hls_aac_96_url", resume=True, progress=stop_after(2)
            )
        result = await sc.tracks.download(urn, dest, format="hls_mp3_128_url", resume=True)
        assert (0, fake.media.expected_audio(urn, "hls_mp3_128")) == (
            result.resumed_from,
            dest.read_bytes(),
        )

    async def test_killed_process_then_resumed(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """SIGKILL halfway through (a child process); the resume equals an uninterrupted one."""
        urn = pick(fake.world, master=False, shortest=150_000)  # 16+ segments, 1.6+ s
        dest = tmp_path / "killed.m4a"
        # Slow segments down so the kill lands mid-download, whatever the machine's speed.
        fake.faults.add("slow", route=r"^/cdn/\d+/hls_aac_160/\d+\.m4s$", times=None, delay=0.1)
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            CHILD,
            fake.base_url,
            fake.issue_token(),
            urn,
            str(dest),
            cwd=Path(__file__).parents[2],
        )
        sidecar = tmp_path / "killed.m4a.part.json"
        try:
            # The fake serves from this event loop: wait without blocking it.
            await asyncio.wait_for(recorded(sidecar, 3), timeout=60)
            child.send_signal(signal.SIGKILL)
        finally:
            with contextlib.suppress(ProcessLookupError):
                child.kill()
            await child.wait()
        assert -signal.SIGKILL == child.returncode
        fake.faults.clear()
        kept = json.loads((tmp_path / "killed.m4a.part.json").read_text())["done"]
        result = await sc.tracks.download(urn, dest, resume=True)
        assert fake.media.expected_audio(urn, "hls_aac_160") == dest.read_bytes()
        assert kept == result.resumed_from >= 3
        assert not (tmp_path / "killed.m4a.part").exists()


def done_in(sidecar: Path) -> int:
    """The segments a sidecar records (0 while there is none)."""
    with contextlib.suppress(OSError, ValueError):
        return int(json.loads(sidecar.read_bytes())["done"])
    return 0


async def recorded(sidecar: Path, n: int) -> None:
    """Wait until the sidecar records ``n`` segments (it is checkpointed twice a second)."""
    # Another process writes the file: there is no event to wait on, only polling.
    while done_in(sidecar) < n:  # noqa: ASYNC110
        await asyncio.sleep(0.01)


CHILD = """
import asyncio, sys
from soundcloud_async import SoundCloud, Unlimited
base, token, urn, dest = sys.argv[1:]
def progress(p):
    pass
async def main():
    async with SoundCloud(token, base_url=base, rate_limiter=Unlimited()) as sc:
        await sc.tracks.download(urn, dest, resume=True, progress=progress, concurrency=1)
asyncio.run(main())
"""


class TestIterAudio:
    """iter_audio yields the file's bytes in order and leaks nothing when broken off."""

    async def test_chunks_are_the_file(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """The chunks joined are the fake's init and segments; none exceeds chunk_size."""
        urn = pick(fake.world)
        chunks = [c async for c in sc.tracks.iter_audio(urn, chunk_size=4096)]
        assert fake.media.expected_audio(urn, "hls_aac_160") == b"".join(chunks)
        assert max(len(c) for c in chunks) <= 4096

    async def test_holds_a_few_segments(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A slow consumer: the CDN is never more than `concurrency` segments ahead."""
        urn = pick(fake.world, master=False, shortest=60_000)
        size = len(fake.media.segment_bytes(urn, "hls_mp3_128", 1))
        ahead = []
        consumed = 0
        async with contextlib.aclosing(
            sc.tracks.iter_audio(urn, format="hls_mp3_128_url", chunk_size=size, concurrency=2)
        ) as chunks:
            async for chunk in chunks:
                consumed += len(chunk)
                await asyncio.sleep(0.01)
                ahead.append(len(segment_hits(fake)) - consumed // size)
        assert 0 < max(ahead) <= 2 + 1

    async def test_broken_off_early_leaks_nothing(
        self, fake: FakeSoundCloud, sc: SoundCloud
    ) -> None:
        """aclosing() after a few chunks: no task left, no connection held, no warning."""
        urn = pick(fake.world, master=False, shortest=100_000)
        async with contextlib.aclosing(sc.tracks.iter_audio(urn, chunk_size=1024)) as chunks:
            n = 0
            async for _ in chunks:
                n += 1
                if n == 5:
                    break
        await asyncio.sleep(0)
        assert [] == ours()
        connector = sc._session.connector if sc._session is not None else None
        assert connector is not None
        assert 0 == len(connector._acquired)  # type: ignore[attr-defined]
        total = len(fake.media.segments(urn, "hls_aac_160"))
        assert len(segment_hits(fake)) < total

    async def test_plain_break_is_finalized(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A plain break (no aclosing): the loop finalizes the generator, tasks end."""
        urn = pick(fake.world, master=False, shortest=100_000)
        async for _ in sc.tracks.iter_audio(urn, format="hls_aac_96_url"):
            break
        for _ in range(50):
            await asyncio.sleep(0.01)
            if not ours():
                break
        assert [] == ours()
