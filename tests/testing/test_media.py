"""The fake's media rooms over loopback: stream hops, signed CDN links, HLS, the oracle."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import m3u8
import pytest

from soundcloud_async.testing import FakeSoundCloud, ManualClock
from soundcloud_async.testing._media import FORMATS, FakeMedia
from soundcloud_async.testing._world import World
from tests.ffprobe import DURATION_TOLERANCE, decode_errors, probe
from tests.testing.conftest import bearer


def short_track(world: World, *, master: bool | None = None, longest: int = 200_000) -> str:
    """A public, playable track shorter than ``longest`` ms (with a master playlist or not)."""
    media = FakeMedia(world)
    for t in world.all_tracks().live_keys():
        meta = world.track_meta(t)
        if meta.private or meta.access != 0:
            continue
        urn = world.track_urn(t)
        if world.track_dict(t)["duration"] > longest:
            continue
        if master is None or media.has_master(urn) == master:
            return urn
    raise AssertionError("no such track in the world")


async def hop(http: aiohttp.ClientSession, url: str, token: str) -> str:
    """Follow one stream URL's 302 (with auth) and return the CDN location."""
    async with http.get(url, headers=bearer(token), allow_redirects=False) as resp:
        assert 302 == resp.status, await resp.text()
        return resp.headers["Location"]


