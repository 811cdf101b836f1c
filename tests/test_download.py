"""Downloads without a network (``_download``): progressive copies, HLS over mocks, part files."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
from aioresponses import aioresponses

from soundcloud_async import (
    DownloadProgress,
    DownloadResult,
    InvalidArgument,
    SoundCloud,
)
from soundcloud_async._download import _PartFile, _Sidecar, source_id
from soundcloud_async.testing import _audio
from tests.conftest import BASE

CDN = "https://cf-media.sndcdn.com"
SEG = [_audio.mp3_frame(128, f"seg{i}".encode()) * 83 for i in range(3)]  # 1.992 s each


def playlist(signature: str) -> str:
    lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:2"]
    for i in range(3):
        lines += ["#EXTINF:1.992,", f"{CDN}/{i}.mp3?Policy=p&Signature={signature}"]
    return "\n".join([*lines, "#EXT-X-ENDLIST", ""])


def mock_hls(mocked: aioresponses, signature: str = "one") -> None:
    """The stream URL's 302 to a signed playlist on the CDN."""
    location = f"{CDN}/playlist.m3u8?Policy=p&Signature={signature}"
    mocked.get(f"{BASE}/stream/hls", status=302, headers={"Location": location})
    mocked.get(
        location, body=playlist(signature), headers={"Content-Type": "application/x-mpegURL"}
    )


