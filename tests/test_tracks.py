"""``sc.tracks`` with aioresponses: paths, query parameters, bodies and validation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from soundcloud_async import (
    DecodeError,
    InvalidArgument,
    InvalidURN,
    PreviewOnly,
    RateLimited,
    SoundCloud,
    Streams,
)
from soundcloud_async._resources._params import Range
from soundcloud_async.models import StorefrontType, StorefrontUpdate, TrackMetadata
from tests.conftest import BASE

TRACK = {"kind": "track", "urn": "soundcloud:tracks:123", "id": 123, "title": "Flickermood"}
T = f"{BASE}/tracks/soundcloud:tracks:123"
CET = dt.timezone(dt.timedelta(hours=1))
SPAM = {"code": 429, "message": "spam", "spam_warning_urn": "soundcloud:spam-warnings:1"}


def sent(mocked: aioresponses, method: str, url: str) -> list[Any]:
    """The calls aioresponses saw for ``method url`` (query string included)."""
    return list(mocked.requests.get((method, URL(url)), []))


def only_call(mocked: aioresponses) -> tuple[str, URL, dict[str, Any]]:
    """The single request aioresponses saw."""
    ((key, calls),) = mocked.requests.items()
    assert 1 == len(calls)
    return key[0], key[1], calls[0].kwargs


class TestSearch:
    """``iter_search`` turns typed filters into the spec's query parameters."""

    async def test_filters(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """Every filter is encoded: csv lists, deepObject ranges in UTC, access."""
        mocked.get(re.compile(rf"^{re.escape(BASE)}/tracks\?.*"), payload={"collection": [TRACK]})
        found = await sc.tracks.iter_search(
            q="hello",
            urns=[1, "soundcloud:tracks:2"],
            genres=["Pop", "House"],
            tags="a, b",
            bpm=(120, 130),
            duration=Range(low=1000),
            created_at=(
                dt.datetime(2020, 12, 24, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))),
                None,
            ),
            access=["playable", "preview"],
            limit=10,
        ).collect()
        _, url, _ = only_call(mocked)
        assert ["Flickermood"] == [t.title for t in found]
        assert {
            "q": "hello",
            "urns": "soundcloud:tracks:1,soundcloud:tracks:2",
            "genres": "Pop,House",
            "tags": "a,b",
            "bpm[from]": "120",
            "bpm[to]": "130",
            "duration[from]": "1000",
            "created_at[from]": "2020-12-24 00:00:00",
            "access": "playable,preview",
            "limit": "10",
            "linked_partitioning": "true",
        } == dict(url.query)

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"q": 5},
            {"urns": "soundcloud:tracks:1"},
            {"urns": ["soundcloud:users:1"]},
            {"genres": [1]},
            {"tags": ""},
            {"bpm": (130, 120)},
            {"duration": (-1, None)},
            {"access": "everything"},
            {"limit": 0},
        ],
    )
    async def test_invalid(self, mocked: aioresponses, sc: SoundCloud, kwargs: Any) -> None:
        """A malformed filter raises InvalidArgument before any request."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.iter_search(**kwargs).collect()
        assert {} == mocked.requests


class TestReads:
    """Single objects, collections and the 302 preview."""

    async def test_get_with_secret_token(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``get`` sends the secret token as a query parameter."""
        mocked.get(f"{T}?secret_token=s-1", payload=TRACK)
        track = await sc.tracks.get(123, secret_token="s-1")
        assert "soundcloud:tracks:123" == track.urn

    async def test_streams(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``streams`` gives typed URLs."""
        mocked.get(f"{T}/streams", payload={"http_mp3_128_url": "https://x/1.mp3"})
        streams = await sc.tracks.streams("https://api.soundcloud.com/tracks/123")
        assert Streams(http_mp3_128_url="https://x/1.mp3") == streams

    async def test_preview_location_header(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``preview_url`` reads the 302's Location header."""
        mocked.get(f"{T}/preview", status=302, headers={"Location": "https://cdn/p.mp3"}, body=b"")
        assert "https://cdn/p.mp3" == await sc.tracks.preview_url(123)

    async def test_preview_body_fallback(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """Without a Location header the body's ``location`` is used."""
        mocked.get(
            f"{T}/preview", status=302, payload={"status": "302 - Found", "location": "https://b/p"}
        )
        assert "https://b/p" == await sc.tracks.preview_url(123)

    async def test_preview_without_location(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A 302 naming no location is a DecodeError."""
        mocked.get(f"{T}/preview", status=302, body=b"")
        with pytest.raises(DecodeError):
            await sc.tracks.preview_url(123)

    @pytest.mark.parametrize(
        ("method", "suffix", "kwargs", "query"),
        [
            ("iter_favoriters", "favoriters", {}, {}),
            ("iter_reposters", "reposters", {}, {}),
            ("iter_related", "related", {"access": "blocked"}, {"access": "blocked"}),
            ("iter_comments", "comments", {}, {}),
        ],
    )
    async def test_collections(
        self,
        mocked: aioresponses,
        sc: SoundCloud,
        method: str,
        suffix: str,
        kwargs: dict[str, Any],
        query: dict[str, str],
    ) -> None:
        """Each collection pages its own route with its own parameters."""
        mocked.get(re.compile(rf"^{re.escape(T)}/{suffix}\?.*"), payload={"collection": [{}]})
        items = await getattr(sc.tracks, method)(123, limit=5, **kwargs).collect()
        _, url, _ = only_call(mocked)
        assert 1 == len(items)
        assert f"/tracks/soundcloud:tracks:123/{suffix}" == url.path
        assert {"limit": "5", "linked_partitioning": "true", **query} == dict(url.query)

    async def test_wrong_urn_kind(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A user URN is not a track: InvalidURN, nothing sent."""
        with pytest.raises(InvalidURN):
            await sc.tracks.streams("soundcloud:users:1")
        assert {} == mocked.requests


class TestWrites:
    """Update, delete, storefront and comments send the spec's bodies."""

    async def test_update_json(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """Without artwork the metadata goes as ``{"track": {...}}`` JSON."""
        mocked.put(T, payload={**TRACK, "title": "New"})
        track = await sc.tracks.update(123, TrackMetadata(title="New", tag_list=["a b", "c"]))
        _, _, kwargs = only_call(mocked)
        assert "New" == track.title
        assert {"track": {"title": "New", "tag_list": '"a b" c'}} == kwargs["json"]

    async def test_update_mapping(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A mapping of field names is accepted as metadata."""
        mocked.put(T, payload=TRACK)
        await sc.tracks.update(123, {"sharing": "private", "streamable": False})
        _, _, kwargs = only_call(mocked)
        assert {"track": {"sharing": "private", "streamable": False}} == kwargs["json"]

    async def test_update_with_artwork_is_multipart(
        self, mocked: aioresponses, sc: SoundCloud
    ) -> None:
        """With artwork the update is a multipart body made fresh per attempt."""
        mocked.put(T, payload=TRACK)
        await sc.tracks.update(123, {"title": "T"}, artwork=b"\x89PNG", artwork_filename="a.png")
        _, _, kwargs = only_call(mocked)
        body = kwargs["data"]
        assert isinstance(body, aiohttp.MultipartWriter)
        assert None is kwargs["json"]
        assert kwargs["timeout"].total is None

    @pytest.mark.parametrize(
        ("metadata", "kwargs"),
        [
            (None, {}),
            ({}, {}),
            ({"sharing": "friends"}, {}),
            ({"license": "mine"}, {}),
            ({"title": "  "}, {}),
            ({"nope": 1}, {}),
            ("title", {}),
            ({"title": "x"}, {"progress": print}),
            ({"title": "x"}, {"artwork": 42}),
            ({"title": "x"}, {"artwork": "/no/such/file.png"}),
        ],
    )
    async def test_update_invalid(
        self, mocked: aioresponses, sc: SoundCloud, metadata: Any, kwargs: Any
    ) -> None:
        """Bad metadata or artwork raises InvalidArgument before any request."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.update(123, metadata, **kwargs)
        assert {} == mocked.requests

    async def test_delete(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``delete`` sends DELETE and returns None."""
        mocked.delete(T, payload={"status": "200 - OK"})
        assert None is await sc.tracks.delete(123)
        assert 1 == len(sent(mocked, "DELETE", T))

    async def test_storefront(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``set_storefront`` PUTs the exact body and returns the storefront."""
        mocked.put(f"{T}/storefront", payload={"title": "Buy", "type": "vinyl"})
        front = await sc.tracks.set_storefront(
            123,
            StorefrontUpdate(title="Buy", type=StorefrontType.VINYL, link="https://x.y/z"),
        )
        _, _, kwargs = only_call(mocked)
        assert "Buy" == front.title
        assert {"title": "Buy", "type": "vinyl", "link": "https://x.y/z"} == kwargs["json"]

    @pytest.mark.parametrize(
        "fields",
        [
            {"title": "", "type": "vinyl", "link": "https://x"},
            {"title": "t", "type": "spaceship", "link": "https://x"},
            {"title": "t", "type": "vinyl", "link": "ftp://x"},
            {"title": "t" * 101, "type": "vinyl", "link": "https://x"},
            {"title": "t", "type": "vinyl", "link": "https://x", "price": "1" * 21},
            {"title": "t", "type": "vinyl"},
        ],
    )
    async def test_storefront_invalid(
        self, mocked: aioresponses, sc: SoundCloud, fields: dict[str, Any]
    ) -> None:
        """A storefront that breaks the spec's limits is refused before sending."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.set_storefront(123, fields)
        assert {} == mocked.requests

    async def test_comment(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``comment`` posts ``{"comment": {"body", "timestamp"}}``."""
        mocked.post(f"{T}/comments", status=201, payload={"body": "hi", "timestamp": 1500})
        comment = await sc.tracks.comment(123, "hi", timestamp_ms=1500.7)
        _, _, kwargs = only_call(mocked)
        assert (1500, "hi") == (comment.timestamp, comment.body)
        assert {"comment": {"body": "hi", "timestamp": 1500}} == kwargs["json"]

    @pytest.mark.parametrize(
        ("body", "ts"), [("", None), ("  ", None), ("x" * 2001, None), ("x", -1), ("x", True)]
    )
    async def test_comment_invalid(
        self, mocked: aioresponses, sc: SoundCloud, body: str, ts: Any
    ) -> None:
        """Blank or long bodies and negative timestamps are refused before sending."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.comment(123, body, timestamp_ms=ts)
        assert {} == mocked.requests

    async def test_comment_spam_429_not_retried(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A spam-block 429 surfaces at once, with its spam_warning_urn."""
        mocked.post(
            f"{T}/comments",
            status=429,
            payload={
                "code": 429,
                "message": "spam",
                "spam_warning_urn": "soundcloud:spam-warnings:1",
            },
            repeat=True,
        )
        with pytest.raises(RateLimited) as info:
            await sc.tracks.comment(123, "hi")
        assert "soundcloud:spam-warnings:1" == info.value.spam_warning_urn
        assert 1 == len(sent(mocked, "POST", f"{T}/comments"))


class TestUpload:
    """``upload`` builds a streamed multipart body; validation comes first."""

    async def test_upload_bytes(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """An upload POSTs a multipart body with no total timeout."""
        mocked.post(f"{BASE}/tracks", status=201, payload=TRACK)
        track = await sc.tracks.upload(b"ID3", title="Song", metadata={"genre": "Pop"})
        _, _, kwargs = only_call(mocked)
        assert "soundcloud:tracks:123" == track.urn
        assert isinstance(kwargs["data"], aiohttp.MultipartWriter)
        assert None is kwargs["timeout"].total

    async def test_title_wins_over_metadata(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``title=`` overrides the metadata's title without changing the caller's object."""
        mocked.post(f"{BASE}/tracks", status=201, payload=TRACK)
        metadata = TrackMetadata(title="Old")
        await sc.tracks.upload(b"x", metadata, title="New")
        assert "Old" == metadata.title

    @pytest.mark.parametrize(
        ("audio", "kwargs"),
        [
            (b"x", {}),
            (b"x", {"title": " "}),
            (b"x", {"title": 3}),
            ("/no/such/file.mp3", {"title": "t"}),
            (123, {"title": "t"}),
            (b"x", {"title": "t", "metadata": {"license": "mine"}}),
            (b"x", {"title": "t", "progress": "not callable"}),
            (b"x", {"title": "t", "filename": ""}),
            (b"x", {"title": "t", "artwork": object()}),
        ],
    )
    async def test_invalid(
        self, mocked: aioresponses, sc: SoundCloud, audio: Any, kwargs: Any
    ) -> None:
        """Missing titles, unreadable sources and bad fields fail before any request."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.upload(audio, **kwargs)
        assert {} == mocked.requests

    async def test_text_file_refused(
        self, mocked: aioresponses, sc: SoundCloud, tmp_path: Any
    ) -> None:
        """A file opened in text mode is refused: uploads are binary."""
        path = tmp_path / "a.mp3"
        path.write_bytes(b"abc")
        with path.open("r") as f, pytest.raises(InvalidArgument):
            await sc.tracks.upload(f, title="t")
        assert {} == mocked.requests


class TestDownload:
    """``download`` and ``iter_audio`` pick a stream URL and validate first."""

    async def test_unknown_format(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """An unknown format is refused before any request."""
        with pytest.raises(InvalidArgument):
            await sc.tracks.download(123, "/tmp/x.mp3", format="flac_url")  # type: ignore[arg-type]
        assert {} == mocked.requests

    @pytest.mark.parametrize(
        ("dest", "message"),
        [
            (42, "path or a binary file"),
            ("/no/such/dir/x.mp3", "no such directory"),
            (".", "is a directory"),
        ],
    )
    async def test_bad_destination(
        self, mocked: aioresponses, sc: SoundCloud, dest: Any, message: str
    ) -> None:
        """A destination that cannot be written is refused before the streams request."""
        with pytest.raises(InvalidArgument, match=message):
            await sc.tracks.download(123, dest)
        assert {} == mocked.requests

    async def test_format_not_offered(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A format the track does not offer names the ones it does."""
        streams = Streams(preview_mp3_128_url="https://x/p.mp3")
        with pytest.raises(InvalidArgument, match="preview_mp3_128_url"):
            await sc.tracks.stream_url(streams, format="hls_aac_160_url")
        assert {} == mocked.requests

    async def test_preview_only_streams(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """With only a preview and no format asked, PreviewOnly says so (nothing sent)."""
        streams = Streams(preview_mp3_128_url="https://x/p.mp3")
        with pytest.raises(PreviewOnly, match="preview"):
            await sc.tracks.stream_url(streams)
        assert {} == mocked.requests

    async def test_iter_audio_from_streams(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """A Streams object skips the streams request; chunks come through."""
        mocked.get(f"{BASE}/media/1.mp3", body=b"abcdef")
        streams = Streams(http_mp3_128_url=f"{BASE}/media/1.mp3")
        with pytest.warns(DeprecationWarning, match="deprecated"):
            chunks = [
                c
                async for c in sc.tracks.iter_audio(
                    streams, format="http_mp3_128_url", chunk_size=4
                )
            ]
        assert b"abcdef" == b"".join(chunks)
