"""``sc.me``: each method sends its route and typed parameters, validates first."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aioresponses import aioresponses

from soundcloud_async import (
    InvalidArgument,
    InvalidURN,
    Me,
    NotFound,
    Paginator,
    Playlist,
    SoundCloud,
    Track,
    User,
)
from soundcloud_async.models import Activity
from tests.test_users import ANY, paging, sent

U = "soundcloud:users:7"
Call = Callable[[SoundCloud], Paginator[Any]]

ROUTES: list[tuple[str, Call, str, dict[str, str], type]] = [
    ("feed", lambda sc: sc.me.iter_feed(access="playable"), "/me/feed",
     paging(access="playable"), Activity),
    ("feed tracks", lambda sc: sc.me.iter_feed_tracks(limit=10), "/me/feed/tracks",
     {"linked_partitioning": "true", "limit": "10"}, Activity),
    ("recently played", lambda sc: sc.me.iter_recently_played(access=["blocked"]),
     "/me/recently-played/tracks", paging(access="blocked"), Track),
    ("liked tracks", lambda sc: sc.me.iter_liked_tracks(), "/me/likes/tracks", paging(), Track),
    ("liked playlists", lambda sc: sc.me.iter_liked_playlists(), "/me/likes/playlists",
     paging(), Playlist),
    ("followings", lambda sc: sc.me.iter_followings(), "/me/followings", paging(), User),
    ("followings tracks", lambda sc: sc.me.iter_followings_tracks(access="preview"),
     "/me/followings/tracks", paging(access="preview"), Track),
    ("followers", lambda sc: sc.me.iter_followers(), "/me/followers", paging(), User),
    ("playlists", lambda sc: sc.me.iter_playlists(show_tracks=True), "/me/playlists",
     paging(show_tracks="true"), Playlist),
    ("tracks", lambda sc: sc.me.iter_tracks(sort="desc"), "/me/tracks", paging(sort="desc"),
     Track),
    ("reposted tracks", lambda sc: sc.me.iter_reposted_tracks(), "/me/reposts/tracks",
     paging(), Track),
    ("reposted playlists", lambda sc: sc.me.iter_reposted_playlists(), "/me/reposts/playlists",
     paging(), Playlist),
]  # fmt: skip

ACTIVITY = {
    "type": "track:repost",
    "created_at": "2025/05/01 10:00:00 +0000",
    "origin": {"kind": "track", "urn": "soundcloud:tracks:5", "title": "t"},
    "reposter": "soundcloud:users:3",
}


class TestCollections:
    """Each collection method pages its own route with its own parameters."""

    @pytest.mark.parametrize(
        ("call", "path", "query", "model"), [r[1:] for r in ROUTES], ids=[r[0] for r in ROUTES]
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
        item = ACTIVITY if model is Activity else {"urn": "soundcloud:users:9"}
        mocked.get(ANY, payload={"collection": [item], "next_href": None})
        items = await call(sc).collect()
        assert [("GET", path, query)] == sent(mocked)
        assert isinstance(items[0], model)

    async def test_feed_follows_next_href_and_keeps_future_href(
        self, sc: SoundCloud, mocked: aioresponses
    ) -> None:
        """Activities pages (which carry future_href) are followed through next_href."""
        base = "https://api.soundcloud.com/me/feed"
        mocked.get(
            f"{base}?limit=1&linked_partitioning=true",
            payload={
                "collection": [ACTIVITY],
                "next_href": f"{base}?cursor=2&limit=1&linked_partitioning=true",
                "future_href": f"{base}?uuid=9&limit=1",
            },
        )
        mocked.get(
            f"{base}?cursor=2&limit=1&linked_partitioning=true",
            payload={"collection": [ACTIVITY], "next_href": None, "future_href": base},
        )
        activities = await sc.me.iter_feed(limit=1).collect()
        assert [True, True] == [a.is_repost for a in activities]
        assert isinstance(activities[0].origin, Track)


class TestSingle:
    """get, follow, unfollow: one request each."""

    async def test_get(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """get() returns the Me model."""
        mocked.get(ANY, payload={"urn": U, "username": "me", "plan": "Pro"})
        me = await sc.me.get()
        assert isinstance(me, Me)
        assert ("me", [("GET", "/me", {})]) == (me.username, sent(mocked))

    async def test_follow(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """follow() PUTs the user's URN under /me/followings."""
        mocked.put(ANY, status=201, payload={"urn": U})
        await sc.me.follow(7)
        assert [("PUT", f"/me/followings/{U}", {})] == sent(mocked)

    async def test_follow_already_following(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A 200 status body (already following) is fine too."""
        mocked.put(ANY, payload={"status": "200 - Successful"})
        await sc.me.follow(U)

    async def test_unfollow(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """unfollow() DELETEs the user's URN under /me/followings."""
        mocked.delete(ANY, payload={"status": "200 - OK"})
        await sc.me.unfollow(U)
        assert [("DELETE", f"/me/followings/{U}", {})] == sent(mocked)


class TestDeprecated:
    """Deprecated /me routes still work and warn naming the replacement."""

    @pytest.mark.parametrize(
        ("name", "path", "replacement"),
        [
            ("iter_activities", "/me/activities", r"sc\.me\.iter_feed\(\)"),
            ("iter_activities_own", "/me/activities/all/own", r"sc\.me\.iter_tracks\(\)"),
            ("iter_activities_tracks", "/me/activities/tracks", r"sc\.me\.iter_feed_tracks\(\)"),
        ],
    )
    async def test_activities(
        self, sc: SoundCloud, mocked: aioresponses, name: str, path: str, replacement: str
    ) -> None:
        """The old activities routes page Activity items and warn at the call."""
        mocked.get(ANY, payload={"collection": [ACTIVITY], "future_href": "x"})
        with pytest.warns(DeprecationWarning, match=replacement):
            paginator = getattr(sc.me, name)(access="playable")
        assert 1 == len(await paginator.collect())
        assert [("GET", path, paging(access="playable"))] == sent(mocked)

    async def test_is_following(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """200 is True, 404 is False."""
        mocked.get(ANY, payload={"urn": U})
        mocked.get(ANY, status=404, payload={"code": 404, "message": "404 - Not Found"})
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get\(user\)"):
            assert await sc.me.is_following(U)
        with pytest.warns(DeprecationWarning, match="deprecated"):
            assert not await sc.me.is_following(U)
        assert [("GET", f"/me/followings/{U}", {})] * 2 == sent(mocked)

    async def test_follower(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """follower() returns the user, or raises NotFound."""
        mocked.get(ANY, payload={"urn": U, "username": "fan"})
        mocked.get(ANY, status=404, payload={"code": 404, "message": "404 - Not Found"})
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get\(user\)"):
            assert "fan" == (await sc.me.follower(U)).username
        with pytest.warns(DeprecationWarning, match="deprecated"), pytest.raises(NotFound):
            await sc.me.follower(U)


class TestValidation:
    """Bad arguments raise before any request is sent."""

    @pytest.mark.parametrize(
        ("call", "error"),
        [
            pytest.param(lambda sc: sc.me.iter_feed(access="all"), InvalidArgument, id="access"),
            pytest.param(lambda sc: sc.me.iter_feed(limit=500), InvalidArgument, id="limit"),
            pytest.param(lambda sc: sc.me.iter_tracks(sort="up"), InvalidArgument, id="sort"),
            pytest.param(
                lambda sc: sc.me.iter_playlists(show_tracks=1), InvalidArgument, id="show_tracks"
            ),
            pytest.param(
                lambda sc: sc.me.iter_liked_tracks(max_items=-1), InvalidArgument, id="max_items"
            ),
            pytest.param(
                lambda sc: sc.me.iter_followings(resume_from="nope"), InvalidArgument, id="resume"
            ),
        ],
    )
    def test_paginators(
        self, sc: SoundCloud, mocked: aioresponses, call: Call, error: type[Exception]
    ) -> None:
        """The paginator is never built, so nothing is sent."""
        with pytest.raises(error):
            call(sc)
        assert [] == sent(mocked)

    @pytest.mark.parametrize("name", ["follow", "unfollow"])
    async def test_follow_needs_a_user(
        self, sc: SoundCloud, mocked: aioresponses, name: str
    ) -> None:
        """A track URN is not a user to follow."""
        with pytest.raises(InvalidURN):
            await getattr(sc.me, name)("soundcloud:tracks:1")
        assert [] == sent(mocked)

    async def test_deprecated_validates_too(self, sc: SoundCloud, mocked: aioresponses) -> None:
        """A deprecated method still validates before sending (after warning)."""
        with pytest.warns(DeprecationWarning, match="deprecated"), pytest.raises(InvalidURN):
            await sc.me.follower("soundcloud:playlists:1")
        assert [] == sent(mocked)
