"""``sc.users``: each method sends its route and typed parameters, validates first."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aioresponses import aioresponses
from yarl import URL

from soundcloud_async import (
    InvalidArgument,
    InvalidURN,
    Paginator,
    Playlist,
    SoundCloud,
    Track,
    User,
    WebProfile,
)
from soundcloud_async.models import Access

ANY = re.compile(r"https://api\.soundcloud\.com/.*")
U = "soundcloud:users:1"
PAGE: dict[str, Any] = {"collection": [], "next_href": None}


def sent(mocked: aioresponses) -> list[tuple[str, str, dict[str, str]]]:
    """The requests aioresponses saw: (method, path, query), in order."""
    out = []
    for (method, url), calls in mocked.requests.items():
        for _ in calls:
            out.append((method, URL(str(url)).path, dict(URL(str(url)).query)))
    return out


def paging(**extra: str) -> dict[str, str]:
    return {"linked_partitioning": "true", "limit": "50", **extra}


Call = Callable[[SoundCloud], Paginator[Any]]

ROUTES: list[tuple[str, Call, str, dict[str, str], type]] = [
    (
        "search",
        lambda sc: sc.users.iter_search(q="dj", urns=[1, "soundcloud:users:2"]),
        "/users",
        paging(q="dj", urns="soundcloud:users:1,soundcloud:users:2"),
        User,
    ),
    ("related", lambda sc: sc.users.iter_related(1), f"/users/{U}/related", paging(), User),
    ("followers", lambda sc: sc.users.iter_followers(U), f"/users/{U}/followers", paging(), User),
    (
        "followings",
        lambda sc: sc.users.iter_followings(U, limit=200),
        f"/users/{U}/followings",
        {"linked_partitioning": "true", "limit": "200"},
        User,
    ),
    (
        "playlists",
        lambda sc: sc.users.iter_playlists(U, access=[Access.PLAYABLE], show_tracks=False),
        f"/users/{U}/playlists",
        paging(access="playable", show_tracks="false"),
        Playlist,
    ),
    (
        "tracks",
        lambda sc: sc.users.iter_tracks(U, access="playable,blocked", sort="asc"),
        f"/users/{U}/tracks",
        paging(access="playable,blocked", sort="asc"),
        Track,
    ),
    (
        "web-profiles",
        lambda sc: sc.users.iter_web_profiles(U),
        f"/users/{U}/web-profiles",
        paging(),
        WebProfile,
    ),
    (
        "liked tracks",
        lambda sc: sc.users.iter_liked_tracks(U, access=["preview"]),
        f"/users/{U}/likes/tracks",
        paging(access="preview"),
        Track,
    ),
    (
        "liked playlists",
        lambda sc: sc.users.iter_liked_playlists(U),
        f"/users/{U}/likes/playlists",
        paging(),
        Playlist,
    ),
    (
        "reposted tracks",
        lambda sc: sc.users.iter_reposted_tracks(U),
        f"/users/{U}/reposts/tracks",
        paging(),
        Track,
    ),
    (
        "reposted playlists",
        lambda sc: sc.users.iter_reposted_playlists(U),
        f"/users/{U}/reposts/playlists",
        paging(),
        Playlist,
    ),
]


class TestCollections:
    """Each collection method pages its own route with its own parameters."""

    @pytest.mark.parametrize(
        ("call", "path", "query", "model"),
        [r[1:] for r in ROUTES],
        ids=[r[0] for r in ROUTES],
    )
    async def test_route_and_query(
        self,
        sc: SoundCloud,
        mocked: aioresponses,
        call: Call,
        path: str,
        query: dict[str, str],
        model: type,
    ) -> None:
        """The first page goes to the spec's path with the typed parameters as sent."""
        item = {"kind": "x", "urn": "soundcloud:users:9", "id": 9}
        mocked.get(ANY, payload={"collection": [item], "next_href": None})
        items = await call(sc).collect()
        assert [("GET", path, query)] == sent(mocked)
        assert 1 == len(items)
        assert isinstance(items[0], model)

    async def test_web_profiles_bare_list(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """Web profiles come as a plain JSON array: one page of WebProfile."""
        mocked.get(ANY, payload=[{"service": "twitter", "url": "https://twitter.com/x"}])
        profiles = await sc.users.iter_web_profiles(U).collect()
        assert ["twitter"] == [p.service for p in profiles]


class TestGet:
    """``get`` fetches one user."""

    async def test_get(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A numeric id becomes a URN in the path and the body a User."""
        mocked.get(ANY, payload={"urn": U, "username": "forss"})
        user = await sc.users.get(1)
        assert "forss" == user.username
        assert [("GET", f"/users/{U}", {})] == sent(mocked)


class TestDeprecated:
    """Deprecated user routes still work and warn naming the replacement."""

    async def test_favorites(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """iter_favorites warns towards iter_liked_tracks and pages /favorites."""
        mocked.get(ANY, payload=PAGE)
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.iter_liked_tracks\(\)"):
            paginator = sc.users.iter_favorites(U)
        assert [] == await paginator.collect()
        assert [("GET", f"/users/{U}/favorites", paging())] == sent(mocked)

    async def test_is_following_true(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A 200 from the following route means True."""
        mocked.get(ANY, payload={"urn": "soundcloud:users:2"})
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get\(user\)"):
            assert await sc.users.is_following(1, 2)
        assert [("GET", f"/users/{U}/followings/soundcloud:users:2", {})] == sent(mocked)

    async def test_is_following_false(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A 404 from the following route means False."""
        mocked.get(ANY, status=404, payload={"code": 404, "message": "404 - Not Found"})
        with pytest.warns(DeprecationWarning, match="deprecated"):
            assert not await sc.users.is_following(1, 2)


class TestValidation:
    """Bad arguments raise before any request is sent."""

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (lambda sc: sc.users.iter_search(q="  "), InvalidArgument),
            (lambda sc: sc.users.iter_search(urns=[]), InvalidArgument),
            (lambda sc: sc.users.iter_search(urns="soundcloud:users:1"), InvalidArgument),
            (lambda sc: sc.users.iter_search(urns=["soundcloud:tracks:1"]), InvalidURN),
            (lambda sc: sc.users.iter_search(urns=range(201)), InvalidArgument),
            (lambda sc: sc.users.iter_related("soundcloud:tracks:1"), InvalidURN),
            (lambda sc: sc.users.iter_followings(U, limit=0), InvalidArgument),
            (lambda sc: sc.users.iter_followers(U, limit=201), InvalidArgument),
            (lambda sc: sc.users.iter_playlists(U, show_tracks="no"), InvalidArgument),
            (lambda sc: sc.users.iter_tracks(U, access="everything"), InvalidArgument),
            (lambda sc: sc.users.iter_tracks(U, sort="newest"), InvalidArgument),
            (lambda sc: sc.users.iter_liked_tracks("https://soundcloud.com/x"), InvalidURN),
            (lambda sc: sc.users.iter_web_profiles(-1), InvalidURN),
        ],
        ids=[
            "blank-q",
            "empty-urns",
            "one-urn-string",
            "track-urn",
            "201-urns",
            "related-track-urn",
            "limit-0",
            "limit-201",
            "show-tracks-str",
            "bad-access",
            "bad-sort",
            "permalink",
            "negative-id",
        ],
    )
    def test_rejected_before_sending(
        self, sc: SoundCloud, mocked: aioresponses, call: Call, error: type[Exception]
    ) -> None:
        """The paginator is never built, so nothing is sent."""
        with pytest.raises(error):
            call(sc)
        assert [] == sent(mocked)

    async def test_get_rejects_playlist_urn(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """get() refuses a URN of another kind."""
        with pytest.raises(InvalidURN):
            await sc.users.get("soundcloud:playlists:1")
        assert [] == sent(mocked)
