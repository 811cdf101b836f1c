"""``sc.playlists`` with aioresponses: paths, parameters, bodies, read-modify-write."""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from yarl import URL

from soundcloud_async import InvalidArgument, SoundCloud
from soundcloud_async.models import PlaylistCreate, PlaylistUpdate
from tests.conftest import BASE

P = f"{BASE}/playlists/soundcloud:playlists:9"


def playlist(*track_ids: int, **extra: Any) -> dict[str, Any]:
    """A playlist body holding these tracks."""
    return {
        "urn": "soundcloud:playlists:9",
        "title": "Mix",
        "track_count": len(track_ids),
        "tracks": [{"urn": f"soundcloud:tracks:{i}"} for i in track_ids],
        **extra,
    }


def calls(mocked: aioresponses, method: str) -> list[tuple[URL, dict[str, Any]]]:
    """Every ``method`` request aioresponses saw, as (url, kwargs)."""
    return [
        (key[1], call.kwargs)
        for key, seen in mocked.requests.items()
        if key[0] == method
        for call in seen
    ]


class TestReads:
    """Search, get and the two collections."""

    async def test_search(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``iter_search`` sends q, access and show_tracks."""
        mocked.get(re.compile(rf"^{re.escape(BASE)}/playlists\?.*"), payload={"collection": [{}]})
        await sc.playlists.iter_search(q="mix", access="playable", show_tracks=False).collect()
        ((url, _),) = calls(mocked, "GET")
        assert {
            "q": "mix",
            "access": "playable",
            "show_tracks": "false",
            "limit": "50",
            "linked_partitioning": "true",
        } == dict(url.query)

    async def test_get(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``get`` passes secret_token, access and show_tracks."""
        mocked.get(re.compile(rf"^{re.escape(P)}\?.*"), payload=playlist(1))
        found = await sc.playlists.get(9, secret_token="s", access=["blocked"], show_tracks=True)
        ((url, _),) = calls(mocked, "GET")
        assert "soundcloud:playlists:9" == found.urn
        assert {"secret_token": "s", "access": "blocked", "show_tracks": "true"} == dict(url.query)

    @pytest.mark.parametrize(
        ("method", "suffix"), [("iter_tracks", "tracks"), ("iter_reposters", "reposters")]
    )
    async def test_collections(
        self, mocked: aioresponses, sc: SoundCloud, method: str, suffix: str
    ) -> None:
        """Tracks and reposters page their own routes."""
        mocked.get(re.compile(rf"^{re.escape(P)}/{suffix}\?.*"), payload={"collection": [{}]})
        assert 1 == len(await getattr(sc.playlists, method)(9).collect())

    @pytest.mark.parametrize(
        "kwargs", [{"show_tracks": "yes"}, {"access": "all"}, {"secret_token": 5}]
    )
    async def test_get_invalid(
        self, mocked: aioresponses, sc: SoundCloud, kwargs: dict[str, Any]
    ) -> None:
        """Bad parameters are refused before any request."""
        with pytest.raises(InvalidArgument):
            await sc.playlists.get(9, **kwargs)
        assert {} == mocked.requests


class TestWrites:
    """Create (JSON and form), update and delete."""

    async def test_create_json(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``create`` posts ``{"playlist": {...}}`` with track URNs."""
        mocked.post(f"{BASE}/playlists", status=201, payload=playlist(1, 2))
        created = await sc.playlists.create(
            PlaylistCreate(title="Mix", sharing="private", tracks=[1, "soundcloud:tracks:2"])
        )
        ((_, kwargs),) = calls(mocked, "POST")
        assert 2 == created.track_count
        assert {
            "playlist": {
                "title": "Mix",
                "sharing": "private",
                "tracks": [{"urn": "soundcloud:tracks:1"}, {"urn": "soundcloud:tracks:2"}],
            }
        } == kwargs["json"]

    async def test_create_form(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``form=True`` sends the multipart variant."""
        mocked.post(f"{BASE}/playlists", status=201, payload=playlist())
        await sc.playlists.create({"title": "Mix"}, form=True)
        ((_, kwargs),) = calls(mocked, "POST")
        assert isinstance(kwargs["data"], aiohttp.MultipartWriter)

    @pytest.mark.parametrize(
        ("body", "kwargs"),
        [
            ({}, {}),
            ({"title": " "}, {}),
            ({"title": "t", "sharing": "friends"}, {}),
            ({"title": "t", "set_type": "ep"}, {}),
            ({"title": "t", "tracks": "soundcloud:tracks:1"}, {}),
            ({"title": "t", "tracks": ["soundcloud:users:1"]}, {}),
            ({"title": "t"}, {"form": "yes"}),
            ({"title": "t"}, {"progress": print}),
            ({"title": "t"}, {"artwork": "/no/such.png"}),
            (["title"], {}),
        ],
    )
    async def test_create_invalid(
        self, mocked: aioresponses, sc: SoundCloud, body: Any, kwargs: dict[str, Any]
    ) -> None:
        """A playlist without a title or with bad fields is refused before sending."""
        with pytest.raises(InvalidArgument):
            await sc.playlists.create(body, **kwargs)
        assert {} == mocked.requests

    async def test_update(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``update`` PUTs only the fields set; ``tracks=[]`` empties the list."""
        mocked.put(P, payload=playlist())
        await sc.playlists.update(9, PlaylistUpdate(description="d", tracks=[]))
        ((_, kwargs),) = calls(mocked, "PUT")
        assert {"playlist": {"description": "d", "tracks": []}} == kwargs["json"]

    @pytest.mark.parametrize("license_", ["cc0-1.0", "Label licence 2026", "cc-by"])
    async def test_playlist_license_is_any_string(
        self, mocked: aioresponses, sc: SoundCloud, license_: str
    ) -> None:
        """A playlist's ``license`` is any string (the spec's type), not the track list."""
        mocked.put(P, payload=playlist())
        await sc.playlists.update(9, {"license": license_})
        ((_, kwargs),) = calls(mocked, "PUT")
        assert {"playlist": {"license": license_}} == kwargs["json"]

    @pytest.mark.parametrize("changes", [{}, {"title": ""}, {"sharing": "x"}, 5])
    async def test_update_invalid(self, mocked: aioresponses, sc: SoundCloud, changes: Any) -> None:
        """An empty or malformed update is refused before sending."""
        with pytest.raises(InvalidArgument):
            await sc.playlists.update(9, changes)
        assert {} == mocked.requests

    async def test_delete(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """``delete`` sends DELETE and returns None."""
        mocked.delete(P, payload={"status": "200 - OK"})
        assert None is await sc.playlists.delete("soundcloud:playlists:9")


class TestTrackHelpers:
    """``add_tracks``/``remove_tracks`` read every access level, then PUT the new list."""

    async def test_add(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """New tracks are appended; ones already present are not repeated."""
        mocked.get(re.compile(rf"^{re.escape(P)}\?.*"), payload=playlist(1, 2))
        mocked.put(P, payload=playlist(1, 2, 3))
        result = await sc.playlists.add_tracks(9, [2, 3])
        ((url, _),) = calls(mocked, "GET")
        ((_, kwargs),) = calls(mocked, "PUT")
        assert "playable,preview,blocked" == url.query["access"]
        assert [f"soundcloud:tracks:{i}" for i in (1, 2, 3)] == [
            t["urn"] for t in kwargs["json"]["playlist"]["tracks"]
        ]
        assert 3 == result.track_count

    async def test_remove(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """Every occurrence of a removed track goes."""
        mocked.get(re.compile(rf"^{re.escape(P)}\?.*"), payload=playlist(1, 2, 1))
        mocked.put(P, payload=playlist(2))
        await sc.playlists.remove_tracks(9, ["soundcloud:tracks:1"])
        ((_, kwargs),) = calls(mocked, "PUT")
        assert {"playlist": {"tracks": [{"urn": "soundcloud:tracks:2"}]}} == kwargs["json"]

    async def test_no_change_no_put(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """Removing a track that is not there sends no PUT."""
        mocked.get(re.compile(rf"^{re.escape(P)}\?.*"), payload=playlist(1))
        result = await sc.playlists.remove_tracks(9, [5])
        assert [] == calls(mocked, "PUT")
        assert "soundcloud:playlists:9" == result.urn

    async def test_truncated_list_paged(self, mocked: aioresponses, sc: SoundCloud) -> None:
        """When the embedded list is shorter than track_count, the full list is paged."""
        mocked.get(re.compile(rf"^{re.escape(P)}\?.*"), payload=playlist(1, track_count=2))
        mocked.get(
            re.compile(rf"^{re.escape(P)}/tracks\?.*"),
            payload={"collection": [{"urn": "soundcloud:tracks:1"}, {"id": 2}]},
        )
        mocked.put(P, payload=playlist(1, 2, 3))
        await sc.playlists.add_tracks(9, [3])
        ((_, kwargs),) = calls(mocked, "PUT")
        assert 3 == len(kwargs["json"]["playlist"]["tracks"])

    @pytest.mark.parametrize("tracks", ["soundcloud:tracks:1", 1, ["soundcloud:users:1"], [None]])
    async def test_invalid(self, mocked: aioresponses, sc: SoundCloud, tracks: Any) -> None:
        """A single value or a non-track reference is refused before any request."""
        with pytest.raises(InvalidArgument):
            await sc.playlists.add_tracks(9, tracks)
        assert {} == mocked.requests
