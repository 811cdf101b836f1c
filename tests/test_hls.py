"""HLS without a network (``_hls``): playlists, containers, segment checks, format choice."""

from __future__ import annotations

from typing import Any

import pytest

from soundcloud_async import InvalidArgument, PreviewOnly
from soundcloud_async._errors import DecodeError
from soundcloud_async._hls import (
    MasterPlaylist,
    MediaPlaylist,
    audio_seconds,
    candidates,
    check_concurrency,
    check_segment,
    parse_playlist,
    sniff_container,
)
from soundcloud_async.models import Streams
from soundcloud_async.testing import _audio

CDN = "https://cf-hls-media.sndcdn.com/media/0/1/abc"

MEDIA = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:10
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="init.mp4?Policy=p&Signature=s"
#EXTINF:1.985,
0.m4s?Policy=p&Signature=s
#EXTINF:9.98,
https://other.cdn.example/media/1.m4s?Policy=p&Signature=s
#EXT-X-ENDLIST
"""


def mp3(frames: int, marker: bytes = b"x") -> bytes:
    """``frames`` silent 128 kbit/s MP3 frames (24 ms each)."""
    return _audio.mp3_frame(128, marker) * frames


def ts(frames: int) -> bytes:
    """An MPEG-TS segment of ``frames`` ADTS frames (21.33 ms each)."""
    frame = _audio.adts_frame(_audio.aac_frame_size(96), b"y")
    return _audio.ts_segment(index=0, first_frame=0, frames=frames, frame=frame, audio_cc=0)


def fragment(frames: int) -> bytes:
    raw = _audio.aac_raw_frame(_audio.aac_frame_size(160) - 7, b"z")
    return _audio.mp4_fragment(index=0, first_frame=0, frames=frames, frame=raw)


class TestParsePlaylist:
    """Playlists become absolute segment URLs, an init URL, or variants."""

    def test_media_playlist(self) -> None:
        """Relative URIs resolve against the playlist's URL; durations are kept."""
        playlist = parse_playlist(MEDIA, f"{CDN}/playlist.m3u8?Policy=p")
        assert isinstance(playlist, MediaPlaylist)
        assert f"{CDN}/init.mp4?Policy=p&Signature=s" == playlist.init_url
        assert [
            f"{CDN}/0.m4s?Policy=p&Signature=s",
            "https://other.cdn.example/media/1.m4s?Policy=p&Signature=s",
        ] == [s.url for s in playlist.segments]
        assert [1.985, 9.98] == [s.duration for s in playlist.segments]

    def test_fingerprint_ignores_the_links(self) -> None:
        """A refreshed playlist (new signatures) has the same fingerprint; other audio not."""
        a = parse_playlist(MEDIA, f"{CDN}/playlist.m3u8")
        b = parse_playlist(MEDIA.replace("Signature=s", "Signature=t"), f"{CDN}/p.m3u8")
        c = parse_playlist(MEDIA.replace("9.98", "9.99"), f"{CDN}/playlist.m3u8")
        assert isinstance(a, MediaPlaylist)
        assert isinstance(b, MediaPlaylist)
        assert isinstance(c, MediaPlaylist)
        assert (True, False) == (a.fingerprint == b.fingerprint, a.fingerprint == c.fingerprint)

    def test_master_picks_the_highest_bandwidth(self) -> None:
        """A master playlist's best variant is its highest BANDWIDTH."""
        text = (
            "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=96000\nlow/p.m3u8\n"
            "#EXT-X-STREAM-INF:BANDWIDTH=160000\nhigh/p.m3u8?x=1\n"
        )
        master = parse_playlist(text, f"{CDN}/master.m3u8")
        assert isinstance(master, MasterPlaylist)
        assert f"{CDN}/high/p.m3u8?x=1" == master.best()

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("<html>Access denied</html>", "no #EXTM3U"),
            ("#EXTM3U\n#EXT-X-ENDLIST\n", "without segments"),
            ("#EXTM3U\n#EXTINF:10,\na.ts\n", "live playlist"),
            (
                '#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k"\n#EXTINF:10,\na.ts\n#EXT-X-ENDLIST\n',
                "encrypted",
            ),
            ("#EXTM3U\n#EXT-X-BYTERANGE:100@0\n#EXTINF:10,\na.ts\n#EXT-X-ENDLIST\n", "byte-range"),
            ("#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n", "without variants"),
        ],
    )
    def test_refused(self, text: str, reason: str) -> None:
        """What cannot become a complete file is a DecodeError that says why."""
        with pytest.raises(DecodeError, match=reason):
            parse_playlist(text, f"{CDN}/playlist.m3u8")