async def fetch(http: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with http.get(url, allow_redirects=False) as resp:
        return resp.status, await resp.read()


async def streams(fake: FakeSoundCloud, http: aiohttp.ClientSession, urn: str, token: str) -> dict:
    async with http.get(fake.url(f"/tracks/{urn}/streams"), headers=bearer(token)) as resp:
        assert 200 == resp.status
        return dict(await resp.json())


class TestStreamHop:
    """Stream URLs are on the API host, need auth, and answer 302 to a signed CDN URL."""

    async def test_hop_goes_to_the_other_host_signed(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Each HLS stream URL redirects to the other loopback host name, signed."""
        urn = short_track(fake.world)
        found = await streams(fake, http, urn, token)
        for name in ("hls_aac_160_url", "hls_mp3_128_url", "hls_aac_96_url"):
            location = urlsplit(await hop(http, found[name], token))
            assert ("localhost", fake.port) == (location.hostname, location.port)
            assert {"Policy", "Signature", "Key-Pair-Id"} <= {
                kv.split("=")[0] for kv in location.query.split("&")
            }

    async def test_hop_needs_auth(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Without Authorization the stream URL is 401."""
        found = await streams(fake, http, short_track(fake.world), token)
        status, _ = await fetch(http, found["hls_mp3_128_url"])
        assert 401 == status

    async def test_refused_full_length_keeps_the_preview(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """refuse_full_length: every full-length hop is 403, the preview still redirects."""
        urn = short_track(fake.world)
        fake.media.refuse_full_length(urn)
        found = await streams(fake, http, urn, token)
        statuses = {}
        for name, url in found.items():
            async with http.get(url, headers=bearer(token), allow_redirects=False) as resp:
                statuses[name] = resp.status
        assert {
            "hls_aac_160_url": 403,
            "hls_aac_96_url": 403,
            "hls_mp3_128_url": 403,
            "http_mp3_128_url": 403,
            "preview_mp3_128_url": 302,
        } == statuses


class TestSignedLinks:
    """CDN links carry a CloudFront-style signature that expires."""

    async def test_unsigned_and_tampered_are_403(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """No signature, or a signature of another resource, is 403 CloudFront XML."""
        found = await streams(fake, http, short_track(fake.world), token)
        url = await hop(http, found["hls_mp3_128_url"], token)
        unsigned = url.split("?")[0]
        other = url.replace("/hls_mp3_128/", "/hls_aac_96/")
        results = [await fetch(http, unsigned), await fetch(http, other)]
        assert [403, 403] == [status for status, _ in results]
        assert all(b"<Code>AccessDenied</Code>" in body for _, body in results)

    async def test_links_expire_with_the_wall_clock(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, clock: ManualClock
    ) -> None:
        """A link works until link_lifetime has passed on the wall clock, then says expired."""
        found = await streams(fake, http, short_track(fake.world), token)
        url = await hop(http, found["hls_mp3_128_url"], token)
        before = await fetch(http, url)
        await clock.advance(fake.media.link_lifetime - 1)
        still = await fetch(http, url)
        await clock.advance(2)
        after = await fetch(http, url)
        fresh = await fetch(http, await hop(http, found["hls_mp3_128_url"], token))
        assert [200, 200, 403, 200] == [before[0], still[0], after[0], fresh[0]]
        assert b"Request has expired" in after[1]

    async def test_expire_links(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """expire_links() spoils every link issued so far, not the ones issued after."""
        found = await streams(fake, http, short_track(fake.world), token)
        url = await hop(http, found["hls_aac_96_url"], token)
        fake.media.expire_links()
        old = await fetch(http, url)
        new = await fetch(http, await hop(http, found["hls_aac_96_url"], token))
        assert (403, 200, 1) == (old[0], new[0], fake.media.denied)


class TestPlaylists:
    """Playlists list signed segments whose bytes are the oracle's."""

    @pytest.mark.parametrize("variant", sorted(FORMATS))
    async def test_segments_are_the_oracles(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str, variant: str
    ) -> None:
        """Init (fMP4) then segments, fetched as listed, join to expected_audio()."""
        urn = short_track(fake.world, master=False)
        found = await streams(fake, http, urn, token)
        url = await hop(http, found[f"{variant}_url"], token)
        status, text = await fetch(http, url)
        playlist = m3u8.loads(text.decode(), uri=url)
        parts = []
        if playlist.segment_map:
            parts.append((await fetch(http, playlist.segment_map[0].absolute_uri))[1])
        for segment in playlist.segments:
            seg_status, body = await fetch(http, segment.absolute_uri)
            assert 200 == seg_status
            parts.append(body)
        plan = fake.media.segments(urn, variant)
        assert (200, True) == (status, playlist.is_endlist)
        assert [round(s.seconds, 6) for s in plan] == [s.duration for s in playlist.segments]
        assert fake.media.expected_audio(urn, variant) == b"".join(parts)
        assert len(set(parts)) == len(parts), "every segment's bytes are unique"

    async def test_master_playlist(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """Some tracks' hls_aac_160 URL leads to a master naming two signed variants."""
        urn = short_track(fake.world, master=True)
        found = await streams(fake, http, urn, token)
        url = await hop(http, found["hls_aac_160_url"], token)
        _, text = await fetch(http, url)
        master = m3u8.loads(text.decode(), uri=url)
        variants = {p.stream_info.bandwidth: p.absolute_uri for p in master.playlists}
        status, body = await fetch(http, variants[max(variants)])
        assert (True, [100_000, 170_000]) == (master.is_variant, sorted(variants))
        assert (200, "/hls_aac_160/playlist.m3u8") == (
            status,
            urlsplit(variants[max(variants)]).path[-len("/hls_aac_160/playlist.m3u8") :],
        )
        assert body.startswith(b"#EXTM3U")

    async def test_faults_apply_to_segments(
        self, fake: FakeSoundCloud, http: aiohttp.ClientSession, token: str
    ) -> None:
        """A scripted fault on /cdn/* spoils a segment once; the next request is clean."""
        urn = short_track(fake.world, master=False)
        found = await streams(fake, http, urn, token)
        url = await hop(http, found["hls_mp3_128_url"], token)
        _, text = await fetch(http, url)
        segment = m3u8.loads(text.decode(), uri=url).segments[1].absolute_uri
        fake.faults.add("server_error", route="/cdn/*", times=1)
        first = await fetch(http, segment)
        second = await fetch(http, segment)
        assert (500, 200) == (first[0], second[0])
        assert fake.media.segment_bytes(urn, "hls_mp3_128", 1) == second[1]


class TestAudio:
    """The oracle's audio is real: ffprobe reads it and it lasts the track's duration."""

    @pytest.mark.parametrize(
        ("variant", "format_name", "codec"),
        [
            ("hls_aac_160", "mov,mp4,m4a,3gp,3g2,mj2", "aac"),
            ("hls_mp3_128", "mp3", "mp3"),
            ("hls_aac_96", "mpegts", "aac"),
            ("http_mp3_128", "mp3", "mp3"),
        ],
    )
    def test_ffprobe(self, tmp_path: Path, variant: str, format_name: str, codec: str) -> None:
        """Each variant's whole file decodes without an error, for its full duration."""
        world = World.generate(seed=0, size="tiny")
        media = FakeMedia(world)
        urn = short_track(world)
        path = tmp_path / "audio.bin"
        path.write_bytes(media.expected_audio(urn, variant))
        info = probe(path)
        assert format_name == info["format"]["format_name"]
        assert [codec] == [s["codec_name"] for s in info["streams"]]
        assert float(info["format"]["duration"]) == pytest.approx(
            media.duration(urn), abs=DURATION_TOLERANCE
        )
        assert "" == decode_errors(path)

    def test_preview_is_thirty_seconds(self, tmp_path: Path) -> None:
        """The preview is the first 30 seconds of a longer track."""
        world = World.generate(seed=0, size="tiny")
        media = FakeMedia(world)
        urn = next(
            world.track_urn(t)
            for t in world.all_tracks().live_keys()
            if 60_000 < world.track_dict(t)["duration"] < 600_000
        )
        path = tmp_path / "preview.mp3"
        path.write_bytes(media.expected_audio(urn, "preview_mp3_128_url"))
        assert float(probe(path)["format"]["duration"]) == pytest.approx(30.0, abs=0.03)

    def test_deterministic(self) -> None:
        """Two fakes of the same world serve the same bytes."""
        a = FakeMedia(World.generate(seed=3, size="tiny"))
        b = FakeMedia(World.generate(seed=3, size="tiny"))
        urn = short_track(a.world)
        assert a.expected_audio(urn, "hls_aac_96") == b.expected_audio(urn, "hls_aac_96")
