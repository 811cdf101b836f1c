"""``sc.tracks`` over real TCP against FakeSoundCloud: every operation, state changes."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from soundcloud_async import (
    DownloadProgress,
    Forbidden,
    InvalidArgument,
    NotFound,
    RateLimited,
    RetryPolicy,
    SoundCloud,
    Unlimited,
)
from soundcloud_async.models import StorefrontUpdate, TrackMetadata
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


def own_track(fake: FakeSoundCloud) -> str:
    """A track owned by the fake's default user."""
    w = fake.world
    u = w.user_index(w.default_user_urn)
    return str(w.track_urn(next(iter(w.user_tracks(u).live_keys()))))


async def some_tracks(sc: SoundCloud, n: int = 3) -> list[str]:
    """URNs of the first ``n`` tracks a search returns."""
    return [str(t.urn) async for t in sc.tracks.iter_search(max_items=n)]


async def commentable_track(sc: SoundCloud) -> str:
    """The URN of the first track a search returns that takes comments."""
    async for track in sc.tracks.iter_search(limit=50):
        if track.commentable:
            return str(track.urn)
    pytest.fail("no commentable track in the world")


@pytest.fixture
async def spam_fake() -> AsyncIterator[FakeSoundCloud]:
    """A fake whose spam rule blocks the second comment."""
    async with FakeSoundCloud(seed=1, spam_after=1) as server:
        yield server


class TestReads:
    """Search, get and the collections of a track."""

    async def test_search_filters(self, sc: SoundCloud) -> None:
        """A filtered search returns tracks matching the filters."""
        tracks = await sc.tracks.iter_search(
            duration=(1, 10**9), access="playable", limit=5, max_items=5
        ).collect()
        assert tracks
        assert all(t.access == "playable" for t in tracks)

    async def test_search_by_urns(self, sc: SoundCloud) -> None:
        """``urns`` returns exactly those tracks."""
        urns = await some_tracks(sc, 2)
        found = sc.tracks.iter_search(urns=urns, access=["playable", "preview", "blocked"])
        assert sorted(urns) == sorted(str(t.urn) for t in await found.collect())

    async def test_get(self, sc: SoundCloud) -> None:
        """``get`` returns the track asked for."""
        (urn,) = await some_tracks(sc, 1)
        assert urn == (await sc.tracks.get(urn)).urn

    async def test_get_unknown(self, sc: SoundCloud) -> None:
        """An unknown track is NotFound."""
        with pytest.raises(NotFound):
            await sc.tracks.get("soundcloud:tracks:1")

    @pytest.mark.parametrize(
        "method", ["iter_comments", "iter_favoriters", "iter_reposters", "iter_related"]
    )
    async def test_collections(self, fake: FakeSoundCloud, sc: SoundCloud, method: str) -> None:
        """Each collection pages its route to the end."""
        (urn,) = await some_tracks(sc, 1)
        fake.reset_log()
        await getattr(sc.tracks, method)(urn, limit=2, max_items=5).collect()
        suffix = method.removeprefix("iter_")
        assert 1 <= fake.count("GET", f"/tracks/{urn}/{suffix}")