class TestContainers:
    """Segments are recognised by their bytes and checked whole."""

    @pytest.mark.parametrize(
        ("data", "container"),
        [
            (mp3(3), "mp3"),
            (b"ID3\x04\x00\x00\x00\x00\x00\x05hello" + mp3(2), "mp3"),
            (_audio.adts_frame(256, b"a") * 2, "adts"),
            (ts(8), "mpegts"),
            (_audio.mp4_init(160), "mp4"),
            (fragment(4), "mp4"),
            (b"OggS\x00\x02", "ogg"),
            (b'{"error": "nope"}', "unknown"),
            (b"<?xml version='1.0'?><Error/>", "unknown"),
        ],
    )
    def test_sniff(self, data: bytes, container: str) -> None:
        """The first bytes name the container."""
        assert container == sniff_container(data)

    def test_whole_segments_pass(self) -> None:
        """Whole segments of each container pass and report their audio's length."""
        assert check_segment("mp3", mp3(417), 10.008)
        assert check_segment("mpegts", ts(469), 10.005)
        assert check_segment("mp4", fragment(469), 10.005)
        assert 417 * 0.024 == pytest.approx(audio_seconds("mp3", mp3(417)))
        assert 469 * 1024 / 48000 == pytest.approx(audio_seconds("mpegts", ts(469)))

    @pytest.mark.parametrize(
        ("container", "data", "duration"),
        [
            ("mp3", mp3(417)[:-100], 10.008),  # cut inside a frame
            ("mp3", mp3(417)[: 384 * 208], 10.008),  # cut on a frame boundary: too short
            ("mpegts", ts(469)[: 188 * 20], 10.005),  # cut on a packet, inside a PES
            ("mpegts", ts(469)[:-1], 10.005),  # not whole packets
            ("mp4", fragment(469)[:-10], 10.005),  # mdat cut
            ("mp4", fragment(469)[: len(fragment(1)) - 8 - 420], 10.005),  # moof only
            ("mp3", b'{"code": 500}', 10.0),  # an error body
            ("mp3", b"", 10.0),
        ],
    )
    def test_broken_segments_fail(self, container: str, data: bytes, duration: float) -> None:
        """A cut, foreign or empty body is not a segment (the downloader retries it)."""
        assert not check_segment(container, data, duration)

    def test_ts_cut_on_a_pes_boundary_is_too_short(self) -> None:
        """Half a TS segment cut exactly between PES packets is caught by its duration."""
        whole = ts(469)
        packets = [whole[i : i + 188] for i in range(0, len(whole), 188)]
        starts = [i for i, p in enumerate(packets) if p[1] & 0x40 and i > len(packets) // 2]
        cut = b"".join(packets[: starts[0]])
        assert audio_seconds("mpegts", cut) is not None
        assert not check_segment("mpegts", cut, 10.005)


class TestCandidates:
    """Which formats are tried, in which order."""

    def streams(self, **urls: str) -> Streams:
        return Streams(**{f"{k}_url": v for k, v in urls.items()})

    def test_preference(self) -> None:
        """No format: AAC 160, then MP3 128, then AAC 96; never the progressive one."""
        s = self.streams(
            hls_aac_96="a96",
            hls_mp3_128="m",
            hls_aac_160="a160",
            http_mp3_128="p",
            preview_mp3_128="v",
        )
        expected = [
            ("hls_aac_160_url", "a160"),
            ("hls_mp3_128_url", "m"),
            ("hls_aac_96_url", "a96"),
        ]
        assert expected == candidates(s, None)

    def test_explicit(self) -> None:
        """A format asked for is the only candidate."""
        s = self.streams(hls_aac_160="a", http_mp3_128="p")
        assert [("http_mp3_128_url", "p")] == candidates(s, "http_mp3_128_url")

    @pytest.mark.parametrize(
        ("urls", "format", "error"),
        [
            ({"preview_mp3_128": "v"}, None, PreviewOnly),
            ({"http_mp3_128": "p", "preview_mp3_128": "v"}, None, InvalidArgument),
            ({"hls_aac_160": "a"}, "hls_mp3_128_url", InvalidArgument),
            ({}, None, InvalidArgument),
        ],
    )
    def test_refused(self, urls: dict[str, str], format: str | None, error: Any) -> None:
        """Preview-only, progressive-only, not offered, nothing: a clear error."""
        with pytest.raises(error):
            candidates(self.streams(**urls), format)

    @pytest.mark.parametrize("value", [0, 17, True, 2.0, "4"])
    def test_concurrency(self, value: object) -> None:
        """Concurrency is an int from 1 to 16."""
        with pytest.raises(InvalidArgument):
            check_concurrency(value)