class TestProgressive:
    """A body that is not a playlist is copied as it comes."""

    async def test_to_path(self, mocked: aioresponses, sc: SoundCloud, tmp_path: Path) -> None:
        """The body lands at the path; progress counts bytes; no part file is left."""
        body = _audio.mp3_frame(128, b"p") * 10
        mocked.get(f"{BASE}/media/1.mp3", body=body, headers={"Content-Length": str(len(body))})
        seen: list[DownloadProgress] = []
        dest = tmp_path / "out.mp3"
        result = await sc.tracks.download_url(f"{BASE}/media/1.mp3", dest, progress=seen.append)
        assert DownloadResult(len(body), None, "mp3") == result
        assert body == dest.read_bytes()
        assert (len(body), len(body), None, 1.0) == (
            seen[-1].bytes_done,
            seen[-1].bytes_total,
            seen[-1].segments_total,
            seen[-1].fraction,
        )
        assert ["out.mp3"] == os.listdir(tmp_path)

    async def test_failure_leaves_nothing(
        self, mocked: aioresponses, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """A failed download leaves neither the file nor its part file."""
        mocked.get(f"{BASE}/media/1.mp3", status=404, payload={"code": 404}, repeat=True)
        with pytest.raises(Exception, match="404"):
            await sc.tracks.download_url(f"{BASE}/media/1.mp3", tmp_path / "out.mp3")
        assert [] == os.listdir(tmp_path)

    async def test_to_file_object(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A binary file object is written in place."""
        mocked.get(f"{BASE}/media/1.mp3", body=b"xyz")
        buf = io.BytesIO()
        assert 3 == (await sc.tracks.download_url(f"{BASE}/media/1.mp3", buf)).size
        assert b"xyz" == buf.getvalue()

    @pytest.mark.parametrize(
        ("url", "dest", "kwargs"),
        [
            ("", "x", {}),
            ("ftp://x", "x", {}),
            (f"{BASE}/m", io.StringIO(), {}),
            (f"{BASE}/m", "/no/such/dir/x.mp3", {}),
            (f"{BASE}/m", "x", {"progress": 1}),
            (f"{BASE}/m", "x", {"concurrency": 0}),
            (f"{BASE}/m", io.BytesIO(), {"resume": True}),
        ],
    )
    async def test_invalid(
        self, mocked: aioresponses, sc: SoundCloud, url: str, dest: Any, kwargs: Any
    ) -> None:
        """Bad URLs, destinations and options are refused before any request."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.download_url(url, dest, **kwargs)
        assert {} == mocked.requests


class TestHLSOverMocks:
    """HLS through the transport: Authorization only on the stream URL, links refreshed."""

    async def test_segments_joined(
        self, mocked: aioresponses, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """The playlist's segments are joined; only the API stream URL got Authorization."""
        mock_hls(mocked)
        for i, seg in enumerate(SEG):
            mocked.get(f"{CDN}/{i}.mp3?Policy=p&Signature=one", body=seg)
        result = await sc.tracks.download_url(f"{BASE}/stream/hls", tmp_path / "a.mp3")
        assert b"".join(SEG) == (tmp_path / "a.mp3").read_bytes()
        assert (3, "mp3") == (result.segments, result.container)
        authorized = {
            str(url): "Authorization" in call.kwargs["headers"]
            for (_, url), calls in mocked.requests.items()
            for call in calls
        }
        assert [f"{BASE}/stream/hls"] == [u for u, auth in authorized.items() if auth]

    async def test_expired_segment_refreshes_the_playlist(
        self, mocked: aioresponses, sc: SoundCloud, tmp_path: Path
    ) -> None:
        """A 403 on segment 1 fetches the playlist again and continues from segment 1."""
        mock_hls(mocked, "one")
        mock_hls(mocked, "two")
        mocked.get(f"{CDN}/0.mp3?Policy=p&Signature=one", body=SEG[0])
        mocked.get(f"{CDN}/1.mp3?Policy=p&Signature=one", status=403, body=b"<Error/>")
        mocked.get(f"{CDN}/2.mp3?Policy=p&Signature=one", status=403, body=b"<Error/>")
        for i in (1, 2):
            mocked.get(f"{CDN}/{i}.mp3?Policy=p&Signature=two", body=SEG[i])
        result = await sc.tracks.download_url(
            f"{BASE}/stream/hls", tmp_path / "a.mp3", concurrency=1
        )
        assert b"".join(SEG) == (tmp_path / "a.mp3").read_bytes()
        assert 1 == result.refreshes


class TestPartFile:
    """DEST.part and DEST.part.json: what a resume trusts."""

    def wanted(self) -> _Sidecar:
        return _Sidecar("soundcloud:tracks:1", "hls_mp3_128_url", "mp3", 10, "f" * 32)

    def interrupted(self, tmp_path: Path, done: int, size: int, extra: bytes = b"") -> str:
        path = str(tmp_path / "a.mp3")
        part = _PartFile(path)
        part.open(self.wanted(), resume=False)
        part.commit(b"x" * size, _Sidecar(**{**self.fields(), "done": done, "size": size}))
        assert part.file is not None
        part.file.write(extra)
        part.abandon(keep=True)
        return path

    def fields(self) -> dict[str, Any]:
        w = self.wanted()
        return {
            k: getattr(w, k) for k in ("source", "format", "container", "segments", "fingerprint")
        }

    def test_resume_truncates_to_what_the_sidecar_records(self, tmp_path: Path) -> None:
        """Bytes of a half-written segment after the recorded size are dropped."""
        path = self.interrupted(tmp_path, done=4, size=100, extra=b"half a segment")
        part = _PartFile(path)
        state = part.open(self.wanted(), resume=True)
        assert part.file is not None
        size = os.fstat(part.file.fileno()).st_size
        part.abandon(keep=True)
        assert (4, 100, 100) == (state.done, state.size, size)

    @pytest.mark.parametrize(
        "change", [{"format": "hls_aac_96_url"}, {"fingerprint": "0" * 32}, {"segments": 11}]
    )
    def test_another_source_starts_over(self, tmp_path: Path, change: dict[str, Any]) -> None:
        """A sidecar of another format or playlist is not resumed."""
        path = self.interrupted(tmp_path, done=4, size=100)
        part = _PartFile(path)
        wanted = _Sidecar(**{**self.fields(), **change})
        state = part.open(wanted, resume=True)
        part.abandon(keep=True)
        assert (0, 0, 0) == (state.done, state.size, os.path.getsize(path + ".part"))

    def test_part_shorter_than_recorded_starts_over(self, tmp_path: Path) -> None:
        """A part file shorter than the sidecar claims (lost writes) is not trusted."""
        path = self.interrupted(tmp_path, done=4, size=100)
        with open(path + ".part", "r+b") as f:
            f.truncate(50)
        part = _PartFile(path)
        state = part.open(self.wanted(), resume=True)
        part.abandon(keep=False)
        assert 0 == state.done
        assert [] == os.listdir(tmp_path)

    def test_a_second_writer_is_refused(self, tmp_path: Path) -> None:
        """Two downloads into one path at once: the second is refused."""
        path = str(tmp_path / "a.mp3")
        first = _PartFile(path)
        first.open(self.wanted(), resume=False)
        try:
            with pytest.raises(InvalidArgument, match="another download"):
                _PartFile(path).open(self.wanted(), resume=False)
        finally:
            first.abandon(keep=False)

    def test_sidecar_holds_no_url_or_secret(self, tmp_path: Path) -> None:
        """The sidecar names the source by URN or a hash; signed URLs never appear."""
        url = f"{CDN}/playlist.m3u8?Policy=secretpolicy&Signature=secretsig"
        record = _Sidecar(source_id(url), None, "mp3", 3, "f" * 32).to_json()
        data = orjson.loads(record)
        assert data["source"].startswith("sha256:")
        assert [] == [word for word in (b"secret", b"http") if word in record]
        assert source_id(url) == source_id(f"{CDN}/playlist.m3u8?Signature=other")
        assert "soundcloud:tracks:1" == source_id("soundcloud:tracks:1")


class TestResult:
    """Small conveniences of the result and progress objects."""

    @pytest.mark.parametrize(
        ("container", "extension"),
        [("mp4", "m4a"), ("mpegts", "ts"), ("mp3", "mp3"), ("adts", "aac"), ("unknown", "bin")],
    )
    def test_extension(self, container: str, extension: str) -> None:
        """Each container has its usual extension."""
        assert extension == DownloadResult(1, None, container).extension

    def test_fraction(self) -> None:
        """By segments for HLS, by bytes for progressive, None when unknown."""
        assert (0.25, 0.5, None) == (
            DownloadProgress(10, None, 1, 4).fraction,
            DownloadProgress(5, 10).fraction,
            DownloadProgress(5).fraction,
        )


class TestCheckpoints:
    """The sidecar is rewritten at most every SYNC_INTERVAL, and always on stopping."""

    def test_interval(self, tmp_path: Path) -> None:
        """Commits inside the interval do not touch the sidecar; one after it does."""
        from soundcloud_async._download import SYNC_INTERVAL

        def at(done: int) -> _Sidecar:
            return _Sidecar("soundcloud:tracks:1", None, "mp3", 10, "f" * 32, done, 10 * done)

        now = [0.0]
        path = str(tmp_path / "a.mp3")
        sidecar = tmp_path / "a.mp3.part.json"
        part = _PartFile(path, clock=lambda: now[0])
        part.open(at(0), resume=False)
        part.commit(b"a" * 10, at(1))
        early = sidecar.exists()
        now[0] += SYNC_INTERVAL
        part.commit(b"b" * 10, at(2))
        recorded = orjson.loads(sidecar.read_bytes())["done"]
        part.commit(b"c" * 10, at(3))
        still = orjson.loads(sidecar.read_bytes())["done"]
        part.abandon(keep=True)
        final = orjson.loads(sidecar.read_bytes())
        assert (False, 2, 2, 3, 30) == (early, recorded, still, final["done"], final["size"])
        assert 30 == os.path.getsize(path + ".part")
