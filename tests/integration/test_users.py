"""``sc.users`` over TCP against FakeSoundCloud: every /users* operation."""

from __future__ import annotations

import pytest

from soundcloud_async import (
    URN,
    InvalidArgument,
    InvalidURN,
    Playlist,
    SoundCloud,
    Track,
    User,
    WebProfile,
)
from soundcloud_async.testing import FakeSoundCloud

pytestmark = pytest.mark.integration


async def busy_user(sc: SoundCloud, fake: FakeSoundCloud) -> URN:
    """A user of the world with followers, followings, tracks and likes."""
    me = URN(fake.world.default_user_urn)
    async for user in sc.me.iter_followings(limit=200):
        if (user.followers_count or 0) > 3 and (user.track_count or 0) > 2:
            return URN(user.urn)
    return me


class TestSearchAndGet:
    """Search by text and by URN list, and get one user."""

    async def test_search_by_urns(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """urns= returns exactly the users named."""
        me = fake.world.default_user_urn
        other = await busy_user(sc, fake)
        found = await sc.users.iter_search(urns=[me, other]).collect()
        assert {me, other} == {u.urn for u in found}

    async def test_search_by_text_pages(self, sc: SoundCloud) -> None:
        """A text search pages across several pages."""
        paginator = sc.users.iter_search(q="a", limit=2, max_items=5)
        found = await paginator.collect()
        assert 5 == len(found)
        assert 3 <= paginator.pages_fetched

    async def test_get(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """get() returns the User with its counts."""
        user = await sc.users.get(fake.world.default_user_urn)
        assert isinstance(user, User)
        assert fake.world.default_user_urn == user.urn


class TestCollections:
    """Each collection route returns typed items, page after page."""

    async def test_followers_and_followings_agree(
        self, sc: SoundCloud, fake: FakeSoundCloud
    ) -> None:
        """Someone I follow has me among their followers."""
        me = fake.world.default_user_urn
        other = await busy_user(sc, fake)
        followers = await sc.users.iter_followers(other, limit=50).collect()
        followings = await sc.users.iter_followings(me, limit=3).collect()
        assert me in {u.urn for u in followers}
        assert other in {u.urn for u in followings}

    async def test_paging_matches_one_big_page(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Small pages give the same followings as one page of 200."""
        me = fake.world.default_user_urn
        small = sc.users.iter_followings(me, limit=7)
        paged = [u.urn async for u in small]
        whole = [u.urn for u in await sc.users.iter_followings(me, limit=200).collect()]
        assert whole == paged
        assert small.pages_fetched > 1

    async def test_related(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Related users are users."""
        related = await sc.users.iter_related(await busy_user(sc, fake), max_items=5).collect()
        assert related
        assert all(isinstance(u, User) for u in related)

    async def test_tracks_sorted(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """sort='asc' reverses the default newest-first order."""
        user = await busy_user(sc, fake)
        newest = await sc.users.iter_tracks(
            user, access=["playable", "preview", "blocked"]
        ).collect()
        oldest = await sc.users.iter_tracks(
            user, access=["playable", "preview", "blocked"], sort="asc"
        ).collect()
        assert [t.urn for t in newest][::-1] == [t.urn for t in oldest]
        assert all(isinstance(t, Track) for t in newest)

    async def test_playlists_without_tracks(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """show_tracks=False leaves the playlists' tracks out."""
        me = fake.world.default_user_urn
        with_tracks = await sc.users.iter_playlists(me, access="playable").collect()
        without = await sc.users.iter_playlists(me, show_tracks=False).collect()
        assert [p.urn for p in with_tracks] == [p.urn for p in without]
        assert all(isinstance(p, Playlist) and not p.tracks for p in without)

    async def test_web_profiles(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Web profiles are a bare list, read as one page."""
        profiles = await sc.users.iter_web_profiles(await busy_user(sc, fake)).collect()
        assert all(isinstance(p, WebProfile) and p.url for p in profiles)

    async def test_likes_and_reposts(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Liked and reposted tracks and playlists come back typed."""
        me = fake.world.default_user_urn
        liked = await sc.users.iter_liked_tracks(me, max_items=5).collect()
        liked_playlists = await sc.users.iter_liked_playlists(me, max_items=5).collect()
        reposted = await sc.users.iter_reposted_tracks(me, max_items=5).collect()
        reposted_playlists = await sc.users.iter_reposted_playlists(me, max_items=5).collect()
        assert liked
        assert all(isinstance(t, Track) for t in liked + reposted)
        assert all(isinstance(p, Playlist) for p in liked_playlists + reposted_playlists)


class TestDeprecated:
    """The deprecated user routes work and warn."""

    async def test_favorites_equal_liked_tracks(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """iter_favorites (deprecated) lists the same tracks as iter_liked_tracks."""
        me = fake.world.default_user_urn
        with pytest.warns(DeprecationWarning, match=r"iter_liked_tracks"):
            favorites = sc.users.iter_favorites(me, limit=10)
        liked = await sc.users.iter_liked_tracks(me, limit=10).collect()
        assert [t.urn for t in liked] == [t.urn async for t in favorites]

    async def test_is_following(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """True for someone I follow, False for myself."""
        me = fake.world.default_user_urn
        other = await busy_user(sc, fake)
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get"):
            assert await sc.users.is_following(me, other)
        with pytest.warns(DeprecationWarning, match=r"sc\.users\.get"):
            assert not await sc.users.is_following(me, me)


class TestValidation:
    """Invalid arguments never reach the server."""

    async def test_nothing_sent(self, sc: SoundCloud, fake: FakeSoundCloud) -> None:
        """Wrong kinds, bad limits and filters raise before a request."""
        fake.reset_log()
        with pytest.raises(InvalidURN):
            await sc.users.get("soundcloud:tracks:1")
        with pytest.raises(InvalidArgument):
            sc.users.iter_tracks(1, access="hidden")
        with pytest.raises(InvalidArgument):
            sc.users.iter_search(limit=1000)
        assert [] == fake.requests
