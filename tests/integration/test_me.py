"""``sc.me`` over TCP against FakeSoundCloud: every /me* operation, with state changes."""

from __future__ import annotations

import re

import pytest

from soundcloud_async import (
    URN,
    BadRequest,
    InvalidArgument,
    InvalidURN,
    Me,
    NotFound,
    Playlist,
    SoundCloud,
    Track,
    Unauthorized,
    User,
)
from soundcloud_async.models import Activity
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


async def stranger(sc: SoundCloud, fake: FakeSoundCloud) -> URN:
    """A user I do not follow (and who is not me)."""
    me = fake.world.default_user_urn
    followed = {u.urn async for u in sc.me.iter_followings(limit=200)}
    async for user in sc.users.iter_search(q="e", limit=50):
        if user.urn not in followed and user.urn != me:
            return URN(user.urn)
    pytest.fail("everyone is followed")


class TestProfile:
    """GET /me."""

    async def test_get(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """The logged-in user, as Me."""
        me = await sc.me.get()
        assert isinstance(me, Me)
        assert fake.world.default_user_urn == me.urn

    async def test_client_credentials_have_no_me(self, fake: FakeSoundCloud) -> None:
        """A token without a user gets 401 on /me."""
        async with SoundCloud(fake.issue_token(user_urn=None), base_url=fake.base_url) as sc:
            with pytest.raises(Unauthorized):
                await sc.me.get()


class TestFeed:
    """The feed and its track-only variant, paged."""

    async def test_feed_pages(self, sc: SoundCloud) -> None:
        """Small pages of the feed give the same entries as one big page."""
        paginator = sc.me.iter_feed(limit=5, max_items=20)
        small = [(a.created_at, a.origin.urn if a.origin else None) async for a in paginator]
        big = await sc.me.iter_feed(limit=20, max_items=20).collect()
        assert [(a.created_at, a.origin.urn if a.origin else None) for a in big] == small
        assert 4 <= paginator.pages_fetched
        assert all(isinstance(a, Activity) for a in big)

    async def test_feed_tracks_only_tracks(self, sc: SoundCloud) -> None:
        """/me/feed/tracks holds track entries only."""
        activities = await sc.me.iter_feed_tracks(limit=10, max_items=30).collect()
        assert activities
        assert all(isinstance(a.origin, Track) for a in activities)

    async def test_future_href_on_pages(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Activities pages carry future_href (read raw from the fake)."""
        response = await sc._transport.request(
            "GET", "/me/feed", params={"linked_partitioning": "true", "limit": 2}
        )
        assert isinstance(response.data["future_href"], str)
        assert response.data["future_href"].startswith(fake.base_url)

    @pytest.mark.parametrize(
        ("name", "replacement"),
        [
            ("iter_activities", "iter_feed()"),
            ("iter_activities_own", "iter_tracks()"),
            ("iter_activities_tracks", "iter_feed_tracks()"),
        ],
    )
    async def test_deprecated_activities(self, sc: SoundCloud, name: str, replacement: str) -> None:
        """The old activities routes still page, and warn naming the replacement."""
        with pytest.warns(DeprecationWarning, match=re.escape(replacement)):
            paginator = getattr(sc.me, name)(limit=3, max_items=6)
        activities = await paginator.collect()
        assert all(isinstance(a, Activity) for a in activities)


class TestCollections:
    """My collections: likes, tracks, playlists, reposts, recently played."""

    async def test_collections_are_typed(self, sc: SoundCloud) -> None:
        """Each route returns its model."""
        tracks = [
            *await sc.me.iter_recently_played().collect(),
            *await sc.me.iter_liked_tracks(max_items=5).collect(),
            *await sc.me.iter_tracks(max_items=5).collect(),
            *await sc.me.iter_reposted_tracks(max_items=5).collect(),
            *await sc.me.iter_followings_tracks(max_items=5).collect(),
        ]
        playlists = [
            *await sc.me.iter_liked_playlists(max_items=5).collect(),
            *await sc.me.iter_playlists(show_tracks=False, max_items=5).collect(),
            *await sc.me.iter_reposted_playlists(max_items=5).collect(),
        ]
        assert tracks
        assert playlists
        assert all(isinstance(t, Track) for t in tracks)
        assert all(isinstance(p, Playlist) for p in playlists)

    async def test_recently_played_at_most_25(self, sc: SoundCloud) -> None:
        """Recently played is one page of at most 25 distinct tracks."""
        played = await sc.me.iter_recently_played().collect()
        assert len(played) <= 25
        assert len({t.urn for t in played}) == len(played)

    async def test_my_tracks_sorted(self, sc: SoundCloud) -> None:
        """sort='asc' is the reverse of the default order."""
        newest = [t.urn for t in await sc.me.iter_tracks(limit=3).collect()]
        oldest = [t.urn for t in await sc.me.iter_tracks(sort="asc", limit=200).collect()]
        assert newest[::-1] == oldest


class TestFollowing:
    """Follow, unfollow and the followings list change together."""

    async def test_follow_then_unfollow(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """A followed user appears in my followings and disappears after unfollowing."""
        other = await stranger(sc, fake)
        await sc.me.follow(other)
        assert other in {u.urn async for u in sc.me.iter_followings(limit=50)}
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get"):
            assert await sc.me.is_following(other)
        followers = await sc.users.iter_followers(other, limit=200).collect()
        assert fake.world.default_user_urn in {u.urn for u in followers}
        await sc.me.follow(other)  # twice is fine
        await sc.me.unfollow(other)
        assert other not in {u.urn async for u in sc.me.iter_followings(limit=50)}
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get"):
            assert not await sc.me.is_following(other)
        with pytest.raises(NotFound):
            await sc.me.unfollow(other)

    async def test_cannot_follow_myself(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Following yourself is a 422 with a reason."""
        with pytest.raises(BadRequest, match="yourself"):
            await sc.me.follow(fake.world.default_user_urn)

    async def test_followers_and_follower(self, sc: SoundCloud) -> None:
        """Every follower is found by the deprecated follower() lookup."""
        followers = await sc.me.iter_followers(limit=3).collect()
        assert followers
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get"):
            one = await sc.me.follower(followers[0].urn or "")
        assert isinstance(one, User)
        assert followers[0].urn == one.urn


class TestValidation:
    """Invalid arguments never reach the server."""

    async def test_nothing_sent(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Wrong kinds and bad filters raise before a request."""
        fake.reset_log()
        with pytest.raises(InvalidURN):
            await sc.me.follow("soundcloud:playlists:1")
        with pytest.raises(InvalidArgument):
            sc.me.iter_feed(access=["public"])
        with pytest.raises(InvalidArgument):
            sc.me.iter_tracks(sort="random")  # type: ignore[arg-type]
        assert [] == fake.requests