class TestWrites:
    """Update, delete, storefront and comments change the fake's state."""

    async def test_update_json(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A JSON update changes the stored track."""
        urn = own_track(fake)
        updated = await sc.tracks.update(
            urn, TrackMetadata(title="Renamed", genre="Ambient", streamable=False)
        )
        stored = fake.world.track(urn)
        assert ("Renamed", "Ambient") == (updated.title, updated.genre)
        assert ("Renamed", False) == (stored["title"], stored["streamable"])

    async def test_update_with_artwork(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A multipart update with artwork changes the fields too."""
        urn = own_track(fake)
        seen: list[tuple[int, int | None]] = []
        updated = await sc.tracks.update(
            urn,
            {"description": "with art"},
            artwork=b"\x89PNG" + b"\0" * 1000,
            progress=lambda d, t: seen.append((d, t)),
        )
        assert "with art" == updated.description
        assert "with art" == fake.world.track(urn)["description"]
        assert (1004, 1004) == seen[-1]

    async def test_delete(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A deleted track is gone."""
        urn = own_track(fake)
        await sc.tracks.delete(urn)
        assert None is fake.world.track(urn)
        with pytest.raises(NotFound):
            await sc.tracks.get(urn)

    async def test_storefront(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """The storefront is stored as sent."""
        urn = own_track(fake)
        front = await sc.tracks.set_storefront(
            urn, StorefrontUpdate(title="Vinyl", type="vinyl", link="https://shop.example/x")
        )
        assert ("Vinyl", urn) == (front.title, front.track_urn)
        t = fake.world.track_index(urn)
        assert "https://shop.example/x" == fake.world.storefront(t)["link"]

    async def test_storefront_not_owner(self, sc: SoundCloud) -> None:
        """Someone else's track answers 403."""
        (urn,) = await some_tracks(sc, 1)
        with pytest.raises(Forbidden):
            await sc.tracks.set_storefront(
                urn, {"title": "x", "type": "cd", "link": "https://x.example"}
            )

    async def test_comment_with_timestamp(self, sc: SoundCloud) -> None:
        """A comment is stored with its position in the track."""
        urn = await commentable_track(sc)
        comment = await sc.tracks.comment(urn, "the drop!", timestamp_ms=61_500)
        assert ("the drop!", 61_500) == (comment.body, comment.timestamp)
        newest = await sc.tracks.iter_comments(urn, max_items=1).collect()
        assert [(comment.urn, 61_500)] == [(c.urn, c.timestamp) for c in newest]

    async def test_spam_429_surfaces(self, spam_fake: FakeSoundCloud) -> None:
        """A spam block is a RateLimited with spam_warning_urn, sent once, not retried."""
        async with SoundCloud(
            spam_fake.issue_token(),
            base_url=spam_fake.base_url,
            rate_limiter=Unlimited(),
            retry=RetryPolicy(wait=False),
        ) as sc:
            urn = await commentable_track(sc)
            await sc.tracks.comment(urn, "first")
            with pytest.raises(RateLimited) as info:
                await sc.tracks.comment(urn, "second")
        assert "soundcloud:spam-warnings:1" == info.value.spam_warning_urn
        assert 2 == spam_fake.count("POST", f"/tracks/{urn}/comments")


class TestMedia:
    """Streams, preview and downloads, with Authorization kept off the CDN host."""

    async def test_streams_and_preview(self, sc: SoundCloud) -> None:
        """Streams are typed URLs; the preview's 302 becomes its URL."""
        urn = (await sc.tracks.iter_search(access="playable", max_items=1).collect())[0].urn
        assert urn is not None
        streams = await sc.tracks.streams(urn)
        preview = await sc.tracks.preview_url(urn)
        assert streams.hls_aac_160_url is not None
        assert streams.preview_mp3_128_url == preview

    async def test_download_across_hosts(
        self, fake: FakeSoundCloud, sc: SoundCloud, tmp_path: Any
    ) -> None:
        """A download follows the CDN redirect; Authorization reaches the API host only."""
        from soundcloud_async.testing._api import MEDIA_LOG_KEY

        urn = (await sc.tracks.iter_search(access="playable", max_items=1).collect())[0].urn
        assert urn is not None
        seen: list[DownloadProgress] = []
        dest = tmp_path / "song.m4a"
        result = await sc.tracks.download(urn, dest, progress=seen.append)
        hits = fake.app[MEDIA_LOG_KEY]
        assert result.size == dest.stat().st_size == seen[-1].bytes_done > 0
        assert [True] + [False] * (len(hits) - 1) == [h.authorization for h in hits]
        assert hits[0].host != hits[1].host
        assert all(h.path.startswith("/cdn/") for h in hits[1:])
        cdn = [r for r in fake.requests if r.path.startswith("/cdn/")]
        assert not any(r.had_authorization for r in cdn)
        assert ["song.m4a"] == os.listdir(tmp_path)

    async def test_iter_audio_matches_download(self, sc: SoundCloud, tmp_path: Any) -> None:
        """The chunks of ``iter_audio`` are the bytes ``download`` writes."""
        urn = (await sc.tracks.iter_search(access="playable", max_items=1).collect())[0].urn
        assert urn is not None
        streams = await sc.tracks.streams(urn)
        chunks = [c async for c in sc.tracks.iter_audio(streams, chunk_size=4096)]
        await sc.tracks.download(streams, tmp_path / "a.m4a")
        assert (tmp_path / "a.m4a").read_bytes() == b"".join(chunks)
        assert all(len(c) <= 4096 for c in chunks)

    async def test_preview_url_download(self, sc: SoundCloud) -> None:
        """A preview URL downloads with ``download_url`` and ``iter_url``."""
        import io

        (urn,) = await some_tracks(sc, 1)
        url = await sc.tracks.preview_url(urn)
        buf = io.BytesIO()
        result = await sc.tracks.download_url(url, buf)
        streamed = b"".join([c async for c in sc.tracks.iter_url(url)])
        assert result.size == len(buf.getvalue()) > 0
        assert buf.getvalue() == streamed


class TestValidation:
    """Invalid arguments fail before any request reaches the fake."""

    @pytest.mark.parametrize(
        ("method", "args", "kwargs"),
        [
            ("get", ("soundcloud:users:1",), {}),
            ("update", ("soundcloud:tracks:1", {}), {}),
            ("update", ("soundcloud:tracks:1", {"license": "mine"}), {}),
            ("delete", ("not a urn",), {}),
            ("set_storefront", (1, {"title": "t", "type": "boat", "link": "https://x"}), {}),
            ("comment", (1, " "), {}),
            ("comment", (1, "x"), {"timestamp_ms": -5}),
            ("comment", (1, "x"), {"timestamp_ms": float("inf")}),
            ("comment", (1, "x"), {"timestamp_ms": float("nan")}),
            ("upload", (b"x",), {}),
            ("upload", ("/no/such.mp3",), {"title": "t"}),
            ("streams", ("soundcloud:playlists:1",), {}),
            ("preview_url", (1,), {"secret_token": 3}),
            ("download", (1, 42), {}),
        ],
    )
    async def test_nothing_sent(
        self,
        fake: FakeSoundCloud,
        sc: SoundCloud,
        method: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        """Each bad call raises InvalidArgument and the fake sees no request."""
        with pytest.raises(InvalidArgument):
            await getattr(sc.tracks, method)(*args, **kwargs)
        assert [] == fake.requests

    async def test_search_nothing_sent(self, fake: FakeSoundCloud, sc: SoundCloud) -> None:
        """A bad search filter raises before the first page is asked for."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.iter_search(bpm=(200, 100)).collect()
        assert [] == fake.requests
